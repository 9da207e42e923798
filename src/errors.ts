export type Refusal = 'bearer' | 'needs-bearer' | 'credentials';

/**
 * A failure the user can act on. `message` is one sentence of what happened and one of what to do;
 * it is printed as the step's error, so it must never contain a secret or a raw response body.
 */
export class ActionError extends Error {
  /** Whether a later attempt could succeed (a 503, a reset), as opposed to a permanent refusal. */
  readonly retryable: boolean;
  /** HTTP status of the response that caused it, if there was one. */
  readonly status?: number;
  /** Seconds the server asked us to wait (Retry-After), if it said. */
  readonly retryAfterSeconds?: number;
  /**
   * What KlearStack's authentication refused, when it said so in its own structure (client.ts):
   * `bearer`, the access token sent along (a refresh without it may pass); `needs-bearer`, nothing
   * was sent and the endpoint wants a valid one (only a login can help); `credentials`, the refresh
   * token, company or account (a login may help).
   */
  readonly refused?: Refusal;
  /** The answer came from something in front of KlearStack, not from KlearStack itself. */
  readonly fromGateway: boolean;

  constructor(
    message: string,
    options: {
      retryable?: boolean;
      status?: number;
      retryAfterSeconds?: number;
      refused?: Refusal;
      fromGateway?: boolean;
    } = {}
  ) {
    super(message);
    this.name = 'ActionError';
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.refused = options.refused;
    this.fromGateway = options.fromGateway ?? false;
  }
}

/** A Node error's code (ENOSPC, ECONNRESET, HPE_…), or '' when it has none. */
export function codeOf(error: unknown): string {
  return String((error as { code?: unknown } | undefined)?.code ?? '');
}

/** The message to show for anything thrown, without stack traces or nested causes. */
export function messageOf(error: unknown): string {
  if (error instanceof ActionError) return error.message;
  const detail = error instanceof Error ? error.message : String(error);
  return `Unexpected error: ${detail}. This is a bug in klear-token-action; please report it with this message.`;
}

/**
 * An invalid input's value described by its length, never quoted: the runner masks only whole
 * secrets, so a secret pasted into the wrong input would show in part.
 */
export function givenValue(value: string): string {
  return `the value given (${value.length} character${value.length === 1 ? '' : 's'})`;
}
