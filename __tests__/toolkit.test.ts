// src/toolkit.ts speaks the runner's protocol in place of @actions/core: for any names, values and
// messages, it must write to stdout and to the GITHUB_OUTPUT and GITHUB_ENV files exactly what
// @actions/core 3 writes (the heredoc delimiter aside, which is random in both), read inputs as it
// reads them, and fail the step as it does.
import * as core from '@actions/core';
import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as toolkit from '../src/toolkit.ts';

// These tests read the toolkit's lines where @actions/core writes them, on process.stdout. What a
// step writes by default (straight to fd 1) is held to the same bytes in a process of its own
// below, and the runner's emulator reads it in every end-to-end test.
toolkit.writeThroughStdout();

const dir = mkdtempSync(join(tmpdir(), 'klear-toolkit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const saved = { ...process.env };
const savedExitCode = process.exitCode;
afterEach(() => {
  process.env = { ...saved };
  process.exitCode = savedExitCode;
});

type Kit = typeof toolkit;
type Step =
  | ['setSecret' | 'info' | 'debug' | 'warning' | 'error' | 'setFailed', string]
  | ['setOutput' | 'exportVariable', string, string];

/** Text the protocol must carry: escapes, separators and line ends, among any other characters. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '%', '%25', '\r', '\n', ':', ',', '=', '<<', '::', 'é') }),
  fc.string({ unit: 'binary' })
);
const name = fc.string({
  unit: fc.constantFrom('A', 'b', '_', '-', ' ', ':', ',', '%', '\n'),
  minLength: 1
});
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(fc.constantFrom('setSecret', 'info', 'debug', 'warning', 'error', 'setFailed'), text),
  fc.tuple(fc.constantFrom('setOutput', 'exportVariable'), name, text)
) as fc.Arbitrary<Step>;

/** What `kit` writes for `steps`: stdout, the two files (delimiters made alike), exit code, env. */
function play(kit: Kit, steps: Step[], withFiles: boolean) {
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_ENV: join(dir, 'env') };
  process.env = { ...saved };
  for (const [variable, path] of Object.entries(files)) {
    writeFileSync(path, '');
    if (withFiles) process.env[variable] = path;
    else delete process.env[variable];
  }
  process.exitCode = undefined;
  const stdout: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    stdout.push(String(chunk));
    return true;
  });
  try {
    for (const [operation, first, second] of steps) {
      if (operation === 'setOutput' || operation === 'exportVariable') {
        kit[operation](first, second as string);
      } else kit[operation](first);
    }
  } finally {
    write.mockRestore();
  }
  const alike = (written: string) =>
    written.replace(
      /ghadelimiter_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g,
      'D'
    );
  const exported = Object.fromEntries(
    steps.flatMap(([operation, first]) =>
      operation === 'exportVariable' ? [[first, process.env[first]]] : []
    )
  );
  return {
    stdout: stdout.join(''),
    output: alike(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    env: alike(readFileSync(files.GITHUB_ENV, 'utf8')),
    exitCode: process.exitCode,
    exported
  };
}

describe('the toolkit', () => {
  it('writes what @actions/core writes, for any commands, outputs and variables', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 8 }), fc.boolean(), (steps, withFiles) => {
        expect(play(toolkit as Kit, steps, withFiles)).toEqual(
          play(core as unknown as Kit, steps, withFiles)
        );
      }),
      { numRuns: 300 }
    );
  });

  it('reads an input as @actions/core does (INPUT_ and the name in capitals, spaces as _, trimmed)', () => {
    fc.assert(
      fc.property(name, text, (input, value) => {
        fc.pre(!input.includes('='));
        process.env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = value;
        expect(toolkit.getInput(input)).toBe(core.getInput(input));
      })
    );
  });

  it('writes each output with a fresh random delimiter, a version-4 UUID', () => {
    const { output } = play(
      toolkit as Kit,
      [
        ['setOutput', 'a', 'x'],
        ['setOutput', 'b', 'y']
      ],
      true
    );
    expect(output).toBe('a<<D\nx\nD\nb<<D\ny\nD\n');
    const raw = readFileSync(join(dir, 'output'), 'utf8');
    const delimiters = raw.match(/ghadelimiter_\S+/g) ?? [];
    expect(delimiters).toHaveLength(4);
    expect(new Set(delimiters).size).toBe(2);
  });

  it('saves state and adds a folder to PATH as @actions/core does, with the files and without', () => {
    const played = (kit: Kit, withFiles: boolean) => {
      const files = { GITHUB_STATE: join(dir, 'state'), GITHUB_PATH: join(dir, 'path') };
      process.env = { ...saved, PATH: '/usr/bin' };
      for (const [variable, path] of Object.entries(files)) {
        writeFileSync(path, '');
        if (withFiles) process.env[variable] = path;
      }
      const stdout: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
        stdout.push(String(chunk));
        return true;
      });
      try {
        kit.saveState('job-folder', '/tmp/x\ny');
        kit.addPath('/tmp/bin');
      } finally {
        write.mockRestore();
      }
      return {
        stdout: stdout.join(''),
        state: readFileSync(files.GITHUB_STATE, 'utf8').replace(/ghadelimiter_\S+/g, 'D'),
        path: readFileSync(files.GITHUB_PATH, 'utf8'),
        PATH: process.env.PATH
      };
    };
    for (const withFiles of [true, false]) {
      expect(played(toolkit as Kit, withFiles)).toEqual(played(core as unknown as Kit, withFiles));
    }
  });
});

