/**
 * Reads a KlearStack JWT's claims. The signing key is the server's, so nothing here verifies a
 * signature: the claims only tell us when to refresh and what to warn about. The API stays the judge.
 */
export interface Claims {
  /** Expiry, seconds since the epoch (as stated: see plausibleSeconds). */
  exp?: number;
  /** 'access' or 'refresh' in KlearStack (SimpleJWT) tokens. */
  tokenType?: string;
}

/** Characters a bearer token is made of: base64url, base64 and the dots between (a JWT's too). */
const TOKEN_ALPHABET = /^[A-Za-z0-9._~+/=-]+$/;
/**
 * Below this a value is a word ("ok", "null", "a.b.c"), not a credential: exporting it fails every
 * call, and it is too short to mask (a mask that short would blank that word all over the log, so
 * no token shorter than this is ever exported unmasked: it is refused). The runner's add-mask has
 * no minimum; this one is ours.
 */
export const MIN_TOKEN_LENGTH = 16;
/**
 * Above this a value is no token but a fault, and a hazard where it is put: a KlearStack JWT is
 * about 300 characters. A variable over 128 KiB breaks every later process start on Linux
 * (MAX_ARG_STRLEN), and Windows gives a process's whole environment 32,767 characters, so a token
 * over half of that leaves the runner's own variables no room. 16 KiB keeps 50 times a real token.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Whether a value looks like a KlearStack token: MIN_TOKEN_LENGTH to MAX_TOKEN_LENGTH characters
 * of the token alphabet. A JWT (what KlearStack issues) is such a value, and so is an opaque token
 * a gateway might swap in.
 */
export function looksLikeToken(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  return (
    value.length >= MIN_TOKEN_LENGTH &&
    value.length <= MAX_TOKEN_LENGTH &&
    TOKEN_ALPHABET.test(value)
  );
}

/** What looksLikeToken accepts, for messages. */
export const TOKEN_RULE = `${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters of the token alphabet (letters, digits and . _ ~ + / = -)`;

/** Beyond this a JavaScript Date cannot represent the instant (and no real token expires there). */
const MAX_DATE_SECONDS = 8.64e12;
/** A claim past this is milliseconds, not seconds: in seconds it is the year 5138. */
const MAX_PLAUSIBLE_SECONDS = 1e11;

/** Whether a time claim reads as seconds since the epoch: positive, and not milliseconds. */
export function plausibleSeconds(seconds: number | undefined): seconds is number {
  return seconds !== undefined && seconds > 0 && seconds < MAX_PLAUSIBLE_SECONDS;
}

/** The token's claims, or an empty object when it is not a readable JWT (opaque tokens are allowed). */
export function readClaims(token: string): Claims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const json: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof json !== 'object' || json === null) return {};
    // No `iat`: SimpleJWT before 5.5 copies the refresh token's, so it says nothing about timing.
    const { exp, token_type: tokenType } = json as Record<string, unknown>;
    const seconds = (value: unknown) =>
      typeof value === 'number' && Math.abs(value) <= MAX_DATE_SECONDS ? value : undefined;
    return {
      exp: seconds(exp),
      tokenType: typeof tokenType === 'string' ? tokenType : undefined
    };
  } catch {
    return {};
  }
}

/**
 * Whether the token's `exp` passed more than `leewayMs` ago by the wall clock `nowMs`; a token
 * without a plausible one is never taken for expired. Only for tokens handed in as inputs, which
 * have no arrival time: run mode's own tokens are judged by token-time.ts.
 */
export function isExpired(token: string, nowMs: number, leewayMs = 0): boolean {
  const { exp } = readClaims(token);
  return plausibleSeconds(exp) && exp * 1000 + leewayMs <= nowMs;
}

/** `exp` as ISO 8601 UTC, as KlearStack states it; '' when the token carries no plausible one. */
export function expiryIso(token: string): string {
  const { exp } = readClaims(token);
  return plausibleSeconds(exp) ? new Date(exp * 1000).toISOString() : '';
}

/** Human form of a span of seconds: "3 h 12 min", "45 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
