import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  MAY_MATTER,
  NEUTRAL,
  OutputRelay,
  PARTIAL_LINE_MS,
  secretForms
} from '../src/run/relay.ts';
import { DOTNET_WHITESPACE, icuIgnores } from '../src/run/runner-reading.ts';
import { judge, virtualRelay } from './helpers/relay-harness.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJlLXZhbHVl';
const PASSWORD = 'correct horse battery staple';
const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

/** Every 16 characters of a token's encoding past its header, at each alignment, either alphabet. */
const encodedCore = (token: string): string[] => {
  const pieces: string[] = [];
  const headerBytes = token.indexOf('.') + 1;
  for (let shift = 0; shift <= 2; shift++) {
    for (const alphabet of ['base64', 'base64url'] as const) {
      const encoded = Buffer.from(token).subarray(shift).toString(alphabet).replace(/=+$/, '');
      const from = Math.ceil((headerBytes - shift) / 3) * 4;
      for (let at = from; at + 16 <= encoded.length - 4; at += 4) {
        pieces.push(encoded.slice(at, at + 16));
      }
    }
  }
  return pieces;
};
const shownCore = (shown: string, token: string) => {
  const joined = shown.replace(/[\r\n]/g, '');
  return encodedCore(token).filter(piece => joined.includes(piece));
};

/** A relay with virtual timers; `written` is what reached the step's stdout. */
function relay(secrets: string[] = [TOKEN]) {
  const { relay: r, advance, release, chunks } = virtualRelay(secrets);
  // What the step's stdout has once the whole stdout lines waiting for a mask on stderr are written.
  const written = () => {
    release();
    return chunks.join('');
  };
  return { r, advance, written };
}

