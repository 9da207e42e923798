// A jest reporter for what a person or CI reads at the end of `npm test`:
// - while a test file runs long, a line at least every 30 s naming it, so the run never looks hung
//   (the default reporter prints a file only when it ends, and e2e-lifecycle takes two minutes);
// - each group of tests skipped for want of a program, or of something the machine cannot do, with
//   the reason and the one apt-get command that installs what was missing (the tests write their
//   skips through __tests__/helpers/needs.ts into the file this reporter names);
// - last, the plain "N passed, N failed" line that CI systems read to tell a run that tested
//   something from one that tested nothing.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AggregatedResult, Config, Test, TestResult } from '@jest/reporters';

const QUIET_MS = 30_000;

/** One group of tests not run, as __tests__/helpers/needs.ts writes it. */
export interface Skip {
  /** The test file, relative to the repository. */
  file: string;
  /** The skipped describe block's title. */
  title: string;
  reason: string;
  /** Debian packages that would let it run. */
  packages: string[];
}

export default class ClosingLineReporter {
  readonly root: string;
  /** With -t, tests left out by name count as skipped too: those need no reason. */
  readonly filtered: boolean;
  readonly skipsFile: string;
  write = (text: string): void => void process.stdout.write(text);
  now = Date.now;
  #running = new Map<string, number>();
  /** Skipped tests by file and outermost describe title. */
  #pending = new Map<string, number>();
  #lastLine: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    globalConfig: Partial<Config.GlobalConfig> = {},
    options: { skipsFile?: string } = {}
  ) {
    this.root = globalConfig.rootDir ?? process.cwd();
    this.filtered = Boolean(globalConfig.testNamePattern);
    // Named before the workers start, so they inherit it (a test of this class gives its own).
    this.skipsFile =
      options.skipsFile ??
      (process.env.KLEAR_TEST_SKIPS = join(tmpdir(), `klear-test-skips-${process.pid}.jsonl`));
    rmSync(this.skipsFile, { force: true });
  }

  onTestFileStart(test: Pick<Test, 'path'>): void {
    this.#running.set(test.path, this.now());
    this.#lastLine ??= this.now();
    this.#timer ??= setInterval(() => this.sayStillRunning(), QUIET_MS / 3).unref();
  }

  onTestFileResult(
    test: Pick<Test, 'path'>,
    result: { testResults: Pick<TestResult['testResults'][number], 'status' | 'ancestorTitles'>[] }
  ): void {
    this.#running.delete(test.path);
    this.#lastLine = this.now();
    for (const assertion of result.testResults) {
      if (assertion.status !== 'pending') continue;
      const key = `${relative(this.root, test.path)}\0${assertion.ancestorTitles[0] ?? ''}`;
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
    }
  }

  sayStillRunning(): void {
    const now = this.now();
    if (this.#running.size === 0 || now - (this.#lastLine ?? now) < QUIET_MS) return;
    this.#lastLine = now;
    const files = [...this.#running].map(
      ([path, start]) => `${relative(this.root, path)} (${Math.round((now - start) / 1000)} s)`
    );
    this.write(`Still running: ${files.join(', ')}\n`);
  }

  onRunComplete(
    _contexts: unknown,
    results: Pick<
      AggregatedResult,
      'numPassedTests' | 'numFailedTests' | 'numPendingTests' | 'numTodoTests'
    >
  ): void {
    clearInterval(this.#timer);
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    const lines = [...this.#skipLines(skipped), skipped ? `${line}, ${skipped} skipped` : line];
    this.write(`${lines.join('\n')}\n`);
  }

  /** The closing lines about what was skipped and why. */
  #skipLines(skipped: number): string[] {
    const skips = new Map<string, Skip>();
    try {
      for (const text of readFileSync(this.skipsFile, 'utf8').split('\n').filter(Boolean)) {
        const skip = JSON.parse(text) as Skip;
        skips.set(`${skip.file}\0${skip.title}`, skip);
      }
    } catch {
      // No test recorded a skip.
    }
    rmSync(this.skipsFile, { force: true });
    let explained = 0;
    const lines = [...skips].map(([key, { file, title, reason }]) => {
      const count = this.#pending.get(key) ?? 0;
      explained += count;
      return `  ${file}, "${title}": ${count} ${count === 1 ? 'test' : 'tests'} not run: ${reason}`;
    });
    if (skipped > explained && !this.filtered) {
      lines.push(
        `  ${skipped - explained} more skipped in the test files themselves (it.skip / describe.skip)`
      );
    }
    if (lines.length === 0) return [];
    const packages = [...new Set([...skips.values()].flatMap(skip => skip.packages))];
    const install = `To run them, install: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
    return ['Not run here:', ...lines, ...(packages.length ? [install] : [])];
  }
}
