// Runs a bundled action in a child process the way the GitHub Actions runner does, and reports what
// the runner would show: the masked log, annotations, file commands, and every secret that reached
// the log before it was masked. Behaviour follows actions/runner (ActionCommand, SecretMasker,
// ValueEncoders, FileCommandManager).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface RunOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  secrets?: string[];
  entry?: string;
  /**
   * A folder holding the action as the runner downloads it: its action.yml declares the inputs and
   * names the entry (runs.main), as the runner reads them. Default: this repository.
   */
  actionDir?: string;
  timeoutMs?: number;
  cwd?: string;
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
}

export interface RunningAction {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  result: Promise<RunResult>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SECRET_INPUTS = ['refresh-token', 'access-token', 'password', 'username', 'company-name'];
const SECRET_OUTPUTS = ['access-token', 'refresh-token'];
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
  const main = readManifest(actionDir).runs?.main;
  const entry = options.entry ?? join(actionDir, String(main ?? 'dist/index.js'));
  if (!existsSync(entry)) {
    throw new Error(`The action entry ${entry} does not exist. Build it first (npm run bundle).`);
  }
  const declared = actionInputs(actionDir);
  const root = mkdtempSync(join(tmpdir(), 'klear-runner-'));
  try {
    return launch(entry, declared, root, options);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

// Everything under `root` is removed once the result is in.
function launch(
  entry: string,
  declared: ReturnType<typeof actionInputs>,
  root: string,
  options: RunOptions
): RunningAction {
  const runnerTemp = join(root, 'temp');
  const workspace = options.cwd ?? join(root, 'workspace');
  mkdirSync(runnerTemp);
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
      GITHUB_REPOSITORY: 'org/repo'
    },
    files,
    options.env
  );

