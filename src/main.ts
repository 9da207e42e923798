import * as toolkit from './toolkit.ts';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from './connect.ts';
import { messageOf } from './errors.ts';
import { readInputs, type Inputs } from './inputs.ts';
import { Cancellation, signalExitCode, type SignalSource } from './run/cancel.ts';
import type { CommandEnd } from './run/command.ts';
import { expiryNotes, mint, type Credentials, type Minted } from './mint.ts';
import { publish, type Toolkit } from './publish.ts';
import { readClock, SYSTEM_CLOCK, type Clock } from './run/refresher.ts';
import { realSleep } from './retry.ts';
import { renderSummary } from './summary.ts';
import {
  expiresAt,
  implausibleWarning,
  skewWarning,
  tokenTime,
  type ClockReading
} from './run/token-time.ts';

export interface MainDeps {
  kit: Toolkit;
  /** Appends Markdown to the job summary. */
  summary(markdown: string): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  clock: Clock;
  flushLog(): Promise<void>;
  /** RUNNER_TEMP, where run mode keeps its token file. */
  tempDir: string;
  /** Where `run` runs when working-directory is empty, and what a relative one is relative to. */
  workspace: string;
  /** The runner's cancel signals (`process`); run mode listens from its start. */
  signals: SignalSource;
  /** The step's environment, which run mode's command gets its own from. */
  env: NodeJS.ProcessEnv;
  /** For keep-fresh: job: what `klear-token` runs, and how the step leaves it to later steps. */
  job: JobHooks;
}

export interface JobHooks {
  /** The absolute paths of the node running this step and of the bundle. */
  node: string;
  bundle: string;
  /** Hands a value to this action's post step (GITHUB_STATE). */
  saveState(name: string, value: string): void;
  /** Puts a folder on later steps' PATH (GITHUB_PATH). */
  addPath(dir: string): void;
}

/** Run mode's engine, the cancel it heeds, and the stop for its requests once the command ends. */
interface RunMode {
  engine: typeof import('./run/keep-fresh.ts');
  cancellation: Cancellation;
  stop: AbortController;
}

/** Run mode's variable when env-name is '' (which only means: export nothing to later steps). */
const RUN_ENV_NAME = 'KLEAR_ACCESS_TOKEN';

/** The whole step for validated inputs; knows nothing of process.env. Returns the exit code. */
export async function main(inputs: Inputs, deps: MainDeps): Promise<number> {
  // A plain step has nothing that could stop its requests early but their deadline: no
  // AbortController, whose EventTarget a plain step would otherwise compile for nothing.
  if (!inputs.run) return step(inputs, deps);
  const stop = new AbortController();
  // From here to the process's exit a cancel cannot end the action outright: it stops the requests
  // and waits, ends the command, and the step says so and exits as the signal would have it.
  const cancellation = new Cancellation(deps.signals);
  cancellation.onCancel(() => stop.abort());
  try {
    // Run mode's modules (fs/promises among them) load only in run mode: a plain step, most steps,
    // never needs them, and each module costs start-up time (npm run bench).
    const engine = await import(/* webpackMode: "eager" */ './run/keep-fresh.ts');
    return await step(inputs, deps, { engine, cancellation, stop });
  } catch (error) {
    if (!cancellation.signal) throw error;
    return cancelled(deps.kit, cancellation.signal);
  }
}

