import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  describeSkew,
  expiresAt,
  implausibleWarning,
  isDead,
  lifeMs,
  MIN_EARLY_GAP_MS,
  refreshDueAt,
  skewWarning,
  tokenTime
} from '../src/run/token-time.ts';
import { expiryIso, isExpired } from '../src/claims.ts';
import { fakeJwt } from './helpers/jwt.ts';

const WALL = 1_800_000_000_000;
const NOW = WALL / 1000;
const SENT = { wall: WALL, monotonic: 5_000 };
const MINUTE = 60_000;
const token = (claims: Record<string, unknown>) => fakeJwt({ token_type: 'access', ...claims });

describe('tokenTime: a deadline on the monotonic clock', () => {
  it('counts exp − Date from the answer’s arrival, less a second for whole seconds', () => {
    const time = tokenTime(token({ iat: NOW, exp: NOW + 900 }), SENT, WALL);
    expect(time.deadline).toBe(5_000 + 900_000 - 1000);
    expect(time.skewMs).toBe(0);
    expect(lifeMs(time)).toBe(899_000);
  });

  it('ignores iat, copied from a refresh token hours old or a second old', () => {
    // SimpleJWT < 5.5: the access token carries its refresh token's iat, here 2 h old.
    const copied = tokenTime(token({ iat: NOW - 7200, exp: NOW + 20 }), SENT, WALL);
    const fresh = tokenTime(token({ iat: NOW, exp: NOW + 20 }), SENT, WALL);
    expect(copied.deadline).toBe(5_000 + 19_000);
    expect(fresh.deadline).toBe(copied.deadline);
    expect(copied.skewMs).toBe(0);
  });

  it('gives the same deadline whatever the wall clocks say, and the skew from Date', () => {
    // KlearStack's clock is 2 h ahead of the runner's: exp is 2 h in the runner's future.
    const ahead = tokenTime(token({ exp: NOW + 7200 + 900 }), SENT, WALL + 7_200_000);
    // And 20 min behind: by the runner's wall clock the token expired 5 minutes before it arrived.
    const behind = tokenTime(token({ exp: NOW - 300 }), SENT, WALL - 1_200_000);
    expect(ahead.deadline).toBe(5_000 + 899_000);
    expect(behind.deadline).toBe(5_000 + 899_000);
    expect(ahead.skewMs).toBe(7_200_000);
    // Date is truncated to the second, so the skew it shows may be a second less behind than that.
    expect(behind.skewMs).toBe(-1_199_000);
  });

  it('without a Date falls back to exp against the wall clock, and estimates no skew', () => {
    expect(tokenTime(token({ iat: NOW - 7200, exp: NOW + 600 }), SENT, undefined).deadline).toBe(
      5_000 + 599_000
    );
    expect(tokenTime(token({ iat: NOW + 3600, exp: NOW + 600 }), SENT, undefined).skewMs).toBe(
      undefined
    );
  });

  it('has no deadline for a token without exp', () => {
    expect(tokenTime(token({ iat: NOW }), SENT, WALL)).toEqual({ obtainedAt: 5_000 });
    expect(tokenTime('opaque-token-value', SENT, WALL)).toEqual({ obtainedAt: 5_000 });
  });

  it.each([
    ['exp in milliseconds', { iat: NOW, exp: (NOW + 900) * 1000 }, WALL, /looks like milliseconds/],
    ['exp 0', { iat: NOW, exp: 0 }, WALL, /is not a time/],
    ['exp negative', { exp: -5 }, WALL, /is not a time/],
    [
      'exp at the Date',
      { iat: NOW - 10, exp: NOW },
      WALL,
      /was not after the moment KlearStack answered/
    ],
    ['exp before the Date', { exp: NOW - 1 }, WALL, /was not after the moment KlearStack answered/],
    [
      'no Date, exp already past by the wall clock',
      { exp: NOW - 30 },
      undefined,
      /already past its exp/
    ]
  ])('takes %s as no expiry, and says why', (_name, claims, date, why) => {
    const time = tokenTime(token(claims), SENT, date);
    expect(time.deadline).toBeUndefined();
    expect(time.implausible).toMatch(why);
  });
});

