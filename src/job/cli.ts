/**
 * `klear-token [env | exec [--] COMMAND [ARG...]]`, the command that `keep-fresh: job` puts on
 * later steps' PATH. Its launcher (folder.ts) runs the bundle with the job folder's path first:
 *
 * - `klear-token`: a token with the life run mode guarantees left, on stdout. A token it mints is
 *   masked first, on stderr: the caller captures stdout (`TOKEN=$(klear-token)`) and the runner
 *   reads the step's stderr. A program that captures stderr too swallows that mask (README).
 * - `klear-token env`: the same token for the following steps, in env-name through GITHUB_ENV,
 *   masked again here (a value from GITHUB_ENV shows in later steps' headers); prints no secret.
 * - `klear-token exec`: run mode (run/keep-fresh.ts, the `run` input's engine) for one command,
 *   its argv as given, no shell; the exit code is the command's.
 *
 * Failures are one sentence on stderr, as an error annotation, and exit code 1.
 */
import * as toolkit from '../toolkit.ts';
import { writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ActionError, messageOf } from '../errors.ts';
import { connect } from '../connect.ts';
import { mint, type MintDeps } from '../mint.ts';
import type { Toolkit } from '../publish.ts';
import { realSleep } from '../retry.ts';
import { readClock, SYSTEM_CLOCK } from '../run/refresher.ts';
import { JobFolder, type Settings } from './folder.ts';
import { freshToken, successor, type Fresh } from './fresh.ts';

/** The variable `env` and `exec` use when the step's env-name was '' (as run mode does). */
const DEFAULT_ENV_NAME = 'KLEAR_ACCESS_TOKEN';
const USAGE =
  'Use klear-token (prints a fresh token), klear-token env (gives it to the following steps in the environment) or klear-token exec -- COMMAND [ARG...] (runs COMMAND with a token kept fresh).';

type Kit = Pick<Toolkit, 'info' | 'warning' | 'error' | 'debug' | 'setSecret'>;

/**
 * Everything said on stderr, written at once (not queued): a mask must reach the runner's pipe
 * before the token is written to stdout.
 */
const stderrKit: Kit = {
  info: message => writeSync(2, `klear-token: ${message}\n`),
  warning: message => writeSync(2, `::warning::klear-token: ${toolkit.escapeData(message)}\n`),
  error: message => writeSync(2, `::error::${toolkit.escapeData(message)}\n`),
  debug: message => writeSync(2, `::debug::${toolkit.escapeData(message)}\n`),
  setSecret: value => writeSync(2, `::add-mask::${toolkit.escapeData(value)}\n`)
};

/** Says a failure on stderr, as klear-token says every failure outside exec; returns exit code 1. */
export function sayFailed(message: string): number {
  stderrKit.error(`klear-token: ${message}`);
  return 1;
}

/** argv after `klear-token`: the job folder, then what the user typed. Returns the exit code. */
export async function klearToken(argv: string[]): Promise<number> {
  const [dir = '', command = '', ...rest] = argv;
  const kit = command === 'exec' ? toolkit : stderrKit;
  try {
    const folder = JobFolder.open(dir);
    const settings = folder.readSettings();
    switch (command) {
      case '': {
        const { record } = await fresh(folder, settings, kit);
        writeSync(1, `${record.minted.accessToken}\n`);
        return 0;
      }
      case 'env': {
        if (rest.length) throw new ActionError(`klear-token env takes no arguments. ${USAGE}`);
        // Without the file, the toolkit would print the token as a set-env command instead.
        if (!process.env.GITHUB_ENV) {
          throw new ActionError(
            'klear-token env writes to the file named by GITHUB_ENV, and this process has none: run it in a step of the job, not in a program that cleared the environment.'
          );
        }
        const { record } = await fresh(folder, settings, kit);
        const name = settings.envName || DEFAULT_ENV_NAME;
        kit.setSecret(record.minted.accessToken);
        toolkit.exportVariable(name, record.minted.accessToken);
        kit.info(`the following steps have a fresh KlearStack access token in ${name}.`);
        return 0;
      }
      case 'exec':
        return await exec(folder, settings, rest[0] === '--' ? rest.slice(1) : rest);
      default:
        throw new ActionError(`'${command.slice(0, 32)}' is not a klear-token command. ${USAGE}`);
    }
  } catch (error) {
    kit.error(`klear-token: ${messageOf(error)}`);
    return 1;
  }
}

