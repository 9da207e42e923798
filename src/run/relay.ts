/**
 * Run mode's output relay. The command's stdout and stderr come through the action onto the step's
 * stdout, read as the runner reads them (runner-reading.ts: a line ends at `\n`, `\r\n` or a lone
 * `\r`), so that
 * - the command can never switch the runner's command processing off: a `stop-commands` in any
 *   form the runner might read (after any white space .NET trims or character ICU ignores, the
 *   legacy `##[` anywhere in a line, any case, split across writes) is shown as text, and the
 *   relay carries it out itself: until the resume line, the command's lines the runner would take
 *   as commands are shown as text too, all but `::add-mask::` (masking more never shows a secret).
 *   So the action's own commands always work, whatever this reading gets wrong;
 * - a line is shown as text by putting NEUTRAL before the `:` or `[` that makes it a command;
 * - the action's own lines (`::add-mask::` first) always start a line: an unfinished line of the
 *   command is ended first, and a stream's last unfinished line is ended when the stream ends;
 * - no line the runner gets can overtake the action's masks: the runner handles a batch's stderr
 *   lines before its stdout lines (ProcessInvoker.cs), so both streams go out on one;
 * - every secret the action knows is scrubbed (scrub.ts), also in the forms the runner does not mask,
 *   and so is every value the command masks itself, from the moment its line is read;
 * - a mask the command writes on stderr goes before its whole stdout lines of the last
 *   STDOUT_HOLD_MS, as the runner's batch puts it; and a mask the command wrote on one stream
 *   before a line on the other is taken in before that line goes out (`#catchUp`: the relay may
 *   be behind on a stream).
 * Text is handled as latin1, one character per byte, so bytes that are not a secret pass unchanged.
 */
import {
  CommandReader,
  DOTNET_WHITESPACE,
  foldName,
  icuIgnores,
  parseCommand,
  RUNNER_COMMANDS
} from './runner-reading.ts';
import { MIN_ENCODED_LENGTH, Scrubber } from './scrub.ts';

export { secretForms } from './scrub.ts';

/** How long an unfinished line may wait for its end before it is written as it is. */
export const PARTIAL_LINE_MS = 100;
/**
 * How long the command's whole stdout lines wait before they are written, so that an add-mask it
 * writes on stderr meanwhile goes before them: the runner handles a batch's stderr lines before
 * its stdout lines (ProcessInvoker.cs), so a plain `run:` step masks such a value in them.
 */
export const STDOUT_HOLD_MS = 20;
/** An unfinished line this long is written without waiting for its end or the timer. */
const MAX_PENDING = 64 * 1024;
/**
 * U+2800 BRAILLE PATTERN BLANK as UTF-8 (latin1 text): not white space to .NET, not ignored by
 * ICU, so a `::` or `##[` with it in front of the `:` or `[` is not one (checked against the
 * collator in __tests__/relay.test.ts). It shows as a blank.
 */
export const NEUTRAL = '\xE2\xA0\x80';
/** What the runner takes as a command while the command has commands stopped, add-mask aside. */
const WHILE_STOPPED = RUNNER_COMMANDS.filter(name => name !== 'add-mask').map(foldName);
const STOP = [foldName('stop-commands')];
const COMMANDS = RUNNER_COMMANDS.map(foldName);
/** No longer a name can be one of these: as UTF-8, each letter takes at most 4 bytes. */
const MAX_NAME_BYTES = 4 * Math.max(...RUNNER_COMMANDS.map(name => name.length));
/**
 * What a line that could hold a stop-commands or an add-mask holds (`ſ` folds to `S`, UTF-8 here):
 * `/command|ma(?:s|\xC5\xBF)k/i` spelled out, which V8 searches in half the time.
 */
export const MAY_MATTER = /[Cc][Oo][Mm][Mm][Aa][Nn][Dd]|[Mm][Aa](?:[Ss]|\xC5\xBF)[Kk]/;
const ADD_MASK = new Set([foldName('add-mask')]);
/**
 * How much of a written unfinished line is kept to judge the rest with: a command starts within
 * it, or is not one the runner knows; past it, the last 64 characters (a name near the cut), and
 * for following the command's stop-commands, its first MAX_RAW_KEPT characters as written.
 */
