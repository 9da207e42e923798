/**
 * Run mode's private folder under RUNNER_TEMP (a fresh name, 0700): the token file, the script and
 * the command's output pipes. It is made, and its disk checked, before any token is minted: a token
 * minted only to fail writing it is thrown away, and each retry would mint another.
 */
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionError, codeOf } from '../errors.ts';

/** A page: what the token file takes on any file system, so a probe this size finds a full disk. */
const PROBE_BYTES = 4096;

/**
 * Makes run mode's folder in `tempDir` (RUNNER_TEMP) and checks that it can hold the token file,
 * or throws the sentence that says why not; nothing is left behind then. A file is written and
 * removed rather than permissions read: only a write finds a full disk, a read-only mount, or a
 * quota, and root passes every permission check. The file goes in the folder made for it, as the
 * token file does: a name known in advance would let anyone who can write to RUNNER_TEMP plant a
 * link there and have the probe overwrite what it points to.
 */
export function makeRunFolder(tempDir: string): string {
  let problem = '';
  let folder = '';
  try {
    if (!statSync(tempDir).isDirectory()) problem = 'is not a directory';
    else {
      folder = mkdtempSync(join(tempDir, 'klear-token-'));
      const probe = join(folder, 'probe');
      writeFileSync(probe, Buffer.alloc(PROBE_BYTES), { mode: 0o600, flag: 'wx' });
      unlinkSync(probe);
    }
  } catch (error) {
    if (folder) rmSync(folder, { recursive: true, force: true });
    const code = codeOf(error) || 'unknown';
    problem = code === 'ENOENT' ? 'does not exist' : `cannot be used: ${diskTrouble(code)}`;
  }
  if (problem) {
    throw new ActionError(
      `The runner's temporary directory RUNNER_TEMP ('${tempDir}') ${problem}, so run mode has nowhere to keep the token file; nothing was minted. Check the runner's disk and RUNNER_TEMP (a self-hosted runner's work folder must be writable by its user).`
    );
  }
  return folder;
}

/** The same check for a step that keeps no folder of its own here (keep-fresh: job, before its mint). */
export function checkTempDir(tempDir: string): void {
  rmSync(makeRunFolder(tempDir), { recursive: true, force: true });
}

/**
 * A write under RUNNER_TEMP that failed, named as the runner's disk: a full disk (the usual cause on
 * a long-lived self-hosted runner) clears once space is freed, so it counts as passing.
 */
export function diskError(error: unknown, tempDir: string): ActionError {
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
