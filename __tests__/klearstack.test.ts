// The bundled action, run as the runner runs it, against the reference KlearStack (dev/klearstack.ts:
// Django 3.2, Django REST framework 3.14 and SimpleJWT 5.2.2 under gunicorn, Debian's packages) in
// each configuration a KlearStack could have: a refreshed access token's `iat` copied from the
// refresh token (SimpleJWT < 5.5) or its own (5.5+); the refresh endpoint AllowAny or IsAuthenticated;
// SessionAuthentication listed before JWTAuthentication or not. Stored refresh tokens were issued two
// hours before the run, as a secret's is.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  missingPackages,
  startKlearStack,
  type KlearStack,
  type KlearStackConfig,
  type KlearStackUser
} from '../dev/klearstack.ts';
import { runAction, startAction, type RunOptions, type RunResult } from '../dev/runner.ts';
import { API_PATH, decodeJwtPayload, startStandIn, type StandIn } from '../dev/stand-in.ts';
import { describeWithPackages } from './helpers/needs.ts';
import { expectSecretsKept } from './helpers/secrets.ts';

// Skipped where a package is missing, and named at the end of `npm test` with the apt-get line;
// under CI=true, a failure instead (__tests__/helpers/needs.ts).
const withDjango = describeWithPackages(missingPackages());

/** How long ago the stored refresh token was issued: SimpleJWT < 5.5 copies that into `iat`. */
const STORED_AGE = 2 * 3600;
const ACCESS_LIFETIME = 900;
const REFRESH_LIFETIME = 86400;
const LOGIN_PATH = '/access/klearstack/get_access_token';
const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';
const PING_PATH = '/api/v1/ping';
const GATEWAY_BLAME = /proxy, load balancer or gateway/;
/** Warnings a healthy run must never give: a false skew, and a refresh token's ordinary expiry. */
const FALSE_ALARM = /clock|refresh token expires/i;

/** A configuration's tokens: a refresh token stored 2 h ago, an expired one, and two access tokens. */
interface Tokens {
  stored: string;
  expiredRefresh: string;
  living: string;
  expiredAccess: string;
}

interface Shape {
  iat: 'copied' | 'own';
  refreshNeedsBearer: boolean;
  sessionFirst: boolean;
}

const ALL_SHAPES: Shape[] = (['copied', 'own'] as const).flatMap(iat =>
  [false, true].flatMap(refreshNeedsBearer =>
    [false, true].map(sessionFirst => ({ iat, refreshNeedsBearer, sessionFirst }))
  )
);
/** Where nothing is rejected, SessionAuthentication's place changes nothing. */
const ACCEPTING_SHAPES = ALL_SHAPES.filter(shape => !shape.sessionFirst);

function named(shape: Shape): string {
  const permission = shape.refreshNeedsBearer ? 'IsAuthenticated' : 'AllowAny';
  return `${shape.iat} iat, refresh ${permission}${shape.sessionFirst ? ', SessionAuthentication first' : ''}`;
}

const eachShape = (shapes: Shape[]) =>
  it.concurrent.each(shapes.map(shape => [named(shape), shape] as const));

const servers: KlearStack[] = [];
const scenarios = new Map<string, Promise<RunOutcome>>();
afterAll(async () => {
  // A scenario whose test failed early may still be starting a server.
  await Promise.allSettled(scenarios.values());
  await Promise.all(servers.splice(0).map(klear => klear.close()));
});

async function serve(config: KlearStackConfig): Promise<KlearStack> {
  const klear = await startKlearStack(config);
  servers.push(klear);
  return klear;
}

function connection(klear: KlearStack): Record<string, string> {
  return { 'base-url': klear.url, 'company-name': klear.user.company };
}

function account(klear: KlearStack): Record<string, string> {
  return { username: klear.user.username, password: klear.user.password };
}

/** What the reference's protected endpoint answers to `token`: a token the action got must work. */
async function ping(klear: KlearStack, token: string): Promise<number> {
  const answer = await fetch(klear.url + PING_PATH, {
    headers: { Authorization: `Bearer ${token}` }
  });
  return answer.status;
}

