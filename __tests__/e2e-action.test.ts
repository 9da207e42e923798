// The bundled action (dist/index.js) run as the GitHub runner runs it, against the KlearStack
// stand-in: what a workflow author sees in the log, the outputs and the environment, for the happy
// paths and for the errors docs/TROUBLESHOOTING.md lists (the README's first ones among them),
// with and without debug logging. Every case also proves that no secret reached the log, masked
// or not.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { selfSignedCertificate } from '../dev/certificate.ts';
import type { Certificate } from '../dev/certificate.ts';
import { runAction } from '../dev/runner.ts';
import type { RunOptions, RunResult } from '../dev/runner.ts';
import { decodeJwtPayload, startStandIn } from '../dev/stand-in.ts';
import type { StandIn, StandInOptions } from '../dev/stand-in.ts';
import { expectSecretsKept } from './helpers/secrets.ts';

const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';
const LOGIN_PATH = '/access/klearstack/get_access_token';
const SECRETS_HINT = 'secrets are empty on pull requests from forks and on Dependabot runs';
// What the stand-in's bad-token fault answers with: quotes, a space and a line break.
const BAD_TOKEN = 'eyJhbGciOiJIUzI1NiJ9 "quoted"\nsecond-line';
// A run that must end in well under this proves the action does not hang.
const NO_HANG_MS = 15_000;