/** A child Node process that plays `steps` with the toolkit as a step starts it, writing to fd 1. */
function childPlaying(steps: Step[]): string {
  return `import * as kit from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', 'src', 'toolkit.ts')).href)};
for (const [operation, first, second] of ${JSON.stringify(steps)}) kit[operation](first, second);`;
}

describe("the toolkit's own way out: straight to fd 1 until run mode takes process.stdout", () => {
  it('writes to fd 1 exactly what it writes through process.stdout, for any commands', () => {
    // The files are left unnamed, so that outputs and variables come out as commands too.
    const env = Object.fromEntries(
      Object.entries(saved).filter(([name]) => !/^GITHUB_(OUTPUT|ENV)$/.test(name))
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), steps => {
        fc.pre(steps.every(([operation]) => operation !== 'setFailed'));
        const child = spawnSync(
          process.execPath,
          ['--input-type=module', '-e', childPlaying(steps)],
          { env, encoding: 'utf8' }
        );
        expect(child.stderr).toBe('');
        expect(child.stdout).toBe(play(toolkit as Kit, steps, false).stdout);
      }),
      { numRuns: 20 }
    );
  });

  it('on a full pipe that does not block, waits for room: every line arrives whole, in order', async () => {
    // A FIFO filled until the kernel refuses more (EAGAIN). Node's spawn makes a child's stdio block
    // again, so the flag is set once more on the shared write end after the start (opening a pipe
    // handle on it does that), and only then is the child let go, through its stdin. Its first line
    // cannot be written at once: it must wait, as a stream waits, not fail or drop a line. The pipe
    // is read only once the child says on stderr that it has played every step.
    const fifo = join(dir, 'full-pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    let filled = 0;
    const block = Buffer.alloc(4096, '.');
    for (;;) {
      try {
        filled += writeSync(writeFd, block);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('EAGAIN');
        break;
      }
    }
    const steps: Step[] = Array.from({ length: 200 }, (_, i) => [
      'info',
      `line ${i} ${'é'.repeat(i)}`
    ]);
    const waitForGo =
      "await new Promise(go => process.stdin.once('data', go)); process.stdin.pause();\n";
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${waitForGo}${childPlaying(steps)}\nprocess.stderr.write('played\\n');`
      ],
      { stdio: ['pipe', writeFd, 'pipe'] }
    );
    new Socket({ fd: writeFd, readable: false, writable: true }).destroy();
    child.stdin?.end('go');
    let stderr = '';
    const chunks: Buffer[] = [];
    const ended = new Promise(done => {
      child.stderr?.on('data', chunk => {
        stderr += chunk;
        if (stderr !== 'played\n') return;
        const reader = new Socket({ fd: readFd, readable: true, writable: false });
        reader.on('data', (chunk: Buffer) => chunks.push(chunk));
        reader.once('end', done);
      });
    });
    const [code] = (await once(child, 'exit')) as [number];
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'played\n' });
    await ended;
    const read = Buffer.concat(chunks);
    expect(read.subarray(0, filled).toString('latin1')).toBe('.'.repeat(filled));
    expect(read.subarray(filled).toString('utf8')).toBe(
      steps.map(([, message]) => `${message}\n`).join('')
    );
  });
});
