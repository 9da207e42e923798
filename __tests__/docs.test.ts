// The docs a reader meets: every error line the action can write has an entry in
// docs/TROUBLESHOOTING.md, and each file of docs/ has one `#` title and `##` sections.
//
// Which messages: every string literal given as the first argument of `new ActionError(` or
// `kit.error(` in src/ (ActionError's message is what the step's `::error::` line says). A message
// is found in the doc when the doc holds its first words: its literal text up to six words or the
// end of its first clause, where each `${…}` may stand for any short text (the doc writes
// `<host>`, `N`, `X`, `…`). Messages assembled only from other values (gateway.ts's
// `${who}: ${why}`, retry.ts's suffix) have no words of their own and are covered where their
// parts are written.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIRST_WORDS = 6;

interface Message {
  file: string;
  /** The literal's text, split where `${…}` interpolations stood. */
  pieces: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : []
  );
}

/** The pieces of the string literal that starts at `start`, or undefined if none starts there. */
function literalAt(source: string, start: number): string[] | undefined {
  const quote = source[start];
  if (quote !== '`' && quote !== "'" && quote !== '"') return undefined;
  const pieces: string[] = [];
  let piece = '';
  let at = start + 1;
  while (source[at] !== quote) {
    if (source[at] === '\\') {
      piece += source[at + 1];
      at += 2;
    } else if (quote === '`' && source.startsWith('${', at)) {
      pieces.push(piece);
      piece = '';
      let depth = 1;
      for (at += 2; depth > 0; at++) depth += { '{': 1, '}': -1 }[source[at]] ?? 0;
    } else {
      piece += source[at++];
    }
  }
  return [...pieces, piece];
}

function errorMessages(): Message[] {
  return sourceFiles(join(ROOT, 'src')).flatMap(file => {
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(/(?:new ActionError|\bkit\.error)\(\s*/g)].flatMap(call => {
      const pieces = literalAt(source, call.index + call[0].length);
      return pieces ? [{ file: file.slice(ROOT.length), pieces }] : [];
    });
  });
}

/**
 * A pattern for the message's first words: up to six, or to the end of its first clause (a `.`, `,`,
 * `:` or `;` before a space), each interpolation matching a short placeholder.
 */
function firstWords({ pieces }: Message): RegExp | undefined {
  let words = 0;
  const parts: string[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (index > 0) parts.push('[^`]{1,40}?');
    const clause = /[.,:;](\s|$)/.exec(piece);
    const text = clause ? piece.slice(0, clause.index) : piece;
    const taken = (text.match(/\s*\S+\s*/g) ?? []).slice(0, FIRST_WORDS - words);
    words += taken.length;
    parts.push(taken.join('').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    if (clause || words >= FIRST_WORDS) break;
  }
  return words === 0 ? undefined : new RegExp(parts.join('').trim().replace(/\s+/g, '\\s+'));
}

describe('docs/TROUBLESHOOTING.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'TROUBLESHOOTING.md'), 'utf8').replace(/\s+/g, ' ');
  const messages = errorMessages();

  it('finds the error messages in src/ (the rule still sees them)', () => {
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.map(message => message.pieces.join('…'))).toContainEqual(
      expect.stringMatching(/^The step was cancelled/)
    );
  });

  it("has an entry for every error line the action can write, by the message's first words", () => {
    const missing = messages.flatMap(message => {
      const pattern = firstWords(message);
      return pattern && !pattern.test(doc) ? [`${message.file}: ${pattern.source}`] : [];
    });
    expect(missing).toEqual([]);
  });

  it('fails for a message it does not hold', () => {
    const invented = { file: 'x', pieces: ['The proxy ', ' sang a song (HTTP 418).'] };
    expect(firstWords(invented)?.test(doc)).toBe(false);
    expect(
      firstWords({ file: 'x', pieces: ['Could not start ', ' to run the command'] })?.test(doc)
    ).toBe(true);
  });
});

describe('docs/', () => {
  for (const name of readdirSync(join(ROOT, 'docs')).filter(file => file.endsWith('.md'))) {
    it(`${name} has one # title and ## sections, nothing deeper`, () => {
      const text = readFileSync(join(ROOT, 'docs', name), 'utf8').replace(/```[\s\S]*?```/g, '');
      const headings = text.split('\n').filter(line => /^#+ /.test(line));
      expect(headings[0]).toMatch(/^# /);
      expect(headings.slice(1).filter(line => !line.startsWith('## '))).toEqual([]);
    });
  }
});