/** Everything but the cancel: plain mode, or run mode with its cancellation watching. */
async function step(inputs: Inputs, deps: MainDeps, runMode?: RunMode): Promise<number> {
  const { kit } = deps;
  const now = () => deps.clock.wall();
  const mintDeps = await connect(inputs, { ...deps, now, signal: runMode?.stop.signal }, [
    inputs.refreshToken,
    inputs.accessToken,
    inputs.username,
    inputs.password
  ]);
  const credentials: Credentials = {
    refreshToken: inputs.refreshToken,
    accessToken: inputs.accessToken,
    companyName: inputs.companyName,
    username: inputs.username,
    password: inputs.password
  };
  for (const note of expiryNotes(credentials, now())) {
    if (note.warning) kit.warning(note.text);
    else kit.info(note.text);
  }
  // Run mode's folder, its disk checked, before anything is minted; the rest while the token comes.
  const command = runMode && {
    ...runMode,
    prepared: new runMode.engine.PreparedRun(
      { script: inputs.run, shell: inputs.shell },
      deps.tempDir,
      deps.env
    )
  };
  if (!runMode && inputs.keepFresh) {
    // The job folder's disk, checked as run mode checks its own before minting.
    const { checkTempDir } = await import(/* webpackMode: "eager" */ './run/folder.ts');
    checkTempDir(deps.tempDir);
  }
  const firstSentAt = deps.clock.monotonic();
  const minting = mint(credentials, mintDeps);
  const first = await (command ? command.prepared.meanwhile(minting) : minting);
  const firstArrived = readClock(deps.clock);

  if (!command) {
    // The request's duration spans mint's retries too: a wider interval, so a skew is said only
    // when it is beyond doubt.
    const requestMs = firstArrived.monotonic - firstSentAt;
    const time = tokenTime(first.accessToken, firstArrived, first.serverDate, requestMs);
    for (const warning of [skewWarning(time), implausibleWarning(time)]) {
      if (warning) kit.warning(warning);
    }
    const expires = expiresAt(first.accessToken, time);
    // Before anything is published: a step that cannot leave the folder fails having set nothing.
    if (inputs.keepFresh) {
      await leaveJobFolder(inputs, { minted: first, arrived: firstArrived, mints: 1 }, deps);
    }
    publish(kit, first, inputs.envName, expires);
    kit.info(
      `Got a KlearStack access token by ${first.method}${inputs.envName ? `; later steps have it in ${inputs.envName}` : ''}.`
    );
    deps.summary(
      renderSummary(first, expires, undefined, first.refreshToken ?? inputs.refreshToken)
    );
    return 0;
  }

  const envName = inputs.envName || RUN_ENV_NAME;
  kit.info(
    `Got a KlearStack access token by ${first.method}; running the command with it in ${envName} and the newest one always in the file named by ${envName}_FILE.`
  );
  const outcome = await command.engine.keepFresh(
    {
      prepared: command.prepared,
      cwd: resolve(deps.workspace, inputs.workingDirectory),
      env: deps.env,
      envName,
      intervalMs: inputs.refreshIntervalMs,
      first,
      firstSentAt,
      firstArrived,
      credentials,
      secrets: [
        first.accessToken,
        first.refreshToken ?? '',
        inputs.refreshToken,
        inputs.accessToken,
        inputs.username,
        inputs.password
      ]
    },
    {
      kit,
      // One request at a time: the schedule backs off between refreshes (refresher.ts).
      mint: current =>
        mint(current, {
          ...mintDeps,
          policy: { ...mintDeps.policy, maxAttempts: 1 },
          klearStackJudges: true
        }),
      flushLog: deps.flushLog,
      clock: deps.clock,
      random: deps.random,
      stop: command.stop,
      cancellation: command.cancellation
    }
  );
  if (inputs.keepFresh) {
    // When the newest token's answer arrived is not kept; the first one's came earlier, so its
    // life counted from there ends early, never late: at worst klear-token mints once too soon.
    const record = { minted: outcome.latest, arrived: firstArrived, mints: 1 + outcome.refreshes };
    await leaveJobFolder(inputs, record, deps);
  }
  // Later steps get the newest token, not the first one, which may be close to expiring by now.
  publish(kit, outcome.latest, inputs.envName, outcome.expiresAt);
  const refreshToken = outcome.latest.refreshToken ?? first.refreshToken ?? inputs.refreshToken;
  deps.summary(renderSummary(outcome.latest, outcome.expiresAt, outcome, refreshToken));
  const signal = await command.cancellation.received();
  if (signal) return cancelled(kit, signal, outcome);
  if (outcome.exitCode !== 0) kit.error(`The command exited with code ${outcome.exitCode}.`);
  return outcome.exitCode;
}

/**
 * Says that run mode was cancelled, and how far it had got: `end` is the command's, when it was
 * started. Returns the step's exit code, 128 + the signal, as if the signal had ended it.
 */
function cancelled(kit: Toolkit, signal: NodeJS.Signals, end?: CommandEnd): number {
  if (!end) {
    kit.error(
      `The step was cancelled (${signal}) before the command started: it did not run, and no token file is left.`
    );
  } else if (end.cancelledBy) {
    kit.error(
      `The step was cancelled (${signal}): the command was ended (SIGINT, then SIGTERM and SIGKILL for what remained) and the token file removed.`
    );
  } else {
    kit.error(
      `The step was cancelled (${signal}) after the command had ended (exit code ${end.exitCode}); the token file was removed.`
    );
  }
  return signalExitCode(signal);
}

/**
 * keep-fresh: job: the job folder with what later mints need and the newest token, `klear-token`
 * on later steps' PATH, and the folder's path for the post step, which removes it.
 */
