/**
 * The way to KlearStack for a mint: the client (its TLS trust, timeout and masking) and the retry
 * policy, from the settings the inputs gave. The step and `klear-token` connect alike.
 */
import { KlearClient } from './client.ts';
import type { MintDeps } from './mint.ts';
import type { Toolkit } from './publish.ts';
import { DEFAULT_POLICY } from './retry.ts';
import { trustContext } from './trust.ts';

/** Where and how to reach KlearStack, as the inputs gave it (the job folder keeps the same). */
export interface Connection {
  apiRoot: string;
  timeoutMs: number;
  maxAttempts: number;
  caCertificate: string;
}

export interface ConnectDeps {
  kit: Pick<Toolkit, 'info' | 'warning' | 'debug' | 'setSecret'>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Aborts requests and backoffs; none where only their deadlines end them (a plain step). */
  signal?: AbortSignal;
}

/**
 * The client and the retry policy for a connection: what mint() needs, for the step and klear-token.
 * `secrets` are the credentials given, which the client never reports as KlearStack's release.
 */
export async function connect(
  connection: Connection,
  deps: ConnectDeps,
  secrets: readonly string[] = []
): Promise<MintDeps> {
  const { kit } = deps;
  const warned = new Set<string>();
  const client = new KlearClient({
    secureContext: await trustContext(connection.caCertificate),
    apiRoot: connection.apiRoot,
    timeoutMs: connection.timeoutMs,
    mask: value => kit.setSecret(value),
    secrets,
    debug: message => kit.debug(message),
    // Said once per step, however many requests meet it (an unreadable proxy variable).
    warning: message => {
      if (warned.has(message)) return;
      warned.add(message);
      kit.warning(message);
    },
    signal: deps.signal
  });
  return {
    client,
    policy: { ...DEFAULT_POLICY, maxAttempts: connection.maxAttempts },
    retry: {
      sleep: ms => deps.sleep(ms, deps.signal),
      random: deps.random,
      onRetry: ({ attempt, delayMs, error }) => {
        // Cancelled: no retry, nor a word of one (the step says it was cancelled).
        deps.signal?.throwIfAborted();
        kit.warning(
          `Attempt ${attempt} failed: ${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s.`
        );
      }
    },
    info: message => kit.info(message),
    warning: message => kit.warning(message),
    now: deps.now
  };
}
