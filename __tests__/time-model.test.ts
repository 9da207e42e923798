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
});