const scratch = mkdtempSync(join(tmpdir(), 'klear-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Cleanups registered by a case, run when it ends whether it passed or not. */
class Resources {
  readonly #cleanups: (() => Promise<void> | void)[] = [];

  defer(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  async standIn(options?: StandInOptions): Promise<StandIn> {
    const standIn = await startStandIn(options);
    this.defer(() => standIn.close());
    return standIn;
  }

  async release(): Promise<void> {
    await Promise.all(this.#cleanups.splice(0).map(cleanup => cleanup()));
  }
}

async function using<T>(test: (resources: Resources) => Promise<T>): Promise<T> {
  const resources = new Resources();
  try {
    return await test(resources);
  } finally {
    await resources.release();
  }
}

function refreshInputs(standIn: StandIn): Record<string, string> {
  return {
    'base-url': standIn.url,
    'refresh-token': standIn.mintRefreshToken(),
    'company-name': standIn.companyName
  };
}

function loginInputs(standIn: StandIn): Record<string, string> {
  return {
    'base-url': standIn.url,
    'company-name': standIn.companyName,
    username: standIn.username,
    password: standIn.password
  };
}

let certificate: Certificate | undefined;

/** A self-signed certificate for localhost, made once per run. */
function selfSigned(): Certificate {
  if (certificate) return certificate;
  try {
    // localhost alone: the case for a certificate naming another host reaches it as 127.0.0.1.
    certificate = selfSignedCertificate(scratch, ['DNS:localhost']);
  } catch (error) {
    throw new Error(
      `The TLS cases need the openssl command to make a throwaway certificate: ${(error as Error).message}`,
      { cause: error }
    );
  }
  return certificate;
}

/** A stand-in serving https with the self-signed certificate, which names localhost only. */
const tls = (): StandInOptions => ({ tls: selfSigned() });

/** The stand-in's url by the name its certificate carries. */
const byName = (standIn: StandIn): string => standIn.url.replace('//127.0.0.1:', '//localhost:');

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/**
 * A successful run: exit 0, no error, the access-token output is the token the stand-in issued last,
 * and every token it issued is masked and never printed. Returns that token.
 */
function expectToken(result: RunResult, options: RunOptions, standIn: StandIn): string {
  expect(result.errors).toEqual([]);
  expect(result.exitCode).toBe(0);
  const issued = standIn.requests.flatMap(request =>
    [request.issuedAccessToken, request.issuedRefreshToken].filter(token => token !== undefined)
  );
  const latest = standIn.requests.at(-1)?.issuedAccessToken ?? '';
  expect(result.outputs['access-token']).toBe(latest);
  expectSecretsKept(result, options, issued);
  return latest;
}

describe('the bundled action gets a token', () => {
  for (const debug of [false, true]) {
    const env: Record<string, string> = debug ? { RUNNER_DEBUG: '1' } : {};
    it.concurrent(
      `exchanges the refresh token and publishes the token the API issued${debug ? ' (RUNNER_DEBUG)' : ''}`,
      () =>
        using(async resources => {
          const standIn = await resources.standIn();
          const options = { inputs: refreshInputs(standIn), env };
          const result = await runAction(options);

          const issued = expectToken(result, options, standIn);
          expect(standIn.requests).toHaveLength(1);
          const claims = decodeJwtPayload(issued);
          expect(claims.token_type).toBe('access');
          expect(result.outputs).toEqual({
            'access-token': issued,
            'refresh-token': '',
            'release-version': '7.8.9',
            'expires-at': new Date(Number(claims.exp) * 1000).toISOString()
          });
          expect(result.exportedEnv).toEqual({ KLEAR_ACCESS_TOKEN: issued });
          expect(result.log).toContain(
            'Got a KlearStack access token by refresh; later steps have it in KLEAR_ACCESS_TOKEN.'
          );
          expect(result.summary).toContain('refresh token');
          expect(result.summary).not.toContain(issued);
          expect(result.summary).not.toContain(options.inputs['refresh-token']);
          expect(result.summary).not.toContain('eyJ');
        })
    );
  }

  it.concurrent(
    'posts refresh_token and company_name as a form with its user agent and no Authorization',
    () =>
      using(async resources => {
        const standIn = await resources.standIn();
        const options = { inputs: refreshInputs(standIn) };
        const result = await runAction(options);

        expectToken(result, options, standIn);
        const [request] = standIn.requests;
        expect(request.method).toBe('POST');
        expect(request.path).toBe(REFRESH_PATH);
        expect(request.contentType).toBe('application/x-www-form-urlencoded');
        expect(request.fields).toEqual({
          refresh_token: options.inputs['refresh-token'],
          company_name: standIn.companyName
        });
        expect(request.headers['user-agent']).toMatch(/^klear-token-action\//);
        expect(request.headers.authorization).toBeUndefined();
      })
  );

  it.concurrent('sends the access-token input as the bearer', () =>
    using(async resources => {
      const standIn = await resources.standIn({ requireBearer: true });
      const accessToken = standIn.mintAccessToken();
      const options = { inputs: { ...refreshInputs(standIn), 'access-token': accessToken } };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
    })
  );

  it.concurrent('appends the endpoint to a base-url with a path prefix and a trailing slash', () =>
    using(async resources => {
      const standIn = await resources.standIn({ prefix: '/api' });
      const options = { inputs: { ...refreshInputs(standIn), 'base-url': `${standIn.url}/` } };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests.map(request => request.path)).toEqual([`/api${REFRESH_PATH}`]);
    })
  );

  it.concurrent('uses a base-url that is already the full endpoint URL as it is', () =>
    using(async resources => {
      const standIn = await resources.standIn({ prefix: '/api' });
      const options = {
        inputs: { ...refreshInputs(standIn), 'base-url': `${standIn.url}${REFRESH_PATH}` }
      };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests.map(request => request.path)).toEqual([`/api${REFRESH_PATH}`]);
    })
  );

  it.concurrent("exports nothing when env-name is '' but still sets the outputs", () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = { inputs: { ...refreshInputs(standIn), 'env-name': '' } };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(result.exportedEnv).toEqual({});
      expect(result.log).not.toContain('later steps have it');
    })
  );

  it.concurrent('exports the token under a custom env-name only', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = { inputs: { ...refreshInputs(standIn), 'env-name': 'ACME_KLEAR_TOKEN' } };
      const result = await runAction(options);

      const issued = expectToken(result, options, standIn);
      expect(result.exportedEnv).toEqual({ ACME_KLEAR_TOKEN: issued });
      expect(result.log).toContain('later steps have it in ACME_KLEAR_TOKEN');
    })
  );

  it.concurrent('logs in with username and password and publishes both new tokens, masked', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = { inputs: loginInputs(standIn) };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      const [request] = standIn.requests;
      expect(request.path).toBe(LOGIN_PATH);
      expect(request.fields).toEqual({
        username: standIn.username,
        password: standIn.password,
        company_name: standIn.companyName
      });
      expect(result.outputs['refresh-token']).toBe(request.issuedRefreshToken);
      expect(result.masks).toContain(request.issuedRefreshToken);
      expect(result.summary).toContain('login');
    })
  );

  it.concurrent('logs in instead when KlearStack rejects the refresh token with 401', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const stranger = await resources.standIn();
      const options = {
        inputs: { ...loginInputs(standIn), 'refresh-token': stranger.mintRefreshToken() }
      };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests.map(request => [request.endpoint, request.status])).toEqual([
        ['refresh', 401],
        ['login', 200]
      ]);
      expect(result.warnings).toContainEqual(expect.stringContaining('logging in'));
    })
  );

  it.concurrent('never sends an expired refresh token and logs in instead', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = {
        inputs: {
          ...loginInputs(standIn),
          'refresh-token': standIn.mintRefreshToken({ expiresIn: -600 })
        }
      };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests.map(request => request.endpoint)).toEqual(['login']);
    })
  );

  it.concurrent('retries a 503 and succeeds on the next attempt', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      standIn.fault({ status: 503 });
      const options = { inputs: refreshInputs(standIn) };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests.map(request => request.status)).toEqual([503, 200]);
      expect(result.warnings).toContainEqual(
        expect.stringMatching(/^Attempt 1 failed: .*HTTP 503/)
      );
    })
  );

  it.concurrent('trusts a private certificate authority given as PEM in ca-certificate', () =>
    using(async resources => {
      const standIn = await resources.standIn(tls());
      const options = {
        inputs: {
          ...refreshInputs(standIn),
          'base-url': byName(standIn),
          'ca-certificate': readFileSync(selfSigned().certPath, 'utf8')
        }
      };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests).toHaveLength(1);
    })
  );

  it.concurrent('trusts a private certificate authority given in NODE_EXTRA_CA_CERTS too', () =>
    using(async resources => {
      const standIn = await resources.standIn(tls());
      const options = {
        inputs: { ...refreshInputs(standIn), 'base-url': byName(standIn) },
        env: { NODE_EXTRA_CA_CERTS: selfSigned().certPath }
      };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(standIn.requests).toHaveLength(1);
    })
  );
});

