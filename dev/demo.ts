// `npm run demo`: the bundled action run as the GitHub runner runs it, printed as a workflow author
// would see it. Against the built-in KlearStack stand-in: one run that gets a token, then one whose
// refresh fails. With KLEAR_BASE_URL, KLEAR_REFRESH_TOKEN and KLEAR_COMPANY_NAME set (and optionally
// KLEAR_ACCESS_TOKEN): one run against that server, exiting with the action's exit code.
// `npm run demo -- --run 'COMMAND'`: run mode against the stand-in, with 30-second tokens and a
// 2-second refresh-interval, so that refreshes happen while the command runs; exits with the step's
// exit code.
// `npm run demo -- --job`: a job of several steps using `keep-fresh: job`, under the whole-job
// emulator (dev/job.ts), with 20-second tokens so that the first dies and `klear-token` mints
// another while you watch; each step's log is printed as it ends. Exits 0 when the job succeeds.
// Nothing here prints a token: the log is the runner's masked view and token outputs show as ***.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runJob, type JobStep, type StepRecord } from './job.ts';
import { runAction } from './runner.ts';
import type { RunOptions, RunResult } from './runner.ts';
import { API_PATH, startStandIn } from './stand-in.ts';

const ENTRY = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const TOKEN_OUTPUTS = new Set(['access-token', 'refresh-token']);
const REAL_SERVER_VARIABLES = ['KLEAR_BASE_URL', 'KLEAR_REFRESH_TOKEN', 'KLEAR_COMPANY_NAME'];
/** Run mode's demo: tokens that live this long, refreshed this often, so refreshes show in seconds. */
const RUN_TOKEN_SECONDS = 30;
const RUN_REFRESH_INTERVAL = '2s';
/** The job demo's token life: step 2 outwaits it, and the whole job stays under about 30 s. */
const JOB_TOKEN_SECONDS = 20;

function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}

function section(title: string, lines: string[]): void {
  console.log(`\n--- ${title} ---`);
  for (const line of lines.length ? lines : ['(none)']) console.log(line ? `  ${line}` : '');
}

/** What every step shows: its log, and any secret that reached it. */
function showLog(result: RunResult): void {
  section('Step log, as the runner displays it', result.log.split('\n'));
  if (result.leaks.length > 0) {
    section(
      'WARNING: secrets reached the log before they were masked',
      result.leaks.map(leak => `line ${leak.line}: ${leak.text}`)
    );
  }
}

function showResult(result: RunResult): void {
  section('Result', [
    result.exitCode === 0
      ? 'exit code 0: the step succeeded'
      : `exit code ${result.exitCode ?? `none (${result.signal})`}: the step failed`
  ]);
}

/** What the action's step shows: its log, outputs (tokens as ***), exported names, summary and result. */
function show(result: RunResult): void {
  showLog(result);
  if (result.errors.length > 0) section('Error message', result.errors);
  section(
    'Outputs',
    Object.entries(result.outputs).map(([name, value]) => {
      const shown = value === '' ? '(empty)' : TOKEN_OUTPUTS.has(name) ? '***' : value;
      return `${name}: ${shown}`;
    })
  );
  section(
    'Environment variables exported to later steps (values hidden)',
    Object.keys(result.exportedEnv)
  );
  if (result.summary) section('Job summary', result.summary.trimEnd().split('\n'));
  showResult(result);
}

async function againstStandIn(): Promise<number> {
  // A refresh endpoint that wants a valid bearer (IsAuthenticated), as the vendor's page suggests.
  const standIn = await startStandIn({ requireBearer: true });
  try {
    // What the workflow's secrets would hold.
    const refreshToken = standIn.mintRefreshToken();
    heading(`Run 1: refresh a token (KlearStack stand-in at ${standIn.url})`);
    const first = await runAction({
      inputs: {
        'base-url': standIn.url,
        'refresh-token': refreshToken,
        'company-name': standIn.companyName,
        'access-token': standIn.mintAccessToken()
      }
    });
    show(first);

    heading(
      'Run 2: 15 minutes later, the access token from run 1 has expired, and there is no service account'
    );
    console.log(
      "\nThe stand-in's clock moves on 15 minutes and the step runs again with run 1's token as access-token."
    );
    standIn.clock.advance(15 * 60 + 1);
    const second = await runAction({
      inputs: {
        'base-url': standIn.url,
        'refresh-token': refreshToken,
        'company-name': standIn.companyName,
        'access-token': first.outputs['access-token'] ?? ''
      }
    });
    show(second);

    if (first.exitCode !== 0 || second.exitCode === 0) {
      console.error(
        '\nThe demo did not go as expected (run 1 should succeed, run 2 should fail): the bundle may be broken. Run npm test.'
      );
      return 1;
    }
    return 0;
  } finally {
    await standIn.close();
  }
}