/** Exit 0, no error, no false alarm, secrets kept, and the token works on the protected endpoint. */
async function expectToken(klear: KlearStack, result: RunResult, options: RunOptions) {
  expect(result.errors).toEqual([]);
  expect(result.warnings.filter(warning => FALSE_ALARM.test(warning))).toEqual([]);
  expect(result.exitCode).toBe(0);
  const token = result.outputs['access-token'] ?? '';
  const minted = [token, result.outputs['refresh-token'] ?? ''].filter(Boolean);
  expectSecretsKept(result, options, minted);
  expect(await ping(klear, token)).toBe(200);
}

/** Exit 1 with one error, secrets kept, nothing exported. Returns the error. */
function expectOneError(result: RunResult, options: RunOptions): string {
  expect(result.exitCode).toBe(1);
  expect(result.errors).toHaveLength(1);
  expect(result.outputs['access-token'] ?? '').toBe('');
  expectSecretsKept(result, options);
  return result.errors[0] ?? '';
}

// ---- Run mode: 20-second tokens, a refresh token stored 2 h ago, the protected endpoint called
// every 2 s. Each scenario takes 45 to 55 s, so all of them start together when the file does
// (the last describe block asserts on them) while the short cases run.
const RUN_LIFETIME = 20;
const RUN_SECONDS = 45;
/** Longer than a token's life: the token in the file is dead when gunicorn is back. */
const OUTAGE_MS = 22_000;
/**
 * Within this of gunicorn's return the command's calls must succeed again: failed refreshes are
 * retried after 5, 10, 20 s… (README, run mode), so the retry after a 22-second outage comes within 20 s.
 */
const RECOVERY_MS = 20_000;
/** At most this long for a command that waits for what its scenario needs (then its asserts fail). */
const RUN_CAP_SECONDS = 150;
/**
 * The command calls the API every 2 s, for at least RUN_FOR seconds and then until the test has seen
 * what it needs ($ENOUGH), at most RUN_CAP_SECONDS; each call also goes to $PINGS, which the test reads
 * as the scenario goes: its pace is this machine's, not a fixed number of seconds.
 */
const PINGING = [
  'start=$(date +%s)',
  'more() { [ "$(date +%s)" -lt $((start + RUN_FOR)) ] || { [ ! -e "$ENOUGH" ] && [ "$(date +%s)" -lt $((start + RUN_CAP)) ]; }; }',
  'while more; do',
  '  status=$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 -H "Authorization: Bearer $(cat "$KLEAR_ACCESS_TOKEN_FILE")" "$PING" || true)',
  '  echo "ping $(date +%s%3N) $status" | tee -a "$PINGS"',
  '  sleep 2',
  'done'
].join('\n');

interface Call {
  at: number;
  status: string;
}

const callsIn = (text: string): Call[] =>
  text
    .split('\n')
    .map(line => /^ping (\d+) (\d{3})$/.exec(line))
    .filter(match => match !== null)
    .map(([, at, status]) => ({ at: Number(at), status: status ?? '' }));

interface RunOutcome {
  klear: KlearStack;
  options: RunOptions;
  result: RunResult;
  calls: Call[];
  /** Epoch ms when gunicorn was stopped and when it listened again (outage scenarios). */
  outage?: { from: number; to: number };
}

const RUN_SHAPES = ACCEPTING_SHAPES;
/** The outage where it matters most: copied iat, with each way a dead bearer can be answered. */
const OUTAGE_SHAPES = ALL_SHAPES.filter(shape => shape.iat === 'copied');

/** Resolves once `holds()` is true, checked every 100 ms; or once `ended` settles, to not wait for nothing. */
async function until(holds: () => boolean, ended: Promise<unknown>): Promise<void> {
  let over = false;
  const end = () => {
    over = true;
  };
  ended.then(end, end);
  while (!over && !holds()) await sleep(100);
}

