// keep-fresh: job end to end: the bundled action and its `klear-token` command in a whole job
// (dev/job.ts) against the KlearStack stand-in, whose tokens live 20 seconds, in a job longer
// than a minute. The stand-in's API answers 200 only to a living token: each step checks with curl.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runJob, type JobResult, type StepRecord } from '../dev/job.ts';
import { missingPackages, startKlearStack } from '../dev/klearstack.ts';
import { API_PATH, decodeJwtPayload, startStandIn, type StandIn } from '../dev/stand-in.ts';
import { untilFile, untilTokenFileChanges } from './helpers/awaited.ts';
import { describeWithPackages } from './helpers/needs.ts';

const LIFE_SECONDS = 20;

/** Fails the step unless the token in $`variable` is alive by the API at `path` (the stand-in's by default). */
const alive = (variable: string, path = API_PATH) =>
  `curl -fsS -o /dev/null -H "Authorization: Bearer $${variable}" "$KLEAR_BASE_URL${path}"`;

/** After the first token has died: two calls, one token, alive. */
const afterTheFirstDied = (path = API_PATH) => ({
  name: 'after the first died',
  timeoutMs: 40_000,
  run: `sleep ${LIFE_SECONDS + 1}
first=$(klear-token)
second=$(klear-token)
test "$first" = "$second"
${alive('first', path)}
echo "token: $first"`
});

/**
 * Once the token is short of life: eight calls at once, one token, alive. Every call must find the
 * token past the life it guarantees (15 s of 20) before one mints. A step starved of CPU as it read
 * its answer counts that life from a later arrival, so the wait leaves 4 s beyond it (the eight-call
 * step failed under heavy load with 16 s); a token dead by then is replaced the same way.
 */
const eightAtOnce = (path = API_PATH) => ({
  name: 'parallel',
  timeoutMs: 40_000,
  run: `sleep 19
for i in 1 2 3 4 5 6 7 8; do klear-token >"$RUNNER_TEMP/parallel-$i" & done
wait
test "$(cat "$RUNNER_TEMP"/parallel-* | sort -u | wc -l)" = 1
token=$(cat "$RUNNER_TEMP/parallel-1")
${alive('token', path)}
rm "$RUNNER_TEMP"/parallel-*`
});

function step(job: JobResult, name: string): StepRecord {
  const found = job.steps.find(record => record.name === name);
  if (!found?.result) throw new Error(`No step ${name} ran.`);
  return found;
}

/** A step's name and conclusion; one that did not succeed brings its log and errors, to say why. */
function outcome(record: StepRecord): string {
  const { conclusion, log, errors } = record.result ?? {};
  return `${record.name} ${conclusion}${conclusion === 'success' ? '' : `\n${log}\n${errors?.join('\n')}`}`;
}

function logOf(job: JobResult, name: string): string[] {
  return (step(job, name).result?.log ?? '').split('\n');
}

