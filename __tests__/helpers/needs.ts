// Tests that need something besides Node — a program (a real proxy, gateway, ...) or a power of
// the machine (mounting a tmpfs) — are skipped where it is missing, and the reason is written
// where dev/closing-line-reporter.ts reads it, so that `npm test` ends by naming what it did not
// run, why, and the one command that installs what was missing. Under CI (CI=true) a missing
// program fails the file instead: .ci/run installs every one, so a skip there would hide a broken
// install.
import { describe, expect } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Skip } from '../../dev/closing-line-reporter.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOLDERS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Program → Debian package, from .ci/run's `for tool in program:package …` line: one list for both. */
export function ciPackages(
  ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
): Map<string, string> {
  const line = /^for tool in (.+); do$/m.exec(ciRun);
  if (!line)
    throw new Error(".ci/run no longer lists its programs as 'for tool in program:package …; do'.");
  return new Map(line[1].split(/\s+/).map(pair => pair.split(':') as [string, string]));
}

/** Where `name` is installed, from the folders Debian's packages put programs in. */
export function findProgram(name: string): string | undefined {
  return FOLDERS.map(folder => join(folder, name)).find(path => existsSync(path));
}

/** The skip of `title` for want of `missing`, or an error when CI should have installed them. */
export function skipFor(
  title: string,
  missing: string[],
  env: NodeJS.ProcessEnv = process.env,
  packages = ciPackages()
): Skip {
  const file = relative(ROOT, expect.getState().testPath ?? 'unknown');
  const wanted = missing.map(program => {
    const known = packages.get(program);
    if (!known) throw new Error(`${program} is not in .ci/run's list of programs: add it there.`);
    return known;
  });
  if (env.CI === 'true') throw brokenInstall(file, title, missing, wanted);
  return { file, title, reason: `needs ${missing.join(' and ')}`, packages: [...new Set(wanted)] };
}

function brokenInstall(file: string, title: string, missing: string[], wanted: string[]): Error {
  return new Error(
    `${file}: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing, so "${title}" cannot run; CI installs ${wanted.join(' ')} (.ci/run), so this is a broken install, not a skip.`
  );
}

/** Writes the skip where the closing-line reporter reads it (nowhere when jest runs without it). */
export function recordSkip(skip: Skip, env: NodeJS.ProcessEnv = process.env): void {
  // Named by the closing-line reporter in jest's own process; the test workers inherit it.
  const file = env.KLEAR_TEST_SKIPS;
  if (file) appendFileSync(file, `${JSON.stringify(skip)}\n`);
}

/** `describe` when every program is installed; otherwise a skip that says why. */
export function describeNeeding(programs: string[]): typeof describe {
  const missing = programs.filter(program => !findProgram(program));
  if (missing.length === 0) return describe;
  return ((title: string, body: () => void) => {
    recordSkip(skipFor(title, missing));
    describe.skip(title, body);
  }) as typeof describe;
}

/**
 * `describe` when none of these Debian packages is missing; otherwise a skip that names them (or,
 * under CI, a failure). For what no program on the PATH shows, such as Python modules: the caller
 * finds them missing its own way (dev/klearstack.ts, missingPackages).
 */
export function describeWithPackages(
  missing: string[],
  env: NodeJS.ProcessEnv = process.env
): typeof describe {
  if (missing.length === 0) return describe;
  return ((title: string, body: () => void) => {
    const file = relative(ROOT, expect.getState().testPath ?? 'unknown');
    if (env.CI === 'true') throw brokenInstall(file, title, missing, missing);
    recordSkip({ file, title, reason: `needs ${missing.join(' and ')}`, packages: missing });
    describe.skip(title, body);
  }) as typeof describe;
}

/** `describe` unless `reason` (something the machine cannot do) is given; then a skip that says it. */
export function describeUnless(reason: string | undefined): typeof describe {
  if (!reason) return describe;
  return ((title: string, body: () => void) => {
    const file = relative(ROOT, expect.getState().testPath ?? 'unknown');
    recordSkip({ file, title, reason, packages: [] });
    describe.skip(title, body);
  }) as typeof describe;
}
