/**
 * How the GitHub runner reads a node action's output: a port of actions/runner (read at 2.336.0,
 * paths under its src/), one rule per function, each naming the file it comes from. Run mode's
 * relay (relay.ts) decides with it what the runner will take as a command, and dev/runner.ts judges
 * every test's log with it, so the relay and its judge are checked against one reading.
 *
 * Where the runner's reading depends on its platform, the port takes the reading that finds more
 * commands (the stricter one for our tests): the runner compares `::` and `##[` culture-sensitively
 * (String.StartsWith/IndexOf with a string argument use the current culture, ICU on Linux), so
 * characters ICU ignores, such as U+200B or U+0001, can sit inside a `::` it finds.
 */

/** Line ends and decoding: Runner.Sdk/ProcessInvoker.cs reads each stream with StreamReader.ReadLine. */
export class LineReader {
  // StreamReader detects a UTF-8 byte order mark at the start and drops it (detectEncodingFromByteOrderMarks).
  readonly #decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  #partial = '';
  #afterCR = false;

  /** The lines these bytes complete: ReadLine ends a line at `\n`, `\r\n` and a lone `\r`. */
  push(bytes: Uint8Array): string[] {
    return this.#split(this.#decoder.decode(bytes, { stream: true }));
  }

  /** The rest at the end of the stream: ReadLine returns an unfinished last line as a line. */
  end(): string[] {
    const lines = this.#split(this.#decoder.decode());
    if (this.#partial !== '') lines.push(this.#partial);
    this.#partial = '';
    return lines;
  }

  #split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.#afterCR && i === start && this.#partial === '') {
        // The `\n` of a `\r\n` whose `\r` ended the last line.
        this.#afterCR = false;
        start = i + 1;
        continue;
      }
      lines.push(this.#partial + text.slice(start, i));
      this.#partial = '';
      this.#afterCR = c === 13;
      start = i + 1;
    }
    if (start < text.length) {
      this.#partial += text.slice(start);
      this.#afterCR = false;
    }
    return lines;
  }
}

/**
 * .NET's Char.IsWhiteSpace, which String.TrimStart removes (ActionCommand.cs TryParseV2): the
 * Unicode space, line and paragraph separators, U+0009–U+000D, U+0085 and U+00A0. Not U+FEFF
 * (JavaScript's trimStart removes it) nor U+001C–U+001F (Java's isWhitespace has those).
 */
export const DOTNET_WHITESPACE =
  '\t\n\u000B\f\r \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000';

function trimStartDotNet(text: string): string {
  let i = 0;
  while (i < text.length && DOTNET_WHITESPACE.includes(text[i])) i++;
  return text.slice(i);
}

function trimDotNet(text: string): string {
  let end = text.length;
  while (end > 0 && DOTNET_WHITESPACE.includes(text[end - 1])) end--;
  return trimStartDotNet(text.slice(0, end));
}

let collator: Intl.Collator | undefined;
const ignorable = new Map<string, boolean>();
/** Whether ICU's collation ignores the character, as the runner's culture-sensitive search does. */
export function icuIgnores(char: string): boolean {
  let known = ignorable.get(char);
  if (known === undefined) {
    collator ??= new Intl.Collator('en-US', { sensitivity: 'variant', usage: 'search' });
    known = collator.compare(char, '') === 0;
    ignorable.set(char, known);
  }
  return known;
}

/** Where `::` starts at or after `from`, ICU-ignorable characters allowed between the colons. */
function indexOfColons(text: string, from: number): number {
  for (let at = text.indexOf(':', from); at >= 0; at = text.indexOf(':', at + 1)) {
    let next = at + 1;
    while (next < text.length && text[next] !== ':' && icuIgnores(text[next])) next++;
    if (text[next] === ':') return at;
  }
  return -1;
}

/** The commands the runner registers (ActionCommandManager.cs: its extensions and stop-commands). */
export const RUNNER_COMMANDS = [
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning'
] as const;

