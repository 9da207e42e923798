// Run mode's token file on a real disk that is full or read-only: a tmpfs of a few pages mounted
// as RUNNER_TEMP, as a self-hosted runner's small or full work disk would be. Mounting needs root
// (CI runs as root); where it is refused, this file says so and runs none of its cases.
import { afterEach, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../dev/runner.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { untilFile, untilTokenFileChanges } from './helpers/awaited.ts';
import { describeUnless } from './helpers/needs.ts';

const WEEK = 7 * 86400;
const mounts: string[] = [];
const opened: StandIn[] = [];

/** A tmpfs of `size` at a new folder, or undefined when this machine refuses the mount. */
function tmpfs(size: string, readOnly = false): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'klear-disk-'));
  const options = `size=${size},mode=1777${readOnly ? ',ro' : ''}`;
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

const withMount = describeUnless(
  tmpfs('4k')
    ? undefined
    : 'this machine refuses to mount a tmpfs (it needs root, or a container allowed to mount)'
);

afterEach(async () => {
  await Promise.all(opened.splice(0).map(standIn => standIn.close()));
  for (const dir of mounts.splice(0)) {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function klear(onRequest?: () => void): Promise<StandIn> {
  const standIn = await startStandIn({ onRequest });
  opened.push(standIn);
  return standIn;
}

/** Run mode with `runnerTemp` as RUNNER_TEMP, for a disk that should refuse it before any mint. */
async function refusedBy(runnerTemp: string) {
  const standIn = await klear();
  const result = await runAction({
    inputs: {
      'base-url': standIn.url,
      'company-name': standIn.companyName,
      'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
      run: 'echo never'
    },
    env: { RUNNER_TEMP: runnerTemp }
  });
  expect(result.log).not.toContain('never');
  return { standIn, result };
}

withMount('RUNNER_TEMP on a disk that cannot take the token file', () => {
  it('a full disk is refused before anything is minted, naming it', async () => {
    const runnerTemp = tmpfs('64k') as string;
    spawnSync('dd', ['if=/dev/zero', `of=${join(runnerTemp, 'fill')}`, 'bs=4k']);
    const { standIn, result } = await refusedBy(runnerTemp);

    expect(result.exitCode).toBe(1);
    expect(standIn.requests).toEqual([]);
    expect(result.errors).toEqual([
      `The runner's temporary directory RUNNER_TEMP ('${runnerTemp}') cannot be used: the runner's disk is full (ENOSPC), so run mode has nowhere to keep the token file; nothing was minted. Check the runner's disk and RUNNER_TEMP (a self-hosted runner's work folder must be writable by its user).`
    ]);
    // Run mode's folder, made before the check's write failed, is gone with it.
    expect(readdirSync(runnerTemp)).toEqual(['fill']);
  });

  it('a read-only disk is refused before anything is minted, even for root', async () => {
    const runnerTemp = tmpfs('64k', true) as string;
    const { standIn, result } = await refusedBy(runnerTemp);

    expect(result.exitCode).toBe(1);
    expect(standIn.requests).toEqual([]);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /RUNNER_TEMP \('.*'\) cannot be used: the disk is read-only \(EROFS\), so run mode/
      )
    ]);
  });

  it('a disk that fills mid-run: one warning naming it, no mint per retry, and the token written once there is room', async () => {
    const runnerTemp = tmpfs('1m') as string;
    const probe = mkdtempSync(join(tmpdir(), 'klear-disk-probe-'));
    const arrivals: number[] = [];
    // The command moves on at what the stand-in saw rather than after fixed sleeps: the mint while the
    // disk is full, then the two refreshes after it was freed.
    const written = (name: string) =>
      existsSync(join(probe, name)) ? Number(readFileSync(join(probe, name), 'utf8')) : Infinity;
    const standIn = await klear(() => {
      const at = Date.now();
      arrivals.push(at);
      if (at > written('full')) writeFileSync(join(probe, 'minted-while-full'), '');
      const freed = written('freed');
      if (arrivals.filter(arrival => arrival > freed).length === 2) {
        writeFileSync(join(probe, 'refreshed-after'), '');
      }
    });
    const fill = join(runnerTemp, 'fill');
    const result = await runAction({
      inputs: {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'refresh-token': standIn.mintRefreshToken({ expiresIn: WEEK }),
        'refresh-interval': '1s',
        run: [
          // Filled just after a refresh was written, a second before the next is due.
          untilTokenFileChanges(),
          `dd if=/dev/zero of="${fill}" bs=4k 2>/dev/null || true`,
          `date +%s%3N > "${probe}/full.next" && mv "${probe}/full.next" "${probe}/full"`,
          untilFile(`"${probe}/minted-while-full"`),
          // Long enough for write retries (1, 2 s with jitter): none of them may mint.
          'sleep 3',
          `rm "${fill}"`,
          `date +%s%3N > "${probe}/freed.next" && mv "${probe}/freed.next" "${probe}/freed"`,
          // The write retries back off 1, 2, 4 s (with jitter): once there is room the token is
          // written and the refreshes every second resume.
          untilFile(`"${probe}/refreshed-after"`),
          'echo "file holds a token: $(test -s "$KLEAR_ACCESS_TOKEN_FILE" && echo yes)"'
        ].join('\n')
      },
      env: { RUNNER_TEMP: runnerTemp },
      timeoutMs: 60_000
    });
    const full = Number(readFileSync(join(probe, 'full'), 'utf8'));
    const freed = Number(readFileSync(join(probe, 'freed'), 'utf8'));
    rmSync(probe, { recursive: true, force: true });

    expect(result.exitCode).toBe(0);
    // Refreshed every second while there was room; while the disk was full, the one mint whose
    // token could not be written, and no other: that token lives for 15 minutes.
    expect(arrivals.filter(at => at > full && at < freed)).toHaveLength(1);
    expect(arrivals.filter(at => at > freed).length).toBeGreaterThanOrEqual(2);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Refreshed the KlearStack access token but could not hand it to the command\\. Could not write run mode's token file under RUNNER_TEMP \\('${runnerTemp}'\\): the runner's disk is full \\(ENOSPC\\)\\. .* The new token is written again in \\d+ s, without minting another; the command keeps running with the current token\\.$`
        )
      )
    ]);
    expect(result.log).toMatch(
      /Refreshed the KlearStack access token \(refresh\) after \d+ failed attempts?/
    );
    expect(result.log.split('\n')).toContain('file holds a token: yes');
  }, 70_000);
});
