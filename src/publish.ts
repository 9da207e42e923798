import type { Minted } from './mint.ts';

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
 * by the client the moment it was read from the response. `expiresAt` is token time's
 * (run/token-time.ts `expiresAt`): '' when the token's expiry could not be used.
 */
export function publish(kit: Toolkit, minted: Minted, envName: string, expiresAt: string): void {
  kit.setOutput('access-token', minted.accessToken);
  kit.setOutput('refresh-token', minted.refreshToken ?? '');
  kit.setOutput('release-version', minted.releaseVersion);
  kit.setOutput('expires-at', expiresAt);
  if (envName) kit.exportVariable(envName, minted.accessToken);
}