describe('the output relay', () => {
  it('passes whole lines through byte for byte, binary included', () => {
    const { r, written } = relay();
    const bytes = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3, 0x0a]).toString('latin1');
    r.push('stdout', bytes);
    r.push('stdout', 'plain text: 45% done\n');
    expect(Buffer.from(written(), 'latin1')).toEqual(
      Buffer.concat([Buffer.from(bytes, 'latin1'), Buffer.from('plain text: 45% done\n')])
    );
  });

  it(`writes an unfinished line after ${PARTIAL_LINE_MS} ms, not before`, () => {
    const { r, advance, written } = relay();
    r.push('stdout', 'Downloading..');
    advance(PARTIAL_LINE_MS - 1);
    expect(written()).toBe('');
    advance(1);
    expect(written()).toBe('Downloading..');
    r.push('stdout', '. done\n');
    expect(written()).toBe('Downloading... done\n');
  });

  it("starts the action's own line on a line of its own after a command's unfinished one", () => {
    const { r, advance, written } = relay();
    r.push('stdout', 'working');
    advance(PARTIAL_LINE_MS);
    const own = r.own('::add-mask::value\n');
    expect(`${written()}${own}`).toBe('working\n::add-mask::value\n');
    r.push('stdout', '...\n');
    expect(written()).toBe('working...\n');
  });

  it('keeps each stream in order and never glues one onto the other', () => {
    const { r, advance, written } = relay();
    r.push('stdout', 'progress ');
    advance(PARTIAL_LINE_MS);
    r.push('stderr', 'warning: slow\n');
    r.push('stdout', '50%\n');
    expect(written()).toBe('progress \nwarning: slow\n50%\n');
  });

  it.each(secretForms(TOKEN).map(form => [form.length, form]))(
    'scrubs the secret in the form of length %i',
    (_length, form) => {
      const { r, written } = relay();
      r.push('stdout', `before ${form} after\n`);
      expect(written()).toBe('before *** after\n');
    }
  );

  it('scrubs the forms the runner does not mask: unpadded base64 inside a longer text, base64url', () => {
    const { r, written } = relay();
    const inside = Buffer.from(`Bearer ${TOKEN}!`).toString('base64');
    // The token starts at byte 7: from its third byte on it is group-aligned in that base64.
    const bytes = Buffer.from(TOKEN).subarray(2);
    const core = bytes.subarray(0, bytes.length - (bytes.length % 3)).toString('base64');
    expect(inside).toContain(core);
    r.push('stdout', `header ${inside}\n`);
    r.push('stdout', `url ${Buffer.from(TOKEN).toString('base64url')}\n`);
    expect(written()).not.toContain(core);
    expect(written()).toMatch(/^header QmVhcmVyIG[A-Za-z0-9+/]{0,4}\*\*\*[A-Za-z0-9+/=]{0,8}\n/);
    expect(written()).toContain('url ***\n');
  });

  it('holds back the beginning of a secret that arrives in pieces, and scrubs it whole', () => {
    const { r, advance, written } = relay([PASSWORD]);
    r.push('stdout', `password: ${PASSWORD.slice(0, 10)}`);
    advance(PARTIAL_LINE_MS);
    expect(written()).toBe('password: ');
    r.push('stdout', PASSWORD.slice(10));
    advance(PARTIAL_LINE_MS);
    r.push('stdout', ' end\n');
    expect(written()).toBe('password: *** end\n');
  });

  it('scrubs a token up to its signature: the progress dots after it stay, written in pieces too', () => {
    const { r, advance, written } = relay();
    r.push('stdout', `got ${TOKEN}...`);
    r.push('stdout', '.. done\n');
    r.push('stdout', `got ${TOKEN.slice(0, 50)}`);
    advance(PARTIAL_LINE_MS);
    r.push('stdout', `${TOKEN.slice(50)}....`);
    advance(PARTIAL_LINE_MS);
    r.push('stdout', '\n');
    expect(written()).toBe('got ***..... done\ngot ******....\n');
  });

  it('scrubs a token arriving in pieces from its header on, each piece as it comes', () => {
    const { r, advance, written } = relay();
    r.push('stdout', `token: ${TOKEN.slice(0, 30)}`);
    advance(PARTIAL_LINE_MS);
    r.push('stdout', TOKEN.slice(30));
    advance(PARTIAL_LINE_MS);
    r.push('stdout', ' end\n');
    expect(written()).toBe('token: ****** end\n');
  });

  it('scrubs the beginning of a secret left unfinished when the stream ends, and ends the line', () => {
    const { r, written } = relay([PASSWORD]);
    r.push('stdout', `cut ${PASSWORD.slice(0, 12)}`);
    r.end('stdout');
    expect(written()).toBe('cut ***\n');
  });

  it('compiles its patterns ahead (warm) with no secret or several, and scrubs as before', () => {
    const none = relay([]);
    none.r.warm();
    none.r.push('stdout', 'nothing secret\n');
    expect(none.written()).toBe('nothing secret\n');
    const { r, written } = relay([TOKEN, PASSWORD]);
    r.warm();
    r.push('stdout', `${PASSWORD} and ${TOKEN}.`);
    r.end('stdout');
    expect(written()).toBe('*** and ***.\n');
  });

  it('scrubs a secret added later, from the next line on', () => {
    const { r, written } = relay([]);
    r.push('stdout', `${TOKEN}\n`);
    r.addSecret(TOKEN);
    r.push('stdout', `${TOKEN}\n`);
    expect(written()).toBe(`${TOKEN}\n***\n`);
  });

  it('scrubs every token ever minted, by the header they share, however many there were', () => {
    const { r, written } = relay([]);
    const tokens = Array.from({ length: 1000 }, (_, i) => jwt({ jti: `t${i}`, exp: 1999999999 }));
    for (const token of tokens) r.addSecret(token);
    r.push('stdout', `first ${tokens[0]} last ${tokens[999]}\n`);
    r.push('stdout', `${Buffer.from(`Bearer ${tokens[1]}`).toString('base64url')}\n`);
    // What shows of the base64 is "Bearer " and the header's first byte, nothing of a token's own.
    expect(written()).toMatch(/^first \*\*\* last \*\*\*\nQmVhcmVyIG[A-Za-z0-9_-]{0,4}\*\*\*\n$/);
  });

  it.each([
    ['base64 (76 columns, LF)', 76, '\n'],
    ['openssl base64 (64 columns)', 64, '\n'],
    ['4 columns, CRLF', 4, '\r\n'],
    ['1 column, CR', 1, '\r']
  ])('scrubs line-wrapped base64 of a token: %s', (_name, width, end) => {
    const { r, written } = relay();
    const wrapped = (
      Buffer.from(`Authorization: Bearer ${TOKEN}`)
        .toString('base64')
        .match(new RegExp(`.{1,${width}}`, 'g')) ?? []
    ).join(end);
    r.push('stdout', `${wrapped}${end}done.\n`);
    // The core at the alignment the stream puts it (22 bytes before the token): the old check took
    // another alignment, which never shows, so it could not fail.
    expect(shownCore(written(), TOKEN)).toEqual([]);
    expect(written()).toContain('done.\n');
  });

  it.each([
    ['a read that ends between CR and LF', '\r\n', (text: string) => text.indexOf('\n') + 0],
    ['a line whose LF comes in a write of its own', '\n', (text: string) => text.indexOf('\n')],
    ['a line whose CR comes in a write of its own', '\r', (text: string) => text.indexOf('\r')]
  ])('scrubs line-wrapped base64 of a token cut at %s', (_how, end, cutAt) => {
    const { r, advance, written } = relay();
    const wrapped = `${(
      Buffer.from(TOKEN)
        .toString('base64')
        .match(/.{1,16}/g) ?? []
    ).join(end)}${end}done.${end}`;
    // Every line after the header's is cut from its end, and the cut part waits past the hold for
    // unfinished lines, as a slow writer's or a full pipe's would.
    const first = cutAt(wrapped);
    const pieces = [wrapped.slice(0, first)];
    let rest = wrapped.slice(first);
    while (rest.length > 0) {
      const next = rest.indexOf(end, end.length);
      const at = next < 0 ? rest.length : next;
      pieces.push(rest.slice(0, end.length), rest.slice(end.length, at));
      rest = rest.slice(at);
    }
    for (const piece of pieces.filter(piece => piece !== '')) {
      r.push('stdout', piece);
      advance(PARTIAL_LINE_MS);
    }
    expect(shownCore(written(), TOKEN)).toEqual([]);
    expect(written()).toContain('done.');
  });

  it('scrubs line-wrapped base64 of a token however its output is cut and paced (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          width: fc.integer({ min: 1, max: 100 }),
          end: fc.constantFrom('\n', '\r\n', '\r'),
          alphabet: fc.constantFrom('base64', 'base64url'),
          lead: fc.string({ maxLength: 5, unit: fc.constantFrom('a', 'B', ' ', ':') }),
          jti: fc.string({ minLength: 1, maxLength: 40 }),
          cuts: fc.array(fc.nat(), { maxLength: 12 }),
          // Cuts next to a line end: before it, inside a CRLF, after it.
          nearEnds: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 })), { maxLength: 6 }),
          pauses: fc.array(fc.boolean(), { maxLength: 20 })
        }),
        ({ width, end, alphabet, lead, jti, cuts, nearEnds, pauses }) => {
          const token = jwt({ token_type: 'access', jti });
          const { r, advance, written } = relay([token]);
          const encoded = Buffer.from(`${lead}${token}`).toString(alphabet);
          const lines = encoded.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
          const text = `${lines.join(end)}${end}done.${end}`;
          const ends = [...text.matchAll(/[\r\n]/g)].map(match => match.index);
          const points = new Set(cuts.map(cut => cut % text.length));
          for (const [which, offset] of nearEnds) {
            points.add(Math.min(text.length, Math.max(0, ends[which % ends.length] + offset + 1)));
          }
          const sorted = [...points].sort((a, b) => a - b);
          let from = 0;
          sorted.concat(text.length).forEach((to, i) => {
            if (to <= from) return;
            r.push('stdout', text.slice(from, to));
            if (pauses[i % Math.max(1, pauses.length)]) advance(PARTIAL_LINE_MS);
            from = to;
          });
          expect(shownCore(written(), token)).toEqual([]);
        }
      ),
      { numRuns: 400, seed: 19 }
    );
  });

  it('never builds a pattern that fails: a JWT with a 40,000-character header is scrubbed', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'k'.repeat(30_000) })).toString(
      'base64url'
    );
    const token = `${header}.${Buffer.from('{"exp":1}').toString('base64url')}.c2ln`;
    const { r, written } = relay([token]);
    r.push('stdout', `a ${token} b ${Buffer.from(token).toString('base64')}\n`);
    expect(written()).toBe('a *** b ***\n');
  });

  it('never builds a pattern that fails: a 30,000-character token and a 1 MB secret are scrubbed', () => {
    const long = jwt({ pad: 'x'.repeat(23_000) });
    expect(long.length).toBeGreaterThan(30_000);
    const huge = 'p'.repeat(1024 * 1024);
    const { r, written } = relay([long, huge]);
    r.push('stdout', `a ${long} b ${huge} c ${Buffer.from(huge).toString('base64')}\n`);
    expect(written()).toBe('a *** b *** c ***\n');
  });
});

