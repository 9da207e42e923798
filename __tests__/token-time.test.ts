import { describe, expect, it } from '@jest/globals';
import {
  describeSkew,
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
  it('counts exp − iat from the moment the request was sent, less a second for whole-second claims', () => {
    const time = tokenTime(token({ iat: NOW, exp: NOW + 900 }), SENT);
    expect(time.deadline).toBe(5_000 + 900_000 - 1000);
    expect(time.skewMs).toBe(0);
    expect(lifeMs(time)).toBe(899_000);
  });

  it('gives the same deadline whatever the wall clocks say, and estimates their skew from iat', () => {
    // KlearStack's clock is 2 h ahead of the runner's: exp is 2 h in the runner's future.
    const ahead = tokenTime(token({ iat: NOW + 7200, exp: NOW + 7200 + 900 }), SENT);
    // And 20 min behind: by the runner's wall clock the token expired 5 minutes before it arrived.
    const behind = tokenTime(token({ iat: NOW - 1200, exp: NOW - 300 }), SENT);
    expect(ahead.deadline).toBe(5_000 + 899_000);
    expect(behind.deadline).toBe(5_000 + 899_000);
    expect(ahead.skewMs).toBe(7_200_000);
    expect(behind.skewMs).toBe(-1_200_000);
  });

  it('falls back to exp against the wall clock when there is no iat', () => {
    expect(tokenTime(token({ exp: NOW + 600 }), SENT).deadline).toBe(5_000 + 599_000);
    expect(tokenTime(token({ exp: NOW + 600 }), SENT).skewMs).toBeUndefined();
  });

  it('has no deadline for a token without exp', () => {
    expect(tokenTime(token({ iat: NOW }), SENT)).toEqual({ obtainedAt: 5_000 });
    expect(tokenTime('opaque-token-value', SENT)).toEqual({ obtainedAt: 5_000 });
  });

  it.each([
    ['exp in milliseconds', { iat: NOW, exp: (NOW + 900) * 1000 }, /looks like milliseconds/],
    ['exp 0', { iat: NOW, exp: 0 }, /is not a time/],
    ['exp negative', { exp: -5 }, /is not a time/],
    ['exp before iat', { iat: NOW, exp: NOW - 1 }, /is not after its iat/],
    ['exp equal to iat', { iat: NOW, exp: NOW }, /is not after its iat/],
    ['no iat, exp already past by the wall clock', { exp: NOW - 30 }, /already past its exp/]
  ])('takes %s as no expiry, and says why', (_name, claims, why) => {
    const time = tokenTime(token(claims), SENT);
    expect(time.deadline).toBeUndefined();
    expect(time.implausible).toMatch(why);
  });

  it('reads iat in milliseconds as no iat', () => {
    const time = tokenTime(token({ iat: NOW * 1000, exp: NOW + 600 }), SENT);
    expect(time.skewMs).toBeUndefined();
    expect(time.deadline).toBe(5_000 + 599_000);
  });
});

describe('isDead', () => {
  const time = tokenTime(token({ iat: NOW, exp: NOW + 60 }), SENT);
  it('is false before the deadline and true from it on', () => {
    expect(isDead(time, 5_000 + 58_999)).toBe(false);
    expect(isDead(time, 5_000 + 59_000)).toBe(true);
  });
  it('is never true for a token without a deadline', () => {
    expect(isDead(tokenTime('opaque', SENT), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('refreshDueAt', () => {
  const dueAfter = (lifeSeconds: number, intervalMs: number) =>
    refreshDueAt(tokenTime(token({ iat: NOW, exp: NOW + lifeSeconds }), SENT), intervalMs) -
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

  it('keeps a short interval the user asked for', () => {
    expect(dueAfter(5, 1000)).toBe(1000);
  });

  it('waits the interval for a token without a usable expiry', () => {
    expect(refreshDueAt(tokenTime('opaque', SENT), 90_000)).toBe(5_000 + 90_000);
    expect(refreshDueAt(tokenTime(token({ iat: NOW, exp: (NOW + 60) * 1000 }), SENT), 90_000)).toBe(
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
    const at = (skewSeconds: number) =>
      skewWarning(tokenTime(token({ iat: NOW + skewSeconds, exp: NOW + skewSeconds + 900 }), SENT));
    expect(at(60)).toBeUndefined();
    expect(at(-60)).toBeUndefined();
    expect(at(61)).toMatch(
      /^The runner's clock is 1 min behind KlearStack's \(from the token's iat\)\./
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
