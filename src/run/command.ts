/**
 * Run mode's command as a process: started the way the runner starts a `run:` step's script, its
 * output relayed (relay.ts), and ended within the runner's cancel window. On cancel the runner
 * signals the action's PID only — SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that
 * (actions/runner Runner.Sdk/ProcessInvoker.cs) — so the action must end the command itself, and
 * in time: its programs get SIGINT first (a chance to clean up), its shell is ended at once (a
 * non-interactive bash whose program exits 0 on SIGINT would go on to the next line), and whatever
 * is left gets SIGTERM at 2.5 s and SIGKILL at 5 s, background jobs and programs ignoring both
 * included, and the action waits for all of it to be gone, whenever the cancel comes. The command
 * keeps RUNNER_TRACKING_ID, so the runner's end-of-job sweep still finds anything that left the
 * process group, or all of it if the action is killed outright.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fs, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ActionError } from '../errors.ts';
import { signalExitCode, type Cancellation } from './cancel.ts';
import { OutputRelay } from './relay.ts';
import { writeThroughStdout } from '../toolkit.ts';

/** After SIGINT: the group's SIGTERM, then SIGKILL; the action is done well before the runner's 7.5 s. */
export const TERM_AFTER_MS = 2500;
export const KILL_AFTER_MS = 5000;
/** The relay's writes to the runner are batched over this long, or this many bytes. */
const WRITE_BATCH_MS = 10;
const WRITE_BATCH_BYTES = 64 * 1024;
/** After the command's shell exits, how long its output may still come (a background job's, say). */
const DRAIN_MS = 2000;
const windows = process.platform === 'win32';

export interface CommandOptions {
  /** The command's stdout and stderr FIFOs (makePipes); none on Windows. */
  pipes: string[] | undefined;
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Secrets known before the command starts, scrubbed from its output. */
  secrets: string[];
  /** The runner's cancel: before the start, the program is not started; after it, it is ended. */
  cancellation: Cancellation;
  /** The error the step fails with when the program could not be started (`error` is spawn's). */
  notStarted(error: NodeJS.ErrnoException): Error;
}

export interface CommandEnd {
  /** The command's exit code, or 128 + the signal that cancelled the step. */
  exitCode: number;
  /** The signal the action received, when the step was cancelled. */
  cancelledBy?: NodeJS.Signals;
}

/** Runs the command to its end, or until the step is cancelled and the command ended. */
export async function runCommand(options: CommandOptions): Promise<CommandEnd> {
  // Before the start, only what it needs: the relay is made while the command's shell and program
  // start, and the step's start is that much shorter (docs/PERFORMANCE.md).
  const fifos = options.pipes?.map(openFifo);
  let child: ChildProcess;
  let ending: Ending;
  try {
    // Nothing starts once the step is cancelled; from the start on, a cancel ends what started.
    await options.cancellation.check();
    child = start(
      options,
      fifos?.map(fifo => fifo.writeFd)
    );
    ending = new Ending(child);
  } catch (error) {
    for (const fifo of fifos ?? []) closeSync(fifo.readFd);
    throw error;
  } finally {
    // The command holds the write ends now, if it started; the action's copies would keep the
    // pipes from ending.
    for (const fifo of fifos ?? []) closeSync(fifo.writeFd);
  }
  const stopListening = options.cancellation.onCancel(signal => ending.cancel(signal));
  return relayed(child, ending, fifos, options).finally(stopListening);
}

/** The command's output relayed until it has ended, and how it ended. */
async function relayed(
  child: ChildProcess,
  ending: Ending,
  fifos: { readFd: number }[] | undefined,
  options: CommandOptions
): Promise<CommandEnd> {
  // The toolkit's lines from now on come through process.stdout, where the relay hears them.
  writeThroughStdout();
  const originalWrite = process.stdout.write.bind(process.stdout);
  // The relay's output goes out in batches (10 ms or 64 KiB): a command writing many small pieces
  // would otherwise cost a write to the runner for each. Whatever the action writes itself flushes
  // the batch first, so the order stays.
  let buffered: string[] = [];
  let size = 0;
  let paused = false;
  // Assigned once the relay is made; a flush before that has nothing to pause.
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
      clearTimer: handle => clearTimeout(handle as NodeJS.Timeout),
      // A FIFO's unread output can be read at once; Node's pipes on Windows cannot be.
      unread: source => {
        const i = SOURCES.indexOf(source);
        const stream = outputs[i];
        const open = fifos && stream && !stream.destroyed && !stream.readableEnded;
        return open ? readWaiting(fifos[i].readFd) : { text: '', ended: false };
      }
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

  try {
    // Nothing is read before this: the event loop has not turned since the start.
    outputs = fifos
      ? fifos.map((fifo, i) => reader(fifo.readFd, text => relay.push(SOURCES[i], text)))
      : [child.stdout as Readable, child.stderr as Readable];
    relay.warm();
    // Node reports most failed starts (ENOENT, EACCES) as an 'error' event, not by throwing.
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', error => reject(options.notStarted(error)));
      child.once('exit', (code, signal) =>
        resolve(code ?? (signal ? signalExitCode(signal) : 128))
      );
    });
    const streams = SOURCES.map((source, i) => {
      const stream = outputs[i];
      if (!fifos)
        stream.on('data', (chunk: Buffer) => relay.push(source, chunk.toString('latin1')));
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

    const exitCode = await exited;
    // What the command wrote just before it ended still comes; a background job holding the pipes
    // open does not hold the step. A cancel while it is awaited ends that job, and is waited for.
    await outputEnds(streams, ending.begun);
    const { signal } = ending;
    if (!signal) return { exitCode };
    await ending.gone();
    await outputEnds(streams);
    return { exitCode: signalExitCode(signal), cancelledBy: signal };
  } finally {
    ending.stop();
    for (const stream of outputs) stream.destroy();
    relay.end('stdout');
    relay.end('stderr');
    flush();
    process.stdout.write = originalWrite;
  }
}

