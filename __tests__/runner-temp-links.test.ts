// Files run mode makes under RUNNER_TEMP never follow a link planted there: anyone who can write
// to RUNNER_TEMP could otherwise have the action overwrite what the link points to.
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTempDir } from '../src/run/folder.ts';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'klear-links-'));
  temps.push(dir);
  return dir;
}

describe('the disk check of RUNNER_TEMP, before anything is minted', () => {
  it.each([
    ['an existing file', true],
    ['a file not yet there', false]
  ])(
    'writes nothing through a link to %s planted at the name it once used (.klear-token-probe-<pid>)',
    (_case, exists) => {
      const runnerTemp = tempDir();
      const elsewhere = tempDir();
      const target = join(elsewhere, 'precious');
      if (exists) writeFileSync(target, 'precious');
      const link = join(runnerTemp, `.klear-token-probe-${process.pid}`);
      symlinkSync(target, link);

      checkTempDir(runnerTemp);

      expect(readdirSync(elsewhere)).toEqual(exists ? ['precious'] : []);
      if (exists) expect(readFileSync(target, 'utf8')).toBe('precious');
      // The link is left alone, and the check leaves nothing of its own behind.
      expect(readdirSync(runnerTemp)).toEqual([`.klear-token-probe-${process.pid}`]);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
    }
  );
});
