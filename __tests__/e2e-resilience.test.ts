import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OWN_PEAK_RSS_KIB } from '../dev/peak-rss.ts';
import { runAction } from '../dev/runner.ts';
import type { RunResult } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { Fault, RecordedRequest, StandIn } from '../dev/stand-in.ts';
import { DEFAULT_POLICY } from '../src/retry.ts';

// The bundled action as the runner runs it, against the stand-in's real sockets and real timing,
// with short settings. Every run has RUNNER_DEBUG=1 and must show no secret before its mask.

const DAY = 24 * 3600;
const ENDPOINT = '/access/klearstack/getaccesstokenfromrefreshtoken';
/** Room for starting Node and a busy two-core machine; bounds stay far below what a hang costs. */
const SLACK_MS = 5000;

let standIn: StandIn;
let target: StandIn;

beforeEach(async () => {
  standIn = await startStandIn();
  target = await startStandIn();
});
afterEach(async () => {
  await Promise.all([standIn.close(), target.close()]);
});

interface Run {
  result: RunResult;
  /** Requests that reached the token endpoints, in order. */
  attempts: RecordedRequest[];
}

async function act(
  inputs: Record<string, string> = {},
  timeoutMs = 30_000,
  env: Record<string, string> = {}
): Promise<Run> {
  // Three days, so no "expires soon" warning crowds the ones the tests read.
  const refreshToken = standIn.mintRefreshToken({ expiresIn: 3 * DAY });
  const accessToken = standIn.mintAccessToken();
  const result = await runAction({
    inputs: {
      'base-url': standIn.url,
      'refresh-token': refreshToken,
      'access-token': accessToken,
      'company-name': standIn.companyName,
      'timeout-seconds': '1',
      'max-attempts': '3',
      ...inputs
    },
    env: { RUNNER_DEBUG: '1', ...env },
    secrets: [refreshToken, accessToken, standIn.password],
    timeoutMs
  });
  const attempts = standIn.requests.filter(r => r.endpoint === 'refresh' || r.endpoint === 'login');
  return { result, attempts };
}

/** No secret before its mask, and no message carrying one even masked: they are fixed sentences. */
function expectNothingShown({ result }: Run): void {
  expect(result.leaks).toEqual([]);
  for (const message of [...result.errors, ...result.warnings]) {
    expect(message).not.toContain('***');
  }
}

function expectSuccessFrom(run: Run, issuedBy: RecordedRequest): void {
  expect(run.result.exitCode).toBe(0);
  expect(run.result.errors).toEqual([]);
  expect(issuedBy.issuedAccessToken).toBeDefined();
  expect(run.result.outputs['access-token']).toBe(issuedBy.issuedAccessToken);
  expect(run.result.exportedEnv.KLEAR_ACCESS_TOKEN).toBe(issuedBy.issuedAccessToken);
  expectNothingShown(run);
}

function expectOneFailure(run: Run, message: RegExp | string): void {
  expect(run.result.exitCode).toBe(1);
  expect(run.result.errors).toHaveLength(1);
  expect(run.result.errors[0]).toMatch(message);
  expect(run.result.outputs).toEqual({});
  expect(run.result.exportedEnv).toEqual({});
  expectNothingShown(run);
}

const retryWarnings = ({ result }: Run): string[] =>
  result.warnings.filter(warning => warning.startsWith('Attempt '));

/** The wait the action announced before retry number `retry`, in seconds. */
function announcedDelay(run: Run, retry = 1): number {
  const warning = retryWarnings(run)[retry - 1] ?? '';
  const match = / Retrying in (\d+\.\d) s\.$/.exec(warning);
  expect(match).not.toBeNull();
  return Number(match?.[1]);
}

/** The longest the step may take: every attempt times out and every backoff is at its ceiling. */
function stepBound(attempts: number, timeoutSeconds: number): number {
  let backoff = 0;
  for (let retry = 1; retry < attempts; retry++) {
    backoff += Math.min(DEFAULT_POLICY.maxDelayMs, DEFAULT_POLICY.baseDelayMs * 2 ** (retry - 1));
  }
  return attempts * timeoutSeconds * 1000 + backoff + SLACK_MS;
}

