// Stands for the GitHub Actions runner running a whole job: the steps of one job, one after
// another, each started as dev/runner.ts starts a step, with what outlives a step carried between
// them as actions/runner 2.336.0 carries it (paths under its src/):
// - GITHUB_ENV and GITHUB_PATH are read when a step ends and apply to every later step; each step
//   gets fresh, empty files (Runner.Worker/FileCommandManager.cs: InitializeFiles, SetEnvFileCommand,
//   AddPathFileCommand). PATH is the added folders, the newest first, before the job's PATH
//   (Handlers/Handler.cs AddPrependPathToEnvironment). A step's own `env:` wins over GITHUB_ENV's.
// - GITHUB_STATE becomes STATE_<name> in the same action's post step only (SaveStateFileCommand;
//   ActionRunner.cs sets STATE_* from the step's IntraActionState).
// - Masks belong to the worker's one SecretMasker (Runner.Common/HostContext.cs), so a value masked
//   in any step is masked in every later line of the job.
// - A failed step skips the later main steps (their default `if: success()`, StepsRunner.cs).
// - An action's `runs.post` is registered when its main step starts (ActionRunner.cs), pushed on a
//   stack and run after all main steps, so in the reverse order (ExecutionContext.cs
//   RegisterPostJobStep, StepsRunner.cs), with the same inputs; `post-if` defaults to `always()`
//   (ActionManifestManager.cs). This emulator knows only `always()`.
// - A `run:` step's script is written to RUNNER_TEMP/<guid><ext> as UTF-8 and run through its
//   shell's template: `bash --noprofile --norc -e -o pipefail {0}`, `sh -e {0}`, `python {0}`
//   (Handlers/ScriptHandler.cs, ScriptHandlerHelpers.cs).
// - RUNNER_TEMP is emptied when the job starts and when it ends (TempDirectoryManager.cs); what is
//   left in it just before the end is reported, so a test can see what a step failed to remove.
// - At the job's end every process still carrying its RUNNER_TRACKING_ID is killed
//   (JobExtension.cs), not at each step's end.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startAction, sweep, type RunOptions, type RunResult } from './runner.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The shells a `run:` step can name here, with ScriptHandlerHelpers.cs's templates. */
const SHELLS = {
  bash: { command: ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail'], extension: '.sh' },
  sh: { command: ['sh', '-e'], extension: '.sh' },
  python: { command: ['python3'], extension: '.py' }
} as const;

export type Shell = keyof typeof SHELLS;

interface StepBase {
  name?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ScriptStep extends StepBase {
  run: string;
  shell?: Shell;
}

/** The action in `actionDir` (this repository by default), with these `with:` values. */
export interface ActionStep extends StepBase {
  uses: 'action';
  with?: Record<string, string>;
}

export type JobStep = ScriptStep | ActionStep;

export interface JobOptions {
  steps: JobStep[];
  /**
   * Values the job treats as secrets: masked from the start, as `secrets.*` are, and looked for in
   * every step's log. Read as each step ends, so a list that grows while the job runs (tokens a
   * stand-in issues) is checked as it stands then.
   */
  secrets?: string[];
  /** Tokens and such to look for in the log without masking them first. */
  watch?: string[];
  /** The job's environment (`env:` at job level). */
  env?: Record<string, string>;
  actionDir?: string;
  /** Called as each step ends, before the next starts. */
  onStep?(step: StepRecord): void | Promise<void>;
}

export interface StepRecord {
  name: string;
  stage: 'run' | 'main' | 'post' | 'skipped';
  /** Undefined for a skipped step. */
  result?: RunResult;
}

export interface JobResult {
  steps: StepRecord[];
  /** Every step's log, each after a `##[group]<name>` line, as the job's log reads. */
  log: string;
  leaks: { step: string; secret: string; line: number; text: string }[];
  conclusion: 'success' | 'failure';
  /** What was in RUNNER_TEMP just before the runner emptied it at the job's end. */
  tempLeft: string[];
  /** Processes the end-of-job sweep found (and killed), as `pid command`. */
  survivors: string[];
}

interface Carried {
  env: Record<string, string>;
  /** Folders from GITHUB_PATH, oldest first. */
  paths: string[];
  masks: string[];
}

export async function runJob(options: JobOptions): Promise<JobResult> {
  const actionDir = options.actionDir ?? repoRoot;
  const root = mkdtempSync(join(tmpdir(), 'klear-job-'));
  const runnerTemp = join(root, 'temp');
  const workspace = join(root, 'workspace');
  mkdirSync(runnerTemp);
  mkdirSync(workspace);
  const trackingId = `github_${randomUUID()}`;
  const carried: Carried = { env: { ...options.env }, paths: [], masks: [] };
  const records: StepRecord[] = [];
  const posts: { name: string; step: ActionStep; state: RunResult['state'] }[] = [];
  let failed = false;

  const runStep = async (
    name: string,
    stage: StepRecord['stage'],
    step: JobStep,
    extra: Pick<RunOptions, 'inputs' | 'entry' | 'env'> & { command?: string[] }
  ): Promise<RunResult> => {
    const secrets = options.secrets ?? [];
    const pathValue = [...carried.paths]
      .reverse()
      .concat(process.env.PATH ?? '')
      .join(delimiter);
    const result = await startAction({
      actionDir,
      timeoutMs: step.timeoutMs ?? 60_000,
      inputs: extra.inputs,
      entry: extra.entry,
      env: { ...carried.env, ...step.env, ...extra.env, PATH: pathValue },
      secrets: [...secrets, ...(options.watch ?? [])],
      job: {
        runnerTemp,
        workspace,
        trackingId,
        masks: [...secrets.filter(value => value.trim() !== ''), ...carried.masks],
        command: extra.command
      }
    }).result;
    carried.masks.push(...result.masks);
    Object.assign(carried.env, result.exportedEnv);
    for (const path of result.paths) {
      carried.paths = carried.paths.filter(known => known !== path).concat(path);
    }
    const record = { name, stage, result };
    records.push(record);
    await options.onStep?.(record);
    return result;
  };

  try {
    for (const [index, step] of options.steps.entries()) {
      const name = step.name ?? `step ${index + 1}`;
      if (failed) {
        records.push({ name, stage: 'skipped' });
        continue;
      }
      let result: RunResult;
      if ('run' in step) {
        const shell = SHELLS[step.shell ?? 'bash'];
        const script = join(runnerTemp, `${randomUUID()}${shell.extension}`);
        writeFileSync(script, step.run);
        result = await runStep(name, 'run', step, { command: [...shell.command, script] });
      } else {
        if (postOf(actionDir)) posts.push({ name: `Post ${name}`, step, state: {} });
        result = await runStep(name, 'main', step, { inputs: step.with });
        const post = posts.at(-1);
        if (post?.step === step) post.state = result.state;
      }
      if (result.conclusion === 'failure') failed = true;
    }
    for (const post of posts.reverse()) {
      const state = Object.fromEntries(
        Object.entries(post.state).map(([key, value]) => [`STATE_${key}`, value])
      );
      const result = await runStep(post.name, 'post', post.step, {
        inputs: post.step.with,
        entry: join(actionDir, postOf(actionDir) as string),
        env: state
      });
      if (result.conclusion === 'failure') failed = true;
    }
    const tempLeft = readdirSync(runnerTemp);
    const survivors = sweep(trackingId);
    return {
      steps: records,
      log: records
        .filter(record => record.result)
        .map(record => `##[group]${record.name}\n${record.result?.log}`)
        .join('\n'),
      leaks: records.flatMap(record =>
        (record.result?.leaks ?? []).map(leak => ({ step: record.name, ...leak }))
      ),
      conclusion: failed ? 'failure' : 'success',
      tempLeft,
      survivors: survivors.map(survivor => `${survivor.pid} ${survivor.command}`)
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The action's `runs.post`, when it has one; only `post-if: always()` is emulated. */
function postOf(actionDir: string): string | undefined {
  const manifest = parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as {
    runs?: { post?: string; 'post-if'?: string };
  };
  const postIf = manifest.runs?.['post-if'] ?? 'always()';
  if (postIf.trim() !== 'always()') {
    throw new Error(`dev/job.ts emulates post-if: always() only, not '${postIf}'.`);
  }
  return manifest.runs?.post;
}