interface Scenario {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  /** Values besides the credential inputs that must never be printed. */
  secrets?: string[];
  /** Further text the error must contain, known only once the case is set up (a port, say). */
  message?: string[];
  /** Checks that need what the case set up. */
  verify?(result: RunResult): void;
}

interface ErrorCase {
  name: string;
  /** The documented key sentence and anything else the error must say. */
  message: (string | RegExp)[];
  standIn?: StandInOptions;
  arrange(standIn: StandIn, resources: Resources): Promise<Scenario> | Scenario;
  /** Checks beyond those every error gets. */
  verify?(result: RunResult, standIn: StandIn): void;
}

const noRequest = (_result: RunResult, standIn: StandIn): void => {
  expect(standIn.requests).toEqual([]);
};
const requests = (count: number) => (_result: RunResult, standIn: StandIn) => {
  expect(standIn.requests).toHaveLength(count);
};

const ERROR_CASES: ErrorCase[] = [
  {
    name: 'an empty base-url is named, with the hint about forks and Dependabot',
    message: ["Input 'base-url' is required but empty", SECRETS_HINT],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'base-url': '' } }),
    verify: noRequest
  },
  {
    name: 'an empty company-name is named, with the hint about forks and Dependabot',
    message: ["Input 'company-name' is required but empty", SECRETS_HINT],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'company-name': '  ' } }),
    verify: noRequest
  },
  {
    name: 'no credentials at all are reported, with the hint about forks and Dependabot',
    message: [
      "No credentials: input 'refresh-token' is empty and no 'username'/'password'",
      SECRETS_HINT
    ],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'refresh-token': '' } }),
    verify: noRequest
  },
  {
    name: 'a username without a password is half a login',
    message: ["Input 'password' is empty but 'username' is set", SECRETS_HINT],
    arrange: standIn => ({ inputs: { ...loginInputs(standIn), password: '' } }),
    verify: noRequest
  },
  {
    name: 'a password without a username is half a login',
    message: ["Input 'username' is empty but 'password' is set"],
    arrange: standIn => ({ inputs: { ...loginInputs(standIn), username: '' } }),
    verify: noRequest
  },
  {
    name: 'a base-url without a scheme is not an absolute URL',
    message: ["Input 'base-url' is not an absolute URL"],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'base-url': 'api.example-tenant.com' }
    })
  },
  {
    name: 'a plain-http base-url on a remote host is refused',
    message: ["Input 'base-url' must use https"],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'base-url': 'http://api.example-tenant.com' }
    })
  },
  {
    name: 'a base-url carrying credentials is refused without showing them',
    message: ["Input 'base-url' contains a user name or password"],
    arrange: standIn => ({
      inputs: {
        ...refreshInputs(standIn),
        'base-url': 'https://ci-robot:Url-Pass-7731@api.example-tenant.com'
      },
      secrets: ['Url-Pass-7731', 'ci-robot']
    }),
    // The runner prints base-url before the step, password included: no action can prevent that,
    // which is why the README says credentials belong in secrets.
    verify: result =>
      expect(result.leaks).toEqual([
        expect.objectContaining({ line: 0, secret: expect.stringMatching(/^secrets\[0\]/) })
      ])
  },
  {
    name: 'a base-url with a query string is refused',
    message: ["Input 'base-url' must not contain a query string"],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'base-url': `${standIn.url}?company=acme` }
    }),
    verify: noRequest
  },
  // The message names the list's entry, never the value (a secret pasted there would show).
  ...[
    ['PATH', "is 'PATH'"],
    ['NODE_OPTIONS', "starts with 'NODE_'"],
    ['GITHUB_X', "starts with 'GITHUB_'"],
    ['Path', "is 'PATH'"],
    ['GIT_SSH_COMMAND', "starts with 'GIT_'"],
    ['npm_config_script_shell', "starts with 'NPM_CONFIG_'"],
    ['DOTNET_STARTUP_HOOKS', "starts with 'DOTNET_'"],
    ['ComSpec', "is 'COMSPEC'"]
  ].map(([name, rule]): ErrorCase => ({
    name: `env-name ${name} is refused as a variable the runner owns or a tool runs or loads`,
    message: [`Input 'env-name' ${rule} (in any letter case), a variable the runner owns`],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'env-name': name } }),
    verify: noRequest
  })),
  {
    name: 'an env-name with a hyphen is not a valid variable name',
    message: [
      "Input 'env-name' is not a valid environment variable name: the value given (11 characters) has characters other than letters, digits and _."
    ],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'env-name': 'KLEAR-TOKEN' } }),
    verify: noRequest
  },
  {
    name: "a refresh token stored with 'Bearer ' in front does not look like a token",
    message: ["Input 'refresh-token' does not look like a token"],
    arrange: standIn => {
      const token = standIn.mintRefreshToken();
      return {
        inputs: { ...refreshInputs(standIn), 'refresh-token': `Bearer ${token}` },
        secrets: [token]
      };
    },
    verify: noRequest
  },
  {
    name: 'an access token stored in quotes does not look like a token',
    message: ["Input 'access-token' does not look like a token"],
    arrange: standIn => {
      const token = standIn.mintAccessToken();
      return {
        inputs: { ...refreshInputs(standIn), 'access-token': `"${token}"` },
        secrets: [token]
      };
    },
    verify: noRequest
  },
  ...['0', 'ten', '3601'].map((value): ErrorCase => ({
    name: `timeout-seconds '${value}' is refused`,
    message: ["Input 'timeout-seconds' must be a whole number from 1 to 3600"],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'timeout-seconds': value } }),
    verify: noRequest
  })),
  ...['0', '11'].map((value): ErrorCase => ({
    name: `max-attempts '${value}' is refused`,
    message: ["Input 'max-attempts' must be a whole number from 1 to 10"],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'max-attempts': value } }),
    verify: noRequest
  })),
  {
    // The runner masks only the whole secret, so a quoted part of it would show. (The emulator
    // lists max-attempts in the runner's `with:` echo as plain text, so the value is not passed as
    // a watched secret; the step's own lines are checked for a piece of it instead.)
    name: 'a password pasted into max-attempts is described, never quoted',
    message: [
      "Input 'max-attempts' must be a whole number from 1 to 10; the value given (36 characters) has characters other than digits."
    ],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'max-attempts': 'Pasted-Password-0123456789abcdefghij' },
      verify: result => expect(result.rawLines.join('\n')).not.toContain('Pasted-P')
    }),
    verify: noRequest
  },
  {
    name: 'a refresh-interval that is not a duration is refused',
    message: ["Input 'refresh-interval' must be a duration"],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'refresh-interval': 'forever' }
    }),
    verify: noRequest
  },
  {
    name: 'a working-directory that does not exist is refused in run mode',
    message: ["Input 'working-directory' ('no-such-folder') is not a directory"],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), run: 'true', 'working-directory': 'no-such-folder' }
    }),
    verify: noRequest
  },
  {
    name: 'an expired refresh token is not sent',
    message: ['The refresh token expired at', 'so it was not sent'],
    arrange: standIn => ({
      inputs: {
        ...refreshInputs(standIn),
        'refresh-token': standIn.mintRefreshToken({ expiresIn: -3600 })
      }
    }),
    verify: noRequest
  },
  {
    name: 'an expired access-token where the refresh endpoint needs a valid one: only a login recovers',
    message: [
      "The access token sent as the bearer has expired or is invalid, and KlearStack's refresh endpoint requires a valid one (HTTP 401 without it), so only a login can get a new token.",
      'Give username and password (a service account)',
      'or a living access token in access-token'
    ],
    standIn: { requireBearer: true },
    arrange: standIn => {
      const inputs = { ...refreshInputs(standIn), 'access-token': standIn.mintAccessToken() };
      standIn.clock.advance(901);
      return { inputs };
    },
    verify: (_result, standIn) => {
      // Refused with the bearer, then once more without it: DRF authenticates before the view.
      expect(standIn.requests.map(request => request.status)).toEqual([401, 401]);
      expect(standIn.requests.map(request => request.bearer !== undefined)).toEqual([true, false]);
    }
  },
  {
    name: 'a 401 for the wrong company-name names company-name',
    message: [
      'KlearStack rejected the request (HTTP 401)',
      'company-name does not match the account'
    ],
    arrange: standIn => ({ inputs: { ...refreshInputs(standIn), 'company-name': 'wrong-corp' } }),
    verify: requests(1)
  },
  {
    name: 'a refresh token KlearStack did not issue is rejected with 401',
    message: ['KlearStack rejected the refresh token as invalid or expired (HTTP 401)'],
    arrange: async (standIn, resources) => {
      const stranger = await resources.standIn();
      return {
        inputs: { ...refreshInputs(standIn), 'refresh-token': stranger.mintRefreshToken() }
      };
    },
    verify: requests(1)
  },
  {
    name: 'a wrong password is a rejected login',
    message: ['KlearStack rejected the login (HTTP 401)'],
    arrange: standIn => ({
      inputs: { ...loginInputs(standIn), password: 'not-the-password' },
      secrets: [standIn.password]
    }),
    verify: requests(1)
  },
  {
    name: 'a 403 to a refresh with a bearer says access was refused',
    message: ['KlearStack refused access (HTTP 403)'],
    arrange: standIn => {
      standIn.fault({ status: 403 });
      return { inputs: { ...refreshInputs(standIn), 'access-token': standIn.mintAccessToken() } };
    },
    verify: requests(1)
  },
  {
    name: "a Host not in Django's ALLOWED_HOSTS: its own 400 page, naming the host",
    message: [
      'KlearStack\'s web framework (Django) refused the request with its own "Bad Request (400)" page (HTTP 400), most likely because the host it was sent, 127.0.0.1:'
    ],
    standIn: { allowedHosts: ['api.klearstack.example'] },
    arrange: standIn => ({ inputs: refreshInputs(standIn) }),
    verify: requests(1)
  },
  {
    name: "an unhandled error in KlearStack: Django's own 500 page, retried, no gateway blamed",
    message: [
      'KlearStack failed with an unhandled error: its web framework (Django) answered HTTP 500 with its own "Server Error (500)" page'
    ],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'django-error' });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '2' } };
    },
    verify: requests(2)
  },
  {
    name: 'a base-url missing its prefix meets a 404 naming the URL it tried',
    message: ['HTTP 404', 'Check base-url'],
    standIn: { prefix: '/api' },
    arrange: standIn => {
      const root = new URL(standIn.url).origin;
      return {
        inputs: { ...refreshInputs(standIn), 'base-url': root },
        // The stand-in answers a path outside its API with Django's own 404 page.
        message: [
          `answered HTTP 404 with a web page, not KlearStack's JSON: there is no KlearStack token endpoint at ${root}${REFRESH_PATH}.`
        ]
      };
    },
    verify: requests(1)
  },
  {
    name: 'a 500 naming a parameter says it is missing and is not retried',
    message: [
      "KlearStack says the required parameter 'refresh_token' is missing or empty (HTTP 500)"
    ],
    arrange: standIn => {
      standIn.faultAlways({ status: 500, body: '{"error": "refresh_token"}' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  },
  {
    name: 'a 503 with max-attempts 1 is a server error, given up after one attempt',
    message: [
      'KlearStack had a server error or is unavailable (HTTP 503)',
      '(gave up after 1 attempt in'
    ],
    arrange: standIn => {
      standIn.faultAlways({ status: 503 });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '1' } };
    },
    verify: requests(1)
  },
  {
    name: 'a 502 on every attempt is given up after max-attempts, each retry a warning',
    message: [
      'KlearStack had a server error or is unavailable (HTTP 502)',
      /\(gave up after 2 attempts in \d+\.\d s; max-attempts is 2\)$/
    ],
    arrange: standIn => {
      standIn.faultAlways({ status: 502 });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '2' } };
    },
    verify: (result, standIn) => {
      expect(standIn.requests).toHaveLength(2);
      expect(result.warnings).toContainEqual(
        expect.stringMatching(/^Attempt 1 failed: .*HTTP 502/)
      );
    }
  },
  {
    name: 'a 429 says the rate is limited',
    message: ['KlearStack is limiting the rate of requests (HTTP 429)'],
    arrange: standIn => {
      standIn.faultAlways({ status: 429, headers: { 'Retry-After': '1' } });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '1' } };
    },
    verify: requests(1)
  },
  ...[307, 301].map((status): ErrorCase => ({
    name: `a ${status} redirect is refused and its target receives nothing`,
    message: [`KlearStack answered with a redirect (HTTP ${status}) to `],
    arrange: async (standIn, resources) => {
      const elsewhere = await resources.standIn();
      standIn.faultAlways({
        kind: 'redirect',
        status,
        location: `${elsewhere.url}${REFRESH_PATH}`
      });
      return {
        inputs: refreshInputs(standIn),
        message: [`redirect (HTTP ${status}) to another host or port;`],
        verify: () => expect(elsewhere.requests).toEqual([])
      };
    },
    verify: requests(1)
  })),
  {
    name: 'an API that never answers times out after timeout-seconds',
    message: [/^No complete answer from 127\.0\.0\.1:\d+ within 1 s \(timeout-seconds\)/],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'hang' });
      return { inputs: { ...refreshInputs(standIn), 'timeout-seconds': '1', 'max-attempts': '1' } };
    },
    verify: result => expect(result.durationMs).toBeLessThan(NO_HANG_MS)
  },
  {
    name: 'an answer trickled byte by byte times out after timeout-seconds',
    message: [/^No complete answer from 127\.0\.0\.1:\d+ within 1 s \(timeout-seconds\)/],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'trickle', intervalMs: 100 });
      return { inputs: { ...refreshInputs(standIn), 'timeout-seconds': '1', 'max-attempts': '1' } };
    },
    verify: result => expect(result.durationMs).toBeLessThan(NO_HANG_MS)
  },
  {
    name: 'an answer that stops halfway times out after timeout-seconds',
    message: [/^No complete answer from 127\.0\.0\.1:\d+ within 1 s \(timeout-seconds\)/],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'stall-body' });
      return { inputs: { ...refreshInputs(standIn), 'timeout-seconds': '1', 'max-attempts': '1' } };
    },
    verify: result => expect(result.durationMs).toBeLessThan(NO_HANG_MS)
  },
  {
    name: 'a closed port is a refused connection',
    message: ['refused the connection (ECONNREFUSED)'],
    arrange: async standIn => {
      const port = await closedPort();
      return {
        inputs: {
          ...refreshInputs(standIn),
          'base-url': `http://127.0.0.1:${port}`,
          'max-attempts': '1'
        },
        message: [`127.0.0.1:${port} refused the connection (ECONNREFUSED)`]
      };
    }
  },
  {
    name: 'a connection reset mid-request is a failed connection',
    message: [/^The connection to 127\.0\.0\.1:\d+ failed before a complete answer/],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'reset' });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '1' } };
    },
    verify: requests(1)
  },
  {
    name: 'a host name that does not resolve is a DNS failure',
    message: ['The host klear-token-action.invalid could not be found (DNS)'],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'base-url': 'https://klear-token-action.invalid' }
    })
  },
  {
    name: 'a self-signed certificate is a TLS failure pointing at the ca-certificate input',
    message: ['The TLS connection to localhost:', 'ca-certificate input'],
    // A getter: the certificate is made when a TLS case first runs, not when this file loads.
    get standIn() {
      return tls();
    },
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'base-url': byName(standIn) },
      message: [
        `The TLS connection to ${new URL(byName(standIn)).host} failed (DEPTH_ZERO_SELF_SIGNED_CERT)`
      ]
    }),
    verify: noRequest
  },
  {
    name: 'a trusted certificate for another host name is a TLS failure',
    message: ['The TLS connection to 127.0.0.1:', '(ERR_TLS_CERT_ALTNAME_INVALID)'],
    get standIn() {
      return tls();
    },
    arrange: standIn => ({
      inputs: refreshInputs(standIn),
      env: { NODE_EXTRA_CA_CERTS: selfSigned().certPath }
    }),
    verify: noRequest
  },
  {
    name: 'a 200 that is not JSON carried no token',
    message: ['KlearStack answered HTTP 200 but the body is not a JSON object'],
    arrange: standIn => {
      standIn.fault({ kind: 'non-json' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  },
  {
    name: 'a 200 without an access_token exports nothing',
    message: ['KlearStack answered HTTP 200 without an access_token'],
    arrange: standIn => {
      standIn.fault({ kind: 'missing-token' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  },
  {
    name: 'a 200 whose access_token is not a token is masked before it is refused',
    message: ['KlearStack answered HTTP 200 with an access_token that is not a token'],
    arrange: standIn => {
      standIn.fault({ kind: 'bad-token' });
      return {
        inputs: refreshInputs(standIn),
        secrets: [BAD_TOKEN, ...BAD_TOKEN.split(/[ \n]/)]
      };
    },
    verify: result => {
      expect(result.masks).toContain(BAD_TOKEN);
      const maskedAt = result.rawLines.findIndex(line => line.startsWith('::add-mask::eyJhbGci'));
      const failedAt = result.rawLines.findIndex(line => line.startsWith('::error::'));
      expect(maskedAt).toBeGreaterThanOrEqual(0);
      expect(maskedAt).toBeLessThan(failedAt);
    }
  },
  {
    name: 'a 200 whose access_token is a word is refused, and the word is never a mask',
    message: ['KlearStack answered HTTP 200 with an access_token that is not a token'],
    arrange: standIn => {
      standIn.faultAlways({ status: 200, body: '{"access_token": "ok", "release_version": "7"}' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: result => {
      expect(result.masks).not.toContain('ok');
      expect(result.rawLines).not.toContain('::add-mask::ok');
    }
  },
  {
    name: 'an oversized chunked answer is abandoned',
    message: ["KlearStack's answer was larger than 1024 KiB"],
    arrange: standIn => {
      standIn.fault({ kind: 'oversized', bytes: 3 * 1024 * 1024 });
      return { inputs: refreshInputs(standIn) };
    },
    verify: result => expect(result.durationMs).toBeLessThan(NO_HANG_MS)
  },
  {
    name: 'an answer whose Content-Length is over the limit is abandoned',
    message: ["KlearStack's answer was larger than 1024 KiB"],
    arrange: standIn => {
      standIn.fault({ status: 200, body: `{"access_token":"${'A'.repeat(1024 * 1024 + 1)}"}` });
      return { inputs: refreshInputs(standIn) };
    }
  },
  ...[500, 503, 401].map((status): ErrorCase => ({
    name: `a ${status} echoing the refresh token and bearer shows none of the body`,
    message: [`(HTTP ${status})`],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'echo', status });
      return {
        inputs: {
          ...refreshInputs(standIn),
          'access-token': standIn.mintAccessToken(),
          'max-attempts': '1'
        },
        secrets: [standIn.companyName]
      };
    },
    verify: (result, standIn) => {
      expect(standIn.requests).toHaveLength(1);
      expect(result.errors[0]).not.toMatch(/fields|headers|authorization|Bearer/i);
    }
  })),
  {
    name: 'a 400 says the request was incomplete',
    message: ['KlearStack refused the refresh request as incomplete (HTTP 400)'],
    arrange: standIn => {
      standIn.fault({ status: 400, body: '{"error": "Please provide refresh token."}' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  },
  {
    name: "a gateway's 502 page is named as the gateway and retried",
    message: [
      'Something in front of KlearStack at 127.0.0.1:',
      "answered HTTP 502 with its own page, not KlearStack's JSON: it could not reach KlearStack behind it",
      '(gave up after 2 attempts'
    ],
    arrange: standIn => {
      standIn.faultAlways({ kind: 'page', status: 502, title: 'Bad Gateway' });
      return { inputs: { ...refreshInputs(standIn), 'max-attempts': '2' } };
    },
    verify: requests(2)
  },
  {
    name: "a gateway's own Basic login is named, and the service account is never sent to it",
    message: [
      'wants its own login (HTTP 401, WWW-Authenticate: Basic), which this action does not send'
    ],
    arrange: standIn => {
      standIn.faultAlways({
        kind: 'page',
        status: 401,
        title: 'Authorization Required',
        headers: { 'WWW-Authenticate': 'Basic realm="corp"' }
      });
      return {
        inputs: {
          ...refreshInputs(standIn),
          username: standIn.username,
          password: standIn.password
        }
      };
    },
    verify: (_result, standIn) => {
      expect(standIn.requests.map(request => request.endpoint)).toEqual(['refresh']);
    }
  },
  {
    name: "a gateway's 413 page says its size limit is wrong, not base-url",
    message: ['answered HTTP 413 with its own page', 'body-size limit is set too low'],
    arrange: standIn => {
      standIn.fault({ kind: 'page', status: 413, title: 'Request Entity Too Large' });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  },
  {
    name: 'a ca-certificate that is not PEM is refused before any request',
    message: ["Input 'ca-certificate' cannot be used: it is not PEM certificates."],
    arrange: standIn => ({
      inputs: { ...refreshInputs(standIn), 'ca-certificate': '/etc/ssl/certs/corp-ca.pem' }
    }),
    verify: noRequest
  },
  {
    name: 'an unexpected status is named',
    message: ['KlearStack answered with an unexpected HTTP 418'],
    arrange: standIn => {
      standIn.fault({ status: 418 });
      return { inputs: refreshInputs(standIn) };
    },
    verify: requests(1)
  }
];

for (const debug of [false, true]) {
  describe(`every error ends the step with one error and no secret${debug ? ' (RUNNER_DEBUG)' : ''}`, () => {
    for (const errorCase of ERROR_CASES) {
      it.concurrent(errorCase.name, () =>
        using(async resources => {
          const standIn = await resources.standIn(errorCase.standIn);
          const scenario = await errorCase.arrange(standIn, resources);
          const options: RunOptions = {
            inputs: scenario.inputs,
            env: { ...scenario.env, ...(debug ? { RUNNER_DEBUG: '1' } : {}) },
            secrets: scenario.secrets,
            timeoutMs: NO_HANG_MS * 2
          };
          const result = await runAction(options);

          expect(result.errors).toHaveLength(1);
          for (const part of [...errorCase.message, ...(scenario.message ?? [])]) {
            if (typeof part === 'string') expect(result.errors[0]).toContain(part);
            else expect(result.errors[0]).toMatch(part);
          }
          expect(result.exitCode).toBe(1);
          expect(result.outputs).toEqual({});
          expect(result.exportedEnv).toEqual({});
          expect(result.timedOut).toBe(false);
          if (debug && standIn.requests.length > 0) expect(result.log).toMatch(/##\[debug\]POST /);
          expectSecretsKept(result, options);
          errorCase.verify?.(result, standIn);
          scenario.verify?.(result);
        })
      );
    }
  });
}

// Each way KlearStack's Django REST framework and SimpleJWT may be set up, as the stand-in plays them:
// SimpleJWT 5.2's or 5.4's words, JWTAuthentication or SessionAuthentication first, a refresh
// endpoint that is AllowAny or IsAuthenticated, access tokens with a copied iat.
describe("KlearStack's possible configurations", () => {
  const configurations: [string, StandInOptions, number][] = [
    ['SimpleJWT 5.2, JWTAuthentication first', { simpleJwt: '5.2' }, 401],
    ['SimpleJWT 5.4, JWTAuthentication first', { simpleJwt: '5.4' }, 401],
    ['SimpleJWT 5.2, SessionAuthentication first', { sessionAuthenticationFirst: true }, 403],
    [
      'SimpleJWT 5.4, SessionAuthentication first',
      { simpleJwt: '5.4', sessionAuthenticationFirst: true },
      403
    ]
  ];

  for (const [name, configuration, status] of configurations) {
    it.concurrent(
      `AllowAny, ${name}: an expired access-token is refused (${status}), and the refresh sent again without it`,
      () =>
        using(async resources => {
          const standIn = await resources.standIn(configuration);
          const accessToken = standIn.mintAccessToken({ expiresIn: 1 });
          standIn.clock.advance(2);
          const options = { inputs: { ...refreshInputs(standIn), 'access-token': accessToken } };
          const result = await runAction(options);

          expectToken(result, options, standIn);
          expect(standIn.requests.map(request => [request.status, request.bearer])).toEqual([
            [status, accessToken],
            [200, undefined]
          ]);
          expect(result.warnings).toContain(
            `KlearStack rejected the access-token input as expired or invalid (HTTP ${status}); refreshing without it.`
          );
        })
    );

    it.concurrent(
      `IsAuthenticated, ${name}: an expired access-token and a service account: the login recovers`,
      () =>
        using(async resources => {
          const standIn = await resources.standIn({ ...configuration, requireBearer: true });
          const accessToken = standIn.mintAccessToken({ expiresIn: 1 });
          standIn.clock.advance(2);
          const options = {
            inputs: {
              ...refreshInputs(standIn),
              'access-token': accessToken,
              username: standIn.username,
              password: standIn.password
            }
          };
          const result = await runAction(options);

          expectToken(result, options, standIn);
          expect(
            standIn.requests.map(request => [request.endpoint, request.status, request.bearer])
          ).toEqual([
            ['refresh', status, accessToken],
            ['refresh', status, undefined],
            ['login', 200, undefined]
          ]);
          expect(result.warnings).toContain(
            `KlearStack's refresh endpoint requires a valid access token and there is none (HTTP ${status}); logging in with the service account instead.`
          );
        })
    );
  }

  it.concurrent(
    'a refresh token issued 2 h ago, whose iat the access token copies, is no clock skew',
    () =>
      using(async resources => {
        const standIn = await resources.standIn();
        standIn.clock.advance(-7200);
        const refreshToken = standIn.mintRefreshToken();
        standIn.clock.advance(7200);
        const options = { inputs: { ...refreshInputs(standIn), 'refresh-token': refreshToken } };
        const result = await runAction(options);

        const issued = expectToken(result, options, standIn);
        expect(decodeJwtPayload(issued).iat).toBe(decodeJwtPayload(refreshToken).iat);
        expect(result.warnings).toEqual([]);
      })
  );

  it.concurrent("KlearStack's clock 2 h ahead, by its Date header: one warning saying so", () =>
    using(async resources => {
      const standIn = await resources.standIn();
      standIn.clock.advance(7200);
      const options = { inputs: refreshInputs(standIn) };
      const result = await runAction(options);

      expectToken(result, options, standIn);
      expect(result.warnings).toEqual([
        expect.stringMatching(
          /^The runner's clock is 2 h behind KlearStack's \(from the Date of KlearStack's answer\)\./
        )
      ]);
    })
  );
});

describe('run mode', () => {
  it.concurrent("fails the step with the command's exit code and says so", () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = { inputs: { ...refreshInputs(standIn), run: 'exit 3' } };
      const result = await runAction(options);

      expect(result.exitCode).toBe(3);
      expect(result.errors).toEqual(['The command exited with code 3.']);
      expectSecretsKept(result, options, [standIn.requests[0].issuedAccessToken ?? '']);
    })
  );

  it.concurrent("takes refresh-interval '' as the default, in run mode and in plain mode", () =>
    using(async resources => {
      const standIn = await resources.standIn();
      for (const run of ['echo "command ran"', '']) {
        const options = { inputs: { ...refreshInputs(standIn), 'refresh-interval': '', run } };
        const result = await runAction(options);

        expect(result.errors).toEqual([]);
        expect(result.exitCode).toBe(0);
        expect(result.log.includes('command ran')).toBe(run !== '');
        expect(result.exportedEnv.KLEAR_ACCESS_TOKEN).toBe(
          standIn.requests.at(-1)?.issuedAccessToken
        );
      }
    })
  );

  it.concurrent('masks the token the command prints, and gives it no credentials to print', () =>
    using(async resources => {
      const standIn = await resources.standIn();
      const options = {
        inputs: {
          ...refreshInputs(standIn),
          'access-token': standIn.mintAccessToken(),
          run: [
            'echo "token: $KLEAR_ACCESS_TOKEN"',
            'echo "file: $(cat "$KLEAR_ACCESS_TOKEN_FILE")"',
            'echo "refresh: $(printenv \'INPUT_REFRESH-TOKEN\')"',
            'echo "bearer: $(printenv \'INPUT_ACCESS-TOKEN\')"'
          ].join('\n')
        }
      };
      const result = await runAction(options);

      expect(result.exitCode).toBe(0);
      expect(result.leaks).toEqual([]);
      expect(result.masks).toContain(standIn.requests[0].issuedAccessToken);
      expect(result.log.split('\n')).toEqual(
        expect.arrayContaining(['token: ***', 'file: ***', 'refresh: ', 'bearer: '])
      );
      expect(result.log).not.toContain('eyJ');
    })
  );
});

describe('the leak detector the cases above rely on', () => {
  function fixture(name: string, source: string): string {
    const path = join(scratch, name);
    writeFileSync(path, source);
    return path;
  }

  it('reports a refresh-token input printed before it was masked', async () => {
    const entry = fixture(
      'prints-before-masking.mjs',
      [
        "const token = process.env['INPUT_REFRESH-TOKEN'];",
        'console.log(`refreshing with ${token}`);',
        'console.log(`::add-mask::${token}`);',
        'console.log(`refreshing with ${token}`);'
      ].join('\n')
    );
    const result = await runAction({ entry, inputs: { 'refresh-token': 'rt-Secret-Value-42' } });

    expect(result.leaks).toHaveLength(1);
    expect(result.leaks[0]).toMatchObject({ line: 1 });
    expect(result.leaks[0].secret).toContain('input refresh-token');
    expect(result.log).toContain('refreshing with ***');
  });

  it('reports a token set as an output and printed without a mask', async () => {
    const entry = fixture(
      'unmasked-output.mjs',
      [
        "import { appendFileSync } from 'node:fs';",
        "const token = 'eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl';",
        'console.log(`got ${token}`);',
        'appendFileSync(process.env.GITHUB_OUTPUT, `access-token=${token}\\n`);'
      ].join('\n')
    );
    const result = await runAction({ entry });

    expect(result.leaks.map(leak => leak.secret)).toEqual([
      expect.stringContaining('output access-token')
    ]);
  });

  it('reports nothing when the secret is masked before it is printed', async () => {
    const entry = fixture(
      'masks-first.mjs',
      [
        "const token = process.env['INPUT_REFRESH-TOKEN'];",
        'console.log(`::add-mask::${token}`);',
        'console.log(`refreshing with ${token}`);'
      ].join('\n')
    );
    const result = await runAction({ entry, inputs: { 'refresh-token': 'rt-Secret-Value-42' } });

    expect(result.leaks).toEqual([]);
    expect(result.log).toBe('refreshing with ***');
  });
});
