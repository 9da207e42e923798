/**
 * What run mode's relay removes from the command's output: every secret the action knows, in the
 * forms the runner does not mask too. Text is latin1, one character per byte.
 *
 * - A JWT (the tokens KlearStack mints, a refresh token given as input) is scrubbed by its shape:
 *   its header, which every token of one issuer shares, followed by the rest of the token. The
 *   header is also looked for in base64 and base64url at each of the three byte alignments, with
 *   line breaks allowed anywhere (line-wrapped base64 at any width, `\n`, `\r\n` or `\r`), and from
 *   there the whole base64 run is scrubbed, through the following lines made only of base64
 *   characters. So a token stays scrubbed for the whole run, however many were minted, at a cost
 *   that does not grow with their number: one pattern per distinct header.
 * - Any other secret is scrubbed in its exact forms (secretForms). They are found by their first
 *   ANCHOR_LENGTH characters and then compared whole, so the pattern stays small and valid
 *   whatever a secret's length or content.
 */

/** Encoded forms of shorter values would match ordinary text: those are scrubbed raw only. */
export const MIN_ENCODED_LENGTH = 8;
const ANCHOR_LENGTH = 32;
const JWT = /^(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const LINE_END = '(?:\\r\\n|\\r|\\n)';
/** How much of a JWT's header the shape patterns hold (base64 of it, with line breaks, fits TAIL_LENGTH). */
const MAX_PREFIX = 48;
/** How much of a stream's last text is kept to find an encoded header broken across two texts. */
const TAIL_LENGTH = 256;
/** What an encoded header broken across two texts can be made of. */
const TAIL = /[A-Za-z0-9+/=_.\r\n-]/;
const ALPHABETS = {
  raw: 'A-Za-z0-9_\\-',
  base64: 'A-Za-z0-9+/=',
  base64url: 'A-Za-z0-9_=\\-'
} as const;
type Alphabet = keyof typeof ALPHABETS;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** Every exact form a secret can take in output, raw and encoded (latin1), longest first. */
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
  return [...forms].map(latin1).sort((a, b) => b.length - a.length);
}

/** The patterns that find every token with this JWT header, in each form, by alphabet. */
function shapeAlternatives(header: string): [Alphabet, string][] {
  // Its beginning is enough to tell a token, and keeps the pattern small whatever the header.
  const prefix = `${header}.`.slice(0, MAX_PREFIX);
  const alternatives: [Alphabet, string][] = [
    ['raw', `${escape(prefix)}${rawRun(2 - dots(prefix))}`]
  ];
  for (let shift = 0; shift <= 2; shift++) {
    const bytes = Buffer.from(prefix.slice(shift), 'latin1');
    const whole = bytes.subarray(0, bytes.length - (bytes.length % 3));
    for (const alphabet of ['base64', 'base64url'] as const) {
      const anchor = [...whole.toString(alphabet)].map(escape).join(`${LINE_END}?`);
      const chars = `[${ALPHABETS[alphabet]}]`;
      // The run goes on through line-wrapped lines: a line end followed by a line of base64 only.
      alternatives.push([alphabet, `${anchor}${chars}*(?:${LINE_END}${chars}+(?=[\\r\\n]|$))*`]);
    }
  }
  return alternatives;
}

/** The rest of a JWT written raw: its parts, and no more than the dots it has left. */
function rawRun(dotsLeft: number): string {
  return `[${ALPHABETS.raw}]*(?:\\.[${ALPHABETS.raw}]*){0,${Math.max(0, dotsLeft)}}`;
}

const dots = (text: string) => text.split('.').length - 1;

/** Where a scrubbed run may go on in the stream's next text. */
interface Continuation {
  alphabet: Alphabet;
  /** For a raw JWT: how many of its two dots are still to come. */
  dotsLeft: number;
  /** The run reached a line end: only whole lines of the alphabet continue it. */
  atLineStart: boolean;
}

export class Scrubber {
  readonly #exact = new Set<string>();
  /** The exact forms, longest first, and a pattern of their beginnings. */
  #forms: string[] = [];
  #exactPattern: RegExp | undefined;
  readonly #headers = new Set<string>();
  #shapes: [Alphabet, string][] = [];
  #shapePattern: RegExp | undefined;
  /** Per stream: the end of the last text, in which a header's encoding may have begun. */
  readonly #tail = new Map<string, string>();
  readonly #continuation = new Map<string, Continuation>();

