import { looksLikeToken, MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH, TOKEN_RULE } from './claims.ts';
import { ENDPOINTS, type Endpoint } from './endpoints.ts';
import { ActionError } from './errors.ts';
import { gatewayError } from './gateway.ts';
import { parseHttpDate } from './http-date.ts';
import { parseRetryAfter } from './retry.ts';
import { postForm, type Answer, type PostOptions } from './transport.ts';

/** What a successful exchange yields. `refreshToken` only comes from a login. */
export interface Grant {
  accessToken: string;
  refreshToken?: string;
  releaseVersion: string;
  /**
   * KlearStack's clock when it answered (ms since the epoch, whole seconds): the answer's `Date`
   * header, which token time reads instead of the token's `iat` (run/token-time.ts). Undefined when
   * the answer had none, or one that is not a date.
   */
  serverDate?: number;
}

/** timeoutMs, signal and maxBodyBytes apply to each request (transport.ts). */
export interface ClientConfig extends PostOptions {
  apiRoot: string;
  /** Registers a value with the log masking; called on every token before anything else sees it. */
  mask(value: string): void;
  debug?(message: string): void;
  /**
   * The credentials the action was given (tokens, username, password): a release_version equal to
   * or containing one is dropped. The values sent and received are added as they pass.
   */
  secrets?: readonly string[];
}

/**
 * One attempt at one KlearStack endpoint per call: statuses become typed `ActionError`s, retrying is
 * the caller's business. A redirect is an error too (transport.ts never follows one).
 */
export class KlearClient {
  readonly #config: ClientConfig;
  /** Every secret this client has been given, sent or received, for releaseVersionOf. */
  readonly #secrets = new Set<string>();

  constructor(config: ClientConfig) {
    this.#config = config;
    for (const secret of config.secrets ?? []) this.#remember(secret);
  }

  #remember(value: unknown): void {
    if (typeof value === 'string' && value) this.#secrets.add(value);
  }

  refresh(request: {
    refreshToken: string;
    companyName: string;
    accessToken?: string;
  }): Promise<Grant> {
    const fields = { refresh_token: request.refreshToken, company_name: request.companyName };
    return this.#exchange('refresh', fields, request.accessToken);
  }

  login(request: { username: string; password: string; companyName: string }): Promise<Grant> {
    const fields = {
      username: request.username,
      password: request.password,
      company_name: request.companyName
    };
    return this.#exchange('login', fields);
  }

  async #exchange(
    endpoint: Endpoint,
    fields: Record<string, string>,
    bearer?: string
  ): Promise<Grant> {
    const url = new URL(this.#config.apiRoot + ENDPOINTS[endpoint]);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json'
    };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    this.#config.debug?.(`POST ${url.origin}${url.pathname}`);
    // company_name is an identifier, not a secret; everything else sent is.
    for (const [name, value] of Object.entries(fields))
      if (name !== 'company_name') this.#remember(value);
    this.#remember(bearer);
    const form = new URLSearchParams(fields).toString();
    const response = await postForm(url, form, headers, this.#config);
    this.#config.debug?.(`HTTP ${response.status} from ${url.host}`);
    return this.#interpret(
      endpoint,
      url,
      { fields: Object.keys(fields), bearer: Boolean(bearer) },
      response
    );
  }

  #interpret(endpoint: Endpoint, url: URL, sent: Sent, response: Answer): Grant {
    const { status } = response;
    const json = parseJson(response.body);
    if (status >= 200 && status < 300) {
      const grant = this.#grant(endpoint, json);
      const serverDate = parseHttpDate(response.headers.date);
      return serverDate === undefined ? grant : { ...grant, serverDate };
    }
    if (status >= 300 && status < 400) throw redirectError(status, url, response.headers.location);
    const gateway = gatewayError(status, url, response.headers, response.body, json);
    if (gateway) throw gateway;
    throw statusError(endpoint, url, sent, status, json, response.headers['retry-after']);
  }

  #grant(endpoint: Endpoint, json: unknown): Grant {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ActionError(
        'KlearStack answered HTTP 200 but the body is not a JSON object, so it carried no token. base-url probably points at a web page or a proxy rather than the API: check it.'
      );
    }
    const body = json as Record<string, unknown>;
    // Mask first: whatever these hold, they may be printed by a later message or the runner. A
    // malformed value as long as a token may still be one (with a stray quote or space); a shorter
    // one is a word, and masking it would blank that word all over the log. Neither is exported,
    // and nor is one past the bound, which is refused unmasked rather than sent to the log whole.
    for (const field of ['access_token', 'refresh_token']) {
      const value = body[field];
      this.#remember(value);
      if (
        typeof value === 'string' &&
        value.trim().length >= MIN_TOKEN_LENGTH &&
        value.length <= MAX_TOKEN_LENGTH
      )
        this.#config.mask(value);
    }
    const accessToken = body.access_token;
    if (accessToken === undefined || accessToken === null || accessToken === '') {
      throw new ActionError(
        'KlearStack answered HTTP 200 without an access_token, so there is nothing to export. Check that base-url points at the KlearStack API and not at another service.'
      );
    }
    if (typeof accessToken === 'string' && accessToken.length > MAX_TOKEN_LENGTH) {
      throw new ActionError(
        `KlearStack answered HTTP 200 with an access_token of ${accessToken.length} characters, over the ${MAX_TOKEN_LENGTH / 1024} KiB this action accepts (a KlearStack token is a few hundred): as an environment variable it would break later steps, so nothing was exported. Check that base-url points at the KlearStack API, and report this to KlearStack support if it persists.`
      );
    }
    if (!looksLikeToken(accessToken)) {
      throw new ActionError(
        `KlearStack answered HTTP 200 with an access_token that is not a token (not ${TOKEN_RULE}); nothing was exported. Check that base-url points at the KlearStack API, and report this to KlearStack support if it persists.`
      );
    }
    const grant: Grant = {
      accessToken,
      releaseVersion: this.#releaseVersionOf(body.release_version)
    };
    if (endpoint === 'login' && looksLikeToken(body.refresh_token))
      grant.refreshToken = body.refresh_token;
    else if (endpoint === 'login' && body.refresh_token !== undefined)
      this.#config.warning?.(
        `KlearStack's login answer carried a refresh_token that is not a token (not ${TOKEN_RULE}), so the refresh-token output is empty; the access token is unaffected. Report this to KlearStack support if it persists.`
      );
    return grant;
  }

  /**
   * release_version, or '' when it is not a version or might be a secret echoed by the server: it
   * goes to the summary and an output, which the action does not leave to the runner's masking.
   */
  #releaseVersionOf(value: unknown): string {
    if (typeof value !== 'string' || value === '') return '';
    if (!RELEASE_VERSION.test(value)) {
      this.#config.debug?.(
        `KlearStack's release_version (${value.length} characters) is not a version, so it is not reported.`
      );
      return '';
    }
    if ([...this.#secrets].some(secret => value.includes(secret))) {
      this.#config.debug?.(
        "KlearStack's release_version repeats a credential or token, so it is not reported."
      );
      return '';
    }
    return value;
  }
}

