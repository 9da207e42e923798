// Under a Node older than package.json's engines, `npm ci`, `npm run demo` and `npm test` must
// first say which Node is needed and how to get it (dev/need-node.cjs), not fail on a `.ts` file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { describeUnless } from './helpers/needs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHECK = join(ROOT, 'dev', 'need-node.cjs');
const SENTENCE =
  /^This repository needs Node 24 or later, and this is Node v20\.\d+\.\d+: fetch Node 24 and put it first on PATH with\n {2}export PATH="\$\(dirname "\$\(npx -y node@24 -p process\.execPath\)"\):\$PATH"\nthen run the command again\.\n$/;

const scratch = mkdtempSync(join(tmpdir(), 'klear-need-node-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the check on this Node, made to report `version` before the check reads it. */
function checkAs(version: string) {
  const preload = join(scratch, `as-${version}.cjs`);
  writeFileSync(
    preload,
    `Object.defineProperty(process, 'version', { value: 'v${version}' });\n` +
      `Object.defineProperty(process.versions, 'node', { value: '${version}' });\n`
  );
  return spawnSync(process.execPath, ['--require', preload, CHECK], { encoding: 'utf8' });
}

/** The machine's own node when it is older than 24 (Debian's is 20 here), else undefined. */
function olderSystemNode(): string | undefined {
  const probe = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return probe.status === 0 && Number(probe.stdout.split('.')[0]) < 24
    ? '/usr/bin/node'
    : undefined;
}

describe('the Node version check', () => {
  it('refuses Node 20 with one sentence naming Node 24 and the command that fetches it', () => {
    const result = checkAs('20.11.1');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(SENTENCE);
  });

  it('lets Node 24 through without a word', () => {
    const result = checkAs('24.0.0');
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
  });

  it('runs first in npm ci (preinstall) and in the scripts a newcomer types', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.preinstall).toBe('node dev/need-node.cjs');
    for (const name of ['demo', 'test', 'bench', 'fake-server', 'bundle']) {
      expect(scripts[name]).toMatch(/^node dev\/need-node\.cjs && /);
    }
  });
});

const systemNode = olderSystemNode();
describeUnless(systemNode ? undefined : 'no Node older than 24 at /usr/bin/node to try it with')(
  "under the machine's own older Node",
  () => {
    it('npm run demo says so before anything else', () => {
      const bin = mkdtempSync(join(scratch, 'bin-'));
      symlinkSync(systemNode as string, join(bin, 'node'));
      const result = spawnSync('npm', ['run', '--silent', 'demo'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(SENTENCE);
    });
  }
);