/**
 * How a cancel ends the command: SIGINT to its process group (a chance to clean up) and SIGTERM to
 * its shell at once, SIGTERM to the group at 2.5 s and SIGKILL at 5 s; and the wait for its end.
 */
class Ending {
  /** The cancel signal, once one came. */
  signal: NodeJS.Signals | undefined;
  /** Resolves on the cancel. */
  readonly begun: Promise<void>;
  readonly #child: ChildProcess;
  #begin = (): void => {};
  #at = 0;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(child: ChildProcess) {
    this.#child = child;
    this.begun = new Promise(done => {
      this.#begin = done;
    });
  }

  cancel(signal: NodeJS.Signals): void {
    this.signal = signal;
    this.#at = Date.now();
    this.#begin();
    this.#group('SIGINT');
    const child = this.#child;
    // The shell, while it runs (once it has exited, its PID may be another process's).
    if (!windows && child.pid !== undefined && child.exitCode === null && !child.signalCode) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // The shell has already ended.
      }
    }
    this.#timers.push(setTimeout(() => this.#group('SIGTERM'), TERM_AFTER_MS));
    this.#timers.push(setTimeout(() => this.#group('SIGKILL'), KILL_AFTER_MS));
  }

  /** Resolves once nothing of the group runs, or 300 ms after its SIGKILL. */
  gone(): Promise<void> {
    return groupGone(this.#child.pid, this.#at + KILL_AFTER_MS + 300);
  }

  /** Clears the signals still to come: they would keep the step alive. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
  }

  #group(signal: NodeJS.Signals): void {
    const { pid } = this.#child;
    if (pid === undefined) return;
    try {
      if (windows) {
        // No process groups: the whole tree, at once (TerminateProcess of the shell alone would
        // leave its programs running).
        spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { windowsHide: true });
      } else process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Starts the program, or throws the step's error for a start that failed at once (E2BIG). */
function start(options: CommandOptions, writeFds: number[] | undefined): ChildProcess {
  try {
    return spawn(options.program, options.args, {
      cwd: options.cwd,
      stdio: ['inherit', writeFds?.[0] ?? 'pipe', writeFds?.[1] ?? 'pipe'],
      // A process group of its own, so that a signal reaches the programs the shell runs.
      detached: !windows,
      env: options.env,
      windowsHide: true
    });
  } catch (error) {
    throw options.notStarted(error as NodeJS.ErrnoException);
  }
}

/**
 * Resolves once both output streams have ended, DRAIN_MS after the call, or when `early` resolves.
 * The timer is cleared either way: armed, it would keep the step alive for the whole wait.
 */
async function outputEnds(streams: Promise<void>[], early?: Promise<void>): Promise<void> {
  let drain: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(streams),
    new Promise(done => {
      drain = setTimeout(done, DRAIN_MS);
    }),
    ...(early ? [early] : [])
  ]);
  clearTimeout(drain);
}

/** The size of a pipe's buffer on Linux: a read never returns more. */
const READ_BYTES = 64 * 1024;
/**
 * After a read of less than a page that came at once after the one before (the pipe was not empty
 * when the action came back for more), the action sleeps a quarter of a millisecond before it reads
 * again (`reader`). Shared memory to sleep on: nothing ever wakes it, the sleep just ends.
 */
