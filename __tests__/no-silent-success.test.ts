// Whatever bytes come back, the step ends one of two ways: exit 0 with the token in its outputs, or
// exit 1 with one error; never exit 0 empty (what a 101 with Upgrade did), never past its bound.
// Generated raw answers (status lines, headers, bodies, 1xx before them, a close or reset at any
// byte, or silence) from a raw TCP server: in-process through main() for many runs, over http and
// https, and through the bundle for fewer. A fixed seed, then a short run with a fresh seed that
// prints it: `FC_SEED=<seed> npm run jest -- no-silent-success` replays that one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { selfSignedCertificate, type Certificate } from '../dev/certificate.ts';
import { runAction } from '../dev/runner.ts';
import { messageOf } from '../src/errors.ts';
import { readInputs } from '../src/inputs.ts';
import { main, UNSETTLED } from '../src/main.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';
import { recordingKit, stepDeps } from './helpers/recording-kit.ts';
import { httpAnswer, startRawServer, type RawAnswer } from './helpers/raw-server.ts';

const FIXED_SEED = 23;
const FRESH_SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
/** Per attempt, in-process: short, so that silent answers cost little. */
const TIMEOUT_MS = 150;
/** Starting a request, a busy machine: above attempts × timeout, never near a hang. */
const SLACK_MS = 1500;
const TOKEN = fakeJwt({ exp: nowSeconds() + 3600, token_type: 'access' });

let dir: string;
let certificate: Certificate;
const tally: Record<string, number> = {};
const count = (kind: string) => (tally[kind] = (tally[kind] ?? 0) + 1);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klear-hostile-'));
  certificate = selfSignedCertificate(dir);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  console.log(
    `raw answers tried: ${total} (seeds ${FIXED_SEED} and ${FRESH_SEED}) ${JSON.stringify(tally)}`
  );
});

const STATUS = fc.oneof(
  fc.constantFrom(101, 100, 102, 103, 200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 429),
  fc.constantFrom(500, 502, 503, 504),
  fc.integer({ min: 0, max: 999 })
);

