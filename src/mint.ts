import { expiryIso, formatDuration, isExpired, plausibleSeconds, readClaims } from './claims.ts';
import type { Grant, KlearClient } from './client.ts';
import { ActionError, type Refusal } from './errors.ts';
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
   * skewed), and a bearer it refuses is its own that died, not worth a warning. Plain mode judges
   * its input tokens by the wall clock, with leeway, and warns when KlearStack refuses the
   * access-token input.
   */
  klearStackJudges?: boolean;
}

/**
 * A refresh token handed in as an input has no arrival time, only `exp` against the runner's wall
 * clock, which may run ahead of KlearStack's. Within this leeway (RFC 7519 §4.1.4: "a few minutes")
 * it is sent and KlearStack decides; beyond it, it is not sent.
 */
export const INPUT_EXPIRY_LEEWAY_MS = 5 * 60 * 1000;

/**
 * Gets a fresh access token: by refresh when there is a usable refresh token, by login when there is
 * none, when it has expired (by its own `exp`; an expired one is never sent), or when a service
 * account was given and KlearStack refuses the refresh (401, or a refusal it states on 403) or
 * wants a valid bearer there is none of.
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
      const bearer: Bearer = { token: credentials.accessToken, refused: false };
      try {
        const refreshed = await withRetry(
          () => refreshOnce(credentials, deps, bearer, () => refreshRequests++),
          deps.policy,
          deps.retry
        );
        return { ...refreshed.value, method: 'refresh', attempts: refreshRequests };
      } catch (error) {
        // Only KlearStack's own refusal: a gateway's login page must never be sent the password.
        const refusedByKlearStack =
          error instanceof ActionError &&
          !error.fromGateway &&
          (error.status === 401 || Boolean(error.refused));
        if (!(canLogin && refusedByKlearStack)) {
          throw bearer.refused ? withResend(error, refreshRequests) : error;
        }
        deps.warning(
          error.refused === 'needs-bearer'
            ? `KlearStack's refresh endpoint requires a valid access token and there is none (HTTP ${error.status}); logging in with the service account instead.`
            : `KlearStack rejected the refresh (HTTP ${error.status}); logging in with the service account instead.`
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
 * max-attempts bounds the refresh's attempts and the login's after it each (and the one refresh
 * attempt whose bearer is refused is sent once more without it), so a step can make more requests
 * than max-attempts; a login's failure says how many there were in all, not only its own.
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

/**
 * The bearer a step's refresh sends (or run mode's one refresh): the access token until KlearStack
 * refuses it, then none, for every later attempt too. Sending it again would only be refused again,
 * and cost each retry a request and up to a timeout more than max-attempts allows for.
 */
interface Bearer {
  token: string;
  refused: boolean;
}

/**
 * A refresh that gave up, with its request count when it differs from its attempts': the refused
 * bearer's request was one more. Said only for failures that report their attempts (retried ones).
 */
function withResend(error: unknown, requests: number): unknown {
  if (!(error instanceof ActionError && error.retryable)) return error;
  return annotate(
    error,
    `(${requests} requests: the first attempt was sent once more without the bearer KlearStack refused)`
  );
}

/**
 * One refresh. SimpleJWT rejects a bad bearer before the view reads the form, even where the view
 * would refresh without one (DRF authenticates first), so a refused bearer is dropped for good and
 * the refresh sent once more. Where KlearStack then wants a valid bearer, only a login can help.
 * `sent` is called before each request, for the count a failure gives.
 */
async function refreshOnce(
  credentials: Credentials,
  deps: MintDeps,
  bearer: Bearer,
  sent: () => void
): Promise<Grant> {
  const request = {
    refreshToken: credentials.refreshToken,
    companyName: credentials.companyName,
    accessToken: bearer.token
  };
  if (bearer.token) {
    try {
      sent();
      return await deps.client.refresh(request);
    } catch (error) {
      if (!refusedAs(error, 'bearer')) throw needsLogin(error, deps);
      bearer.token = '';
      bearer.refused = true;
      if (!deps.klearStackJudges) {
        deps.warning(
          `KlearStack rejected the access-token input as expired or invalid (HTTP ${error.status}); refreshing without it.`
        );
      }
    }
  }
  try {
    sent();
    return await deps.client.refresh({ ...request, accessToken: '' });
  } catch (error) {
    if (!bearer.refused) throw needsLogin(error, deps);
    if (!refusedAs(error, 'needs-bearer')) throw error;
    throw new ActionError(
      `The access token sent as the bearer has expired or is invalid, and KlearStack's refresh endpoint requires a valid one (HTTP ${error.status} without it), so only a login can get a new token. Give username and password (a service account) so the action can log in${deps.klearStackJudges ? '' : ', or a living access token in access-token'}.`,
      { status: error.status, refused: 'needs-bearer' }
    );
  }
}

/**
 * Run mode sends no bearer only once its own has died: KlearStack wanting one then means the token
 * has expired, and the client's "none was sent" would blame an input.
 */
function needsLogin(error: unknown, deps: MintDeps): unknown {
  if (!(deps.klearStackJudges && refusedAs(error, 'needs-bearer'))) return error;
  return new ActionError(
    `The access token has expired, and KlearStack's refresh endpoint requires a valid one (HTTP ${error.status} without it), so only a login can get a new token. Give username and password (a service account) so the action can log in.`,
    { status: error.status, refused: 'needs-bearer' }
  );
}

function refusedAs(error: unknown, refusal: Refusal): error is ActionError {
  return error instanceof ActionError && error.refused === refusal;
}

/**
 * Within this a refresh token's expiry matters to the job: 6 hours is the longest a job runs on a
 * GitHub-hosted runner (and the default `timeout-minutes`), so a token that outlives it outlives
 * any step of this job that could still refresh with it. KlearStack's refresh tokens live about a
 * day, so a fresh one is inside a day on every run: that alone is no news.
 */
export const REFRESH_EXPIRY_MATTERS_MS = 6 * 3600 * 1000;

/** A line for the start of a step: a warning when it needs doing something, else information. */
export interface Note {
  warning: boolean;
  text: string;
}

/** What the input tokens' expiry is worth saying; the API stays the judge, so nothing here fails. */
export function expiryNotes(credentials: Credentials, nowMs: number): Note[] {
  const notes: Note[] = [];
  if (isExpired(credentials.accessToken, nowMs)) {
    notes.push({
      warning: true,
      text: `The access-token input expired at ${expiryIso(credentials.accessToken)}; trying anyway, and without it if KlearStack refuses it. Leave access-token empty or pass a fresh one.`
    });
  }
  const exp = readClaims(credentials.refreshToken).exp;
  if (!credentials.refreshToken || !plausibleSeconds(exp) || exp * 1000 <= nowMs) return notes;
  const left = exp * 1000 - nowMs;
  const when = `${formatDuration(left / 1000)} (at ${expiryIso(credentials.refreshToken)})`;
  const canLogin = Boolean(credentials.username && credentials.password);
  if (left < REFRESH_EXPIRY_MATTERS_MS && !canLogin) {
    notes.push({
      warning: true,
      text: `The refresh token expires in ${when}, within the ${REFRESH_EXPIRY_MATTERS_MS / 3600_000} hours a job can run: a refresh after then fails. Store a new one soon, or give username and password so the action can log in.`
    });
  } else {
    notes.push({ warning: false, text: `The refresh token expires in ${when}.` });
  }
  return notes;
}
