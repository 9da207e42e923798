// Stands for the GitHub Actions runner running a node action: runs a bundled action in a child
// process the way actions/runner 2.336.0 does, and reports what the runner would show — the masked
// log, annotations, file commands, the step's conclusion, and every secret visible in the log as the
// runner displays it. Each rule cites the runner source it mirrors (paths under src/, as
// ../shared/github-runner/RUNNER.md lists them); where the runner is stricter than a convenient
// reading, this is strict too.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  addMask,
  addValue,
  CommandReader,
  foldName,
  LineReader,
  maskText,
  RUNNER_COMMANDS,
  uriEscape
} from '../src/run/runner-reading.ts';

export interface RunOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  secrets?: string[];
  entry?: string;
  /**
   * Inputs given as plain text or from `vars.` rather than `secrets.`: the runner has no mask for
   * them when it prints the step's `with:` values (Handler.cs), so they show there.
   */
  plainInputs?: string[];
  /**
   * How long lines are gathered into one read batch, whose stderr lines the runner handles before
   * its stdout lines (Runner.Sdk/ProcessInvoker.cs, ProcessOutput). Default 20 ms.
   */
  batchMs?: number;
  /**
   * A folder holding the action as the runner downloads it: its action.yml declares the inputs and
   * names the entry (runs.main), as the runner reads them. Default: this repository.
   */
  actionDir?: string;
  timeoutMs?: number;
  cwd?: string;
  /** The step is one of a whole job (dev/job.ts), which gives it what outlives a step. */
  job?: StepOfJob;
}

/** What a job hands each of its steps; dev/job.ts cites the runner's files for each. */
export interface StepOfJob {
  /** RUNNER_TEMP, the job's: emptied when the job starts and ends, not between steps. */
  runnerTemp: string;
  workspace: string;
  /** The job's RUNNER_TRACKING_ID: the sweep for what outlives the step runs at the job's end. */
  trackingId: string;
  /** Values masked by earlier steps: the worker has one SecretMasker for the whole job. */
  masks: string[];
  /** A `run:` step's program and arguments, started in place of node and the action's entry. */
  command?: string[];
}

// `line` is 1-based: rawLines[line - 1]. `secret` and `text` never contain a secret in full.
export interface Leak {
  secret: string;
  line: number;
  text: string;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  rawLines: string[];
  log: string;
  masks: string[];
  errors: string[];
  warnings: string[];
  notices: string[];
  debug: string[];
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  state: Record<string, string>;
  leaks: Leak[];
  /**
   * The collapsed group the runner prints before the step (Handler.cs PrintActionDetails):
   * `Run ./`, then each non-empty `with:` value, masked only by the job's secrets. Its leaks are in
   * `leaks` with a line number of 0.
   */
  details: string[];
  /** 'failure' when the action exited non-zero, or a file command or stop-commands token failed it. */
  conclusion: 'success' | 'failure';
  /** Processes the end-of-job sweep found by RUNNER_TRACKING_ID (and killed), as `pid command`. */
  survivors: string[];
  /** Folders the step added to GITHUB_PATH, in the order written. */
  paths: string[];
}

