import { constants } from 'node:os';
import { join } from 'node:path';
import { expiryIso, isExpired, readClaims } from './claims.ts';
import { messageOf } from './errors.ts';
import type { Credentials, Minted } from './mint.ts';
import type { Toolkit } from './publish.ts';

export interface KeepFreshOptions {
  command: string;
  cwd: string;
  /** The variable the command gets the first token in; `<name>_FILE` names the file with the newest. */
  envName: string;
  /** Where the token file lives (RUNNER_TEMP: per job, removed by the runner afterwards too). */
  tempDir: string;
  intervalMs: number;
  first: Minted;
  credentials: Credentials;
}

export interface KeepFreshDeps {
  kit: Toolkit;
  /** Mints a token with the resilience rules (retries, login fallback). */
  mint(credentials: Credentials): Promise<Minted>;
  /** Resolves once everything written to stdout so far has reached the runner. */
  flushLog(): Promise<void>;
  now(): number;
  /** Aborted when the command has ended: pending refreshes and their waits stop at once. */
  stop: AbortController;
}

export interface RunOutcome {
  exitCode: number;
  refreshes: number;
  failedRefreshes: number;
  latest: Minted;
}

/** A refresh is due this long before the token's `exp`, whatever the interval says. */
export const EXPIRY_MARGIN_MS = 2 * 60 * 1000;
/** After a failed refresh, try again this soon (or at the interval, if shorter). */
const RETRY_FAILED_MS = 30 * 1000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** When the next refresh is due: the interval, or earlier so a token never gets within the margin of expiring. */
export function nextRefreshDelay(token: string, intervalMs: number, nowMs: number): number {
  const { exp } = readClaims(token);
  const untilMargin = exp === undefined ? Infinity : exp * 1000 - EXPIRY_MARGIN_MS - nowMs;
  return Math.max(1000, Math.min(intervalMs, untilMargin));
}

/**
 * Runs the command with bash while a timer keeps the token fresh in a 0600 file. The step's result
 * is the command's: its exit code, its output as it comes, and the signals sent to the step.
 */
export async function keepFresh(
  options: KeepFreshOptions,
  deps: KeepFreshDeps
): Promise<RunOutcome> {
  const { kit } = deps;
  // Loaded here rather than at the top: plain mode, most runs, never writes a token file or starts
  // a process, and loading these at start-up cost every run about 1 ms each (npm run bench).
  const [{ mkdtemp, rename, rm, writeFile }, { spawn }] = await Promise.all([
    import('node:fs/promises'),
    import('node:child_process')
  ]);
  const dir = await mkdtemp(join(options.tempDir, 'klear-token-'));
  const file = join(dir, 'token');
  let writes = 0;
  const writeToken = async (token: string): Promise<void> => {
    // A rename within one folder is atomic, so a reader never sees half a token.
    const next = join(dir, `token.${++writes}`);
    await writeFile(next, token, { mode: 0o600 });
    await rename(next, file);
  };

  let latest = options.first;
  let refreshToken = options.first.refreshToken ?? options.credentials.refreshToken;
  let refreshes = 0;
  let failedRefreshes = 0;
  let warnedExpired = false;
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (): Promise<void> => {
    try {
      // KlearStack refuses a refresh whose bearer has expired, so after an outage that outlived
      // the token only a refresh without one can succeed.
      const minted = await deps.mint({
        ...options.credentials,
        refreshToken,
        accessToken: isExpired(latest.accessToken, deps.now()) ? '' : latest.accessToken
      });
      if (deps.stop.signal.aborted) return;
      // The client masked the token as it read it; wait until the runner has that line before the
      // token can show up in the command's output.
      await deps.flushLog();
      await writeToken(minted.accessToken);
      latest = minted;
      refreshToken = minted.refreshToken ?? refreshToken;
      refreshes++;
      kit.info(
        `Refreshed the KlearStack access token (${minted.method}); it expires at ${expiryIso(minted.accessToken) || 'an unstated time'}.`
      );
      schedule(nextRefreshDelay(latest.accessToken, options.intervalMs, deps.now()));
    } catch (error) {
      if (deps.stop.signal.aborted) return;
      failedRefreshes++;
      kit.warning(
        `Could not refresh the KlearStack access token; the command keeps running with the current one. ${messageOf(error)}`
      );
      if (!warnedExpired && isExpired(latest.accessToken, deps.now())) {
        warnedExpired = true;
        kit.error(
          `The KlearStack access token expired at ${expiryIso(latest.accessToken)} and could not be refreshed: the command's requests will now fail with 401 until a refresh succeeds.`
        );
      }
      schedule(Math.min(options.intervalMs, RETRY_FAILED_MS));
    }
  };
  const schedule = (ms: number): void => {
    if (deps.stop.signal.aborted) return;
    timer = setTimeout(() => void refresh(), ms);
  };

  try {
    await writeToken(latest.accessToken);
    const child = spawn(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', options.command],
      {
        cwd: options.cwd,
        stdio: 'inherit',
        // Its own process group, so a signal reaches the program bash is running, not just bash.
        detached: process.platform !== 'win32',
        env: {
          ...commandEnvironment(process.env),
          [options.envName]: latest.accessToken,
          [`${options.envName}_FILE`]: file
        }
      }
    );
    const forward = (signal: NodeJS.Signals) => {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    };
    for (const signal of SIGNALS) process.on(signal, forward);
    schedule(nextRefreshDelay(latest.accessToken, options.intervalMs, deps.now()));
    const exitCode = await new Promise<number>(resolve => {
      child.on('error', error => {
        kit.error(
          `Could not start bash to run the command: ${error.message}. 'run' needs bash on the runner's PATH (Git Bash on Windows).`
        );
        resolve(127);
      });
      child.on('exit', (code, signal) =>
        resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))
      );
    });
    for (const signal of SIGNALS) process.off(signal, forward);
    return { exitCode, refreshes, failedRefreshes, latest };
  } finally {
    deps.stop.abort();
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The step's environment without the action's own INPUT_* variables: they hold the refresh token
 * and the password, which the command has no use for and a crash reporter or `env` dump could ship
 * somewhere the log masking does not reach.
 */
export function commandEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^INPUT_/i.test(name)));
}
