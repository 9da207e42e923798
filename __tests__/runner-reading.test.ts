import { describe, expect, it } from '@jest/globals';
import {
  addMask,
  CommandReader,
  foldName,
  LineReader,
  maskText,
  parseCommand,
  RUNNER_COMMANDS
} from '../src/run/runner-reading.ts';

// The port of how actions/runner reads a node action's output: the judge every relay test leans
// on, so each rule is pinned here against what the runner's source does.

const registered = new Set(RUNNER_COMMANDS.map(foldName));
const read = (line: string) => parseCommand(line, registered);

describe("the runner's line reading (StreamReader.ReadLine)", () => {
  it('ends a line at \\n, \\r\\n and a lone \\r, wherever the writes are split', () => {
    const bytes = Buffer.from('a\rb\r\nc\n\nd');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const reader = new LineReader();
      const lines = [
        ...reader.push(bytes.subarray(0, cut)),
        ...reader.push(bytes.subarray(cut)),
        ...reader.end()
      ];
      expect(lines).toEqual(['a', 'b', 'c', '', 'd']);
    }
  });

  it('decodes UTF-8 with U+FFFD for invalid bytes, and drops a byte order mark at the start only', () => {
    const reader = new LineReader();
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff, 0x0a, 0xef, 0xbb, 0xbf, 0x62, 0x0a]);
    expect(reader.push(bytes)).toEqual(['a\uFFFD', '\uFEFFb']);
  });
});

describe("the runner's command parsing (ActionCommand.TryParseV2, then TryParse)", () => {
  it.each(['\u0085', '\u00A0', '\u2004\u3000', '\t '])(
    'takes a command after .NET white space (%j)',
    space => {
      expect(read(`${space}::error::boom`)).toEqual({ name: 'error', data: 'boom', form: 'v2' });
    }
  );

  it('does not take one after U+FEFF or U+200B, which .NET does not trim: the name lands on a colon', () => {
    expect(read('\uFEFF::error::boom')).toBeUndefined();
    expect(read('\u200B::error::boom')).toBeUndefined();
  });

  it('finds the `::` after the name culture-sensitively: ICU-ignored characters may sit inside it', () => {
    expect(read('::add-mask:\u200B:value')).toEqual({
      name: 'add-mask',
      data: ':value',
      form: 'v2'
    });
  });

  it('ends the name at the first space and compares it ignoring case, ſ and ı included', () => {
    expect(read('::ERROR file=a.ts::boom')?.data).toBe('boom');
    expect(read('::ſtop-commands::abc')?.name).toBe('ſtop-commands');
    expect(read('::notıce::n')?.name).toBe('notıce');
    expect(read('::unknown::x')).toBeUndefined();
  });

  it('finds the legacy ##[name] anywhere in a line, with its own escapes', () => {
    expect(read('progress 40% ##[error]a%5Db%3Bc')).toEqual({
      name: 'error',
      data: 'a]b;c',
      form: 'legacy'
    });
    expect(read('text ::error::not at the start')).toBeUndefined();
  });
});

describe("the runner's stop-commands (ActionCommandManager.cs)", () => {
  it('stops every command until the token, compared ignoring case, ends a name: `::abc x::` resumes', () => {
    const reader = new CommandReader();
    expect(reader.read('::stop-commands::abc')).toEqual({ kind: 'stopped', token: 'abc' });
    expect(reader.read('::add-mask::s3cret')).toEqual({ kind: 'text' });
    expect(reader.read('::ABC x::')).toEqual({ kind: 'resumed' });
    expect(reader.read('::add-mask::s3cret').kind).toBe('command');
  });

  it('never resumes on a token holding `::`, except in the legacy form', () => {
    const reader = new CommandReader();
    reader.read('::stop-commands::x::y');
    expect(reader.read('::x::y::')).toEqual({ kind: 'text' });
    expect(reader.read('##[x::y]')).toEqual({ kind: 'resumed' });
  });

  it.each(['', 'error', 'Add-Mask', 'pause-logging'])('refuses the token %j', token => {
    expect(new CommandReader().read(`::stop-commands::${token}`).kind).toBe('invalid-stop');
  });
});

describe("the runner's masking (AddMaskCommandExtension, SecretMasker, ValueEncoders)", () => {
  it('masks the value, each line trimmed, and padded base64 at three byte offsets, not unpadded', () => {
    const masker = new Set<string>();
    expect(addMask(masker, 'first line\n  s3cr3t1  ')).toBe(true);
    const padded = Buffer.from('s3cr3t1').toString('base64');
    expect(padded.endsWith('=')).toBe(true);
    expect(maskText(`x s3cr3t1 ${padded} y`, masker)).toBe('x *** *** y');
    for (const shifted of ['3cr3t1', 'cr3t1']) {
      expect(masker.has(Buffer.from(shifted).toString('base64'))).toBe(true);
    }
    const unpadded = padded.replace(/=+$/, '');
    expect(maskText(`b64 ${unpadded}.`, masker)).toBe(`b64 ${unpadded}.`);
  });

  it('refuses a value that is only .NET white space', () => {
    expect(addMask(new Set(), ' \u0085\u00A0')).toBe(false);
  });
});
