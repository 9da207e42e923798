// What `npm test` ends with: the groups it did not run, why, and the command that installs what
// they lacked, then the plain "N passed, N failed" line; and while a long file runs, a line at
// least every 30 s. The reporter is driven here as jest drives it, with made-up results.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import ClosingLineReporter from '../dev/closing-line-reporter.ts';
import { ciPackages, describeWithPackages, recordSkip, skipFor } from './helpers/needs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const scratch = mkdtempSync(join(tmpdir(), 'klear-reporter-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Status = 'passed' | 'failed' | 'pending';

/** A reporter writing into `out`, with a clock the test moves. */
function reporter(name: string, globalConfig: Record<string, unknown> = {}) {
  const skipsFile = join(scratch, `${name}.jsonl`);
  const instance = new ClosingLineReporter({ rootDir: ROOT, ...globalConfig }, { skipsFile });
  const out: string[] = [];
  let now = 0;
  instance.write = (text: string) => void out.push(text);
  instance.now = () => now;
  const file = (path: string, results: [string, Status][]) => {
    const test = { path: join(ROOT, path) };
    instance.onTestFileStart(test);
    instance.onTestFileResult(test, {
      testResults: results.map(([title, status]) => ({ ancestorTitles: [title], status }))
    });
  };
  const finish = (passed: number, failed: number, pending: number) => {
    instance.onRunComplete(new Set(), {
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: pending,
      numTodoTests: 0
    });
    return out.join('').split('\n').slice(0, -1);
  };
  return {
    instance,
    out,
    file,
    finish,
    skipsFile,
    advance: (ms: number) => (now += ms)
  };
}

describe('the closing lines of npm test', () => {
  it('name each skipped group, its reason and the apt-get line, and end with N passed, N failed', () => {
    const run = reporter('skips');
    const env = { KLEAR_TEST_SKIPS: run.skipsFile };
    const skip = (file: string, title: string, reason: string, packages: string[]) =>
      recordSkip({ file, title, reason, packages }, env);
    skip('__tests__/gateways.test.ts', 'behind nginx', 'needs nginx', ['nginx']);
    skip('__tests__/proxies.test.ts', 'through squid 5', 'needs squid and htpasswd', [
      'squid',
      'apache2-utils'
    ]);
    run.file('__tests__/gateways.test.ts', [
      ['behind nginx', 'pending'],
      ['behind nginx', 'pending']
    ]);
    run.file('__tests__/proxies.test.ts', [
      ['through squid 5', 'pending'],
      ['a proxy that never answers', 'passed'],
      ['a proxy that never answers', 'pending']
    ]);

    expect(run.finish(1, 0, 4)).toEqual([
      'Not run here:',
      '  __tests__/gateways.test.ts, "behind nginx": 2 tests not run: needs nginx',
      '  __tests__/proxies.test.ts, "through squid 5": 1 test not run: needs squid and htpasswd',
      '  1 more skipped in the test files themselves (it.skip / describe.skip)',
      'To run them, install: sudo apt-get install -y --no-install-recommends nginx squid apache2-utils',
      '1 passed, 0 failed, 4 skipped'
    ]);
  });

  it('end with the plain line alone when nothing was skipped', () => {
    const run = reporter('clean');
    run.file('__tests__/claims.test.ts', [['claims', 'passed']]);
    expect(run.finish(1, 2, 0)).toEqual(['1 passed, 2 failed']);
  });

  it('do not call tests left out by -t unexplained skips', () => {
    const run = reporter('filtered', { testNamePattern: 'claims' });
    run.file('__tests__/claims.test.ts', [['claims', 'pending']]);
    expect(run.finish(0, 0, 1)).toEqual(['0 passed, 0 failed, 1 skipped']);
  });
});

describe('while a long file runs', () => {
  it('says which files are still running once 30 s pass without a line, and not before', () => {
    const run = reporter('quiet');
    run.instance.onTestFileStart({ path: join(ROOT, '__tests__/e2e-lifecycle.test.ts') });
    run.advance(29_000);
    run.instance.sayStillRunning();
    expect(run.out).toEqual([]);
    run.advance(2_000);
    run.instance.sayStillRunning();
    expect(run.out).toEqual(['Still running: __tests__/e2e-lifecycle.test.ts (31 s)\n']);
    run.advance(10_000);
    run.instance.sayStillRunning();
    expect(run.out).toHaveLength(1);
    run.finish(0, 0, 0);
  });
});

describe('a test that needs a program', () => {
  it("finds each program's Debian package in .ci/run's list", () => {
    const packages = ciPackages();
    expect(packages.get('nginx')).toBe('nginx');
    expect(packages.get('squid')).toBe('squid');
    expect(packages.get('tinyproxy')).toBe('tinyproxy');
    expect(packages.get('htpasswd')).toBe('apache2-utils');
  });

  it('with Debian packages found missing by the caller: describe itself, or a failure under CI=true', () => {
    expect(describeWithPackages([], { CI: 'true' })).toBe(describe);
    const missing = describeWithPackages(['python3-django', 'gunicorn'], { CI: 'true' });
    expect(() => missing('against Django', () => {})).toThrow(
      'python3-django and gunicorn are missing, so "against Django" cannot run; CI installs python3-django gunicorn (.ci/run), so this is a broken install, not a skip.'
    );
  });

  it('is a skip with its reason and package outside CI, and a failure under CI=true', () => {
    expect(skipFor('behind nginx', ['nginx'], {})).toEqual({
      file: '__tests__/closing-line-reporter.test.ts',
      title: 'behind nginx',
      reason: 'needs nginx',
      packages: ['nginx']
    });
    expect(() => skipFor('behind nginx', ['nginx'], { CI: 'true' })).toThrow(
      'nginx is missing, so "behind nginx" cannot run; CI installs nginx (.ci/run), so this is a broken install, not a skip.'
    );
  });
});
