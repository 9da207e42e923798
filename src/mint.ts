import { expiryIso, formatDuration, isExpired, readClaims } from './claims.ts';
import type { Grant, KlearClient } from './client.ts';
import { ActionError } from './errors.ts';
import { withRetry, type RetryDeps, type RetryPolicy } from './retry.ts';

export interface Credentials {
  refreshToken: string;
  accessToken: string;
  companyName: string;
  username: string;
  password: string;
}

export interface Minted extends Grant {
  method: 'refresh' | 'login';
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
}

const DAY_SECONDS = 24 * 3600;

/**
 * Gets a fresh access token: by refresh when there is a usable refresh token, by login when there is
 * none, when it has expired (by its own `exp`; an expired one is never sent), or when KlearStack
 * rejects it with 401 and a service account was given.
 */
export async function mint(credentials: Credentials, deps: MintDeps): Promise<Minted> {
  const canLogin = Boolean(credentials.username && credentials.password);
  const { refreshToken } = credentials;
  if (refreshToken) {
    const { exp } = readClaims(refreshToken);
    const nowSeconds = deps.now() / 1000;
    if (exp !== undefined && exp <= nowSeconds) {
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
          () =>
            deps.client.refresh({
              refreshToken,
              companyName: credentials.companyName,
              accessToken: credentials.accessToken
            }),
          deps.policy,
          deps.retry
        );
        return { ...refreshed.value, method: 'refresh', attempts: refreshed.attempts };
      } catch (error) {
        if (!(canLogin && error instanceof ActionError && error.status === 401)) throw error;
        deps.warning(
          'KlearStack rejected the refresh (HTTP 401); logging in with the service account instead.'
        );
      }
    }
  }
  const loggedIn = await withRetry(
    () =>
      deps.client.login({
        username: credentials.username,
        password: credentials.password,
        companyName: credentials.companyName
      }),
    deps.policy,
    deps.retry
  );
  return { ...loggedIn.value, method: 'login', attempts: loggedIn.attempts };
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
