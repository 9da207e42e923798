import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ActionError, codeOf } from '../errors.ts';
import type { Credentials, Minted } from '../mint.ts';
import type { Toolkit } from '../publish.ts';
import type { Cancellation } from './cancel.ts';
import { Refresher, type Clock, type RefreshFacts } from './refresher.ts';
import { findProgram, scriptContents, shellArguments, type Shell } from './shell.ts';
import type { ClockReading } from './token-time.ts';

export interface KeepFreshOptions {
  /**
   * The `run` input's script, run with its shell as a `run:` step runs; or, for `klear-token exec`,
   * a program and its arguments, run as given.
   */
  command: { script: string; shell: Shell } | { argv: string[] };
  cwd: string;
  /** The step's environment, which the command's is made from. */
  env: NodeJS.ProcessEnv;
  /** The variable the command gets the first token in; `<name>_FILE` names the file with the newest. */
  envName: string;
  /** Where the token file lives (RUNNER_TEMP: per job, removed by the runner afterwards too). */
  tempDir: string;
  intervalMs: number;
  first: Minted;
  /** The clock when the answer with `first` arrived: its life is counted from there. */
  firstArrived: ClockReading;
  /** Monotonic ms when the request for `first` went out. */
  firstSentAt?: number;
  /** The credentials and tokens so far, scrubbed from the command's output. */
  secrets: string[];
  credentials: Credentials;
}

export interface KeepFreshDeps {
  kit: Toolkit;
  /** One exchange (refresh, login as its fallback); the schedule does the retrying. */
  mint(credentials: Credentials): Promise<Minted>;
  /** Resolves once everything written to stdout so far has reached the runner. */
  flushLog(): Promise<void>;
  clock: Clock;
  random(): number;
  /** Aborted when the command has ended: pending refreshes and their waits stop at once. */
  stop: AbortController;
  /** The runner's cancel: refreshing stops, and the command is not started or is ended. */
  cancellation: Cancellation;
}

export interface RunOutcome extends RefreshFacts {
  exitCode: number;
  cancelledBy?: NodeJS.Signals;
}

/** A page: what the token file takes on any file system, so a probe this size finds a full disk. */
const PROBE_BYTES = 4096;

/**
 * Off Windows the command's output comes through FIFOs that mkfifo (coreutils) makes
 * (command.ts): its absence is said before any token is minted, not after.
 */
export function checkPipes(env: NodeJS.ProcessEnv): void {
  if (process.platform === 'win32' || findProgram('mkfifo', env)) return;
  throw new ActionError(
    "Run mode needs mkfifo (from coreutils) on the runner's PATH, to give the command real pipes for its output, and it is not there. Install coreutils in an earlier step, or put the folder that holds mkfifo on PATH."
  );
}

/**
 * Checks, before any token is minted, that run mode can keep its token file in `dir` (RUNNER_TEMP):
 * a token minted only to fail writing it is thrown away, and each retry would mint another. A file
 * is written and removed rather than permissions read: only a write finds a full disk, a read-only
 * mount, or a quota, and root passes every permission check. The file goes in a folder made for it
 * (a fresh name, 0700), as the token file does: a name known in advance would let anyone who can
 * write to RUNNER_TEMP plant a link there and have the probe overwrite what it points to.
 */
