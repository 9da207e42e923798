/**
 * Run mode's schedule: when to refresh, what to send, how to back off, what to say. It owns no
 * process, file or real timer — the clock, the timers, the exchange and the hand-over of a new token
 * are injected — so a simulated day of it runs in milliseconds (dev/time-model.ts).
 */
import { expiryIso } from '../claims.ts';
import { ActionError, messageOf } from '../errors.ts';
import type { Credentials, Minted } from '../mint.ts';
import type { Toolkit } from '../publish.ts';
import {
  expiresAt,
  implausibleWarning,
  isDead,
  refreshDueAt,
  skewWarning,
  tokenTime,
  type ClockReading,
  type TokenTime
} from './token-time.ts';

/** Transient failures (network, 5xx, 429) are tried again after a wait that doubles from this… */
export const FIRST_BACKOFF_MS = 5 * 1000;
/** …up to this, so the command recovers within two minutes of KlearStack answering again. */
export const MAX_BACKOFF_MS = 2 * 60 * 1000;
/**
 * A rejection that will not clear by itself (a 401 on login, or on a refresh with no service account
 * to fall back on) is tried again this rarely: a retry costs at most one request, and the cycle that
 * met the rejection at most three (refresh, refresh without an expired bearer, login), so no hour
 * holds more than 6 requests. Every few seconds is how service accounts get locked.
 */
export const PERMANENT_RETRY_MS = 15 * 60 * 1000;

export interface Clock {
  /** The runner's wall clock, ms since the epoch: only for the skew, and for `exp` when an answer has no Date. */
  wall(): number;
  /** A clock that never jumps, in ms: every deadline and timer is on it. */
  monotonic(): number;
}

export interface Timers {
  /** Calls `run` after `ms` on the monotonic clock; returns a handle for clear(). */
  set(ms: number, run: () => void): unknown;
  clear(handle: unknown): void;
}

export interface RefresherDeps {
  kit: Pick<Toolkit, 'info' | 'warning' | 'error' | 'debug'>;
  clock: Clock;
  timers: Timers;
  random(): number;
  /** One exchange (refresh, with login as its fallback), without retries of its own. */
  mint(credentials: Credentials): Promise<Minted>;
  /** Resolves once everything logged so far, the new token's mask included, has reached the runner. */
  flushLog(): Promise<void>;
  /** Puts the token where the command reads it; resolves once it is there. */
  writeToken(token: string): Promise<void>;
}

export interface RefreshFacts {
  latest: Minted;
  refreshes: number;
  failedRefreshes: number;
  /** Tokens that reached their deadline before a refresh replaced them. */
  expiries: number;
  /** KlearStack's clock minus the runner's, from the newest answer's Date (see isNotableSkew). */
  skewMs?: number;
  /** The newest token's `expires-at` (token-time.ts `expiresAt`). */
  expiresAt: string;
}

/** A token minted but not yet written, with when its request went out (monotonic) and its answer arrived. */
interface Unwritten {
  minted: Minted;
  sentAt: number;
  arrived: ClockReading;
}

/** Failed attempts since the last success; `rejected` once KlearStack refused the credentials. */
type Failing = { count: number; rejected: boolean } | undefined;

/**
 * The runner's clocks. The monotonic one is the machine's (CLOCK_MONOTONIC on Linux, the same
 * counters on macOS and Windows), shared by every process, so a deadline one step writes to the
 * job folder holds in the next; performance.now() counts from each process's start.
 */
export const SYSTEM_CLOCK: Clock = {
  wall: Date.now,
  monotonic: () => Number(process.hrtime.bigint()) / 1e6
};

export function readClock(clock: Clock): ClockReading {
  return { wall: clock.wall(), monotonic: clock.monotonic() };
}

export class Refresher {
  readonly #deps: RefresherDeps;
  readonly #intervalMs: number;
  readonly #canLogin: boolean;
  #credentials: Credentials;
  #latest: Minted;
  #time: TokenTime;
  #refreshes = 0;
  #failedRefreshes = 0;
  #expiries = 0;
  #failing: Failing;
  #expiredUnreplaced = false;
  /** A refusal is said loudly once per streak of failures; the retries that follow, in the log. */
  #saidRefusal = false;
  #stopped = false;
  /**
   * A token minted but not written (the runner's disk was full), with when its answer arrived.
   * It is written again rather than replaced while it lives: minting another would fail the same
   * way, and cost KlearStack a request each time.
   */
  #unwritten: Unwritten | undefined;
  #refreshTimer: unknown;
  #expiryTimer: unknown;
  readonly #said = new Set<string>();