const STATUS_LINE = fc.oneof(
  { weight: 4, arbitrary: fc.constant('200 OK') },
  { weight: 6, arbitrary: STATUS.map(code => `${code} Reason`) },
  { weight: 1, arbitrary: STATUS.map(code => `${code}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }
);

const HEADERS: [string, string][] = [
  ['Content-Type', 'application/json'],
  ['Content-Type', 'text/html'],
  ['Connection', 'close'],
  ['Connection', 'Upgrade'],
  ['Upgrade', 'websocket'],
  ['Transfer-Encoding', 'chunked'],
  ['Content-Length', '0'],
  ['Content-Length', '5'],
  ['Content-Length', '99999'],
  ['Content-Length', 'abc'],
  ['Location', 'https://Elsewhere.example/x'],
  ['Location', '/same-host'],
  ['WWW-Authenticate', 'Bearer realm="api"'],
  ['WWW-Authenticate', 'Basic realm="gateway"'],
  ['Retry-After', '0'],
  ['Retry-After', '3600']
];
/** For the bundle, whose backoff is real: an hour's Retry-After would wait its 30 s cap. */
const QUICK_HEADERS = HEADERS.filter(([name, value]) => !(name === 'Retry-After' && value !== '0'));

const BODY = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constant(JSON.stringify({ access_token: TOKEN, release_version: '1.2' }))
  },
  { weight: 1, arbitrary: fc.constant('{"detail": "Token is invalid or expired"}') },
  { weight: 1, arbitrary: fc.constant('{"access_token": "a.b.c"}') },
  { weight: 1, arbitrary: fc.constant('<html><title>502 Bad Gateway</title></html>') },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 20_000 })
      .map(depth => `{"detail": ${'['.repeat(depth)}${']'.repeat(depth)}}`)
  },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }
);

const INFORMATIONAL = fc.constantFrom(
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 102 Processing\r\n\r\n',
  'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n'
);

/** KlearStack's answer as it should be, so that successes are met as often as failures. */
const GOOD: RawAnswer = {
  bytes: httpAnswer(
    '200 OK',
    { 'Content-Type': 'application/json' },
    JSON.stringify({ access_token: TOKEN, release_version: '1.2' })
  ),
  then: 'end'
};

const answer = (headerSet: [string, string][]): fc.Arbitrary<RawAnswer> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(GOOD) },
    { weight: 3, arbitrary: generated(headerSet) }
  );

const generated = (headerSet: [string, string][]): fc.Arbitrary<RawAnswer> =>
  fc
    .record({
      before: fc.array(INFORMATIONAL, { maxLength: 2 }),
      line: STATUS_LINE,
      headers: fc.uniqueArray(fc.constantFrom(...headerSet), {
        maxLength: 3,
        selector: ([name]) => name
      }),
      body: BODY,
      // Whole in three answers of five, cut at some byte in the other two.
      cut: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.nat() }
      ),
      then: fc.constantFrom<RawAnswer['then']>('end', 'end', 'end', 'reset', 'hang')
    })
    .map(({ before, line, headers, body, cut, then }) => {
      const bytes = before.join('') + httpAnswer(line, Object.fromEntries(headers), body);
      return { bytes, cutAt: cut === null ? undefined : cut % (bytes.length + 1), then };
    });

const scenario = (headerSet: [string, string][]) =>
  fc.record({
    answers: fc.array(answer(headerSet), { minLength: 1, maxLength: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 })
  });
const SCENARIO = scenario(HEADERS);

/** A step that has not settled by then is a counterexample, not a test that times out. */
async function settlesWithin(ms: number, step: Promise<number>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the step had not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([step, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One step in this process, as run() runs it: its exit code, its calls, how long it took. */
async function stepAgainst(
  scenario: { answers: RawAnswer[]; maxAttempts: number },
  tls?: Certificate
) {
  const server = await startRawServer(scenario.answers, tls);
  const { kit, calls } = recordingKit();
  const started = performance.now();
  let exitCode: number;
  let failure = '';
  try {
    const values: Record<string, string> = {
      'base-url': server.url,
      'refresh-token': fakeJwt({ exp: nowSeconds() + 3 * 24 * 3600, token_type: 'refresh' }),
      'company-name': 'acme',
      'env-name': 'KLEAR_ACCESS_TOKEN',
      'timeout-seconds': '1',
      'max-attempts': String(scenario.maxAttempts),
      'refresh-interval': '10m',
      'ca-certificate': tls ? tls.cert : ''
    };
    const inputs = readInputs({ get: name => values[name] ?? '', mask: () => {}, warn: () => {} });
    exitCode = await settlesWithin(
      scenario.maxAttempts * TIMEOUT_MS + SLACK_MS,
      main({ ...inputs, timeoutMs: TIMEOUT_MS }, stepDeps(kit, dir))
    );
  } catch (error) {
    // What run() does with it: one ::error::, exit 1.
    failure = messageOf(error);
    exitCode = 1;
  } finally {
    await server.close();
  }
  return { exitCode, failure, calls, ms: performance.now() - started };
}

function expectNoSilentSuccess(
  scenario: { maxAttempts: number },
  outcome: Awaited<ReturnType<typeof stepAgainst>>
): void {
  const { exitCode, failure, calls, ms } = outcome;
  const outputs = calls.filter(([name]) => name === 'setOutput' || name === 'exportVariable');
  if (exitCode === 0) {
    count('exit 0 with the token');
    expect(outputs).toContainEqual(['setOutput', 'access-token', TOKEN]);
    expect(outputs).toContainEqual(['exportVariable', 'KLEAR_ACCESS_TOKEN', TOKEN]);
    // Masked before it was written anywhere.
    const masked = calls.findIndex(call => call[0] === 'setSecret' && call[1] === TOKEN);
    const written = calls.findIndex(call => call.includes(TOKEN) && call[0] !== 'setSecret');
    expect(masked).toBeGreaterThanOrEqual(0);
    expect(masked).toBeLessThan(written);
  } else {
    count(`exit 1: ${failure.slice(0, 40)}`.replace(/\d+/g, 'N'));
    expect(exitCode).toBe(1);
    expect(outputs).toEqual([]);
    expect(failure).not.toMatch(/^Unexpected error/);
  }
  expect(ms).toBeLessThan(scenario.maxAttempts * TIMEOUT_MS + SLACK_MS);
}

describe('generated raw answers, in-process', () => {
  it(`over http: exit 0 only with the token, else one error, within the bound (seed ${FIXED_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(SCENARIO, async scenario =>
        expectNoSilentSuccess(scenario, await stepAgainst(scenario))
      ),
      { seed: FIXED_SEED, numRuns: 150 }
    );
  }, 120_000);

  it(`over http with a fresh seed (${FRESH_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(SCENARIO, async scenario =>
        expectNoSilentSuccess(scenario, await stepAgainst(scenario))
      ),
      { seed: FRESH_SEED, numRuns: 40 }
    );
  }, 60_000);

  it(`over https: the same (seed ${FIXED_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(SCENARIO, async scenario =>
        expectNoSilentSuccess(scenario, await stepAgainst(scenario, certificate))
      ),
      { seed: FIXED_SEED, numRuns: 25 }
    );
  }, 60_000);
});

