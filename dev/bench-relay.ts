/**
 * What run mode's output relay costs (src/run/relay.ts): a command writes `megabytes` of mixed whole
 * and unfinished lines, once straight into a pipe the bench reads (as the runner reads a step), and
 * once through the bundled action in run mode. Reported: the wall-time ratio, the action's CPU time
 * (and how much of it a command with no output takes: start-up, minting, the shell), and its peak
 * RSS for a tenth of the output and for all of it (a relay that held output would grow). For scale,
 * the same command is also timed through `cat` and through a Node program that only copies: what any
 * process in between costs, and what Node's reading and writing cost, with no relaying at all.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants as fs, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OWN_PEAK_RSS_KIB } from './peak-rss.ts';
import { actionInputs } from './runner.ts';
import { startStandIn } from './stand-in.ts';

// Lines of 1 to 200 characters, every fifth without its end (the next piece continues it). With a
// block size, pieces are gathered into writes of that many bytes, as C stdio and Python do on a
// pipe; without one, each piece is a write of its own, as an unbuffered program's.
const GENERATOR = `
const total = Number(process.argv[2]) * 1024 * 1024;
const block = Number(process.argv[3]);
let written = 0;
let n = 0;
let pending = '';
const piece = i => 'abcdefghij0123456789 progress '.repeat(7).slice(0, 1 + (i * 37) % 200);
function more() {
  while (written < total) {
    const text = n % 5 === 0 ? piece(n) : piece(n) + '\\n';
    n++;
    written += text.length;
    if (block) {
      pending += text;
      if (pending.length < block) continue;
    }
    const ok = process.stdout.write(block ? pending : text);
    pending = '';
    if (!ok) return process.stdout.once('drain', more);
  }
  process.stdout.write(pending + '\\n');
}
more();
`;

// A Node program that only copies its stdin to its stdout, reading the way run mode does
// (src/run/command.ts): one reused buffer, latin1 text, the stream's backpressure.
const COPIER = `
const { Socket } = require('node:net');
const buffer = Buffer.allocUnsafe(64 * 1024);
const input = new Socket({ fd: 0, readable: true, writable: false, onread: { buffer, callback: bytes => {
  if (!process.stdout.write(buffer.toString('latin1', 0, bytes), 'latin1')) {
    input.pause();
    process.stdout.once('drain', () => input.resume());
  }
  return true;
} } });
`;

export interface RelayFigures {
  megabytes: number;
  /** The command's write size: 0 for a write per piece. */
  blockBytes: number;
  directMs: number;
  /** Through `cat`: a process in between that only copies. */
  throughCatMs: number;
  /** Through a Node program that only copies, reading as run mode reads. */
  throughCopierMs: number;
  throughActionMs: number;
  ratio: number;
  /**
   * Through the action against through the Node copier, round for round (the two run one after
   * the other, in turns first): the median of the rounds' ratios, the target, and its range.
   */
  ratioToCopier: number;
  ratioToCopierRange: [number, number];
  /** How many rounds ran. */
  rounds: number;
  actionCpuMs: number;
  /** The same ratio, each run less its round's run with the command writing nothing (start-up, the mint). */
  relayingRatioToCopier: number;
  /** The action's CPU time for the output alone (less the run without output), per 100 MB. */
  actionCpuMsPer100MB: number;
  /** The action's CPU time for the same command writing nothing. */
  actionCpuMsWithoutOutput: number;
  peakRssMiBAtTenth: number;
  peakRssMiB: number;
}

interface Run {
  ms: number;
  bytes: number;
  cpuMs?: number;
  rssKiB?: number;
}

/**
 * Runs `command` with its stdout on a real pipe (a FIFO), as the runner gives a step, and reads it
 * all. Node's own stdio pipes are socket pairs, to which a Node program writes in a different way.
 */