describe('answers that are retried', () => {
  it.each<[string, Fault, string]>([
    [
      '502 as a gateway page',
      { kind: 'page', status: 502, title: 'Bad Gateway' },
      'answered HTTP 502 with its own page'
    ],
    ['503', { status: 503 }, '(HTTP 503)'],
    [
      '504 as a gateway page',
      { kind: 'page', status: 504, title: 'Gateway Time-out' },
      'answered HTTP 504 with its own page'
    ],
    [
      '500 without a parameter name',
      { status: 500, body: '{"error": "Something went wrong."}' },
      '(HTTP 500)'
    ],
    ['500 naming no form field', { status: 500, body: '{"error": "timeout"}' }, '(HTTP 500)']
  ])(
    'HTTP %s, then 200: succeeds on attempt 2 after exactly 2 requests',
    async (name, fault, said) => {
      const status = Number.parseInt(name, 10);
      standIn.fault(fault);
      const run = await act();
      expect(run.attempts.map(r => r.status)).toEqual([status, 200]);
      expectSuccessFrom(run, run.attempts[1]);
      expect(retryWarnings(run)).toHaveLength(1);
      expect(retryWarnings(run)[0]).toContain(said);
    }
  );

  it('429 with Retry-After: 1, then 200: waits at least the second it was told, then succeeds', async () => {
    standIn.fault({
      status: 429,
      headers: { 'Retry-After': '1' },
      body: '{"detail": "throttled"}'
    });
    const run = await act();
    expect(run.attempts.map(r => r.status)).toEqual([429, 200]);
    expectSuccessFrom(run, run.attempts[1]);
    // The floor is Retry-After; the jitter on top stays below the first backoff ceiling (the
    // announcement rounds to a tenth, so the ceiling itself can show).
    expect(announcedDelay(run)).toBeGreaterThanOrEqual(1);
    expect(announcedDelay(run)).toBeLessThanOrEqual(1 + DEFAULT_POLICY.baseDelayMs / 1000);
  });

  it('503 with Retry-After as an HTTP date: waits until then, then succeeds', async () => {
    const when = new Date(Date.now() + 2500).toUTCString();
    standIn.fault({ status: 503, headers: { 'Retry-After': when } });
    const run = await act();
    expect(run.attempts.map(r => r.status)).toEqual([503, 200]);
    expectSuccessFrom(run, run.attempts[1]);
    expect(announcedDelay(run)).toBeGreaterThanOrEqual(1);
  });

  it('a Retry-After of an hour is capped at 30 s plus jitter', async () => {
    standIn.faultAlways({ status: 429, headers: { 'Retry-After': '3600' } });
    // Killed while it waits: the announced wait is what this test is about.
    const run = await act({ 'max-attempts': '2' }, 3000);
    expect(run.result.timedOut).toBe(true);
    expect(run.attempts).toHaveLength(1);
    const cap = DEFAULT_POLICY.maxRetryAfterMs / 1000;
    expect(announcedDelay(run)).toBeGreaterThanOrEqual(cap);
    expect(announcedDelay(run)).toBeLessThanOrEqual(cap + DEFAULT_POLICY.baseDelayMs / 1000);
    expectNothingShown(run);
  });

  it('does not sleep after the last attempt, whatever Retry-After says', async () => {
    standIn.faultAlways({ status: 429, headers: { 'Retry-After': '3600' } });
    const run = await act({ 'max-attempts': '1' });
    expect(run.attempts).toHaveLength(1);
    expectOneFailure(
      run,
      /\(HTTP 429\).*\(gave up after 1 attempt in [\d.]+ s; max-attempts is 1\)$/
    );
    expect(run.result.durationMs).toBeLessThan(SLACK_MS);
  });

  it('a reset connection, then 200: succeeds on attempt 2', async () => {
    standIn.fault({ kind: 'reset' });
    const run = await act();
    expect(run.attempts.map(r => r.status)).toEqual([0, 200]);
    expectSuccessFrom(run, run.attempts[1]);
    expect(retryWarnings(run)[0]).toMatch(/failed before a complete answer \(ECONNRESET\)/);
  });

  it('a refused connection is retried up to max-attempts and then says so', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>(resolve => closed.close(() => resolve()));
    const run = await act({ 'base-url': `http://127.0.0.1:${port}`, 'max-attempts': '2' });
    expectOneFailure(
      run,
      new RegExp(
        `^127\\.0\\.0\\.1:${port} refused the connection \\(ECONNREFUSED\\).*\\(gave up after 2 attempts in [\\d.]+ s; max-attempts is 2\\)$`
      )
    );
    expect(retryWarnings(run)).toHaveLength(1);
  });

  it('uses up max-attempts, stops, and names the count and what the last attempt got', async () => {
    standIn.fault({ status: 502 }, { status: 504 });
    standIn.faultAlways({ status: 503 });
    const run = await act({ 'max-attempts': '3' });
    expect(run.attempts.map(r => r.status)).toEqual([502, 504, 503]);
    expectOneFailure(
      run,
      /\(HTTP 503\)\. .*\(gave up after 3 attempts in [\d.]+ s; max-attempts is 3\)$/
    );
    expect(retryWarnings(run)).toHaveLength(2);
    // Every answer comes at once, so only the backoff counts.
    expect(run.result.durationMs).toBeLessThan(stepBound(3, 0));
  });
});

