/**
 * The runner's cancel, as run mode sees it. On cancel or timeout-minutes the runner signals the
 * action's PID only: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that (actions/runner
 * Runner.Sdk/ProcessInvoker.cs); on Windows Ctrl+C, then Ctrl+Break (SIGBREAK). A signal nobody
 * listens for ends Node at once: no word of the cancel, and the token file left in RUNNER_TEMP. So
 * run mode listens from its first instant to its last, and each phase asks whether one came.
 */
import { ActionError } from '../errors.ts';

// SIGBREAK is Ctrl+Break, which the runner sends on Windows after Ctrl+C.
const CANCEL_SIGNALS: NodeJS.Signals[] =
  process.platform === 'win32'
    ? ['SIGINT', 'SIGTERM', 'SIGBREAK']
    : ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Where signals come from: `process`, or an emitter in a test. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The exit code of a process ended by `signal`, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  // node:os when a signal is met, not at start-up: every plain step loads this module.
  return 128 + (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0);
}

export class Cancellation {
  #signal: NodeJS.Signals | undefined;
  readonly #listeners = new Set<(signal: NodeJS.Signals) => void>();

  /**
   * Listens from now until the process exits: a signal after run mode's last act changes nothing,
   * and one that ended Node instead would lose the exit code already set.
   */
  constructor(source: SignalSource) {
    for (const name of CANCEL_SIGNALS) source.on(name, () => this.#receive(name));
  }

  /** The first cancel signal, once one came; later ones (the runner's SIGTERM, say) add nothing. */
  get signal(): NodeJS.Signals | undefined {
    return this.#signal;
  }

  /** Calls `listener` on the cancel, at once if it came already; the result stops listening. */
  onCancel(listener: (signal: NodeJS.Signals) => void): () => void {
    if (this.#signal) listener(this.#signal);
    else this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The cancel signal, if one came by now. Node hands a signal to its listeners when its event
   * loop polls for I/O, so one that came during synchronous work (spawnSync, the step's last file
   * writes) is seen only after a poll. Called from an I/O callback, a first setImmediate runs
   * before the next poll; the second always runs after one.
   */
  async received(): Promise<NodeJS.Signals | undefined> {
    for (let turn = 0; turn < 2; turn++) await new Promise(done => setImmediate(done));
    return this.#signal;
  }

  /** Throws once a cancel came: awaited just before a step that should not start after one. */
  async check(): Promise<void> {
    const signal = await this.received();
    if (signal) throw new ActionError(`The step was cancelled (${signal}).`);
  }

  #receive(signal: NodeJS.Signals): void {
    if (this.#signal) return;
    this.#signal = signal;
    for (const listener of this.#listeners) listener(signal);
    this.#listeners.clear();
  }
}
