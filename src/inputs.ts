import { statSync } from 'node:fs';
import { looksLikeToken, TOKEN_RULE } from './claims.ts';
import { ENDPOINTS } from './endpoints.ts';
import { reservedEnvRule } from './env-names.ts';
import { ActionError, givenValue } from './errors.ts';
import { parseShell, type Shell } from './run/shell.ts';

/** Validated, plain values: nothing after this module reads `process.env` or the raw inputs. */
export interface Inputs {
  /** The API root, without a trailing slash or an endpoint path, e.g. https://host/prefix. */
  apiRoot: string;
  refreshToken: string;
  companyName: string;
  accessToken: string;
  username: string;
  password: string;
  /** '' exports nothing. */
  envName: string;
  timeoutMs: number;
  maxAttempts: number;
  /** '' means plain mode: mint, publish, exit. */
  run: string;
  refreshIntervalMs: number;
  workingDirectory: string;
  /** How run mode runs `run`; found on PATH while the inputs are read. Bash when `run` is empty. */
  shell: Shell;
  /** PEM certificates to trust besides Node's; checked by trust.ts before any request. */
  caCertificate: string;
  /** 'job': later steps of the job get `klear-token`, which keeps a token fresh for them. */
  keepFresh: '' | 'job';
}

export interface InputSource {
  get(name: string): string;
  /** Registers a value with the runner's log masking. */
  mask(value: string): void;
  warn(message: string): void;
}

/**
 * Credentials. Masked before anything is validated, so that no later message, debug line or crash
 * can print them. company-name is an identifier, not a credential: it is masked by the runner when
 * it comes from a secret, and masking a short word ourselves would blank it all over the log.
 */
const SECRET_INPUTS = ['refresh-token', 'access-token', 'username', 'password'] as const;

export const LIMITS = {
  timeoutSeconds: { min: 1, max: 3600 },
  maxAttempts: { min: 1, max: 10 },
  refreshIntervalSeconds: { min: 1, max: 24 * 3600 }
} as const;

/**
 * action.yml's default for refresh-interval. `refresh-interval: ''` (a workflow passing on an unset
 * input of its own, say) means this too, as an omitted input does.
 */
export const DEFAULT_REFRESH_INTERVAL = '10m';

const SECRETS_HINT =
  'If it comes from a secret or variable, make sure that is available to this workflow: secrets are empty on pull requests from forks and on Dependabot runs.';

export function readInputs(source: InputSource, env: NodeJS.ProcessEnv = process.env): Inputs {
  const raw = (name: string): string => source.get(name).trim();
  for (const name of SECRET_INPUTS) {
    const value = raw(name);
    if (value) source.mask(value);
  }

  const baseUrl = raw('base-url');
  if (!baseUrl)
    throw missing('base-url', 'Set it to your KlearStack API root, e.g. https://api.example.com.');
  const companyName = raw('company-name');
  if (!companyName)
    throw missing('company-name', 'Set it to the company your KlearStack account belongs to.');

  const refreshToken = raw('refresh-token');
  const accessToken = raw('access-token');
  const username = raw('username');
  const password = raw('password');
  if (!refreshToken && !username && !password) {
    throw new ActionError(
      "No credentials: input 'refresh-token' is empty and no 'username'/'password' were given. Give a refresh token, or a service account's username and password for unattended jobs. " +
        SECRETS_HINT
    );
  }
  if (Boolean(username) !== Boolean(password)) {
    const [given, absent] = username ? ['username', 'password'] : ['password', 'username'];
    throw new ActionError(
      `Input '${absent}' is empty but '${given}' is set: a login needs both. ${SECRETS_HINT}`
    );
  }
  checkTokenShape('refresh-token', refreshToken);
  checkTokenShape('access-token', accessToken);

  const run = source.get('run');
  const workingDirectory = raw('working-directory');
  if (!run.trim()) {
    if (workingDirectory)
      source.warn("Input 'working-directory' is ignored because 'run' is empty.");
  } else if (workingDirectory) {
    checkDirectory(workingDirectory);
  }
  // Only a command needs its shell on this runner; plain mode never starts one.
  const shell = run.trim()
    ? parseShell(raw('shell'), env)
    : { program: 'bash', template: '', extension: '.sh', name: 'bash' };

  return {
    apiRoot: parseApiRoot(baseUrl),
    refreshToken,
    companyName,
    accessToken,
    username,
    password,
    envName: checkEnvName(raw('env-name')),
    timeoutMs: wholeNumber('timeout-seconds', raw('timeout-seconds'), LIMITS.timeoutSeconds) * 1000,
    maxAttempts: wholeNumber('max-attempts', raw('max-attempts'), LIMITS.maxAttempts),
    run: run.trim() ? run : '',
    refreshIntervalMs: parseDuration(raw('refresh-interval') || DEFAULT_REFRESH_INTERVAL) * 1000,
    workingDirectory,
    shell,
    caCertificate: raw('ca-certificate'),
    keepFresh: parseKeepFresh(raw('keep-fresh'))
  };
}