describe('keep-fresh: job', () => {
  it('keeps a token fresh for every later step, through klear-token, env and exec, and leaves nothing behind', async () => {
    const issued: string[] = [];
    const klear = await startStandIn({
      accessTtlSeconds: LIFE_SECONDS,
      onRequest: request => {
        for (const token of [request.issuedAccessToken, request.issuedRefreshToken]) {
          if (token) issued.push(token);
        }
      }
    });
    const mintsIn: Record<string, number> = {};
    const tokenRequests = () => klear.requests.filter(request => request.endpoint !== 'api');
    // Written once the stand-in holds the killed holder's request: the moment to kill it.
    const probe = mkdtempSync(join(tmpdir(), 'klear-job-'));
    const held = join(probe, 'held');
    let watching: NodeJS.Timeout | undefined;
    try {
      let before = 0;
      const job = await runJob({
        env: { KLEAR_BASE_URL: klear.url, HELD: held },
        watch: issued,
        onStep: record => {
          mintsIn[record.name] = tokenRequests().length - before;
          before = tokenRequests().length;
          // The next step's first mint hangs, so that it can be killed while holding the lock.
          if (record.name === 'parallel') {
            klear.fault({ kind: 'hang' });
            const arrived = tokenRequests().length;
            watching = setInterval(() => {
              if (tokenRequests().length === arrived) return;
              clearInterval(watching);
              writeFileSync(held, '');
            }, 20);
          }
        },
        steps: [
          {
            name: 'mint',
            uses: 'action',
            with: inputs(klear, { 'keep-fresh': 'job', 'timeout-seconds': '30' })
          },
          afterTheFirstDied(),
          {
            name: 'exec',
            timeoutMs: 45_000,
            // The token is refreshed within three quarters of its life: the file changes while the
            // token it held still works (the wait ends at the change, or 30 s on, past its death).
            run: `klear-token exec -- sh -c '
echo "exec got $KLEAR_ACCESS_TOKEN"
${untilTokenFileChanges()}
test "$(cat "$KLEAR_ACCESS_TOKEN_FILE")" != "$KLEAR_ACCESS_TOKEN" && ${alive('KLEAR_ACCESS_TOKEN')} && echo refreshed'`
          },
          { name: 'env', run: 'klear-token env' },
          {
            name: 'from env',
            run: `${alive('KLEAR_ACCESS_TOKEN')}\necho "env: $KLEAR_ACCESS_TOKEN"`
          },
          eightAtOnce(),
          {
            name: 'killed holder',
            timeoutMs: 40_000,
            run: `sleep 16
klear-token >/dev/null &
holder=$!
until ls "$RUNNER_TEMP"/klear-token-job-*/lock-* >/dev/null 2>&1; do sleep 0.05; done
# Killed once the stand-in holds its request unanswered, however long a loaded machine takes to send it.
${untilFile('"$HELD"')}
kill -9 "$holder"
token=$(klear-token)
${alive('token')}
echo "after the killed holder: ok"`
          },
          {
            name: 'sh',
            shell: 'sh',
            run: `token=$(klear-token)\n${alive('token')}\necho "sh: ok"`
          },
          {
            name: 'python',
            shell: 'python',
            run: [
              'import subprocess',
              "token = subprocess.run(['klear-token'], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()",
              "print('python: ok' if token.count('.') == 2 else 'python: no token')"
            ].join('\n')
          }
        ]
      });

      expect(job.steps.map(record => `${record.stage} ${record.name}`)).toEqual([
        'main mint',
        'run after the first died',
        'run exec',
        'run env',
        'run from env',
        'run parallel',
        'run killed holder',
        'run sh',
        'run python',
        'post Post mint'
      ]);
      expect(job.steps.map(outcome)).toEqual(job.steps.map(record => `${record.name} success`));
      expect(job.steps).toHaveLength(10);

      // Step 2: two calls, one mint, masked before it was printed.
      expect(mintsIn['after the first died']).toBe(1);
      const second = step(job, 'after the first died').result;
      const minted = issued.find(token => second?.rawLines.some(line => line.includes(token)));
      expect(minted).toBeDefined();
      const first = second?.rawLines.findIndex(line => line.includes(minted as string));
      expect(second?.rawLines[first as number]).toBe(`::add-mask::${minted}`);
      expect(logOf(job, 'after the first died')).toContain('token: ***');

      expect(logOf(job, 'exec')).toEqual(expect.arrayContaining(['exec got ***', 'refreshed']));
      expect(logOf(job, 'from env')).toContain('env: ***');
      expect(mintsIn.parallel).toBe(1);
      // The killed holder's request, and the next call's.
      expect(mintsIn['killed holder']).toBe(2);
      expect(logOf(job, 'killed holder')).toContain('after the killed holder: ok');
      expect(logOf(job, 'sh')).toContain('sh: ok');
      expect(logOf(job, 'python')).toContain('python: ok');

      const mintedInAll = tokenRequests().filter(request => request.status === 200).length;
      expect(logOf(job, 'Post mint')).toContain(
        `Removed the klear-token job folder. This job minted ${mintedInAll} KlearStack access tokens.`
      );
      expect(job.tempLeft.filter(name => name.startsWith('klear-token'))).toEqual([]);
      expect(job.leaks).toEqual([]);
      for (const token of issued) expect(job.log).not.toContain(token);
    } finally {
      clearInterval(watching);
      rmSync(probe, { recursive: true, force: true });
      await klear.close();
    }
  }, 180_000);

  it('exec runs its argv as given, without a shell, and the step gets its exit code; run mode and keep-fresh go together', async () => {
    const klear = await startStandIn();
    try {
      const job = await runJob({
        steps: [
          {
            name: 'mint in run mode',
            uses: 'action',
            with: inputs(klear, { 'keep-fresh': 'job', run: 'echo "run mode ran"' })
          },
          {
            name: 'argv',
            run: `klear-token exec -- printf '%s|' 'a b' '$HOME' "*"\necho`
          },
          {
            name: 'exit code',
            run: `set +e\nklear-token exec sh -c 'exit 7'\necho "exit $?"`
          },
          { name: 'no command', run: 'klear-token exec -- || echo "exit $?"' }
        ]
      });
      expect(logOf(job, 'mint in run mode')).toContain('run mode ran');
      expect(logOf(job, 'argv')).toContain('a b|$HOME|*|');
      expect(logOf(job, 'exit code')).toContain('exit 7');
      expect(step(job, 'no command').result?.errors).toEqual([
        expect.stringMatching(/^klear-token: klear-token exec needs a command\./)
      ]);
      expect(logOf(job, 'no command')).toContain('exit 1');
      // The step's token, then none: exec took the folder's, fresh.
      expect(klear.requests.filter(request => request.endpoint !== 'api')).toHaveLength(1);
    } finally {
      await klear.close();
    }
  });

  it('without it, the post step does nothing and prints nothing, and no klear-token is on the PATH', async () => {
    const klear = await startStandIn();
    try {
      const job = await runJob({
        steps: [
          { name: 'mint', uses: 'action', with: inputs(klear, {}) },
          { name: 'look', run: 'command -v klear-token || echo "no klear-token"' }
        ]
      });
      expect(job.conclusion).toBe('success');
      expect(logOf(job, 'look')).toEqual(['no klear-token']);
      expect(step(job, 'Post mint').result?.rawLines).toEqual([]);
    } finally {
      await klear.close();
    }
  });

  it('after a main step that failed early, the post step adds no error of its own', async () => {
    const job = await runJob({
      steps: [
        {
          name: 'mint',
          uses: 'action',
          with: { 'base-url': 'http://127.0.0.1:9', 'company-name': 'acme', 'keep-fresh': 'job' }
        }
      ]
    });
    expect(step(job, 'mint').result?.errors).toEqual([expect.stringMatching(/^No credentials/)]);
    expect(step(job, 'Post mint').result?.rawLines).toEqual([]);
  });

  it('fails in one sentence, exit code 1 and no secret: KlearStack refusing, and a damaged folder', async () => {
    const issued: string[] = [];
    // 24-second tokens: 5 s before its death (by its exp, not by when a loaded machine starts the
    // step) the newest has less than a quarter of its life left, and lives.
    const klear = await startStandIn({
      accessTtlSeconds: 24,
      onRequest: request => {
        if (request.issuedAccessToken) issued.push(request.issuedAccessToken);
      }
    });
    const probe = mkdtempSync(join(tmpdir(), 'klear-job-'));
    const short = join(probe, 'short');
    let shortening: NodeJS.Timeout | undefined;
    try {
      const job = await runJob({
        env: { SHORT: short },
        watch: issued,
        onStep: record => {
          if (record.name === 'mint') {
            klear.faultAlways({ status: 503 });
            const diesAt = (decodeJwtPayload(issued[0]).exp as number) * 1000;
            shortening = setTimeout(() => writeFileSync(short, ''), diesAt - 5000 - Date.now());
          }
          if (record.name === 'outage, token alive') klear.faultAlways({ status: 401 });
        },
        steps: [
          { name: 'mint', uses: 'action', with: inputs(klear, { 'keep-fresh': 'job' }) },
          {
            name: 'outage, token alive',
            run: `${untilFile('"$SHORT"')}\ntoken=$(klear-token)\necho "got \${#token} characters"`
          },
          {
            name: 'refused, token dead',
            // Past the 10 s in which the failure above answers for KlearStack.
            run: 'sleep 11\nif klear-token; then echo "no failure"; else echo "exit $?"; fi'
          },
          {
            // What remains when something deletes the folder's files but not the command itself.
            name: 'folder damaged',
            run: 'rm "$RUNNER_TEMP"/klear-token-job-*/*.json\nklear-token env || echo "exit $?"'
          }
        ]
      });

      const outage = step(job, 'outage, token alive').result;
      expect(outage?.warnings).toEqual([
        expect.stringMatching(
          /^klear-token: Could not get a new KlearStack access token: .*503.* Gave the current one, which has \d+ s left; the next call tries again\.$/
        )
      ]);
      expect(outage?.log).toMatch(/^got \d{3} characters$/m);
      const refused = step(job, 'refused, token dead').result;
      expect(refused?.errors).toEqual([expect.stringMatching(/^klear-token: .*401/)]);
      expect(refused?.log).toMatch(/^exit 1$/m);
      const damaged = step(job, 'folder damaged').result;
      expect(damaged?.errors).toEqual([
        expect.stringMatching(
          /^klear-token: The job folder of the KlearStack step \('.*'\) has no readable settings\.json \(ENOENT\): the folder is damaged or was changed\. Run the KlearStack step again with keep-fresh: job\.$/
        )
      ]);
      expect(damaged?.log).toMatch(/^exit 1$/m);
      expect(job.leaks).toEqual([]);
    } finally {
      clearTimeout(shortening);
      rmSync(probe, { recursive: true, force: true });
      await klear.close();
    }
  }, 90_000);
});

