// The job summary is Markdown that GitHub renders: a value KlearStack chose must stay text.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { codeSpan, renderSummary } from '../src/summary.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';

/**
 * What a CommonMark reader takes from the start of `markdown` as a code span (spec 6.1): a run of
 * n backticks opens it, the next run of exactly n closes it, line endings become spaces, and one
 * space is stripped from each side when both sides have one and the content is not all spaces.
 * Inside a GFM table cell, `\|` is a literal pipe. Undefined when no span closes.
 */
function readCodeSpan(markdown: string): { content: string; rest: string } | undefined {
  const opener = /^`+/.exec(markdown)?.[0];
  if (!opener) return undefined;
  const closer = new RegExp(`(?<!\`)${opener}(?!\`)`, 'g');
  closer.lastIndex = opener.length;
  const match = closer.exec(markdown);
  if (!match) return undefined;
  let content = markdown.slice(opener.length, match.index).replace(/\r\n|\r|\n/g, ' ');
  if (/^ .* $/s.test(content) && content.trim()) content = content.slice(1, -1);
  return {
    content: content.replace(/\\\|/g, '|'),
    rest: markdown.slice(match.index + opener.length)
  };
}

describe('codeSpan', () => {
  it('shows a host name as code, which GitHub never turns into a link', () => {
    expect(codeSpan('1.example-relogin.com')).toBe('`1.example-relogin.com`');
  });

  it.each([
    ['a backtick inside', 'a`b', '``a`b``'],
    ['a leading backtick', '`x', '`` `x ``'],
    ['two backticks inside', 'a``b`', '``` a``b` ```'],
    ['a pipe, which would end the table cell', 'a|b', '`a\\|b`']
  ])('%s', (_case, value, expected) => {
    expect(codeSpan(value)).toBe(expected);
  });

  it('reads back as exactly the value, as one span and nothing after it, whatever the value', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('`', ' ', '|', '\\', '[', ']', '(', ')', '<', '*', 'a', '.'),
          minLength: 1
        }),
        value => {
          fc.pre(value.trim() !== '');
          const read = readCodeSpan(codeSpan(value));
          expect(read).toEqual({ content: value, rest: '' });
        }
      ),
      { seed: 5, numRuns: 2000 }
    );
  });
});

describe('renderSummary', () => {
  it("puts KlearStack's release_version in a code span", () => {
    const markdown = renderSummary(
      {
        accessToken: fakeJwt({ exp: nowSeconds() + 900 }),
        releaseVersion: '1.example-relogin.com',
        method: 'refresh',
        attempts: 1
      },
      ''
    );
    expect(markdown).toContain('| KlearStack release | `1.example-relogin.com` |');
  });
});
