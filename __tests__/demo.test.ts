// `npm run demo` as a newcomer runs it: a child process, no KLEAR_* variables (the stand-in story),
// with them (one run against "your" server, here a stand-in), and without a bundle.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { startStandIn } from '../dev/stand-in.ts';
import { untilTokenFileChanges } from './helpers/awaited.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Demo {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dev/demo.ts under `root` with the caller's environment minus anything KLEAR_* or NODE_*. */
async function runDemo(
  env: Record<string, string> = {},
  root = repoRoot,
  args: string[] = []
): Promise<Demo> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('KLEAR_') && !name.startsWith('NODE_')
    )
  );
  const child = spawn(process.execPath, [join(root, 'dev', 'demo.ts'), ...args], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('npm run demo', () => {
  it('tells the stand-in story: a token, then an expired bearer where a valid one is needed, with no token shown', async () => {
    const demo = await runDemo();

    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    const run1 = demo.stdout.indexOf('=== Run 1: refresh a token');
    const run2 = demo.stdout.indexOf('=== Run 2:');
    expect(run1).toBeGreaterThanOrEqual(0);
    expect(run2).toBeGreaterThan(run1);
    const [first, second] = [demo.stdout.slice(run1, run2), demo.stdout.slice(run2)];

    expect(first).toContain('--- Step log, as the runner displays it ---');
    expect(first).toContain('Got a KlearStack access token by refresh');
    expect(first).toContain('  access-token: ***\n');
    expect(first).toContain('  release-version: 7.8.9\n');
    expect(first).toMatch(/ {2}expires-at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z\n/);
    expect(first).toContain(
      '--- Environment variables exported to later steps (values hidden) ---\n  KLEAR_ACCESS_TOKEN\n'
    );
    expect(first).toContain('exit code 0: the step succeeded');

    expect(second).toContain('--- Error message ---');
    expect(second).toContain(
      "The access token sent as the bearer has expired or is invalid, and KlearStack's refresh endpoint requires a valid one (HTTP 401 without it), so only a login can get a new token."
    );
    expect(second).toContain('exit code 1: the step failed');
    expect(second).not.toContain('access-token: ***');

    expect(demo.stdout).not.toContain('eyJ');
    expect(demo.stdout).not.toContain('WARNING: secrets reached the log');
  });

  it("runs once against the server in KLEAR_BASE_URL and exits with the action's exit code", async () => {
    const server = await startStandIn();
    try {
      const env = {
        KLEAR_BASE_URL: server.url,
        KLEAR_REFRESH_TOKEN: server.mintRefreshToken(),
        KLEAR_COMPANY_NAME: server.companyName,
        KLEAR_ACCESS_TOKEN: server.mintAccessToken()
      };
      const ok = await runDemo(env);
      const refused = await runDemo({ ...env, KLEAR_COMPANY_NAME: 'not-the-company' });

      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`=== Refresh a token at ${new URL(server.url).host} ===`);
      expect(ok.stdout).toContain('  access-token: ***\n');
      expect(ok.stdout).not.toContain('Run 2');
      expect(server.requests[0].bearer).toBe(env.KLEAR_ACCESS_TOKEN);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('KlearStack rejected the request (HTTP 401)');
      expect(refused.stdout).not.toContain('not-the-company');
      for (const output of [ok.stdout, refused.stdout]) expect(output).not.toContain('eyJ');
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("--run runs the command in run mode: the token as ***, refreshed while it runs, the command's exit code", async () => {
    // Done once a refresh has reached the token file (the demo refreshes every 2 s), not after 3 s.
    const demo = await runDemo({}, repoRoot, [
      '--run',
      `echo "$KLEAR_ACCESS_TOKEN"\n${untilTokenFileChanges(20)}\necho done`
    ]);
    const failing = await runDemo({}, repoRoot, [
      '--run',
      'cat "$KLEAR_ACCESS_TOKEN_FILE"; echo; exit 3'
    ]);

    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('=== Run mode: your command, with the token kept fresh');
    const log = demo.stdout.slice(
      demo.stdout.indexOf('--- Step log, as the runner displays it ---')
    );
    expect(log).toMatch(/\n {2}\*\*\*\n(.*\n)* {2}done\n/);
    expect(log).toContain('Refreshed the KlearStack access token');
    const refreshes = /the first token and (\d+) refresh(?:es)? while the command ran/.exec(
      demo.stdout
    );
    expect(Number(refreshes?.[1])).toBeGreaterThanOrEqual(1);
    expect(demo.stdout).toContain('exit code 0: the step succeeded');
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(/\n {2}\*\*\*\n/);
    for (const output of [demo.stdout, failing.stdout]) {
      expect(output).not.toContain('eyJ');
      expect(output).not.toContain('WARNING: secrets reached the log');
    }
  });

  it("--job runs a job with keep-fresh: job: every step's token as ***, the post step's count, no token", async () => {
    const demo = await runDemo({}, repoRoot, ['--job']);

    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    const steps = demo.stdout.split(/\n=== /).slice(1);
    expect(steps.map(step => step.slice(0, step.indexOf(':')))).toEqual([
      'A whole job with keep-fresh',
      'Step 1',
      'Step 2',
      'Step 3',
      'Step 4',
      'Step 5',
      'After the last step',
      'The job succeeded ==='
    ]);
    const [, , afterDeath, exec, env, fromEnv, post] = steps;
    // The first token died: one mint for two calls, which gave the same token.
    expect(afterDeath).toContain('The second call gave the same token as the first.');
    expect(afterDeath).toContain('\n  token: ***\n');
    expect(afterDeath).toContain('KlearStack stand-in: 1 token request during this step.');
    expect(exec).toContain('\n  the command got ***\n');
    expect(env).toContain('the following steps have a fresh KlearStack access token');
    expect(fromEnv).toContain('\n  KLEAR_ACCESS_TOKEN is ***\n');
    expect(fromEnv).toContain('KlearStack API answered HTTP 200');
    // Every token the stand-in issued, step 1's and step 2's at least, as the demo counted them.
    const requests = [...demo.stdout.matchAll(/stand-in: (\d+) token requests? during this step/g)];
    const minted = requests.reduce((sum, [, count]) => sum + Number(count), 0);
    expect(minted).toBeGreaterThanOrEqual(2);
    expect(post).toContain(
      `Removed the klear-token job folder. This job minted ${minted} KlearStack access tokens.`
    );
    expect(demo.stdout).not.toContain('eyJ');
    expect(demo.stdout).not.toContain('WARNING: secrets reached the log');
  }, 60_000);

  it('refuses to guess when only some KLEAR_* variables are set', async () => {
    const demo = await runDemo({ KLEAR_BASE_URL: 'https://api.example-tenant.com' });

    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('KLEAR_REFRESH_TOKEN and KLEAR_COMPANY_NAME are missing');
    expect(demo.stdout).toBe('');
  });

  it('says to run npm run bundle when dist/index.js is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'klear-demo-'));
    try {
      mkdirSync(join(root, 'dev'));
      mkdirSync(join(root, 'src/run'), { recursive: true });
      const files = ['dev/demo.ts', 'dev/job.ts', 'dev/runner.ts', 'dev/stand-in.ts', 'action.yml'];
      // The emulator reads output through the runner's reading, which src/ holds.
      for (const file of [...files, 'src/run/runner-reading.ts']) {
        copyFileSync(join(repoRoot, file), join(root, file));
      }
      copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
      symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
      const demo = await runDemo({}, root);

      expect(demo.code).toBe(1);
      expect(demo.stderr).toContain('is missing. Build it first with: npm run bundle');
      expect(demo.stdout).toBe('');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
