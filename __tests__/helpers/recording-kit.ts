// main() in this process with a kit that records every call in order, and deps that never wait.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { MainDeps } from '../../src/main.ts';
import type { Toolkit } from '../../src/publish.ts';

/** The kit's calls, in order: what the step wrote where. */
export function recordingKit(): { kit: Toolkit; calls: [string, ...string[]][] } {
  const calls: [string, ...string[]][] = [];
  const record =
    (name: string) =>
    (...args: string[]) =>
      void calls.push([name, ...args]);
  const kit: Toolkit = {
    info: record('info'),
    warning: record('warning'),
    error: record('error'),
    debug: record('debug'),
    setSecret: record('setSecret'),
    setOutput: record('setOutput'),
    exportVariable: record('exportVariable'),
    setFailed: record('setFailed')
  };
  return { kit, calls };
}

/** Everything else main() needs: backoffs that do not wait, the real clocks, `dir` for files. */
export function stepDeps(kit: Toolkit, dir: string): MainDeps {
  return {
    kit,
    summary: () => {},
    sleep: async () => {},
    random: () => 0.5,
    clock: { wall: Date.now, monotonic: () => performance.now() },
    flushLog: async () => {},
    tempDir: dir,
    workspace: dir,
    // No cancel comes: these steps are plain.
    signals: new EventEmitter(),
    env: process.env,
    job: {
      node: process.execPath,
      bundle: join(dir, 'index.js'),
      saveState: () => {},
      addPath: () => {}
    }
  };
}
