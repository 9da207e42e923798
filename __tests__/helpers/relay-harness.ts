/**
 * Drives run mode's relay in this process, in virtual time, the way src/run/command.ts feeds it,
 * and judges what reached the step's stdout with the runner's reading (src/run/runner-reading.ts,
 * through dev/runner.ts's judge). A script is what the command and the action do, in order.
 */
import { judgeLines, type Interpreted } from '../../dev/runner.ts';
import { OutputRelay, STDOUT_HOLD_MS, type Source } from '../../src/run/relay.ts';
import { CommandReader, LineReader, foldName } from '../../src/run/runner-reading.ts';

export type Step =
  /** The command writes these bytes on a stream, then the clock moves on `pauseMs`. */
  | { kind: 'write'; source: Source; bytes: Buffer; pauseMs: number }
  /** The action mints a token: masks it (an own line), then the command may print it. */
  | { kind: 'mint'; token: string };

export interface Relayed {
  /** Everything the step's stdout got, as bytes. */
  output: Buffer;
  /** Per stream, what the relay wrote of that stream's output. */
  streams: Record<Source, string>;
  /** The action's closing error line, written after the command ended. */
  closing: string;
}

export const CLOSING_ERROR = 'The command exited with code 3.';

/**
 * A relay with virtual timers: `advance` moves the clock, running each timer that falls due
 * (and those they set) in order; `chunks` is what reached the step's stdout, `streams` per stream.
 * `release` writes the whole stdout lines that wait STDOUT_HOLD_MS now, the clock left as it is.
 */
export function virtualRelay(secrets: string[]) {
  const chunks: string[] = [];
  const streams: Record<Source, string> = { stdout: '', stderr: '' };
  let now = 0;
  const timers = new Map<number, { at: number; run: () => void; hold: boolean }>();
  let id = 0;
  const relay = new OutputRelay(
    {
      write: (text, source?: Source) => {
        chunks.push(text);
        if (source) streams[source] += text;
      },
      setTimer: (ms, run) => {
        timers.set(++id, { at: now + ms, run, hold: ms === STDOUT_HOLD_MS });
        return id;
      },
      clearTimer: handle => timers.delete(handle as number)
    },
    secrets
  );
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers].filter(([, timer]) => timer.at <= until);
      if (due.length === 0) break;
      due.sort((a, b) => a[1].at - b[1].at);
      const [key, timer] = due[0];
      now = timer.at;
      timers.delete(key);
      timer.run();
    }
    now = until;
  };
  const release = () => {
    for (const [key, timer] of [...timers].filter(([, timer]) => timer.hold)) {
      timers.delete(key);
      timer.run();
    }
  };
  return { relay, advance, release, chunks, streams };
}

/** Runs the script through a relay that knows `secrets` from the start, then ends both streams. */
export function relayScript(secrets: string[], script: Step[]): Relayed {
  const { relay, advance, chunks, streams } = virtualRelay(secrets);
  // As command.ts does: the action's own line is masked in the relay first, then written.
  const own = (text: string) => chunks.push(relay.own(text));
  for (const step of script) {
    if (step.kind === 'mint') {
      relay.addSecret(step.token);
      own(`::add-mask::${step.token}\n`);
      continue;
    }
    relay.push(step.source, step.bytes.toString('latin1'));
    advance(step.pauseMs);
  }
  relay.end('stdout');
  relay.end('stderr');
  const closing = `::error::${CLOSING_ERROR}\n`;
  own(closing);
  return { output: Buffer.from(chunks.join(''), 'latin1'), streams, closing };
}

/** The step's stdout as the runner reads it, judged: log, annotations, masks and leaks. */
export function judge(output: Buffer, secrets: { label: string; value: string }[]): Interpreted {
  const reader = new LineReader();
  return judgeLines([...reader.push(output), ...reader.end()], secrets);
}

/**
 * The values the command's own `::add-mask::` lines would have masked in a plain `run:` step: its
 * streams read line by line, in the order the lines were completed, under the runner's stop rules.
 */
export function plainStepMasks(script: Step[]): string[] {
  const readers = { stdout: new LineReader(), stderr: new LineReader() };
  const commands = new CommandReader();
  const masked: string[] = [];
  const take = (lines: string[]) => {
    for (const line of lines) {
      const read = commands.read(line);
      if (read.kind === 'command' && foldName(read.command.name) === foldName('add-mask')) {
        masked.push(read.command.data);
      }
    }
  };
  for (const step of script) if (step.kind === 'write') take(readers[step.source].push(step.bytes));
  take(readers.stdout.end());
  take(readers.stderr.end());
  return masked;
}
