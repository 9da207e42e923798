import type { Minted } from './mint.ts';
import { expiryIso } from './claims.ts';

/** The part of the runner's toolkit this action uses (toolkit.ts); main() takes it as a value so tests can watch it. */
export interface Toolkit {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  setFailed(message: string): void;
}

/**
 * Sets the outputs and, unless envName is '', the environment variable. Every token here was masked
 * by the client the moment it was read from the response.
 */
export function publish(kit: Toolkit, minted: Minted, envName: string): void {
  kit.setOutput('access-token', minted.accessToken);
  kit.setOutput('refresh-token', minted.refreshToken ?? '');
  kit.setOutput('release-version', minted.releaseVersion);
  kit.setOutput('expires-at', expiryIso(minted.accessToken));
  if (envName) kit.exportVariable(envName, minted.accessToken);
}