function inputs(klear: StandIn, extra: Record<string, string>): Record<string, string> {
  return {
    'base-url': klear.url,
    'company-name': klear.companyName,
    'refresh-token': klear.mintRefreshToken({ expiresIn: 2 * 86400 }),
    'max-attempts': '1',
    ...extra
  };
}

// The reference KlearStack (Django, DRF, SimpleJWT under gunicorn): skipped where its Debian
// packages are missing, and named at the end of `npm test` (__tests__/helpers/needs.ts).
describeWithPackages(missingPackages())('keep-fresh: job against the reference KlearStack', () => {
  it('keeps a 20-second token fresh through klear-token, env and exec, minting once for eight callers', async () => {
    const klear = await startKlearStack({ accessLifetime: LIFE_SECONDS });
    const ping = '/api/v1/ping';
    const refreshes = () =>
      klear.requests().filter(request => request.path.endsWith('getaccesstokenfromrefreshtoken'));
    try {
      const [refreshToken] = await klear.mint([{ kind: 'refresh' }]);
      const issued: string[] = [];
      const mintsIn: Record<string, number> = {};
      let before = 0;
      const job = await runJob({
        env: { KLEAR_BASE_URL: klear.url },
        secrets: [refreshToken, klear.user.password],
        watch: issued,
        onStep: record => {
          mintsIn[record.name] = refreshes().length - before;
          before = refreshes().length;
          // Every token a step printed to the runner is one the job's log must not show.
          for (const line of record.result?.rawLines ?? []) {
            const mask = /^::add-mask::(.+)$/.exec(line);
            if (mask) issued.push(mask[1]);
          }
        },
        steps: [
          {
            name: 'mint',
            uses: 'action',
            with: {
              'base-url': klear.url,
              'company-name': klear.user.company,
              'refresh-token': refreshToken,
              'keep-fresh': 'job'
            }
          },
          afterTheFirstDied(ping),
          {
            name: 'exec',
            run: `klear-token exec -- sh -c 'curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$KLEAR_ACCESS_TOKEN_FILE")" "$KLEAR_BASE_URL${ping}"; echo "exec got $KLEAR_ACCESS_TOKEN"'`
          },
          { name: 'env', run: 'klear-token env' },
          {
            name: 'from env',
            run: alive('KLEAR_ACCESS_TOKEN', ping)
          },
          eightAtOnce(ping)
        ]
      });

      expect(job.steps.map(outcome)).toEqual([
        'mint success',
        'after the first died success',
        'exec success',
        'env success',
        'from env success',
        'parallel success',
        'Post mint success'
      ]);
      expect(mintsIn['after the first died']).toBe(1);
      expect(logOf(job, 'after the first died')).toContain('token: ***');
      expect(logOf(job, 'exec')).toContain('exec got ***');
      expect(mintsIn.parallel).toBe(1);
      expect(job.tempLeft.filter(name => name.startsWith('klear-token'))).toEqual([]);
      expect(issued.length).toBeGreaterThanOrEqual(3);
      expect(job.leaks).toEqual([]);
      for (const token of issued) expect(job.log).not.toContain(token);
    } finally {
      await klear.close();
    }
  }, 120_000);
});