export interface RunningAction {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  /**
   * Cancels as the runner does (ProcessInvoker.cs, CancelAndKillProcessTree on Linux): SIGINT to
   * the action's PID only, SIGTERM 7.5 s later, SIGKILL 2.5 s after that, each only if it is still
   * running. Resolves once the action has exited.
   */
  cancel(): Promise<void>;
  result: Promise<RunResult>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/**
 * `promise`, or 'waited' after `ms`, whichever comes first. The timer is cleared either way: a
 * pending one kept jest running for seconds after the last test.
 */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'waited'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'waited'>(done => {
        timer = setTimeout(() => done('waited'), ms);
      })
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's own warnings ("(node:1234) [DEP0005] DeprecationWarning: …"): noise in a user's step log. */
const NODE_NOISE = /\(node:\d+\) /;
const nodeNoise: string[] = [];

/**
 * Node warning lines seen in any step run since the last call. A jest setup file checks after every
 * test that there were none (__tests__/helpers/no-node-noise.ts).
 */
export function takeNodeNoise(): string[] {
  return nodeNoise.splice(0);
}

const SECRET_INPUTS = ['refresh-token', 'access-token', 'password', 'username', 'company-name'];
const SECRET_OUTPUTS = ['access-token', 'refresh-token'];
/** The cache and artifact service's credential the runner gives node actions: a secret too. */
export const RUNTIME_TOKEN = 'runtime.token.for.the.cache.and.artifact.services';
// Shorter derived values would match unrelated text and report leaks that are not there.
const MIN_DERIVED_SECRET_LENGTH = 4;

interface Manifest {
  inputs?: Record<string, { default?: unknown; required?: unknown } | null>;
  runs?: { main?: unknown };
}

function readManifest(actionDir: string): Manifest {
  try {
    return parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as Manifest;
  } catch (error) {
    throw new Error(
      `action.yml is not valid YAML, so the runner would refuse the action too: ${(error as Error).message}`,
      { cause: error }
    );
  }
}

export function actionInputs(
  actionDir = repoRoot
): Record<string, { default: string; required: boolean }> {
  const manifest = readManifest(actionDir);
  return Object.fromEntries(
    Object.entries(manifest.inputs ?? {}).map(([name, spec]) => [
      name,
      { default: String(spec?.default ?? ''), required: spec?.required === true }
    ])
  );
}

export function runAction(options: RunOptions = {}): Promise<RunResult> {
  return startAction(options).result;
}

export function startAction(options: RunOptions = {}): RunningAction {
  const actionDir = options.actionDir ?? repoRoot;
  const script = options.job?.command;
  const main = script ? '' : readManifest(actionDir).runs?.main;
  const entry = options.entry ?? join(actionDir, String(main ?? 'dist/index.js'));
  if (!script && !existsSync(entry)) {
    throw new Error(`The action entry ${entry} does not exist. Build it first (npm run bundle).`);
  }
  const declared = script ? {} : actionInputs(actionDir);
  const root = mkdtempSync(join(tmpdir(), 'klear-runner-'));
  try {
    return launch(entry, declared, root, options);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

/**
 * What the runner gives a step before it starts: RUNNER_TEMP and the workspace (the job's, when it
 * is one of a job's steps), fresh file-command files, the inputs with their defaults, and an
 * environment built from scratch.
 */
function stepContext(declared: ReturnType<typeof actionInputs>, root: string, options: RunOptions) {
  const { job } = options;
  const runnerTemp = job?.runnerTemp ?? join(root, 'temp');
  const trackingId = job?.trackingId ?? `github_${randomUUID()}`;
  const workspace = options.cwd ?? job?.workspace ?? join(root, 'workspace');
  mkdirSync(runnerTemp, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(root, 'set_output'),
    GITHUB_ENV: join(root, 'set_env'),
    GITHUB_STEP_SUMMARY: join(root, 'step_summary'),
    GITHUB_STATE: join(root, 'save_state'),
    GITHUB_PATH: join(root, 'add_path')
  };
  for (const file of Object.values(files)) writeFileSync(file, '');

  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) inputs[name] = spec.default;
  Object.assign(inputs, options.inputs);
  const unexpected = Object.keys(options.inputs ?? {}).filter(name => !(name in declared));
  const preamble = unexpected.length
    ? [
        `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`
      ]
    : [];

  // Built from scratch so nothing from the calling process (an INPUT_* in a test's own
  // environment, say) reaches the action.
  const env: Record<string, string> = {};
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  Object.assign(
    env,
    {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      GITHUB_WORKSPACE: workspace,
      GITHUB_ACTION: '__self',
      GITHUB_REPOSITORY: 'org/repo',
      // Every process of the job carries it; the end-of-job sweep kills what still does.
      RUNNER_TRACKING_ID: trackingId,
      // Given to node actions only, never to run: steps (NodeScriptActionHandler.cs).
      ...(!job?.command && {
        ACTIONS_RUNTIME_URL: 'https://pipelines.actions.invalid/',
        ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
        ACTIONS_CACHE_URL: 'https://cache.actions.invalid/',
        ACTIONS_RESULTS_URL: 'https://results.actions.invalid/'
      })
    },
    files,
    options.env
  );

  return { workspace, trackingId, files, inputs, preamble, env };
}

// Everything under `root` is removed once the result is in.
function launch(
  entry: string,
  declared: ReturnType<typeof actionInputs>,
  root: string,
  options: RunOptions
): RunningAction {
  const { job } = options;
  const { workspace, trackingId, files, inputs, preamble, env } = stepContext(
    declared,
    root,
    options
  );

  const started = performance.now();
  // Detached only so that a test's timeout can kill all the action started; the real runner does
  // not give the action a group of its own, and finds what outlives it by RUNNER_TRACKING_ID.
  const [program, ...args] = job?.command ?? [process.execPath, entry];
  const child = spawn(program, args, {
    cwd: workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  });
  const pid = child.pid;
  if (pid === undefined) {
    // The reason comes later as an 'error' event, which must not go unhandled.
    child.on('error', () => {});
    throw new Error(`Could not start ${process.execPath} in ${workspace}.`);
  }
  const killGroup = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };

  const rawLines = readBatches(child, options.batchMs ?? 20);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
    sweep(trackingId);
  }, options.timeoutMs ?? 60_000);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const result = (async (): Promise<RunResult> => {
    try {
      const [exitCode, signal] = await exited;
      clearTimeout(timer);
      // ProcessInvoker waits at most 5 s for the pipes to close after the process exits; what
      // comes later is lost.
      await within(rawLines.done, 5000);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const durationMs = performance.now() - started;
      // The end-of-job sweep (JobExtension.cs, ProcessExtensions.cs): every process whose
      // environment holds this job's RUNNER_TRACKING_ID is killed. A step of a whole job leaves
      // it to the job's end.
      const survivors = job ? [] : sweep(trackingId);
      for (const line of rawLines.lines) if (NODE_NOISE.test(line)) nodeNoise.push(line);
      const fileText = (name: keyof typeof files): string => readFileSync(files[name], 'utf8');
      const interpreted = interpret({
        rawLines: rawLines.lines,
        withValues: Object.entries(inputs)
          .filter(([, value]) => value !== '')
          .map(([name, value]) => ({
            name,
            value,
            secret: SECRET_INPUTS.includes(name) && !(options.plainInputs ?? []).includes(name)
          })),
        preamble,
        orphans: survivors.length > 0,
        masks: job?.masks ?? [],
        showDebug: options.env?.RUNNER_DEBUG === '1',
        secrets: [
          ...(options.secrets ?? [])
            .map((value, i) => ({ label: `secrets[${i}]`, value }))
            .filter(secret => secret.value !== ''),
          ...SECRET_INPUTS.map(name => ({
            label: `input ${name}`,
            value: inputs[name] ?? ''
          })).filter(secret => isLongEnough(secret.value)),
          { label: 'ACTIONS_RUNTIME_TOKEN', value: RUNTIME_TOKEN }
        ],
        files: {
          output: fileText('GITHUB_OUTPUT'),
          env: fileText('GITHUB_ENV'),
          state: fileText('GITHUB_STATE'),
          summary: fileText('GITHUB_STEP_SUMMARY')
        }
      });
      return {
        exitCode,
        signal,
        timedOut,
        durationMs,
        ...interpreted,
        conclusion: exitCode === 0 && !interpreted.failed ? 'success' : 'failure',
        survivors: survivors.map(survivor => `${survivor.pid} ${survivor.command}`),
        // AddPathFileCommand (FileCommandManager.cs): one folder a line, empty lines skipped.
        paths: fileText('GITHUB_PATH')
          .split('\n')
          .filter(line => line !== '')
      };
    } finally {
      clearTimeout(timer);
      killGroup();
      rmSync(root, { recursive: true, force: true });
    }
  })();

  const alive = () => child.exitCode === null && child.signalCode === null;
  const cancel = async (): Promise<void> => {
    child.kill('SIGINT');
    const steps: [number, NodeJS.Signals][] = [
      [7500, 'SIGTERM'],
      [2500, 'SIGKILL']
    ];
    for (const [ms, signal] of steps) {
      const end = await within(
        exited.then(() => 'exited'),
        ms
      );
      if (end === 'exited' || !alive()) return;
      child.kill(signal);
    }
    await exited;
  };

  return {
    pid,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    cancel,
    result
  };
}

