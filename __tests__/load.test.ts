import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runAction } from '../dev/runner.ts';
import type { RunResult } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { StandIn } from '../dev/stand-in.ts';

// A matrix of jobs that all refresh at once, against a KlearStack that sheds load: 429 with
// Retry-After past a concurrency limit. Every copy is the bundle, run as the runner runs it.

const COPIES = 40;
const MAX_ATTEMPTS = 5;
const MAX_CONCURRENT = 4;
/** Long enough per answer that the first wave overflows the limit and is really shed. */
const ANSWER_DELAY_MS = 150;
const DAY = 24 * 3600;

let standIn: StandIn;
const tokens: string[] = [];
let results: RunResult[] = [];
let wallMs = 0;

beforeAll(async () => {
  standIn = await startStandIn({ maxConcurrent: MAX_CONCURRENT, retryAfterSeconds: 1 });
  standIn.faultAlways({ kind: 'delay', ms: ANSWER_DELAY_MS });
  for (let i = 0; i < COPIES; i++) tokens.push(standIn.mintRefreshToken({ expiresIn: 3 * DAY }));
  const started = performance.now();
  results = await Promise.all(
    tokens.map(refreshToken =>
      runAction({
        inputs: {
          'base-url': standIn.url,
          'refresh-token': refreshToken,
          'company-name': standIn.companyName,
          'timeout-seconds': '10',
          'max-attempts': String(MAX_ATTEMPTS)
        },
        env: { RUNNER_DEBUG: '1' },
        timeoutMs: 60_000
      })
    )
  );
  wallMs = performance.now() - started;
}, 90_000);

afterAll(async () => {
  await standIn.close();
});

const requestsBy = (refreshToken: string) =>
  standIn.requests.filter(r => r.fields.refresh_token === refreshToken);

describe(`${COPIES} copies started at once against a stand-in that sheds load`, () => {
  it('really sheds load: some requests were answered 429 with Retry-After', () => {
    const shed = standIn.requests.filter(r => r.status === 429);
    expect(shed.length).toBeGreaterThan(0);
    expect(standIn.inFlightPeak).toBeLessThanOrEqual(MAX_CONCURRENT);
  });

  it('every copy succeeds with its own fresh token and shows no secret', () => {
    for (const [i, result] of results.entries()) {
      expect({ copy: i, exitCode: result.exitCode, errors: result.errors }).toEqual({
        copy: i,
        exitCode: 0,
        errors: []
      });
      expect(result.leaks).toEqual([]);
      const issued = requestsBy(tokens[i]).find(r => r.status === 200)?.issuedAccessToken;
      expect(issued).toBeDefined();
      expect(result.outputs['access-token']).toBe(issued);
    }
  });

  it('no copy sends more requests than max-attempts, and it stops at its first success', () => {
    for (const token of tokens) {
      const statuses = requestsBy(token).map(r => r.status);
      expect(statuses.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.slice(0, -1).every(status => status === 429)).toBe(true);
    }
    expect(standIn.requests.length).toBeLessThanOrEqual(COPIES * MAX_ATTEMPTS);
  });

  it('waits at least the Retry-After it was told before each retry', () => {
    for (const result of results) {
      for (const warning of result.warnings.filter(w => w.startsWith('Attempt '))) {
        const seconds = Number(/ Retrying in (\d+\.\d) s\.$/.exec(warning)?.[1]);
        expect(seconds).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('reports its figures', () => {
    const figures = {
      copies: COPIES,
      succeeded: results.filter(r => r.exitCode === 0).length,
      requests: standIn.requests.length,
      answered429: standIn.requests.filter(r => r.status === 429).length,
      copiesByAttempts: tokens.reduce<Record<number, number>>((counts, token) => {
        const attempts = requestsBy(token).length;
        return { ...counts, [attempts]: (counts[attempts] ?? 0) + 1 };
      }, {}),
      inFlightPeak: standIn.inFlightPeak,
      leaks: results.reduce((sum, r) => sum + r.leaks.length, 0),
      wallSeconds: Number((wallMs / 1000).toFixed(1))
    };
    console.log(`load figures: ${JSON.stringify(figures)}`);
    expect(figures.succeeded).toBe(COPIES);
    expect(figures.leaks).toBe(0);
  });
});
