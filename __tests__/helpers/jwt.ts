/** Unsigned-looking JWTs with chosen claims, for tests that only need the client to read `exp`. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'HS256' })}.${part(claims)}.c2lnbmF0dXJl`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