/**
 * The action's output as the runner reads it: each stream line by line (StreamReader.ReadLine, in
 * src/run/runner-reading.ts) into a queue, and the queues drained in batches, all stderr lines of
 * a batch before its stdout lines (ProcessInvoker.cs, ProcessOutput). `batchMs` is how long a
 * batch gathers.
 */
function readBatches(
  child: ReturnType<typeof spawn>,
  batchMs: number
): { lines: string[]; done: Promise<unknown> } {
  const lines: string[] = [];
  const queued = { stdout: [] as string[], stderr: [] as string[] };
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    timer = undefined;
    lines.push(...queued.stderr.splice(0), ...queued.stdout.splice(0));
  };
  const readers = (['stdout', 'stderr'] as const).map(source => {
    const stream = child[source];
    if (!stream) return Promise.resolve();
    const reader = new LineReader();
    const take = (read: string[]) => {
      if (read.length === 0) return;
      queued[source].push(...read);
      timer ??= setTimeout(drain, batchMs);
    };
    stream.on('data', (chunk: Buffer) => take(reader.push(chunk)));
    return new Promise<void>(done => {
      stream.once('close', () => {
        take(reader.end());
        done();
      });
    });
  });
  const done = Promise.all(readers).then(() => {
    clearTimeout(timer);
    drain();
  });
  // Lines already read when the wait for the pipes gives up still count.
  return {
    lines,
    done: done.catch(() => drain())
  };
}

