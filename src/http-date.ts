/**
 * An HTTP `Date` as ms since the epoch. RFC 9110 §5.6.7 allows exactly three forms, and all three
 * are GMT: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
 * `Date.parse` is no reader of them: it takes asctime (which names no zone) in the runner's local
 * time, and takes "1" or "2026-12-07" for dates, so each form has its own pattern here and the time
 * is built with Date.UTC alone, never a local-time API.
 */
import { plausibleSeconds } from './claims.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH = MONTHS.join('|');
const DAY = DAYS.join('|');
const DAY_L = 'Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';

/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^(${DAY}), (\\d\\d) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC_850 = new RegExp(`^(${DAY_L}), (\\d\\d)-(${MONTH})-(\\d\\d) ${TIME} GMT$`);
/** Sun Nov  6 08:49:37 1994 (the grammar pads the day with a space or a zero) */
const ASCTIME = new RegExp(`^(${DAY}) (${MONTH}) ( \\d|\\d\\d) ${TIME} (\\d{4})$`);

/** A date's fields as written: weekday, day, month, year, hour, minute, second. */
type Fields = [string, string, string, number, string, string, string];

/** The fields of whichever of the three forms `value` is, in one order. */
function fieldsOf(value: string, nowMs: number): Fields | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return [m[1], m[2], m[3], Number(m[4]), m[5], m[6], m[7]];
  if ((m = RFC_850.exec(value)))
    return [m[1], m[2], m[3], fullYear(Number(m[4]), nowMs), m[5], m[6], m[7]];
  if ((m = ASCTIME.exec(value))) return [m[1], m[3], m[2], Number(m[7]), m[4], m[5], m[6]];
  return undefined;
}

/**
 * The header's instant, or undefined when it is missing, in none of the three forms, not a real
 * calendar time (a 31 Feb, hour 24, a weekday that is not that date's), or not a believable date (a
 * server without a clock must not send one; one that sends garbage is treated the same). A leap
 * second (:60) is refused too: an epoch time cannot hold it, and that one second of answers falls
 * back to the runner's clock. `nowMs` places RFC 850's two-digit year.
 */
export function parseHttpDate(value: string | undefined, nowMs = Date.now()): number | undefined {
  const fields = value ? fieldsOf(value, nowMs) : undefined;
  if (!fields) return undefined;
  const [weekday, day, month, year, hour, minute, second] = fields;
  // Date.UTC would read the year 0070 as 1970; every year before the epoch is unbelievable anyway.
  if (year < 1970 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return undefined;
  const ms = Date.UTC(
    year,
    MONTHS.indexOf(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second)
  );
  const date = new Date(ms);
  if (date.getUTCDate() !== Number(day) || DAYS[date.getUTCDay()] !== weekday.slice(0, 3))
    return undefined;
  return plausibleSeconds(ms / 1000) ? ms : undefined;
}

/**
 * RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in the future is the most
 * recent past year with those digits.
 */
function fullYear(twoDigits: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  let year = thisYear - (thisYear % 100) + twoDigits;
  if (year > thisYear + 50) year -= 100;
  return year;
}
