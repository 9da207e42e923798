import { ActionError } from './errors.ts';
import { parseHttpDate } from './http-date.ts';

export interface RetryPolicy {
  maxAttempts: number;
  /** First backoff ceiling; doubles per retry up to maxDelayMs (full jitter picks below it). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this, so one header cannot park a job for an hour. */
  maxRetryAfterMs: number;
}

export const DEFAULT_POLICY: Omit<RetryPolicy, 'maxAttempts'> = {
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30000
};

export interface RetryDeps {
  sleep(ms: number): Promise<void>;
  random(): number;
  onRetry?(event: { attempt: number; delayMs: number; error: ActionError }): void;
}

/** Waits `ms`, or less if `signal` aborts first: a stopped step must not sit out a backoff. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Wait before retry number `retry` (1-based). Full jitter spreads a matrix of jobs that failed
 * together; a Retry-After is a floor, with the jitter on top so that a crowd told the same number
 * does not come back in lockstep.
 */
export function backoffMs(
  retry: number,
  policy: RetryPolicy,
  random: number,
  retryAfterSeconds?: number
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jitter = Math.floor(random * ceiling);
  if (retryAfterSeconds === undefined) return jitter;
  return Math.min(policy.maxRetryAfterMs, retryAfterSeconds * 1000) + jitter;
}

/** Runs `operation` until it succeeds, fails permanently, or uses up the attempts; no sleep after the last. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps
): Promise<{ value: T; attempts: number }> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await operation(attempt), attempts: attempt };
    } catch (error) {
      if (!(error instanceof ActionError)) throw error;
      if (!error.retryable) {
        throw attempt === 1
          ? error
          : annotate(error, `(on attempt ${attempt} of ${policy.maxAttempts})`);
      }
      if (attempt >= policy.maxAttempts) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const tries = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
        throw annotate(
          error,
          `(gave up after ${tries} in ${seconds} s; max-attempts is ${policy.maxAttempts})`
        );
      }
      const delayMs = backoffMs(attempt, policy, deps.random(), error.retryAfterSeconds);
      deps.onRetry?.({ attempt, delayMs, error });
      await deps.sleep(delayMs);
    }
  }
}

/** The same error, with `suffix` after its message. */
export function annotate(error: ActionError, suffix: string): ActionError {
  return new ActionError(`${error.message} ${suffix}`, {
    retryable: error.retryable,
    status: error.status,
    retryAfterSeconds: error.retryAfterSeconds,
    refused: error.refused,
    fromGateway: error.fromGateway
  });
}

/**
 * Retry-After as seconds from now: either delay-seconds or an HTTP date, read as the Date header is
 * (http-date.ts: RFC 9110's three forms, each as GMT; Date.parse took asctime in local time).
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = parseHttpDate(value.trim(), now);
  return date === undefined ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