describe('expiresAt and implausibleWarning: one judgement for the output and the warning', () => {
  it.each([
    ['exp an hour before a true Date', { exp: NOW - 3600 }, WALL],
    ['exp 60 s past by the runner’s clock, no Date', { exp: NOW - 60 }, undefined],
    ['exp in milliseconds', { exp: (NOW + 900) * 1000 }, WALL]
  ])('leaves expires-at empty and warns for %s', (_name, claims, date) => {
    const jwt = token(claims);
    const time = tokenTime(jwt, SENT, date);
    expect(expiresAt(jwt, time)).toBe('');
    expect(implausibleWarning(time)).toMatch(
      /^The KlearStack access token's expiry cannot be used: .+\. It is refreshed at refresh-interval only\.$/
    );
  });

  it('gives a living token its exp, and no warning', () => {
    const jwt = token({ exp: NOW + 900 });
    const time = tokenTime(jwt, SENT, WALL);
    expect(expiresAt(jwt, time)).toBe(new Date((NOW + 900) * 1000).toISOString());
    expect(implausibleWarning(time)).toBeUndefined();
  });
});

describe('a slow answer is not skew', () => {
  // The request went out at WALL by both clocks; KlearStack stamped Date at once, and the body
  // came 70 s later.
  const arrived = { wall: WALL + 70_000, monotonic: 5_000 + 70_000 };
  const jwt = token({ exp: NOW + 900 });

  it('says nothing of a Date stamped at the sending, answered 70 s later', () => {
    const time = tokenTime(jwt, arrived, WALL, 70_000);
    expect(time.skewMs).toBe(0);
    expect(skewWarning(time)).toBeUndefined();
  });

  it('still says a skew the whole interval agrees on, and no more of it than that', () => {
    // KlearStack's clock 5 min ahead: the Date could have been stamped on arrival, 70 s later.
    expect(tokenTime(jwt, arrived, WALL + 5 * MINUTE, 70_000).skewMs).toBe(5 * MINUTE - 70_000);
    // 5 min behind: at most that, less the second Date may have been truncated by.
    expect(tokenTime(jwt, arrived, WALL - 5 * MINUTE, 70_000).skewMs).toBe(-5 * MINUTE + 1000);
  });

  it('keeps the deadline counted from the arrival, erring early by the answer’s time', () => {
    expect(tokenTime(jwt, arrived, WALL, 70_000).deadline).toBe(5_000 + 70_000 + 899_000);
  });
});

describe('tokenTime is never later than the truth (properties)', () => {
  // The truth: KlearStack stamps exp and Date at one moment of its clock (Date truncated to the
  // second, as HTTP dates are), the answer then travels `transitMs` to the runner. Anything the
  // runner's clock says, and any iat, must not move the deadline past KlearStack's exp.
  it('for any skew, any copied iat age, any life of a few seconds or more, any transit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 7 * 86400 }),
        fc.integer({ min: -30 * 86400_000, max: 30 * 86400_000 }),
        fc.integer({ min: 0, max: 30 * 86400 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (lifeSeconds, skewMs, iatAgeSeconds, stampFractionMs, transitMs, monotonic) => {
          // KlearStack's clock at the stamp, and the true moment (runner's monotonic) of it.
          const klearAtStamp = WALL + stampFractionMs;
          const stampSeconds = Math.floor(klearAtStamp / 1000);
          const exp = stampSeconds + lifeSeconds;
          const jwt = token({ exp, iat: stampSeconds - iatAgeSeconds });
          const arrived = {
            monotonic: monotonic + transitMs,
            wall: klearAtStamp - skewMs + transitMs
          };
          const time = tokenTime(jwt, arrived, stampSeconds * 1000, transitMs);
          // KlearStack takes it for dead once its clock reaches exp.
          const trulyDiesAt = monotonic + (exp * 1000 - klearAtStamp);
          expect(time.deadline).toBeDefined();
          // Late by the answer's transit at most: a few seconds on the slowest network.
          expect(time.deadline as number).toBeLessThanOrEqual(trulyDiesAt + transitMs);
          // And not needlessly early: a second at most.
          expect(time.deadline as number).toBeGreaterThanOrEqual(trulyDiesAt - 1000);
          // The skew said is never more than the true one, nor of the other sign, nor off by more
          // than the second Date is truncated to and the answer's time.
          const said = time.skewMs as number;
          expect(Math.abs(said)).toBeLessThanOrEqual(Math.abs(skewMs));
          expect(said * skewMs).toBeGreaterThanOrEqual(0);
          expect(Math.abs(said - skewMs)).toBeLessThanOrEqual(1000 + transitMs);
        }
      )
    );
  });
});

