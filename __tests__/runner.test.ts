import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  actionInputs,
  runAction,
  RUNTIME_TOKEN,
  startAction,
  takeNodeNoise
} from '../dev/runner.ts';
import type { RunOptions, RunResult } from '../dev/runner.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

type Step = [string, ...unknown[]];

function runSteps(steps: Step[], options: RunOptions = {}): Promise<RunResult> {
  return runAction({
    ...options,
    entry: fixture('steps.mjs'),
    env: { ...options.env, FIXTURE_STEPS: JSON.stringify(steps) }
  });
}

async function childView(
  options: RunOptions = {}
): Promise<{ cwd: string; env: Record<string, string> }> {
  const result = await runAction({ ...options, entry: fixture('print-env.mjs') });
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.rawLines[0]);
}

const SECRET = 'rt-Zq8vK2mN4pL7';
const base64 = (value: string): string => Buffer.from(value).toString('base64');

describe('the runner emulator', () => {
  const parentEnv = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env)) {
      if (!(name in parentEnv)) delete process.env[name];
    }
  });

  it("collects Node's own warning lines, which every test then requires to be none", async () => {
    takeNodeNoise();
    const result = await runSteps([
      ['stderr', '(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated'],
      ['info', 'an ordinary line about node:fs']
    ]);
    expect(result.exitCode).toBe(0);
    expect(takeNodeNoise()).toEqual([
      '(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated'
    ]);
  });

  it('reads the inputs, their defaults and whether they are required from action.yml', () => {
    const inputs = actionInputs();
    expect(inputs['env-name']).toEqual({ default: 'KLEAR_ACCESS_TOKEN', required: false });
    expect(inputs['base-url']).toEqual({ default: '', required: true });
  });

  it('passes every declared input as INPUT_<NAME>, given or defaulted', async () => {
    const { env } = await childView({ inputs: { 'base-url': 'https://api.example.com' } });
    expect(env['INPUT_BASE-URL']).toBe('https://api.example.com');
    expect(env['INPUT_ENV-NAME']).toBe('KLEAR_ACCESS_TOKEN');
    expect(env['INPUT_MAX-ATTEMPTS']).toBe('3');
    expect(env['INPUT_REFRESH-TOKEN']).toBe('');
    const declared = Object.keys(actionInputs()).map(name => `INPUT_${name.toUpperCase()}`);
    const given = Object.keys(env).filter(name => name.startsWith('INPUT_'));
    expect(given.sort()).toEqual(declared.sort());
  });

  it("gives the action the runner's variables, runs it in the workspace and removes the temp dirs", async () => {
    const { cwd, env } = await childView();
    expect(env).toMatchObject({
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_OS: 'Linux',
      GITHUB_REPOSITORY: 'org/repo',
      GITHUB_ACTION: '__self',
      GITHUB_WORKSPACE: cwd
    });
    for (const name of ['RUNNER_TEMP', 'GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY']) {
      expect(env[name]).toMatch(/klear-runner-/);
      expect(existsSync(env[name])).toBe(false);
    }
    expect(existsSync(env.GITHUB_STATE)).toBe(false);
    expect(existsSync(env.GITHUB_PATH)).toBe(false);
  });

  it("does not hand the test process's own environment to the action", async () => {
    process.env['INPUT_REFRESH-TOKEN'] = 'from-the-parent';
    process.env.INPUT_SNEAKY = 'from-the-parent';
    process.env.KLEAR_PARENT_ONLY = 'from-the-parent';
    const { env } = await childView({ env: { https_proxy: 'http://proxy:3128' } });
    expect(env['INPUT_REFRESH-TOKEN']).toBe('');
    expect(env).not.toHaveProperty('INPUT_SNEAKY');
    expect(env).not.toHaveProperty('KLEAR_PARENT_ONLY');
    expect(env.https_proxy).toBe('http://proxy:3128');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('runs in the given working directory and leaves it in place', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'runner-test-'));
    try {
      const view = await childView({ cwd });
      expect(view.cwd).toBe(cwd);
      expect(view.env.GITHUB_WORKSPACE).toBe(cwd);
      expect(existsSync(cwd)).toBe(true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('warns about an input action.yml does not declare, like the runner', async () => {
    const result = await runSteps([], { inputs: { 'base-ulr': 'https://x' } });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^Unexpected input\(s\) 'base-ulr', valid inputs are \['base-url', /)
    ]);
  });

  it('parses outputs, exported variables, state and the summary in both file formats', async () => {
    const result = await runSteps([
      ['setOutput', 'release-version', '7.8.9'],
      ['setOutput', 'multi', 'line one\nline two'],
      ['append', 'GITHUB_OUTPUT', 'expires-at=2030-01-01T00:00:00.000Z\n'],
      ['exportVariable', 'KLEAR_ACCESS_TOKEN_FILE', '/tmp/token'],
      ['append', 'GITHUB_ENV', 'PLAIN=a=b\n'],
      ['saveState', 'pid', 1234],
      ['append', 'GITHUB_STATE', 'started=yes\n'],
      ['summary', '## Token refreshed\n']
    ]);
    expect(result.outputs).toEqual({
      'release-version': '7.8.9',
      multi: 'line one\nline two',
      'expires-at': '2030-01-01T00:00:00.000Z'
    });
    expect(result.exportedEnv).toEqual({ KLEAR_ACCESS_TOKEN_FILE: '/tmp/token', PLAIN: 'a=b' });
    expect(result.state).toEqual({ pid: '1234', started: 'yes' });
    expect(result.summary).toBe('## Token refreshed\n');
    expect(result.errors).toEqual([]);
  });

  it('fails a malformed file command and refuses NODE_OPTIONS, as the runner does', async () => {
    const result = await runSteps([
      ['append', 'GITHUB_OUTPUT', 'token<<EOF\nvalue\n'],
      ['append', 'GITHUB_ENV', 'NODE_OPTIONS=--require ./evil.js\n']
    ]);
    expect(result.errors).toEqual([
      "Unable to process file command 'output' successfully.",
      "Invalid value. Matching delimiter not found 'EOF'",
      "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command."
    ]);
    expect(result.outputs).toEqual({});
    expect(result.exportedEnv).toEqual({});
    // FileCommandManager.cs: a malformed file fails the step, whatever the exit code.
    expect(result.exitCode).toBe(0);
    expect(result.conclusion).toBe('failure');
  });

  it('drops a step summary over 1 MiB with an error (FileCommandManager.cs)', async () => {
    const result = await runSteps([['append', 'GITHUB_STEP_SUMMARY', 'x', 1024 * 1024 + 1]]);
    expect(result.summary).toBe('');
    expect(result.errors).toEqual([expect.stringMatching(/^\$GITHUB_STEP_SUMMARY upload aborted/)]);
  });

  it('masks only the base64 forms the runner registers: padded, at byte offsets 0, 1 and 2 (ValueEncoders.cs)', async () => {
    // 16 bytes: its base64 ends in '==', so the unpadded and base64url forms differ from the mask.
    const secret = 'rt-Zq8vK2mN4pL7?';
    const padded = base64(secret);
    const unpadded = padded.replace(/=+$/, '');
    const url = Buffer.from(secret).toString('base64url');
    const result = await runSteps(
      [
        ['setSecret', secret],
        ['info', `padded ${padded}`],
        ['info', `shifted ${Buffer.from(secret).subarray(1).toString('base64')}`],
        ['info', `unpadded ${unpadded}`],
        ['info', `url ${url}`]
      ],
      { secrets: [secret] }
    );
    expect(unpadded).not.toBe(padded);
    expect(result.log.split('\n')).toEqual([
      'padded ***',
      'shifted ***',
      `unpadded ${unpadded}`,
      `url ${url}`
    ]);
    expect(result.leaks.map(leak => leak.line)).toEqual([4, 5]);
  });

  it('takes :: as a command only at the start of a line: a mask glued to unfinished output is text (ActionCommand.cs)', async () => {
    const result = await runSteps(
      [
        ['raw', 'working....'],
        ['setSecret', SECRET],
        ['info', `token ${SECRET}`]
      ],
      { secrets: [SECRET] }
    );
    expect(result.masks).toEqual([]);
    expect(result.log.split('\n')).toEqual([`working....::add-mask::${SECRET}`, `token ${SECRET}`]);
    expect(result.leaks.map(leak => leak.line)).toEqual([1, 2]);
  });

  it('turns every command off after ::stop-commands:: until its token comes back, masking the token (ActionCommandManager.cs)', async () => {
    const result = await runSteps(
      [
        ['info', '::stop-commands::pause-7f3a'],
        ['setSecret', SECRET],
        ['warning', 'not a warning'],
        ['info', `token ${SECRET}`],
        ['info', '::pause-7f3a::'],
        ['setSecret', SECRET],
        ['info', `token ${SECRET}`]
      ],
      { secrets: [SECRET] }
    );
    expect(result.masks).toEqual([SECRET]);
    expect(result.warnings).toEqual([]);
    expect(result.log.split('\n')).toEqual([
      '::stop-commands::***',
      `::add-mask::${SECRET}`,
      '::warning::not a warning',
      `token ${SECRET}`,
      '::***::',
      'token ***'
    ]);
    expect(result.leaks.map(leak => leak.line)).toEqual([2, 4]);
  });

  it('fails the step on a stop-commands token that names a command (ActionCommandManager.cs)', async () => {
    const result = await runSteps([['info', '::stop-commands::add-mask']]);
    expect(result.conclusion).toBe('failure');
  });

  it("handles a batch's stderr lines before its stdout lines (ProcessInvoker.cs)", async () => {
    const result = await runSteps(
      [
        ['setSecret', SECRET],
        ['stderr', `token ${SECRET}`]
      ],
      { secrets: [SECRET], batchMs: 200 }
    );
    // Written after its mask, logged before it: the runner shows the token.
    expect(result.rawLines).toEqual([`token ${SECRET}`, `::add-mask::${SECRET}`]);
    expect(result.leaks.map(leak => leak.line)).toEqual([1]);
  });

  it('gives a node action the runtime and cache credentials and a RUNNER_TRACKING_ID (NodeScriptActionHandler.cs)', async () => {
    const { env } = await childView();
    expect(env.ACTIONS_RUNTIME_TOKEN).toBe(RUNTIME_TOKEN);
    for (const name of ['ACTIONS_RUNTIME_URL', 'ACTIONS_CACHE_URL', 'ACTIONS_RESULTS_URL']) {
      expect(env[name]).toMatch(/^https:\/\//);
    }
    expect(env.RUNNER_TRACKING_ID).toMatch(/^github_[0-9a-f-]{36}$/);
  });

  it('masks a secret registered before it is printed, and reports no leak', async () => {
    const result = await runSteps(
      [
        ['setSecret', SECRET],
        ['info', `refreshing with ${SECRET}`]
      ],
      { inputs: { 'refresh-token': SECRET } }
    );
    expect(result.masks).toEqual([SECRET]);
    expect(result.log).toBe('refreshing with ***');
    expect(result.leaks).toEqual([]);
  });

  it('reports a secret printed before its mask, without revealing it', async () => {
    const result = await runSteps(
      [
        ['info', 'starting'],
        ['info', `token=${SECRET}`],
        ['setSecret', SECRET],
        ['info', `token=${SECRET}`]
      ],
      { inputs: { 'refresh-token': SECRET } }
    );
    expect(result.log).toBe(`starting\ntoken=${SECRET}\ntoken=***`);
    expect(result.leaks).toHaveLength(1);
    expect(result.leaks[0]).toMatchObject({
      line: 2,
      secret: expect.stringContaining(`input refresh-token (rt-…, ${SECRET.length} chars)`),
      text: 'token=[REDACTED input refresh-token]'
    });
    expect(JSON.stringify(result.leaks)).not.toContain(SECRET);
    expect(JSON.stringify(result.leaks)).not.toContain(SECRET.slice(4));
  });

  it('masks the base64, URI and JSON forms of a secret, and reports them as leaks when early', async () => {
    // 15 bytes: base64 without padding, which the runner leaves unmasked.
    const secret = 'p@ss "word"/+12';
    const forms = [base64(secret), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
    const result = await runSteps(
      [
        ['info', `basic ${base64(secret)}`],
        ['setSecret', secret],
        ...forms.map((form): Step => ['info', `form ${form}`])
      ],
      { secrets: [secret] }
    );
    expect(result.rawLines.slice(2)).toEqual(forms.map(form => `form ${form}`));
    expect(result.log.split('\n').slice(1)).toEqual(['form ***', 'form ***', 'form ***']);
    expect(result.leaks).toEqual([
      {
        line: 1,
        secret: expect.stringMatching(/^secrets\[0\] .* as base64$/),
        text: 'basic [REDACTED secrets[0] as base64]'
      }
    ]);
  });

  it('registers each line of a multi-line mask and unescapes what setSecret escaped', async () => {
    const secret = 'first-line 100%\r\nsecond-line';
    const result = await runSteps([
      ['setSecret', secret],
      ['info', 'second-line alone'],
      ['info', 'first-line 100% alone']
    ]);
    expect(result.rawLines[0]).toBe('::add-mask::first-line 100%25%0D%0Asecond-line');
    expect(result.masks).toEqual([secret]);
    expect(result.log).toBe('*** alone\n*** alone');
  });

  it('merges overlapping and adjacent masked values into one ***', async () => {
    const result = await runSteps([
      ['setSecret', 'abcdef'],
      ['setSecret', 'defghi'],
      ['info', 'x abcdefghi abcdefabcdef y']
    ]);
    expect(result.log).toBe('x *** *** y');
  });

  it('shows ::debug:: lines only when RUNNER_DEBUG=1, but always collects them', async () => {
    const steps: Step[] = [
      ['setSecret', SECRET],
      ['debug', `posting ${SECRET}`],
      ['info', 'done']
    ];
    const quiet = await runSteps(steps);
    const verbose = await runSteps(steps, { env: { RUNNER_DEBUG: '1' } });
    expect(quiet.debug).toEqual(['posting ***']);
    expect(quiet.log).toBe('done');
    expect(verbose.debug).toEqual(['posting ***']);
    expect(verbose.log).toBe('##[debug]posting ***\ndone');
  });

  it('collects errors, warnings and notices with properties, masked', async () => {
    const result = await runSteps([
      ['setSecret', SECRET],
      ['error', `token ${SECRET} rejected`, { title: 'KlearStack', file: 'a.ts', startLine: 3 }],
      ['warning', 'retrying: 50%\nof attempts left'],
      ['notice', 'expires at noon']
    ]);
    expect(result.rawLines[1]).toMatch(/^::error title=KlearStack,file=a\.ts,line=3::/);
    expect(result.errors).toEqual(['token *** rejected']);
    expect(result.warnings).toEqual(['retrying: 50%\nof attempts left']);
    expect(result.notices).toEqual(['expires at noon']);
    expect(result.log).toBe(
      '##[error]token *** rejected\n##[warning]retrying: 50%\nof attempts left\n##[notice]expires at noon'
    );
  });

  it('treats outputs and exported *TOKEN variables as secrets, and looks at stderr too', async () => {
    const access = 'eyJhbGciOiJIUzI1NiJ9.access';
    const exported = 'eyJhbGciOiJIUzI1NiJ9.exported';
    const result = await runSteps([
      ['stderr', `got ${access}`],
      ['info', `exporting ${exported}`],
      ['info', 'region eu-central-1'],
      ['setOutput', 'access-token', access],
      ['exportVariable', 'KLEAR_ACCESS_TOKEN', exported],
      ['exportVariable', 'KLEAR_REGION', 'eu-central-1']
    ]);
    const lineOf = (text: string): number => result.rawLines.indexOf(text) + 1;
    expect(result.leaks).toHaveLength(2);
    expect(result.leaks).toEqual(
      expect.arrayContaining([
        {
          line: lineOf(`got ${access}`),
          secret: expect.stringMatching(/^output access-token /),
          text: 'got [REDACTED output access-token]'
        },
        {
          line: lineOf(`exporting ${exported}`),
          secret: expect.stringMatching(/^env KLEAR_ACCESS_TOKEN /),
          text: 'exporting [REDACTED env KLEAR_ACCESS_TOKEN]'
        }
      ])
    );
  });

  it('does not report a secret that was never masked but never printed either', async () => {
    const result = await runSteps([['info', 'nothing secret here']], {
      inputs: { 'refresh-token': SECRET, password: 'hunter22' },
      secrets: ['never-printed']
    });
    expect(result.leaks).toEqual([]);
  });

  it('passes the exit code through', async () => {
    const failed = await runSteps([['setFailed', 'no token']]);
    expect(failed).toMatchObject({ exitCode: 1, signal: null, timedOut: false });
    expect(failed.errors).toEqual(['no token']);
    expect((await runSteps([['exit', 3]])).exitCode).toBe(3);
  });

  it('kills a hanging action and what it started after timeoutMs', async () => {
    const result = await runAction({ entry: fixture('hang.mjs'), timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(result.rawLines).toEqual(['hanging']);
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('finishes when the action exits, killing what it left holding the output open', async () => {
    const result = await runAction({ entry: fixture('orphan.mjs'), timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.log).toBe('leaving\nCleaning up orphan processes');
  });

  it('delivers a signal sent with kill()', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'runner-test-'));
    try {
      const running = startAction({ entry: fixture('trap-term.mjs'), cwd });
      expect(running.pid).toBeGreaterThan(0);
      while (!existsSync(join(cwd, 'ready'))) await sleep(10);
      running.kill('SIGTERM');
      const result = await running.result;
      expect(result).toMatchObject({ exitCode: 143, signal: null, timedOut: false });
      expect(result.rawLines).toEqual(['received SIGTERM']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('cancels as the runner does: SIGINT, then SIGTERM after 7.5 s (ProcessInvoker.cs)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'runner-test-'));
    try {
      const running = startAction({ entry: fixture('ignore-int.mjs'), cwd, timeoutMs: 20_000 });
      while (!existsSync(join(cwd, 'ready'))) await sleep(10);
      const started = performance.now();
      await running.cancel();
      const waited = performance.now() - started;
      const result = await running.result;
      expect(result.rawLines).toEqual(['received SIGINT', 'received SIGTERM']);
      expect(result.exitCode).toBe(143);
      expect(waited).toBeGreaterThanOrEqual(7400);
      expect(waited).toBeLessThan(9500);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 20_000);

  it('sweeps what outlived the action by RUNNER_TRACKING_ID, even outside its process group, and not what dropped it (JobExtension.cs)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'runner-test-'));
    try {
      const result = await runAction({ entry: fixture('escape.mjs'), cwd, timeoutMs: 10_000 });
      expect(result.survivors).toEqual([expect.stringMatching(/^\d+ .*kept-tracking-id/)]);
      expect(result.log).toContain('Cleaning up orphan processes');
      const dropped = Number(readFileSync(join(cwd, 'dropped.pid'), 'utf8'));
      // Not found by the sweep: still running, as it would be on a real runner.
      expect(() => process.kill(dropped, 0)).not.toThrow();
      process.kill(dropped, 'SIGKILL');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("prints the step's with: values first, masked by the job's secrets only (Handler.cs)", async () => {
    const asSecret = await runSteps([['info', 'done']], { inputs: { 'refresh-token': SECRET } });
    expect(asSecret.details).toEqual(
      expect.arrayContaining(['##[group]Run ./', 'with:', '  refresh-token: ***', '##[endgroup]'])
    );
    expect(asSecret.leaks).toEqual([]);
    const plain = await runSteps([['info', 'done']], {
      inputs: { 'refresh-token': SECRET },
      plainInputs: ['refresh-token']
    });
    expect(plain.details).toContain(`  refresh-token: ${SECRET}`);
    expect(plain.leaks).toEqual([
      expect.objectContaining({ line: 0, text: '  refresh-token: [REDACTED input refresh-token]' })
    ]);
  });

  it('says how to build the action when the entry is missing', () => {
    expect(() => startAction({ entry: fixture('missing.mjs') })).toThrow(/npm run bundle/);
  });
});