/** Run mode against the stand-in: `command` with the token kept fresh, as a workflow's step runs it. */
async function runMode(command: string): Promise<number> {
  const standIn = await startStandIn({ accessTtlSeconds: RUN_TOKEN_SECONDS });
  try {
    heading(
      `Run mode: your command, with the token kept fresh (KlearStack stand-in at ${standIn.url})`
    );
    console.log(
      `\nAs the step \`run: ${command}\` with refresh-interval ${RUN_REFRESH_INTERVAL}; the stand-in's tokens live ${RUN_TOKEN_SECONDS} s. The command gets the token in KLEAR_ACCESS_TOKEN and the newest one in the file KLEAR_ACCESS_TOKEN_FILE. The log shows when the step ends.`
    );
    const result = await runAction({
      inputs: {
        'base-url': standIn.url,
        // A week's life: a refresh token that dies within a day is (rightly) warned about.
        'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 }),
        'company-name': standIn.companyName,
        run: command,
        'refresh-interval': RUN_REFRESH_INTERVAL
      },
      timeoutMs: 60 * 60_000
    });
    show(result);
    const refreshes = standIn.requests.length - 1;
    console.log(
      `\nKlearStack stand-in: ${standIn.requests.length} token ${standIn.requests.length === 1 ? 'request' : 'requests'}, the first token and ${refreshes} ${refreshes === 1 ? 'refresh' : 'refreshes'} while the command ran.`
    );
    return result.exitCode ?? 1;
  } finally {
    await standIn.close();
  }
}

/** A step as the workflow would write it; the refresh token as the secret it would come from. */
function asYaml(step: JobStep): string[] {
  const lines = [`- name: ${step.name}`];
  if ('run' in step)
    return [...lines, '  run: |', ...step.run.split('\n').map(line => `    ${line}`)];
  const shown = (name: string, value: string) =>
    name === 'refresh-token' ? '${{ secrets.KLEAR_REFRESH_TOKEN }}' : value;
  return [
    ...lines,
    '  uses: ./',
    '  with:',
    ...Object.entries(step.with ?? {}).map(([name, value]) => `    ${name}: ${shown(name, value)}`)
  ];
}

