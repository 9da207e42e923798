import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OutputRelay } from '../src/run/relay.ts';
import { uriEscape } from '../src/run/runner-reading.ts';
import { leadingSpace, noise } from './helpers/command-output.ts';
import {
  CLOSING_ERROR,
  judge,
  plainStepMasks,
  relayScript,
  type Step
} from './helpers/relay-harness.ts';

// Run mode's relay under the runner's own reading (src/run/runner-reading.ts), fed generated
// command output: bytes of every kind mixed with `::`, `##[`, command names in any case, stop and
// resume lines, add-mask, every white-space character of .NET and JavaScript and the characters
// ICU ignores, lone `\r`, invalid UTF-8, writes split anywhere with pauses between, both streams,
// and tokens (minted and given) in every form the README promises to scrub. The fixed seed runs
// every time; a second, shorter run draws a fresh seed, named in the test's title to replay it
// (`seed` in fc.assert).

/** What the relay inserts to show a command line as text (U+2800, as UTF-8 bytes read as latin1). */
const MARK = Buffer.from('\u2800').toString('latin1');
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** Given as inputs: the refresh token (a JWT) and a password with characters every escape touches. */
const REFRESH = `${HEADER}.${Buffer.from('{"token_type":"refresh","exp":1999999999,"jti":"5f0c"}').toString('base64url')}.cmVmcmVzaC1zaWduYXR1cmUtdmFsdWU`;
const PASSWORD = `p@ss w0rd&+"'<>%é`;
const GIVEN = [REFRESH, PASSWORD];
const FRESH_SEED = Date.now() % 2 ** 31;

const utf8 = (text: string) => Buffer.from(text, 'utf8');

type Plan =
  | { kind: 'noise'; source: 'stdout' | 'stderr'; pieces: Buffer[] }
  | { kind: 'mint'; jti: string; signature: string }
  | {
      kind: 'mask';
      source: 'stdout' | 'stderr';
      value: string;
      /** White space before the `::add-mask::`, written on its own first. */
      lead: string;
      /** Where the line is cut after the lead, and whether the other stream writes in the cut. */
      cut: number;
      interleave: boolean;
      /** Whether the value is printed on stdout just before it is masked on stderr. */
      before: boolean;
    }
  | {
      kind: 'print';
      source: 'stdout' | 'stderr';
      which: number;
      form: number;
      shift: number;
      width: number;
      crlf: boolean;
    };

const source = fc.constantFrom('stdout' as const, 'stderr' as const);
const plan: fc.Arbitrary<Plan> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('noise' as const),
      source,
      pieces: fc.array(noise, { maxLength: 8 })
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mint' as const),
      jti: fc.stringMatching(/^[0-9a-f]{8,32}$/),
      signature: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mask' as const),
      source,
      value: fc.stringMatching(/^[A-Za-z0-9]{10,16}$/).map(v => `V${v}`),
      lead: fc.oneof(fc.constant(''), leadingSpace),
      cut: fc.nat(),
      interleave: fc.boolean(),
      before: fc.boolean()
    })
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('print' as const),
      source,
      which: fc.nat(),
      form: fc.nat({ max: 7 }),
      shift: fc.nat({ max: 2 }),
      width: fc.integer({ min: 4, max: 100 }),
      crlf: fc.boolean()
    })
  }
);

/** A form the README promises to scrub, inside some text. */
function printed(secret: string, p: Extract<Plan, { kind: 'print' }>): string {
  const shifted = Buffer.concat([
    Buffer.from('xyz'.slice(0, p.shift)),
    utf8(`Bearer ${secret}`),
    utf8('!')
  ]);
  switch (p.form) {
    case 0:
      return `token ${secret} end`;
    case 1:
      return `b64 ${shifted.toString('base64')} end`;
    case 2:
      return `b64 ${shifted.toString('base64').replace(/=+$/, '')}`;
    case 3:
      return `url ${shifted.toString('base64url')}.`;
    case 4:
      return `json "${JSON.stringify(secret).slice(1, -1)}"`;
    case 5:
      return `uri ${uriEscape(secret)}&`;
    default: {
      // Line-wrapped base64 (`base64`, `openssl base64`, Python's encodebytes), tokens only.
      const text = shifted.toString('base64');
      const lines = text.match(new RegExp(`.{1,${p.width}}`, 'g')) ?? [];
      return lines.join(p.crlf ? '\r\n' : '\n');
    }
  }
}

