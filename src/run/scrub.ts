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
 *   whatever a secret's length or content. The patterns are made VALUES_PER_PATTERN values at a
 *   time: a command that masks thousands of values of its own (one per line, say) made one
 *   pattern of all of them anew for each, which V8 compiled again at the next output, a cost
 *   growing with the square of their number (2,000 values: 98 ms each by the last, 96 s of CPU in
 *   all, the refreshes held up until the token expired). Now a new value remakes only the last
 *   pattern, and output is searched with each.
 */

/** Encoded forms of shorter values would match ordinary text: those are scrubbed raw only. */
export const MIN_ENCODED_LENGTH = 8;
const ANCHOR_LENGTH = 32;
const VALUES_PER_PATTERN = 32;
/**
 * Forms up to this long are searched inside for another that begins there and runs past them;
 * longer ones in their last this many characters.
 */
const OVERLAPS_WITHIN = 256;
const JWT = /^(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const LINE_END = '(?:\\r\\n?|\\n)';
/**
 * A line end or none: the same as `(?:\r\n|\r|\n)?`, tried in the same order, but a V8 pattern
 * with one between every two characters of six encoded headers took 36 ms to compile, this 22.
 */
const MAYBE_LINE_END = '\\r?\\n?';
/** Ordinary output, over 1,000 characters: what Scrubber.warm compiles the patterns against. */
const WARM_SAMPLE =
  'Downloading the quick brown fox: 45% done, step 3/7 of main.c (0123456789)\n'.repeat(14);
/** How much of a JWT's header the shape patterns hold (base64 of it, with line breaks, fits TAIL_LENGTH). */
const MAX_PREFIX = 48;
/** How much of a stream's last base64 run is kept to find an encoded header broken across texts. */
const TAIL_LENGTH = 256;
/** What an encoded header broken across two texts can be made of, by character code. */
const IN_RUN = new Uint8Array(256);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-\r\n') {
  IN_RUN[char.charCodeAt(0)] = 1;
}
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

/**
 * What the shape patterns begin with, line breaks aside: the header's beginning (enough to tell a
 * token, and small whatever the header), then its base64 and base64url at each alignment.
 */
function headerAnchors(header: string): string[] {
  const prefix = `${header}.`.slice(0, MAX_PREFIX);
  const found = [prefix];
  for (let shift = 0; shift <= 2; shift++) {
    const bytes = Buffer.from(prefix.slice(shift), 'latin1');
    const whole = bytes.subarray(0, bytes.length - (bytes.length % 3));
    found.push(whole.toString('base64'), whole.toString('base64url'));
  }
  return found;
}

/** The patterns that find every token with this JWT header, in each form, by alphabet. */
function shapeAlternatives(header: string): [Alphabet, string][] {
  const [prefix, ...encoded] = headerAnchors(header);
  return [
    ['raw', `${escape(prefix)}${rawRun(2 - dots(prefix))}`],
    ...encoded.map((anchor, i): [Alphabet, string] => {
      const alphabet = i % 2 === 0 ? 'base64' : 'base64url';
      const chars = `[${ALPHABETS[alphabet]}]`;
      // Line breaks anywhere in the header's encoding, and the run goes on through wrapped lines:
      // a line end followed by a line of base64 only.
      const broken = [...anchor].map(escape).join(MAYBE_LINE_END);
      return [alphabet, `${broken}${chars}*(?:${LINE_END}${chars}+(?=[\\r\\n]|$))*`];
    })
  ];
}

/** The rest of a JWT written raw: its parts, and no more than the dots it has left. */
function rawRun(dotsLeft: number): string {
  return `[${ALPHABETS.raw}]*(?:\\.[${ALPHABETS.raw}]*){0,${Math.max(0, dotsLeft)}}`;
}

const dots = (text: string) => text.split('.').length - 1;

const NOTHING_BROKEN: { anchor: number; have: number }[] = [];

