// `npm run bench` is not part of `npm test` (its figures are the point, and they take a minute),
// but it must not rot: these run it for a couple of rounds and hold it to what it reports and to
// refusing a contender that does the wrong thing fast.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';

const ROOT = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'klear-bench-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Results {
  contenders: Record<string, string>;
  ratioTo: Record<string, string>;
  wallMs: Record<string, { median: number }>;
  wallRatio: Record<string, { median: number }>;
  maxRssKiB: Record<string, { median: number }>;
  bundleBytes: number;
  runMode: Record<string, { requests: number; failedRequests: number; cpuMs: number }>;
  relay: {
    blockBytes: number;
    throughActionMs: number;
    throughCatMs: number;
    throughCopierMs: number;
    actionCpuMs: number;
    actionCpuMsWithoutOutput: number;
    ratioToCopier: number;
    ratioToCopierRange: [number, number];
    rounds: number;
  }[];
  met: Record<string, boolean>;
}

async function bench(...args: string[]) {
  return promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'dev', 'bench.ts'),
      '--rounds',
      '2',
      '--warmup',
      '0',
      '--memory-rounds',
      '1',
      '--relay-megabytes',
      '2',
      '--relay-rounds',
      '3',
      // Its Node-agent case waits 13 s on a silent proxy: run by npm run bench, not here.
      '--proxy-rounds',
      '0',
      ...args
    ],
    { cwd: ROOT, timeout: 120_000 }
  );
}

describe('npm run bench', () => {
  it('measures every contender, and each --compare build, over http and https and writes the figures', async () => {
    const out = join(scratch, 'results.json');
    const { stdout } = await bench('--out', out, '--compare', join(ROOT, 'dist', 'index.js'));
    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;

    expect(Object.keys(results.contenders).sort()).toEqual(
      [
        'action',
        'actionOverHttps',
        'compare1',
        'compare1OverHttps',
        'floor',
        'floorEsm',
        'floorHttps',
        'floorOverHttps',
        'minimal',
        'minimalOverHttps',
        'node',
        'precompiled',
        'precompiledOverHttps',
        'startup'
      ].sort()
    );
    // Each https contender is divided by the https floor, every other by the plain one.
    expect(results.ratioTo).toMatchObject({
      action: 'floor',
      startup: 'floor',
      actionOverHttps: 'floorOverHttps',
      compare1: 'floor',
      compare1OverHttps: 'floorOverHttps',
      minimal: 'floor',
      minimalOverHttps: 'floorOverHttps',
      precompiled: 'floor',
      precompiledOverHttps: 'floorOverHttps'
    });
    for (const key of Object.keys(results.contenders)) {
      expect(results.wallMs[key].median).toBeGreaterThan(0);
      expect(results.maxRssKiB[key].median).toBeGreaterThan(0);
    }
    expect(results.wallRatio.floor.median).toBe(1);
    expect(results.wallRatio.floorOverHttps.median).toBe(1);
    expect(results.bundleBytes).toBe(statSync(join(ROOT, 'dist', 'index.js')).size);
    expect(typeof results.met.time).toBe('boolean');
    expect(stdout).toContain('| Whole step ≤ 1.20× the floor |');
    expect(typeof results.met.timeOverHttps).toBe('boolean');
    expect(stdout).toContain('| Whole step over https ≤ 1.10× the floor over https |');
    expect(stdout).toContain(
      '| (Bound: whole step with its JavaScript compiled in advance, over http / https) |'
    );
    // Run mode's day: one refresh per 10-minute interval, 24 × 6 of them.
    expect(results.runMode['fifteen-minute tokens, refresh-interval 10m']).toMatchObject({
      requests: 144,
      failedRequests: 0
    });
    expect(stdout).toContain('| Run mode, per simulated 24 h | Token requests |');
    // The relay, for a block writer and a writer of pieces: each run read all the command wrote.
    expect(results.relay.map(run => run.blockBytes)).toEqual([8192, 0]);
    for (const run of results.relay) {
      expect(run.throughActionMs).toBeGreaterThan(0);
      expect(run.throughCatMs).toBeGreaterThan(0);
      expect(run.throughCopierMs).toBeGreaterThan(0);
      expect(run.actionCpuMs).toBeGreaterThan(0);
      expect(run.actionCpuMsWithoutOutput).toBeGreaterThan(0);
      // The target's ratio is the median of the rounds' own, within their range.
      expect(run.rounds).toBe(3);
      expect(run.ratioToCopierRange[0]).toBeLessThanOrEqual(run.ratioToCopier);
      expect(run.ratioToCopierRange[1]).toBeGreaterThanOrEqual(run.ratioToCopier);
    }
    expect(stdout).toContain('| Run mode relay, 2 MB of mixed lines |');
    expect(stdout).toMatch(/\| \d\.\d+× \(\d\.\d+–\d\.\d+, 3 rounds\); /);
    expect(typeof results.met.relay).toBe('boolean');
    expect(stdout).toContain(
      '| Run mode relays 2 MB ≤ 1.10× a Node copier, 8 KiB writes / a write per piece |'
    );
    // About 16 s alone; the suite runs beside others on two cores.
  }, 90_000);

  it('leaves the checkout clean unless asked to save: bench-results.json is written only with --save', async () => {
    const saved = join(ROOT, 'bench-results.json');
    const before = { text: readFileSync(saved, 'utf8'), mtimeMs: statSync(saved).mtimeMs };
    const { stdout } = await bench('--rounds', '1', '--relay-megabytes', '1');
    expect(stdout).toContain('Figures not saved: --save writes them to bench-results.json.');
    expect({ text: readFileSync(saved, 'utf8'), mtimeMs: statSync(saved).mtimeMs }).toEqual(before);
  }, 60_000);

  it('stops when a contender exits 0 without getting the token', async () => {
    const idle = join(scratch, 'idle.cjs');
    writeFileSync(idle, 'process.exitCode = 0;\n');
    await expect(bench('--bundle', idle, '--out', join(scratch, 'unused.json'))).rejects.toThrow(
      /action: expected one successful refresh, the stand-in saw \[\]/
    );
  });
});