export function checkTempDir(dir: string): void {
  let problem = '';
  try {
    if (!statSync(dir).isDirectory()) problem = 'is not a directory';
    else {
      const folder = mkdtempSync(join(dir, '.klear-token-probe-'));
      try {
        writeFileSync(join(folder, 'probe'), Buffer.alloc(PROBE_BYTES), {
          mode: 0o600,
          flag: 'wx'
        });
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }
  } catch (error) {
    const code = codeOf(error) || 'unknown';
    problem = code === 'ENOENT' ? 'does not exist' : `cannot be used: ${diskTrouble(code)}`;
  }
  if (problem) {
    throw new ActionError(
      `The runner's temporary directory RUNNER_TEMP ('${dir}') ${problem}, so run mode has nowhere to keep the token file; nothing was minted. Check the runner's disk and RUNNER_TEMP (a self-hosted runner's work folder must be writable by its user).`
    );
  }
}

/**
 * A write under RUNNER_TEMP that failed, named as the runner's disk: a full disk (the usual cause on
 * a long-lived self-hosted runner) clears once space is freed, so it counts as passing.
 */
function diskError(error: unknown, tempDir: string): ActionError {
  const code = codeOf(error) || 'unknown';
  return new ActionError(
    `Could not write run mode's token file under RUNNER_TEMP ('${tempDir}'): ${diskTrouble(code)}. Free space on the runner's disk, or give the runner a RUNNER_TEMP with room.`,
    { retryable: code === 'ENOSPC' || code === 'EDQUOT' }
  );
}

/** What a failed write under RUNNER_TEMP says about the runner's disk, with the error's code. */
function diskTrouble(code: string): string {
  const why =
    code === 'ENOSPC'
      ? "the runner's disk is full"
      : code === 'EDQUOT'
        ? "the runner user's disk quota is used up"
        : code === 'EROFS'
          ? 'the disk is read-only'
          : 'it cannot be written to';
  return `${why} (${code})`;
}

/**
 * Runs the command with its shell while the refresher keeps the token fresh in a 0600 file. The step's result
 * is the command's: its exit code, its output as it comes, and the signals sent to the step.
 */
export async function keepFresh(
  options: KeepFreshOptions,
  deps: KeepFreshDeps
): Promise<RunOutcome> {
  const { kit } = deps;
  // Loaded here rather than at the top: plain mode, most runs, never starts a process, and loading
  // child_process at start-up cost every run about 1 ms (npm run bench).
  const { runCommand } = await import(/* webpackMode: "eager" */ './command.ts');
  const dir = await mkdtemp(join(options.tempDir, 'klear-token-')).catch((error: unknown) => {
    throw diskError(error, options.tempDir);
  });
  const file = join(dir, 'token');
  let writes = 0;
  const writeToken = async (token: string): Promise<void> => {
    // A rename within one folder is atomic, so a reader never sees half a token.
    const next = join(dir, `token.${++writes}`);
    try {
      // 'wx': never through a link, even in a folder no one else can write to.
      await writeFile(next, token, { mode: 0o600, flag: 'wx' });
      await rename(next, file);
    } catch (error) {
      await rm(next, { force: true });
      throw diskError(error, options.tempDir);
    }
  };

  const refresher = new Refresher(
    {
      intervalMs: options.intervalMs,
      credentials: options.credentials,
      first: options.first,
      arrived: options.firstArrived,
      sentAt: options.firstSentAt
    },
    {
      kit,
      clock: deps.clock,
      timers: {
        set: (ms, run) => setTimeout(run, ms),
        clear: handle => clearTimeout(handle as NodeJS.Timeout)
      },
      random: deps.random,
      mint: deps.mint,
      flushLog: deps.flushLog,
      writeToken
    }
  );

  const stopRefreshing = deps.cancellation.onCancel(() => refresher.stop());
  try {
    await writeToken(options.first.accessToken);
    const [program, ...args] = await commandLine(options.command, dir, options.tempDir);
    refresher.start();
    const end = await runCommand({
      dir,
      program,
      args,
      cwd: options.cwd,
      env: {
        ...commandEnvironment(options.env),
        [options.envName]: options.first.accessToken,
        [`${options.envName}_FILE`]: file
      },
      secrets: options.secrets,
      cancellation: deps.cancellation,
      notStarted: error => notStarted(program, error, 'shell' in options.command)
    });
    return { ...end, ...refresher.facts };
  } finally {
    stopRefreshing();
    refresher.stop();
    deps.stop.abort();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The program and arguments to start; a script is written to a file of its own first. */
async function commandLine(
  command: KeepFreshOptions['command'],
  dir: string,
  tempDir: string
): Promise<string[]> {
  if ('argv' in command) return command.argv;
  // As the runner runs a run: step: the script in a file of its own, run through the template.
  const script = join(dir, `script${command.shell.extension}`);
  const contents = scriptContents(command.shell, command.script);
  await writeFile(script, contents, { mode: 0o700, flag: 'wx' }).catch((error: unknown) => {
    throw diskError(error, tempDir);
  });
  return [command.shell.program, ...shellArguments(command.shell.template, script)];
}

/**
 * Why `program` could not be started, said for the person who set the inputs (`fromShell`: it is
 * the `shell` input's). E2BIG is Linux's limits on a process's start: 128 KiB for one variable or
 * argument, and about a quarter of the stack limit (2 MiB by default) for all of them together.
 */
function notStarted(
  program: string,
  error: NodeJS.ErrnoException,
  fromShell: boolean
): ActionError {
  if (error.code === 'E2BIG') {
    return new ActionError(
      `Could not start ${program} to run the command: its environment is too large for the operating system to start a program with (E2BIG), a variable of over 128 KiB or all of them together over the system's limit. Make the step's environment smaller (env:, and what earlier steps put in GITHUB_ENV), and pass large values in files.`
    );
  }
  return new ActionError(
    `Could not start ${program} to run the command: ${error.message}. Check ${fromShell ? "the 'shell' input" : "the command's name"}, that the program runs on this runner, and that ${fromShell ? 'working-directory' : 'the working directory'} still exists.`
  );
}

/**
 * The environment a `run:` step gets (actions/runner, Handlers/ScriptHandler.cs against
 * NodeScriptActionHandler.cs): the step's, without what only a node action is given. INPUT_* hold
 * the refresh token and the password; STATE_* are the action's own; ACTIONS_RUNTIME_TOKEN and
 * ACTIONS_RUNTIME_URL, ACTIONS_CACHE_URL and ACTIONS_RESULTS_URL are the cache and artifact
 * service's credentials. A crash reporter or an `env` dump could ship any of them where the log
 * masking does not reach. ACTIONS_ID_TOKEN_REQUEST_* (a run: step has them when id-token is
 * granted) and RUNNER_TRACKING_ID (the runner's orphan sweep finds the command by it) stay.
 */
const NOT_FOR_COMMANDS =
  /^(INPUT_|STATE_|ACTIONS_RUNTIME_TOKEN$|ACTIONS_RUNTIME_URL$|ACTIONS_CACHE_URL$|ACTIONS_RESULTS_URL$)/i;

export function commandEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !NOT_FOR_COMMANDS.test(name)));
}