/**
 * The end-of-job sweep: kills every process whose environment holds RUNNER_TRACKING_ID=`id`
 * (/proc/<pid>/environ, as on Linux), and returns them.
 */
export function sweep(id: string): { pid: number; command: string }[] {
  const found = carrying(id);
  for (const survivor of found) {
    try {
      process.kill(survivor.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function carrying(id: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter(name => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of entries) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!environ.includes(`RUNNER_TRACKING_ID=${id}`)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      found.push({ pid, command });
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

export interface Secret {
  label: string;
  value: string;
}

interface Transcript {
  rawLines: string[];
  /** The `with:` values the runner prints, and which of them the job's secrets mask. */
  withValues: { name: string; value: string; secret: boolean }[];
  preamble: string[];
  orphans: boolean;
  /** Masks registered before the step, by earlier steps of its job. */
  masks: string[];
  showDebug: boolean;
  secrets: Secret[];
  files: { output: string; env: string; state: string; summary: string };
}

export type Interpreted = Omit<
  RunResult,
  'exitCode' | 'signal' | 'timedOut' | 'durationMs' | 'conclusion' | 'survivors' | 'paths'
> & {
  /** A file command or a stop-commands token failed the step. */
  failed: boolean;
};

/** The step summary's limit (FileCommandManager.cs): a larger one is dropped with an error. */
const MAX_SUMMARY_BYTES = 1024 * 1024;

/**
 * The log, annotations, masks and leaks of lines as the runner reads them from an action that
 * writes nothing else: the judge the run-mode relay's fuzzer drives in-process.
 */
export function judgeLines(rawLines: string[], secrets: Secret[]): Interpreted {
  return interpret({
    rawLines,
    withValues: [],
    preamble: [],
    orphans: false,
    masks: [],
    showDebug: false,
    secrets,
    files: { output: '', env: '', state: '', summary: '' }
  });
}

function interpret(transcript: Transcript): Interpreted {
  const log: string[] = [];
  const masker = new Set<string>();
  for (const value of transcript.masks) addMask(masker, value);
  const out: Interpreted = {
    rawLines: transcript.rawLines,
    log: '',
    masks: [],
    errors: [],
    warnings: [],
    notices: [],
    debug: [],
    outputs: {},
    exportedEnv: {},
    summary: transcript.files.summary,
    state: {},
    leaks: [],
    details: [],
    failed: false
  };
  const annotate = (kind: 'error' | 'warning' | 'notice', message: string): void => {
    const masked = maskText(message, masker);
    out[kind === 'error' ? 'errors' : kind === 'warning' ? 'warnings' : 'notices'].push(masked);
    log.push(`##[${kind}]${masked}`);
  };
  for (const message of transcript.preamble) annotate('warning', message);

  // The runner reads the file commands after the process exits; they decide which values are
  // secrets, so leaks are looked for afterwards, replaying the masks in the order they came.
  const fileCommands: [string, string, Record<string, string>][] = [
    ['output', transcript.files.output, out.outputs],
    ['env', transcript.files.env, out.exportedEnv],
    ['save_state', transcript.files.state, out.state]
  ];
  const fileErrors: string[] = [];
  for (const [context, text, target] of fileCommands) {
    try {
      Object.assign(target, parseFileCommand(text));
    } catch (error) {
      fileErrors.push(
        `Unable to process file command '${context}' successfully.`,
        (error as Error).message
      );
    }
  }
  // A malformed file command fails the step (FileCommandManager.cs ProcessFiles rethrows).
  out.failed = fileErrors.length > 0;
  if ('NODE_OPTIONS' in out.exportedEnv) {
    delete out.exportedEnv.NODE_OPTIONS;
    fileErrors.push("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
  }
  if (Buffer.byteLength(out.summary) > MAX_SUMMARY_BYTES) {
    fileErrors.push(
      `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got ${Math.ceil(Buffer.byteLength(out.summary) / 1024)}k.`
    );
    out.summary = '';
  }

  const produced = [
    ...SECRET_OUTPUTS.map(name => ({ label: `output ${name}`, value: out.outputs[name] ?? '' })),
    ...Object.entries(out.exportedEnv)
      .filter(([name]) => name.toUpperCase().endsWith('TOKEN'))
      .map(([name, value]) => ({ label: `env ${name}`, value }))
  ].filter(secret => isLongEnough(secret.value));
  const watched = watchList([...transcript.secrets, ...produced]);

  // The runner's masks at this point are the job's secrets (`secrets.*`) and what earlier steps
  // masked, nothing of this step's.
  const jobSecrets = new Set(masker);
  for (const input of transcript.withValues) if (input.secret) addMask(jobSecrets, input.value);
  out.details = [
    '##[group]Run ./',
    'with:',
    ...transcript.withValues.map(input => `  ${input.name}: ${input.value}`),
    '##[endgroup]'
  ].map(line => {
    const leak = findLeak([line], watched, jobSecrets);
    if (leak) out.leaks.push({ secret: leak, line: 0, text: redact(line, watched) });
    return maskText(line, jobSecrets);
  });

  // ActionCommandManager.cs, as runner-reading.ts ports it: `::stop-commands::T` turns every
  // later command off, add-mask included, until a line `::T::`; T itself is masked when longer
  // than 6 characters.
  const reader = new CommandReader();
  transcript.rawLines.forEach((line, index) => {
    const read = reader.read(line);
    if (read.kind === 'invalid-stop') {
      annotate('error', 'Invalid stop-commands token: the step fails.');
      out.failed = true;
      return;
    }
    if (read.kind === 'stopped' && read.token.length > 6) addValue(masker, read.token);
    if (read.kind === 'stopped' || read.kind === 'resumed') {
      log.push(maskText(line, masker));
      return;
    }
    const command = read.kind === 'command' ? read.command : undefined;
    const name =
      command && RUNNER_COMMANDS.find(known => foldName(known) === foldName(command.name));
    if (name !== 'add-mask') {
      const leak = findLeak(command ? [line, command.data] : [line], watched, masker);
      if (leak) {
        out.leaks.push({ secret: leak, line: index + 1, text: redact(line, watched) });
      }
    }
    switch (name) {
      case 'add-mask':
        if (addMask(masker, command!.data)) out.masks.push(command!.data);
        else annotate('warning', "Can't add secret mask for empty string in ##[add-mask] command.");
        break;
      case 'error':
      case 'warning':
      case 'notice':
        annotate(name, command!.data);
        break;
      case 'debug': {
        const masked = maskText(command!.data, masker);
        out.debug.push(masked);
        if (transcript.showDebug) log.push(`##[debug]${masked}`);
        break;
      }
      default:
        log.push(maskText(line, masker));
    }
  });

  for (const message of fileErrors) annotate('error', message);
  if (transcript.orphans) log.push('Cleaning up orphan processes');
  out.log = log.join('\n');
  return out;
}

function isLongEnough(value: string): boolean {
  return value.length >= MIN_DERIVED_SECRET_LENGTH;
}

// What the leak check looks for: every form a reader could decode the secret from, whether or not
// the runner masks it — raw, URI- and JSON-escaped, and base64 and base64url, padded or not. For a
// secret of 16 characters or more, also the whole-group base64 of it shifted by one and two bytes,
// which is how it shows inside a longer base64 text (shorter ones would match unrelated text).
function encodedForms(value: string): Map<string, string> {
  const forms = new Map<string, string>([[value, 'raw']]);
  const bytes = Buffer.from(value, 'utf8');
  const whole = (piece: Buffer) => piece.subarray(0, piece.length - (piece.length % 3));
  const pieces: [Buffer, string][] = [
    [bytes, 'base64'],
    [whole(bytes), 'base64 inside a longer text']
  ];
  if (value.length >= 16) {
    for (const shift of [1, 2])
      pieces.push([whole(bytes.subarray(shift)), 'base64 inside a longer text']);
  }
  for (const [piece, kind] of pieces) {
    if (piece.length === 0) continue;
    const base64 = piece.toString('base64').replace(/=+$/, '');
    if (!forms.has(base64)) forms.set(base64, kind);
    const url = piece.toString('base64url');
    if (!forms.has(url)) forms.set(url, kind.replace('base64', 'base64url'));
  }
  const uri = uriEscape(value);
  if (uri && !forms.has(uri)) forms.set(uri, 'URI-escaped');
  const json = JSON.stringify(value).slice(1, -1);
  if (!forms.has(json)) forms.set(json, 'JSON-escaped');
  forms.delete('');
  return forms;
}

interface Watched {
  description: string;
  label: string;
  forms: Map<string, string>;
}

// A multi-line secret never fits on one log line; its lines are what can leak.
function watchList(secrets: Secret[]): Watched[] {
  const seen = new Set<string>();
  const watched: Watched[] = [];
  for (const { label, value } of secrets) {
    const lines = value.split(/\r\n|\r|\n/);
    const parts =
      lines.length === 1
        ? [{ label, value }]
        : lines.map((line, i) => ({ label: `${label} line ${i + 1}`, value: line }));
    for (const part of parts) {
      if (seen.has(part.value) || (lines.length > 1 && !isLongEnough(part.value))) continue;
      seen.add(part.value);
      watched.push({
        description: describe(part.label, part.value),
        label: part.label,
        forms: encodedForms(part.value)
      });
    }
  }
  return watched;
}

// Enough to tell secrets apart, never enough to give one away.
function describe(label: string, value: string): string {
  const shown = value.slice(0, Math.min(4, Math.floor(value.length / 4)));
  return `${label} (${shown}…, ${value.length} chars)`;
}

// A secret leaks on a line when it is still visible once the masks registered so far are applied.
function findLeak(texts: string[], watched: Watched[], masker: Set<string>): string | undefined {
  const visible = texts.map(text => maskText(text, masker));
  for (const secret of watched) {
    for (const [form, name] of secret.forms) {
      if (visible.some(text => text.includes(form))) {
        return name === 'raw' ? secret.description : `${secret.description} as ${name}`;
      }
    }
  }
  return undefined;
}

function redact(line: string, watched: Watched[]): string {
  const replacements = watched
    .flatMap(secret => [...secret.forms].map(([form, name]) => ({ form, name, secret })))
    .sort((a, b) => b.form.length - a.form.length);
  let text = line;
  for (const { form, name, secret } of replacements) {
    const tag = name === 'raw' ? secret.label : `${secret.label} as ${name}`;
    text = text.replaceAll(form, `[REDACTED ${tag}]`);
  }
  return text;
}

// FileCommandManager's parser for GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STATE: `name=value`
// lines and `name<<DELIMITER` heredocs, LF line ends (the Linux runner).
function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  let index = 0;
  const readLine = (): { line: string; newline: boolean } | undefined => {
    if (index >= text.length) return undefined;
    const start = index;
    const lf = text.indexOf('\n', index);
    index = lf < 0 ? text.length : lf + 1;
    return { line: text.slice(start, lf < 0 ? text.length : lf), newline: lf >= 0 };
  };
  for (let next = readLine(); next; next = readLine()) {
    const { line } = next;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      if (equals === 0) throw new Error(`Invalid format '${line}'. Name must not be empty`);
      values[line.slice(0, equals)] = line.slice(equals + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        throw new Error(
          `Invalid format '${line}'. Name must not be empty and delimiter must not be empty`
        );
      }
      const start = index;
      let end = index;
      for (let value = readLine(); value?.line !== delimiter; value = readLine()) {
        if (!value) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        if (!value.newline) throw new Error('Invalid value. EOF marker missing new line.');
        end = index - 1;
      }
      values[name] = text.slice(start, end);
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return values;
}