const SMALL_READ_BYTES = 4096;
const AT_ONCE_MS = 0.05;
const SMALL_READ_SLEEP_MS = 0.25;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Real pipes (FIFOs) for the command's stdout and stderr, in `dir`; none on Windows, whose commands
 * get Node's pipes. Node's own stdio pipes are socket pairs, and a program that writes fast to a
 * socket stdout can fail with EINVAL (a Node program does, measured); the runner gives a run: step's
 * script real pipes, so run mode does too. One mkfifo makes both, and the action does not wait for
 * it: spawnSync held it 2.6–7 ms. Its stderr goes to a file rather than a pipe, which would cost
 * the action about 1.5 ms more (measured). `signal` ends it, and the promise settles only once it
 * has exited, so nothing is made in a folder being removed.
 */
export function makePipes(dir: string, signal: AbortSignal): Promise<string[] | undefined> {
  if (windows) return Promise.resolve(undefined);
  signal.throwIfAborted();
  const paths = SOURCES.map(source => join(dir, source));
  const log = join(dir, 'mkfifo.log');
  const logFd = openSync(log, 'wx', 0o600);
  let made: ChildProcess;
  try {
    made = spawn('mkfifo', ['-m', '600', ...paths], { stdio: ['ignore', 'ignore', logFd] });
  } finally {
    closeSync(logFd);
  }
  const end = () => made.kill();
  signal.addEventListener('abort', end, { once: true });
  return new Promise((resolve, reject) => {
    made.once('error', error => {
      // Not started at all (ENOENT, say): no 'exit' follows.
      if (made.pid !== undefined) return;
      signal.removeEventListener('abort', end);
      reject(notMade(error.message));
    });
    made.once('exit', code => {
      signal.removeEventListener('abort', end);
      if (code === 0) resolve(paths);
      else reject(notMade(readFileSync(log, 'utf8').trim() || `exit code ${code}`));
    });
  });
}

const notMade = (why: string) =>
  new ActionError(
    `mkfifo could not make the pipes for the command's output in RUNNER_TEMP: ${why}. Check the runner's disk and RUNNER_TEMP, and that the mkfifo on PATH is coreutils'.`
  );

const SOURCES = ['stdout', 'stderr'] as const;

/** A FIFO opened: the read end first, non-blocking, so opening the write end does not wait. */
function openFifo(path: string): { readFd: number; writeFd: number } {
  const readFd = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK);
  return { readFd, writeFd: openSync(path, fs.O_WRONLY) };
}

/**
 * A FIFO's read end as a stream. Reads go into one buffer, reused (`onread`), and come out as
 * latin1 text: a fresh buffer per read, the stream's way, costs a page fault for every 4 KiB
 * relayed (measured: the action's CPU time for 100 MB went from about 670 ms to 540 ms,
 * docs/PERFORMANCE.md).
 *
 * Small reads one straight after another mean a command writing small pieces faster than the
 * action is woken for them: it was woken for every two or three (366,000 reads for 100 MB), and
 * the reads took 1.4 s of CPU per 100 MB from the cores the command runs on. Sleeping 0.25 ms
 * after such a read lets a few kilobytes gather in the pipe: about 1 s less CPU and the 100 MB
 * relayed about 4% sooner (docs/PERFORMANCE.md). A sleep, because Node's timers wait 1 ms at
 * least, in which a fast writer fills the pipe's 64 KiB and waits (pausing 1 ms measured no
 * faster). Only at once after the read before: a line every millisecond or so is read as it comes,
 * and sleeping after each (about 30 µs of CPU a sleep) cost more than it saved. A sleep holds the
 * event loop about a third of a millisecond: the relay's 10 and 20 ms timers and a cancel hardly
 * notice.
 */
function reader(fd: number, onText: (text: string) => void): Socket {
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let lastEnd = -Infinity;
  return new Socket({
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (bytes: number) => {
        const start = performance.now();
        onText(buffer.toString('latin1', 0, bytes));
        if (bytes < SMALL_READ_BYTES && start - lastEnd < AT_ONCE_MS) {
          Atomics.wait(sleeper, 0, 0, SMALL_READ_SLEEP_MS);
        }
        lastEnd = performance.now();
        return true;
      }
    }
  });
}

/**
 * The most one catch-up reads: the largest pipe buffer Linux gives without privileges
 * (pipe-max-size), so the whole backlog, and a command that never stops writing cannot hold the
 * relay there.
 */
const CATCH_UP_BYTES = 1024 * 1024;
const waiting = Buffer.allocUnsafe(READ_BYTES);

/**
 * What the FIFO holds now, read without waiting for more (its read end is non-blocking), and
 * whether its writers have all closed it.
 */
function readWaiting(fd: number): { text: string; ended: boolean } {
  let text = '';
  while (text.length < CATCH_UP_BYTES) {
    let bytes: number;
    try {
      bytes = readSync(fd, waiting, 0, READ_BYTES, null);
    } catch {
      // EAGAIN: nothing waits. Anything else is the stream's own reader's to report.
      break;
    }
    if (bytes === 0) return { text, ended: true };
    text += waiting.toString('latin1', 0, bytes);
  }
  return { text, ended: false };
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
