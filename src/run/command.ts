/**
 * Run mode's command as a process: started the way the runner starts a `run:` step's script, its
 * output relayed (relay.ts), and ended within the runner's cancel window. On cancel the runner
 * signals the action's PID only — SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that
 * (actions/runner Runner.Sdk/ProcessInvoker.cs) — so the action must end the command itself, and
 * in time: its programs get SIGINT first (a chance to clean up), its shell is ended at once (a
 * non-interactive bash whose program exits 0 on SIGINT would go on to the next line), and whatever
 * is left gets SIGTERM at 2.5 s and SIGKILL at 5 s, background jobs and programs ignoring both
 * included. The command keeps RUNNER_TRACKING_ID, so the runner's end-of-job sweep still finds
 * anything that left the process group, or all of it if the action is killed outright.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fs, openSync, readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { constants } from 'node:os';
import { OutputRelay, type Source } from './relay.ts';

/** After SIGINT: the group's SIGTERM, then SIGKILL; the action is done well before the runner's 7.5 s. */
export const TERM_AFTER_MS = 2500;
export const KILL_AFTER_MS = 5000;
/** The relay's writes to the runner are batched over this long, or this many bytes. */
const WRITE_BATCH_MS = 10;
const WRITE_BATCH_BYTES = 64 * 1024;
/** After the command's shell exits, how long its output may still come (a background job's, say). */
const DRAIN_MS = 2000;
const windows = process.platform === 'win32';
// SIGBREAK is Ctrl+Break, which the runner sends on Windows after Ctrl+C when it cancels a job.
const SIGNALS: NodeJS.Signals[] = windows
  ? ['SIGINT', 'SIGTERM', 'SIGBREAK']
  : ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface CommandOptions {
  /** A private folder for the command's output pipes. */
  dir: string;
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Secrets known before the command starts, scrubbed from its output. */
  secrets: string[];
  /** Called once a cancel signal arrived: refreshing stops at once. */
  onCancel(): void;
  /** Says that the program could not be started. */
  onStartError(message: string): void;
}

export interface CommandEnd {
  /** The command's exit code, or 128 + the signal that cancelled the step. */
  exitCode: number;
  /** The signal the action received, when the step was cancelled. */
  cancelledBy?: NodeJS.Signals;
}

/** Runs the command to its end, or until the step is cancelled and the command ended. */
export async function runCommand(options: CommandOptions): Promise<CommandEnd> {
  const originalWrite = process.stdout.write.bind(process.stdout);
  // The relay's output goes out in batches (10 ms or 64 KiB): a command writing many small pieces
  // would otherwise cost a write to the runner for each. Whatever the action writes itself flushes
  // the batch first, so the order stays.
  let buffered: string[] = [];
  let size = 0;
  let paused = false;
  // Assigned once the command has started; a flush before that has nothing to pause.
  let outputs: Readable[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (buffered.length === 0) return;
    const text = buffered.join('');
    buffered = [];
    size = 0;
    // When the runner reads slower than the command writes, the command waits, as it would
    // writing to the runner itself: nothing piles up in the action.
    if (!originalWrite(text, 'latin1') && !paused) {
      paused = true;
      for (const stream of outputs) stream.pause();
      process.stdout.once('drain', () => {
        paused = false;
        for (const stream of outputs) stream.resume();
      });
    }
  };
  const relay = new OutputRelay(
    {
      write: text => {
        buffered.push(text);
        size += text.length;
        if (size >= WRITE_BATCH_BYTES) flush();
        else timer ??= setTimeout(flush, WRITE_BATCH_MS);
      },
      setTimer: (ms, run) => setTimeout(run, ms),
      clearTimer: handle => clearTimeout(handle as NodeJS.Timeout)
    },
    options.secrets
  );
  // Everything the action itself writes from now on (src/toolkit.ts writes to process.stdout)
  // starts a line of its own, and every value it masks is scrubbed from the command's output.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const [, value] of text.matchAll(/^::add-mask::(.*)$/gm)) {
      relay.addSecret(value.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%'));
    }
    flush();
    return (originalWrite as (...args: unknown[]) => boolean)(relay.own(text), ...rest);
  }) as typeof process.stdout.write;

  const pipes = windows
    ? undefined
    : fifos(options.dir, (source, text) => relay.push(source, text));
  const child = spawn(options.program, options.args, {
    cwd: options.cwd,
    stdio: ['inherit', pipes?.[0].writeFd ?? 'pipe', pipes?.[1].writeFd ?? 'pipe'],
    // A process group of its own, so that a signal reaches the programs the shell runs.
    detached: !windows,
    env: options.env,
    windowsHide: true
  });
  // The command holds the write ends now; the action's copies would keep the pipes from ending.
  for (const pipe of pipes ?? []) closeSync(pipe.writeFd);
  outputs = pipes
    ? pipes.map(pipe => pipe.reader)
    : [child.stdout as Readable, child.stderr as Readable];
  const streams = (['stdout', 'stderr'] as const).map((source, i) => {
    const stream = outputs[i];
    if (!pipes) stream.on('data', (chunk: Buffer) => relay.push(source, chunk.toString('latin1')));
    // 'end' is the end of the output: a socket over a FIFO does not always go on to 'close'.
    return new Promise<void>(done => {
      const ended = () => {
        relay.end(source);
        done();
      };
      stream.once('end', ended);
      stream.once('close', ended);
    });
  });

  let cancelledBy: NodeJS.Signals | undefined;
  let cancelledAt = 0;
  const timers: NodeJS.Timeout[] = [];
  const group = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      if (windows) {
        // No process groups: the whole tree, at once (TerminateProcess of the shell alone would
        // leave its programs running).
        spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
      } else process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const cancel = (signal: NodeJS.Signals): void => {
    if (cancelledBy) return;
    cancelledBy = signal;
    cancelledAt = Date.now();
    options.onCancel();
    group('SIGINT');
    try {
      if (!windows && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    } catch {
      // The shell has already ended.
    }
    timers.push(setTimeout(() => group('SIGTERM'), TERM_AFTER_MS));
    timers.push(setTimeout(() => group('SIGKILL'), KILL_AFTER_MS));
  };
  for (const signal of SIGNALS) process.on(signal, cancel);

  try {
    const exitCode = await new Promise<number>(resolve => {
      child.on('error', error => {
        options.onStartError(error.message);
        resolve(127);
      });
      child.on('exit', (code, signal) =>
        resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))
      );
    });
    if (cancelledBy) await groupGone(child.pid, cancelledAt + KILL_AFTER_MS + 300);
    // What the command wrote just before it ended still comes; a background job holding the pipes
    // open does not hold the step.
    let drain: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(streams),
      new Promise(done => {
        drain = setTimeout(done, DRAIN_MS);
      })
    ]);
    // An armed timer would keep the step alive after the command for the whole wait.
    clearTimeout(drain);
    return cancelledBy
      ? { exitCode: 128 + constants.signals[cancelledBy], cancelledBy }
      : { exitCode };
  } finally {
    for (const signal of SIGNALS) process.off(signal, cancel);
    for (const timer of timers) clearTimeout(timer);
    for (const stream of outputs) stream.destroy();
    relay.end('stdout');
    relay.end('stderr');
    flush();
    process.stdout.write = originalWrite;
  }
}

