/**
 * Generated command output for the relay's fuzzers: bytes of every kind mixed with `::`, `##[`,
 * command names in any case (`ſ` and `ı` too, which the runner's OrdinalIgnoreCase matches), stop
 * and resume lines, every white-space character of .NET and JavaScript and characters ICU
 * ignores, alone or in runs longer than what the relay keeps of a line (also longer than a 64 KiB
 * read), long runs of `##[`, lone `\r`, and bytes that are not UTF-8.
 */
import fc from 'fast-check';
import { DOTNET_WHITESPACE, RUNNER_COMMANDS } from '../../src/run/runner-reading.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const cased = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map(upper => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

const SPACES = [...DOTNET_WHITESPACE, '\uFEFF', '\u200B', '\u00AD', '\u0001', '\u001C', '\u2060'];
const space = fc.constantFrom(...SPACES);
/** White space the runner trims before a command: a few characters, or a run of one of them. */
export const leadingSpace: fc.Arbitrary<string> = fc.oneof(
  fc.array(space, { maxLength: 3 }).map(list => list.join('')),
  fc
    .tuple(
      fc.constantFrom(...SPACES.filter(c => c !== '\n' && c !== '\r')),
      fc.constantFrom(257, 300, 4_100, 70_000)
    )
    .map(([char, length]) => char.repeat(length))
);
const spaces = leadingSpace;
const STOP_TOKENS = ['abc', 'a b', 'abc ', 'a%25b', 'x::y', 'Tok', 'pause-logging', 'error', ''];
const stopToken = fc.constantFrom(...STOP_TOKENS);
const commandName = fc.constantFrom(
  ...RUNNER_COMMANDS,
  'ſtop-commands',
  'add-maſk',
  'notıce',
  'abc',
  'Tok'
);

/** Pieces of command output: each is bytes; a line is whatever they make. */
export const noise: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 6 }).map(bytes => Buffer.from(bytes)),
  fc
    .constantFrom('::', '##[', ']', ':', ' ', '\r', '\n', '\r\n', '%25', '%0A', 'x', '=', ' x::')
    .map(utf8),
  space.map(utf8),
  fc.integer({ min: 2, max: 2_000 }).map(count => utf8('##['.repeat(count))),
  fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xc2, 0xa0], [0xc2, 0x85]).map(Buffer.from),
  commandName.chain(cased).map(utf8),
  fc
    .tuple(spaces, fc.boolean(), cased('stop-commands'), stopToken)
    .map(([ws, v2, name, token]) =>
      utf8(v2 ? `${ws}::${name}::${token}\n` : `text ##[${name}]${token}\n`)
    ),
  fc
    .tuple(spaces, fc.constantFrom('v2', 'spaced', 'legacy'), stopToken.chain(cased))
    .map(([ws, form, token]) =>
      utf8(
        form === 'v2'
          ? `${ws}::${token}::\n`
          : form === 'spaced'
            ? `::${token} x::\n`
            : `##[${token}]\n`
      )
    ),
  fc.tuple(spaces, commandName.chain(cased)).map(([ws, name]) => utf8(`${ws}::${name}::message\n`))
);
