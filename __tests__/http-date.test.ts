import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseHttpDate } from '../src/http-date.ts';

const NOW = Date.UTC(2026, 11, 7, 13, 0, 0);
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const DAYS = 'Sun Mon Tue Wed Thu Fri Sat'.split(' ');
const LONG_DAYS = 'Sunday Monday Tuesday Wednesday Thursday Friday Saturday'.split(' ');
const pad = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) =>
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** The three forms of RFC 9110 §5.6.7, written out independently of the parser. */
const FORMS = {
  imf: (ms: number) => new Date(ms).toUTCString(),
  rfc850: (ms: number) => {
    const d = new Date(ms);
    const year = pad(d.getUTCFullYear() % 100);
    return `${LONG_DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${year} ${clock(d)} GMT`;
  },
  asctime: (ms: number) => {
    const d = new Date(ms);
    const day = String(d.getUTCDate()).padStart(2, ' ');
    return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${clock(d)} ${d.getUTCFullYear()}`;
  }
};

/** Whole seconds from 1970 to the year 5138 (beyond, a time is milliseconds: claims.ts), or, for RFC 850's two-digit year, within 49 years of NOW. */
const instant = fc.integer({ min: 1, max: 99_999_999_999 }).map(s => s * 1000);
const nearInstant = fc
  .integer({ min: -49 * 365 * 86_400, max: 49 * 365 * 86_400 })
  .map(s => Math.floor(NOW / 1000) * 1000 + s * 1000);

describe('parseHttpDate: the three forms of RFC 9110, each GMT', () => {
  it.each([
    ['IMF-fixdate', 'Mon, 07 Dec 2026 13:02:25 GMT'],
    ['RFC 850', 'Monday, 07-Dec-26 13:02:25 GMT'],
    ['asctime with a zero-padded day, which its grammar allows', 'Mon Dec 07 13:02:25 2026'],
    ['asctime, as GMT and not local time', 'Mon Dec  7 13:02:25 2026']
  ])('reads %s', (_form, value) => {
    expect(parseHttpDate(value, NOW)).toBe(Date.UTC(2026, 11, 7, 13, 2, 25));
  });

  it.each([
    ['a number', '1'],
    ['an ISO date', '2026-12-07'],
    ['an ISO instant', '2026-12-07T13:02:25Z'],
    ['a word', 'yesterday'],
    ['another zone', 'Mon, 07 Dec 2026 13:02:25 +0000'],
    ['a wrong weekday', 'Sun, 07 Dec 2026 13:02:25 GMT'],
    ['a leap second', 'Mon, 07 Dec 2026 13:02:60 GMT'],
    ['lower-case names', 'mon, 07 dec 2026 13:02:25 GMT'],
    ['a 31 February', 'Wed, 31 Feb 2026 13:02:25 GMT'],
    ['hour 24', 'Mon, 07 Dec 2026 24:00:00 GMT'],
    ['the epoch (a server without a clock)', 'Thu, 01 Jan 1970 00:00:00 GMT'],
    ['a year before the epoch', 'Tue, 02 Jan 0070 00:00:00 GMT'],
    ['missing', undefined]
  ])('gives nothing for %s', (_name, value) => {
    expect(parseHttpDate(value, NOW)).toBeUndefined();
  });

  it('reads each form of any instant back to that instant, in a process whose zone is UTC+5:30', () => {
    // A parser that used local time anywhere would be off by 5 h 30 min there. Jest's sandbox
    // cannot change the zone, so a child node with TZ=Asia/Kolkata parses what fast-check drew.
    const cases = [
      ...fc.sample(instant, 300).flatMap(ms => [
        [FORMS.imf(ms), ms],
        [FORMS.asctime(ms), ms]
      ]),
      ...fc.sample(nearInstant, 300).map(ms => [FORMS.rfc850(ms), ms])
    ] as [string, number][];
    const script = `import('./src/http-date.ts').then(({ parseHttpDate }) => {
      const offset = new Date(0).getTimezoneOffset();
      const parsed = JSON.parse(process.argv[1]).map(([value]) => parseHttpDate(value, ${NOW}));
      console.log(JSON.stringify({ offset, parsed }));
    })`;
    const out = execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
      env: { ...process.env, TZ: 'Asia/Kolkata', NODE_OPTIONS: '' },
      encoding: 'utf8'
    });
    const { offset, parsed } = JSON.parse(out) as { offset: number; parsed: number[] };
    expect(offset).toBe(-330);
    expect(parsed).toEqual(cases.map(([, ms]) => ms));
  });

  /** A string and, when the parser reads it, whether it is exactly a form of what it read. */
  const isAForm = (value: string, ms: number) =>
    [
      FORMS.imf(ms),
      FORMS.rfc850(ms),
      FORMS.asctime(ms),
      FORMS.asctime(ms).replace(/ {2}(\d) /, ' 0$1 ')
    ].includes(value);
  const mutated = fc
    .tuple(
      instant,
      fc.constantFrom(...Object.values(FORMS)),
      fc.nat(),
      fc.constantFrom('', ' ', '0', '1', '9', '6', ':', '-', ',', 'G', 'x', '\t')
    )
    .map(([ms, form, at, char]) => {
      const text = form(ms);
      const i = at % (text.length + 1);
      return text.slice(0, i) + char + text.slice(i + 1);
    });

  it('reads nothing that is not exactly one of the three forms of the instant it gives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme-ascii' }), mutated), value => {
        const ms = parseHttpDate(value, NOW);
        return ms === undefined || isAForm(value, ms);
      }),
      { numRuns: 2000 }
    );
  });
});
