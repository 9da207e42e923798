// The token's whole life, end to end: the bundled action run as the runner runs it, against the
// KlearStack stand-in, whose movable clock lets an hour of 15-minute tokens pass in seconds.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runAction, startAction } from '../dev/runner.ts';
import type { RunOptions, RunResult, RunningAction } from '../dev/runner.ts';
import { API_PATH, decodeJwtPayload, startStandIn } from '../dev/stand-in.ts';
import type { RecordedRequest, StandIn, StandInOptions } from '../dev/stand-in.ts';
import { roundsUntilDone, untilFile, untilTokenFileChanges } from './helpers/awaited.ts';

const WEEK = 7 * 86400;
const AT_MKFIFO = fileURLToPath(new URL('fixtures/at-mkfifo', import.meta.url));

const opened: StandIn[] = [];
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(standIn => standIn.close()));
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A stand-in that adds every token it issues to `issued` as it goes. The runner reads its `secrets`
 * once the step has ended, so passing `issued` there has it check every one of them for leaks.
 */
async function klear(
  options: StandInOptions = {}
): Promise<{ standIn: StandIn; issued: string[] }> {
  const issued: string[] = [];
  const standIn = await startStandIn({
    ...options,
    onRequest: request => {
      for (const token of [request.issuedAccessToken, request.issuedRefreshToken]) {
        if (token) issued.push(token);
      }
      options.onRequest?.(request);
    }
  });
  opened.push(standIn);
  return { standIn, issued };
}

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'klear-e2e-')));
  temps.push(dir);
  return dir;
}

/** The action against `standIn` with short settings; `inputs` add to them or override them. */
function actionOptions(
  standIn: StandIn,
  inputs: Record<string, string>,
  options: Omit<RunOptions, 'inputs'>
): RunOptions {
  return {
    timeoutMs: 20_000,
    ...options,
    inputs: {
      'base-url': standIn.url,
      'company-name': standIn.companyName,
      'max-attempts': '1',
      'timeout-seconds': '5',
      ...inputs
    }
  };
}

function run(
  standIn: StandIn,
  inputs: Record<string, string>,
  options: Omit<RunOptions, 'inputs'> = {}
): Promise<RunResult> {
  return runAction(actionOptions(standIn, inputs, options));
}

/** Like run(), for a test that signals the step while it runs. */
function start(
  standIn: StandIn,
  inputs: Record<string, string>,
  options: Omit<RunOptions, 'inputs'> = {}
): RunningAction {
  return startAction(actionOptions(standIn, inputs, options));
}

const login = (standIn: StandIn) => ({ username: standIn.username, password: standIn.password });
const endpoints = (standIn: StandIn) => standIn.requests.map(request => request.endpoint);
const isoExpiry = (token: string) =>
  new Date((decodeJwtPayload(token).exp as number) * 1000).toISOString();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * No token shows before its mask: the first raw line holding each is its own ::add-mask::, and the
 * runner's leak check (every encoded form) finds nothing either.
 */
function expectMaskedBeforeShown(result: RunResult, tokens: string[]): void {
  expect(tokens.length).toBeGreaterThan(0);
  for (const token of tokens) {
    const first = result.rawLines.findIndex(line => line.includes(token));
    expect(result.rawLines[first]).toBe(`::add-mask::${token}`);
    expect(result.log).not.toContain(token);
  }
  expect(result.leaks).toEqual([]);
}

/** The exp of the first access token a stand-in issues (Infinity until then), from every request `see` is given. */
function firstTokenExpiry(): { see(request: RecordedRequest): void; readonly exp: number } {
  let exp = Infinity;
  return {
    see: request => {
      if (request.issuedAccessToken && exp === Infinity) {
        exp = decodeJwtPayload(request.issuedAccessToken).exp as number;
      }
    },
    get exp() {
      return exp;
    }
  };
}

