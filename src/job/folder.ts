/**
 * The job folder of `keep-fresh: job`: everything a later step's `klear-token` needs, under
 * RUNNER_TEMP. This module alone knows its layout, its modes and how to remove it:
 *
 *   klear-token-job-XXXXXX/   0700, made by mkdtemp (a name nobody could have prepared)
 *     settings.json           0600  the credentials given, base-url, timeout, attempts, CA, env-name
 *     token.json              0600  the newest token, the clock when its request went out, the count
 *     lock-<n>-<k>            0600  who is minting token n+1 (k: the how-manieth try at it)
 *     bin/klear-token         0700  POSIX sh, and bin/klear-token.cmd for Windows: on later PATHs
 *
 * Every file is written whole under a fresh name opened with O_EXCL (which never follows a link)
 * and renamed into place, so a reader sees the old file or the new one, never half of one; reads
 * refuse links (O_NOFOLLOW). The folder itself must be a real directory, not a link, owned by this
 * user and closed to others, or it is not used. On Windows modes mean nothing: the ACLs of the
 * runner's temp folder apply (README, SECURITY.md).
 */
import {
  closeSync,
  constants,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { ActionError, codeOf } from '../errors.ts';
import type { Credentials, Minted } from '../mint.ts';
import type { ClockReading } from '../run/token-time.ts';

/** What a later mint needs, as the step's inputs gave it. */
export interface Settings {
  apiRoot: string;
  timeoutMs: number;
  maxAttempts: number;
  caCertificate: string;
  /** The variable `klear-token env` and `exec` use ('' means KLEAR_ACCESS_TOKEN). */
  envName: string;
  refreshIntervalMs: number;
  credentials: Credentials;
}

/**
 * The newest token (with KlearStack's Date when it answered, in `minted.serverDate`) and the
 * runner's clocks when that answer arrived: its life is counted from there, on the machine's
 * monotonic clock.
 */
export interface TokenRecord {
  minted: Minted;
  arrived: ClockReading;
  /** Tokens the job has minted so far, this one included: its generation. */
  mints: number;
}

/** A lock file's content: who holds it, since when (monotonic ms), and why it failed if it did. */
export interface LockRecord {
  pid: number;
  at: number;
  failed?: string;
}

const FOLDER_PREFIX = 'klear-token-job-';
const SETTINGS = 'settings.json';
const TOKEN = 'token.json';
const BIN = 'bin';
const LOCK = /^lock-(\d+)-(\d+)$/;
// Not on Windows; 0 there leaves the flags as they are.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const posix = process.platform !== 'win32';
const WINDOWS_RENAME_TRIES = 50;
const BUSY = new Set(['EPERM', 'EBUSY', 'EACCES']);

export class JobFolder {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Makes a new folder under `tempDir` (RUNNER_TEMP). Nothing is written in it yet. */
  static create(tempDir: string): JobFolder {
    try {
      return new JobFolder(mkdtempSync(join(tempDir, FOLDER_PREFIX)));
    } catch (error) {
      throw diskError(error, tempDir);
    }
  }

  /** The folder of an earlier step, checked before anything in it is believed. */
  static open(dir: string): JobFolder {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      throw new ActionError(
        `The job folder of the KlearStack step ('${dir}') is gone: the job has ended its post step, or something emptied RUNNER_TEMP. Call klear-token only in steps after the one with keep-fresh: job, and do not delete RUNNER_TEMP's contents.`
      );
    }
    const unsafe = !stat.isDirectory()
      ? 'is not a directory (a link or a file stands there)'
      : posix && stat.uid !== process.getuid?.()
        ? "belongs to another user than this step's"
        : posix && (stat.mode & 0o077) !== 0
          ? 'can be read or entered by other users'
          : '';
    if (unsafe) {
      throw new ActionError(
        `The job folder of the KlearStack step ('${dir}') ${unsafe}, so klear-token does not trust it. Something on this runner changed RUNNER_TEMP: run the KlearStack step again with keep-fresh: job.`
      );
    }
    return new JobFolder(dir);
  }

  /** The folder to put on later steps' PATH, holding `klear-token` and `klear-token.cmd`. */
  get binDir(): string {
    return join(this.dir, BIN);
  }

  writeSettings(settings: Settings): void {
    this.#write(SETTINGS, JSON.stringify(settings));
  }

  readSettings(): Settings {
    return this.#readJson(SETTINGS) as Settings;
  }

  writeToken(record: TokenRecord): void {
    this.#write(TOKEN, JSON.stringify(record));
  }

  readToken(): TokenRecord {
    return this.#readJson(TOKEN) as TokenRecord;
  }

  /** Writes the `klear-token` launchers: `node` and `bundle` are absolute paths. */
  writeLaunchers(node: string, bundle: string): void {
    try {
      mkdirSync(this.binDir, { mode: 0o700 });
    } catch (error) {
      throw diskError(error, this.dir);
    }
    this.#write(join(BIN, 'klear-token'), shLauncher(node, bundle, this.dir), 0o700);
    this.#write(join(BIN, 'klear-token.cmd'), cmdLauncher(node, bundle, this.dir), 0o700);
  }

  /**
   * Tries to become the one who mints token `generation + 1`. Lock files are never taken away
   * from anyone: a holder that died, stalled past `staleAfterMs`, or failed more than `holdFailureMs`
   * ago is passed by taking the next try's file, `lock-<n>-<k+1>`, which O_EXCL gives to one
   * caller only. `now` is monotonic ms.
   */
  claim(
    generation: number,
    now: number,
    limits: { staleAfterMs: number; holdFailureMs: number }
  ): { kind: 'mine'; name: string } | { kind: 'held' } | { kind: 'failed'; message: string } {
    const tries = this.#locks(generation);
    const latest = tries.at(-1);
    let next = 0;
    if (latest) {
      const holder = this.#readLock(latest.name);
      if (!holder) return { kind: 'held' };
      if (holder.failed !== undefined) {
        if (now - holder.at < limits.holdFailureMs)
          return { kind: 'failed', message: holder.failed };
      } else if (isAlive(holder.pid) && now - holder.at < limits.staleAfterMs) {
        return { kind: 'held' };
      }
      next = latest.attempt + 1;
    }
    const name = `lock-${generation}-${next}`;
    const record: LockRecord = { pid: process.pid, at: now };
    const draft = this.#draft(JSON.stringify(record), 0o600);
    try {
      // A hard link appears whole, and only if nothing has that name yet.
      linkSync(draft, join(this.dir, name));
      return { kind: 'mine', name };
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return { kind: 'held' };
      throw diskError(error, this.dir);
    } finally {
      rmSync(draft, { force: true });
    }
  }

  /** Says in the lock that the mint failed, so that those waiting do not all try again at once. */
  fail(name: string, message: string, now: number): void {
    const record: LockRecord = { pid: process.pid, at: now, failed: message };
    this.#write(name, JSON.stringify(record));
  }

  /** Removes every lock of a generation once its token is written. */
  release(generation: number): void {
    for (const { name } of this.#locks(generation)) rmSync(join(this.dir, name), { force: true });
  }

  /** Removes the folder and all in it; links inside are removed, never followed. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #locks(generation: number): { name: string; attempt: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      // Removed while a call waited: said as the folder being gone.
      JobFolder.open(this.dir);
      throw new ActionError(
        `The job folder of the KlearStack step ('${this.dir}') cannot be read. Run the KlearStack step again with keep-fresh: job.`
      );
    }
    return names
      .map(name => ({ name, match: LOCK.exec(name) }))
      .filter(({ match }) => match && Number(match[1]) === generation)
      .map(({ name, match }) => ({ name, attempt: Number(match?.[2]) }))
      .sort((a, b) => a.attempt - b.attempt);
  }

  #readLock(name: string): LockRecord | undefined {
    try {
      return this.#readJson(name) as LockRecord;
    } catch {
      // Gone since the listing: its holder is done, which the next look shows.
      return undefined;
    }
  }

  #readJson(name: string): unknown {
    let fd: number | undefined;
    try {
      fd = openSync(join(this.dir, name), constants.O_RDONLY | NOFOLLOW);
      return JSON.parse(readFileSync(fd, 'utf8'));
    } catch (error) {
      throw new ActionError(
        `The job folder of the KlearStack step ('${this.dir}') has no readable ${name} (${codeOf(error) || 'not JSON'}): the folder is damaged or was changed. Run the KlearStack step again with keep-fresh: job.`
      );
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** A new file with `text`, under a name nobody else uses; returns its path. */
  #draft(text: string, mode: number): string {
    // Unique among live processes, and O_EXCL refuses anything already there (even a link).
    const path = join(this.dir, `.draft-${process.pid}-${process.hrtime.bigint()}`);
    try {
      writeFileSync(path, text, { mode, flag: 'wx' });
    } catch (error) {
      rmSync(path, { force: true });
      throw diskError(error, this.dir);
    }
    return path;
  }

  #write(name: string, text: string, mode = 0o600): void {
    const draft = this.#draft(text, mode);
    for (let attempt = 1; ; attempt++) {
      try {
        renameSync(draft, join(this.dir, name));
        return;
      } catch (error) {
        // Windows refuses to replace a file another process has open (a klear-token reading
        // it): that passes within milliseconds.
        if (!posix && attempt < WINDOWS_RENAME_TRIES && BUSY.has(codeOf(error))) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        rmSync(draft, { force: true });
        throw diskError(error, this.dir);
      }
    }
  }
}