async function runMode(shape: Shape, outage: boolean): Promise<RunOutcome> {
  const klear = await serve({
    ...shape,
    accessLifetime: RUN_LIFETIME,
    refreshLifetime: REFRESH_LIFETIME
  });
  const [refreshToken, accessToken] = await klear.mint([
    { kind: 'refresh', ageSeconds: STORED_AGE },
    { kind: 'access' }
  ]);
  const inputs: Record<string, string> = {
    ...connection(klear),
    'refresh-token': refreshToken ?? '',
    run: PINGING
  };
  // IsAuthenticated: the first refresh needs a living bearer, and after an outage only a login helps.
  if (shape.refreshNeedsBearer) inputs['access-token'] = accessToken ?? '';
  if (shape.refreshNeedsBearer && outage) Object.assign(inputs, account(klear));
  const probe = mkdtempSync(join(tmpdir(), 'klear-reference-run-'));
  const pings = join(probe, 'pings');
  const enough = join(probe, 'enough');
  const options: RunOptions = {
    inputs,
    env: {
      PING: klear.url + PING_PATH,
      PINGS: pings,
      ENOUGH: enough,
      RUN_FOR: String(outage ? 0 : RUN_SECONDS),
      RUN_CAP: String(RUN_CAP_SECONDS)
    },
    timeoutMs: (RUN_CAP_SECONDS + 30) * 1000
  };
  const running = startAction(options);
  const pinged = () => (existsSync(pings) ? callsIn(readFileSync(pings, 'utf8')) : []);
  let window: RunOutcome['outage'];
  try {
    if (outage) {
      // The outage starts once the command has had a call answered, and the command ends once it
      // has made two calls past the recovery time, however slowly this machine gets there.
      await until(() => pinged().some(call => call.status === '200'), running.result);
      const from = Date.now();
      await klear.stop();
      await sleep(OUTAGE_MS);
      await klear.start();
      const to = Date.now();
      window = { from, to };
      await until(
        () => pinged().filter(call => call.at > to + RECOVERY_MS).length >= 2,
        running.result
      );
    } else {
      const refreshed = () =>
        klear.requests().filter(r => r.path === REFRESH_PATH && r.status === 200).length;
      await until(
        () =>
          pinged().length >= RUN_SECONDS / 3 &&
          refreshed() >= 1 + Math.floor(RUN_SECONDS / RUN_LIFETIME),
        running.result
      );
    }
    writeFileSync(enough, '');
    const result = await running.result;
    return { klear, options, result, calls: callsIn(result.log), outage: window };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function scenario(shape: Shape, outage: boolean): Promise<RunOutcome> {
  const key = `${named(shape)}${outage ? ' outage' : ''}`;
  let running = scenarios.get(key);
  if (!running) {
    running = runMode(shape, outage);
    // Awaited by its test; this only keeps a failure from being reported as unhandled before then.
    running.catch(() => {});
    scenarios.set(key, running);
  }
  return running;
}

// ---- The stand-in against the reference: the same requests to both, the answers compared once
// what must differ is taken out (token values, ids and times, the protected endpoint's body).
interface Probe {
  method?: string;
  path: 'refresh' | 'login' | 'api' | 'elsewhere';
  host?: string;
  type?: 'form' | 'json' | 'text';
  fields?: (tokens: Tokens, user: KlearStackUser) => Record<string, string>;
  bearer?: (tokens: Tokens) => string;
}

const refreshFields = (tokens: Tokens, user: KlearStackUser) => ({
  refresh_token: tokens.stored,
  company_name: user.company
});
const loginFields = (_tokens: Tokens, user: KlearStackUser) => ({
  username: user.username,
  password: user.password,
  company_name: user.company
});
const living = (tokens: Tokens) => tokens.living;

const PROBES: Record<string, Probe> = {
  'refresh, no bearer': { path: 'refresh', fields: refreshFields },
  'refresh, living bearer': { path: 'refresh', fields: refreshFields, bearer: living },
  'refresh, expired bearer': {
    path: 'refresh',
    fields: refreshFields,
    bearer: tokens => tokens.expiredAccess
  },
  'refresh, a bearer that is no JWT': {
    path: 'refresh',
    fields: refreshFields,
    bearer: () => 'not-a-token'
  },
  'refresh, the refresh token as bearer': {
    path: 'refresh',
    fields: refreshFields,
    bearer: tokens => tokens.stored
  },
  'refresh, expired refresh token': {
    path: 'refresh',
    fields: (tokens, user) => ({
      refresh_token: tokens.expiredRefresh,
      company_name: user.company
    }),
    bearer: living
  },
  'refresh, an access token as refresh_token': {
    path: 'refresh',
    fields: (tokens, user) => ({ refresh_token: tokens.living, company_name: user.company }),
    bearer: living
  },
  'refresh, empty refresh_token': {
    path: 'refresh',
    fields: (_tokens, user) => ({ refresh_token: '', company_name: user.company }),
    bearer: living
  },
  'refresh, no refresh_token': {
    path: 'refresh',
    fields: (_tokens, user) => ({ company_name: user.company }),
    bearer: living
  },
  'refresh, no company_name': {
    path: 'refresh',
    fields: tokens => ({ refresh_token: tokens.stored }),
    bearer: living
  },
  'refresh, another company': {
    path: 'refresh',
    fields: tokens => ({ refresh_token: tokens.stored, company_name: 'some-other-corp' }),
    bearer: living
  },
  'refresh as JSON': { path: 'refresh', type: 'json', fields: refreshFields, bearer: living },
  'refresh as text/plain': { path: 'refresh', type: 'text', fields: refreshFields, bearer: living },
  'GET on the refresh endpoint': { method: 'GET', path: 'refresh', bearer: living },
  login: { path: 'login', fields: loginFields },
  'login, wrong password': {
    path: 'login',
    fields: (tokens, user) => ({ ...loginFields(tokens, user), password: 'wrong' })
  },
  'login, no username': {
    path: 'login',
    fields: (_tokens, user) => ({ password: user.password, company_name: user.company })
  },
  'login, no company_name': {
    path: 'login',
    fields: (_tokens, user) => ({ username: user.username, password: user.password })
  },
  'login with an expired bearer': {
    path: 'login',
    fields: loginFields,
    bearer: tokens => tokens.expiredAccess
  },
  'API, no bearer': { method: 'GET', path: 'api' },
  'API, living bearer': { method: 'GET', path: 'api', bearer: living },
  'API, expired bearer': { method: 'GET', path: 'api', bearer: tokens => tokens.expiredAccess },
  'a path outside the API': { method: 'GET', path: 'elsewhere' },
  'a Host not in ALLOWED_HOSTS': {
    path: 'refresh',
    host: 'klearstack.example.com',
    fields: refreshFields
  }
};

interface Seen {
  status: number;
  challenge: string | null;
  type: string;
  date: boolean;
  body: unknown;
}

/**
 * A JWT by what must agree: its type, its claims' names, the minutes left of its life, and whether it
 * says it was issued now or hours ago (a copied `iat`). Its value, id and exact times differ.
 */
function describeTokens(value: unknown): unknown {
  if (typeof value === 'string' && /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(value)) {
    const claims = decodeJwtPayload(value);
    const now = Date.now() / 1000;
    return {
      jwt: claims.token_type,
      claims: Object.keys(claims).sort(),
      minutesLeft: Math.round((Number(claims.exp) - now) / 60),
      issued: Number(claims.iat) < now - 3600 ? 'hours ago' : 'now'
    };
  }
  if (Array.isArray(value)) return value.map(describeTokens);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describeTokens(v)]));
  }
  return value;
}

