/**
 * Token time by KlearStack's clock. A token's `exp` is stamped by KlearStack, whose clock can be
 * minutes away from the runner's (self-hosted machines without NTP, resumed VMs). Its `iat` is no
 * help: SimpleJWT before 5.5 copies the refresh token's `iat` into every access token it refreshes
 * (tokens.py, `RefreshToken.access_token`), so `exp − iat` overstates a life by the refresh token's
 * age. What does tell KlearStack's clock is its answer's `Date` header (RFC 9110 §6.6.1: an origin
 * server with a clock sends it; gunicorn and nginx do): the life left is `exp − Date`, counted from
 * the answer's arrival on the runner's monotonic clock, which trusts neither wall clock. Without a
 * usable `Date`, `exp` is judged against the runner's wall clock at arrival, the best there is.
 * Everything here is pure: the caller passes the clock readings and the `Date` it was told.
 */
import { expiryIso, formatDuration, plausibleSeconds as plausible, readClaims } from '../claims.ts';

/** `exp` and `Date` are whole seconds, so a life read from them can be up to a second too long. */
const CLAIM_RESOLUTION_MS = 1000;
/** Skew beyond this is worth saying; below it, it is latency and rounding. */
const NOTABLE_SKEW_MS = 60 * 1000;

/** Whether a skew estimate is worth a warning and a row of the job summary. */
export function isNotableSkew(skewMs: number | undefined): skewMs is number {
  return skewMs !== undefined && Math.abs(skewMs) > NOTABLE_SKEW_MS;
}
/** A refresh ahead of expiry comes at the last quarter of a token's life, at most this early. */
const MAX_AHEAD_MS = 2 * 60 * 1000;
/** However short a token lives, refreshes the interval did not ask for come no closer than this. */
export const MIN_EARLY_GAP_MS = 15 * 1000;

/** When a token dies, on the runner's monotonic clock, and what its answer said about the clocks. */
export interface TokenTime {
  /** Monotonic ms at which the token must be taken for dead; undefined when it states no usable expiry. */
  deadline?: number;
  /** Monotonic ms its answer arrived: its life is counted from here. */
  obtainedAt: number;
  /**
   * KlearStack's clock minus the runner's, from the answer's Date; undefined without one. The Date
   * was stamped somewhere between the request's sending and the answer's arrival, so this is the
   * skew nearest zero that the answer allows (0 when it allows none): a slow answer is not skew.
   */
  skewMs?: number;
  /** Set when the expiry was not believable, saying why, for one warning. */
  implausible?: string;
}

/** The wall and monotonic clocks read at one moment, as the runner sees them. */
export interface ClockReading {
  /** Milliseconds since the epoch (Date.now()): the runner's possibly wrong wall clock. */
  wall: number;
  /** Milliseconds on a clock that never jumps (performance.now()). */
  monotonic: number;
}

/**
 * The model of one token. `arrived` is the runner's clocks read as its answer came; `serverDate` is
 * that answer's `Date` (ms, KlearStack's clock), when it had a usable one; `requestMs` is how long
 * the request took, sending to arrival. KlearStack stamped `exp` before it stamped `Date`, so
 * `exp − Date` errs on the short side, and the second subtracted for whole seconds covers `Date`'s
 * truncation. Counting from arrival, as if KlearStack stamped the token then, errs early by the
 * answer's transit (however slow), never late.
 */
export function tokenTime(
  token: string,
  arrived: ClockReading,
  serverDate: number | undefined,
  requestMs = 0
): TokenTime {
  const { exp } = readClaims(token);
  const obtainedAt = arrived.monotonic;
  if (exp === undefined) return { obtainedAt };
  if (!plausible(exp)) {
    return {
      obtainedAt,
      implausible:
        exp > 0
          ? `its exp (${exp}) looks like milliseconds, not seconds`
          : `its exp (${exp}) is not a time`
    };
  }
  if (serverDate !== undefined) {
    const left = exp * 1000 - serverDate - CLAIM_RESOLUTION_MS;
    const skewMs = leastSkew(serverDate, arrived.wall, requestMs);
    if (left <= 0) {
      return {
        obtainedAt,
        skewMs,
        implausible: `its exp (${new Date(exp * 1000).toISOString()}) was not after the moment KlearStack answered (${new Date(serverDate).toISOString()}, its Date header)`
      };
    }
    return { obtainedAt, skewMs, deadline: obtainedAt + left };
  }
  const left = exp * 1000 - arrived.wall - CLAIM_RESOLUTION_MS;
  if (left <= 0) {
    return {
      obtainedAt,
      implausible: `it was already past its exp by the runner's clock when it arrived, and KlearStack's answer had no Date header to tell its own clock (is the runner's clock ahead?)`
    };
  }
  return { obtainedAt, deadline: obtainedAt + left };
}

