// The whole-job emulator (dev/job.ts) against a tiny action of its own, so each rule it carries
// from actions/runner is checked apart from klear-token-action.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { runJob } from '../dev/job.ts';

const actionDir = mkdtempSync(join(tmpdir(), 'klear-job-action-'));
afterAll(() => rmSync(actionDir, { recursive: true, force: true }));

writeFileSync(
  join(actionDir, 'action.yml'),
  `name: probe
inputs:
  label:
    default: ''
runs:
  using: node24
  main: main.js
  post: post.js
`
);
// The main step saves its label as state, says what PATH and RUNNER_TEMP it sees, and fails when
// its label is 'fail'.
writeFileSync(
  join(actionDir, 'main.js'),
  `const fs = require('node:fs');
const label = process.env.INPUT_LABEL;
fs.appendFileSync(process.env.GITHUB_STATE, 'label=' + label + '\\n');
console.log('main ' + label + ' state=' + (process.env.STATE_label ?? 'none'));
if (label === 'fail') process.exit(1);
`
);
writeFileSync(
  join(actionDir, 'post.js'),
  `console.log('post ' + process.env.STATE_label + ' input=' + process.env.INPUT_LABEL);\n`
);

const lines = (log: string) => log.split('\n');

describe('a whole job', () => {
  it('gives later steps, not the same one, what GITHUB_ENV and GITHUB_PATH set; the newest folder first', async () => {
    const job = await runJob({
      actionDir,
      steps: [
        {
          run: 'echo "GREETING=hello" >> "$GITHUB_ENV"; echo /first >> "$GITHUB_PATH"; echo "same step: ${GREETING:-unset}"'
        },
        { run: 'echo /second >> "$GITHUB_PATH"' },
        { run: 'echo "later: $GREETING"; echo "path: ${PATH%%:/usr*}"', env: { OWN: 'x' } },
        { run: 'echo "step env wins: $GREETING"', env: { GREETING: 'own' } }
      ]
    });

    expect(job.conclusion).toBe('success');
    expect(lines(job.log)).toEqual(
      expect.arrayContaining([
        'same step: unset',
        'later: hello',
        expect.stringMatching(/^path: \/second:\/first(:|$)/),
        'step env wins: own'
      ])
    );
  });

  it('keeps a mask registered in one step for every later step', async () => {
    const job = await runJob({
      actionDir,
      steps: [
        { run: 'echo "before: s3cr3t-value"' },
        { run: 'echo "::add-mask::s3cr3t-value"' },
        { run: 'echo "after: s3cr3t-value"', shell: 'sh' },
        { run: 'print("python: s3cr3t-value")', shell: 'python' }
      ]
    });

    expect(lines(job.log)).toEqual(
      expect.arrayContaining(['before: s3cr3t-value', 'after: ***', 'python: ***'])
    );
  });

  it('runs post steps after the main steps, in reverse order, with their state and inputs', async () => {
    const job = await runJob({
      actionDir,
      steps: [
        { uses: 'action', with: { label: 'one' }, name: 'one' },
        { run: 'echo between' },
        { uses: 'action', with: { label: 'two' }, name: 'two' }
      ]
    });

    expect(job.steps.map(step => `${step.stage} ${step.name}`)).toEqual([
      'main one',
      'run step 2',
      'main two',
      'post Post two',
      'post Post one'
    ]);
    const said = lines(job.log).filter(line => /^(main|post) /.test(line));
    expect(said).toEqual([
      'main one state=none',
      'main two state=none',
      'post two input=two',
      'post one input=one'
    ]);
  });

  it('skips the main steps after a failure and still runs the post steps (post-if: always())', async () => {
    const job = await runJob({
      actionDir,
      steps: [
        { uses: 'action', with: { label: 'fail' }, name: 'failing' },
        { run: 'echo never', name: 'after' }
      ]
    });

    expect(job.conclusion).toBe('failure');
    expect(job.steps.map(step => `${step.stage} ${step.name}`)).toEqual([
      'main failing',
      'skipped after',
      'post Post failing'
    ]);
    expect(job.log).not.toContain('never');
  });

  it('runs bash with -e and -o pipefail, as a run: step', async () => {
    const job = await runJob({
      actionDir,
      steps: [{ run: 'false | true\necho "went on"' }]
    });

    expect(job.conclusion).toBe('failure');
    expect(job.log).not.toContain('went on');
  });

  it('reports what was left in RUNNER_TEMP, and empties it at the end', async () => {
    let temp = '';
    const job = await runJob({
      actionDir,
      steps: [{ run: 'mkdir "$RUNNER_TEMP/left-behind"; echo "$RUNNER_TEMP"' }],
      onStep: step => {
        temp = lines(step.result?.log ?? '').at(-1) ?? '';
      }
    });

    expect(job.tempLeft).toContain('left-behind');
    expect(temp).not.toBe('');
    expect(existsSync(temp)).toBe(false);
  });
});