const MAX_LINE_KEPT = 256;
const MAX_RAW_KEPT = 4096;

export type Source = 'stdout' | 'stderr';

export interface RelayDeps {
  /** Writes to the step's stdout, in order with everything else the action writes there. */
  write(text: string, source?: Source): void;
  setTimer(ms: number, run: () => void): unknown;
  clearTimer(handle: unknown): void;
  /**
   * What the command has written on `source` that the relay has not read yet, read now, and
   * whether the stream has ended there.
   */
  unread?(source: Source): { text: string; ended: boolean };
}

interface Stream {
  /** Read, not yet written: the end of an unfinished line. */
  pending: string;
  /** Written of the current line, as written (marks included) and as the command wrote it. */
  line: string;
  raw: string;
  /** The line's beginning is no longer in `line` (over MAX_LINE_KEPT): it was judged then. */
  midLine: boolean;
  timer: unknown;
}

const newStream = (): Stream => ({
  pending: '',
  line: '',
  raw: '',
  midLine: false,
  timer: undefined
});

export class OutputRelay {
  readonly #deps: RelayDeps;
  readonly #scrubber = new Scrubber();
  readonly #streams: Record<Source, Stream> = { stdout: newStream(), stderr: newStream() };
  /** Whose unfinished line the step's stdout ends with, if it does not end a line. */
  #open: Source | 'action' | undefined;
  /** The command's stop-commands as a plain `run:` step would take it: when it resumes. */
  readonly #commands = new CommandReader();
  /** The command's whole stdout lines, waiting STDOUT_HOLD_MS for a mask on stderr. */
  #held = '';
  #heldTimer: unknown;
  /** Whether a catch-up is reading: none starts inside it, and held output waits for its end. */
  #catchingUp = false;

  constructor(deps: RelayDeps, secrets: string[] = []) {
    this.#deps = deps;
    for (const secret of secrets) this.addSecret(secret);
  }

  /** Scrubs `value` from all later output, for the whole run. */
  addSecret(value: string): void {
    if (value) this.#scrubber.add(value);
  }

  /** Gets the scrubbing ready for the first output (Scrubber.warm): call it while the command starts. */
  warm(): void {
    this.#scrubber.warm();
  }

  /** Output of the command on one of its streams (latin1 text: one character per byte). */
  push(source: Source, text: string): void {
    const stream = this.#streams[source];
    // The last line end: the last `\n`, or a `\r` after it (the text after it is short).
    let end = text.lastIndexOf('\n');
    for (let cr = text.indexOf('\r', end + 1); cr >= 0; cr = text.indexOf('\r', cr + 1)) end = cr;
    if (end === -1) {
      stream.pending += text;
    } else {
      // What goes out at once, not held: stderr, and the end of a stdout line already begun.
      if (!this.#catchingUp && (source === 'stderr' || (this.#open === 'stdout' && !this.#held))) {
        this.#catchUp({ [source]: text });
        return;
      }
      const complete = stream.pending + text.slice(0, end + 1);
      stream.pending = text.slice(end + 1);
      for (const piece of cutAfterMasks(complete)) {
        this.#lines(source, this.#scrubber.scrub(source, piece), false);
      }
    }
    if (stream.pending.length > MAX_PENDING && !this.#catchingUp) {
      this.#deps.clearTimer(stream.timer);
      this.#flushPartial(source, true);
      return;
    }
    if (stream.pending && stream.timer === undefined) {
      stream.timer = this.#deps.setTimer(PARTIAL_LINE_MS, () => this.#flushPartial(source));
    }
  }

  /**
   * The stream has ended: what is left is its last line (the runner reads it as one), a secret's
   * beginning in it scrubbed, and the line is ended so that nothing is glued onto it.
   */
  end(source: Source): void {
    this.#catchUp({}, source);
  }