/**
 * A command name as the runner compares it: StringComparer.OrdinalIgnoreCase (ActionCommandManager.cs
 * `_registeredCommands`, and the resume token), each character upper-cased by its simple mapping,
 * so `ſ` (U+017F) matches `s` and `ı` (U+0131) matches `i`.
 */
export function foldName(name: string): string {
  let folded = '';
  for (const char of name) {
    const upper = char.toUpperCase();
    folded += [...upper].length === 1 ? upper : char;
  }
  return folded;
}

export interface ActionCommand {
  /** The name as written; compare with foldName. */
  name: string;
  data: string;
  /** `::name::` (TryParseV2) or the legacy `##[name]` found anywhere in a line (TryParse). */
  form: 'v2' | 'legacy';
}

/** Data's escapes, in the runner's order (ActionCommand.cs `_escapeDataMappings`). */
function unescapeData(text: string): string {
  return text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
}

/** The legacy form's escapes (ActionCommand.cs `_escapeMappings`). */
function unescapeLegacy(text: string): string {
  return text
    .replaceAll('%3B', ';')
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%5D', ']')
    .replaceAll('%25', '%');
}

const nameOf = (info: string): string => {
  const space = info.indexOf(' ');
  return space < 0 ? info : info.slice(0, space);
};

/**
 * ActionCommand.TryParseV2, then ActionCommand.TryParse (ActionCommand.cs, as
 * ActionCommandManager.TryProcessCommand calls them): `registered` holds the folded names the
 * runner knows at that moment (the stop token among them while commands are stopped).
 */
export function parseCommand(line: string, registered: Set<string>): ActionCommand | undefined {
  const message = trimStartDotNet(line);
  // StartsWith("::") compared culture-sensitively: ignorable characters before or between the
  // colons do not stop it; what follows is cut by index, as Substring does.
  let at = 0;
  while (at < message.length && message[at] !== ':' && icuIgnores(message[at])) at++;
  if (message[at] === ':' && indexOfColons(message, at) === at) {
    const end = indexOfColons(message, 2);
    if (end >= 0) {
      const name = nameOf(message.slice(2, end));
      if (registered.has(foldName(name))) {
        return { name, data: unescapeData(message.slice(end + 2)), form: 'v2' };
      }
    }
  }
  // A `##[` with ignorable characters inside it shifts the name onto `[`, never a registered one.
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const bracket = line.indexOf(']', prefix);
  if (bracket < 0) return undefined;
  const name = nameOf(line.slice(prefix + 3, bracket));
  if (!registered.has(foldName(name))) return undefined;
  return { name, data: unescapeLegacy(line.slice(bracket + 1)), form: 'legacy' };
}

/** A command as ActionCommandManager.TryProcessCommand hands it on, or the step's failure. */
export type Processed =
  | { kind: 'text' }
  | { kind: 'command'; command: ActionCommand }
  | { kind: 'stopped'; token: string }
  | { kind: 'resumed' }
  | { kind: 'invalid-stop'; token: string };

/**
 * ActionCommandManager.cs: `stop-commands` switches every later command off until a line whose
 * command name is the token (compared ignoring case); the token is registered as a command
 * meanwhile. A token that is empty, a registered command or `pause-logging` is refused
 * (ValidateStopToken): the runner fails the step and does not stop.
 */
export class CommandReader {
  readonly #registered = new Set<string>(RUNNER_COMMANDS.map(foldName));
  #stopToken: string | undefined;

  get stopToken(): string | undefined {
    return this.#stopToken;
  }