/**
 * The client and retry policy for the folder's settings; `signal` aborts its requests, which
 * otherwise only their deadlines end (a plain call creates no AbortController, as a plain step).
 */
function connectFor(settings: Settings, kit: Kit, signal?: AbortSignal): Promise<MintDeps> {
  const { apiRoot, timeoutMs, maxAttempts, caCertificate } = settings;
  return connect(
    { apiRoot, timeoutMs, maxAttempts, caCertificate },
    {
      kit,
      sleep: realSleep,
      random: Math.random,
      now: SYSTEM_CLOCK.wall,
      signal
    }
  );
}

function fresh(folder: JobFolder, settings: Settings, kit: Kit): Promise<Fresh> {
  return freshToken({
    folder,
    settings,
    clock: SYSTEM_CLOCK,
    sleep: ms => realSleep(ms),
    // Connected only to mint: a CA in the settings costs its parsing only then. Tokens of this job
    // came from KlearStack, so it alone judges them (as in run mode's refreshes).
    mint: async credentials =>
      mint(credentials, { ...(await connectFor(settings, kit)), klearStackJudges: true }),
    warning: message => kit.warning(message)
  });
}

/** Run mode for one command; its refreshes are its own, each new token also left in the folder. */
async function exec(folder: JobFolder, settings: Settings, argv: string[]): Promise<number> {
  if (argv.length === 0) throw new ActionError(`klear-token exec needs a command. ${USAGE}`);
  // Only exec runs a command: a plain call does not load run mode.
  const [{ keepFresh, PreparedRun }, { Cancellation }] = await Promise.all([
    import(/* webpackMode: "eager" */ '../run/keep-fresh.ts'),
    import(/* webpackMode: "eager" */ '../run/cancel.ts')
  ]);
  // From here a signal (Ctrl+C, a caller ending klear-token) ends the command as run mode does.
  const cancellation = new Cancellation(process);
  const prepared = new PreparedRun({ argv }, process.env.RUNNER_TEMP || tmpdir(), process.env);
  const { record } = await prepared.meanwhile(fresh(folder, settings, toolkit));
  // Masked again: a mint in an earlier, captured call may have had its mask swallowed.
  toolkit.setSecret(record.minted.accessToken);
  // Aborted when the command ends, or on a cancel: a refresh on its way must not hold the process.
  const stop = new AbortController();
  cancellation.onCancel(() => stop.abort());
  const mintDeps = await prepared.meanwhile(connectFor(settings, toolkit, stop.signal));
  const { credentials } = settings;
  const outcome = await keepFresh(
    {
      prepared,
      cwd: process.cwd(),
      env: process.env,
      envName: settings.envName || DEFAULT_ENV_NAME,
      intervalMs: settings.refreshIntervalMs,
      first: record.minted,
      firstArrived: record.arrived,
      credentials: {
        ...credentials,
        refreshToken: record.minted.refreshToken ?? credentials.refreshToken
      },
      secrets: [
        record.minted.accessToken,
        record.minted.refreshToken ?? '',
        credentials.refreshToken,
        credentials.username,
        credentials.password
      ]
    },
    {
      kit: toolkit,
      // One request at a time, as the `run` input's refreshes; the folder gets each new token.
      mint: async current => {
        const minted = await mint(current, {
          ...mintDeps,
          policy: { ...mintDeps.policy, maxAttempts: 1 },
          klearStackJudges: true
        });
        folder.writeToken(successor(folder.readToken(), minted, readClock(SYSTEM_CLOCK)));
        return minted;
      },
      flushLog: () => new Promise(done => process.stdout.write('', () => done())),
      clock: SYSTEM_CLOCK,
      random: Math.random,
      stop,
      cancellation
    }
  );
  return outcome.exitCode;
}