  /** `arrived` is the clock when the answer with `first` arrived; `sentAt`, when its request went out. */
  constructor(
    options: {
      intervalMs: number;
      credentials: Credentials;
      first: Minted;
      arrived: ClockReading;
      sentAt?: number;
    },
    deps: RefresherDeps
  ) {
    this.#deps = deps;
    this.#intervalMs = options.intervalMs;
    this.#credentials = {
      ...options.credentials,
      refreshToken: options.first.refreshToken ?? options.credentials.refreshToken
    };
    this.#canLogin = Boolean(options.credentials.username && options.credentials.password);
    this.#latest = options.first;
    this.#time = this.#observe(options.first, options.arrived, options.sentAt);
  }

  start(): void {
    this.#watchExpiry();
    this.#scheduleAt(refreshDueAt(this.#time, this.#intervalMs));
  }

  /** Ends the schedule: no timer is left and no later answer is acted on. */
  stop(): void {
    this.#stopped = true;
    this.#deps.timers.clear(this.#refreshTimer);
    this.#deps.timers.clear(this.#expiryTimer);
  }

  get facts(): RefreshFacts {
    return {
      latest: this.#latest,
      refreshes: this.#refreshes,
      failedRefreshes: this.#failedRefreshes,
      expiries: this.#expiries,
      skewMs: this.#time.skewMs,
      expiresAt: expiresAt(this.#latest.accessToken, this.#time)
    };
  }

  /** The model of a new token, with its one-time warnings. */
  #observe(minted: Minted, arrived: ClockReading, sentAt = arrived.monotonic): TokenTime {
    const requestMs = arrived.monotonic - sentAt;
    const time = tokenTime(minted.accessToken, arrived, minted.serverDate, requestMs);
    const skew = skewWarning(time);
    if (skew) this.#sayOnce('skew', () => this.#deps.kit.warning(skew));
    const implausible = implausibleWarning(time);
    if (implausible) this.#sayOnce('implausible', () => this.#deps.kit.warning(implausible));
    return time;
  }

  #sayOnce(key: string, say: () => void): void {
    if (this.#said.has(key)) return;
    this.#said.add(key);
    say();
  }

  #scheduleAt(at: number): void {
    if (this.#stopped) return;
    const { timers, clock } = this.#deps;
    timers.clear(this.#refreshTimer);
    this.#refreshTimer = timers.set(
      Math.max(0, at - clock.monotonic()),
      () => void this.#refresh()
    );
  }

  #watchExpiry(): void {
    const { timers, clock } = this.#deps;
    timers.clear(this.#expiryTimer);
    const { deadline } = this.#time;
    if (deadline === undefined || this.#stopped) return;
    const token = this.#latest;
    this.#expiryTimer = timers.set(Math.max(0, deadline - clock.monotonic()), () => {
      if (this.#stopped || this.#latest !== token) return;
      this.#expiries++;
      this.#expiredUnreplaced = true;
      const stated = expiryIso(token.accessToken);
      this.#deps.kit.error(
        `The KlearStack access token${stated ? ` (exp ${stated} by KlearStack's clock)` : ''} has expired and could not be refreshed in time: the command's requests will fail with 401 until a refresh succeeds, which is being tried.`
      );
    });
  }

  /** What to send: the newest token as bearer while it lives, and no refresh after a permanent refusal of it. */
  #request(): Credentials {
    const now = this.#deps.clock.monotonic();
    const request = {
      ...this.#credentials,
      accessToken: isDead(this.#time, now) ? '' : this.#latest.accessToken
    };
    // After a refusal a retry costs one request: the login, when there is a service account.
    if (this.#failing?.rejected && this.#canLogin) request.refreshToken = '';
    return request;
  }

  async #refresh(): Promise<void> {
    const { kit, clock } = this.#deps;
    const unwritten = this.#takeUnwritten();
    const sentAt = unwritten?.sentAt ?? clock.monotonic();
    let minted: Minted;
    let arrived: ClockReading;
    try {
      minted = unwritten?.minted ?? (await this.#deps.mint(this.#request()));
      // Read before anything else waits: the token's life is counted from here.
      arrived = unwritten?.arrived ?? readClock(clock);
      if (this.#stopped) return;
      // The client masked the token as it read it; the runner must have that line before the
      // token can show up in the command's output.
      await this.#deps.flushLog();
    } catch (error) {
      if (this.#stopped) return;
      this.#failed(error);
      return;
    }
    try {
      await this.#deps.writeToken(minted.accessToken);
    } catch (error) {
      if (this.#stopped) return;
      // A fresh mint means KlearStack's failures are over: the write's failure (the runner's disk)
      // starts a streak of its own, said as such.
      if (!unwritten) this.#failing = undefined;
      this.#unwritten = { minted, sentAt, arrived };
      this.#failed(error);
      return;
    }
    if (this.#stopped) return;
    this.#time = this.#observe(minted, arrived, sentAt);
    this.#latest = minted;
    this.#credentials.refreshToken = minted.refreshToken ?? this.#credentials.refreshToken;
    this.#refreshes++;
    const stated = expiryIso(minted.accessToken);
    const recovered = this.#failing
      ? ` after ${this.#failing.count} failed ${this.#failing.count === 1 ? 'attempt' : 'attempts'}${this.#expiredUnreplaced ? ' (the token had expired meanwhile)' : ''}`
      : '';
    kit.info(
      `Refreshed the KlearStack access token (${minted.method})${recovered}; it expires at ${stated || 'an unstated time'}.`
    );
    this.#failing = undefined;
    this.#saidRefusal = false;
    this.#expiredUnreplaced = false;
    this.#watchExpiry();
    this.#scheduleAt(refreshDueAt(this.#time, this.#intervalMs, sentAt));
  }

  /** The token still waiting to be written, unless it has died meanwhile (then a new one is minted). */
  #takeUnwritten(): Unwritten | undefined {
    const unwritten = this.#unwritten;
    this.#unwritten = undefined;
    if (!unwritten) return undefined;
    const { minted, arrived } = unwritten;
    const time = tokenTime(minted.accessToken, arrived, minted.serverDate);
    return isDead(time, this.#deps.clock.monotonic()) ? undefined : unwritten;
  }

  #failed(error: unknown): void {
    const { kit, clock } = this.#deps;
    this.#failedRefreshes++;
    const message = messageOf(error);
    // Anything not known to be permanent is treated as passing: a wrong guess costs a few requests.
    const refused = error instanceof ActionError && !error.retryable;
    const count = (this.#failing?.count ?? 0) + 1;
    // A refusal holds until a refresh succeeds: an outage met meanwhile says nothing about it.
    const rejected = refused || Boolean(this.#failing?.rejected);
    this.#failing = { count, rejected };
    const waitMs = rejected ? PERMANENT_RETRY_MS : this.#backoffMs(count);
    const again = rejected
      ? `It is tried again every ${PERMANENT_RETRY_MS / 60000} min; the command keeps running.`
      : this.#unwritten
        ? `The new token is written again in ${Math.round(waitMs / 1000)} s, without minting another; the command keeps running with the current token.`
        : `Trying again in ${Math.round(waitMs / 1000)} s; the command keeps running with the current token.`;
    if (refused && !this.#saidRefusal) {
      this.#saidRefusal = true;
      kit.error(`Could not refresh the KlearStack access token: ${message} ${again}`);
    } else if (count === 1) {
      const what = this.#unwritten
        ? 'Refreshed the KlearStack access token but could not hand it to the command.'
        : 'Could not refresh the KlearStack access token.';
      kit.warning(`${what} ${message} ${again}`);
    } else {
      kit.info(`Refresh attempt ${count} failed: ${message} ${again}`);
    }
    this.#scheduleAt(clock.monotonic() + waitMs);
  }

  /** Equal jitter: spread over the upper half of a doubling ceiling, so the count stays bounded. */
  #backoffMs(streak: number): number {
    const first = Math.min(FIRST_BACKOFF_MS, this.#intervalMs);
    const ceiling = Math.min(MAX_BACKOFF_MS, first * 2 ** Math.min(streak - 1, 30));
    return ceiling / 2 + this.#deps.random() * (ceiling / 2);
  }
}
