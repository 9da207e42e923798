// Run mode's view of the runner's cancel (src/run/cancel.ts): the first signal, given to every
// listener once, and one that came during synchronous work seen before the next step starts.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ActionError } from '../src/errors.ts';
import { Cancellation, signalExitCode } from '../src/run/cancel.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('a cancellation', () => {
  it('keeps the first signal and tells each listener once, at once if it came already', () => {
    const signals = new EventEmitter();
    const cancellation = new Cancellation(signals);
    const heard: string[] = [];
    cancellation.onCancel(signal => heard.push(`early ${signal}`));
    const stop = cancellation.onCancel(signal => heard.push(`stopped ${signal}`));
    stop();
    expect(cancellation.signal).toBeUndefined();

    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    cancellation.onCancel(signal => heard.push(`late ${signal}`));

    expect(cancellation.signal).toBe('SIGINT');
    expect(heard).toEqual(['early SIGINT', 'late SIGINT']);
  });

  it('lets a step start before a cancel, and refuses it after', async () => {
    const signals = new EventEmitter();
    const cancellation = new Cancellation(signals);
    await expect(cancellation.check()).resolves.toBeUndefined();
    signals.emit('SIGHUP');
    await expect(cancellation.check()).rejects.toThrow(
      new ActionError('The step was cancelled (SIGHUP).')
    );
  });

  it('sees a signal that came during synchronous work in an I/O callback before answering', () => {
    // In a Node of its own: jest's process object does not take signal listeners.
    const script = `
      import { readFile } from 'node:fs';
      import { Cancellation } from './src/run/cancel.ts';
      const cancellation = new Cancellation(process);
      readFile('package.json', async () => {
        process.kill(process.pid, 'SIGHUP');
        const before = cancellation.signal ?? 'none';
        console.log(before, await cancellation.received());
      });`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8'
    });
    // Node hands a signal to its listeners only at the event loop's next poll.
    expect(output.trim()).toBe('none SIGHUP');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129]
  ] as const)(
    'gives %s the exit code %i, as a shell reports a program it ended',
    (signal, code) => {
      expect(signalExitCode(signal)).toBe(code);
    }
  );
});
