import { expiryIso, formatDuration, isExpired, readClaims } from './claims.ts';
import type { Grant, KlearClient } from './client.ts';
import { ActionError } from './errors.ts';
import { annotate, withRetry, type RetryDeps, type RetryPolicy } from './retry.ts';

export interface Credentials {
  refreshToken: string;
  accessToken: string;
  companyName: string;
  username: string;
  password: string;
}

export interface Minted extends Grant {
  method: 'refresh' | 'login';
  /** Every request this took, the refresh's before a login included. */
  attempts: number;
}

export interface MintDeps {
  client: Pick<KlearClient, 'refresh' | 'login'>;
  policy: RetryPolicy;
  retry: RetryDeps;
  info(message: string): void;
  warning(message: string): void;
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Run mode's refreshes, whose tokens came from KlearStack during the run: KlearStack alone judges
   * them. The refresh token is sent whatever its exp says by the runner's clock (which may be
   * skewed), and a refresh refused because its bearer has expired is sent once more at once
   * without one. Plain mode judges its input tokens by the wall clock, with leeway, and reports a
   * refused bearer.
   */
  klearStackJudges?: boolean;
}

const DAY_SECONDS = 24 * 3600;
/**
 * A refresh token handed in as an input has no arrival time, only `exp` against the runner's wall
 * clock, which may run ahead of KlearStack's. Within this leeway (RFC 7519 §4.1.4: "a few minutes")
 * it is sent and KlearStack decides; beyond it, it is not sent.
 */
export const INPUT_EXPIRY_LEEWAY_MS = 5 * 60 * 1000;

/**
 * Gets a fresh access token: by refresh when there is a usable refresh token, by login when there is
 * none, when it has expired (by its own `exp`; an expired one is never sent), or when KlearStack
 * rejects it with 401 and a service account was given.
 */
export async function mint(credentials: Credentials, deps: MintDeps): Promise<Minted> {
  const started = deps.now();
  const canLogin = Boolean(credentials.username && credentials.password);
  const { refreshToken } = credentials;
  /** Requests the refresh made before a login took over: the login's error counts them too. */
  let refreshRequests = 0;
  if (refreshToken) {
    if (!deps.klearStackJudges && isExpired(refreshToken, deps.now(), INPUT_EXPIRY_LEEWAY_MS)) {
      const exp = readClaims(refreshToken).exp as number;
      const nowSeconds = deps.now() / 1000;
      const when = `${new Date(exp * 1000).toISOString()} (${formatDuration(nowSeconds - exp)} ago)`;
      if (!canLogin) {
        throw new ActionError(
          `The refresh token expired at ${when}, so it was not sent. Store a new refresh token in the secret, or give username and password (a service account) so unattended jobs can log in.`
        );
      }
      deps.info(
        `The refresh token expired at ${when}; logging in with the service account instead.`
      );
    } else {
      try {
        const refreshed = await withRetry(
          () => refreshOnce(credentials, deps, () => refreshRequests++),
          deps.policy,
          deps.retry
        );
        return { ...refreshed.value, method: 'refresh', attempts: refreshRequests };
      } catch (error) {
        // Only KlearStack's own 401: a gateway's login page must never be sent the password.
        if (!(canLogin && error instanceof ActionError && error.status === 401)) throw error;
        if (error.fromGateway) throw error;
        deps.warning(
          'KlearStack rejected the refresh (HTTP 401); logging in with the service account instead.'
        );
      }
    }
  }
  let loginRequests = 0;
  try {
    const loggedIn = await withRetry(
      () => {
        loginRequests++;
        return deps.client.login({
          username: credentials.username,
          password: credentials.password,
          companyName: credentials.companyName
        });
      },
      deps.policy,
      deps.retry
    );
    return { ...loggedIn.value, method: 'login', attempts: refreshRequests + loginRequests };
  } catch (error) {
    if (!(error instanceof ActionError && refreshRequests)) throw error;
    throw withTotal(error, refreshRequests, loginRequests, deps.now() - started);
  }
}

/**
 * max-attempts bounds the refresh and the login after it each, so a step can make up to twice as
 * many requests; a login's failure says how many there were in all, not only its own.
 */
function withTotal(
  error: ActionError,
  refreshes: number,
  logins: number,
  elapsedMs: number
): ActionError {
  const requests = (n: number) => (n === 1 ? '1 request' : `${n} requests`);
  return annotate(
    error,
    `With the refresh before it (${requests(refreshes)}), the step made ${requests(refreshes + logins)} in ${(elapsedMs / 1000).toFixed(1)} s (max-attempts bounds the refresh and the login each).`
  );
}

/** `sent` is called before each request: a refresh refused for its bearer sends a second. */
async function refreshOnce(credentials: Credentials, deps: MintDeps, sent: () => void) {
  const request = {
    refreshToken: credentials.refreshToken,
    companyName: credentials.companyName,
    accessToken: credentials.accessToken
  };
  try {
    sent();
    return await deps.client.refresh(request);
  } catch (error) {
    if (!(deps.klearStackJudges && request.accessToken)) throw error;
    if (!(error instanceof ActionError && error.bearerExpired)) throw error;
    sent();
    return deps.client.refresh({ ...request, accessToken: '' });
  }
}

/** Warnings worth one line at the start of a step; the API stays the judge, so nothing here fails. */
export function expiryWarnings(credentials: Credentials, nowMs: number): string[] {
  const now = nowMs / 1000;
  const warnings: string[] = [];
  if (isExpired(credentials.accessToken, nowMs)) {
    warnings.push(
      `The access-token input expired at ${expiryIso(credentials.accessToken)}; trying anyway, but KlearStack will probably answer 401. Leave access-token empty or pass a fresh one.`
    );
  }
  const refresh = readClaims(credentials.refreshToken).exp;
  if (
    credentials.refreshToken &&
    refresh !== undefined &&
    refresh > now &&
    refresh - now < DAY_SECONDS
  ) {
    warnings.push(
      `The refresh token expires in ${formatDuration(refresh - now)} (at ${new Date(refresh * 1000).toISOString()}). Store a new one soon, or give username and password so unattended jobs can log in.`
    );
  }
  return warnings;
}
