/**
 * Run mode's output relay. The command's stdout and stderr come through the action, line by line,
 * onto the step's stdout, so that
 * - the action's own workflow commands (`::add-mask::` first) always start a line: the runner takes
 *   `::` only at the start of a line, and a mask glued onto a command's unfinished line would log
 *   the token it was meant to hide (actions/runner ActionCommand.cs);
 * - they work while the command has used `::stop-commands::` (ActionCommandManager.cs): the action
 *   resumes commands around its own line and stops them again;
 * - no line the runner gets can overtake the action's masks: the runner handles a batch's stderr
 *   lines before its stdout lines (ProcessInvoker.cs), so both streams go out on one;
 * - every secret the action knows is scrubbed from the command's output, also in the encoded forms
 *   the runner does not mask (unpadded base64 at any byte alignment, base64url).
 * Text is handled as latin1, one character per byte, so bytes that are not a secret pass unchanged.
 */

/** How long an unfinished line may wait for its end before it is written as it is. */
export const PARTIAL_LINE_MS = 100;
/** Encoded forms of shorter values would match ordinary text: those are scrubbed raw only. */
const MIN_ENCODED_LENGTH = 8;
/** An unfinished line this long is written without waiting for its end or the timer. */
const MAX_PENDING = 64 * 1024;
/** Refreshed tokens kept for scrubbing; older ones have long expired. */
const MAX_TOKENS = 16;

export type Source = 'stdout' | 'stderr';

export interface RelayDeps {
  /** Writes to the step's stdout, in order with everything else the action writes there. */
  write(text: string): void;
  setTimer(ms: number, run: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** Every form a secret can take in output, raw and encoded, longest first. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  if (value.length >= MIN_ENCODED_LENGTH) {
    const bytes = Buffer.from(value, 'utf8');
    for (let shift = 0; shift <= 2; shift++) {
      const shifted = bytes.subarray(shift);
      // Whole groups only: the last, partial group depends on whatever follows the secret.
      const whole = shifted.subarray(0, shifted.length - (shifted.length % 3));
      for (const part of [shifted, whole]) {
        const base64 = part.toString('base64');
        forms.add(base64);
        forms.add(base64.replace(/=+$/, ''));
        forms.add(part.toString('base64url'));
      }
    }
    forms.add(
      encodeURIComponent(value).replace(
        /[!'()*]/g,
        c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
      )
    );
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  forms.delete('');
  // Compared as latin1, as the relay reads bytes.
  return [...forms]
    .map(form => Buffer.from(form, 'utf8').toString('latin1'))
    .sort((a, b) => b.length - a.length);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class OutputRelay {
  readonly #deps: RelayDeps;
  readonly #fixed = new Set<string>();
  readonly #tokens: string[] = [];
  #forms: string[] = [];
  #pattern: RegExp | undefined;
  readonly #pending: Record<Source, string> = { stdout: '', stderr: '' };
  readonly #timers: Record<Source, unknown> = { stdout: undefined, stderr: undefined };
  /** The source whose unfinished line was last written, if the output does not end a line. */
  #open: Source | undefined;
  /** The command's `::stop-commands::` token while commands are stopped. */
  #stopToken: string | undefined;

  constructor(deps: RelayDeps, secrets: string[] = []) {
    this.#deps = deps;
    for (const secret of secrets) this.addSecret(secret, true);
  }

  /** Scrubs `value` from all later output. Input credentials stay; tokens rotate out after 16. */
  addSecret(value: string, fixed = false): void {
    if (!value || this.#fixed.has(value) || this.#tokens.includes(value)) return;
    if (fixed) this.#fixed.add(value);
    else {
      this.#tokens.push(value);
      if (this.#tokens.length > MAX_TOKENS) this.#tokens.shift();
    }
    this.#forms = [...new Set([...this.#fixed, ...this.#tokens].flatMap(secretForms))].sort(
      (a, b) => b.length - a.length
    );
    this.#pattern = new RegExp(this.#forms.map(escape).join('|'), 'g');
  }

  /** Output of the command on one of its streams (latin1 text: one character per byte). */
  push(source: Source, text: string): void {
    // Only the new text can hold the last line end: what was pending had none.
    const newline = text.lastIndexOf('\n');
    if (newline === -1) {
      this.#pending[source] += text;
    } else {
      const complete = this.#pending[source] + text.slice(0, newline + 1);
      this.#pending[source] = text.slice(newline + 1);
      this.#emit(source, complete);
    }
    if (this.#pending[source].length > MAX_PENDING) {
      this.#deps.clearTimer(this.#timers[source]);
      this.#flushPartial(source);
      return;
    }
    if (this.#pending[source] && this.#timers[source] === undefined) {
      this.#timers[source] = this.#deps.setTimer(PARTIAL_LINE_MS, () => this.#flushPartial(source));
    }
  }

  /** The stream has ended: what is left is written, a secret's beginning in it scrubbed. */
  end(source: Source): void {
    this.#deps.clearTimer(this.#timers[source]);
    this.#timers[source] = undefined;
    const rest = this.#pending[source];
    this.#pending[source] = '';
    if (!rest) return;
    const held = this.#heldBack(rest);
    const text =
      rest.slice(0, rest.length - held) +
      (held >= MIN_ENCODED_LENGTH ? '***' : rest.slice(rest.length - held));
    this.#emit(source, text);
  }

  /**
   * Wraps a line the action itself writes (a workflow command or a log line): it starts a line of
   * its own, and commands are resumed around it when the command stopped them.
   */
  own(text: string): string {
    let prefix = '';
    if (this.#open !== undefined) {
      prefix = '\n';
      this.#open = undefined;
    }
    if (this.#stopToken === undefined) return prefix + text;
    const token = this.#stopToken;
    return `${prefix}::${token}::\n${text}${text.endsWith('\n') ? '' : '\n'}::stop-commands::${token}\n`;
  }

  #flushPartial(source: Source): void {
    this.#timers[source] = undefined;
    const pending = this.#pending[source];
    // A secret may be arriving in pieces: its beginning waits for the rest (or the line's end).
    const held = this.#heldBack(pending);
    if (held === pending.length) return;
    this.#pending[source] = pending.slice(pending.length - held);
    this.#emit(source, pending.slice(0, pending.length - held));
    if (held && this.#timers[source] === undefined) {
      this.#timers[source] = this.#deps.setTimer(PARTIAL_LINE_MS, () => this.#flushPartial(source));
    }
  }

  /** The length of the longest end of `text` that is the beginning of a secret's form. */
  #heldBack(text: string): number {
    let longest = 0;
    for (const form of this.#forms) {
      for (let length = Math.min(form.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(form.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  #emit(source: Source, text: string): void {
    let out = this.#pattern ? text.replace(this.#pattern, '***') : text;
    if (this.#open !== undefined && this.#open !== source) out = `\n${out}`;
    this.#open = out.endsWith('\n') ? undefined : source;
    this.#track(out);
    this.#deps.write(out);
  }

  /** Follows `::stop-commands::` and its resume, as the runner will see them. */
  #track(text: string): void {
    if (!text.includes('::')) return;
    for (const line of text.split('\n')) {
      const command = /^\s*::([^:\s]*)::(.*)$/.exec(line);
      if (!command) continue;
      const [, name, data] = command;
      if (this.#stopToken === undefined) {
        if (name.toLowerCase() === 'stop-commands' && data) this.#stopToken = data.trimEnd();
      } else if (name.toLowerCase() === this.#stopToken.toLowerCase()) {
        this.#stopToken = undefined;
      }
    }
  }
}
