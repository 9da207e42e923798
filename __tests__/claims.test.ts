import { describe, expect, it } from '@jest/globals';
import { isExpired } from '../src/claims.ts';
import { fakeJwt } from './helpers/jwt.ts';

describe('isExpired', () => {
  const token = fakeJwt({ exp: 1000 });
  it('is true once exp has passed, at exp itself included', () => {
    expect(isExpired(token, 1000_000)).toBe(true);
    expect(isExpired(token, 1000_001)).toBe(true);
  });
  it('is false before exp', () => expect(isExpired(token, 999_999)).toBe(false));
  it('is false for an opaque token, a token without exp, and no token', () => {
    expect(isExpired('opaque-token', Date.now())).toBe(false);
    expect(isExpired(fakeJwt({ sub: 'x' }), Date.now())).toBe(false);
    expect(isExpired('', Date.now())).toBe(false);
  });
});
