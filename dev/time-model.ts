/**
 * A simulated day of run mode's schedule (src/run/refresher.ts) against a model of KlearStack, in
 * virtual time. It stands for KlearStack's token endpoints as ../shared/klearstack/NOTES.md
 * describes them, on Django REST framework and SimpleJWT: tokens stamped with `iat`/`exp` on
 * KlearStack's own clock (whole seconds), with the refresh token's `iat` copied into every access
 * token by default (SimpleJWT before 5.5, tokens.py `RefreshToken.access_token`) or their own; each
 * answer's `Date` header (gunicorn's clock when it answers, whole seconds), stamped half-way
 * through the request's latency; a bearer checked for expiry before the view (DRF authenticates
 * first: a refusal the client reads as a rejected bearer); an optional bearer requirement
 * (IsAuthenticated: without one, a refusal the client reads as "needs a bearer"); outages that
 * refuse, hang (until the client's timeout) or answer 503/429, and periods where the credentials
 * are rejected (401 on refresh and on login). The runner's wall clock is offset from true time and
 * can jump; its monotonic clock is true time. The real mint() runs against a model client, so
 * fallbacks and retries are the action's.
 */
import { ActionError } from '../src/errors.ts';
import { mint, type Credentials, type Minted } from '../src/mint.ts';
import {
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  PERMANENT_RETRY_MS,
  Refresher,
  readClock,
  type Clock,
  type Timers
} from '../src/run/refresher.ts';
import { DEFAULT_POLICY } from '../src/retry.ts';
import { MIN_EARLY_GAP_MS } from '../src/run/token-time.ts';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** The action's default timeout-seconds: how long a hung request holds an attempt. */
const TIMEOUT_MS = 30 * 1000;
/** True time 0 of a simulation on the wall clocks: 2027-01-15. */
const EPOCH_MS = Date.UTC(2027, 0, 15);

export type OutageKind = 'refused' | 'hang' | '503' | '429';

export interface Scenario {
  seed: number;
  /** Access token life KlearStack gives (ACCESS_TOKEN_LIFETIME), seconds. */
  lifeSeconds: number;
  /** Access tokens carry the refresh token's iat (SimpleJWT < 5.5) rather than their own. */
  copiedIat: boolean;
  /** How long before the start the refresh token in the secret was issued, ms. */
  refreshTokenAgeMs: number;
  /** KlearStack's answers carry a Date header (gunicorn and nginx always send one). */
  dateHeader: boolean;
  intervalMs: number;
  /** KlearStack's clock minus true time, ms. */
  klearOffsetMs: number;
  /** The runner's wall clock minus true time at the start, ms; `jumps` move it later. */
  runnerOffsetMs: number;
  jumps: { at: number; byMs: number }[];
  /** How long the command runs, ms. */
  durationMs: number;
  latencyMs: number;
  outages: { from: number; to: number; kind: OutageKind }[];
  /** Periods in which KlearStack rejects the credentials (401 on refresh and login). */
  rejections: { from: number; to: number }[];
  /** Periods in which the runner's disk is full: writing the token file fails with ENOSPC. */
  diskFull?: { from: number; to: number }[];
  canLogin: boolean;
  requireBearer: boolean;
  /** A misconfigured KlearStack stating access tokens' exp in milliseconds (it then holds them valid). */
  expInMilliseconds?: boolean;
}

/** A calm hour: 15-minute tokens, the default interval, clocks that agree; `overrides` change it. */
export function scenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    seed: 1,
    lifeSeconds: 900,
    copiedIat: true,
    refreshTokenAgeMs: 2 * HOUR,
    dateHeader: true,
    intervalMs: 10 * 60 * 1000,
    klearOffsetMs: 0,
    runnerOffsetMs: 0,
    jumps: [],
    durationMs: HOUR,
    latencyMs: 50,
    outages: [],
    rejections: [],
    canLogin: false,
    requireBearer: false,
    ...overrides
  };
}

/** One request the model answered. */
interface Request {
  at: number;
  end: number;
  endpoint: 'refresh' | 'login';
  bearer: boolean;
  outcome: 'ok' | 'transient' | 'permanent' | 'bearer-expired';
  cycle: number;
}

/**
 * One refresh attempt: a call of the refresher's mint (possibly several requests) and the write of
 * its token, or the write alone of a token an earlier attempt could not write.
 */