function parseKeepFresh(value: string): '' | 'job' {
  if (value === '' || value === 'job') return value;
  throw new ActionError(
    `Input 'keep-fresh' must be '' (the token is for this job's later steps as it is) or 'job' (later steps call klear-token for a fresh one); ${givenValue(value)} is neither.`
  );
}

function missing(name: string, what: string): ActionError {
  return new ActionError(`Input '${name}' is required but empty. ${what} ${SECRETS_HINT}`);
}

function checkTokenShape(name: string, value: string): void {
  if (value && !looksLikeToken(value)) {
    throw new ActionError(
      `Input '${name}' does not look like a token: a token is ${TOKEN_RULE}, and this one has spaces, quotes, line breaks or other characters a token cannot have, or is too short or too long. Store the bare token in the secret, without 'Bearer', quotes or the surrounding JSON.`
    );
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Accepts the API root or the full endpoint URL. The value is never echoed in a message: a URL can
 * carry credentials, and people paste the wrong thing into this input.
 */
export function parseApiRoot(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionError(
      "Input 'base-url' is not an absolute URL. Give the full KlearStack API root including the scheme, e.g. https://api.example.com."
    );
  }
  if (url.username || url.password) {
    throw new ActionError(
      "Input 'base-url' contains a user name or password. Remove them from the URL: credentials belong in the refresh-token (or username/password) inputs, which are masked."
    );
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new ActionError(
      "Input 'base-url' must use https, so that tokens never travel in clear text. Plain http is accepted only for loopback hosts (127.0.0.1, localhost, [::1])."
    );
  }
  if (url.search || url.hash) {
    throw new ActionError(
      "Input 'base-url' must not contain a query string or fragment ('?…' or '#…'). Give the API root, e.g. https://api.example.com."
    );
  }
  let path = url.pathname.replace(/\/+$/, '');
  for (const endpoint of Object.values(ENDPOINTS)) {
    if (path.endsWith(endpoint)) {
      path = path.slice(0, -endpoint.length);
      break;
    }
  }
  return url.origin + path;
}

export function checkEnvName(name: string): string {
  if (!name) return '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    const why = /^[A-Za-z0-9_]*$/.test(name)
      ? 'starts with a digit'
      : 'has characters other than letters, digits and _';
    throw new ActionError(
      `Input 'env-name' is not a valid environment variable name: ${givenValue(name)} ${why}. Use letters, digits and underscores, not starting with a digit, e.g. KLEAR_ACCESS_TOKEN; or '' to export nothing.`
    );
  }
  const reserved = reservedEnvRule(name);
  if (reserved) {
    // The list's own entry, not the value: a secret pasted here must not be echoed.
    const what = `${reserved.prefix ? 'starts with' : 'is'} '${reserved.entry}'`;
    throw new ActionError(
      `Input 'env-name' ${what} (in any letter case), a variable the runner owns or later steps depend on, or that a common tool runs or loads (such as PATH, NODE_OPTIONS, LD_PRELOAD, GIT_SSH_COMMAND, PYTHONHOME, GITHUB_*; SECURITY.md lists them all): exporting a token there would break or hijack them. Choose another name, e.g. KLEAR_ACCESS_TOKEN.`
    );
  }
  return name;
}

function wholeNumber(name: string, value: string, range: { min: number; max: number }): number {
  const number = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(number >= range.min && number <= range.max)) {
    const why = !value
      ? 'is empty'
      : /^\d+$/.test(value)
        ? 'is outside that range'
        : 'has characters other than digits';
    throw new ActionError(
      `Input '${name}' must be a whole number from ${range.min} to ${range.max}; ${givenValue(value)} ${why}.`
    );
  }
  return number;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** '90s', '10m', '1h', '1h30m' or a bare number of seconds, in seconds. */
export function parseDuration(value: string): number {
  const match = /^\d+$/.test(value) ? [value, '0', '0', value] : DURATION.exec(value);
  const [hours, minutes, seconds] = (match ?? []).slice(1).map(part => Number(part ?? 0));
  const total = match && value ? hours * 3600 + minutes * 60 + seconds : NaN;
  const { min, max } = LIMITS.refreshIntervalSeconds;
  if (!(total >= min && total <= max)) {
    const why = !value
      ? 'is empty'
      : match
        ? 'is outside that range'
        : 'is not a number followed by h, m or s';
    throw new ActionError(
      `Input 'refresh-interval' must be a duration from ${min}s to 24h such as 90s, 10m or 1h; ${givenValue(value)} ${why}.`
    );
  }
  return total;
}

function checkDirectory(path: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // Reported below: a missing path and a file both mean the same fix.
  }
  if (!isDirectory) {
    throw new ActionError(
      `Input 'working-directory' ('${path}') is not a directory. Give a path relative to the workspace that exists when this step runs (check out the repository first).`
    );
  }
}