describe('isDead', () => {
  const time = tokenTime(token({ iat: NOW, exp: NOW + 60 }), SENT, WALL);
  it('is false before the deadline and true from it on', () => {
    expect(isDead(time, 5_000 + 58_999)).toBe(false);
    expect(isDead(time, 5_000 + 59_000)).toBe(true);
  });
  it('is never true for a token without a deadline', () => {
    expect(isDead(tokenTime('opaque', SENT, WALL), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('refreshDueAt', () => {
  const dueAfter = (lifeSeconds: number, intervalMs: number) =>
    refreshDueAt(tokenTime(token({ exp: NOW + lifeSeconds }), SENT, WALL), intervalMs) -
    SENT.monotonic;

  it('waits the interval while the token outlives it by more than two minutes', () => {
    expect(dueAfter(900, 10 * MINUTE)).toBe(10 * MINUTE);
  });

  it('refreshes two minutes before the deadline for a long-lived token and a long interval', () => {
    expect(dueAfter(900, 60 * MINUTE)).toBe(899_000 - 2 * MINUTE);
    expect(dueAfter(24 * 3600, 48 * 3600 * 1000)).toBe(24 * 3600 * 1000 - 1000 - 2 * MINUTE);
  });

  it('refreshes at the last quarter of a short life, never sooner than half of it', () => {
    for (const life of [30, 45, 60, 119, 300, 479]) {
      const due = dueAfter(life, 10 * MINUTE);
      const modelLife = life * 1000 - 1000;
      expect(due).toBe(modelLife * 0.75);
      expect(due).toBeGreaterThanOrEqual(modelLife / 2);
    }
  });

  it('never refreshes unasked sooner than 15 s after the last, however short the life', () => {
    expect(dueAfter(5, 10 * MINUTE)).toBe(MIN_EARLY_GAP_MS);
    expect(dueAfter(2, 10 * MINUTE)).toBe(MIN_EARLY_GAP_MS);
  });

  it('counts the interval from when the request was sent, so a slow answer adds no drift', () => {
    const time = tokenTime(token({ exp: NOW + 900 }), SENT, WALL);
    expect(refreshDueAt(time, 10 * MINUTE, SENT.monotonic - 3000)).toBe(2_000 + 10 * MINUTE);
  });

  it('keeps a short interval the user asked for', () => {
    expect(dueAfter(5, 1000)).toBe(1000);
  });

  it('waits the interval for a token without a usable expiry', () => {
    expect(refreshDueAt(tokenTime('opaque', SENT, WALL), 90_000)).toBe(5_000 + 90_000);
    expect(refreshDueAt(tokenTime(token({ exp: (NOW + 60) * 1000 }), SENT, WALL), 90_000)).toBe(
      5_000 + 90_000
    );
  });
});

describe('skew', () => {
  it('is said from the runner clock’s side', () => {
    expect(describeSkew(3 * MINUTE)).toBe("3 min behind KlearStack's");
    expect(describeSkew(-2 * 3600_000)).toBe("2 h ahead of KlearStack's");
    expect(describeSkew(899_600)).toBe("15 min behind KlearStack's");
    expect(describeSkew(-45_400)).toBe("45 s ahead of KlearStack's");
  });

  it('is worth a warning only beyond a minute', () => {
    // With a copied iat two hours old, which must not count as skew.
    const at = (skewSeconds: number) =>
      skewWarning(
        tokenTime(
          token({ iat: NOW - 7200, exp: NOW + skewSeconds + 900 }),
          SENT,
          WALL + skewSeconds * 1000
        )
      );
    expect(at(60)).toBeUndefined();
    expect(at(-60)).toBeUndefined();
    expect(at(61)).toMatch(
      /^The runner's clock is 1 min behind KlearStack's \(from the Date of KlearStack's answer\)\./
    );
    expect(at(-3600)).toMatch(/^The runner's clock is 1 h ahead of KlearStack's/);
  });
});

describe('claims judged by the wall clock (input tokens only)', () => {
  it('isExpired honours a leeway', () => {
    const expired = token({ exp: NOW - 240 });
    expect(isExpired(expired, WALL)).toBe(true);
    expect(isExpired(expired, WALL, 5 * MINUTE)).toBe(false);
    expect(isExpired(token({ exp: NOW - 301 }), WALL, 5 * MINUTE)).toBe(true);
  });

  it('expires-at is exp as stated, and empty for an exp in milliseconds', () => {
    expect(expiryIso(token({ exp: NOW }))).toBe(new Date(WALL).toISOString());
    expect(expiryIso(token({ exp: WALL }))).toBe('');
    expect(isExpired(token({ exp: WALL }), WALL * 2)).toBe(false);
  });
});