/** Where a scrubbed run may go on in the stream's next text. */
interface Continuation {
  alphabet: Alphabet;
  /** For a raw JWT: how many of its two dots are still to come. */
  dotsLeft: number;
  /** The run reached a line end: only whole lines of the alphabet continue it. */
  atLineStart: boolean;
}

export class Scrubber {
  /** Every exact form. */
  readonly #exact = new Set<string>();
  /** The exact forms in groups of VALUES_PER_PATTERN values: each longest first, with a pattern of their beginnings. */
  readonly #exactGroups: { values: number; forms: string[]; pattern: RegExp }[] = [];
  readonly #headers = new Set<string>();
  #shapes: [Alphabet, string][] = [];
  #shapePattern: RegExp | undefined;
  /** What each shape pattern begins with, line breaks aside. */
  #anchors: string[] = [];
  /** Per stream: the base64 run the last texts ended with, and the encoded headers it begins. */
  readonly #run = new Map<string, string>();
  readonly #broken = new Map<string, { anchor: number; have: number }[]>();
  readonly #continuation = new Map<string, Continuation>();

  /** Scrubs `value` from all later text. */
  add(value: string): void {
    const jwt = JWT.exec(value);
    if (jwt) {
      if (this.#headers.has(jwt[1])) return;
      this.#headers.add(jwt[1]);
      this.#shapes.push(...shapeAlternatives(jwt[1]));
      this.#anchors.push(...headerAnchors(jwt[1]));
      this.#shapePattern = new RegExp(
        this.#shapes.map(([, source]) => `(${source})`).join('|'),
        'g'
      );
      // A stream may already have written the beginning of a token with this header (the command
      // masks a token after printing part of it): its kept tail is judged again, so the rest goes.
      for (const stream of this.#run.keys()) this.#rejudgeTail(stream);
      return;
    }
    const added = secretForms(value).filter(form => !this.#exact.has(form));
    if (added.length === 0) return;
    for (const form of added) this.#exact.add(form);
    // Into the last group while it has room, else a group of its own; only that group's pattern
    // is made anew.
    const groups = this.#exactGroups;
    const last = groups.at(-1);
    const full = !last || last.values === VALUES_PER_PATTERN;
    const forms = [...(full ? [] : last.forms), ...added].sort((a, b) => b.length - a.length);
    const anchors = new Set(forms.map(form => form.slice(0, ANCHOR_LENGTH)));
    groups[full ? groups.length : groups.length - 1] = {
      values: full ? 1 : last.values + 1,
      forms,
      pattern: new RegExp([...anchors].map(escape).join('|'), 'g')
    };
  }

  /** Beginnings of what is scrubbed, for holding back an unfinished line's end. */
  beginnings(): string[] {
    const headers = [...this.#headers].map(header => latin1(`${header}.`.slice(0, MAX_PREFIX)));
    return [...this.#exact, ...headers];
  }

  /**
   * Compiles the patterns now rather than at the first output, where a JWT header's shapes held
   * the output back 20 ms or more. V8 compiles a pattern to machine code at once when its first
   * subject is 1,000 characters or more, and tunes the search to that subject's characters, so
   * it is a sample of ordinary output: a line end alone made every later search 40% slower.
   */
  warm(): void {
    for (const pattern of [this.#shapePattern, ...this.#exactGroups.map(group => group.pattern)]) {
      if (!pattern) continue;
      pattern.lastIndex = 0;
      pattern.exec(WARM_SAMPLE);
      pattern.lastIndex = 0;
    }
  }

  /** `text`, the next output of `stream`, scrubbed. */
  scrub(stream: string, text: string): string {
    if (text === '') return text;
    let out = this.#shapePattern ? this.#scrubShapes(stream, text) : text;
    if (this.#exactGroups.length > 0) out = this.#scrubExact(out);
    return out;
  }

  #scrubShapes(stream: string, text: string): string {
    const pattern = this.#shapePattern as RegExp;
    // An encoded header broken by this text's beginning (a line break, a read): its end here
    // continues the run; the part already written is the header, nothing secret.
    for (const { anchor, have } of this.#broken.get(stream) ?? []) {
      const rest = this.#anchors[anchor].slice(have);
      const head = text.slice(0, rest.length * 3 + 2).replace(/[\r\n]/g, '');
      if (head.startsWith(rest)) {
        this.#continuation.set(stream, {
          alphabet: this.#shapes[anchor][0],
          atLineStart: false,
          // A raw header's rest, here, holds the dots not yet written.
          dotsLeft: 2 - dots(this.#anchors[anchor].slice(0, have))
        });
      }
    }
    this.#broken.set(stream, this.#brokenAtEnd(stream, text));
    let out = '';
    let copied = 0;
    const continuation = this.#continuation.get(stream);
    this.#continuation.delete(stream);
    if (continuation) {
      const chars = `[${ALPHABETS[continuation.alphabet]}]`;
      // At a line start the text may begin with the `\n` of a `\r\n` the last text cut in two.
      const run =
        continuation.alphabet === 'raw'
          ? rawRun(continuation.dotsLeft)
          : continuation.atLineStart
            ? `\\n?(?:${chars}+(?=[\\r\\n]|$)${MAYBE_LINE_END})*`
            : `${chars}*(?:${LINE_END}${chars}+(?=[\\r\\n]|$))*`;
      const more = new RegExp(`^${run}`).exec(text)?.[0] ?? '';
      out += hide(more);
      copied = more.length;
      const dotsLeft = continuation.dotsLeft - dots(more);
      // Even with nothing matched here, a text that is only a line end (a read or a flush that
      // parted a wrapped line from its end) leaves the run going on into the next text.
      this.#continueAfter(stream, text, copied, continuation.alphabet, dotsLeft);
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

  /**
   * The encoded headers whose beginning ends `text`, line breaks aside (with the texts before it
   * when all of it is base64), and how much of each: the next text may finish one.
   */
  #brokenAtEnd(stream: string, text: string): { anchor: number; have: number }[] {
    let from = text.length;
    while (
      from > 0 &&
      text.length - from < TAIL_LENGTH &&
      IN_RUN[text.charCodeAt(from - 1)] === 1
    ) {
      from--;
    }
    const earlier = this.#run.get(stream) ?? '';
    const run = (from === 0 ? earlier + text : text.slice(from)).slice(-TAIL_LENGTH);
    this.#run.set(stream, run);
    // The raw header is never broken by a line end, and an unfinished line holding the beginning
    // of a known one waits for the rest (OutputRelay's heldBack).
    return this.#brokenIn(run, false);
  }

  /** The headers whose beginning ends `run`, line breaks aside; raw ones too with `raw`. */
  #brokenIn(run: string, raw: boolean): { anchor: number; have: number }[] {
    const plain = run.replace(/[\r\n]/g, '');
    if (plain === '') return NOTHING_BROKEN;
    // A raw token is on one line: only the tail's last line can begin one.
    const line = run.slice(Math.max(run.lastIndexOf('\n'), run.lastIndexOf('\r')) + 1);
    const broken: { anchor: number; have: number }[] = [];
    for (let anchor = 0; anchor < this.#anchors.length; anchor++) {
      const isRaw = this.#shapes[anchor][0] === 'raw';
      if (isRaw && !raw) continue;
      const encoded = this.#anchors[anchor];
      const tail = isRaw ? line : plain;
      const start = Math.max(0, tail.length - encoded.length + 1);
      for (
        let at = tail.indexOf(encoded[0], start);
        at >= 0;
        at = tail.indexOf(encoded[0], at + 1)
      ) {
        if (encoded.startsWith(tail.slice(at))) broken.push({ anchor, have: tail.length - at });
      }
    }
    return broken;
  }

  /**
   * Judges the stream's kept tail again, for a header just added: a beginning of it at the tail's
   * end, or a whole one whose run reaches the end, makes the stream's next text go on with it.
   */
  #rejudgeTail(stream: string): void {
    const run = this.#run.get(stream) ?? '';
    this.#broken.set(stream, this.#brokenIn(run, true));
    const pattern = this.#shapePattern as RegExp;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(run); match; match = pattern.exec(run)) {
      // Only a match at the end, or before a last line end, goes on (#continueAfter).
      if (this.#continuation.has(stream)) break;
      const end = match.index + match[0].length;
      this.#continueAfter(stream, run, end, this.#alphabet(match), 2 - dots(match[0]));
    }
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
    if (rest === '') {
      // A run that ended on a line end goes on with whole lines only.
      const atLineStart = alphabet !== 'raw' && end > 0 && /[\r\n]/.test(text[end - 1]);
      this.#continuation.set(stream, { alphabet, atLineStart, dotsLeft });
    } else if (alphabet !== 'raw' && /^(?:\r\n|\r|\n)$/.test(rest)) {
      this.#continuation.set(stream, { alphabet, atLineStart: true, dotsLeft });
    }
  }

  /**
   * `text` with every exact form hidden as the runner's SecretMasker hides them: every place one
   * is found, finds that overlap or touch as one `***` (searching on after the end of a find left
   * the tail of a value that began inside it: `abcdefghij` and `ghijklmnop` masked showed
   * `***klmnop`). The earliest place any group's pattern finds a beginning, the longest form whole
   * there; then the next place on. After a form longer than OVERLAPS_WITHIN the search goes on
   * from OVERLAPS_WITHIN before its end (and its repeats right after it), so that a long
   * repetitive value does not make it quadratic (a 1 MB one); from its very end, a value beginning
   * in its last characters, or the same long value found again inside it, showed its tail. Not
   * found: a value over OVERLAPS_WITHIN long beginning before the last OVERLAPS_WITHIN characters
   * of another and running past it. Each group's next find is kept until the search passes it, so
   * that each pattern goes through the text once, as one pattern would: searching every group
   * again after each find cost 6.4 s a 64 KiB read with 3,000 values masked and one of them on
   * every line.
   */
  #scrubExact(text: string): string {
    // Where each group's pattern next finds a beginning: -1 none left, -2 not searched yet.
    const next = this.#exactGroups.map(() => -2);
    let out = '';
    let copied = 0;
    // The stretch being hidden, from `start` to `end` (none yet while `end` is -1).
    let start = 0;
    let end = -1;
    const hideStretch = () => {
      if (end < 0) return;
      out += `${text.slice(copied, start)}***`;
      copied = end;
    };
    for (let from = 0; ;) {
      let at = Infinity;
      let form = '';
      this.#exactGroups.forEach(({ pattern, forms }, i) => {
        if (next[i] !== -1 && next[i] < from) {
          pattern.lastIndex = from;
          next[i] = pattern.exec(text)?.index ?? -1;
        }
        if (next[i] === -1 || next[i] > at) return;
        const whole = forms.find(candidate => text.startsWith(candidate, next[i])) ?? '';
        // An earlier place replaces what was found; the same place, only with a longer form.
        if (next[i] < at || whole.length > form.length) form = whole;
        at = next[i];
      });
      if (at === Infinity) break;
      if (!form) {
        from = at + 1;
        continue;
      }
      // A find past the stretch's end (not touching it) starts another: the one before is written.
      if (at > end) {
        hideStretch();
        start = at;
      }
      let reach = at + form.length;
      if (form.length > OVERLAPS_WITHIN) {
        // The same long value again right after it (a repetitive one), a step of its length each.
        while (text.startsWith(form, reach)) reach += form.length;
      }
      end = Math.max(end, reach);
      from = Math.max(at + 1, reach - OVERLAPS_WITHIN);
    }
    hideStretch();
    return out + text.slice(copied);
  }
}

/** A scrubbed span: `***` for each line's part, the line ends kept, so the lines stay lines. */
function hide(span: string): string {
  return span.replace(/[^\r\n]+/g, '***');
}