interface Cycle {
  at: number;
  end: number;
  outcome: 'ok' | 'transient' | 'permanent' | 'stopped';
  /** Whether KlearStack had refused the credentials since the last success when it started. */
  rejected: boolean;
  /** Life the model gives the token this cycle got, ms (for the gap bound after it). */
  tokenLifeMs?: number;
  /** A write alone, of the token minted by cycle `writes`. */
  writes?: number;
  /** Its mint succeeded (its write may still have failed): the failures before it are over. */
  minted?: boolean;
  /** Where the schedule counts the next refresh from, when not `at`: a write alone counts from its mint. */
  dueFrom?: number;
}

export interface SimResult {
  requests: Request[];
  cycles: Cycle[];
  /** Tokens in the file: [from, to) true time, and when KlearStack takes the token for dead. */
  file: { token: string; from: number; to: number; diesAt: number }[];
  log: {
    kind: 'mask' | 'flush' | 'write' | 'warning' | 'error' | 'info';
    text: string;
    at: number;
  }[];
  timersLeft: number;
  cyclesAfterEnd: number;
  /** Mints while a token that could not be written was still alive by the schedule's own bound. */
  mintsOverUnwritten: number;
  refreshes: number;
  cpuMicros: number;
}

interface Timer {
  at: number;
  run: () => void;
  settles: boolean;
}

/** Virtual time: a queue of timers run in order, with the promises they settle drained between. */
class VirtualTime implements Timers {
  now = 0;
  #seq = 0;
  readonly #queue = new Map<number, Timer>();

  set(ms: number, run: () => void): unknown {
    return this.#add(ms, run, false);
  }

  /** The model's answers: they settle promises, whose chains must run before the next timer. */
  settleAfter(ms: number, run: () => void): unknown {
    return this.#add(ms, run, true);
  }

  #add(ms: number, run: () => void, settles: boolean): number {
    const id = ++this.#seq;
    this.#queue.set(id, { at: this.now + Math.max(0, ms), run, settles });
    return id;
  }

  clear(handle: unknown): void {
    this.#queue.delete(handle as number);
  }

  get pending(): number {
    return this.#queue.size;
  }

  async runUntil(end: number): Promise<void> {
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const entry of this.#queue) {
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[0] < next[0]))
          next = entry;
      }
      if (!next || next[1].at > end) break;
      this.#queue.delete(next[0]);
      this.now = next[1].at;
      next[1].run();
      // A settled answer's promise chain (the action's mint, the refresher) runs before the next
      // timer: one turn of the event loop drains it. The refresher's own timers run synchronously
      // up to the model's next answer, so they need no turn (a turn each doubled a day's cost).
      if (next[1].settles) await new Promise(resolve => setImmediate(resolve));
    }
    this.now = end;
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Runs one scenario to the command's end and returns what happened. Errors are made without stack
 * traces meanwhile: an outage makes thousands, nothing reads their stacks, and capturing them was
 * the largest single cost of a simulated day.
 */