/** Splits each write at generated places, with generated pauses between the pieces. */
const cutting = fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 0, 1, 50, 99, 100, 150, 300)), {
  maxLength: 4
});

interface Built {
  script: Step[];
  minted: string[];
  masked: string[];
}

function build(plans: Plan[], cuts: [number, number][][]): Built {
  const script: Step[] = [];
  const minted: string[] = [];
  const masked: string[] = [];
  const write = (source: 'stdout' | 'stderr', bytes: Buffer, index: number) => {
    const places = cuts[index % cuts.length]
      .map(([at, pauseMs]) => [at % (bytes.length + 1), pauseMs])
      .sort((a, b) => a[0] - b[0]);
    let from = 0;
    for (const [at, pauseMs] of places) {
      script.push({ kind: 'write', source, bytes: bytes.subarray(from, at), pauseMs });
      from = at;
    }
    script.push({ kind: 'write', source, bytes: bytes.subarray(from), pauseMs: 0 });
  };
  plans.forEach((p, index) => {
    if (p.kind === 'noise') write(p.source, Buffer.concat(p.pieces), index);
    else if (p.kind === 'mint') {
      const claims = Buffer.from(
        JSON.stringify({ token_type: 'access', exp: 1999999999, jti: p.jti })
      ).toString('base64url');
      const token = `${HEADER}.${claims}.${p.signature}`;
      minted.push(token);
      script.push({ kind: 'mint', token });
    } else if (p.kind === 'mask') {
      masked.push(p.value);
      const other = p.source === 'stdout' ? 'stderr' : 'stdout';
      // A line of its own, its lead written first and the rest cut in two (the other stream may
      // write in the cut), then the value printed later on the same stream.
      script.push({ kind: 'write', source: p.source, bytes: utf8(`\n${p.lead}`), pauseMs: 300 });
      const line = utf8(`::add-mask::${p.value}\n`);
      const at = p.cut % line.length;
      script.push({ kind: 'write', source: p.source, bytes: line.subarray(0, at), pauseMs: 300 });
      if (p.interleave)
        script.push({ kind: 'write', source: other, bytes: utf8('x\n'), pauseMs: 200 });
      // Printed on stdout just before the mask's line ends on stderr: the runner's batch puts
      // stderr first, and the relay holds whole stdout lines STDOUT_HOLD_MS for that.
      if (p.before && p.source === 'stderr') {
        script.push({ kind: 'write', source: 'stdout', bytes: utf8(`\n${p.value}\n`), pauseMs: 0 });
      }
      script.push({ kind: 'write', source: p.source, bytes: line.subarray(at), pauseMs: 0 });
      write(p.source, utf8(`some output\nthe value is ${p.value}.\n`), index);
    } else {
      const secrets = [...minted, REFRESH, ...(p.form < 6 ? [PASSWORD] : [])];
      write(p.source, utf8(`\n${printed(secrets[p.which % secrets.length], p)}\n`), index);
    }
  });
  return { script, minted, masked };
}

/**
 * Every place a base64 core of a token (at each alignment, either alphabet) survives, lines
 * joined, and every place its payload or signature shows on its own.
 */
function wrappedLeaks(log: string, tokens: string[]): string[] {
  const joined = log.replace(/[\r\n]/g, '');
  const found: string[] = [];
  for (const token of tokens) {
    const [, payload, signature] = token.split('.');
    if (joined.includes(payload)) found.push(`${token.slice(0, 6)}… payload`);
    if (joined.includes(signature)) found.push(`${token.slice(0, 6)}… signature`);
    const bytes = utf8(token);
    for (let shift = 0; shift <= 2; shift++) {
      const part = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3);
      for (const core of [part.toString('base64'), part.toString('base64url')]) {
        if (joined.includes(core)) found.push(`${token.slice(0, 6)}… at shift ${shift}`);
      }
    }
  }
  return found;
}

/**
 * The marks the relay inserts to show a line as text, removed from both texts: before the `:` or
 * `[` of the command, or where a line written in pieces continues, inside its name.
 */
const unmarked = (text: string) => text.replaceAll(MARK, '');

