// What every end-to-end run must show about secrets, whichever KlearStack it ran against (the
// stand-in in e2e-action.test.ts, the reference Django stack in klearstack.test.ts).
import { expect } from '@jest/globals';
import type { RunOptions, RunResult } from '../../dev/runner.ts';

const CREDENTIAL_INPUTS = ['refresh-token', 'access-token', 'username', 'password'];

/**
 * What must hold for every run, passed or failed: each credential input is masked before the action
 * writes anything else, each token KlearStack issued (`minted`) is masked, no secret is printed at
 * all (not even masked) except to register its mask, the displayed log shows no JWT, and the
 * emulator saw no secret before its mask.
 */
export function expectSecretsKept(
  result: RunResult,
  options: RunOptions,
  minted: string[] = []
): void {
  const inputs = options.inputs ?? {};
  const credentials = CREDENTIAL_INPUTS.map(name => (inputs[name] ?? '').trim()).filter(Boolean);
  expect(result.rawLines.slice(0, credentials.length)).toEqual(
    credentials.map(value => `::add-mask::${value}`)
  );
  for (const token of minted) {
    expect(token).toMatch(/^eyJ/);
    expect(result.masks).toContain(token);
  }
  for (const secret of [...credentials, ...(options.secrets ?? []), ...minted]) {
    const printed = result.rawLines.filter(
      line => line.includes(secret) && !line.startsWith('::add-mask::')
    );
    expect(printed).toEqual([]);
  }
  expect(result.log).not.toContain('eyJ');
  // Nothing in the step's own log. Line 0 is the runner's echo of `with:` before the step, which
  // the action cannot mask: only a secret put into an input that is no credential shows there.
  expect(result.leaks.filter(leak => leak.line > 0)).toEqual([]);
  for (const leak of result.leaks.filter(leak => leak.line === 0)) {
    expect(leak.text).toMatch(/^ {2}base-url: /);
  }
}
