// The peak-RSS probe the benchmarks and the memory test preload (dev/peak-rss.ts) reports the
// child's own peak, not the high-water mark it inherits from the process that started it.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { OWN_PEAK_RSS_KIB } from '../dev/peak-rss.ts';

const report = (expression: string) =>
  Number(execFileSync(process.execPath, ['-p', expression], { encoding: 'utf8' }).trim()) / 1024;

describe('OWN_PEAK_RSS_KIB', () => {
  it('reads a child started by a process holding 256 MiB as its own size, where maxRSS does not', () => {
    const held = Buffer.alloc(256 * 1024 * 1024, 1);
    const inherited = report('process.resourceUsage().maxRSS');
    const own = report(OWN_PEAK_RSS_KIB);
    expect(held[held.length - 1]).toBe(1);
    // Linux, where the tests run: the kernel carries the parent's high-water mark across exec.
    expect(inherited).toBeGreaterThan(256);
    // A bare Node process peaks near 40 MiB.
    expect(own).toBeGreaterThan(10);
    expect(own).toBeLessThan(128);
  });
});