/** Whether a process with this PID still runs (one of another user counts as running). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

function diskError(error: unknown, where: string): ActionError {
  const code = codeOf(error) || 'unknown';
  return new ActionError(
    `Could not write the job folder of keep-fresh: job under '${where}' (${code}). Check the runner's disk and RUNNER_TEMP: a self-hosted runner's work folder must be writable by its user and have room.`
  );
}

/** A string in single quotes for sh: nothing inside is expanded. */
function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function shLauncher(node: string, bundle: string, dir: string): string {
  // Git Bash on Windows takes C:/x where a backslash would be an escape elsewhere.
  const path = (p: string) => shQuote(posix ? p : p.replaceAll('\\', '/'));
  return `#!/bin/sh
# klear-token: a fresh KlearStack access token for this job (klear-token-action, keep-fresh: job).
node=${path(node)}
bundle=${path(bundle)}
if [ ! -x "$node" ]; then
  echo "klear-token: the runner's Node.js ($node), which started the KlearStack step, is gone: the runner was updated or moved during the job. Mint again with the KlearStack step in this job." >&2
  exit 1
fi
if [ ! -f "$bundle" ]; then
  echo "klear-token: the KlearStack action's files ($bundle) are gone from the runner. Mint again with the KlearStack step in this job." >&2
  exit 1
fi
exec "$node" "$bundle" klear-token ${path(dir)} "$@"
`;
}

function cmdLauncher(node: string, bundle: string, dir: string): string {
  // In a .cmd file % starts a variable even inside quotes.
  const q = (p: string) => `"${p.replaceAll('%', '%%')}"`;
  return `@echo off\r
rem klear-token: a fresh KlearStack access token for this job (klear-token-action, keep-fresh: job).\r
if not exist ${q(node)} goto nonode\r
if not exist ${q(bundle)} goto nobundle\r
${q(node)} ${q(bundle)} klear-token ${q(dir)} %*\r
exit /b %ERRORLEVEL%\r
:nonode\r
>&2 echo klear-token: the runner's Node.js, which started the KlearStack step, is gone: the runner was updated or moved during the job. Mint again with the KlearStack step in this job.\r
exit /b 1\r
:nobundle\r
>&2 echo klear-token: the KlearStack action's files are gone from the runner. Mint again with the KlearStack step in this job.\r
exit /b 1\r
`;
}