describe("the relay and the command's workflow commands", () => {
  const taken = (output: string) => judge(Buffer.from(output, 'latin1'), []);

  it('looks closer at exactly the lines the case-blind pattern finds `command` or `mask` in, whatever their characters', () => {
    // MAY_MATTER spells the case out, for speed; it must pick the same lines as the /i pattern,
    // so that a line it lets through unread can hold no stop-commands and no add-mask.
    const caseBlind = /command|ma(?:s|\xC5\xBF)k/i;
    // Letters of both words in both cases, their look-alikes (`ſ`, `K` as Kelvin, `İ`, `ı`, in
    // latin1 text as their UTF-8 bytes and as characters), and latin1's other letters.
    const unit = fc.constantFrom(
      ...'commandCOMMANDmaskMASKsSkK',
      '\xC5\xBF',
      '\xC5',
      '\xBF',
      'ſ',
      'K',
      'İ',
      'ı',
      '\xE2\x84\xAA',
      ...'µÿÀàÅåÆæÇçÐðÑñ',
      ' '
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 24 }), units => {
        const text = units.join('');
        expect(MAY_MATTER.test(text)).toBe(caseBlind.test(text));
      }),
      { numRuns: 5000 }
    );
    for (const text of ['Command', 'cOmMaNd', 'MA\xC5\xBFK', 'mAsK', 'maſk', 'comand', 'mak']) {
      expect(MAY_MATTER.test(text)).toBe(caseBlind.test(text));
    }
  });

  it('puts a mark that neither .NET trims nor ICU ignores', () => {
    const mark = Buffer.from(NEUTRAL, 'latin1').toString('utf8');
    expect(DOTNET_WHITESPACE).not.toContain(mark);
    expect(icuIgnores(mark)).toBe(false);
  });

  it.each([
    ['after a lone CR', 'progress 40%\r::stop-commands::abc\n'],
    ['after a no-break space', '\u00A0::stop-commands::abc\n'],
    ['after U+0085', '\u0085::stop-commands::abc\n'],
    ['after U+200B, which ICU ignores', '\u200B::stop-commands::abc\n'],
    ['in the legacy form anywhere in a line', 'note ##[stop-commands]abc\n'],
    ['in capitals and with a long s', '::STOP-COMMANDſ::abc\n'],
    ['with a token the resume line never matches', '::stop-commands::x::y\n'],
    ['with ICU-ignored characters between the colons', '::stop-commands:\u200B:abc\n']
  ])('shows a stop-commands %s as text, and the action commands still work', (_how, line) => {
    const { r, written } = relay([]);
    r.push('stdout', Buffer.from(line).toString('latin1'));
    const before = written();
    const own = r.own('::add-mask::s3cr3t-value\n');
    r.push('stdout', 's3cr3t-value\n');
    const judged = taken(before + own + written().slice(before.length));
    expect(judged.masks).toEqual(['s3cr3t-value']);
    expect(judged.log).not.toContain('s3cr3t-value');
  });

  it('shows a stop-commands split across writes with a pause as text', () => {
    const { r, advance, written } = relay([]);
    r.push('stdout', '::stop-comm');
    advance(5 * PARTIAL_LINE_MS);
    r.push('stdout', 'ands::abc\n');
    expect(taken(written()).log).toContain('::stop-comm');
    expect(taken(`${written()}::error::boom\n`).errors).toEqual(['boom']);
  });

  it("shows the command's commands as text while it has them stopped, add-mask aside, until the runner's resume", () => {
    const { r, written } = relay([]);
    r.push('stdout', '::stop-commands::abc\n::error::not now\n::add-mask::hidden-1\n');
    r.push('stdout', '##[warning]not now\n::abc x::\n::error::now\nhidden-1\n');
    const judged = taken(written());
    expect(judged.errors).toEqual(['now']);
    expect(judged.warnings).toEqual([]);
    expect(judged.masks).toEqual(['hidden-1']);
    expect(judged.log).toContain('::error::not now');
    expect(judged.log).not.toContain('hidden-1');
  });

  it("keeps the command's add-mask whole when the other stream writes while it is unfinished", () => {
    const { r, advance, written } = relay([]);
    r.push('stdout', '::add-ma');
    advance(5 * PARTIAL_LINE_MS);
    r.push('stderr', 'warning: slow\n');
    r.push('stdout', 'sk::hidden-2\nhidden-2\n');
    const judged = taken(written());
    expect(judged.masks).toEqual(['hidden-2']);
    expect(judged.log).not.toContain('hidden-2');
  });

  it.each([
    ['two spaces', '  '],
    ['300 spaces', ' '.repeat(300)],
    ['a no-break space and a tab', '\xC2\xA0\t']
  ])(
    "keeps the command's add-mask whole after %s written first, when the other stream writes while it is unfinished",
    (_how, lead) => {
      const { r, advance, written } = relay([]);
      r.push('stdout', lead);
      advance(3 * PARTIAL_LINE_MS);
      r.push('stdout', '::add-mask::secr');
      advance(3 * PARTIAL_LINE_MS);
      r.push('stderr', 'x\n');
      advance(2 * PARTIAL_LINE_MS);
      r.push('stdout', 'etvalue42\n');
      r.push('stdout', 'the value: secretvalue42\n');
      const judged = taken(written());
      expect(judged.masks).toEqual(['secretvalue42']);
      expect(judged.log).not.toContain('etvalue42');
    }
  );

  it("puts the command's add-mask on stderr before the stdout line it just printed the value on, as the runner's batch does", () => {
    const { r, written } = relay([]);
    r.push('stdout', 'topsecretvalue42\n');
    r.push('stderr', '::add-mask::topsecretvalue42\n');
    const judged = judge(Buffer.from(written(), 'latin1'), [
      { label: 'masked', value: 'topsecretvalue42' }
    ]);
    expect(judged.masks).toEqual(['topsecretvalue42']);
    expect(judged.leaks).toEqual([]);
  });

  it('reads the masks the command wrote on stderr before the held stdout lines go, however late in their hold the later lines came', () => {
    const chunks: string[] = [];
    const timers: (() => void)[] = [];
    // What the command has written on stderr that the relay has not read yet.
    let unread = '';
    const r: OutputRelay = new OutputRelay(
      {
        write: text => chunks.push(text),
        setTimer: (_ms, run) => timers.push(run),
        clearTimer: () => {},
        unread: source => {
          const text = source === 'stderr' ? unread : '';
          if (source === 'stderr') unread = '';
          return { text, ended: false };
        }
      },
      []
    );
    r.push('stdout', 'first line\n');
    // Read at the end of the first line's hold, while the relay is behind on stderr.
    unread = '::add-mask::topsecretvalue42\n';
    r.push('stdout', 'the value topsecretvalue42\n');
    expect(timers).toHaveLength(1);
    timers[0]();
    const judged = judge(Buffer.from(chunks.join(''), 'latin1'), [
      { label: 'masked', value: 'topsecretvalue42' }
    ]);
    expect(judged.masks).toEqual(['topsecretvalue42']);
    expect(judged.leaks).toEqual([]);
    expect(judged.log).toContain('the value ***');
  });

  it('scrubs the stdout lines still held of the encodings of a value the command masks on stderr, a held add-mask of another value kept whole', () => {
    const { r, advance, written } = relay([]);
    // A JWT whose header the relay does not know, and a password: wrapped base64, base64url.
    const other = `eyJhbGciOiJSUzI1NiIsImtpZCI6Im9pZGMtMSJ9.${Buffer.from('{"sub":"repo:acme/app"}').toString('base64url')}.c2lnbmF0dXJlLW9mLXRoZS1vaWRjLXRva2Vu`;
    const password = 'correct horse battery staple';
    const wrapped = (
      Buffer.from(other)
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\n');
    r.push('stdout', '::add-mask::earlier-value-1\n');
    r.push('stdout', `${wrapped}\npw: ${Buffer.from(password).toString('base64url')}\n`);
    advance(5);
    r.push('stderr', `::add-mask::${other}\n`);
    r.push('stderr', `::add-mask::${password}\n`);
    advance(100);
    const shown = written();
    expect(shownCore(shown, other)).toEqual([]);
    expect(shown).not.toContain(Buffer.from(password).toString('base64url').slice(0, 12));
    expect(shown).toContain('::add-mask::earlier-value-1\n');
    expect(shown).toContain('pw: ***\n');
  });

  it.each([
    [
      'wrapped base64',
      (token: string) =>
        `${(
          Buffer.from(token)
            .toString('base64')
            .match(/.{1,76}/g) ?? []
        ).join('\n')}\n`
    ],
    [
      'base64 of a Bearer header',
      (token: string) => `${Buffer.from(`Bearer ${token}`).toString('base64')}\n`
    ],
    ['raw', (token: string) => `id-token: ${token}\n`]
  ])(
    'scrubs the rest of a token the command masks after its output began it (%s), whatever the cut',
    (_form, print) => {
      const other = `eyJhbGciOiJSUzI1NiIsImtpZCI6Im9pZGMtMSJ9.${Buffer.from('{"sub":"repo:acme/app"}').toString('base64url')}.c2lnbmF0dXJlLW9mLXRoZS1vaWRjLXRva2Vu`;
      const line = print(other);
      for (let cut = 1; cut < line.length - 1; cut++) {
        const { r, advance, written } = relay();
        // The beginning is written before the mask (an unfinished line after 100 ms).
        r.push('stdout', line.slice(0, cut));
        advance(PARTIAL_LINE_MS);
        const before = written().length;
        r.push('stderr', `::add-mask::${other}\n`);
        r.push('stdout', line.slice(cut));
        advance(PARTIAL_LINE_MS);
        // What was written after the beginning, the mask's own line aside.
        const after = written().slice(before).replace(`::add-mask::${other}\n`, '');
        // After the mask only what the beginning could not yet tell from other text: a prefix
        // ("Bearer ey", "id-token: ") before the ***, nothing of the token's own.
        expect(shownCore(after, other)).toEqual([]);
        const rawCore = other.slice(other.indexOf('.') + 1);
        for (let at = 0; at + 12 <= rawCore.length; at++) {
          expect(after).not.toContain(rawCore.slice(at, at + 12));
        }
        expect(after).toContain('***');
        expect(after.replace(/^[^*]*/, '').replace(/\*\*\*|[\r\n]/g, '')).toBe('');
      }
    }
  );

  it('scrubs a value the command masks itself from what it still holds and all it writes later, on both streams', () => {
    const { r, advance, written } = relay([]);
    r.push('stdout', 'value: topsecr');
    r.push('stderr', '##[add-mask]topsecretvalue42\n');
    r.push('stdout', 'etvalue42 end\n');
    advance(PARTIAL_LINE_MS);
    r.push('stderr', 'again: topsecretvalue42\n');
    expect(written()).toBe('##[add-mask]topsecretvalue42\nvalue: *** end\nagain: ***\n');
  });

  it('writes an unfinished line that could be a command once it outgrows 64 KiB, so nothing piles up', () => {
    const { r, advance, written } = relay([]);
    r.push('stdout', '::');
    advance(5 * PARTIAL_LINE_MS);
    expect(written()).toBe('');
    r.push('stdout', 'x'.repeat(70_000));
    expect(written()).toBe(`::${'x'.repeat(70_000)}`);
  });

  it("ends the command's unfinished last line, so the action's closing error is an annotation", () => {
    const { r, advance, written } = relay([]);
    r.push('stdout', 'progress 99%');
    advance(PARTIAL_LINE_MS);
    r.end('stdout');
    r.end('stderr');
    expect(taken(`${written()}::error::The command exited with code 1.\n`).errors).toEqual([
      'The command exited with code 1.'
    ]);
  });

  it.each([
    [
      '300 spaces written first, a pause, then the rest',
      [' '.repeat(300), '::stop-commands::tok12345678\n']
    ],
    [
      '140,000 spaces in the same line, read in 64 KiB pieces',
      (() => {
        const line = `${' '.repeat(140_000)}::stop-commands::tok12345678\n`;
        return [line.slice(0, 65_536), line.slice(65_536, 131_072), line.slice(131_072)];
      })()
    ],
    [
      'white space of every kind, 2,000 characters',
      [
        [...DOTNET_WHITESPACE]
          .filter(c => c !== '\n' && c !== '\r')
          .join('')
          .repeat(100)
          .slice(0, 2_000),
        '::stop-commands::tok12345678\n'
      ].map(text => Buffer.from(text).toString('latin1'))
    ]
  ])(
    'shows a stop-commands after any amount of leading white space as text: %s',
    (_how, pieces) => {
      const { r, advance, written } = relay([]);
      for (const piece of pieces) {
        r.push('stdout', piece);
        advance(4 * PARTIAL_LINE_MS);
      }
      expect(taken(`${written()}::error::boom\n`).errors).toEqual(['boom']);
    }
  );

  // Jest's test timeout is the only limit: looking at each `##[` once, this is a moment's work;
  // looking for each one's name end to the end of the text, it was hours.
  it('gets through 3 MB of `##[` in 64 KiB reads, and still sees a legacy stop-commands after them', () => {
    const { r, advance, written } = relay([]);
    const text = `${'##['.repeat(1_000_000)} ##[stop-commands]abc\n`;
    for (let at = 0; at < text.length; at += 65_536) {
      r.push('stdout', text.slice(at, at + 65_536));
      advance(PARTIAL_LINE_MS);
    }
    r.end('stdout');
    expect(written().replaceAll(NEUTRAL, '')).toBe(text);
    expect(taken(`${written()}::error::boom\n`).errors).toEqual(['boom']);
  });

  it('masks a stop token longer than 6 characters first, as the runner would', () => {
    const { r, written } = relay([]);
    r.push('stdout', '::stop-commands::pause-7f3a\npause-7f3a\n');
    expect(taken(written()).log).not.toContain('pause-7f3a');
  });
});

describe("the command's own mask, read in one piece with the lines after it", () => {
  it.each(['stdout', 'stderr'] as const)(
    'scrubs the encodings of a value masked on %s from the lines read with the mask',
    source => {
      const { r, written } = relay();
      const value = 'wxyzQRST7890';
      const encoded = Buffer.from(`.${value}`).toString('base64url');
      r.push(source, `::add-mask::${value}\nencoded ${encoded}\n`);
      const shown = written();
      expect(shown).toContain(`::add-mask::${value}\n`);
      expect(shown).not.toContain(encoded.slice(4, 16));
    }
  );
});
