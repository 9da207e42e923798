import { describe, expect, it } from '@jest/globals';
import { OutputRelay, PARTIAL_LINE_MS, secretForms } from '../src/run/relay.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJlLXZhbHVl';

/** A relay with virtual timers; `written` is what reached the step's stdout. */
function relay(secrets: string[] = [TOKEN]) {
  let written = '';
  let now = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  let id = 0;
  const r = new OutputRelay(
    {
      write: text => {
        written += text;
      },
      setTimer: (ms, run) => {
        timers.set(++id, { at: now + ms, run });
        return id;
      },
      clearTimer: handle => timers.delete(handle as number)
    },
    secrets
  );
  const advance = (ms: number) => {
    now += ms;
    for (const [key, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > now) continue;
      timers.delete(key);
      timer.run();
    }
  };
  return { r, advance, written: () => written };
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
    const { r, advance, written } = relay();
    r.push('stdout', `token: ${TOKEN.slice(0, 30)}`);
    advance(PARTIAL_LINE_MS);
    expect(written()).toBe('token: ');
    r.push('stdout', TOKEN.slice(30));
    advance(PARTIAL_LINE_MS);
    r.push('stdout', ' end\n');
    expect(written()).toBe('token: *** end\n');
  });

  it('scrubs the beginning of a secret left unfinished when the stream ends', () => {
    const { r, written } = relay();
    r.push('stdout', `cut ${TOKEN.slice(0, 40)}`);
    r.end('stdout');
    expect(written()).toBe('cut ***');
  });

  it('scrubs a secret added later, from the next line on', () => {
    const { r, written } = relay([]);
    r.push('stdout', `${TOKEN}\n`);
    r.addSecret(TOKEN);
    r.push('stdout', `${TOKEN}\n`);
    expect(written()).toBe(`${TOKEN}\n***\n`);
  });

  it("resumes commands around the action's line while the command has stopped them, and stops them again", () => {
    const { r, written } = relay();
    r.push('stdout', '::stop-commands::pause-7f3a\n');
    expect(r.own('::add-mask::value\n')).toBe(
      '::pause-7f3a::\n::add-mask::value\n::stop-commands::pause-7f3a\n'
    );
    r.push('stderr', '::pause-7f3a::\n');
    expect(r.own('::add-mask::value\n')).toBe('::add-mask::value\n');
    expect(written()).toBe('::stop-commands::pause-7f3a\n::pause-7f3a::\n');
  });
});
