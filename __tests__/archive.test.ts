import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runAction } from '../dev/runner.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';

// What every job downloads for `uses: org/klear-token-action@<ref>`: GitHub's archive of the ref,
// which honours .gitattributes' export-ignore as `git archive` does. The action must run from it
// alone, so a runtime file left out by export-ignore fails here.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT }).toString('utf8').trim();
// The tracked files as they are now (`git stash create` records them without touching anything),
// so a change is tried before it is committed; on a clean checkout, HEAD itself.
const tree = git('stash', 'create') || 'HEAD';
const MAX_DOWNLOAD_BYTES = 48 * 1024;

let dir: string;
let standIn: StandIn;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'klear-archive-'));
  execFileSync('tar', ['-x', '-C', dir], {
    input: execFileSync('git', ['archive', tree], { cwd: ROOT })
  });
  standIn = await startStandIn();
});

afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the archive the runner downloads', () => {
  it('holds only what the runner runs, the licence and the README', () => {
    expect(listArchive()).toEqual([
      'LICENSE',
      'README.md',
      'action.yml',
      'dist/',
      'dist/index.js',
      'dist/licenses.txt',
      'dist/package.json'
    ]);
  });

  it(`is at most ${MAX_DOWNLOAD_BYTES / 1024} KiB gzipped`, () => {
    const archive = execFileSync('git', ['archive', tree], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024
    });
    const size = gzipSync(archive).length;
    console.log(
      `download: ${(size / 1024).toFixed(1)} KiB gzipped (${(archive.length / 1024).toFixed(1)} KiB as tar)`
    );
    expect(size).toBeLessThanOrEqual(MAX_DOWNLOAD_BYTES);
  });

  it('runs the action from the archive alone: plain mode', async () => {
    const result = await runAction({
      actionDir: dir,
      inputs: {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 })
      }
    });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['access-token']).toBe(standIn.requests.at(-1)?.issuedAccessToken);
    expect(result.leaks).toEqual([]);
  });

  it('runs the action from the archive alone: run mode', async () => {
    const result = await runAction({
      actionDir: dir,
      inputs: {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 }),
        run: 'test "$(cat "$KLEAR_ACCESS_TOKEN_FILE")" = "$KLEAR_ACCESS_TOKEN" && echo "token file read"'
      }
    });
    expect(result.exitCode).toBe(0);
    expect(result.log.split('\n')).toContain('token file read');
    expect(result.leaks).toEqual([]);
  });
});

function listArchive(): string[] {
  return execFileSync('tar', ['-t'], {
    input: execFileSync('git', ['archive', tree], { cwd: ROOT })
  })
    .toString('utf8')
    .trim()
    .split('\n')
    .sort();
}