  const started = performance.now();
  // Its own process group, so a timeout also kills what the action started (run mode's bash),
  // which would otherwise hold the output pipes open.
  const child = spawn(process.execPath, [entry], {
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

  const rawLines: string[] = [];
  const readers = [child.stdout, child.stderr].map(stream => {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', line => rawLines.push(line));
    return once(reader, 'close');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs ?? 60_000);
  let orphans = false;
  child.on('exit', () => {
    clearTimeout(timer);
    if (timedOut) return;
    try {
      process.kill(-pid, 0);
      orphans = true;
    } catch {
      return;
    }
    killGroup();
  });

  const result = (async (): Promise<RunResult> => {
    try {
      const [exitCode, signal] = (await once(child, 'close')) as [
        number | null,
        NodeJS.Signals | null
      ];
      await Promise.all(readers);
      const durationMs = performance.now() - started;
      const fileText = (name: keyof typeof files): string => readFileSync(files[name], 'utf8');
      return {
        exitCode,
        signal,
        timedOut,
        durationMs,
        ...interpret({
          rawLines,
          preamble,
          orphans,
          showDebug: options.env?.RUNNER_DEBUG === '1',
          secrets: [
            ...(options.secrets ?? [])
              .map((value, i) => ({ label: `secrets[${i}]`, value }))
              .filter(secret => secret.value !== ''),
            ...SECRET_INPUTS.map(name => ({
              label: `input ${name}`,
              value: inputs[name] ?? ''
            })).filter(secret => isLongEnough(secret.value))
          ],
          files: {
            output: fileText('GITHUB_OUTPUT'),
            env: fileText('GITHUB_ENV'),
            state: fileText('GITHUB_STATE'),
            summary: fileText('GITHUB_STEP_SUMMARY')
          }
        })
      };
    } finally {
      clearTimeout(timer);
      killGroup();
      rmSync(root, { recursive: true, force: true });
    }
  })();

  return {
    pid,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    result
  };
}

interface Secret {
  label: string;
  value: string;
}

interface Transcript {
  rawLines: string[];
  preamble: string[];
  orphans: boolean;
  showDebug: boolean;
  secrets: Secret[];
  files: { output: string; env: string; state: string; summary: string };
}

type Interpreted = Omit<RunResult, 'exitCode' | 'signal' | 'timedOut' | 'durationMs'>;

function interpret(transcript: Transcript): Interpreted {
  const log: string[] = [];
  const masker = new Set<string>();
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
    leaks: []
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
  if ('NODE_OPTIONS' in out.exportedEnv) {
    delete out.exportedEnv.NODE_OPTIONS;
    fileErrors.push("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
  }

  const produced = [
    ...SECRET_OUTPUTS.map(name => ({ label: `output ${name}`, value: out.outputs[name] ?? '' })),
    ...Object.entries(out.exportedEnv)
      .filter(([name]) => name.toUpperCase().endsWith('TOKEN'))
      .map(([name, value]) => ({ label: `env ${name}`, value }))
  ].filter(secret => isLongEnough(secret.value));
  const watched = watchList([...transcript.secrets, ...produced]);

  transcript.rawLines.forEach((line, index) => {
    const command = parseCommand(line);
    if (command?.name !== 'add-mask') {
      const leak = findLeak(command ? [line, command.data] : [line], watched, masker);
      if (leak) {
        out.leaks.push({ secret: leak, line: index + 1, text: redact(line, watched) });
      }
    }
    switch (command?.name) {
      case 'add-mask':
        if (command.data.trim() === '') {
          annotate('warning', "Can't add secret mask for empty string in ##[add-mask] command.");
        } else {
          out.masks.push(command.data);
          addMask(masker, command.data);
        }
        break;
      case 'error':
      case 'warning':
      case 'notice':
        annotate(command.name, command.data);
        break;
      case 'debug': {
        const masked = maskText(command.data, masker);
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

const HANDLED_COMMANDS = new Set(['add-mask', 'error', 'warning', 'notice', 'debug']);

// ActionCommand.TryParseV2: `::name key=value,...::data`, command names case-insensitive, only
// commands the runner handles; anything else is ordinary output.
function parseCommand(line: string): { name: string; data: string } | undefined {
  const message = line.trimStart();
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!HANDLED_COMMANDS.has(name)) return undefined;
  return { name, data: unescapeData(message.slice(end + 2)) };
}

// In the runner's order, one replacement after the other.
function unescapeData(escaped: string): string {
  return escaped.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
}

// AddMaskCommandExtension registers the value and each of its lines; SecretMasker adds every
// encoded form of each.
function addMask(masker: Set<string>, value: string): void {
  for (const part of [value, ...value.split(/[\r\n]+/)]) {
    if (part === '') continue;
    for (const variant of encodedForms(part, true).keys()) masker.add(variant);
  }
}

// Keyed by form, valued by its name. The base64 of the value shifted by one and two bytes (how
// it looks inside a longer base64 text) is masked like the runner does, but not looked for as a
// leak: for a short secret it is a few characters that unrelated text contains.
function encodedForms(value: string, shifted: boolean): Map<string, string> {
  const forms = new Map<string, string>([[value, 'raw']]);
  const bytes = Buffer.from(value, 'utf8');
  for (let offset = 0; offset <= (shifted ? 2 : 0); offset++) {
    const base64 = bytes.subarray(offset).toString('base64').replace(/=+$/, '');
    if (!forms.has(base64)) forms.set(base64, 'base64');
    const base64url = base64.replaceAll('+', '-').replaceAll('/', '_');
    if (!forms.has(base64url)) forms.set(base64url, 'base64url');
  }
  if (value.isWellFormed()) {
    // .NET Uri.EscapeDataString: RFC 3986, so also the five characters encodeURIComponent keeps.
    const uri = encodeURIComponent(value).replace(
      /[!'()*]/g,
      c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
    );
    if (!forms.has(uri)) forms.set(uri, 'URI-escaped');
  }
  const json = JSON.stringify(value).slice(1, -1);
  if (!forms.has(json)) forms.set(json, 'JSON-escaped');
  forms.delete('');
  return forms;
}

// SecretMasker.MaskSecrets: every occurrence of every form, overlapping or adjacent ones merged
// into a single '***'.
function maskText(text: string, masker: Set<string>): string {
  const ranges: [number, number][] = [];
  for (const form of masker) {
    for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
      ranges.push([at, at + form.length]);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let masked = '';
  let copied = 0;
  let [start, end] = ranges[0];
  for (const [from, to] of ranges.slice(1)) {
    if (from <= end) {
      end = Math.max(end, to);
    } else {
      masked += `${text.slice(copied, start)}***`;
      copied = end;
      [start, end] = [from, to];
    }
  }
  return `${masked}${text.slice(copied, start)}***${text.slice(end)}`;
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
        forms: encodedForms(part.value, false)
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
