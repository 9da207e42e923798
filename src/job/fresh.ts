/**
 * A token with the life run mode guarantees left, for `klear-token`: the job folder's newest one
 * while it has it, else a new one, minted by one caller while the others wait for it (the lock in
 * folder.ts). A mint that fails while the newest token still lives gives that one, with a warning;
 * callers that were waiting for a mint that failed, or come within HOLD_FAILURE_MS of it, do not
 * send KlearStack a request each. Time is injected: the machine's monotonic clock in production.
 */
import { ActionError, messageOf } from '../errors.ts';
import type { Credentials, Minted } from '../mint.ts';
import { DEFAULT_POLICY } from '../retry.ts';
import { readClock, type Clock } from '../run/refresher.ts';
import {
  guaranteedUntil,
  isDead,
  tokenTime,
  type ClockReading,
  type TokenTime
} from '../run/token-time.ts';
import type { JobFolder, Settings, TokenRecord } from './folder.ts';

/** How long a failed mint answers for the callers after it, instead of a request of their own. */
export const HOLD_FAILURE_MS = 10 * 1000;
/** How often a caller waiting for another's mint looks again. */
const POLL_MS = 50;

export interface FreshDeps {
  folder: JobFolder;
  settings: Settings;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** One exchange with its retries (mint.ts with the folder's settings). */
  mint(credentials: Credentials): Promise<Minted>;
  warning(message: string): void;
}

export interface Fresh {
  record: TokenRecord;
  /** Whether this call minted it. */
  minted: boolean;
}

/** Whether the record's token still has the life run mode guarantees, or `intervalMs` has not passed. */
export function isFresh(record: TokenRecord, now: number, intervalMs: number): boolean {
  const time = timeOf(record);
  return now < Math.min(time.obtainedAt + intervalMs, guaranteedUntil(time) ?? Infinity);
}

/** The record's token by KlearStack's clock, counted on the machine's monotonic clock. */
function timeOf(record: TokenRecord): TokenTime {
  return tokenTime(record.minted.accessToken, record.arrived, record.minted.serverDate);
}

/**
 * A mint holding the lock longer than its attempts can take (each bounded by the timeout, with
 * the longest wait between them) is taken for stuck, and passed by.
 */
export function staleAfterMs(settings: Settings): number {
  return settings.maxAttempts * (settings.timeoutMs + DEFAULT_POLICY.maxRetryAfterMs) + 10_000;
}

export async function freshToken(deps: FreshDeps): Promise<Fresh> {
  const { folder, settings, clock } = deps;
  const limits = { staleAfterMs: staleAfterMs(settings), holdFailureMs: HOLD_FAILURE_MS };
  for (;;) {
    const record = folder.readToken();
    const now = clock.monotonic();
    if (isFresh(record, now, settings.refreshIntervalMs)) return { record, minted: false };
    const claim = folder.claim(record.mints, now, limits);
    if (claim.kind === 'held') {
      await deps.sleep(POLL_MS);
      continue;
    }
    if (claim.kind === 'failed') return fallBack(record, new ActionError(claim.message), deps);
    // A caller that wrote the next token and released its lock between our read and our claim
    // left a free lock for a generation already past: look again rather than mint a second.
    if (folder.readToken().mints !== record.mints) {
      folder.release(record.mints);
      continue;
    }
    try {
      const renewed = await mintAfter(record, deps);
      folder.writeToken(renewed);
      folder.release(record.mints);
      return { record: renewed, minted: true };
    } catch (error) {
      folder.fail(claim.name, messageOf(error), clock.monotonic());
      return fallBack(record, error, deps);
    }
  }
}

/** A new token after `record`'s: its bearer while it lives, and the newest refresh token known. */
async function mintAfter(record: TokenRecord, deps: FreshDeps): Promise<TokenRecord> {
  const current = record.minted;
  const alive = !isDead(timeOf(record), deps.clock.monotonic());
  const known = deps.settings.credentials;
  const minted = await deps.mint({
    ...known,
    refreshToken: current.refreshToken ?? known.refreshToken,
    accessToken: alive ? current.accessToken : ''
  });
  return successor(record, minted, readClock(deps.clock));
}

/** The record after `previous` for a token whose answer arrived at `arrived`. */
export function successor(
  previous: TokenRecord,
  minted: Minted,
  arrived: ClockReading
): TokenRecord {
  // A refresh returns no refresh token: the one a login gave earlier stays the one to use.
  const refreshToken = minted.refreshToken ?? previous.minted.refreshToken;
  return {
    minted: { ...minted, ...(refreshToken && { refreshToken }) },
    arrived,
    mints: previous.mints + 1
  };
}

/** The current token while it lives, said with a warning; else the failure. */
function fallBack(record: TokenRecord, error: unknown, deps: FreshDeps): Fresh {
  const time = timeOf(record);
  const now = deps.clock.monotonic();
  if (isDead(time, now)) throw error;
  const left =
    time.deadline === undefined
      ? ''
      : `, which has ${Math.round((time.deadline - now) / 1000)} s left`;
  deps.warning(
    `Could not get a new KlearStack access token: ${messageOf(error)} Gave the current one${left}; the next call tries again.`
  );
  return { record, minted: false };
}
