/**
 * The post step (`runs.post`, `post-if: always()`): with keep-fresh: job it removes the job folder
 * and says how many tokens the job minted, in the log and the job summary. Without it, the main
 * step left no folder's path in the state, and this does nothing and prints nothing.
 */
import { JobFolder } from './folder.ts';
import { messageOf } from '../errors.ts';
import type { Toolkit } from '../publish.ts';

export function post(
  dir: string,
  kit: Pick<Toolkit, 'info' | 'warning'>,
  summary: (markdown: string) => void
): void {
  if (!dir) return;
  let folder: JobFolder;
  try {
    folder = JobFolder.open(dir);
  } catch (error) {
    kit.warning(`Nothing to clean up: ${messageOf(error)}`);
    return;
  }
  let mints: number | undefined;
  try {
    mints = folder.readToken().mints;
  } catch {
    // Counted only when the record can be read; the folder goes either way.
  }
  folder.remove();
  const count =
    mints === undefined
      ? 'an unknown number of KlearStack access tokens (the folder was damaged)'
      : `${mints} KlearStack access ${mints === 1 ? 'token' : 'tokens'}`;
  kit.info(`Removed the klear-token job folder. This job minted ${count}.`);
  summary(
    `### KlearStack access tokens of this job\n\nThis job minted ${count} (keep-fresh: job).\n`
  );
}