describe('generated raw answers, through the bundle', () => {
  it(`exit 0 only with the token in the outputs, else exit 1 with one ::error::, within the bound (seed ${FIXED_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario(QUICK_HEADERS), async scenario => {
        const server = await startRawServer(scenario.answers);
        const refreshToken = fakeJwt({ exp: nowSeconds() + 3 * 24 * 3600, token_type: 'refresh' });
        try {
          const result = await runAction({
            inputs: {
              'base-url': server.url,
              'refresh-token': refreshToken,
              'company-name': 'acme',
              'timeout-seconds': '1',
              'max-attempts': String(scenario.maxAttempts)
            },
            secrets: [refreshToken],
            timeoutMs: 30_000
          });
          expect(result.timedOut).toBe(false);
          expect(result.leaks).toEqual([]);
          if (result.exitCode === 0) {
            count('bundle: exit 0 with the token');
            expect(result.errors).toEqual([]);
            expect(result.outputs['access-token']).toBe(TOKEN);
            expect(result.exportedEnv.KLEAR_ACCESS_TOKEN).toBe(TOKEN);
          } else {
            count('bundle: exit 1');
            expect(result.exitCode).toBe(1);
            expect(result.errors).toHaveLength(1);
            expect(result.outputs).toEqual({});
            expect(result.exportedEnv).toEqual({});
          }
          // attempts × timeout-seconds, backoff at most 1 + 2 s, and Node's start.
          const backoffMs = [0, 0, 1000, 3000][scenario.maxAttempts];
          expect(result.durationMs).toBeLessThan(scenario.maxAttempts * 1000 + backoffMs + 5000);
        } finally {
          await server.close();
        }
      }),
      { seed: FIXED_SEED, numRuns: 30 }
    );
  }, 300_000);
});

describe('the entry', () => {
  const guardedStep = (step: string) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { guarded } from './src/main.ts'; await guarded(${step});`
      ],
      { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { PATH: process.env.PATH } }
    );

  it('fails with a "bug" sentence, not exit 0, when the event loop empties before the step settles', () => {
    const result = guardedStep('() => new Promise(() => {})');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(`::error::${UNSETTLED}\n`);
  });

  it('says nothing when the step settles', () => {
    const result = guardedStep('async () => {}');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
  });
});
