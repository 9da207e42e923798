// The reference KlearStack (dev/klearstack/: Django 3.2, Django REST framework 3.14 and SimpleJWT
// 5.2.2 under gunicorn 20.1, all Debian bookworm packages run by /usr/bin/python3) started on
// 127.0.0.1 from a config of the caller's, stopped and started again on the same port (an outage),
// and asked for tokens minted with SimpleJWT's own classes. Nothing comes from PyPI: where a package
// is missing, `missingPackages()` names it and INSTALL_COMMAND installs it.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports.ts';

/** Debian's interpreter, which sees Debian's python3-* packages (a venv's or pyenv's would not). */
export const PYTHON = '/usr/bin/python3';
const PROJECT = fileURLToPath(new URL('klearstack/', import.meta.url));
// Python module → the Debian package that installs it (gunicorn's module is in python3-gunicorn,
// which the gunicorn package pulls in).
const PACKAGES: Record<string, string> = {
  django: 'python3-django',
  rest_framework: 'python3-djangorestframework',
  rest_framework_simplejwt: 'python3-djangorestframework-simplejwt',
  gunicorn: 'gunicorn'
};
const INSTALL_COMMAND =
  'sudo apt-get install -y python3 python3-django python3-djangorestframework python3-djangorestframework-simplejwt gunicorn';
const READY_MS = 30_000;
const STOP_MS = 10_000;

export interface KlearStackUser {
  username: string;
  password: string;
  company: string;
}

export interface KlearStackConfig {
  /** Seconds; SimpleJWT's ACCESS_TOKEN_LIFETIME. Default 900. */
  accessLifetime?: number;
  /** Seconds; SimpleJWT's REFRESH_TOKEN_LIFETIME. Default 86400. */
  refreshLifetime?: number;
  /** A refreshed access token's `iat`: the refresh token's (SimpleJWT < 5.5) or its own (5.5+). */
  iat?: 'copied' | 'own';
  /** The refresh endpoint IsAuthenticated (a valid bearer required) rather than AllowAny. */
  refreshNeedsBearer?: boolean;
  /** SessionAuthentication listed before JWTAuthentication: authentication failures become 403. */
  sessionFirst?: boolean;
  /** Django's ALLOWED_HOSTS; default 127.0.0.1 and localhost. Others get Django's 400 page. */
  allowedHosts?: string[];
  /** Both token endpoints raise an unhandled exception: Django's 500 page. */
  crash?: boolean;
  /** The API root's path, e.g. 'klear' for <url>/klear/access/klearstack/…. */
  root?: string;
  users?: KlearStackUser[];
  releaseVersion?: string;
  /** gunicorn's sync workers; default 1. */
  workers?: number;
}

export interface TokenWanted {
  kind: 'refresh' | 'access';
  ageSeconds?: number;
}

export interface TokenWanted {
  kind: 'refresh' | 'access';
  ageSeconds?: number;
}

/** One line of what the reference recorded per request (klearstack/middleware.py). */
export interface KlearStackRequest {
  /** Epoch seconds when answered. */
  at: number;
  method: string;
  path: string;
  status: number;
  contentType: string;
  /** Whether an Authorization header came (never the header itself). */
  bearer: boolean;
  /** The company_name the view received, or null when no view read it. */
  company: string | null;
}

export interface KlearStack {
  /** The API root the action's base-url takes. */
  url: string;
  port: number;
  /** The first configured user. */
  user: KlearStackUser;
  /**
   * Tokens for `user` (default: the first) as the reference would have issued them `ageSeconds`
   * ago, by SimpleJWT's own classes, in the order asked; one start of Django for all of them.
   */
  mint(tokens: TokenWanted[], user?: string): Promise<string[]>;
  requests(): KlearStackRequest[];
  /** Stops gunicorn (an outage); `start()` brings it back on the same port with the same keys. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

const DEFAULT_USER: KlearStackUser = {
  username: 'svc-ci',
  password: 'correct-horse-battery-staple',
  company: 'acme-corp'
};

let missingCache: string[] | undefined;

/** The Debian packages the reference needs and this machine lacks; empty when all are there. */
export function missingPackages(): string[] {
  if (missingCache) return missingCache;
  if (!existsSync(PYTHON)) return (missingCache = ['python3', ...Object.values(PACKAGES)]);
  const probe = [
    'import importlib.util',
    `for name in ${JSON.stringify(Object.keys(PACKAGES))}:`,
    '    if importlib.util.find_spec(name) is None: print(name)'
  ].join('\n');
  const checked = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`${PYTHON} could not run: ${checked.stderr}`);
  missingCache = checked.stdout
    .split('\n')
    .filter(Boolean)
    .map(name => PACKAGES[name] ?? name);
  return missingCache;
}