  read(line: string): Processed {
    if (line === '') return { kind: 'text' };
    const command = parseCommand(line, this.#registered);
    if (!command) return { kind: 'text' };
    const name = foldName(command.name);
    if (this.#stopToken !== undefined) {
      if (name !== foldName(this.#stopToken)) return { kind: 'text' };
      this.#registered.delete(name);
      this.#stopToken = undefined;
      return { kind: 'resumed' };
    }
    if (name !== foldName('stop-commands')) return { kind: 'command', command };
    const token = command.data;
    if (
      token === '' ||
      this.#registered.has(foldName(token)) ||
      foldName(token) === foldName('pause-logging')
    ) {
      return { kind: 'invalid-stop', token };
    }
    this.#stopToken = token;
    this.#registered.add(foldName(token));
    return { kind: 'stopped', token };
  }
}

/**
 * What one `::add-mask::` masks: AddMaskCommandExtension (ActionCommandManager.cs) adds the value
 * and each of its lines, trimmed. Returns false for the blank value it refuses with a warning.
 */
export function addMask(masker: Set<string>, value: string): boolean {
  // String.IsNullOrWhiteSpace: a warning, and nothing masked.
  if (trimDotNet(value) === '') return false;
  // Split on CR and LF with RemoveEmptyEntries | TrimEntries.
  for (const part of [value, ...value.split(/[\r\n]/).map(trimDotNet)]) addValue(masker, part);
  return true;
}

/**
 * SecretMasker.AddValue (Sdk/DTLogging/Logging/SecretMasker.cs): the value and each ValueEncoder's
 * form of it (HostContext.cs registers them; Sdk/DTLogging/Logging/ValueEncoders.cs). Exactly
 * those: base64 is .NET's Convert.ToBase64String, padded, of the value and of the value less its
 * first one or two bytes. Unpadded base64 and base64url are not masked.
 */
export function addValue(masker: Set<string>, value: string): void {
  if (value === '') return;
  for (const form of runnerMaskForms(value)) if (form) masker.add(form);
}

function runnerMaskForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const shifted = (shift: number) =>
    (bytes.length > shift ? bytes.subarray(shift) : bytes).toString('base64');
  const trimmed =
    value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : '';
  return [
    value,
    shifted(0),
    shifted(1),
    shifted(2),
    value.replaceAll('"', '\\"'),
    value.replaceAll("'", "''"),
    JSON.stringify(value).slice(1, -1),
    uriEscape(value),
    value
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&apos;'),
    trimmed,
    ...powerShellSections(value)
  ];
}

/** PowerShellPre/PostAmpersandEscape: the sections PowerShell prints of a secret with '&' in it. */
function powerShellSections(value: string): string[] {
  if (!value.includes('&')) return [];
  const plus = value.indexOf('&+');
  const pre = plus >= 0 ? value.slice(0, plus + 2) : value.slice(0, value.lastIndexOf('&') + 1);
  const post =
    plus >= 0
      ? value.length > plus + 3
        ? value.slice(plus + 3)
        : ''
      : value.slice(value.lastIndexOf('&') + 1);
  return [pre, post].filter(section => section.length >= 6);
}

/** .NET Uri.EscapeDataString: RFC 3986, so also the five characters encodeURIComponent keeps. */
export function uriEscape(value: string): string {
  if (!value.isWellFormed()) return '';
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  );
}

/**
 * SecretMasker.MaskSecrets (Sdk/DTLogging/Logging/SecretMasker.cs): every occurrence of every
 * form, overlapping or adjacent ones merged into a single `***`.
 */
export function maskText(text: string, masker: Set<string>): string {
  const ranges: [number, number][] = [];
  for (const form of masker) {
    for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
      ranges.push([at, at + form.length]);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let masked = '';
  let copied = 0;
  let [start, end] = ranges[0];
  for (const [from, to] of ranges.slice(1)) {
    if (from <= end) {
      end = Math.max(end, to);
    } else {
      masked += `${text.slice(copied, start)}***`;
      copied = end;
      [start, end] = [from, to];
    }
  }
  return `${masked}${text.slice(copied, start)}***${text.slice(end)}`;
}
