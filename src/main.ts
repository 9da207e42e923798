import * as core from '@actions/core';
import { appendFile } from 'node:fs/promises';
import { KlearClient } from './client.ts';
import { messageOf } from './errors.ts';
import { readInputs, type Inputs } from './inputs.ts';
import { expiryWarnings, mint, type Credentials, type MintDeps } from './mint.ts';
import { publish, type Toolkit } from './publish.ts';
import { DEFAULT_POLICY, realSleep } from './retry.ts';
import { renderSummary } from './summary.ts';

export interface MainDeps {
  kit: Toolkit;
  /** Appends Markdown to the job summary. */
  summary(markdown: string): Promise<void>;
  sleep(ms: number): Promise<void>;
  random(): number;
  now(): number;
}

/** The whole step for validated inputs; knows nothing of process.env. */
export async function main(inputs: Inputs, deps: MainDeps): Promise<void> {
  const { kit } = deps;
  const client = new KlearClient({
    apiRoot: inputs.apiRoot,
    timeoutMs: inputs.timeoutMs,
    mask: value => kit.setSecret(value),
    debug: message => kit.debug(message)
  });
  const credentials: Credentials = {
    refreshToken: inputs.refreshToken,
    accessToken: inputs.accessToken,
    companyName: inputs.companyName,
    username: inputs.username,
    password: inputs.password
  };
  for (const warning of expiryWarnings(credentials, deps.now())) kit.warning(warning);
  const mintDeps: MintDeps = {
    client,
    policy: { ...DEFAULT_POLICY, maxAttempts: inputs.maxAttempts },
    retry: {
      sleep: deps.sleep,
      random: deps.random,
      onRetry: ({ attempt, delayMs, error }) =>
        kit.warning(
          `Attempt ${attempt} failed: ${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s.`
        )
    },
    info: message => kit.info(message),
    warning: message => kit.warning(message),
    now: deps.now
  };
  const minted = await mint(credentials, mintDeps);
  publish(kit, minted, inputs.envName);
  kit.info(
    `Got a KlearStack access token by ${minted.method}${inputs.envName ? `; later steps have it in ${inputs.envName}` : ''}.`
  );
  await deps.summary(renderSummary(minted));
}

export async function run(): Promise<void> {
  try {
    const inputs = readInputs({
      get: name => core.getInput(name),
      mask: value => core.setSecret(value),
      warn: message => core.warning(message)
    });
    await main(inputs, {
      kit: core,
      summary: markdown => appendSummary(markdown),
      sleep: realSleep,
      random: Math.random,
      now: Date.now
    });
  } catch (error) {
    core.setFailed(messageOf(error));
  }
}

/** A summary is a courtesy: failing to write one must not fail a step that got its token. */
async function appendSummary(markdown: string): Promise<void> {
  const path = process.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  try {
    await appendFile(path, markdown);
  } catch (error) {
    core.warning(`Could not write the job summary: ${messageOf(error)}`);
  }
}