  /** Scrubs `value` from all later text. */
  add(value: string): void {
    const jwt = JWT.exec(value);
    if (jwt) {
      if (this.#headers.has(jwt[1])) return;
      this.#headers.add(jwt[1]);
      this.#shapes.push(...shapeAlternatives(jwt[1]));
      this.#shapePattern = new RegExp(
        this.#shapes.map(([, source]) => `(${source})`).join('|'),
        'g'
      );
      return;
    }
    const before = this.#exact.size;
    for (const form of secretForms(value)) this.#exact.add(form);
    if (this.#exact.size === before) return;
    this.#forms = [...this.#exact].sort((a, b) => b.length - a.length);
    const anchors = new Set(this.#forms.map(form => form.slice(0, ANCHOR_LENGTH)));
    this.#exactPattern = new RegExp([...anchors].map(escape).join('|'), 'g');
  }

  /** Beginnings of what is scrubbed, for holding back an unfinished line's end. */
  beginnings(): string[] {
    const headers = [...this.#headers].map(header => latin1(`${header}.`.slice(0, MAX_PREFIX)));
    return [...this.#forms, ...headers];
  }

  /** `text`, the next output of `stream`, scrubbed. */
  scrub(stream: string, text: string): string {
    if (text === '') return text;
    let out = this.#shapePattern ? this.#scrubShapes(stream, text) : text;
    if (this.#exactPattern) out = this.#scrubExact(out, this.#exactPattern);
    return out;
  }

  #scrubShapes(stream: string, text: string): string {
    const pattern = this.#shapePattern as RegExp;
    // An encoded header broken by this text's beginning (a line break, a read) is found with the
    // last text's end in front; the part already written is the header, nothing secret.
    const tail = this.#tail.get(stream) ?? '';
    if (tail) {
      pattern.lastIndex = 0;
      const window = tail + text.slice(0, TAIL_LENGTH);
      for (let match = pattern.exec(window); match; match = pattern.exec(window)) {
        if (match.index >= tail.length) break;
        if (match.index + match[0].length > tail.length) {
          this.#continuation.set(stream, {
            alphabet: this.#alphabet(match),
            atLineStart: false,
            // Of the dots, only those already written count: the run goes on from the text's start.
            dotsLeft: 2 - dots(match[0].slice(0, tail.length - match.index))
          });
        }
      }
    }
    const kept = (tail + text.slice(-TAIL_LENGTH)).slice(-TAIL_LENGTH);
    let from = kept.length;
    while (from > 0 && TAIL.test(kept[from - 1])) from--;
    this.#tail.set(stream, kept.slice(from));
    let out = '';
    let copied = 0;
    const continuation = this.#continuation.get(stream);
    this.#continuation.delete(stream);
    if (continuation) {
      const chars = `[${ALPHABETS[continuation.alphabet]}]`;
      const run =
        continuation.alphabet === 'raw'
          ? rawRun(continuation.dotsLeft)
          : continuation.atLineStart
            ? `(?:${chars}+(?=[\\r\\n]|$)${LINE_END}?)*`
            : `${chars}*(?:${LINE_END}${chars}+(?=[\\r\\n]|$))*`;
      const more = new RegExp(`^${run}`).exec(text)?.[0] ?? '';
      if (more) {
        out += hide(more);
        copied = more.length;
        const dotsLeft = continuation.dotsLeft - dots(more);
        this.#continueAfter(stream, text, copied, continuation.alphabet, dotsLeft);
      }
    }
    pattern.lastIndex = copied;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const end = match.index + match[0].length;
      out += text.slice(copied, match.index) + hide(match[0]);
      copied = end;
      this.#continueAfter(stream, text, end, this.#alphabet(match), 2 - dots(match[0]));
    }
    return out + text.slice(copied);
  }

  /** Which alternative of the shape pattern matched. */
  #alphabet(match: RegExpExecArray): Alphabet {
    return this.#shapes[match.findIndex((group, i) => i > 0 && group !== undefined) - 1][0];
  }

  /** Notes that a scrubbed run ending at `end` may go on in the stream's next text. */
  #continueAfter(
    stream: string,
    text: string,
    end: number,
    alphabet: Alphabet,
    dotsLeft: number
  ): void {
    const rest = text.slice(end);
    if (rest === '') this.#continuation.set(stream, { alphabet, atLineStart: false, dotsLeft });
    else if (alphabet !== 'raw' && /^(?:\r\n|\r|\n)$/.test(rest)) {
      this.#continuation.set(stream, { alphabet, atLineStart: true, dotsLeft });
    }
  }

  #scrubExact(text: string, pattern: RegExp): string {
    let out = '';
    let copied = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const at = match.index;
      const form = this.#forms.find(candidate => text.startsWith(candidate, at));
      if (!form) {
        pattern.lastIndex = match.index + 1;
        continue;
      }
      out += `${text.slice(copied, match.index)}***`;
      copied = match.index + form.length;
      pattern.lastIndex = copied;
    }
    return out + text.slice(copied);
  }
}

/** A scrubbed span: `***` for each line's part, the line ends kept, so the lines stay lines. */
function hide(span: string): string {
  return span.replace(/[^\r\n]+/g, '***');
}