/** The size of a pipe's buffer on Linux: a read never returns more. */
const READ_BYTES = 64 * 1024;

/**
 * Real pipes (FIFOs) for the command's stdout and stderr. Node's own stdio pipes are socket pairs,
 * and a program that writes fast to a socket stdout can fail with EINVAL (a Node program does,
 * measured); the runner gives a run: step's script real pipes, so run mode does too. One mkfifo
 * makes both (each call costs about 10 ms). Each read end is opened first, non-blocking, so opening
 * the write end does not wait. Reads go into one buffer per pipe, reused (`onread`), and come out
 * as latin1 text: a fresh buffer per read, the stream's way, costs a page fault for every 4 KiB
 * relayed (measured: the action's CPU time for 100 MB went from about 670 ms to 540 ms,
 * docs/PERFORMANCE.md).
 */
function fifos(
  dir: string,
  onText: (source: Source, text: string) => void
): { reader: Socket; writeFd: number }[] {
  const sources = ['stdout', 'stderr'] as const;
  const paths = sources.map(source => join(dir, source));
  const made = spawnSync('mkfifo', ['-m', '600', ...paths]);
  if (made.status !== 0) {
    const why = made.error?.message ?? String(made.stderr).trim();
    throw new Error(`mkfifo could not make pipes for the command's output: ${why}`);
  }
  return sources.map((source, i) => {
    const readFd = openSync(paths[i], fs.O_RDONLY | fs.O_NONBLOCK);
    const writeFd = openSync(paths[i], fs.O_WRONLY);
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const reader = new Socket({
      fd: readFd,
      readable: true,
      writable: false,
      onread: {
        buffer,
        callback: (bytes: number) => {
          onText(source, buffer.toString('latin1', 0, bytes));
          return true;
        }
      }
    });
    return { reader, writeFd };
  });
}

/** Resolves once no live process of the command's group is left, or at `deadline` (epoch ms). */
async function groupGone(pgid: number | undefined, deadline: number): Promise<void> {
  if (pgid === undefined || windows) return;
  while (Date.now() < deadline && groupAlive(pgid)) {
    await new Promise(done => setTimeout(done, 50));
  }
}

/**
 * Whether a process of the group still runs. On Linux a zombie does not count: a program killed
 * after its shell has gone waits to be reaped by whatever adopted it, and kill(-pgid, 0) would
 * still find it.
 */
function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    try {
      return readdirSync('/proc').some(name => {
        if (!/^\d+$/.test(name)) return false;
        try {
          // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
          const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
          const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return Number(pgrp) === pgid && state !== 'Z';
        } catch {
          return false;
        }
      });
    } catch {
      // No /proc to read: fall through to the signal probe.
    }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
