import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ActionError } from '../errors.ts';
import type { Credentials, Minted } from '../mint.ts';
import type { Toolkit } from '../publish.ts';
import type { Cancellation } from './cancel.ts';
import { diskError, makeRunFolder } from './folder.ts';
import { Refresher, type Clock, type RefreshFacts } from './refresher.ts';
import { findProgram, scriptContents, shellArguments, type Shell } from './shell.ts';
import type { ClockReading } from './token-time.ts';

/**
 * The `run` input's script, run with its shell as a `run:` step runs; or, for `klear-token exec`,
 * a program and its arguments, run as given.
 */
export type Command = { script: string; shell: Shell } | { argv: string[] };

export interface KeepFreshOptions {
  /** The folder and what the command needs, made before the first token came. */
  prepared: PreparedRun;
  cwd: string;
  /** The step's environment, which the command's is made from. */
  env: NodeJS.ProcessEnv;
  /** The variable the command gets the first token in; `<name>_FILE` names the file with the newest. */
  envName: string;
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

/** What the command's start needs besides the token. */
interface Ready {
  runCommand: typeof import('./command.ts').runCommand;
  program: string;
  args: string[];
  /** The command's stdout and stderr FIFOs (none on Windows). */
  pipes: string[] | undefined;
}

/**
 * Run mode before its first token. Made before the first request: the folder, its disk checked, and
 * mkfifo found, so that either failing fails the step with nothing minted. Made while the request
 * is in flight: the script file, the output pipes and the command module, so that once the token
 * comes only its file and the command's start are left (the command starts about 6 ms sooner,
 * measured: docs/PERFORMANCE.md). Whoever made it removes it (`remove`), or hands it to keepFresh,
 * which does.
 */
export class PreparedRun {
  readonly command: Command;
  /** RUNNER_TEMP: per job, removed by the runner afterwards too. */
  readonly tempDir: string;
  readonly dir: string;
  /** Ends a mkfifo still running when the folder is removed. */
  readonly #abort = new AbortController();
  #ready: Promise<Ready> | undefined;

  constructor(command: Command, tempDir: string, env: NodeJS.ProcessEnv) {
    checkPipes(env);
    this.command = command;
    this.tempDir = tempDir;
    this.dir = makeRunFolder(tempDir);
  }

  /**
   * Waits for `work` (the first token's request), making meanwhile what the command needs; if it
   * fails, the folder is removed before its error goes on.
   */
  async meanwhile<T>(work: Promise<T>): Promise<T> {
    // From the next turn of the event loop: the request is on its way by then.
    this.#ready ??= new Promise(done => setImmediate(done)).then(() => this.#make());
    // Its failure is the step's once the token has come (ready()); until then, nobody's.
    this.#ready.catch(() => {});
    try {
      return await work;
    } catch (error) {
      await this.remove();
      throw error;
    }
  }

  /** What the command's start needs, once made. */
  ready(): Promise<Ready> {
    return (this.#ready ??= this.#make());
  }

  /** Removes the folder and all in it, once nothing is making anything in it. */
  async remove(): Promise<void> {
    this.#abort.abort();
    await this.#ready?.catch(() => {});
    // At once: a few files, and the step's end waits for it (a thread-pool round trip per file).
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #make(): Promise<Ready> {
    // Loaded here, while the request is in flight, rather than with this module before it: the
    // relay and the scrubber take about 2 ms to load.
    const { makePipes, runCommand } = await import(/* webpackMode: "eager" */ './command.ts');
    const [program, ...args] = commandLine(this.command, this.dir, this.tempDir);
    const pipes = await makePipes(this.dir, this.#abort.signal);
    return { runCommand, program, args, pipes };
  }
}

/** The file operations that write the token file, as promises or done at once. */
interface FileIO {
  writeFile(path: string, data: string, options: { mode: number; flag: string }): unknown;
  rename(from: string, to: string): unknown;
  rm(path: string, options: { force: boolean }): unknown;
}
const ASYNC_IO: FileIO = { writeFile, rename, rm };
const SYNC_IO: FileIO = { writeFile: writeFileSync, rename: renameSync, rm: rmSync };

/**
 * Runs the command with its shell while the refresher keeps the token fresh in a 0600 file. The step's result
 * is the command's: its exit code, its output as it comes, and the signals sent to the step.
 */
export async function keepFresh(
  options: KeepFreshOptions,
  deps: KeepFreshDeps
): Promise<RunOutcome> {
  const { kit } = deps;
  const { prepared } = options;
  const { dir, tempDir } = prepared;
  const file = join(dir, 'token');
  let writes = 0;
  const writeToken = async (token: string, io: FileIO = ASYNC_IO): Promise<void> => {
    // A rename within one folder is atomic, so a reader never sees half a token.
    const next = join(dir, `token.${++writes}`);
    try {
      // 'wx': never through a link, even in a folder no one else can write to.
      await io.writeFile(next, token, { mode: 0o600, flag: 'wx' });
      await io.rename(next, file);
    } catch (error) {
      await io.rm(next, { force: true });
      throw diskError(error, tempDir);
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
    // At once: nothing else waits meanwhile, and the thread pool's four round trips took 2–3 ms.
    await writeToken(options.first.accessToken, SYNC_IO);
    // Only now: what is made meanwhile waits for nothing of the token's, but the end-to-end tests'
    // moment between the token file and the command's start is mkfifo's end (fixtures/at-mkfifo).
    const { runCommand, program, args, pipes } = await prepared.ready();
    refresher.start();
    const end = await runCommand({
      pipes,
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
      notStarted: error => notStarted(program, error, 'shell' in prepared.command)
    });
    return { ...end, ...refresher.facts };
  } finally {
    stopRefreshing();
    refresher.stop();
    deps.stop.abort();
    await prepared.remove();
  }
}

/** The program and arguments to start; a script is written to a file of its own first. */
function commandLine(command: Command, dir: string, tempDir: string): string[] {
  if ('argv' in command) return command.argv;
  // As the runner runs a run: step: the script in a file of its own, run through the template.
  // Written at once: a thread-pool round trip would keep the command waiting for the event loop.
  const script = join(dir, `script${command.shell.extension}`);
  try {
    writeFileSync(script, scriptContents(command.shell, command.script), {
      mode: 0o700,
      flag: 'wx'
    });
  } catch (error) {
    throw diskError(error, tempDir);
  }
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