export async function simulate(scenario: Scenario): Promise<SimResult> {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await simulateDay(scenario);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function simulateDay(scenario: Scenario): Promise<SimResult> {
  const time = new VirtualTime();
  const random = mulberry32(scenario.seed ^ 0x9e3779b9);
  const requests: Request[] = [];
  const cycles: Cycle[] = [];
  const log: SimResult['log'] = [];
  const file: SimResult['file'] = [];
  let jti = 0;
  let stopped = false;
  let cyclesAfterEnd = 0;
  let inFlight = 0;

  const klearNowMs = () => EPOCH_MS + time.now + scenario.klearOffsetMs;
  const runnerOffset = () =>
    scenario.runnerOffsetMs +
    scenario.jumps.filter(jump => jump.at <= time.now).reduce((sum, jump) => sum + jump.byMs, 0);
  const clock: Clock = {
    wall: () => EPOCH_MS + time.now + runnerOffset(),
    monotonic: () => time.now
  };
  const during = <P extends { from: number; to: number }>(periods: P[], at: number) =>
    periods.find(period => at >= period.from && at < period.to);
  const diesAt = new Map<string, number>();

  /** KlearStack's clock, whole seconds, `agoMs` before now. */
  const klearSeconds = (agoMs = 0) => Math.floor((klearNowMs() - agoMs) / 1000);
  // The iat of the refresh token in use, which access tokens copy: the secret's, then a login's.
  let refreshIat = 0;

  /**
   * A token KlearStack mints as it handles a request, half-way through its latency (the same moment
   * as its answer's Date, the model's server being quick); the first token's request was at once.
   */
  function issue(tokenType: 'access' | 'refresh', agoMs = 0): string {
    const now = klearSeconds(agoMs);
    if (tokenType === 'refresh') refreshIat = now;
    const iat = tokenType === 'access' && scenario.copiedIat ? refreshIat : now;
    // Refresh tokens live "at least a day"; the command runs a day at most.
    const stated = now + (tokenType === 'refresh' ? 2 * 86400 : scenario.lifeSeconds);
    const exp = tokenType === 'access' && scenario.expInMilliseconds ? stated * 1000 : stated;
    const token = `${b64({ alg: 'HS256' })}.${b64({ token_type: tokenType, exp, iat, jti: ++jti })}.c2ln`;
    // True time at which KlearStack's clock reaches exp.
    diesAt.set(token, exp * 1000 - scenario.klearOffsetMs - EPOCH_MS);
    return token;
  }
  /** The answer's Date, stamped with the tokens it carries; none when the scenario has none. */
  const serverDate = (agoMs = 0) =>
    scenario.dateHeader ? { serverDate: klearSeconds(agoMs) * 1000 } : {};

  /** One request: answered (or failed) after the latency, or the timeout when the model hangs. */
  function request(
    endpoint: 'refresh' | 'login',
    bearer: string | undefined,
    answer: () => Minted
  ): Promise<Minted> {
    // The real client's requests carry the step's stop signal: after the end none goes out.
    if (stopped) return Promise.reject(new ActionError('aborted', { retryable: true }));
    const at = time.now;
    const record: Request = {
      at,
      end: at,
      endpoint,
      bearer: Boolean(bearer),
      outcome: 'ok',
      cycle: cycles.length - 1
    };
    requests.push(record);
    inFlight++;
    const outage = during(scenario.outages, at);
    return new Promise((resolve, reject) => {
      const settle = (ms: number, outcome: Request['outcome'], result: () => Minted) =>
        time.settleAfter(ms, () => {
          inFlight--;
          record.end = time.now;
          record.outcome = outcome;
          try {
            resolve(result());
          } catch (error) {
            reject(error);
          }
        });
      const fail = (ms: number, outcome: Request['outcome'], error: ActionError) =>
        settle(ms, outcome, () => {
          throw error;
        });
      if (outage) {
        const { kind } = outage;
        const error =
          kind === '503' || kind === '429'
            ? new ActionError(kind, { retryable: true, status: Number(kind), retryAfterSeconds: 1 })
            : new ActionError(kind, { retryable: true });
        return fail(kind === 'hang' ? TIMEOUT_MS : scenario.latencyMs, 'transient', error);
      }
      if (endpoint === 'refresh') {
        if (bearer) {
          if ((diesAt.get(bearer) ?? Infinity) <= time.now) {
            return fail(
              scenario.latencyMs,
              'bearer-expired',
              new ActionError('bearer expired', { status: 401, refused: 'bearer' })
            );
          }
        } else if (scenario.requireBearer) {
          return fail(
            scenario.latencyMs,
            'permanent',
            new ActionError('no bearer', { status: 401, refused: 'needs-bearer' })
          );
        }
      }
      if (during(scenario.rejections, at)) {
        return fail(scenario.latencyMs, 'permanent', new ActionError('rejected', { status: 401 }));
      }
      settle(scenario.latencyMs, 'ok', answer);
    });
  }

  const mask = (token: string) => log.push({ kind: 'mask', text: token, at: time.now });
  const client = {
    refresh: (r: { accessToken?: string }) =>
      request('refresh', r.accessToken || undefined, () => {
        const accessToken = issue('access', scenario.latencyMs / 2);
        mask(accessToken);
        return {
          accessToken,
          releaseVersion: '7.8.9',
          method: 'refresh',
          attempts: 1,
          ...serverDate(scenario.latencyMs / 2)
        };
      }),
    login: () =>
      request('login', undefined, () => {
        const refreshToken = issue('refresh', scenario.latencyMs / 2);
        const accessToken = issue('access', scenario.latencyMs / 2);
        mask(accessToken);
        mask(refreshToken);
        return {
          accessToken,
          refreshToken,
          releaseVersion: '7.8.9',
          method: 'login',
          attempts: 1,
          ...serverDate(scenario.latencyMs / 2)
        };
      })
  };
  const say = (kind: 'warning' | 'error' | 'info') => (text: string) =>
    log.push({ kind, text, at: time.now });
  const mintOnce = (credentials: Credentials) =>
    mint(credentials, {
      client: client as never,
      policy: { ...DEFAULT_POLICY, maxAttempts: 1 },
      retry: { sleep: async () => {}, random },
      info: say('info'),
      warning: say('warning'),
      now: clock.wall,
      klearStackJudges: true
    });

  const credentials: Credentials = {
    refreshToken: issue('refresh', scenario.refreshTokenAgeMs),
    accessToken: '',
    companyName: 'acme',
    username: scenario.canLogin ? 'svc' : '',
    password: scenario.canLogin ? 'pw' : ''
  };
  // The step's own mint happens before the schedule starts; the model answers it at once.
  const first: Minted = {
    accessToken: issue('access'),
    releaseVersion: '7.8.9',
    method: 'refresh',
    attempts: 1,
    ...serverDate()
  };
  mask(first.accessToken);
  const arrived = readClock(clock);
  const write = (token: string) => {
    const last = file.at(-1);
    if (last) last.to = time.now;
    file.push({ token, from: time.now, to: Infinity, diesAt: diesAt.get(token) ?? Infinity });
    log.push({ kind: 'write', text: token, at: time.now });
  };
  write(first.accessToken);
  // The cycle whose token is waiting to be written, and whether a mint came since the last write.
  let unwritten: number | undefined;
  let mintedSinceWrite = false;
  let mintsOverUnwritten = 0;
  const writeToken = async (token: string) => {
    const full = during(scenario.diskFull ?? [], time.now) !== undefined;
    if (!mintedSinceWrite) {
      // A write alone: dated from its mint, as the schedule counts from the request's sending.
      const minted = cycles[unwritten as number];
      cycles.push({
        at: time.now,
        dueFrom: minted.at,
        end: time.now,
        outcome: full ? 'transient' : 'ok',
        rejected: false,
        tokenLifeMs: minted.tokenLifeMs,
        writes: unwritten
      });
    }
    mintedSinceWrite = false;
    if (full) {
      const cycle = cycles.at(-1) as Cycle;
      cycle.outcome = 'transient';
      unwritten = cycle.writes ?? cycles.length - 1;
      throw new ActionError("Could not write run mode's token file: the runner's disk is full.", {
        retryable: true
      });
    }
    unwritten = undefined;
    write(token);
  };

  const refresher = new Refresher(
    { intervalMs: scenario.intervalMs, credentials, first, arrived },
    {
      kit: { info: say('info'), warning: say('warning'), error: say('error'), debug: () => {} },
      clock,
      // A retry that only writes reaches the file with no answer of the model's to settle: its
      // timer gets the turn of the event loop an answer would give it.
      timers: {
        set: (ms, run) => (unwritten === undefined ? time.set(ms, run) : time.settleAfter(ms, run)),
        clear: handle => time.clear(handle)
      },
      random,
      mint: async current => {
        if (stopped) cyclesAfterEnd++;
        // The schedule's own bound for the unwritten token, at its earliest: its request's sending
        // plus its life, less the second it subtracts, and without a Date header less up to another
        // for exp's whole seconds read against the runner's wall clock.
        const waiting = unwritten === undefined ? undefined : cycles[unwritten];
        const slackMs = scenario.dateHeader ? 1000 : 2000;
        if (waiting && time.now < waiting.at + (waiting.tokenLifeMs ?? Infinity) - slackMs - 1)
          mintsOverUnwritten++;
        mintedSinceWrite = true;
        const previous = cycles.at(-1);
        const rejected =
          previous !== undefined &&
          previous.outcome !== 'ok' &&
          (previous.outcome === 'permanent' || previous.rejected);
        const cycle: Cycle = { at: time.now, end: time.now, outcome: 'stopped', rejected };
        cycles.push(cycle);
        try {
          const minted = await mintOnce(current);
          cycle.outcome = 'ok';
          cycle.minted = true;
          cycle.tokenLifeMs = scenario.lifeSeconds * 1000;
          return minted;
        } catch (error) {
          cycle.outcome =
            error instanceof ActionError && !error.retryable ? 'permanent' : 'transient';
          throw error;
        } finally {
          cycle.end = time.now;
        }
      },
      flushLog: async () => {
        log.push({ kind: 'flush', text: '', at: time.now });
      },
      writeToken
    }
  );
  const cpu = process.cpuUsage();
  refresher.start();
  await time.runUntil(scenario.durationMs);
  refresher.stop();
  stopped = true;
  const last = file.at(-1);
  if (last) last.to = time.now;
  // The model's answers still in flight are its own timers; any other is the schedule's.
  const timersLeft = time.pending - inFlight;
  // Whatever was in flight settles; nothing new may start.
  await time.runUntil(scenario.durationMs + TIMEOUT_MS + scenario.latencyMs + 1);
  const used = process.cpuUsage(cpu);
  // A cycle still in flight at the end was stopped: its outcome is not the schedule's doing.
  for (const cycle of cycles) if (cycle.end > scenario.durationMs) cycle.outcome = 'stopped';
  return {
    requests,
    cycles,
    file,
    log,
    timersLeft,
    cyclesAfterEnd,
    mintsOverUnwritten,
    refreshes: refresher.facts.refreshes,
    cpuMicros: used.user + used.system
  };
}

/** The invariants every scenario must keep; returns the first broken one, or undefined. */
export function checkInvariants(scenario: Scenario, result: SimResult): string | undefined {
  const slack = 2 * scenario.latencyMs + 1;
  // A rejection holds until a success: a cycle after one, whatever its failure, is a rejected cycle.
  const rejectedCycle = (i: number) =>
    result.cycles[i]?.outcome === 'permanent' || Boolean(result.cycles[i]?.rejected);
  // 1. While KlearStack answers and accepts, the file never holds a token it takes for dead. A
  //    failure excuses the time its retry may take to come: the backoff's ceiling for a transient
  //    one, the rejection retry period in a rejected cycle, plus a hung request's timeout.
  const failures = result.requests
    .filter(r => r.outcome === 'transient' || r.outcome === 'permanent')
    .map(r => ({
      from: r.at,
      to:
        r.end + (rejectedCycle(r.cycle) ? PERMANENT_RETRY_MS : MAX_BACKOFF_MS) + TIMEOUT_MS + slack
    }))
    // A full disk excuses its whole length, and the write retry's wait after it.
    .concat(
      (scenario.diskFull ?? []).map(period => ({
        from: period.from,
        to: period.to + MAX_BACKOFF_MS + TIMEOUT_MS + slack
      }))
    )
    .sort((a, b) => a.from - b.from);
  for (const entry of result.file) {
    if (entry.diesAt >= entry.to) continue;
    let covered = entry.diesAt;
    for (const failure of failures) {
      if (failure.from > covered) break;
      covered = Math.max(covered, failure.to);
    }
    if (covered < entry.to) {
      return `the file held a token KlearStack took for dead from ${fmt(entry.diesAt)} to ${fmt(entry.to)} with no failure to excuse it at ${fmt(covered)}`;
    }
  }
  // 2. After a successful refresh the next comes no sooner than min(interval, max(life/2, 15 s)).
  // 3. After the k-th transient failure in a row the next comes after ceiling_k/2 to ceiling_k,
  //    ceiling_k = min(2 min, first·2^(k−1)), first = min(5 s, interval).
  // 4. In a rejected cycle, the next comes no sooner than the rejection retry period…
  let streak = 0;
  for (let i = 1; i < result.cycles.length; i++) {
    const previous = result.cycles[i - 1];
    const gap = result.cycles[i].at - previous.end;
    if (previous.outcome === 'ok') {
      streak = 0;
      const life = (previous.tokenLifeMs ?? Infinity) - 1000;
      const floor = Math.min(scenario.intervalMs, Math.max(life / 2, MIN_EARLY_GAP_MS));
      const startGap = result.cycles[i].at - (previous.dueFrom ?? previous.at);
      if (startGap < floor - 1) {
        return `refresh ${i} came ${fmt(startGap)} after a successful one, under the bound ${fmt(floor)}`;
      }
    } else if (rejectedCycle(i - 1) && !previous.minted) {
      if (gap < PERMANENT_RETRY_MS - 1)
        return `retry ${i} after a rejection came ${fmt(gap)} later`;
    } else if (previous.outcome === 'transient') {
      // A mint that succeeded ends the failures before it; a failed write of its token starts anew.
      streak = previous.minted ? 1 : streak + 1;
      const first = Math.min(FIRST_BACKOFF_MS, scenario.intervalMs);
      const ceiling = Math.min(MAX_BACKOFF_MS, first * 2 ** Math.min(streak - 1, 30));
      if (gap < ceiling / 2 - 1 || gap > ceiling + 1) {
        return `retry ${i} after ${streak} transient failures came ${fmt(gap)} later, outside [${fmt(ceiling / 2)}, ${fmt(ceiling)}]`;
      }
    }
  }
  //    …and no hour holds more than 6 requests of rejected cycles.
  const costly = result.requests.filter(r => rejectedCycle(r.cycle)).map(r => r.at);
  for (let i = 0; i < costly.length; i++) {
    const inHour = costly.filter(at => at >= costly[i] && at < costly[i] + HOUR).length;
    if (inHour > 6) return `${inHour} requests in the hour from ${fmt(costly[i])} while rejected`;
  }
  // 5. Every token is masked, and the log flushed, before it is written anywhere.
  const masked = new Set<string>();
  let flushedSinceMask = true;
  for (const entry of result.log) {
    if (entry.kind === 'mask') {
      masked.add(entry.text);
      flushedSinceMask = false;
    } else if (entry.kind === 'flush') flushedSinceMask = true;
    else if (entry.kind === 'write') {
      if (!masked.has(entry.text)) return `a token was written before it was masked`;
      if (!flushedSinceMask && entry.at > 0)
        return `a token was written before the log was flushed`;
    }
  }
  // 6. A token that could not be written is written again, not replaced, while it lives.
  if (result.mintsOverUnwritten > 0)
    return `${result.mintsOverUnwritten} tokens were minted while one that could not be written still lived`;
  // 7. Nothing is scheduled, and no refresh starts, after the command ends.
  if (result.timersLeft > 0) return `${result.timersLeft} timers were left after the command ended`;
  if (result.cyclesAfterEnd > 0)
    return `${result.cyclesAfterEnd} refreshes after the command ended`;
  return undefined;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** A scenario drawn from `seed`: every draw comes from it, so the seed reproduces the scenario. */
export function generateScenario(seed: number): Scenario {
  const random = mulberry32(seed);
  const logUniform = (min: number, max: number) => min * (max / min) ** random();
  const uniform = (min: number, max: number) => min + (max - min) * random();
  const lifeSeconds = Math.round(logUniform(30, 24 * 3600));
  const intervalMs = random() < 0.3 ? 10 * 60 * 1000 : Math.round(logUniform(30, 24 * 3600)) * 1000;
  // Long enough to matter, bounded so one scenario stays a few thousand refreshes at most.
  const period = Math.min(intervalMs, lifeSeconds * 750);
  const durationMs = Math.min(Math.round(logUniform(60 * 1000, DAY)), period * 3000);
  // Without a Date header the runner's wall clock is all there is: the guarantee then needs it right.
  const dateHeader = random() < 0.9;
  const skewMs = dateHeader ? uniform(-2, 2) * HOUR : 0;
  const runnerOffsetMs = uniform(-1, 1) * HOUR;
  const jumps = Array.from({ length: dateHeader ? Math.floor(uniform(0, 3)) : 0 }, () => ({
    at: uniform(0, durationMs),
    byMs: (random() < 0.5 ? -1 : 1) * logUniform(1000, 2 * HOUR)
  }));
  const periods = (count: number, shortest: number, longest: number) =>
    Array.from({ length: count }, () => {
      const from = uniform(0, durationMs);
      return { from, to: from + logUniform(shortest, longest) };
    });
  const kinds: OutageKind[] = ['refused', 'hang', '503', '429'];
  return {
    seed,
    lifeSeconds,
    copiedIat: random() < 0.5,
    refreshTokenAgeMs: logUniform(1000, 20 * HOUR),
    dateHeader,
    intervalMs,
    klearOffsetMs: runnerOffsetMs + skewMs,
    runnerOffsetMs,
    jumps,
    durationMs,
    latencyMs: Math.round(logUniform(5, 2000)),
    outages: periods(Math.floor(uniform(0, 4)), 10 * 1000, 3 * HOUR).map(period => ({
      ...period,
      kind: kinds[Math.floor(random() * kinds.length)]
    })),
    rejections: random() < 0.2 ? periods(1, 60 * 1000, 6 * HOUR) : [],
    diskFull: random() < 0.2 ? periods(Math.floor(uniform(1, 3)), 10 * 1000, 3 * HOUR) : [],
    canLogin: random() < 0.5,
    requireBearer: random() < 0.3
  };
}

/** A small seeded generator (mulberry32): the same seed gives the same numbers everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