  /** The stream's last line, unfinished, taken in as a line (end). */
  #takeLast(source: Source): void {
    const stream = this.#streams[source];
    this.#deps.clearTimer(stream.timer);
    stream.timer = undefined;
    const rest = stream.pending;
    stream.pending = '';
    if (rest) {
      const held = this.#heldBack(rest);
      const text = this.#scrubber.scrub(source, rest.slice(0, rest.length - held));
      const end = rest.slice(rest.length - held);
      const cut = held >= MIN_ENCODED_LENGTH ? '***' : this.#scrubber.scrub(source, end);
      this.#lines(source, text + cut, true);
    }
  }

  /** A line the action itself writes (a workflow command or a log line): it starts a line. */
  own(text: string): string {
    if (text === '') return text;
    const prefix = this.#open === undefined ? '' : '\n';
    if (this.#open !== undefined) this.#lineEnded(this.#open);
    this.#open = endsLine(text) ? undefined : 'action';
    return prefix + text;
  }

  /** Writes what can go of an unfinished line; `full` when it is too long to wait for its end. */
  #flushPartial(source: Source, full = false): void {
    this.#catchUp();
    const stream = this.#streams[source];
    stream.timer = undefined;
    const pending = stream.pending;
    // A secret may be arriving in pieces: its beginning waits for the rest (or the line's end).
    // A command line waits for its end: written in part, the other stream's output could cut it.
    const held =
      !full && this.#awaitsEnd(stream, pending) ? pending.length : this.#heldBack(pending);
    if (held === pending.length) return;
    stream.pending = pending.slice(pending.length - held);
    const text = this.#scrubber.scrub(source, pending.slice(0, pending.length - held));
    this.#lines(source, text, false);
    if (held && stream.timer === undefined) {
      stream.timer = this.#deps.setTimer(PARTIAL_LINE_MS, () => this.#flushPartial(source));
    }
  }

  /** Whether the unfinished line, `pending` not yet written, could still be a runner command. */
  #awaitsEnd(stream: Stream, pending: string): boolean {
    const full = stream.line + pending;
    const known = (name: string) => {
      const folded = foldName(Buffer.from(name, 'latin1').toString('utf8'));
      return COMMANDS.includes(folded) || folded === foldName(this.#commands.stopToken ?? '');
    };
    const site = (start: number, terminators: string) => {
      const end = endOfName(full, start, terminators);
      return end === full.length || known(full.slice(start, end));
    };
    // Whatever of it was written: white space the runner trims, and a command's beginning.
    if (!stream.midLine) {
      const at = skipAll(full, 0, true);
      if (full[at] === ':') {
        const next = skipAll(full, at + 1, false);
        if (next === full.length || (full[next] === ':' && site(next + 1, ' :'))) return true;
      }
    }
    const legacy = full.lastIndexOf('##[');
    return full.endsWith('#') || (legacy >= 0 && site(legacy + 3, ' ]'));
  }

  /**
   * How much of the end of `text` must wait: the longest end that is the beginning of something
   * scrubbed, and any whole one that the cut would split.
   */
  #heldBack(text: string): number {
    const beginnings = this.#scrubber.beginnings();
    let longest = 0;
    for (const form of beginnings) {
      // The earliest place in the last form.length - 1 characters where the rest begins the form.
      let at = text.indexOf(form[0], Math.max(0, text.length - form.length + 1));
      while (at >= 0 && text.length - at > longest && !form.startsWith(text.slice(at))) {
        at = text.indexOf(form[0], at + 1);
      }
      if (at >= 0) longest = Math.max(longest, text.length - at);
    }
    let cut = text.length - longest;
    for (let moved = true; moved;) {
      moved = false;
      for (const form of beginnings) {
        const at = text.indexOf(form, Math.max(0, cut - form.length + 1));
        if (at >= 0 && at < cut) {
          cut = at;
          moved = true;
        }
      }
    }
    return text.length - cut;
  }

  /**
   * Scrubbed output of a stream, written: lines the runner could take as a command neutralised as
   * need be. Ends in an unfinished line unless `last`, when that is the stream's last line.
   */
  #lines(source: Source, text: string, last: boolean): void {
    const stream = this.#streams[source];
    // Whole lines that cannot hold a stop-commands need no look while commands run.
    const whole = last || endsLine(text);
    if (
      whole &&
      this.#commands.stopToken === undefined &&
      stream.line === '' &&
      !MAY_MATTER.test(text)
    ) {
      this.#write(source, text);
      return;
    }
    let out = '';
    for (const [line] of text.matchAll(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g)) {
      const body = line.replace(/[\r\n]+$/, '');
      const complete = body !== line || last;
      const shown = this.#neutralised(stream, body, complete);
      if (complete && stream.line === '' && !stream.midLine) {
        const mask = this.#follow(body);
        // The runner masks a stop token longer than 6 before it shows the line (ActionCommandManager.cs).
        if (mask) {
          this.#write(source, out);
          out = '';
          this.#deps.write(this.own(`::add-mask::${mask}\n`));
        }
      } else if (complete) this.#follow(stream.raw + body);
      out += shown + line.slice(body.length);
      if (complete) {
        stream.line = stream.raw = '';
        stream.midLine = false;
      } else {
        stream.line = keptOf(stream.line + shown, stream);
        stream.raw = leadCollapsed(stream.raw);
        if (stream.raw.length < MAX_RAW_KEPT) stream.raw += body.slice(0, MAX_RAW_KEPT);
      }
    }
    this.#write(source, out);
  }

  /**
   * Follows the command's stop-commands and resume, read as the runner would read the line in a
   * plain run: step. Returns the stop token, escaped, when the runner would have masked it.
   */
  #follow(line: string): string | undefined {
    const text = Buffer.from(line, 'latin1').toString('utf8');
    this.#maskedBy(text);
    const read = this.#commands.read(text);
    if (read.kind !== 'stopped' || read.token.length <= 6) return undefined;
    const escaped = read.token
      .replaceAll('%', '%25')
      .replaceAll('\r', '%0D')
      .replaceAll('\n', '%0A');
    return Buffer.from(escaped, 'utf8').toString('latin1');
  }

  /**
   * Scrubs what the command's own add-mask masks, whether or not commands are stopped: the runner
   * masks it from its line on, and the relay from what it writes or holds from then on. As
   * AddMaskCommandExtension: the value and each of its lines trimmed, nothing for a blank value.
   */
  #maskedBy(line: string): void {
    const value = parseCommand(line, ADD_MASK)?.data;
    if (value === undefined || value.trim() === '') return;
    const parts = [value, ...value.split(/[\r\n]/)]
      .map(part => part.trim())
      .filter(part => part !== '');
    for (const part of parts) this.addSecret(part);
    // The whole stdout lines still held were scrubbed before this mask was read, and are written
    // after it: scrubbed of it now. By a scrubber of this mask's values alone, so that a held
    // add-mask of an earlier value still reaches the runner whole.
    if (this.#held) {
      const again = new Scrubber();
      for (const part of parts) again.add(part);
      this.#held = again.scrub('stdout', this.#held);
    }
  }

  /**
   * `body`, the next part of the stream's current line, with NEUTRAL put where the line could
   * become a command the runner must not take: a stop-commands, or while the command has commands
   * stopped, any command but add-mask. A command name is compared as the runner does. The mark
   * goes before the `:` or `[`, or when that is already written, at the start of `body` (inside
   * the name, or before the `::` after it).
   */
  #neutralised(stream: Stream, body: string, complete: boolean): string {
    const from = stream.line.length;
    const full = stream.line + body;
    const names = this.#commands.stopToken === undefined ? STOP : WHILE_STOPPED;
    const marks = new Set<number>();
    // A name not yet ended waits: its mark can still go into what is not yet written.
    const consider = (site: number, nameStart: number, nameEnd: number) => {
      if (nameEnd === full.length && !complete) return;
      if (nameEnd - nameStart > MAX_NAME_BYTES) return;
      const name = foldName(Buffer.from(full.slice(nameStart, nameEnd), 'latin1').toString('utf8'));
      if (!names.includes(name)) return;
      if (site >= from) marks.add(site);
      else if (nameEnd >= from) marks.add(from);
    };
    if (!stream.midLine) {
      const at = skipAll(full, 0, true);
      if (full[at] === ':') {
        const next = skipAll(full, at + 1, false);
        if (full[next] === ':') consider(at, next + 1, endOfName(full, next + 1, ' :'));
      }
    }
    // Each `##[`'s name ends at the first ' ' or ']' after it: found once for all the `##[` before
    // it, so a line made of `##[` costs no more than its length.
    let nameEnd = -1;
    const legacyFrom = Math.max(0, from - 64);
    for (let at = full.indexOf('##[', legacyFrom); at >= 0; at = full.indexOf('##[', at + 1)) {
      if (nameEnd < at + 3) nameEnd = endOfName(full, at + 3, ' ]');
      consider(at + 2, at + 3, nameEnd);
    }
    if (marks.size === 0) return body;
    let shown = '';
    let copied = from;
    for (const at of [...marks].sort((a, b) => a - b)) {
      shown += full.slice(copied, at) + NEUTRAL;
      copied = at;
    }
    return shown + full.slice(copied);
  }

  /**
   * Writes the command's output. Whole stdout lines wait STDOUT_HOLD_MS (or until more than
   * MAX_PENDING waits), and the other stream's output goes before them; the end of a stdout line
   * already begun goes at once, and an unfinished one writes the waiting lines first, so each
   * stream stays in order and no line is cut.
   */
  #write(source: Source, text: string): void {
    if (text === '') return;
    if (source === 'stdout' && this.#open === 'stdout' && this.#held === '') {
      const end = lineEnd(text);
      this.#emit(source, text.slice(0, end));
      text = text.slice(end);
    }
    // During a catch-up stdout's last unfinished line waits too, for the stderr taken in with it.
    if (source === 'stdout' && (endsLine(text) || this.#catchingUp)) {
      this.#held += text;
      if (this.#held.length > MAX_PENDING && !this.#catchingUp) this.#release();
      else this.#heldTimer ??= this.#deps.setTimer(STDOUT_HOLD_MS, () => this.#release());
      return;
    }
    if (source === 'stdout') this.#release();
    this.#emit(source, text);
  }

  /**
   * Before the command's output goes out (a line of stderr, the end of a stdout line already
   * begun, a hold's end, an unfinished line, a stream's end): takes in what the command has
   * written by now, `read` (just read) ahead of what is unread on its stream. The hold is counted
   * on the action's clock, and a relay behind on a stream (a backlog of masks, each taking the
   * scrubber a while) would let a line go before a mask written ahead of it. Stderr is read
   * first, and stdout only when stderr has output to go (read after it, stdout holds every mask
   * written before stderr's lines); stdout is taken in first, its lines held, none going out
   * during the catch-up (nor a long unfinished line): so stdout's masks are in before stderr's
   * lines go, and stderr's before stdout's lines go. A stdout line already begun is ended first
   * when stderr has output, which would end it anyway: its end is held as a line of its own. Not
   * inside a catch-up: what it read would go ahead of what was read before it. `ending`: a stream
   * that has ended (end()), its last line taken in with the rest, stdout's before stderr's lines.
   */
  #catchUp(read: Partial<Record<Source, string>> = {}, ending?: Source): void {
    const ended = new Set<Source>(ending ? [ending] : []);
    const unread = (source: Source) => {
      const taken = this.#catchingUp ? undefined : this.#deps.unread?.(source);
      if (taken?.ended) ended.add(source);
      return (read[source] ?? '') + (taken?.text ?? '');
    };
    const stderr = unread('stderr');
    const stdout = stderr ? unread('stdout') : (read.stdout ?? '');
    const stderrGoes =
      stderr !== '' || (ended.has('stderr') && this.#streams.stderr.pending !== '');
    if (stderrGoes && this.#open === 'stdout') this.#separate();
    const outer = this.#catchingUp;
    this.#catchingUp = true;
    try {
      if (stdout) this.push('stdout', stdout);
      // A stream read to its end: its last line, unfinished, is a line to the runner.
      if (ended.has('stdout')) this.#takeLast('stdout');
      if (stderr) this.push('stderr', stderr);
      if (ended.has('stderr')) this.#takeLast('stderr');
    } finally {
      this.#catchingUp = outer;
    }
    // Once stdout has ended its held lines go, after stderr's masks; nothing is glued onto a
    // stream's last line.
    if (ended.has('stdout')) this.#release();
    for (const source of ended) if (this.#open === source) this.#separate();
  }

  /** Writes the stdout lines that wait, after the masks the command has written by now. */
  #release(): void {
    this.#deps.clearTimer(this.#heldTimer);
    this.#heldTimer = undefined;
    if (this.#held) this.#catchUp();
    const held = this.#held;
    this.#held = '';
    this.#emit('stdout', held);
  }

  #emit(source: Source, text: string): void {
    if (text === '') return;
    if (this.#open !== undefined && this.#open !== source) this.#separate();
    this.#deps.write(text, source);
    this.#open = endsLine(text) ? undefined : source;
  }

  /** Ends the unfinished line the step's stdout ends with. */
  #separate(): void {
    this.#deps.write('\n');
    if (this.#open !== undefined) this.#lineEnded(this.#open);
    this.#open = undefined;
  }

  /** A line break was put after the stream's unfinished line: its rest starts a line. */
  #lineEnded(owner: Source | 'action'): void {
    if (owner === 'action') return;
    const stream = this.#streams[owner];
    stream.line = stream.raw = '';
    stream.midLine = false;
  }
}

/**
 * `text`, whole lines, cut after each run of lines that may be add-masks (MAY_MATTER): the lines
 * after a mask are scrubbed once it is taken in. Scrubbed in one piece, a read holding a mask and
 * the line printing its value after it showed the value's encodings. A run of masks stays one
 * piece, each piece costing a search with every pattern (a flood of 3,000 masks on one stream).
 */
function cutAfterMasks(text: string): string[] {
  if (!MAY_MATTER.test(text)) return [text];
  const pieces: string[] = [];
  let from = 0;
  let afterMask = false;
  for (const line of text.matchAll(/[^\r\n]*(?:\r\n|\r|\n)/g)) {
    const mayMask = MAY_MATTER.test(line[0]);
    if (afterMask && !mayMask) {
      pieces.push(text.slice(from, line.index));
      from = line.index;
    }
    afterMask = mayMask;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/**
 * What is kept of a stream's written unfinished line to judge the rest with. While the line is
 * only white space so far (and perhaps a command's beginning), its beginning still decides: the
 * runner trims any amount of it, so it is kept as one space. Past that, the line's last 64
 * characters, and its beginning was judged.
 */
function keptOf(line: string, stream: Stream): string {
  const collapsed = leadCollapsed(line);
  if (collapsed.length <= MAX_LINE_KEPT) return collapsed;
  stream.midLine = true;
  return line.slice(-64);
}

/** `text` with its leading white space (what the runner trims before a command) as one space. */
function leadCollapsed(text: string): string {
  const lead = skipAll(text, 0, true);
  return lead > 1 ? ` ${text.slice(lead)}` : text;
}

/** Where a command name starting at `start` ends: at the first of `terminators`, or the text's end. */
function endOfName(text: string, start: number, terminators: string): number {
  let end = start;
  while (end < text.length && !terminators.includes(text[end])) end++;
  return end;
}

/** Where the first line of `text` ends, its line end included (the text's end if none). */
function lineEnd(text: string): number {
  const match = /\r\n|\r|\n/.exec(text);
  return match ? match.index + match[0].length : text.length;
}

function endsLine(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  return last === 10 || last === 13;
}

/** Where the characters `skippable` passes over from `at` end. */
function skipAll(text: string, at: number, space: boolean): number {
  let end = at;
  for (let skip = skippable(text, end, space); skip; skip = skippable(text, end, space))
    end += skip;
  return end;
}

/**
 * The length of the character at `at` if the runner could pass over it before a command: .NET
 * white space (TrimStart) or a character ICU ignores (the culture-sensitive `::` search); between
 * the colons only the latter. Bytes are UTF-8 (latin1 text).
 */
function skippable(text: string, at: number, space: boolean): number {
  if (at >= text.length) return 0;
  const lead = text.charCodeAt(at);
  if (lead >= 0x21 && lead <= 0x7e) return 0;
  const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (at + length > text.length) return 0;
  const char = Buffer.from(text.slice(at, at + length), 'latin1').toString('utf8');
  if ([...char].length !== 1 || char === '\uFFFD') return 0;
  return (space && DOTNET_WHITESPACE.includes(char)) || icuIgnores(char) ? length : 0;
}