/** keep-fresh: job against the stand-in: a job of five steps and the post step, each shown as it ends. */
async function jobMode(): Promise<number> {
  const issued: string[] = [];
  const standIn = await startStandIn({
    accessTtlSeconds: JOB_TOKEN_SECONDS,
    onRequest: request => {
      if (request.issuedAccessToken) issued.push(request.issuedAccessToken);
    }
  });
  const tokenRequests = () => standIn.requests.filter(request => request.endpoint !== 'api').length;
  try {
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 7 * 86400 });
    const steps: JobStep[] = [
      {
        name: 'Get a token for the whole job',
        uses: 'action',
        with: {
          'base-url': standIn.url,
          'refresh-token': refreshToken,
          'company-name': standIn.companyName,
          'keep-fresh': 'job'
        }
      },
      {
        name: 'Call klear-token twice, after the first token has died',
        run: [
          `echo "Waiting ${JOB_TOKEN_SECONDS + 1} s, past the life of the token from step 1."`,
          `sleep ${JOB_TOKEN_SECONDS + 1}`,
          'first=$(klear-token)',
          'second=$(klear-token)',
          'test "$first" = "$second"',
          'echo "The second call gave the same token as the first."',
          'echo "token: $first"'
        ].join('\n')
      },
      {
        name: 'Run a command under klear-token exec',
        run: `klear-token exec -- sh -c 'echo "the command got $KLEAR_ACCESS_TOKEN"'`
      },
      { name: 'Give the next steps the token in KLEAR_ACCESS_TOKEN', run: 'klear-token env' },
      {
        name: 'Use the token from the environment',
        run: [
          'echo "KLEAR_ACCESS_TOKEN is $KLEAR_ACCESS_TOKEN"',
          `curl -fsS -o /dev/null -w 'KlearStack API answered HTTP %{http_code}\\n' -H "Authorization: Bearer $KLEAR_ACCESS_TOKEN" "${standIn.url}${API_PATH}"`
        ].join('\n')
      }
    ];
    heading(`A whole job with keep-fresh: job (KlearStack stand-in at ${standIn.url})`);
    console.log(
      `\nFive steps and the action's post step, run as the runner runs a job; the stand-in's tokens live ${JOB_TOKEN_SECONDS} s, so step 2 waits ${JOB_TOKEN_SECONDS + 1} s for the token of step 1 to die before klear-token gets a new one. Each step's log shows when it ends.`
    );
    let number = 0;
    let before = 0;
    const job = await runJob({
      steps,
      // What the runner masks from the start: the secret the refresh token comes from.
      secrets: [refreshToken],
      watch: issued,
      onStep: (record: StepRecord) => {
        const step = steps.find(candidate => candidate.name === record.name);
        heading(step ? `Step ${++number}: ${record.name}` : `After the last step: ${record.name}`);
        section(
          'The step',
          step ? asYaml(step) : ["The action's post step, which the runner adds"]
        );
        if (!record.result) return;
        showLog(record.result);
        const requests = tokenRequests() - before;
        before += requests;
        console.log(
          `\nKlearStack stand-in: ${requests} token ${requests === 1 ? 'request' : 'requests'} during this step.`
        );
        showResult(record.result);
      }
    });
    heading(`The job ${job.conclusion === 'success' ? 'succeeded' : 'failed'}`);
    const skipped = job.steps.filter(record => record.stage === 'skipped');
    if (skipped.length > 0) {
      section(
        'Not run: the runner skips the steps after a failed one',
        skipped.map(record => record.name)
      );
    }
    if (job.leaks.length > 0) {
      console.error(
        "\nA token reached the job's log unmasked (the WARNING above shows where): the bundle is broken. Run npm test."
      );
      return 1;
    }
    if (job.conclusion === 'failure') {
      console.error(
        '\nA step of the demo job failed (its log above says why): the bundle may be out of date or broken. Run npm run bundle, then npm test.'
      );
      return 1;
    }
    return 0;
  } finally {
    await standIn.close();
  }
}

async function againstRealServer(env: NodeJS.ProcessEnv): Promise<number> {
  const baseUrl = env.KLEAR_BASE_URL ?? '';
  let host = 'the server in KLEAR_BASE_URL';
  try {
    host = new URL(baseUrl).host;
  } catch {
    // The action explains what is wrong with the URL; the heading just stays generic.
  }
  heading(`Refresh a token at ${host}`);
  const options: RunOptions = {
    inputs: {
      'base-url': baseUrl,
      'refresh-token': env.KLEAR_REFRESH_TOKEN ?? '',
      'company-name': env.KLEAR_COMPANY_NAME ?? '',
      'access-token': env.KLEAR_ACCESS_TOKEN ?? ''
    },
    // A real runner masks a value that comes from a secret; the company name is one.
    secrets: [env.KLEAR_COMPANY_NAME ?? ''],
    timeoutMs: 5 * 60_000
  };
  // Proxy settings and private CAs apply to the action as they would on a self-hosted runner.
  const passOn = ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS'];
  options.env = Object.fromEntries(
    passOn.flatMap(name => (env[name] === undefined ? [] : [[name, env[name]]]))
  );
  const result = await runAction(options);
  show(result);
  return result.exitCode ?? 1;
}

async function main(): Promise<number> {
  if (!existsSync(ENTRY)) {
    console.error(
      `The bundled action ${ENTRY} is missing. Build it first with: npm run bundle (then npm run demo again).`
    );
    return 1;
  }
  const { values } = parseArgs({
    options: { run: { type: 'string' }, job: { type: 'boolean' } }
  });
  if (values.job) return jobMode();
  if (values.run !== undefined) return runMode(values.run);
  const given = REAL_SERVER_VARIABLES.filter(name => process.env[name]);
  if (given.length === 0) return againstStandIn();
  if (given.length < REAL_SERVER_VARIABLES.length) {
    const missing = REAL_SERVER_VARIABLES.filter(name => !process.env[name]);
    console.error(
      `To run against your own KlearStack, set all of ${REAL_SERVER_VARIABLES.join(', ')}; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing. Unset them all to use the built-in stand-in.`
    );
    return 1;
  }
  return againstRealServer(process.env);
}

main().then(
  code => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`The demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
);