describe('answers that are never retried', () => {
  it.each<[string, Fault, RegExp]>([
    ['400', { status: 400, body: '{"error": "Please provide username."}' }, /\(HTTP 400\)/],
    [
      '401',
      {
        status: 401,
        body: '{"detail": "Token is invalid or expired", "code": "token_not_valid"}'
      },
      /rejected the refresh token as invalid or expired \(HTTP 401\)/
    ],
    ['403', { status: 403 }, /^KlearStack refused access \(HTTP 403\)/],
    [
      "a gateway's 403 page",
      { kind: 'page', status: 403, title: 'Forbidden' },
      /answered HTTP 403 with its own page.*firewall, IP allow-list or WAF rule/
    ],
    ['404', { status: 404 }, /^KlearStack has no token endpoint at .*\(HTTP 404\)/],
    [
      '404 as a web page',
      { kind: 'page', status: 404, title: 'Not Found' },
      /answered HTTP 404 with a web page, not KlearStack's JSON: there is no KlearStack token endpoint at /
    ],
    [
      '500 naming a parameter',
      { status: 500, body: '{"error": "refresh_token"}' },
      /required parameter 'refresh_token' is missing or empty \(HTTP 500\)/
    ],
    ['200 with an HTML page', { kind: 'non-json' }, /HTTP 200 but the body is not a JSON object/],
    ['200 without a token', { kind: 'missing-token' }, /HTTP 200 without an access_token/],
    [
      '200 with a malformed token',
      { kind: 'bad-token' },
      /HTTP 200 with an access_token that is not a token/
    ]
  ])('%s: fails after exactly 1 request', async (_name, fault, message) => {
    standIn.faultAlways(fault);
    const run = await act({ 'max-attempts': '3' });
    expect(run.attempts).toHaveLength(1);
    expectOneFailure(run, message);
    expect(retryWarnings(run)).toEqual([]);
  });

  it.each([301, 302, 303, 307, 308])(
    'a %s redirect fails with the status and the target host, and the target receives nothing',
    async status => {
      standIn.faultAlways({ kind: 'redirect', status, location: `${target.url}${ENDPOINT}` });
      const run = await act({ 'max-attempts': '3' });
      expect(run.attempts).toHaveLength(1);
      const host = new URL(target.url).host;
      expectOneFailure(run, `answered with a redirect (HTTP ${status}) to ${host};`);
      expect(target.requests).toEqual([]);
    }
  );

  it('a redirect whose Location carries the refresh token names only the host', async () => {
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 3 * DAY });
    standIn.faultAlways({ kind: 'redirect', location: `${target.url}/steal?t=${refreshToken}` });
    const run = await act({ 'refresh-token': refreshToken });
    expectOneFailure(run, `(HTTP 307) to ${new URL(target.url).host};`);
    expect(target.requests).toEqual([]);
  });
});