/**
 * A version as KlearStack reports it ("7.8.9"): digits, then up to four dot-separated parts such as
 * "0", "rc1" or "beta-2"; an optional leading 'v'. Narrow on purpose: anything else may be a token.
 */
const RELEASE_VERSION = /^v?\d{1,6}(\.[0-9A-Za-z-]{1,16}){0,4}$/;

/** What a request carried that its answer may be about: the form's field names, and whether a bearer went along. */
interface Sent {
  fields: string[];
  bearer: boolean;
}

/**
 * Deeper than any answer KlearStack gives (its errors nest two or three levels), and shallow enough
 * that reading what was parsed (JSON.stringify, a recursive walk) never runs out of stack.
 */
const MAX_JSON_DEPTH = 32;

/** The body as JSON, or undefined when it is not JSON or nests deeper than MAX_JSON_DEPTH. */
function parseJson(text: string): unknown {
  if (nestsDeeper(text, MAX_JSON_DEPTH)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether brackets outside strings open more than `limit` levels; stops at the first such. */
function nestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > limit) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

function redirectError(status: number, url: URL, location: string | undefined): ActionError {
  return new ActionError(
    `KlearStack answered with a redirect (HTTP ${status}) ${redirectTarget(url, location)}; redirects are refused so that the refresh token is never re-sent to another address. Point base-url at the final API address (check for http vs https, a missing prefix or an old host name).`,
    { status }
  );
}

/**
 * Where a redirect points, told by how it differs from the request, never by its text: a host is
 * lowercased by the URL parser, so a secret echoed into one would show unmasked.
 */
function redirectTarget(url: URL, location: string | undefined): string {
  if (!location) return 'without a location';
  let target: URL;
  try {
    target = new URL(location, url);
  } catch {
    return 'to an unreadable location';
  }
  if (target.protocol !== url.protocol) {
    const known = target.protocol === 'https:' || target.protocol === 'http:';
    return known
      ? `to ${target.protocol.slice(0, -1)} instead of ${url.protocol.slice(0, -1)}${target.host === url.host ? ' on the same host' : ' on another host or port'}`
      : 'to another scheme';
  }
  return target.host === url.host ? 'to another path on the same host' : 'to another host or port';
}

function statusError(
  endpoint: Endpoint,
  url: URL,
  sent: Sent,
  status: number,
  json: unknown,
  retryAfter: string | undefined
): ActionError {
  const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const refusal =
    status === 401 || status === 403 ? refusalOf(endpoint, sent, status, body) : undefined;
  if (refusal) return refusal;
  switch (status) {
    case 400:
      return new ActionError(
        `KlearStack refused the ${endpoint === 'login' ? 'login' : 'refresh'} request as incomplete (HTTP 400). Check that company-name${endpoint === 'login' ? ', username and password are' : ' and refresh-token are'} set and not empty.`,
        { status }
      );
    case 401:
      return new ActionError(
        'KlearStack rejected the request (HTTP 401): the refresh token or access token is invalid or expired, or company-name does not match the account. Store a new refresh token, check company-name, or give username and password so the action can log in.',
        { status }
      );
    case 403:
      return new ActionError(
        'KlearStack refused access (HTTP 403): the account may not use this endpoint, or a firewall in front of the API blocked the runner. Check the account with your KlearStack administrator, and any IP allow-list.',
        { status }
      );
    case 404:
      return new ActionError(
        `KlearStack has no token endpoint at ${url.origin}${url.pathname} (HTTP 404). Check base-url: it should be the API root, e.g. https://api.example.com, to which the action appends /access/klearstack/….`,
        { status }
      );
    case 429:
      return new ActionError(
        'KlearStack is limiting the rate of requests (HTTP 429). Try again later, or run fewer jobs at once.',
        {
          status,
          retryable: true,
          retryAfterSeconds: parseRetryAfter(retryAfter)
        }
      );
  }
  // KlearStack's 500 `{"error": "<name>"}` means that field was missing. Only a field we sent is
  // named back: any other text in a body could be an echo of something secret.
  if (status === 500 && typeof body.error === 'string' && sent.fields.includes(body.error)) {
    return new ActionError(
      `KlearStack says the required parameter '${body.error}' is missing or empty (HTTP 500). This will not fix itself on retry: check that the input that feeds it is set and that its secret is available to this workflow.`,
      { status }
    );
  }
  if (status >= 500) {
    return new ActionError(
      `KlearStack had a server error or is unavailable (HTTP ${status}). This is usually temporary: re-run the job later, and raise max-attempts if it happens often.`,
      { status, retryable: true, retryAfterSeconds: parseRetryAfter(retryAfter) }
    );
  }
  return new ActionError(
    `KlearStack answered with an unexpected HTTP ${status}. Check that base-url points at the KlearStack API.`,
    { status }
  );
}

/**
 * KlearStack's authentication refusing a request, read from the structure of Django REST framework's
 * and SimpleJWT's answers, never from their wording (which differs by version and language). DRF
 * answers 401 when the first authentication class challenges (JWTAuthentication: `WWW-Authenticate:
 * Bearer realm="api"`) and 403 when it does not (SessionAuthentication listed first), so both
 * statuses carry the same bodies (rest_framework/views.py, handle_exception).
 */
function refusalOf(
  endpoint: Endpoint,
  sent: Sent,
  status: number,
  body: Record<string, unknown>
): ActionError | undefined {
  if (endpoint === 'login') {
    return status === 401
      ? new ActionError(
          'KlearStack rejected the login (HTTP 401): the username, password or company-name is wrong. Check the service account secrets.',
          { status, refused: 'credentials' }
        )
      : undefined;
  }
  if (sent.bearer && rejectsBearer(body)) {
    return new ActionError(
      `KlearStack rejected the access token sent as the bearer as expired or invalid (HTTP ${status}). Leave access-token empty or pass a fresh one.`,
      { status, refused: 'bearer' }
    );
  }
  if (!sent.bearer && isDrfDetailOnly(body)) {
    return new ActionError(
      `KlearStack's refresh endpoint requires a valid access token as the bearer, and none was sent (HTTP ${status}). Give a living access token in access-token, or username and password (a service account) so the action can log in.`,
      { status, refused: 'needs-bearer' }
    );
  }
  if (body.code === 'token_not_valid') {
    return new ActionError(
      `KlearStack rejected the refresh token as invalid or expired (HTTP ${status}). Store a new refresh token in the secret, or give username and password so the action can log in.`,
      { status, refused: 'credentials' }
    );
  }
  return undefined;
}

/**
 * SimpleJWT's JWTAuthentication rejecting the Authorization header's token: `code: token_not_valid`
 * and one entry per token class it tried, each naming the class (authentication.py,
 * get_validated_token). Only the header's token gets `messages`; a refresh token the view rejects
 * gets `detail` and `code` alone (exceptions.py, InvalidToken).
 */
function rejectsBearer(body: Record<string, unknown>): boolean {
  const { code, messages } = body;
  return (
    code === 'token_not_valid' &&
    Array.isArray(messages) &&
    messages.some(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as Record<string, unknown>).token_class === 'string'
    )
  );
}

/**
 * DRF's own refusal of an unauthenticated request: `{"detail": …}` and nothing else (NotAuthenticated
 * or PermissionDenied, through exception_handler in views.py). KlearStack's view states its own
 * errors as `{"error": …}`, and SimpleJWT's carry a `code`.
 */
function isDrfDetailOnly(body: Record<string, unknown>): boolean {
  const keys = Object.keys(body);
  return keys.length === 1 && typeof body.detail === 'string';
}