async function leaveJobFolder(
  inputs: Inputs,
  record: { minted: Minted; arrived: ClockReading; mints: number },
  deps: MainDeps
): Promise<void> {
  const { JobFolder } = await import(/* webpackMode: "eager" */ './job/folder.ts');
  const folder = JobFolder.create(deps.tempDir);
  // First, so that the post step removes the folder whatever fails from here on.
  deps.job.saveState(JOB_FOLDER_STATE, folder.dir);
  folder.writeSettings({
    apiRoot: inputs.apiRoot,
    timeoutMs: inputs.timeoutMs,
    maxAttempts: inputs.maxAttempts,
    caCertificate: inputs.caCertificate,
    envName: inputs.envName,
    refreshIntervalMs: inputs.refreshIntervalMs,
    credentials: {
      refreshToken: inputs.refreshToken,
      accessToken: '',
      companyName: inputs.companyName,
      username: inputs.username,
      password: inputs.password
    }
  });
  folder.writeToken(record);
  folder.writeLaunchers(deps.job.node, deps.job.bundle);
  deps.job.addPath(folder.binDir);
  deps.kit.info(
    'Later steps of this job can run klear-token for a fresh token (klear-token env, klear-token exec -- COMMAND); the post step removes its folder.'
  );
}

/** The name of the state every main step leaves, by which the post step knows it is the post step. */
export const POST_STATE = 'isPost';
/** The state naming the job folder, for the post step to remove. */
const JOB_FOLDER_STATE = 'job-folder';

/**
 * Said if the event loop empties while the step is still waiting: a promise nothing will settle.
 * Without it Node would exit 0 with no outputs, and later steps would run without a token.
 */
export const UNSETTLED =
  'The action stopped waiting for something that can no longer happen (the event loop emptied before the step finished), so no token was exported. This is a bug in klear-token-action; please report it with the debug log (re-run with debug logging).';

/**
 * Runs the step, failing it if the event loop empties before the step has settled; `unsettled`
 * says so (klear-token says it on stderr, its stdout being the token's).
 */
export async function guarded(
  step: () => Promise<void>,
  unsettled: () => void = () => toolkit.setFailed(UNSETTLED)
): Promise<void> {
  process.once('beforeExit', unsettled);
  try {
    await step();
  } finally {
    process.off('beforeExit', unsettled);
  }
}

export function run(): Promise<void> {
  return guarded(runStep);
}

async function runStep(): Promise<void> {
  // Before anything can fail: without it, the post step would take itself for the main step.
  toolkit.saveState(POST_STATE, 'true');
  try {
    const inputs = readInputs({
      get: name => toolkit.getInput(name),
      mask: value => toolkit.setSecret(value),
      warn: message => toolkit.warning(message)
    });
    const exitCode = await main(inputs, {
      kit: toolkit,
      summary: appendSummary,
      sleep: realSleep,
      random: Math.random,
      clock: SYSTEM_CLOCK,
      flushLog: () => new Promise(done => process.stdout.write('', () => done())),
      // node:os only where the runner names no RUNNER_TEMP: a plain step never loads it.
      tempDir: process.env.RUNNER_TEMP || process.getBuiltinModule('node:os').tmpdir(),
      workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
      signals: process,
      env: process.env,
      job: {
        node: process.execPath,
        bundle: resolve(process.argv[1]),
        saveState: toolkit.saveState,
        addPath: toolkit.addPath
      }
    });
    if (exitCode !== 0) process.exitCode = exitCode;
  } catch (error) {
    toolkit.setFailed(messageOf(error));
  }
}

/** The post step: only a main step with keep-fresh: job left it anything to do. */
export async function runPost(): Promise<void> {
  const dir = process.env[`STATE_${JOB_FOLDER_STATE}`] ?? '';
  if (!dir) return;
  try {
    const { post } = await import(/* webpackMode: "eager" */ './job/post.ts');
    post(dir, toolkit, appendSummary);
  } catch (error) {
    // A folder left behind is emptied with RUNNER_TEMP at the job's end: not worth failing the job.
    toolkit.warning(`Could not remove the klear-token job folder: ${messageOf(error)}`);
  }
}

/**
 * A summary is a courtesy: failing to write one must not fail a step that got its token. Written
 * synchronously: it is the step's last act, and fs/promises' three thread-pool round trips (open,
 * write, close) cost about 0.9 ms of a step that takes 40.
 */
function appendSummary(markdown: string): void {
  const path = process.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  try {
    appendFileSync(path, markdown);
  } catch (error) {
    toolkit.warning(`Could not write the job summary: ${messageOf(error)}`);
  }
}