function check(plans: Plan[], cuts: [number, number][][]): void {
  const { script, minted, masked } = build(plans, cuts);
  const relayed = relayScript(GIVEN, script);
  const plain = new Set(plainStepMasks(script));
  const secrets = [
    ...GIVEN.map((value, i) => ({ label: `given ${i}`, value })),
    ...minted.map((value, i) => ({ label: `token ${i}`, value })),
    // (c) only the values a plain run: step would have masked.
    ...masked.filter(value => plain.has(value)).map(value => ({ label: `masked ${value}`, value }))
  ];
  const judged = judge(relayed.output, secrets);
  // (a), (c): nothing the runner shows holds a token, a given secret or a masked value.
  expect(judged.leaks).toEqual([]);
  expect(wrappedLeaks(judged.log, [...minted, REFRESH])).toEqual([]);
  // (b): the action's own commands took effect.
  for (const token of minted) expect(judged.masks).toContain(token);
  expect(judged.errors).toContain(CLOSING_ERROR);
  // (d): each stream's bytes, in order, with only scrubbed spans (`***`) and marks differing.
  for (const stream of ['stdout', 'stderr'] as const) {
    const sent = Buffer.concat(
      script.flatMap(step => (step.kind === 'write' && step.source === stream ? [step.bytes] : []))
    ).toString('latin1');
    expect(withScrubbedSpans(unmarked(sent), unmarked(relayed.streams[stream]))).toBe(true);
  }
}

/**
 * Whether `relayed` is `sent` with some non-empty spans each replaced by `***`: its parts appear
 * in `sent` in order, with a gap between each two, the first at the start and the last at the
 * end. Each part taken at its earliest place leaves the most room for the rest.
 */
function withScrubbedSpans(sent: string, relayed: string): boolean {
  const parts = relayed.split('***');
  const last = parts.length - 1;
  if (last === 0) return sent === relayed;
  if (!sent.startsWith(parts[0])) return false;
  let at = parts[0].length;
  for (const part of parts.slice(1, last)) {
    const found = sent.indexOf(part, at + 1);
    if (found < 0) return false;
    at = found + part.length;
  }
  return sent.endsWith(parts[last]) && sent.length - parts[last].length > at;
}

const scripts = fc.tuple(
  fc.array(plan, { minLength: 1, maxLength: 14 }),
  fc.array(cutting, { minLength: 1, maxLength: 6 })
);

const bytes = (text: string) => Buffer.from(text, 'latin1');
const mint = {
  kind: 'mint' as const,
  jti: 'a00aa0aa',
  signature: 'a0A0-a0__-a0__AAa_AA_A0-a_-Aa_--Aa--__--0_0'
};
const print = (which: number, form: number, shift: number): Plan => ({
  kind: 'print',
  source: 'stdout',
  which,
  form,
  shift,
  width: 4,
  crlf: false
});
/** What this fuzzer found on the relay before it carried out stop-commands itself (shrunk). */
const FOUND_ON_THE_OLD_RELAY: [[Plan[], [number, number][][]]][] = [
  // The legacy stop-commands anywhere in a line: the next token's add-mask is logged as text.
  [
    [
      [{ kind: 'noise', source: 'stdout', pieces: [bytes('text ##[stop-commands]abc\n')] }, mint],
      [[]]
    ]
  ],
  // The same: the action's closing error is lost.
  [[[{ kind: 'noise', source: 'stdout', pieces: [bytes('text ##[stop-commands]abc\n')] }], [[]]]],
  // U+2004 (.NET white space, UTF-8) before ::stop-commands: the closing error is lost.
  [
    [
      [
        {
          kind: 'noise',
          source: 'stdout',
          pieces: [bytes('\xE2\x80\x84::stop-commands::message\n')]
        }
      ],
      [[]]
    ]
  ],
  // The refresh token in base64 wrapped at 4 columns: unscrubbed.
  [[[print(0, 6, 0)], [[]]]],
  // The password in base64url inside a longer text, after the token: unscrubbed.
  [
    [
      [print(0, 0, 0), print(1, 3, 2), print(0, 0, 0)],
      [[], [], [[350349841, 300]], []]
    ]
  ]
];

describe('the relay under the runner reading, fuzzed', () => {
  it('keeps every token and masked value out of the log, and every action command working (fixed seed)', () => {
    fc.assert(
      fc.property(scripts, ([plans, cuts]) => check(plans, cuts)),
      { seed: 19, numRuns: 400, examples: FOUND_ON_THE_OLD_RELAY }
    );
  });

  it(`does the same for a fresh seed: ${FRESH_SEED}`, () => {
    fc.assert(
      fc.property(scripts, ([plans, cuts]) => check(plans, cuts)),
      { seed: FRESH_SEED, numRuns: 100 }
    );
  });
});