function encodeBody(type: Probe['type'], fields: Record<string, string>): [string, string] {
  if (type === 'json') return ['application/json', JSON.stringify(fields)];
  const form = new URLSearchParams(fields).toString();
  return [type === 'text' ? 'text/plain' : 'application/x-www-form-urlencoded', form];
}

function probe(
  base: string,
  apiPath: string,
  request: Probe,
  tokens: Tokens,
  user: KlearStackUser
) {
  const url = new URL(base);
  const paths = { refresh: REFRESH_PATH, login: LOGIN_PATH, api: apiPath, elsewhere: '/nowhere' };
  const headers: Record<string, string> = {};
  if (request.host) headers.Host = request.host;
  if (request.bearer) headers.Authorization = `Bearer ${request.bearer(tokens)}`;
  let body: string | undefined;
  if (request.fields) {
    const [type, text] = encodeBody(request.type, request.fields(tokens, user));
    body = text;
    headers['Content-Type'] = type;
  }
  return new Promise<Seen>((resolve, reject) => {
    const sent = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname.replace(/\/$/, '') + paths[request.path],
        method: request.method ?? 'POST',
        headers
      },
      answer => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = answer.headers['content-type'] ?? '';
          const status = answer.statusCode ?? 0;
          // The protected endpoint's 200 body is each server's own.
          const json =
            type.startsWith('application/json') && !(request.path === 'api' && status === 200);
          resolve({
            status,
            challenge: answer.headers['www-authenticate'] ?? null,
            type,
            date: answer.headers.date !== undefined,
            body: json ? describeTokens(JSON.parse(text)) : status === 200 ? '' : text
          });
        });
        answer.on('error', reject);
      }
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