async function waitFor(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms.`);
    await sleep(20);
  }
}

describe('getting a token', () => {
  it('logs in with the service account when no refresh token is given, and outputs the masked refresh token', async () => {
    const { standIn, issued } = await klear();
    const result = await run(standIn, login(standIn), { secrets: issued });

    expect(result.exitCode).toBe(0);
    expect(endpoints(standIn)).toEqual(['login']);
    const [{ issuedAccessToken, issuedRefreshToken }] = standIn.requests;
    expect(result.outputs['refresh-token']).toBe(issuedRefreshToken);
    expect(result.outputs['access-token']).toBe(issuedAccessToken);
    expect(result.exportedEnv.KLEAR_ACCESS_TOKEN).toBe(issuedAccessToken);
    expect(result.masks).toEqual(expect.arrayContaining(issued));
    expectMaskedBeforeShown(result, issued);
    expect(result.summary).toContain('| Obtained by | login (service account) |');
    expect(result.errors).toEqual([]);
  });

  const rejected: [string, (standIn: StandIn) => Promise<string>][] = [
    [
      'signed by another KlearStack',
      async () => {
        const other = await startStandIn();
        await other.close();
        return other.mintRefreshToken({ expiresIn: WEEK });
      }
    ],
    ['an access token in its place', async standIn => standIn.mintAccessToken()]
  ];

  it.each(rejected)(
    'falls back to a login with a warning when the refresh token (%s) is rejected with 401',
    async (_kind, makeToken) => {
      const { standIn, issued } = await klear();
      const refreshToken = await makeToken(standIn);
      const result = await run(
        standIn,
        { 'refresh-token': refreshToken, ...login(standIn) },
        { secrets: issued }
      );

      expect(result.exitCode).toBe(0);
      expect(endpoints(standIn)).toEqual(['refresh', 'login']);
      expect(standIn.requests[0].status).toBe(401);
      expect(standIn.requests[0].fields.refresh_token).toBe(refreshToken);
      expect(result.warnings).toContain(
        'KlearStack rejected the refresh (HTTP 401); logging in with the service account instead.'
      );
      expect(result.outputs['refresh-token']).toBe(standIn.requests[1].issuedRefreshToken);
      expect(result.outputs['access-token']).toBe(standIn.requests[1].issuedAccessToken);
      expect(result.summary).toContain('login (service account)');
      expectMaskedBeforeShown(result, [refreshToken, ...issued]);
    }
  );

  it.each(rejected)(
    'fails with the 401 message when the refresh token (%s) is rejected and there is no service account',
    async (_kind, makeToken) => {
      const { standIn } = await klear();
      const refreshToken = await makeToken(standIn);
      const result = await run(standIn, { 'refresh-token': refreshToken });

      expect(result.exitCode).toBe(1);
      expect(endpoints(standIn)).toEqual(['refresh']);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatch(
        /^KlearStack rejected the refresh token as invalid or expired \(HTTP 401\)\. /
      );
      expect(result.errors[0]).toMatch(/give username and password/);
      expect(result.outputs).toEqual({});
      expect(result.leaks).toEqual([]);
    }
  );

  it('never sends a refresh token that expired over 5 minutes ago, and says when, when there is no service account', async () => {
    const { standIn } = await klear();
    const refreshToken = standIn.mintRefreshToken({ expiresIn: -600 });
    const result = await run(standIn, { 'refresh-token': refreshToken });

    expect(result.exitCode).toBe(1);
    expect(standIn.requests).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      new RegExp(
        `^The refresh token expired at ${escape(isoExpiry(refreshToken))} \\(10 min ago\\), so it was not sent\\.`
      )
    );
    expect(result.leaks).toEqual([]);
  });

  it("sends a refresh token that expired by the runner's clock within the 5-minute leeway: the runner 3 min ahead, KlearStack accepts it", async () => {
    const { standIn } = await klear();
    standIn.clock.advance(-180);
    // Valid for another minute by KlearStack's clock, expired two minutes ago by the runner's.
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 60 });
    const result = await run(standIn, { 'refresh-token': refreshToken });

    expect(result.exitCode).toBe(0);
    expect(endpoints(standIn)).toEqual(['refresh']);
    expect(standIn.requests[0]).toMatchObject({ status: 200 });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^The runner's clock is 3 min ahead of KlearStack's/)
    ]);
    expect(result.leaks).toEqual([]);
  });

  it('sends one that expired within the leeway by both clocks, and reports the 401 KlearStack gives', async () => {
    const { standIn } = await klear();
    const refreshToken = standIn.mintRefreshToken({ expiresIn: -120 });
    const result = await run(standIn, { 'refresh-token': refreshToken });

    expect(result.exitCode).toBe(1);
    expect(standIn.requests.map(request => [request.endpoint, request.status])).toEqual([
      ['refresh', 401]
    ]);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^KlearStack rejected the refresh token as invalid or expired \(HTTP 401\)/
      )
    ]);
  });

  it('logs in exactly once, without trying the refresh, when the refresh token has expired and a service account is given', async () => {
    const { standIn, issued } = await klear();
    // Issued two hours ago with an hour to live, by the server's clock.
    standIn.clock.advance(-2 * 3600);
    const expired = standIn.mintRefreshToken({ expiresIn: 3600 });
    standIn.clock.advance(2 * 3600);
    const result = await run(
      standIn,
      { 'refresh-token': expired, ...login(standIn) },
      { secrets: issued }
    );

    expect(result.exitCode).toBe(0);
    expect(endpoints(standIn)).toEqual(['login']);
    expect(result.log).toContain(
      `The refresh token expired at ${isoExpiry(expired)} (1 h ago); logging in with the service account instead.`
    );
    expect(result.summary).toContain('login (service account)');
    expectMaskedBeforeShown(result, [expired, ...issued]);
  });

  it('warns how long a refresh token that expires within the 6 hours a job can run has left, and still refreshes', async () => {
    const { standIn } = await klear();
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 3 * 3600 });
    const result = await run(standIn, { 'refresh-token': refreshToken });

    expect(result.exitCode).toBe(0);
    expect(endpoints(standIn)).toEqual(['refresh']);
    const expiring = result.warnings.filter(warning => warning.startsWith('The refresh token'));
    expect(expiring).toHaveLength(1);
    expect(expiring[0]).toMatch(
      new RegExp(
        `^The refresh token expires in (2 h 59 min|3 h) \\(at ${escape(isoExpiry(refreshToken))}\\), within the 6 hours a job can run: `
      )
    );
    expect(result.summary).toContain('| Obtained by | refresh token |');
    expect(result.summary).toContain(`| Refresh token expires at | ${isoExpiry(refreshToken)} |`);
  });

  it('says the expiry of a refresh token that lives a day as information, in the log and the summary', async () => {
    const { standIn } = await klear();
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 86400 });
    const result = await run(standIn, { 'refresh-token': refreshToken });

    expect(result.exitCode).toBe(0);
    expect(result.warnings).toEqual([]);
    expect(result.log).toMatch(
      new RegExp(
        `The refresh token expires in (23 h 59 min|24 h) \\(at ${escape(isoExpiry(refreshToken))}\\)\\.`
      )
    );
    expect(result.summary).toContain(`| Refresh token expires at | ${isoExpiry(refreshToken)} |`);
  });

  it('warns that an expired access-token input is sent anyway, and refreshes without it once refused', async () => {
    const { standIn } = await klear();
    const accessToken = standIn.mintAccessToken({ expiresIn: -60 });
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      'access-token': accessToken
    });

    expect(result.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The access-token input expired at ${escape(isoExpiry(accessToken))}; trying anyway`
        )
      ),
      'KlearStack rejected the access-token input as expired or invalid (HTTP 401); refreshing without it.'
    ]);
    expect(standIn.requests.map(request => [request.endpoint, request.bearer])).toEqual([
      ['refresh', accessToken],
      ['refresh', undefined]
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.errors).toEqual([]);
  });
});