function timed(dir: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const path = join(dir, `out-${randomUUID()}`);
  execFileSync('mkfifo', [path]);
  const reader = new Socket({
    fd: openSync(path, fs.O_RDONLY | fs.O_NONBLOCK),
    readable: true,
    writable: false
  });
  const writeFd = openSync(path, fs.O_WRONLY);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', writeFd, 'inherit'] });
    closeSync(writeFd);
    let bytes = 0;
    reader.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.on('error', reject);
    const exited = new Promise<number | null>(done => child.on('exit', done));
    const read = new Promise(done => reader.on('close', done));
    void Promise.all([exited, read]).then(([code]) => {
      if (code !== 0) reject(new Error(`${command} exited with ${code}`));
      else resolve({ ms: performance.now() - started, bytes });
    });
  });
}

/**
 * `rounds` interleaved runs of each contender; their medians are reported, and the action against
 * the copier as the median of the rounds' ratios. Seven rounds: in 10 calls of three, the ratio of
 * the medians ranged over 0.94–1.26 for blocks (docs/PERFORMANCE.md).
 */
export async function measureRelay(
  bundle: string,
  megabytes = 100,
  blockBytes = 8192,
  rounds = 7
): Promise<RelayFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'klear-relay-bench-'));
  const standIn = await startStandIn();
  try {
    const generator = join(dir, 'generate.cjs');
    const report = join(dir, 'usage.json');
    const probe = join(dir, 'probe.cjs');
    await writeFile(generator, GENERATOR);
    await writeFile(
      probe,
      `process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssKiB: ${OWN_PEAK_RSS_KIB} })); });\n`
    );
    const direct = (mb: number) =>
      timed(dir, process.execPath, [generator, String(mb), String(blockBytes)], {
        PATH: process.env.PATH
      });
    const throughAction = async (mb: number): Promise<Run> => {
      const inputs: Record<string, string> = {};
      for (const [name, spec] of Object.entries(actionInputs())) inputs[name] = spec.default;
      Object.assign(inputs, {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 }),
        run: `"${process.execPath}" "${generator}" ${mb} ${blockBytes}`
      });
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        RUNNER_TEMP: dir,
        GITHUB_WORKSPACE: dir
      };
      for (const [name, value] of Object.entries(inputs))
        env[`INPUT_${name.toUpperCase()}`] = value;
      // The probe on the action's command line, not in NODE_OPTIONS: the command would inherit
      // that, and its Node would load the probe too, which the copier's generator does not.
      const run = await timed(dir, process.execPath, ['--require', probe, bundle], env);
      return {
        ...run,
        ...(JSON.parse(await readFile(report, 'utf8')) as Pick<Run, 'cpuMs' | 'rssKiB'>)
      };
    };
    const copier = join(dir, 'copy.cjs');
    await writeFile(copier, COPIER);
    const through = (program: string) => (mb: number) =>
      timed(
        dir,
        'sh',
        ['-c', `"${process.execPath}" "${generator}" ${mb} ${blockBytes} | ${program}`],
        { PATH: process.env.PATH }
      );
    const throughCat = through('cat');
    const throughCopier = through(`"${process.execPath}" "${copier}"`);
    const directRuns: Run[] = [];
    const catRuns: Run[] = [];
    const copierRuns: Run[] = [];
    const actionRuns: Run[] = [];
    const silentCopierRuns: Run[] = [];
    const silentRuns: Run[] = [];
    for (let i = 0; i < rounds; i++) {
      directRuns.push(await direct(megabytes));
      catRuns.push(await throughCat(megabytes));
      // The pair in turns first: whatever the run before leaves (a warm cache, a busy core) falls
      // on each alike.
      if (i % 2 === 0) copierRuns.push(await throughCopier(megabytes));
      actionRuns.push(await throughAction(megabytes));
      if (i % 2 === 1) copierRuns.push(await throughCopier(megabytes));
      silentCopierRuns.push(await throughCopier(0));
      silentRuns.push(await throughAction(0));
    }
    const tenth = await throughAction(Math.max(1, Math.round(megabytes / 10)));
    const directMs = median(directRuns.map(run => run.ms));
    const throughActionMs = median(actionRuns.map(run => run.ms));
    const throughCopierMs = median(copierRuns.map(run => run.ms));
    const actionCpuMs = median(actionRuns.map(run => run.cpuMs ?? NaN));
    const silentCpuMs = median(silentRuns.map(run => run.cpuMs ?? NaN));
    // Round for round: this machine's speed drifts over a bench by more than the target's 10%
    // (the copier alone took 514–881 ms in one series), and a pair run back to back shares it.
    const ratios = actionRuns.map((run, i) => run.ms / copierRuns[i].ms);
    // Each less its round's run with no output: the action's start and mint, the copier's start.
    const relayingRatios = actionRuns.map(
      (run, i) => (run.ms - silentRuns[i].ms) / (copierRuns[i].ms - silentCopierRuns[i].ms)
    );
    const twoPlaces = (value: number) => Number(value.toFixed(2));
    // Three places for the target's ratio: 1.104 is not within 1.10.
    const threePlaces = (value: number) => Number(value.toFixed(3));
    return {
      megabytes,
      blockBytes,
      directMs: Math.round(directMs),
      throughCatMs: Math.round(median(catRuns.map(run => run.ms))),
      throughCopierMs: Math.round(throughCopierMs),
      throughActionMs: Math.round(throughActionMs),
      ratio: Number((throughActionMs / directMs).toFixed(2)),
      ratioToCopier: threePlaces(median(ratios)),
      ratioToCopierRange: [twoPlaces(Math.min(...ratios)), twoPlaces(Math.max(...ratios))],
      rounds,
      actionCpuMs: Math.round(actionCpuMs),
      relayingRatioToCopier: twoPlaces(median(relayingRatios)),
      actionCpuMsPer100MB: Math.round(((actionCpuMs - silentCpuMs) * 100) / megabytes),
      actionCpuMsWithoutOutput: Math.round(silentCpuMs),
      peakRssMiBAtTenth: Number(((tenth.rssKiB ?? NaN) / 1024).toFixed(1)),
      peakRssMiB: Number((median(actionRuns.map(run => run.rssKiB ?? NaN)) / 1024).toFixed(1))
    };
  } finally {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The middle value; of an even count, the upper of the two middle ones. */
function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

export function relayTable(runs: RelayFigures[]): string {
  const writes = (figures: RelayFigures) =>
    figures.blockBytes ? `${figures.blockBytes / 1024} KiB writes` : 'a write per piece';
  return [
    `| Run mode relay, ${runs[0].megabytes} MB of mixed lines | Straight into a pipe | Through \`cat\` | Through a Node copier | Through the action | Action ÷ copier, round for round: median (range) (target ≤ 1.10×); less start-up | Action CPU (without output) | Action CPU for the output, per 100 MB | Action peak RSS, ${Math.max(1, Math.round(runs[0].megabytes / 10))} / ${runs[0].megabytes} MB |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(figures => {
      const times = (ms: number) => `${ms} ms (${(ms / figures.directMs).toFixed(2)}×)`;
      return `| ${writes(figures)} | ${figures.directMs} ms | ${times(figures.throughCatMs)} | ${times(figures.throughCopierMs)} | ${times(figures.throughActionMs)} | ${figures.ratioToCopier.toFixed(3)}× (${figures.ratioToCopierRange.map(value => value.toFixed(2)).join('–')}, ${figures.rounds} rounds); ${figures.relayingRatioToCopier.toFixed(2)}× | ${figures.actionCpuMs} ms (${figures.actionCpuMsWithoutOutput} ms) | ${figures.actionCpuMsPer100MB} ms | ${figures.peakRssMiBAtTenth} / ${figures.peakRssMiB} MiB |`;
    })
  ].join('\n');
}
