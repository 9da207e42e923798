import { describe, expect, it } from '@jest/globals';
import {
  checkInvariants,
  generateScenario,
  scenario,
  simulate,
  type SimResult
} from '../dev/time-model.ts';
import { PERMANENT_RETRY_MS } from '../src/run/refresher.ts';

// Run mode's schedule against a model KlearStack in virtual time (dev/time-model.ts). The seeds
// differ from run to run unless KLEAR_SIM_SEED fixes the first; a failure names its seed, and
// `KLEAR_SIM_SEED=<seed> KLEAR_SIM_COUNT=1 npm run jest -- time-model` replays it.
const COUNT = Number(process.env.KLEAR_SIM_COUNT ?? 10_000);
const FIRST_SEED = Number(process.env.KLEAR_SIM_SEED ?? Math.floor(Math.random() * 2 ** 31));

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const said = (result: SimResult, kind: 'warning' | 'error' | 'info') =>
  result.log.filter(entry => entry.kind === kind).map(entry => entry.text);

describe('a simulated day, many times over', () => {
  it(`keeps every invariant in ${COUNT} generated scenarios (first seed ${FIRST_SEED})`, async () => {
    const failures: string[] = [];
    const started = performance.now();
    let refreshes = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + COUNT; seed++) {
      const drawn = generateScenario(seed);
      const result = await simulate(drawn);
      refreshes += result.cycles.length;
      const broken = checkInvariants(drawn, result);
      if (broken) failures.push(`seed ${seed}: ${broken}`);
      if (failures.length >= 5) break;
    }
    console.log(
      `time model: ${COUNT} scenarios, ${refreshes} refresh cycles, ${Math.round(performance.now() - started)} ms`
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('draws the same scenario from the same seed', () => {
    expect(generateScenario(12345)).toEqual(generateScenario(12345));
    expect(generateScenario(12345)).not.toEqual(generateScenario(12346));
  });
});

describe('the invariant checker rejects a broken schedule', () => {
  it('catches a token left in the file after KlearStack took it for dead', async () => {
    const plan = scenario({});
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    result.file[1].to = result.file[1].diesAt + 5000;
    expect(checkInvariants(plan, result)).toMatch(
      /^the file held a token KlearStack took for dead/
    );
  });

  it('catches a refresh sooner than the interval or half a life allows', async () => {
    const plan = scenario({});
    const result = await simulate(plan);
    result.cycles[2].at = result.cycles[1].at + MINUTE;
    expect(checkInvariants(plan, result)).toMatch(
      /^refresh 2 came 60\.000 s after a successful one/
    );
  });

  it('catches a retry after a rejection within the retry period, and a seventh request in an hour', async () => {
    const plan = scenario({ rejections: [{ from: 0, to: 5 * HOUR }], durationMs: 3 * HOUR });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    const early = structuredClone(result);
    early.cycles[2].at = early.cycles[1].end + MINUTE;
    expect(checkInvariants(plan, early)).toMatch(/^retry 2 after a rejection came 60\.000 s later/);
    const costly = structuredClone(result);
    const extra = { ...costly.requests[1] };
    costly.requests.push(extra, extra, extra, extra, extra);
    expect(checkInvariants(plan, costly)).toMatch(/requests in the hour from .* while rejected$/);
  });

  it('catches a mint while a token that could not be written still lives', async () => {
    const plan = scenario({ diskFull: [{ from: 9 * MINUTE, to: 14 * MINUTE }] });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    result.mintsOverUnwritten = 1;
    expect(checkInvariants(plan, result)).toMatch(
      /minted while one that could not be written still lived$/
    );
  });

  it('catches a token written before its mask reached the log', async () => {
    const plan = scenario({});
    const result = await simulate(plan);
    const write = result.log.findLastIndex(entry => entry.kind === 'write');
    expect(result.log[write - 1].kind).toBe('flush');
    result.log.splice(write - 1, 1);
    expect(checkInvariants(plan, result)).toBe('a token was written before the log was flushed');
  });
});

describe('the cases the issue names', () => {
  it('60-second tokens with the runner 13 min ahead: a refresh every ~44 s, not every second', async () => {
    const plan = scenario({ lifeSeconds: 60, runnerOffsetMs: 13 * MINUTE });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    // Three quarters of the model's 59 s life: 44.25 s apart.
    expect(result.requests.length).toBeGreaterThanOrEqual(80);
    expect(result.requests.length).toBeLessThanOrEqual(Math.ceil(HOUR / 44_250) + 1);
    expect(said(result, 'warning')).toEqual([
      expect.stringMatching(/^The runner's clock is 13 min ahead of KlearStack's/)
    ]);
  });

  it('the runner ahead by more than a token life still sends the bearer, and KlearStack accepts it', async () => {
    const plan = scenario({ runnerOffsetMs: 2 * HOUR, requireBearer: true });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    expect(result.requests.every(r => r.bearer && r.outcome === 'ok')).toBe(true);
    expect(said(result, 'error')).toEqual([]);
  });

  it("KlearStack's clock ahead with a long interval: refreshed ahead of the token's death", async () => {
    const plan = scenario({ klearOffsetMs: 20 * MINUTE, intervalMs: 60 * MINUTE });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    expect(result.file.every(entry => entry.diesAt >= entry.to)).toBe(true);
    // 899 s less two minutes: 779 s apart.
    expect(result.cycles[0].at).toBe(779_000);
  });

  it('a wall-clock jump neither bursts nor stalls the refreshes', async () => {
    const plan = scenario({
      jumps: [
        { at: 20 * MINUTE, byMs: -HOUR },
        { at: 40 * MINUTE, byMs: 2 * HOUR }
      ]
    });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    expect(result.cycles.map(cycle => cycle.at / MINUTE)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('credentials that stop working mid-run: one error, then one request per 15 minutes', async () => {
    const plan = scenario({
      canLogin: true,
      durationMs: 3 * HOUR,
      rejections: [{ from: 25 * MINUTE, to: 10 * HOUR }]
    });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    const rejected = result.requests.filter(r => r.at >= 25 * MINUTE);
    // The first rejected cycle tries the refresh, then the login; every later one, the login only.
    expect(rejected.slice(0, 3).map(r => r.endpoint)).toEqual(['refresh', 'login', 'login']);
    expect(rejected.slice(2).every(r => r.endpoint === 'login')).toBe(true);
    expect(rejected[2].at - rejected[1].end).toBe(PERMANENT_RETRY_MS);
    expect(rejected.length).toBeLessThanOrEqual(
      2 + Math.ceil((3 * HOUR - 30 * MINUTE) / PERMANENT_RETRY_MS)
    );
    expect(said(result, 'error').filter(m => m.startsWith('Could not refresh'))).toHaveLength(1);
  });

  it('says each expiry without a refresh, and the recovery after it', async () => {
    const plan = scenario({
      lifeSeconds: 120,
      durationMs: 30 * MINUTE,
      outages: [
        { from: 60_000, to: 6 * MINUTE, kind: 'refused' },
        { from: 12 * MINUTE, to: 18 * MINUTE, kind: '503' }
      ]
    });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    const expiries = said(result, 'error').filter(m =>
      m.includes('has expired and could not be refreshed')
    );
    expect(expiries).toHaveLength(2);
    const recoveries = said(result, 'info').filter(m =>
      /^Refreshed the KlearStack access token \(refresh\) after \d+ failed attempts \(the token had expired meanwhile\)/.test(
        m
      )
    );
    expect(recoveries).toHaveLength(2);
    // A transient streak is one warning; the retries after it go to the log.
    expect(said(result, 'warning').filter(m => m.startsWith('Could not refresh'))).toHaveLength(2);
  });

  it('a full disk: one warning naming it, the token written again without minting another', async () => {
    // 15-minute tokens refreshed every 10 min; the disk is full from 9 to 14 min.
    const plan = scenario({
      diskFull: [{ from: 9 * MINUTE, to: 14 * MINUTE }],
      durationMs: 30 * MINUTE
    });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    // Three refreshes in 30 min, each one request: the full disk cost KlearStack nothing.
    expect(result.requests.map(r => r.at / MINUTE)).toEqual([10, 20, 30]);
    const handOver = said(result, 'warning').filter(m =>
      m.startsWith('Refreshed the KlearStack access token but could not hand it to the command.')
    );
    expect(handOver).toEqual([
      expect.stringMatching(
        /the runner's disk is full\. The new token is written again in \d+ s, without minting another/
      )
    ]);
    // Written within the backoff's two minutes of the disk's freeing, with the token minted at 10 min.
    const written = result.file.find(entry => entry.from >= 14 * MINUTE);
    expect(written?.from).toBeLessThanOrEqual(16 * MINUTE);
    // The first token, the one minted at 10 min (written late), the one minted at 20 min; the
    // command ends as the 30-min one arrives.
    expect(result.file).toHaveLength(3);
  });

  it('a full disk for longer than a token lives: one new mint per life, never one per retry', async () => {
    const plan = scenario({
      lifeSeconds: 120,
      diskFull: [{ from: 90_000, to: 20 * MINUTE }],
      durationMs: 30 * MINUTE
    });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    const whileFull = result.requests.filter(r => r.at >= 90_000 && r.at < 20 * MINUTE);
    // One mint per two-minute life at most, where a mint per retry would be dozens.
    expect(whileFull.length).toBeLessThanOrEqual(Math.ceil((20 * MINUTE - 90_000) / 119_000) + 1);
  });

  it('a token whose exp is in milliseconds is refreshed at the interval, with one warning', async () => {
    const plan = scenario({ expInMilliseconds: true, intervalMs: 20 * MINUTE });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    expect(result.cycles.map(cycle => cycle.at / MINUTE)).toEqual([20, 40, 60]);
    expect(said(result, 'warning')).toEqual([
      expect.stringMatching(
        /^The KlearStack access token's expiry cannot be used: its exp \(\d+\) looks like milliseconds/
      )
    ]);
  });

  it('20-second tokens and a refresh token issued 2 h ago (copied iat): no dead token, no skew warning', async () => {
    const plan = scenario({ lifeSeconds: 20, refreshTokenAgeMs: 2 * HOUR, copiedIat: true });
    const result = await simulate(plan);
    expect(checkInvariants(plan, result)).toBeUndefined();
    expect(result.file.every(entry => entry.diesAt >= entry.to)).toBe(true);
    expect(result.requests.every(r => r.outcome === 'ok' && r.bearer)).toBe(true);
    expect(said(result, 'warning')).toEqual([]);
    // Three quarters of a 19 s life is under the 15 s floor: a refresh 15 s after each token arrives.
    expect(result.requests.length).toBe(Math.floor(HOUR / (15_000 + plan.latencyMs)));
  });

  it('without a Date header: exp against the runner’s wall clock, early when it runs ahead, never late', async () => {
    const right = scenario({ dateHeader: false });
    const ahead = scenario({ dateHeader: false, runnerOffsetMs: 13 * MINUTE });
    const [onTime, early] = [await simulate(right), await simulate(ahead)];
    expect(checkInvariants(right, onTime)).toBeUndefined();
    expect(onTime.requests.map(r => r.at / MINUTE)).toEqual([10, 20, 30, 40, 50, 60]);
    // 13 min ahead, a 15-minute token seems to have 2 left: refreshed every ~90 s, never dead.
    expect(early.file.every(entry => entry.diesAt >= entry.to)).toBe(true);
    expect(early.requests.length).toBeGreaterThanOrEqual(39);
    expect(early.requests.length).toBeLessThanOrEqual(41);
    // No Date, no skew estimate: nothing is said about the clocks.
    expect(said(early, 'warning')).toEqual([]);
  });

  it.each([
    ['a service account: the login recovers at once', true],
    ['none: one error saying only a login can recover, then a request per 15 min', false]
  ])(
    'a refresh endpoint that needs a valid bearer, through an outage longer than a life, with %s',
    async (_case, canLogin) => {
      const plan = scenario({
        requireBearer: true,
        canLogin,
        durationMs: 3 * HOUR,
        outages: [{ from: 20 * MINUTE, to: 50 * MINUTE, kind: 'refused' }]
      });
      const result = await simulate(plan);
      expect(checkInvariants(plan, result)).toBeUndefined();
      const after = result.requests.filter(r => r.at >= 50 * MINUTE);
      // The dead bearer is not sent: a refresh without one, which KlearStack refuses.
      expect(after[0]).toMatchObject({ endpoint: 'refresh', bearer: false, outcome: 'permanent' });
      if (canLogin) {
        expect(after[1]).toMatchObject({ endpoint: 'login', outcome: 'ok' });
        expect(result.file.at(-1)?.diesAt).toBeGreaterThan(3 * HOUR);
      } else {
        expect(after.every(r => r.outcome === 'permanent')).toBe(true);
        expect(after.length).toBeLessThanOrEqual(
          Math.ceil((3 * HOUR - 50 * MINUTE) / PERMANENT_RETRY_MS) + 1
        );
        expect(
          said(result, 'error').filter(m => m.includes('only a login can get a new token'))
        ).toHaveLength(1);
      }
    }
  );
});

describe('requests per simulated day (docs/RELIABILITY.md), for both iat behaviours', () => {
  const DAY = scenario({ durationMs: 24 * HOUR, latencyMs: 100 });
  const outage = [{ from: 10 * HOUR, to: 12 * HOUR, kind: 'refused' as const }];
  it.each([
    ['15-minute tokens, refresh-interval 10m', 144, DAY],
    ['60-second tokens', 1948, { ...DAY, lifeSeconds: 60 }],
    ['20-second tokens', 5721, { ...DAY, lifeSeconds: 20 }],
    ['15-minute tokens through a two-hour outage', 216, { ...DAY, outages: outage }],
    [
      'an IsAuthenticated refresh endpoint through a two-hour outage, with a service account',
      217,
      { ...DAY, outages: outage, requireBearer: true, canLogin: true }
    ]
  ])('%s: %i requests, copied iat or not', async (_name, requests, day) => {
    const counts = [];
    for (const copiedIat of [true, false]) {
      const plan = { ...day, copiedIat };
      const result = await simulate(plan);
      expect(checkInvariants(plan, result)).toBeUndefined();
      counts.push(result.requests.length);
    }
    expect(counts).toEqual([requests, requests]);
  });
});