describe('run mode', () => {
  it('keeps every call of the command accepted through a simulated hour of 15-minute tokens', async () => {
    const probe = tempDir();
    const runnerTemp = tempDir();
    // 250 simulated seconds per real second, in small steps: with refreshes every real second a
    // token is at most ~6 steps old when replaced, far from its 15 minutes. The clock waits for the
    // action rather than outrun it on a loaded machine: it stands still while the newest token is
    // STALL_STEPS old (two thirds of its life), so only a refresh that never comes, or a token
    // not handed to the command, can let one die. The hour ends once it is over and the stand-in has
    // seen the calls and refreshes the test counts.
    const STEP_SECONDS = 50;
    const STEP_MS = 200;
    const STEPS = 3600 / STEP_SECONDS;
    const STALL_STEPS = 12;
    let ticker: NodeJS.Timeout | undefined;
    let steps = 0;
    let refreshedAt = 0;
    const count = (endpoint: string) =>
      standIn.requests.filter(request => request.endpoint === endpoint).length;
    const { standIn, issued } = await klear({
      onRequest: request => {
        if (request.endpoint === 'refresh') refreshedAt = steps;
        // The hour starts with the command's first call: the action is up and holds its first token.
        if (request.endpoint !== 'api' || ticker) return;
        ticker = setInterval(() => {
          if (steps >= STEPS) {
            if (count('api') < 20 || count('refresh') < 11) return;
            clearInterval(ticker);
            mkdirSync(join(probe, 'stop'));
          } else if (steps - refreshedAt < STALL_STEPS) {
            standIn.clock.advance(STEP_SECONDS);
            steps += 1;
          }
        }, STEP_MS);
      }
    });
    const refreshToken = standIn.mintRefreshToken({ expiresIn: WEEK });
    const accessToken = standIn.mintAccessToken();
    const startedAt = standIn.clock.now();
    // Reads the file before every call, as the README says; records status and file mode per call.
    const command = [
      'echo "$KLEAR_ACCESS_TOKEN_FILE" > "$PROBE/path"',
      'stat -c %a "$(dirname "$KLEAR_ACCESS_TOKEN_FILE")" > "$PROBE/dir-mode"',
      'echo "first token: $KLEAR_ACCESS_TOKEN"',
      'echo "file token: $(cat "$KLEAR_ACCESS_TOKEN_FILE")"',
      'while [ ! -e "$PROBE/stop" ]; do',
      '  token=$(cat "$KLEAR_ACCESS_TOKEN_FILE")',
      '  mode=$(stat -c %a "$KLEAR_ACCESS_TOKEN_FILE")',
      '  status=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $token" "$API") ||',
      '    status="curl-exit-$?"',
      '  echo "$status $mode" >> "$PROBE/calls"',
      '  sleep 0.2',
      'done',
      'exit 42'
    ].join('\n');

    let result: RunResult;
    try {
      result = await run(
        standIn,
        {
          'refresh-token': refreshToken,
          'access-token': accessToken,
          'refresh-interval': '1s',
          run: command
        },
        {
          env: { PROBE: probe, API: standIn.url + API_PATH, RUNNER_TEMP: runnerTemp },
          secrets: issued,
          timeoutMs: 45_000
        }
      );
    } finally {
      clearInterval(ticker);
    }

    expect(standIn.clock.now() - startedAt).toBeGreaterThanOrEqual(3600);
    expect(result.exitCode).toBe(42);
    expect(result.errors).toEqual(['The command exited with code 42.']);
    // The stand-in's clock runs 250 times too fast, so KlearStack's clock pulls ahead of the
    // runner's: said once, the moment it passes a minute, and nothing else.
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^The runner's clock is \d+ min behind KlearStack's \(from the Date of KlearStack's answer\)\./
      )
    ]);

    const calls = readFileSync(join(probe, 'calls'), 'utf8').trim().split('\n');
    expect(calls.length).toBeGreaterThanOrEqual(20);
    expect(calls.filter(call => call !== '200 600')).toEqual([]);
    expect(readFileSync(join(probe, 'dir-mode'), 'utf8').trim()).toBe('700');
    const apiCalls = standIn.requests.filter(request => request.endpoint === 'api');
    expect(apiCalls).toHaveLength(calls.length);
    const refreshes = standIn.requests.filter(request => request.endpoint === 'refresh');
    const minted = refreshes.map(request => request.issuedAccessToken);
    for (const call of apiCalls) expect(minted).toContain(call.bearer);

    // The first refresh is the step's own mint; each later one presents the token before it.
    expect(refreshes.length).toBeGreaterThanOrEqual(11);
    expect(refreshes.map(request => request.bearer)).toEqual([accessToken, ...minted.slice(0, -1)]);
    for (const request of refreshes) expect(request.fields.refresh_token).toBe(refreshToken);
    expect(endpoints(standIn)).not.toContain('login');

    // Later steps get the newest token; only a refresh in flight as the command ended is dropped.
    const latest = result.outputs['access-token'];
    expect(minted.slice(-2)).toContain(latest);
    expect(result.exportedEnv.KLEAR_ACCESS_TOKEN).toBe(latest);
    expect(result.summary).toContain(`| Refreshes during \`run\` | ${minted.indexOf(latest)} |`);
    expect(result.summary).toContain('| Command exit code | 42 |');

    expect(result.log).toContain('first token: ***');
    expect(result.log).toContain('file token: ***');
    expectMaskedBeforeShown(result, [refreshToken, accessToken, ...issued]);

    const tokenFile = readFileSync(join(probe, 'path'), 'utf8').trim();
    expect(dirname(dirname(tokenFile))).toBe(runnerTemp);
    expect(existsSync(tokenFile)).toBe(false);
    expect(existsSync(dirname(tokenFile))).toBe(false);
  }, 60_000);

  // Cancellation as the runner does it (dev/runner.ts cancel(): SIGINT to the action's PID, SIGTERM
  // 7.5 s later, SIGKILL 2.5 s after that). Each command writes what the test needs into $PROBE.
  // `ready` is the file in $PROBE whose appearance is the moment to cancel, or waits for it.
  async function cancelled(
    inputs: Record<string, string>,
    ready: string | ((standIn: StandIn, probe: string) => Promise<void>),
    options: Partial<RunOptions> = {},
    arrange: (standIn: StandIn) => void = () => {}
  ) {
    const probe = tempDir();
    const { standIn } = await klear();
    arrange(standIn);
    const running = start(
      standIn,
      { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), ...inputs },
      { ...options, env: { PROBE: probe, ...options.env } }
    );
    if (typeof ready === 'string') await waitFor(join(probe, ready));
    else await ready(standIn, probe);
    const started = performance.now();
    await running.cancel();
    const tookMs = performance.now() - started;
    return { probe, result: await running.result, tookMs, standIn };
  }
  /**
   * Run mode with `script` run at the moment between the token file's writing and the command's
   * start, with $PPID the action (fixtures/at-mkfifo).
   */
  const atMkfifo = (script: string, env: Record<string, string>) => ({
    env: { PATH: `${AT_MKFIFO}:${process.env.PATH}`, AT_MKFIFO: script, ...env }
  });
  // Running: a zombie (killed, waiting for whatever adopted it to reap it) runs nothing.
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  const nodeProgram = (script: string) => `"${process.execPath}" -e "${script}"`;

  it('on cancel, a program that exits 0 on SIGINT ends the script: the next line never runs', async () => {
    const { probe, result, tookMs } = await cancelled(
      {
        run: [
          'echo "$KLEAR_ACCESS_TOKEN_FILE" > "$PROBE/path"',
          nodeProgram(
            "process.on('SIGINT', () => { console.log('program got INT'); process.exit(0); }); require('fs').writeFileSync(process.env.PROBE + '/ready', ''); setInterval(() => {}, 1000);"
          ),
          'echo "after the program"',
          'sleep 30'
        ].join('\n')
      },
      'ready'
    );

    expect(result.log).toContain('program got INT');
    expect(result.log).not.toContain('after the program');
    expect(result.exitCode).toBe(130);
    expect(tookMs).toBeLessThan(7500);
    expect(result.errors).toEqual([expect.stringMatching(/^The step was cancelled \(SIGINT\)/)]);
    const tokenFile = readFileSync(join(probe, 'path'), 'utf8').trim();
    expect(existsSync(dirname(tokenFile))).toBe(false);
    expect(result.survivors).toEqual([]);
    expect(result.leaks).toEqual([]);
  });

  it('on cancel, a command that ignores SIGINT and SIGTERM, and its background job, are gone before the runner would SIGTERM the action', async () => {
    const { probe, result, tookMs } = await cancelled(
      {
        run: [
          'sleep 300 &',
          'echo $! > "$PROBE/background"',
          nodeProgram(
            "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.env.PROBE + '/program', String(process.pid)); setInterval(() => {}, 1000);"
          )
        ].join('\n')
      },
      'program'
    );

    expect(result.exitCode).toBe(130);
    expect(tookMs).toBeLessThan(7500);
    for (const file of ['background', 'program']) {
      expect(alive(Number(readFileSync(join(probe, file), 'utf8')))).toBe(false);
    }
    expect(result.survivors).toEqual([]);
    expect(result.log).not.toContain('Cleaning up orphan processes');
  }, 20_000);

  it('on cancel during a refresh, stops refreshing and exits within the runner window', async () => {
    const probe = tempDir();
    const { standIn } = await klear();
    // The step's own mint goes through; the refresh after it hangs.
    standIn.fault({ kind: 'delay', ms: 0 });
    standIn.faultAlways({ kind: 'hang' });
    const running = start(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'refresh-interval': '1s',
        run: 'touch "$PROBE/ready"; sleep 30'
      },
      { env: { PROBE: probe } }
    );
    await waitFor(join(probe, 'ready'));
    while (standIn.requests.length < 2) await sleep(50);
    const started = performance.now();
    await running.cancel();
    const result = await running.result;

    expect(performance.now() - started).toBeLessThan(7500);
    expect(result.exitCode).toBe(130);
    // No refresh was started after the cancel: the one hanging is the last.
    expect(standIn.requests.filter(request => request.endpoint === 'refresh')).toHaveLength(2);
    expect(result.survivors).toEqual([]);
  });

  /**
   * What run mode's folder in `runnerTemp` holds (FIFOs marked) once it holds both FIFOs, or after
   * 10 s; [] while there is none.
   */
  async function preparedFolder(runnerTemp: string): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const folder = readdirSync(runnerTemp).find(name => name.startsWith('klear-token-'));
      const entries = folder ? readdirSync(join(runnerTemp, folder)).sort() : [];
      if ((entries.includes('stdout') && entries.includes('stderr')) || Date.now() > deadline) {
        return entries.map(name =>
          lstatSync(join(runnerTemp, folder as string, name)).isFIFO() ? `${name} (FIFO)` : name
        );
      }
      await sleep(10);
    }
  }

  // Run mode's folder is made, its disk checked, before the first request; the script and the
  // command's FIFOs while the request is in flight; the token file once the token has come.
  describe("run mode's folder, made before the first token", () => {
    it('holds the script and both FIFOs, and no token file, while the first request is held; the failed mint removes it', async () => {
      const runnerTemp = tempDir();
      const { standIn } = await klear();
      standIn.faultAlways({ kind: 'hang' });
      const running = start(
        standIn,
        {
          'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
          'timeout-seconds': '2',
          run: 'echo ran'
        },
        { env: { RUNNER_TEMP: runnerTemp } }
      );
      const held = await preparedFolder(runnerTemp);
      const result = await running.result;

      expect(held).toEqual(['mkfifo.log', 'script.sh', 'stderr (FIFO)', 'stdout (FIFO)']);
      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        expect.stringMatching(/^No complete answer from .* within 2 s/)
      ]);
      expect(result.log).not.toContain('ran');
      expect(readdirSync(runnerTemp)).toEqual([]);
    });

    it('ends a mkfifo still running when the mint fails: the step fails at once, leaving nothing', async () => {
      const runnerTemp = tempDir();
      const { standIn } = await klear();
      standIn.faultAlways({ kind: 'hang' });
      const started = performance.now();
      // This mkfifo waits for a token file (fixtures/at-mkfifo), for 30 s when none comes.
      const result = await run(
        standIn,
        {
          'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
          'timeout-seconds': '1',
          run: 'echo ran'
        },
        atMkfifo('', { RUNNER_TEMP: runnerTemp })
      );

      expect(performance.now() - started).toBeLessThan(10_000);
      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        expect.stringMatching(/^No complete answer from .* within 1 s/)
      ]);
      expect(result.survivors).toEqual([]);
      expect(readdirSync(runnerTemp)).toEqual([]);
    });

    it("fails the step with one sentence and mkfifo's own words when it cannot make the pipes, leaving nothing", async () => {
      const runnerTemp = tempDir();
      const { standIn } = await klear();
      const result = await run(
        standIn,
        { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo ran' },
        atMkfifo('echo "mkfifo: cannot create fifo: no room" >&2; exit 1', {
          RUNNER_TEMP: runnerTemp
        })
      );

      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        "mkfifo could not make the pipes for the command's output in RUNNER_TEMP: mkfifo: cannot create fifo: no room. Check the runner's disk and RUNNER_TEMP, and that the mkfifo on PATH is coreutils'."
      ]);
      expect(result.log).not.toContain('ran');
      expect(readdirSync(runnerTemp)).toEqual([]);
    });

    it('fails the step with that sentence when mkfifo fails while the first request is still in flight', async () => {
      const runnerTemp = tempDir();
      const bin = tempDir();
      writeFileSync(join(bin, 'mkfifo'), '#!/bin/sh\necho "mkfifo: no room" >&2\nexit 1\n', {
        mode: 0o755
      });
      const { standIn } = await klear();
      standIn.fault({ kind: 'delay', ms: 1000 });
      const result = await run(
        standIn,
        { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo ran' },
        { env: { PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: runnerTemp } }
      );

      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        expect.stringMatching(
          /^mkfifo could not make the pipes for the command's output in RUNNER_TEMP: mkfifo: no room\./
        )
      ]);
      expect(result.log).not.toContain('ran');
      expect(readdirSync(runnerTemp)).toEqual([]);
    });
  });

  // A cancel at every moment of run mode, the runner's way (SIGINT to the action's PID): the step
  // says so, exits 130, and leaves no token file and nothing of the command running.
  describe('cancelled at any moment', () => {
    /** Everything the action left under RUNNER_TEMP. */
    const leftIn = (runnerTemp: string) => readdirSync(runnerTemp);

    it('before the token file exists, while the first token is being minted: no retry', async () => {
      const runnerTemp = tempDir();
      let held: string[] = [];
      const { standIn, result, tookMs } = await cancelled(
        { 'max-attempts': '3', run: 'echo ran' },
        async standIn => {
          while (standIn.requests.length < 1) await sleep(20);
          held = await preparedFolder(runnerTemp);
        },
        { env: { RUNNER_TEMP: runnerTemp } },
        standIn => standIn.faultAlways({ kind: 'hang' })
      );

      // The folder, with the script and the FIFOs, was there when the signal was sent, and is gone.
      expect(held).toEqual(['mkfifo.log', 'script.sh', 'stderr (FIFO)', 'stdout (FIFO)']);
      expect(tookMs).toBeLessThan(7500);
      expect(result.signal).toBeNull();
      expect(result.exitCode).toBe(130);
      expect(result.errors).toEqual([
        'The step was cancelled (SIGINT) before the command started: it did not run, and no token file is left.'
      ]);
      // No retry after the cancel, nor a word of one.
      expect(standIn.requests).toHaveLength(1);
      expect(result.warnings).toEqual([]);
      expect(result.log).not.toContain('ran');
      expect(leftIn(runnerTemp)).toEqual([]);
    });

    it('between the token file being written and the command starting', async () => {
      const runnerTemp = tempDir();
      const probe = tempDir();
      const { standIn } = await klear();
      const result = await run(
        standIn,
        {
          'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
          run: 'touch "$PROBE/ran"'
        },
        atMkfifo('ls "$RUNNER_TEMP"/klear-token-*/token > "$PROBE/token"; kill -INT $PPID', {
          RUNNER_TEMP: runnerTemp,
          PROBE: probe
        })
      );

      expect(result.signal).toBeNull();
      expect(result.exitCode).toBe(130);
      expect(result.errors).toEqual([
        'The step was cancelled (SIGINT) before the command started: it did not run, and no token file is left.'
      ]);
      // The token file was there when the signal was sent, and is gone.
      const tokenFile = readFileSync(join(probe, 'token'), 'utf8').trim();
      expect(dirname(dirname(tokenFile))).toBe(runnerTemp);
      expect(leftIn(runnerTemp)).toEqual([]);
      expect(existsSync(join(probe, 'ran'))).toBe(false);
    });

    it('just after the command exited, while the step publishes the token', async () => {
      const runnerTemp = tempDir();
      const files = tempDir();
      const { standIn } = await klear();
      // GITHUB_ENV as a FIFO: the action's opening it, to export the token once the command has
      // ended and its token file is removed, waits for a reader (the kernel's wait_for_partner).
      // The signal is sent while it waits; only then does the reader open the FIFO.
      const githubEnv = join(files, 'github_env');
      execFileSync('mkfifo', [githubEnv]);
      const running = start(
        standIn,
        { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo ran' },
        { env: { RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv } }
      );
      const publishing = `[ "$(cat /proc/${running.pid}/wchan)" = wait_for_partner ]`;
      const reader = spawn(
        'sh',
        [
          '-c',
          `until ${publishing} || [ ! -e /proc/${running.pid} ]; do sleep 0.01; done; kill -INT ${running.pid}; timeout 10 cat "$0"`,
          githubEnv
        ],
        { stdio: 'ignore' }
      );
      const readerExited = once(reader, 'exit');
      const result = await running.result;
      await readerExited;

      expect(result.signal).toBeNull();
      expect(result.exitCode).toBe(130);
      expect(result.log.split('\n')).toContain('ran');
      expect(result.errors).toEqual([
        'The step was cancelled (SIGINT) after the command had ended (exit code 0); the token file was removed.'
      ]);
      expect(leftIn(runnerTemp)).toEqual([]);
    });

    it('while the step waits for the last output, a background job holding it is ended and waited for', async () => {
      const { probe, result, tookMs } = await cancelled(
        { run: 'sleep 300 &\necho $! > "$PROBE/background"\necho $$ > "$PROBE/shell"\necho ready' },
        async (_standIn, probe) => {
          await waitFor(join(probe, 'shell'));
          // The shell has exited and been reaped; the background job holds the output open.
          const shell = Number(readFileSync(join(probe, 'shell'), 'utf8'));
          while (existsSync(`/proc/${shell}`)) await sleep(10);
        }
      );

      expect(tookMs).toBeLessThan(7500);
      expect(result.exitCode).toBe(130);
      expect(result.errors).toEqual([
        expect.stringMatching(/^The step was cancelled \(SIGINT\): the command was ended/)
      ]);
      expect(alive(Number(readFileSync(join(probe, 'background'), 'utf8')))).toBe(false);
      expect(result.survivors).toEqual([]);
    }, 20_000);
  });

  describe('a command that cannot be started', () => {
    it.each([
      [
        'an environment too large to start a program with (E2BIG)',
        // Linux allows arguments and environment together a quarter of the stack limit, and never
        // under 128 KiB: at a 512 KiB limit, two variables of 100 KiB are too much. The action
        // started with the usual 8 MiB; its limit is lowered just before the command's start.
        'prlimit --pid $PPID --stack=524288',
        /^Could not start \S*bash to run the command: its environment is too large for the operating system to start a program with \(E2BIG\)/
      ],
      [
        'a working directory removed after the inputs were checked (ENOENT)',
        'rmdir "$GITHUB_WORKSPACE/reports"',
        /^Could not start \S*bash to run the command: spawn \S*bash ENOENT\. Check the 'shell' input/
      ]
    ])(
      '%s: one error, exit 1 within seconds, no token file left',
      async (_case, atStart, error) => {
        const runnerTemp = tempDir();
        const workspace = tempDir();
        mkdirSync(join(workspace, 'reports'));
        const { standIn } = await klear();
        const result = await run(
          standIn,
          {
            'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
            'working-directory': 'reports',
            run: 'echo ran'
          },
          {
            ...atMkfifo(atStart, {
              RUNNER_TEMP: runnerTemp,
              PADDING_A: 'a'.repeat(100 * 1024),
              PADDING_B: 'b'.repeat(100 * 1024)
            }),
            cwd: workspace,
            timeoutMs: 15_000
          }
        );

        expect(result.timedOut).toBe(false);
        expect(result.exitCode).toBe(1);
        expect(result.errors).toEqual([expect.stringMatching(error)]);
        expect(result.log).not.toContain('ran');
        expect(readdirSync(runnerTemp)).toEqual([]);
      }
    );
  });

  // Leaks: every token minted in the step stays out of the log as the runner would display it,
  // whatever the command prints. The file is refreshed every second; the command prints for ~3.5 s,
  // and on until the stand-in has issued the three tokens the test needs ($DONE), however slow the machine.
  const LEAK_COMMANDS: [string, string][] = [
    [
      // One write per round, and none while the pipe is full: 2,000 queued one-byte writes make Node
      // 24 fail its writev with EINVAL (more buffers than IOV_MAX) once a loaded relay falls behind.
      'partial lines at a high write rate, the token among them',
      nodeProgram(
        "const fs = require('fs'); const end = Date.now() + 3500; const cap = Date.now() + 30000; const more = () => Date.now() < end || (!fs.existsSync(process.env.DONE) && Date.now() < cap); const tick = () => { let chunk = '.'.repeat(2000); if (Math.random() < 0.05) chunk += fs.readFileSync(process.env.KLEAR_ACCESS_TOKEN_FILE, 'utf8'); const flowing = process.stdout.write(chunk); if (!more()) console.log(); else if (flowing) setImmediate(tick); else process.stdout.once('drain', tick); }; tick();"
      )
    ],
    [
      '::stop-commands::, with the token printed meanwhile',
      [
        'echo "::stop-commands::pause-untrusted-output"',
        `i=0; while ${roundsUntilDone(14, 120)}; do echo "token: $(cat "$KLEAR_ACCESS_TOKEN_FILE")"; sleep 0.25; i=$((i+1)); done`,
        'echo "::pause-untrusted-output::"'
      ].join('\n')
    ],
    [
      'the token on stderr right after each refresh',
      `i=0; while ${roundsUntilDone(35, 300)}; do cat "$KLEAR_ACCESS_TOKEN_FILE" >&2; echo >&2; sleep 0.1; i=$((i+1)); done`
    ],
    [
      'the token as base64, base64url, URL-encoded and JSON-escaped',
      [
        'i=0',
        `while ${roundsUntilDone(14, 120)}; do`,
        '  t=$(cat "$KLEAR_ACCESS_TOKEN_FILE")',
        '  printf "%s" "$t" | base64 -w0; echo',
        '  printf "%s" "$t" | base64 -w0 | tr -d = ; echo',
        '  printf "%s" "$t" | base64 -w0 | tr "+/" "-_" | tr -d = ; echo',
        '  printf "Bearer %s" "$t" | base64 -w0; echo',
        `  ${nodeProgram("const t = require('fs').readFileSync(process.env.KLEAR_ACCESS_TOKEN_FILE, 'utf8'); console.log(encodeURIComponent(t)); console.log(JSON.stringify({ t }));")}`,
        '  sleep 0.25',
        '  i=$((i+1))',
        'done'
      ].join('\n')
    ]
  ];
  for (const debug of ['0', '1']) {
    it.each(LEAK_COMMANDS)(
      `leaks no token through %s (RUNNER_DEBUG=${debug})`,
      async (_what, command) => {
        const done = join(tempDir(), 'refreshed');
        let refreshes = 0;
        const { standIn, issued } = await klear({
          onRequest: request => {
            if (request.endpoint === 'refresh' && ++refreshes === 3) writeFileSync(done, '');
          }
        });
        const result = await run(
          standIn,
          {
            'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
            'refresh-interval': '1s',
            run: command
          },
          { env: { RUNNER_DEBUG: debug, DONE: done }, secrets: issued, timeoutMs: 45_000 }
        );

        expect(result.exitCode).toBe(0);
        const refreshed = standIn.requests.filter(request => request.endpoint === 'refresh');
        expect(refreshed.length).toBeGreaterThanOrEqual(3);
        expect(result.leaks).toEqual([]);
        for (const token of issued) expect(result.log).not.toContain(token);
      },
      60_000
    );
  }

  it('recovers after an outage that outlived the token, once KlearStack answers again', async () => {
    // Driven by what the stand-in sees rather than the wall clock, so a loaded machine cannot end the
    // command first: the outage ends at the first refused refresh after the step's token has died.
    const expiry = firstTokenExpiry();
    const { standIn } = await klear({
      accessTtlSeconds: 3,
      onRequest: request => {
        expiry.see(request);
        const refused = request.endpoint === 'refresh' && request.status === 503;
        if (refused && request.at >= expiry.exp) standIn.faultAlways(undefined);
      }
    });
    // The step's own mint goes through; refreshes then meet an outage longer than the token's life.
    standIn.fault({ kind: 'delay', ms: 0 });
    standIn.faultAlways({ status: 503 });
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'refresh-interval': '1s',
        // The API answers 503 in the outage and 401 to the dead token after it; a 200 after either can
        // only come from a token refreshed once the outage ended: that is the recovery.
        run: [
          'died=no',
          'for i in $(seq 150); do',
          '  status=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat "$KLEAR_ACCESS_TOKEN_FILE")" "$API")',
          '  if [ "$status" != 200 ]; then died=yes; fi',
          '  if [ "$died" = yes ] && [ "$status" = 200 ]; then exit 0; fi',
          '  sleep 0.2',
          'done',
          'exit 1'
        ].join('\n')
      },
      { env: { API: standIn.url + API_PATH }, timeoutMs: 45_000 }
    );
    expect(standIn.requests.filter(r => r.endpoint === 'refresh').at(-1)?.status).toBe(200);
    expect(result.exitCode).toBe(0);
  });

  // SimpleJWT before 5.5 copies the refresh token's iat into every access token: with one issued
  // two hours ago, exp − iat says 2 h 20 s. The command calls the API every 2 s and must never get 401.
  it('keeps 20-second tokens alive with a refresh token issued 2 h ago (copied iat): no 401, no skew warning', async () => {
    const { standIn } = await klear({ accessTtlSeconds: 20 });
    standIn.clock.advance(-7200);
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 86400 });
    standIn.clock.advance(7200);
    const result = await run(
      standIn,
      {
        'refresh-token': refreshToken,
        run: [
          'for i in $(seq 12); do',
          '  curl -s -o /dev/null -w "%{http_code}\\n" -H "Authorization: Bearer $(cat "$KLEAR_ACCESS_TOKEN_FILE")" "$API"',
          '  sleep 2',
          'done'
        ].join('\n')
      },
      { env: { API: standIn.url + API_PATH }, timeoutMs: 45_000 }
    );

    expect(result.exitCode).toBe(0);
    const statuses = standIn.requests.filter(r => r.endpoint === 'api').map(r => r.status);
    expect(statuses).toHaveLength(12);
    expect(statuses.filter(status => status !== 200)).toEqual([]);
    // The tokens did carry the old iat: the case the action once read as 2 h of skew.
    const first = standIn.requests[0].issuedAccessToken as string;
    expect(decodeJwtPayload(first).iat).toBe(decodeJwtPayload(refreshToken).iat);
    expect(result.warnings).toEqual([]);
    // A refresh 15 s after each token (three quarters of its 19 s life, at least 15 s), with a living bearer.
    const refreshes = standIn.requests.filter(r => r.endpoint === 'refresh').slice(1);
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    for (const request of refreshes) expect(request).toMatchObject({ status: 200 });
    for (const request of refreshes) expect(request.bearer).toBeDefined();
  }, 50_000);

  it.each([
    ['with a service account: the login recovers', true],
    ['without one: says only a login can recover', false]
  ])(
    'a refresh endpoint that needs a valid bearer, after an outage that outlived the token, %s',
    async (_case, withLogin) => {
      // Driven by what the stand-in sees, not by the wall clock, so a loaded machine cannot move the
      // recovery past the command's end: the outage ends at the first refused refresh after the token
      // has died (by the stand-in's clock), and the command runs until the recovery it waits for is seen.
      const done = join(tempDir(), 'recovered');
      let expiry = Infinity;
      const { standIn } = await klear({
        accessTtlSeconds: 3,
        requireBearer: true,
        onRequest: request => {
          const refused = request.endpoint === 'refresh' && request.status === 503;
          if (refused && request.at >= expiry) standIn.faultAlways(undefined);
          const recovered = withLogin
            ? request.endpoint === 'login' && request.status === 200
            : request.endpoint === 'refresh' && request.status === 401;
          if (recovered) writeFileSync(done, '');
        }
      });
      standIn.fault({ kind: 'delay', ms: 0 });
      standIn.faultAlways({ status: 503 });
      const accessToken = standIn.mintAccessToken();
      expiry = decodeJwtPayload(accessToken).exp as number;
      const result = await run(
        standIn,
        {
          'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
          'access-token': accessToken,
          'refresh-interval': '1s',
          run: untilFile('"$DONE"', 20),
          ...(withLogin ? login(standIn) : {})
        },
        { env: { DONE: done }, timeoutMs: 40_000 }
      );

      expect(result.exitCode).toBe(0);
      const after = standIn.requests.filter(r => r.status !== 503).slice(1);
      // The dead bearer is not sent; KlearStack wants one (401 without it); then the login, or nothing.
      expect(after[0]).toMatchObject({ endpoint: 'refresh', status: 401 });
      expect(after[0].bearer).toBeUndefined();
      if (withLogin) {
        expect(after[1]).toMatchObject({ endpoint: 'login', status: 200 });
        expect(result.warnings).toContain(
          "KlearStack's refresh endpoint requires a valid access token and there is none (HTTP 401); logging in with the service account instead."
        );
      } else {
        expect(after.every(r => r.endpoint === 'refresh' && r.status === 401)).toBe(true);
        expect(result.errors).toContainEqual(
          expect.stringMatching(
            /^Could not refresh the KlearStack access token: The access token has expired, and KlearStack's refresh endpoint requires a valid one \(HTTP 401 without it\), so only a login can get a new token\. Give username and password/
          )
        );
      }
    },
    45_000
  );

  it("warns about failed refreshes without disturbing the command, and exits with the command's code", async () => {
    // Two refreshes are refused and the third is held unanswered; the command ends once that third
    // has arrived, so the action has logged the second failure and has nothing else to report,
    // however slow the machine. An answer still unsent when the command ends is not acted on.
    const { standIn } = await klear();
    // The step's own mint goes through.
    standIn.fault({ kind: 'delay', ms: 0 }, { status: 503 }, { status: 503 });
    standIn.faultAlways({ kind: 'hang' });
    const done = join(tempDir(), 'third');
    const watch = setInterval(() => {
      if (standIn.requests.length >= 4) writeFileSync(done, '');
    }, 20);
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'refresh-interval': '1s',
        // The held third refresh must not time out into a third failure before the command ends.
        'timeout-seconds': '30',
        run: `${untilFile('"$DONE"')}; echo "command done"`
      },
      { env: { DONE: done }, timeoutMs: 40_000 }
    ).finally(() => clearInterval(watch));

    expect(result.exitCode).toBe(0);
    expect(result.log).toContain('command done');
    const [mint, ...refreshes] = standIn.requests;
    expect(refreshes).toHaveLength(3);
    for (const request of refreshes) {
      expect(request).toMatchObject({ endpoint: 'refresh' });
      expect(request.bearer).toBe(mint.issuedAccessToken);
    }
    const failed = refreshes.filter(request => request.status === 503);
    expect(failed).toHaveLength(2);
    // A streak of failures is one warning; each retry after it is a line in the log.
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^Could not refresh the KlearStack access token\. KlearStack had a server error or is unavailable \(HTTP 503\)\..* Trying again in 1 s; the command keeps running with the current token\.$/
      )
    ]);
    const retries = result.log
      .split('\n')
      .filter(line => /^Refresh attempt \d+ failed: KlearStack had a server error/.test(line));
    expect(retries).toHaveLength(failed.length - 1);
    expect(result.errors).toEqual([]);
    expect(result.summary).toContain(`| Failed refreshes | ${failed.length} |`);
    expect(result.summary).toContain('| Refreshes during `run` | 0 |');
  }, 50_000);

  it("reports loudly, once, when the token expires with no successful refresh, yet exits with the command's code", async () => {
    // The command ends at the first refused refresh a second or more past the token's death by the
    // stand-in's clock: the action's timer for the death, due before the one that sent that refresh,
    // has run by then, however slow the machine.
    const done = join(tempDir(), 'expired');
    const expiry = firstTokenExpiry();
    const { standIn } = await klear({
      accessTtlSeconds: 3,
      onRequest: request => {
        expiry.see(request);
        if (request.status === 503 && request.at >= expiry.exp + 1) writeFileSync(done, '');
      }
    });
    standIn.fault({ kind: 'delay', ms: 0 });
    standIn.faultAlways({ status: 503 });
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'refresh-interval': '1s',
        run: untilFile('"$DONE"')
      },
      { env: { DONE: done }, timeoutMs: 40_000 }
    );

    const first = standIn.requests[0].issuedAccessToken as string;
    expect(result.errors).toEqual([
      `The KlearStack access token (exp ${isoExpiry(first)} by KlearStack's clock) has expired and could not be refreshed in time: the command's requests will fail with 401 until a refresh succeeds, which is being tried.`
    ]);
    expect(result.summary).toContain('| Expired before a refresh | 1 |');
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain('| Command exit code | 0 |');
  }, 50_000);

  // Token time by KlearStack's clock: 20-second tokens, so one early refresh (at 15 s, the
  // shortest gap an unasked refresh may have) comes within the default 10-minute interval.
  it("refreshes a short-lived token once, ahead of its death, with the runner's clock 15 min ahead: bearer sent and accepted", async () => {
    const { standIn } = await klear({ accessTtlSeconds: 20, requireBearer: true });
    standIn.clock.advance(-900);
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'access-token': standIn.mintAccessToken({ expiresIn: 3600 }),
        // Until the early refresh has been handed over, rather than a fixed 17 s past the 15 s it is due.
        run: untilTokenFileChanges()
      },
      { timeoutMs: 45_000 }
    );

    expect(result.exitCode).toBe(0);
    // Before the time model: the token looked dead on arrival, so a refresh every second, without a bearer.
    expect(standIn.requests.map(request => [request.endpoint, request.status])).toEqual([
      ['refresh', 200],
      ['refresh', 200]
    ]);
    expect(standIn.requests[1].bearer).toBe(standIn.requests[0].issuedAccessToken);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^The runner's clock is 15 min ahead of KlearStack's/)
    ]);
    expect(result.errors).toEqual([]);
  }, 50_000);

  it("keeps the file's token alive with KlearStack's clock 15 min ahead: the command's last call is accepted", async () => {
    const { standIn } = await klear({ accessTtlSeconds: 20 });
    standIn.clock.advance(900);
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        // The last call with the token the early refresh handed over (at most 30 s on: past the first
        // token's death, so a missing refresh fails it), rather than a fixed 18 s past its start.
        run: [
          untilTokenFileChanges(),
          'curl -s -o /dev/null -w "final call %{http_code}\\n" -H "Authorization: Bearer $(cat "$KLEAR_ACCESS_TOKEN_FILE")" "$API"'
        ].join('\n')
      },
      { env: { API: standIn.url + API_PATH }, timeoutMs: 45_000 }
    );

    expect(result.exitCode).toBe(0);
    // Before the time model: the next refresh waited for the 10-minute interval, past the token's death.
    expect(result.log.split('\n')).toContain('final call 200');
    expect(endpoints(standIn).filter(endpoint => endpoint === 'refresh')).toHaveLength(2);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^The runner's clock is 15 min behind KlearStack's/)
    ]);
    expect(result.summary).toContain("| Runner's clock | 15 min behind KlearStack's |");
  }, 50_000);

  it('credentials rejected mid-run: said once as an error, then left alone for 15 minutes', async () => {
    // The command watches for 4 s (four refresh intervals) from the refused login, however late
    // a loaded machine makes that login.
    const done = join(tempDir(), 'refused');
    const { standIn } = await klear({
      onRequest: request => {
        if (request.endpoint === 'login') writeFileSync(done, '');
      }
    });
    // The step's own mint goes through; from then on KlearStack refuses the refresh and the login.
    standIn.fault({ kind: 'delay', ms: 0 });
    standIn.faultAlways({ status: 401, body: '{"error": "Incorrect username or password."}' });
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        ...login(standIn),
        'refresh-interval': '1s',
        run: `${untilFile('"$DONE"')}; sleep 4; echo "command done"`
      },
      { env: { DONE: done }, timeoutMs: 40_000 }
    );

    expect(result.exitCode).toBe(0);
    expect(result.log).toContain('command done');
    // Before: a refresh and a login every second (interval) or 30 s, into a service-account lockout.
    expect(standIn.requests.map(request => [request.endpoint, request.status])).toEqual([
      ['refresh', 200],
      ['refresh', 401],
      ['login', 401]
    ]);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^Could not refresh the KlearStack access token: KlearStack rejected the login \(HTTP 401\).* It is tried again every 15 min; the command keeps running\.$/
      )
    ]);
    expect(result.summary).toContain('| Failed refreshes | 1 |');
  }, 50_000);

  it("keeps the action's inputs (the refresh token, the password) out of the command's environment", async () => {
    const { standIn } = await klear();
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      ...login(standIn),
      run: 'echo "inputs=$(env | grep -ci "^INPUT_" || true) token=${KLEAR_ACCESS_TOKEN:+set} file=${KLEAR_ACCESS_TOKEN_FILE:+set}"'
    });

    expect(result.exitCode).toBe(0);
    expect(result.log.split('\n')).toContain('inputs=0 token=set file=set');
  });

  it('runs the command with bash -e -o pipefail by default: a failing stage fails the script there', async () => {
    const { standIn } = await klear();
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      run: 'echo "script $(basename "$0")"\nfalse | true\necho "not reached"'
    });

    expect(result.exitCode).toBe(1);
    expect(result.log).toMatch(/^script script\.sh$/m);
    expect(result.log).not.toContain('not reached');
  });

  it('runs the command with shell: sh (sh -e), as a run: step would', async () => {
    const { standIn } = await klear();
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      shell: 'sh',
      run: 'test -n "$KLEAR_ACCESS_TOKEN" && echo "sh has the token"\nfalse\necho "not reached"'
    });

    expect(result.exitCode).toBe(1);
    expect(result.log.split('\n')).toContain('sh has the token');
    expect(result.log).not.toContain('not reached');
  });

  it('runs the command through a custom template: python3 {0}', async () => {
    const { standIn } = await klear();
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      shell: 'python3 {0}',
      run: [
        'import os, sys',
        'token = open(os.environ["KLEAR_ACCESS_TOKEN_FILE"]).read()',
        'print("python read", "the token" if token == os.environ["KLEAR_ACCESS_TOKEN"] else "something else")',
        'sys.exit(3)'
      ].join('\n')
    });

    expect(result.exitCode).toBe(3);
    expect(result.log.split('\n')).toContain('python read the token');
  });

  it("refuses to start run mode before anything is minted when mkfifo is not on the runner's PATH", async () => {
    const { standIn } = await klear();
    // A PATH with bash on it and nothing else: the shell is found, the pipe maker is not.
    const bin = tempDir();
    symlinkSync(
      execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim(),
      join(bin, 'bash')
    );
    const result = await run(
      standIn,
      { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo never' },
      { env: { PATH: bin } }
    );

    expect(result.exitCode).toBe(1);
    expect(standIn.requests).toEqual([]);
    expect(result.errors).toEqual([
      expect.stringMatching(/^Run mode needs mkfifo \(from coreutils\) on the runner's PATH/)
    ]);
    expect(result.log).not.toContain('never');
  });

  it.each([
    [
      'fish',
      /^Input 'shell' must be bash, sh, pwsh, powershell, python, cmd, or a command with '\{0\}'/
    ],
    [
      'no-such-shell {0}',
      /^Input 'shell' names 'no-such-shell', which is not on this runner's PATH/
    ]
  ])('refuses shell %s before anything is minted', async (shell, error) => {
    const { standIn } = await klear();
    const result = await run(standIn, {
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      shell,
      run: 'echo never'
    });

    expect(result.exitCode).toBe(1);
    expect(standIn.requests).toEqual([]);
    expect(result.errors).toEqual([expect.stringMatching(error)]);
  });

  it("gives the command a run: step's environment: no runtime, cache or results credentials, no STATE_*; id-token and tracking id kept", async () => {
    const { standIn } = await klear();
    const nodeOnly = {
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-value',
      ACTIONS_RUNTIME_URL: 'https://pipelines.invalid/',
      ACTIONS_CACHE_URL: 'https://cache.invalid/',
      ACTIONS_RESULTS_URL: 'https://results.invalid/',
      STATE_saved: 'state-value'
    };
    const runStepToo = {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.invalid/',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token-request-value',
      RUNNER_TRACKING_ID: 'github_0c4c6b8e-7f0e-4a57-9d0c-3c1f8c2b2a11'
    };
    const names = [...Object.keys(nodeOnly), ...Object.keys(runStepToo)];
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        run: names.map(name => `echo "${name}=\${${name}:+set}"`).join('\n')
      },
      { env: { ...nodeOnly, ...runStepToo } }
    );

    expect(result.exitCode).toBe(0);
    const lines = result.log.split('\n');
    for (const name of Object.keys(nodeOnly)) expect(lines).toContain(`${name}=`);
    for (const name of Object.keys(runStepToo)) expect(lines).toContain(`${name}=set`);
  });

  it.each([
    ['missing', (root: string) => join(root, 'gone'), /does not exist/],
    [
      'a file',
      (root: string) => {
        writeFileSync(join(root, 'file'), '');
        return join(root, 'file');
      },
      /is not a directory/
    ]
  ])(
    'refuses a RUNNER_TEMP that is %s before anything is minted, naming it',
    async (_case, make, problem) => {
      const { standIn } = await klear();
      const runnerTemp = make(tempDir());
      const result = await run(
        standIn,
        { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo never' },
        { env: { RUNNER_TEMP: runnerTemp } }
      );

      expect(result.exitCode).toBe(1);
      expect(standIn.requests).toEqual([]);
      expect(result.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^The runner's temporary directory RUNNER_TEMP \\('${escape(runnerTemp)}'\\) ${problem.source}, so run mode has nowhere to keep the token file; nothing was minted\\.`
          )
        )
      ]);
      expect(result.log).not.toContain('never');
    }
  );

  it('checks the disk without writing through a link planted at .klear-token-probe-<its PID>', async () => {
    const runnerTemp = tempDir();
    const target = join(tempDir(), 'precious');
    writeFileSync(target, 'precious');
    const { standIn } = await klear();
    const running = start(
      standIn,
      { 'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }), run: 'echo ran' },
      { env: { RUNNER_TEMP: runnerTemp } }
    );
    // Stopped microseconds after its start, tens of milliseconds before Node has loaded the action,
    // while the link is planted under its PID.
    process.kill(running.pid, 'SIGSTOP');
    const link = join(runnerTemp, `.klear-token-probe-${running.pid}`);
    symlinkSync(target, link);
    process.kill(running.pid, 'SIGCONT');
    const result = await running.result;

    expect(result.exitCode).toBe(0);
    expect(result.log.split('\n')).toContain('ran');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readdirSync(runnerTemp)).toEqual([`.klear-token-probe-${running.pid}`]);
  });

  it('keeps the token file (0600) and the script in a folder of their own under RUNNER_TEMP (0700), removed afterwards', async () => {
    const runnerTemp = tempDir();
    const { standIn } = await klear();
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        run: 'cd "$(dirname "$KLEAR_ACCESS_TOKEN_FILE")" && stat -c "%n %a %F" . token script.sh'
      },
      { env: { RUNNER_TEMP: runnerTemp } }
    );

    expect(result.exitCode).toBe(0);
    expect(result.log.split('\n')).toEqual(
      expect.arrayContaining([
        '. 700 directory',
        'token 600 regular file',
        'script.sh 700 regular file'
      ])
    );
    expect(readdirSync(runnerTemp)).toEqual([]);
  });

  it('runs the command in working-directory', async () => {
    const { standIn } = await klear();
    const workspace = tempDir();
    mkdirSync(join(workspace, 'reports'));
    const result = await run(
      standIn,
      {
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'working-directory': 'reports',
        run: 'echo "cwd=$(pwd)"'
      },
      { cwd: workspace }
    );

    expect(result.exitCode).toBe(0);
    expect(result.log.split('\n')).toContain(`cwd=${join(workspace, 'reports')}`);
  });
});