/** One sentence for a person: what is missing and how to install it; undefined when nothing is. */
function missingSentence(): string | undefined {
  const missing = missingPackages();
  if (missing.length === 0) return undefined;
  return `The reference KlearStack needs Debian's ${missing.join(', ')} (run with ${PYTHON}); install with: ${INSTALL_COMMAND}`;
}

function gunicornOptions(port: number, workers = 1): string[] {
  return [
    '--bind',
    `127.0.0.1:${port}`,
    '--workers',
    String(workers),
    '--worker-class',
    'sync',
    // The app (its in-memory tables and users) is loaded once, in the master, before the port
    // opens and before the workers fork.
    '--preload',
    // Workers that have not quit this long after a stop are killed.
    '--graceful-timeout',
    '1',
    'klearstack.wsgi:application'
  ];
}

export async function startKlearStack(
  config: KlearStackConfig = {},
  port?: number
): Promise<KlearStack> {
  const missing = missingSentence();
  if (missing) throw new Error(missing);
  const dataDir = mkdtempSync(join(tmpdir(), 'klear-django-'));
  const users = config.users ?? [DEFAULT_USER];
  const first = users[0] ?? DEFAULT_USER;
  const configPath = join(dataDir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ ...config, users, dataDir, secretKey: randomBytes(32).toString('hex') })
  );
  const env = { ...process.env, KLEARSTACK_CONFIG: configPath, PYTHONDONTWRITEBYTECODE: '1' };
  const listenOn = port ?? (await freePort());
  const logPath = join(dataDir, 'gunicorn.log');
  let gunicorn: ChildProcess | undefined;

  async function start(): Promise<void> {
    const log = openSync(logPath, 'a');
    let started: ChildProcess;
    try {
      started = spawn(PYTHON, ['-m', 'gunicorn', ...gunicornOptions(listenOn, config.workers)], {
        cwd: PROJECT,
        env,
        stdio: ['ignore', log, log],
        // Its own process group, so that a master that will not stop is killed with its workers.
        detached: true
      });
    } finally {
      closeSync(log);
    }
    gunicorn = started;
    try {
      await waitForPort(listenOn, READY_MS, () =>
        started.exitCode === null && started.signalCode === null
          ? undefined
          : `gunicorn exited: ${readFileSync(logPath, 'utf8').slice(-2000)}`
      );
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async function stop(): Promise<void> {
    const running = gunicorn;
    gunicorn = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    // SIGINT: gunicorn's quick shutdown (SIGTERM would wait for requests in flight).
    running.kill('SIGINT');
    const timer = setTimeout(() => process.kill(-(running.pid ?? 0), 'SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  }

  try {
    await start();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const root = (config.root ?? '').replace(/^\/+|\/+$/g, '');
  return {
    url: `http://127.0.0.1:${listenOn}${root ? `/${root}` : ''}`,
    port: listenOn,
    user: first,
    mint: async (tokens, user = first.username) => {
      const specs = tokens.map(({ kind, ageSeconds = 0 }) => `${kind}:${ageSeconds}`);
      const { stdout } = await promisify(execFile)(
        PYTHON,
        ['manage.py', 'mint', '--user', user, ...specs],
        { cwd: PROJECT, env, encoding: 'utf8' }
      );
      return stdout.trim().split('\n');
    },
    requests: () => {
      const path = join(dataDir, 'requests.jsonl');
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line) as KlearStackRequest);
    },
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