/**
 * KlearStack's `Date` (whole seconds, truncated) was stamped at some runner time between sending
 * (`arrivedWall − requestMs`) and arrival, so its clock minus the runner's lies in
 * [Date − arrival, Date + 1 s − sending]. This is the point of that interval nearest zero: only a
 * skew the whole interval agrees on is reported.
 */
function leastSkew(serverDate: number, arrivedWall: number, requestMs: number): number {
  const low = serverDate - arrivedWall;
  const high = serverDate + CLAIM_RESOLUTION_MS - (arrivedWall - requestMs);
  if (low > 0) return low;
  return high < 0 ? high : 0;
}

/** The token's life as the model counts it, or undefined. */
export function lifeMs(time: TokenTime): number | undefined {
  return time.deadline === undefined ? undefined : time.deadline - time.obtainedAt;
}

/** Whether the token must be taken for dead at monotonic `now` (a token without a deadline never is). */
export function isDead(time: TokenTime, now: number): boolean {
  return time.deadline !== undefined && time.deadline <= now;
}

/**
 * When the next refresh is due (monotonic ms): at the interval after the request for the token was
 * sent (`sentAt`, so that a slow answer does not push every later refresh back), or before the last
 * quarter of its life (at most two minutes before it dies), whichever is sooner. A refresh the
 * interval did not ask for never comes sooner than half the token's life after it was obtained (the
 * quarter rule already keeps three quarters) nor sooner than MIN_EARLY_GAP_MS.
 */
export function refreshDueAt(
  time: TokenTime,
  intervalMs: number,
  sentAt = time.obtainedAt
): number {
  const byInterval = sentAt + intervalMs;
  const ahead = guaranteedUntil(time);
  if (ahead === undefined) return byInterval;
  return Math.min(byInterval, Math.max(ahead, time.obtainedAt + MIN_EARLY_GAP_MS));
}

/** The warning an unusable expiry is worth, or undefined. */
export function implausibleWarning(time: TokenTime): string | undefined {
  if (!time.implausible) return undefined;
  return `The KlearStack access token's expiry cannot be used: ${time.implausible}. It is refreshed at refresh-interval only.`;
}

/**
 * The `expires-at` output and the summary's row: the token's `exp`, or '' when it states none or
 * one the model could not use (the warning above says why), so that no step is told a dead token
 * lives until an instant already past.
 */
export function expiresAt(token: string, time: TokenTime): string {
  return time.implausible ? '' : expiryIso(token);
}

/**
 * Until when (monotonic ms) the token has the life run mode guarantees left: the last quarter of
 * its life, at most two minutes. Undefined when it states no usable expiry.
 */
export function guaranteedUntil(time: TokenTime): number | undefined {
  const life = lifeMs(time);
  if (life === undefined || time.deadline === undefined) return undefined;
  return time.deadline - Math.min(life / 4, MAX_AHEAD_MS);
}

/** "3 min ahead of KlearStack's" / "45 s behind KlearStack's": the runner's clock, for messages. */
export function describeSkew(skewMs: number): string {
  // The estimate is good to a second or so (Date is whole seconds, plus latency): to the nearest
  // minute once it is a minute or more, so 899.6 s reads "15 min", not "14 min".
  const seconds = Math.abs(skewMs) / 1000;
  const span = formatDuration(seconds >= 60 ? Math.round(seconds / 60) * 60 : seconds);
  // skew = KlearStack − runner: positive means the runner's clock is behind.
  return `${span} ${skewMs > 0 ? 'behind' : 'ahead of'} KlearStack's`;
}

/** The one warning a large skew is worth, or undefined. */
export function skewWarning(time: TokenTime): string | undefined {
  if (!isNotableSkew(time.skewMs)) return undefined;
  return `The runner's clock is ${describeSkew(time.skewMs)} (from the Date of KlearStack's answer). Token times follow KlearStack's clock: refreshes are timed from the token's life left by that clock, and expires-at is as KlearStack states it.`;
}
