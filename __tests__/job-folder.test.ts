// The job folder (src/job/folder.ts): its modes, what it refuses to trust, and its locks.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { tempDirs } from './helpers/temp-dirs.ts';
import { JobFolder, type Settings, type TokenRecord } from '../src/job/folder.ts';
import { ActionError } from '../src/errors.ts';

const tempDir = tempDirs('klear-folder-');

const settings: Settings = {
  apiRoot: 'https://klear.example',
  timeoutMs: 30_000,
  maxAttempts: 3,
  caCertificate: '',
  envName: 'KLEAR_ACCESS_TOKEN',
  refreshIntervalMs: 600_000,
  credentials: {
    refreshToken: 'refresh.token.value',
    accessToken: '',
    companyName: 'acme-corp',
    username: '',
    password: ''
  }
};

const record: TokenRecord = {
  minted: { accessToken: 'a.b.c', releaseVersion: '7.8.9', method: 'refresh', attempts: 1 },
  arrived: { wall: 1_000, monotonic: 2_000 },
  mints: 1
};

const limits = { staleAfterMs: 60_000, holdFailureMs: 10_000 };
const mode = (path: string) => statSync(path).mode & 0o777;

/** A PID that is certainly not running: a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('the job folder', () => {
  it('is 0700 with its files 0600 and its launchers 0700', () => {
    const folder = JobFolder.create(tempDir());
    folder.writeSettings(settings);
    folder.writeToken(record);
    folder.writeLaunchers('/opt/node/bin/node', '/actions/klear/dist/index.js');

    expect(mode(folder.dir)).toBe(0o700);
    expect(mode(join(folder.dir, 'settings.json'))).toBe(0o600);
    expect(mode(join(folder.dir, 'token.json'))).toBe(0o600);
    expect(mode(join(folder.binDir, 'klear-token'))).toBe(0o700);
    expect(JobFolder.open(folder.dir).readSettings()).toEqual(settings);
    expect(JobFolder.open(folder.dir).readToken()).toEqual(record);
    // No draft is left behind.
    expect(readdirSync(folder.dir).sort()).toEqual(['bin', 'settings.json', 'token.json']);
  });

  it("writes launchers that run the runner's node on the bundle, with the folder first", () => {
    const folder = JobFolder.create(tempDir());
    folder.writeLaunchers("/opt/it's node/node", '/actions/dist/index.js');
    const sh = readFileSync(join(folder.binDir, 'klear-token'), 'utf8');
    expect(sh).toContain(`node='/opt/it'\\''s node/node'`);
    expect(sh).toContain(`exec "$node" "$bundle" klear-token '${folder.dir}' "$@"`);
    const cmd = readFileSync(join(folder.binDir, 'klear-token.cmd'), 'utf8');
    expect(cmd).toContain(
      `"/opt/it's node/node" "/actions/dist/index.js" klear-token "${folder.dir}" %*`
    );
  });

  it('says a launcher whose node has moved, in a sentence, with exit code 1', () => {
    const folder = JobFolder.create(tempDir());
    folder.writeLaunchers('/nowhere/node', '/nowhere/index.js');
    const ran = spawnSync(join(folder.binDir, 'klear-token'), { encoding: 'utf8' });
    expect(ran.status).toBe(1);
    expect(ran.stderr).toMatch(
      /^klear-token: the runner's Node\.js \(\/nowhere\/node\), which started the KlearStack step, is gone/
    );
  });

  it('says a folder that is gone', () => {
    const dir = join(tempDir(), 'klear-token-job-gone');
    expect(() => JobFolder.open(dir)).toThrow(
      /The job folder of the KlearStack step \('.*'\) is gone: the job has ended its post step/
    );
  });

  it('refuses a link in the folder’s place, a folder others can enter, and a linked file', () => {
    const base = tempDir();
    const real = mkdtempSync(join(base, 'real-'));
    const link = join(base, 'link');
    symlinkSync(real, link);
    expect(() => JobFolder.open(link)).toThrow(/is not a directory/);

    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    expect(() => JobFolder.open(open)).toThrow(/can be read or entered by other users/);

    const folder = JobFolder.create(base);
    writeFileSync(join(base, 'elsewhere.json'), JSON.stringify(record));
    symlinkSync(join(base, 'elsewhere.json'), join(folder.dir, 'token.json'));
    expect(() => folder.readToken()).toThrow(ActionError);
    expect(() => folder.readToken()).toThrow(/has no readable token\.json \(ELOOP\)/);
  });

  describe('its lock', () => {
    it('goes to one caller; the others find it held', () => {
      const folder = JobFolder.create(tempDir());
      expect(folder.claim(1, 0, limits)).toEqual({ kind: 'mine', name: 'lock-1-0' });
      expect(folder.claim(1, 0, limits)).toEqual({ kind: 'held' });
    });

    it('passes a holder that has died, by the next try’s file', () => {
      const folder = JobFolder.create(tempDir());
      writeFileSync(join(folder.dir, 'lock-1-0'), JSON.stringify({ pid: deadPid(), at: 0 }));
      expect(folder.claim(1, 1, limits)).toEqual({ kind: 'mine', name: 'lock-1-1' });
    });

    it('passes a living holder that has held it past the stale limit', () => {
      const folder = JobFolder.create(tempDir());
      folder.claim(1, 0, limits);
      expect(folder.claim(1, limits.staleAfterMs - 1, limits)).toEqual({ kind: 'held' });
      expect(folder.claim(1, limits.staleAfterMs, limits)).toEqual({
        kind: 'mine',
        name: 'lock-1-1'
      });
    });

    it('answers with a failure for a while, then lets the next caller try again', () => {
      const folder = JobFolder.create(tempDir());
      folder.claim(1, 0, limits);
      folder.fail('lock-1-0', 'KlearStack answered 503.', 100);
      expect(folder.claim(1, 100 + limits.holdFailureMs - 1, limits)).toEqual({
        kind: 'failed',
        message: 'KlearStack answered 503.'
      });
      expect(folder.claim(1, 100 + limits.holdFailureMs, limits)).toEqual({
        kind: 'mine',
        name: 'lock-1-1'
      });
    });

    it('is released for a generation once its token is written, and is not one of the next', () => {
      const folder = JobFolder.create(tempDir());
      folder.claim(1, 0, limits);
      folder.release(1);
      expect(readdirSync(folder.dir)).toEqual([]);
      expect(folder.claim(2, 0, limits)).toEqual({ kind: 'mine', name: 'lock-2-0' });
    });
  });

  it('is removed whole', () => {
    const folder = JobFolder.create(tempDir());
    folder.writeToken(record);
    folder.writeLaunchers('/node', '/bundle');
    folder.remove();
    expect(() => JobFolder.open(folder.dir)).toThrow(/is gone/);
  });
});
