import { describe, expect, it } from '@jest/globals';
import { EXPIRY_MARGIN_MS, nextRefreshDelay } from '../src/keep-fresh.ts';
import { fakeJwt } from './helpers/jwt.ts';

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const TEN_MINUTES_MS = 10 * 60 * 1000;
const expiringIn = (seconds: number) => fakeJwt({ token_type: 'access', exp: NOW + seconds });

describe('nextRefreshDelay', () => {
  it('waits the interval while the token outlives it by more than two minutes', () => {
    expect(nextRefreshDelay(expiringIn(900), TEN_MINUTES_MS, NOW_MS)).toBe(TEN_MINUTES_MS);
  });

  it('refreshes two minutes before exp when that comes before the interval', () => {
    expect(EXPIRY_MARGIN_MS).toBe(2 * 60 * 1000);
    expect(nextRefreshDelay(expiringIn(300), TEN_MINUTES_MS, NOW_MS)).toBe(180_000);
    expect(nextRefreshDelay(expiringIn(720), TEN_MINUTES_MS, NOW_MS)).toBe(TEN_MINUTES_MS);
    expect(nextRefreshDelay(expiringIn(719), TEN_MINUTES_MS, NOW_MS)).toBe(599_000);
  });

  it('waits the interval for a token whose expiry it cannot read', () => {
    expect(nextRefreshDelay('opaque-token-value', TEN_MINUTES_MS, NOW_MS)).toBe(TEN_MINUTES_MS);
    expect(nextRefreshDelay(fakeJwt({ token_type: 'access' }), 90_000, NOW_MS)).toBe(90_000);
  });

  it('never waits less than a second, even for a token already inside the margin or expired', () => {
    expect(nextRefreshDelay(expiringIn(60), TEN_MINUTES_MS, NOW_MS)).toBe(1000);
    expect(nextRefreshDelay(expiringIn(-600), TEN_MINUTES_MS, NOW_MS)).toBe(1000);
    expect(nextRefreshDelay(expiringIn(900), 10, NOW_MS)).toBe(1000);
  });
});