/**
 * The command writes each masked value's `::add-mask::` on one stream before the line that prints
 * it on the other, into two pipes; the relay reads them in pieces, in any order, and its timers
 * fall due only when the event loop comes back (`late`), however far behind on a stream it is.
 */
type Act =
  | { kind: 'write'; masked: boolean; maskOn: 'stdout' | 'stderr' }
  | { kind: 'read'; source: 'stdout' | 'stderr'; bytes: number }
  | { kind: 'late' };

const acts = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('write' as const),
        masked: fc.boolean(),
        maskOn: source
      })
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        source,
        bytes: fc.integer({ min: 1, max: 120 })
      })
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'late' as const }) }
  ),
  { maxLength: 60 }
);

/**
 * How the command ends: maybe a last mask on one stream without a line end (the runner reads a
 * stream's last unfinished line as a line) and its value on the other; then both pipes close, the
 * timers maybe fall due, and the relay hears one stream end first.
 */
interface Ending {
  lastMaskOn: 'stdout' | 'stderr' | undefined;
  late: boolean;
  first: 'stdout' | 'stderr';
}

const endings: fc.Arbitrary<Ending> = fc.record({
  lastMaskOn: fc.option(source, { nil: undefined }),
  late: fc.boolean(),
  first: source
});

function lateRelay(
  plan: Act[],
  ending: Ending,
  suffix: string
): { output: Buffer; values: string[] } {
  const chunks: string[] = [];
  const timers = new Map<number, () => void>();
  let id = 0;
  const pipes = { stdout: '', stderr: '' };
  const take = (from: 'stdout' | 'stderr', bytes = Infinity) => {
    const text = pipes[from].slice(0, bytes);
    pipes[from] = pipes[from].slice(text.length);
    return text;
  };
  const read = (from: 'stdout' | 'stderr', bytes = Infinity) => {
    const text = take(from, bytes);
    if (text) relay.push(from, text);
  };
  const relay: OutputRelay = new OutputRelay(
    {
      write: text => chunks.push(text),
      setTimer: (_ms, run) => {
        timers.set(++id, run);
        return id;
      },
      clearTimer: handle => timers.delete(handle as number),
      unread: from => ({ text: take(from), ended: closed })
    },
    []
  );
  const values: string[] = [];
  let closed = false;
  const late = () => {
    for (const [key, run] of [...timers]) {
      timers.delete(key);
      run();
    }
  };
  const mask = (on: 'stdout' | 'stderr', lineEnd: string) => {
    const value = `q${values.length}v${suffix}`;
    values.push(value);
    pipes[on] += `::add-mask::${value}${lineEnd}`;
    pipes[on === 'stdout' ? 'stderr' : 'stdout'] += `the value ${value}\n`;
  };
  for (const act of plan) {
    if (act.kind === 'read') read(act.source, act.bytes);
    else if (act.kind === 'late') late();
    else if (act.masked) mask(act.maskOn, '\n');
    else {
      pipes.stdout += 'a line of no secret\n';
      pipes.stderr += 'a note\n';
    }
  }
  if (ending.lastMaskOn) mask(ending.lastMaskOn, '');
  closed = true;
  if (ending.late) late();
  const second: 'stdout' | 'stderr' = ending.first === 'stdout' ? 'stderr' : 'stdout';
  for (const stream of [ending.first, second]) {
    read(stream);
    relay.end(stream);
  }
  return { output: Buffer.from(chunks.join(''), 'latin1'), values };
}

describe('the relay behind on a stream', () => {
  it('keeps out of the log every value masked on one stream before the other prints it, whenever its timers come', () => {
    fc.assert(
      fc.property(acts, endings, fc.stringMatching(/^[a-z0-9]{6,12}$/), (plan, ending, suffix) => {
        const { output, values } = lateRelay(plan, ending, suffix);
        const judged = judge(
          output,
          values.map(value => ({ label: value, value }))
        );
        expect(judged.leaks).toEqual([]);
        // Every mask reaches the runner as one; held stdout lines go after stderr's.
        expect([...judged.masks].sort()).toEqual([...values].sort());
      }),
      { seed: 20261208, numRuns: 300 }
    );
  });
});