describe('an answer that is slow, stalls or never comes', () => {
  it.each<[string, Fault]>([
    ['headers, then a body trickling a byte every 200 ms', { kind: 'trickle', intervalMs: 200 }],
    ['headers, then half the body and nothing more', { kind: 'stall-body' }],
    ['no answer at all', { kind: 'hang' }]
  ])(
    '%s: each attempt is cut at timeout-seconds and the step ends within attempts × timeout + backoff',
    async (_name, fault) => {
      standIn.faultAlways(fault);
      const run = await act({ 'timeout-seconds': '1', 'max-attempts': '2' });
      expect(run.attempts).toHaveLength(2);
      expectOneFailure(
        run,
        /^No complete answer from 127\.0\.0\.1:\d+ within 1 s \(timeout-seconds\)\..*\(gave up after 2 attempts in [\d.]+ s; max-attempts is 2\)$/
      );
      expect(run.result.timedOut).toBe(false);
      expect(run.result.durationMs).toBeLessThan(stepBound(2, 1));
    }
  );
});

describe('an answer past the size limit', () => {
  it('a 5 MiB chunked body is abandoned with the size message, not retried', async () => {
    standIn.faultAlways({ kind: 'oversized', bytes: 5 * 1024 * 1024 });
    const run = await act({ 'max-attempts': '3' });
    expect(run.attempts).toHaveLength(1);
    expectOneFailure(run, /^KlearStack's answer was larger than 1024 KiB, .*abandoned unread/);
  });

  it('a 2 MiB body with a Content-Length is abandoned with the size message, not retried', async () => {
    standIn.faultAlways({
      status: 200,
      body: `{"access_token": "${'A'.repeat(2 * 1024 * 1024)}"}`
    });
    const run = await act({ 'max-attempts': '3' });
    expect(run.attempts).toHaveLength(1);
    expectOneFailure(run, /^KlearStack's answer was larger than 1024 KiB/);
  });

  it('a 1 GiB chunked body is abandoned without being held: the step peaks under 128 MiB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klear-rss-'));
    try {
      const probe = join(dir, 'probe.cjs');
      const report = join(dir, 'max-rss-kib');
      writeFileSync(
        probe,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, String(${OWN_PEAK_RSS_KIB})));\n`
      );
      // Made as it is sent, so the stand-in holds no more of it than the client takes.
      standIn.faultAlways({ kind: 'oversized', bytes: 1024 ** 3 });
      const run = await act({ 'max-attempts': '1' }, 30_000, {
        NODE_OPTIONS: `--require ${probe}`
      });
      expectOneFailure(run, /^KlearStack's answer was larger than 1024 KiB/);
      // A normal run peaks near 55 MiB (npm run bench); holding the answer would take over 1 GiB.
      expect(Number(readFileSync(report, 'utf8')) / 1024).toBeLessThan(128);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an answer that echoes the request', () => {
  it.each([500, 502, 400, 401, 403, 200])(
    'HTTP %s echoing the form and headers of a refresh shows no secret',
    async status => {
      standIn.faultAlways({ kind: 'echo', status });
      const run = await act({ 'max-attempts': '2' });
      expect(run.attempts.length).toBeGreaterThanOrEqual(1);
      expect(run.attempts.length).toBeLessThanOrEqual(2);
      expectOneFailure(run, /KlearStack/);
    }
  );

  it.each([500, 401])('HTTP %s echoing a login shows neither password nor user', async status => {
    standIn.faultAlways({ kind: 'echo', status });
    const run = await act({
      'refresh-token': '',
      'access-token': '',
      username: standIn.username,
      password: standIn.password,
      'max-attempts': '1'
    });
    expect(run.attempts.map(r => r.endpoint)).toEqual(['login']);
    expectOneFailure(run, /KlearStack/);
  });
});