async function probeAll(base: string, apiPath: string, tokens: Tokens, user: KlearStackUser) {
  const seen: Record<string, Seen> = {};
  for (const [name, request] of Object.entries(PROBES)) {
    seen[name] = await probe(base, apiPath, request, tokens, user);
  }
  return seen;
}

/** The stand-in's tokens issued at the same ages as the reference's, by moving its clock back. */
function standInTokensFor(standIn: StandIn): Tokens {
  const aged = (seconds: number, mint: () => string): string => {
    standIn.clock.advance(-seconds);
    try {
      return mint();
    } finally {
      standIn.clock.advance(seconds);
    }
  };
  return {
    stored: aged(STORED_AGE, () => standIn.mintRefreshToken()),
    expiredRefresh: aged(REFRESH_LIFETIME + 60, () => standIn.mintRefreshToken()),
    living: standIn.mintAccessToken(),
    expiredAccess: aged(ACCESS_LIFETIME + 60, () => standIn.mintAccessToken())
  };
}

withDjango('the reference KlearStack', () => {
  beforeAll(() => {
    for (const shape of RUN_SHAPES) void scenario(shape, false);
    for (const shape of OUTAGE_SHAPES) void scenario(shape, true);
  });

  // One reference per configuration, with its tokens, for the plain steps and the conformance.
  const byShape = new Map<Shape, { klear: KlearStack; tokens: Tokens }>();
  beforeAll(async () => {
    await Promise.all(
      ALL_SHAPES.map(async shape => {
        const klear = await serve({
          ...shape,
          accessLifetime: ACCESS_LIFETIME,
          refreshLifetime: REFRESH_LIFETIME
        });
        const [stored, expiredRefresh, living, expiredAccess] = await klear.mint([
          { kind: 'refresh', ageSeconds: STORED_AGE },
          { kind: 'refresh', ageSeconds: REFRESH_LIFETIME + 60 },
          { kind: 'access' },
          { kind: 'access', ageSeconds: ACCESS_LIFETIME + 60 }
        ]);
        const tokens = { stored, expiredRefresh, living, expiredAccess } as Tokens;
        byShape.set(shape, { klear, tokens });
      })
    );
  }, 60_000);
  const server = (shape: Shape) => byShape.get(shape) as { klear: KlearStack; tokens: Tokens };
  /** The step against `shape`'s reference, with these inputs besides base-url and company-name. */
  async function step(
    shape: Shape,
    inputs: (tokens: Tokens, klear: KlearStack) => Record<string, string>
  ) {
    const { klear, tokens } = server(shape);
    const options = { inputs: { ...connection(klear), ...inputs(tokens, klear) } };
    return { klear, options, result: await runAction(options) };
  }

  describe('plain steps, in each configuration', () => {
    eachShape(ALL_SHAPES)(
      '%s: a refresh token stored 2 h ago, no access-token: a token without a warning, or where a bearer is required, what to give',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, tokens => ({
          'refresh-token': tokens.stored
        }));
        if (!shape.refreshNeedsBearer) {
          await expectToken(klear, result, options);
          expect(result.warnings).toEqual([]);
          return;
        }
        // DRF answers "Authentication credentials were not provided." (401, or 403 with
        // SessionAuthentication first) before the view reads a field.
        const error = expectOneError(result, options);
        expect(error).toMatch(/access-token/);
        expect(error).toMatch(/username/);
        expect(error).not.toMatch(GATEWAY_BLAME);
      }
    );

    eachShape(ACCEPTING_SHAPES)(
      '%s: a living access-token as the bearer: a token without a warning',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, tokens => ({
          'refresh-token': tokens.stored,
          'access-token': tokens.living
        }));
        await expectToken(klear, result, options);
        expect(result.warnings).toEqual([]);
        expect(result.outputs['refresh-token']).toBe('');
      }
    );

    eachShape(ACCEPTING_SHAPES.filter(shape => !shape.refreshNeedsBearer))(
      '%s: the service account alone logs in without a warning',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, (_tokens, klear) => ({
          ...account(klear)
        }));
        await expectToken(klear, result, options);
        expect(result.warnings).toEqual([]);
        expect(result.outputs['refresh-token']).toMatch(/^eyJ/);
      }
    );

    eachShape(ALL_SHAPES)(
      '%s: an expired refresh token with a service account: logs in',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, (tokens, klear) => ({
          ...account(klear),
          'refresh-token': tokens.expiredRefresh
        }));
        await expectToken(klear, result, options);
        expect(result.outputs['refresh-token']).toMatch(/^eyJ/);
      }
    );

    eachShape(ALL_SHAPES)(
      '%s: an expired access-token, no service account: refreshes without it, or says it expired and what to give',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, tokens => ({
          'refresh-token': tokens.stored,
          'access-token': tokens.expiredAccess
        }));
        if (!shape.refreshNeedsBearer) {
          // DRF rejects the expired bearer even before an AllowAny view; without it the refresh passes.
          await expectToken(klear, result, options);
          return;
        }
        const error = expectOneError(result, options);
        expect(error).toMatch(/access-token/);
        expect(error).toMatch(/expired/);
        expect(error).toMatch(/username/);
      }
    );

    eachShape(ALL_SHAPES)(
      '%s: an expired access-token with a service account: gets a token',
      async (_name, shape) => {
        const { klear, options, result } = await step(shape, (tokens, klear) => ({
          ...account(klear),
          'refresh-token': tokens.stored,
          'access-token': tokens.expiredAccess
        }));
        await expectToken(klear, result, options);
        // Where the refresh needs a living bearer, only a login could have done it.
        if (shape.refreshNeedsBearer) expect(result.outputs['refresh-token']).toMatch(/^eyJ/);
        else expect(result.outputs['refresh-token']).toBe('');
      }
    );

    eachShape(ALL_SHAPES.filter(shape => shape.iat === 'copied'))(
      '%s: a company KlearStack refuses: one error naming company-name',
      async (_name, shape) => {
        const { options, result } = await step(shape, tokens => ({
          'company-name': 'some-other-corp',
          'refresh-token': tokens.stored,
          'access-token': tokens.living
        }));
        const error = expectOneError(result, options);
        expect(error).toMatch(/company-name/);
      }
    );
  });

  describe('company names reach Django intact', () => {
    const COMPANIES = [
      'Smith & Sons',
      'a+b=c',
      'two  spaces inside',
      'Müller GmbH',
      '東京 株式会社',
      'x=1&y=2+3 %20 é'
    ];
    let klear: KlearStack;
    beforeAll(async () => {
      klear = await serve({
        users: COMPANIES.map((company, index) => ({
          username: `svc-${index}`,
          password: `pw-${index}`,
          company
        }))
      });
    }, 30_000);

    it.concurrent.each(COMPANIES.map((company, index) => [company, index] as const))(
      'logs in and refreshes for %j',
      async (company, index) => {
        const login = {
          inputs: {
            'base-url': klear.url,
            'company-name': company,
            username: `svc-${index}`,
            password: `pw-${index}`
          }
        };
        const loggedIn = await runAction(login);
        await expectToken(klear, loggedIn, login);
        const refresh = {
          inputs: {
            'base-url': klear.url,
            'company-name': company,
            'refresh-token': loggedIn.outputs['refresh-token'] ?? ''
          }
        };
        await expectToken(klear, await runAction(refresh), refresh);
        const received = klear
          .requests()
          .filter(request => request.company === company)
          .map(request => [request.path, request.status]);
        expect(received).toEqual([
          [LOGIN_PATH, 200],
          [REFRESH_PATH, 200]
        ]);
      }
    );
  });

  describe("Django's own pages are named as KlearStack's web framework, not a gateway", () => {
    it.concurrent(
      'a Host not in ALLOWED_HOSTS (400): names the host and ALLOWED_HOSTS, asked once',
      async () => {
        const klear = await serve({ allowedHosts: ['klearstack.example.com'] });
        const [stored] = await klear.mint([{ kind: 'refresh', ageSeconds: STORED_AGE }]);
        const options = {
          inputs: {
            ...connection(klear),
            // A name rather than an address, so that the error must name what base-url says.
            'base-url': klear.url.replace('127.0.0.1', 'localhost'),
            'refresh-token': stored ?? ''
          }
        };
        const error = expectOneError(await runAction(options), options);
        // Django matches ALLOWED_HOSTS against the host without its port (HttpRequest.get_host).
        expect(error).toMatch(/\blocalhost\b.*ALLOWED_HOSTS/);
        expect(error).toMatch(/Django/);
        expect(error).not.toMatch(GATEWAY_BLAME);
        expect(klear.requests().map(request => request.status)).toEqual([400]);
      }
    );

    it.concurrent("an unhandled exception (500): said as KlearStack's Django", async () => {
      const klear = await serve({ crash: true });
      const [stored] = await klear.mint([{ kind: 'refresh', ageSeconds: STORED_AGE }]);
      const options = {
        inputs: { ...connection(klear), 'refresh-token': stored ?? '', 'max-attempts': '1' }
      };
      const error = expectOneError(await runAction(options), options);
      expect(error).toMatch(/Django/);
      expect(error).toMatch(/\b500\b/);
      expect(error).not.toMatch(GATEWAY_BLAME);
      expect(klear.requests().map(request => request.status)).toEqual([500]);
    });
  });

  describe('the stand-in answers as the real stack does', () => {
    eachShape(ALL_SHAPES)('%s: the same statuses, challenges and bodies', async (_name, shape) => {
      const { klear, tokens } = server(shape);
      const standIn = await startStandIn({
        requireBearer: shape.refreshNeedsBearer,
        copyIat: shape.iat === 'copied',
        sessionAuthenticationFirst: shape.sessionFirst,
        simpleJwt: '5.2',
        // Django's ALLOWED_HOSTS as the reference has it.
        allowedHosts: ['127.0.0.1', 'localhost'],
        accessTtlSeconds: ACCESS_LIFETIME,
        refreshTtlSeconds: REFRESH_LIFETIME,
        companyName: klear.user.company,
        username: klear.user.username,
        password: klear.user.password
      });
      try {
        const real = await probeAll(klear.url, PING_PATH, tokens, klear.user);
        const standInTokens = standInTokensFor(standIn);
        const stood = await probeAll(standIn.url, API_PATH, standInTokens, klear.user);
        expect(stood).toEqual(real);
      } finally {
        await standIn.close();
      }
    });
  });

  describe('run mode with 20-second tokens and a refresh token stored 2 h ago', () => {
    // Not concurrent: these only await scenarios that have been running since the file started.
    it.each(RUN_SHAPES.map(shape => [named(shape), shape] as const))(
      '%s: the command calls the API every 2 s for 45 s and never gets 401',
      async (_name, shape) => {
        const { klear, options, result, calls } = await scenario(shape, false);
        expect(calls.length).toBeGreaterThanOrEqual(RUN_SECONDS / 3);
        expect(calls.filter(call => call.status !== '200')).toEqual([]);
        expect(result.exitCode).toBe(0);
        expect(result.errors).toEqual([]);
        expect(result.warnings).toEqual([]);
        // The step's own refresh, and one at least every 20 s after it.
        const refreshes = klear.requests().filter(r => r.path === REFRESH_PATH && r.status === 200);
        expect(refreshes.length).toBeGreaterThanOrEqual(1 + Math.floor(RUN_SECONDS / RUN_LIFETIME));
        expectSecretsKept(result, options, [result.outputs['access-token'] ?? '']);
      },
      (RUN_CAP_SECONDS + 60) * 1000
    );

    it.each(OUTAGE_SHAPES.map(shape => [named(shape), shape] as const))(
      '%s: an outage longer than a token, then the command recovers',
      async (_name, shape) => {
        const { klear, options, result, calls, outage } = await scenario(shape, true);
        const { from, to } = outage as { from: number; to: number };
        expect(result.exitCode).toBe(0);
        const before = calls.filter(call => call.at < from);
        expect(before.length).toBeGreaterThanOrEqual(1);
        expect(before.filter(call => call.status !== '200')).toEqual([]);
        const settled = calls.filter(call => call.at > to + RECOVERY_MS);
        expect(settled.length).toBeGreaterThanOrEqual(2);
        expect(settled.filter(call => call.status !== '200')).toEqual([]);
        const after = klear.requests().filter(request => request.at * 1000 > to);
        // Where the refresh needs a living bearer, only a login brings a new one after the outage.
        if (shape.refreshNeedsBearer) {
          expect(after.map(r => [r.path, r.status])).toContainEqual([LOGIN_PATH, 200]);
        }
        expectSecretsKept(result, options, [result.outputs['access-token'] ?? '']);
      },
      (RUN_CAP_SECONDS + 60) * 1000
    );
  });
});
