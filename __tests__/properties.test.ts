import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { actionInputs } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { RecordedRequest, StandIn } from '../dev/stand-in.ts';
import { run } from '../src/main.ts';
import { writeThroughStdout } from '../src/toolkit.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';
import { listedReservedEnv } from './helpers/listed-env-names.ts';

// The step's lines are read here by spying on process.stdout.write, so the toolkit writes there
// rather than straight to fd 1 (a step's own way, which every end-to-end test reads).
writeThroughStdout();

// Properties of the whole step over generated inputs: run() in this process, through the real
// @actions/core, against one real stand-in on 127.0.0.1 (no nock here). Whatever the input, the
// step either does the right request and succeeds, or fails with one clear error; it never shows
// a secret before masking it, never crashes, and exits with nothing or 1. (A promise rejected
// without a handler fails the test by itself: jest-circus owns unhandledRejection.)

const ENDPOINT = '/access/klearstack/getaccesstokenfromrefreshtoken';
const LOGIN_ENDPOINT = '/access/klearstack/get_access_token';
/** What the README promises a token looks like: base64url, base64 and the dots between. */
const TOKEN_CHARSET = /^[A-Za-z0-9._~+/=-]+$/;
/** What the README calls a token: 16 to 16,384 characters of the alphabet (a JWT is such a value). */
const isToken = (value: string) =>
  value.length >= 16 && value.length <= 16 * 1024 && TOKEN_CHARSET.test(value);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Below this a "secret" is a word or two that fixed text contains by chance. */
const MIN_WATCHED_LENGTH = 8;
const RUNS = { 'company-name': 200, 'base-url': 200, 'env-name': 200, tokens: 200 };
type Property = keyof typeof RUNS;

let standIn: StandIn;
let dir: string;
let closedPort: number;
const savedEnv = { ...process.env };
/** How often each property met each kind of outcome: proof the generators reach every branch. */
const tally: Record<Property, Record<string, number>> = {
  'company-name': {},
  'base-url': {},
  'env-name': {},
  tokens: {}
};
const count = (property: Property, kind: string): void => {
  tally[property][kind] = (tally[property][kind] ?? 0) + 1;
};
function expectCovered(property: Property, kinds: string[]): void {
  expect(Object.keys(tally[property])).toEqual(expect.arrayContaining(kinds));
}

beforeAll(async () => {
  standIn = await startStandIn();
  const spare = createServer();
  await new Promise<void>(resolve => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise<void>(resolve => spare.close(() => resolve()));
  dir = mkdtempSync(join(tmpdir(), 'klear-properties-'));
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_')) delete process.env[key];
  }
  process.env.GITHUB_OUTPUT = join(dir, 'output');
  process.env.GITHUB_ENV = join(dir, 'env');
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary');
  process.env.RUNNER_DEBUG = '1';
});

afterAll(async () => {
  restoreEnv(savedEnv);
  rmSync(dir, { recursive: true, force: true });
  await standIn.close();
  const runs = Object.values(tally).map(kinds => Object.values(kinds).reduce((a, b) => a + b, 0));
  const total = runs.reduce((a, b) => a + b, 0);
  console.log(`property inputs tried: ${total} ${JSON.stringify(tally)}`);
});

function restoreEnv(snapshot: Record<string, string | undefined>): void {
  for (const key of Object.keys(process.env)) if (!(key in snapshot)) delete process.env[key];
  for (const [key, value] of Object.entries(snapshot)) {
    if (value !== undefined && process.env[key] !== value) process.env[key] = value;
  }
}

interface Outcome {
  lines: string[];
  errors: string[];
  exitCode: number | undefined;
  output: string;
  env: string;
  /** Requests the given stand-in received during this run. */
  requests: RecordedRequest[];
}

const DEFAULTS = Object.fromEntries(
  Object.entries(actionInputs()).map(([name, spec]) => [name, spec.default])
);

/** One step: every declared input as the runner passes it, run() to the end, the world restored. */
async function step(inputs: Record<string, string>, server: StandIn = standIn): Promise<Outcome> {
  for (const file of ['output', 'env', 'summary']) writeFileSync(join(dir, file), '');
  const snapshot = { ...process.env };
  const seen = server.requests.length;
  for (const [name, value] of Object.entries({ ...DEFAULTS, ...inputs })) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean));
    return true;
  });
  let exitCode: number | undefined;
  try {
    await run();
  } finally {
    spy.mockRestore();
    exitCode = process.exitCode as number | undefined;
    process.exitCode = undefined;
    restoreEnv(snapshot);
  }
  return {
    lines,
    errors: lines.filter(line => line.startsWith('::error::')).map(line => unescape(line.slice(9))),
    exitCode,
    output: readFileSync(join(dir, 'output'), 'utf8'),
    env: readFileSync(join(dir, 'env'), 'utf8'),
    requests: server.requests.slice(seen)
  };
}

/** @actions/core's escaping of command data, undone. */
function unescape(data: string): string {
  return data.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
}

function escape(data: string): string {
  return data.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** What every run must satisfy, whatever its input. */
function expectWellBehaved(outcome: Outcome): void {
  expect([undefined, 1]).toContain(outcome.exitCode);
  expect(outcome.errors).toHaveLength(outcome.exitCode === 1 ? 1 : 0);
  for (const error of outcome.errors) expect(error).not.toMatch(/^Unexpected error/);
}

/**
 * No line shows a secret (or a line of a multi-line one) before the `::add-mask::` line that
 * registered it. Parts short enough to occur in fixed text by chance, or inside the URL the debug
 * output prints, are not watched.
 */
function expectMaskedBeforeShown(lines: string[], secrets: string[]): void {
  const shownEarly: { secret: string; line: number; maskedAt: number }[] = [];
  for (const secret of secrets) {
    if (!secret.trim()) continue;
    const maskedAt = lines.findIndex(
      line => line.startsWith('::add-mask::') && unescape(line.slice(12)) === secret
    );
    const parts = secret
      .split(/\r\n|\r|\n/)
      .filter(
        part => part.length >= MIN_WATCHED_LENGTH && !`${standIn.url}${ENDPOINT}`.includes(part)
      );
    lines.forEach((line, index) => {
      if (line.startsWith('::add-mask::')) return;
      const shown = parts.some(part => line.includes(part) || line.includes(escape(part)));
      if (shown && !(maskedAt >= 0 && maskedAt < index)) {
        shownEarly.push({ secret, line: index, maskedAt });
      }
    });
  }
  expect(shownEarly).toEqual([]);
}

/** Characters that form encoding, URLs, shells and JSON treat specially, and some beyond ASCII. */
const AWKWARD = fc.constantFrom(
  ...['&', '=', '%', '+', "'", '"', ' ', '?', '#', '/', '\\', ';', ',', ':', '@', '<', '>'],
  ...['%20', '%2B', '%%', '+%', '\t', '\n', '\r\n', 'é', 'ß', 'ø', 'İ', 'ﬁ', '中文', 'شركة'],
  ...['😀', '👩‍💻', '\u200b', '\u00a0', '\ufeff', '\u202e', 'a', 'Z', '0', '_', '-', '.']
);

const noNul = (value: string): boolean => !value.includes('\0');

describe('company-name', () => {
  const companyName = fc
    .oneof(
      fc.string({ unit: AWKWARD, minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
      fc.constantFrom(
        'Acme & Sons=1%',
        'O\'Brien "Holdings" +',
        '株式会社クリア',
        ' padded ',
        '\t '
      )
    )
    .filter(noNul);

  it('round-trips through the form exactly: a stand-in for that company accepts it', async () => {
    await fc.assert(
      fc.asyncProperty(companyName, async name => {
        const expected = name.trim();
        // The stand-in judges company_name itself, so each name gets a stand-in of its own.
        const company = await startStandIn({ companyName: expected });
        try {
          const refreshToken = company.mintRefreshToken({ expiresIn: 3 * 86400 });
          const outcome = await step(
            {
              'base-url': company.url,
              'refresh-token': refreshToken,
              'company-name': name,
              'max-attempts': '1',
              'timeout-seconds': '5'
            },
            company
          );
          expectWellBehaved(outcome);
          expectMaskedBeforeShown(outcome.lines, [refreshToken]);
          count('company-name', expected ? 'accepted' : 'refused: empty');
          if (!expected) {
            expect(outcome.errors).toEqual([
              expect.stringMatching(/^Input 'company-name' is required but empty\./)
            ]);
            expect(outcome.requests).toEqual([]);
            return;
          }
          expect(outcome.requests).toHaveLength(1);
          expect(outcome.requests[0].fields).toEqual({
            refresh_token: refreshToken,
            company_name: expected
          });
          expect(outcome.errors).toEqual([]);
          expect(outcome.output).toContain(outcome.requests[0].issuedAccessToken);
        } finally {
          await company.close();
        }
      }),
      // One of each outcome for certain; the rest is generated.
      { numRuns: RUNS['company-name'], examples: [[' \t '], ['Acme & Sons=1% +"\'']] }
    );
    expectCovered('company-name', ['accepted', 'refused: empty']);
  });
});

interface UrlParts {
  scheme: string;
  separator: string;
  user: string;
  password: string | undefined;
  host: string;
  port: string;
  path: string;
  query: string;
  padding: string;
}

/** A base-url to try, with the parts it was built from when it was built from parts. */
interface Candidate {
  parts: UrlParts | undefined;
  value: string;
}

describe('base-url', () => {
  // A URL the stand-in answers, then up to two of its parts spoiled: each refusal is a part away.
  const sound: fc.Arbitrary<UrlParts> = fc.record({
    scheme: fc.constant('http'),
    separator: fc.constant('://'),
    user: fc.constant(''),
    password: fc.constant(undefined),
    host: fc.constantFrom('127.0.0.1', 'localhost'),
    port: fc.constant('stand-in'),
    path: fc.oneof(
      fc.constantFrom(
        ...['', '/', '/api', '/api/', '//', ENDPOINT, `${ENDPOINT}/`, `/api${ENDPOINT}`],
        ...[LOGIN_ENDPOINT, '/%2e%2e/x', '/a/../b', '/a/./b', '//x/y', '/ä ö', '/a%2Fb', '/\\x']
      ),
      fc.webPath()
    ),
    query: fc.constant(''),
    padding: fc.constant('')
  });
  const secretPassword = fc.constantFrom('hunter2-Zq8vK2mN', 'p%40ss-w0rd-9xk', 'x');
  const spoil: fc.Arbitrary<Partial<UrlParts>> = fc.oneof(
    fc.record({ scheme: fc.constantFrom('https', 'HTTP', 'Https', 'ftp', 'ws', 'file', '') }),
    fc.record({ separator: fc.constantFrom(':/', ':', '//', ':///', ':\\\\') }),
    fc.record({
      user: fc.constantFrom('', 'user', 'svc%40ci', 'a b'),
      password: fc.option(secretPassword, { nil: undefined })
    }),
    fc.record({
      host: fc.oneof(
        fc.constantFrom(
          ...['LOCALHOST', '127.1', '0x7f.0.0.1', '2130706433', '[::1]', '127.0.0.2', ''],
          ...['127.0.0.1.', 'localhost.', 'example.com', 'api.example-tenant.com', 'exa mple.com'],
          ...['[::1', '127.0.0.1\\', '%31%32%37.0.0.1', '[::ffff:127.0.0.1]']
        ),
        fc.domain()
      )
    }),
    fc.record({ port: fc.constantFrom('', ':0', ':65536', ':x', 'closed') }),
    fc.record({ query: fc.constantFrom('?', '?a=1', '?token=abc', '#', '#frag') }),
    fc.record({ padding: fc.constantFrom(' ', '\t', '\n', '\u00a0') })
  );
  const urlParts = fc
    .tuple(sound, fc.array(spoil, { maxLength: 2 }))
    .map(([parts, spoilt]) => Object.assign({}, parts, ...spoilt) as UrlParts);
  const baseUrl: fc.Arbitrary<Candidate> = fc.oneof(
    { weight: 6, arbitrary: urlParts.map(parts => ({ parts, value: assemble(parts) })) },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'grapheme', maxLength: 40 })
        .map(value => ({ parts: undefined, value }))
    },
    {
      weight: 1,
      arbitrary: fc
        .webUrl({ authoritySettings: { withIPv6: true, withUserInfo: true, withPort: true } })
        .map(value => ({ parts: undefined, value }))
    }
  );

  function assemble(parts: UrlParts): string {
    const userinfo =
      parts.password !== undefined
        ? `${parts.user}:${parts.password}@`
        : parts.user
          ? `${parts.user}@`
          : '';
    const port =
      parts.port === 'stand-in'
        ? `:${new URL(standIn.url).port}`
        : parts.port === 'closed'
          ? `:${closedPort}`
          : parts.port;
    const url = `${parts.scheme}${parts.separator}${userinfo}${parts.host}${port}${parts.path}${parts.query}`;
    return `${parts.padding}${url}${parts.padding}`;
  }

  const isLoopback = (hostname: string): boolean =>
    hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

  /** What the README promises for a base-url: why it is refused, or the URL it is used as. */
  function judge(value: string): { refused: string; message: RegExp } | { url: URL } {
    const trimmed = value.trim();
    if (!trimmed) return { refused: 'empty', message: /^Input 'base-url' is required but empty/ };
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return { refused: 'relative', message: /^Input 'base-url' is not an absolute URL/ };
    }
    if (url.username || url.password) {
      return {
        refused: 'userinfo',
        message: /^Input 'base-url' contains a user name or password/
      };
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)))
      return { refused: 'not https', message: /^Input 'base-url' must use https/ };
    if (url.search || url.hash) {
      return {
        refused: 'query',
        message: /^Input 'base-url' must not contain a query string or fragment/
      };
    }
    return { url };
  }

  /** The API root is the URL's path less trailing slashes and any endpoint; the endpoint follows. */
  function expectedPath(url: URL): string {
    let path = url.pathname.replace(/\/+$/, '');
    for (const endpoint of [ENDPOINT, LOGIN_ENDPOINT]) {
      if (path.endsWith(endpoint)) {
        path = path.slice(0, -endpoint.length);
        break;
      }
    }
    return path + ENDPOINT;
  }

  function userinfoExample(): Candidate {
    const parts: UrlParts = {
      ...{ scheme: 'http', separator: '://', user: 'svc', password: 'hunter2-Zq8vK2mN' },
      ...{ host: '127.0.0.1', port: 'stand-in', path: '', query: '', padding: '' }
    };
    return { parts, value: assemble(parts) };
  }

  it('either reaches the expected path or fails with one base-url error, never echoing a password', async () => {
    const refreshToken = standIn.mintRefreshToken({ expiresIn: 3 * 86400 });
    await fc.assert(
      fc.asyncProperty(baseUrl, async ({ parts, value }) => {
        const verdict = judge(value);
        // A valid URL to a host other than this machine would go out to the network.
        fc.pre('refused' in verdict || isLoopback(verdict.url.hostname));
        const outcome = await step({
          'base-url': value,
          'refresh-token': refreshToken,
          'company-name': standIn.companyName,
          'max-attempts': '1',
          'timeout-seconds': '2'
        });
        expectWellBehaved(outcome);
        expectMaskedBeforeShown(outcome.lines, [refreshToken]);
        const password = parts?.password;
        if (password !== undefined && password.length >= 4) {
          const forms = [password, encodeURIComponent(password)];
          const shown = outcome.lines.filter(line => forms.some(form => line.includes(form)));
          expect(shown).toEqual([]);
        }
        if ('refused' in verdict) {
          count('base-url', `refused: ${verdict.refused}`);
          expect(outcome.errors).toEqual([expect.stringMatching(verdict.message)]);
          expect(outcome.requests).toEqual([]);
          return;
        }
        const { url } = verdict;
        const path = expectedPath(url);
        // The client names what it posts to in a debug line, just before sending.
        expect(outcome.lines.map(unescape)).toContain(`::debug::POST ${url.origin}${path}`);
        const standInHost = new URL(standIn.url);
        const reachesStandIn =
          url.protocol === 'http:' &&
          ['127.0.0.1', 'localhost'].includes(url.hostname) &&
          url.port === standInHost.port;
        if (!reachesStandIn) {
          count('base-url', 'valid: nothing there');
          // Valid, but nothing listens there (or not with TLS): a network error, not an input one.
          expect(outcome.requests).toEqual([]);
          expect(outcome.errors).toEqual([expect.not.stringMatching(/^Input /)]);
          return;
        }
        expect(outcome.requests.map(r => r.path)).toEqual([path]);
        expect(outcome.requests[0].fields.refresh_token).toBe(refreshToken);
        count('base-url', `valid: stand-in answered ${outcome.requests[0].status}`);
        if (outcome.requests[0].status === 200) {
          expect(outcome.errors).toEqual([]);
        } else {
          expect(outcome.requests[0].status).toBe(404);
          expect(outcome.errors).toEqual([
            // The stand-in answers a path outside its API with Django's 404 page, as KlearStack would.
            expect.stringMatching(
              /answered HTTP 404 with a web page, not KlearStack's JSON: there is no KlearStack token endpoint at /
            )
          ]);
        }
      }),
      {
        numRuns: RUNS['base-url'],
        examples: [
          '',
          'api.example.com',
          'http://example.com',
          `${standIn.url}/?a=1`,
          `http://127.0.0.1:${closedPort}`,
          standIn.url,
          `${standIn.url}/api`
        ]
          .map((value): [Candidate] => [{ parts: undefined, value }])
          .concat([[userinfoExample()]])
      }
    );
    expectCovered('base-url', [
      ...['refused: empty', 'refused: relative', 'refused: userinfo', 'refused: not https'],
      ...['refused: query', 'valid: nothing there', 'valid: stand-in answered 200'],
      'valid: stand-in answered 404'
    ]);
  });
});

describe('env-name', () => {
  // Names the action refuses in any letter case: those SECURITY.md lists.
  const { names: RESERVED, prefixes: RESERVED_PREFIXES } = listedReservedEnv();
  const isReserved = (name: string): boolean => {
    const upper = name.toUpperCase();
    return RESERVED.includes(upper) || RESERVED_PREFIXES.some(prefix => upper.startsWith(prefix));
  };

  const anyCase = (word: string) =>
    fc
      .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
      .map(flips =>
        [...word].map((c, i) => (flips[i] ? c.toLowerCase() : c.toUpperCase())).join('')
      );
  const envName = fc
    .oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/) },
      { weight: 2, arbitrary: fc.constantFrom(...RESERVED).chain(anyCase) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...RESERVED_PREFIXES).chain(anyCase),
            fc.stringMatching(/^[A-Za-z0-9_]{0,10}$/)
          )
          .map(([prefix, rest]) => prefix + rest)
      },
      { weight: 2, arbitrary: fc.string({ unit: AWKWARD, maxLength: 10 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...['', ' ', '1TOKEN', 'MY-TOKEN', 'MY TOKEN', 'TOKEN=1', 'ÄTOKEN', 'TOKEN\nPATH'],
          ...['Path', 'node_options', 'github_token', 'ld_preload', '_', 'KLEAR_ACCESS_TOKEN']
        )
      }
    )
    .filter(noNul);

  it('exports only under a plain, unreserved name and refuses everything else with one error', async () => {
    await fc.assert(
      fc.asyncProperty(envName, async value => {
        const refreshToken = standIn.mintRefreshToken({ expiresIn: 3 * 86400 });
        const outcome = await step({
          'base-url': standIn.url,
          'refresh-token': refreshToken,
          'company-name': standIn.companyName,
          'env-name': value,
          'max-attempts': '1'
        });
        expectWellBehaved(outcome);
        expectMaskedBeforeShown(outcome.lines, [refreshToken]);
        const name = value.trim();
        count(
          'env-name',
          !name
            ? 'empty: nothing exported'
            : !ENV_NAME.test(name)
              ? 'refused: not a name'
              : isReserved(name)
                ? 'refused: reserved'
                : 'exported'
        );
        if (name && !ENV_NAME.test(name)) {
          expect(outcome.errors).toEqual([
            expect.stringMatching(
              /^Input 'env-name' is not a valid environment variable name: the value given \(\d+ characters?\)/
            )
          ]);
          expect(outcome.requests).toEqual([]);
        } else if (name && isReserved(name)) {
          expect(outcome.errors).toEqual([
            expect.stringMatching(
              /^Input 'env-name' (is|starts with) '[A-Z0-9_]+' \(in any letter case\), a variable the runner owns/
            )
          ]);
          expect(outcome.requests).toEqual([]);
        } else {
          expect(outcome.errors).toEqual([]);
          expect(outcome.requests).toHaveLength(1);
          const exported = /^([^<]*)<<(.+)\n(.*)\n\2\n$/.exec(outcome.env);
          if (name) {
            expect(exported?.[1]).toBe(name);
            expect(exported?.[3]).toBe(outcome.requests[0].issuedAccessToken);
          } else {
            expect(outcome.env).toBe('');
          }
        }
      }),
      {
        numRuns: RUNS['env-name'],
        examples: [[''], [' '], ['MY-TOKEN'], ['Path'], ['MY_TOKEN']]
      }
    );
    expectCovered('env-name', [
      'empty: nothing exported',
      'refused: not a name',
      'refused: reserved',
      'exported'
    ]);
  });
});

describe('tokens', () => {
  const now = nowSeconds();
  const fresh = fakeJwt({ token_type: 'access', exp: now + 3 * 86400, jti: 'fresh' });
  // Past the 5 minutes' leeway an input refresh token gets (mint.ts): within it, it would be sent.
  const expired = fakeJwt({ token_type: 'refresh', exp: now - 600, jti: 'expired' });
  const jwt = fc
    .record({
      token_type: fc.constantFrom('access', 'refresh', 'other'),
      exp: fc.oneof(
        fc.integer({ min: now + 3 * 86400, max: now + 365 * 86400 }),
        fc.integer({ min: 0, max: now - 1 })
      ),
      jti: fc.stringMatching(/^[a-f0-9]{8}$/)
    })
    .map(fakeJwt);
  const charset = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,80}$/);
  const shaped = fc.oneof(jwt, charset);
  const wrapped = fc
    .tuple(
      shaped,
      fc.constantFrom(
        (t: string) => `Bearer ${t}`,
        (t: string) => `"${t}"`,
        (t: string) => `'${t}'`,
        (t: string) => ` ${t}\n`,
        (t: string) => `${t}\n${t}`,
        (t: string) => `{"access_token":"${t}"}`,
        (t: string) => `${t}%0A`,
        (t: string) => `${t};`
      )
    )
    .map(([token, wrap]) => wrap(token));
  const token = fc
    .oneof(
      { weight: 4, arbitrary: shaped },
      { weight: 2, arbitrary: wrapped },
      { weight: 1, arbitrary: fc.string({ unit: AWKWARD, maxLength: 16 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n') }
    )
    .filter(noNul);
  const returned = fc.oneof(
    { weight: 6, arbitrary: token },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(undefined, null, 42, true, ['x'], { token: 'x' })
    }
  );

  /** exp of a JWT-shaped value, read as any JWT library would; undefined when there is none. */
  function expOf(value: string): number | undefined {
    try {
      const claims: unknown = JSON.parse(
        Buffer.from(value.split('.')[1] ?? '', 'base64url').toString('utf8')
      );
      const exp = (claims as { exp?: unknown } | null)?.exp;
      return typeof exp === 'number' ? exp : undefined;
    } catch {
      return undefined;
    }
  }

  interface Expected {
    kind: string;
    /** Whether the request is sent at all. */
    sent: boolean;
    error?: RegExp;
  }

  /** What the README promises: refused before sending, refused after the answer, or success. */
  function expectedOutcome(refresh: string, access: string, answer: unknown): Expected {
    if (!refresh)
      return {
        kind: 'no credentials',
        sent: false,
        error: /^No credentials: input 'refresh-token'/
      };
    if (!isToken(refresh)) {
      return {
        kind: 'refresh-token not a token',
        sent: false,
        error: /^Input 'refresh-token' does not look like a token/
      };
    }
    if (access && !isToken(access)) {
      return {
        kind: 'access-token not a token',
        sent: false,
        error: /^Input 'access-token' does not look like a token/
      };
    }
    // Not sent: a believable exp (seconds, not milliseconds, after the epoch) more than the
    // 5 minutes' leeway in the past. Anything else is sent and KlearStack decides.
    const exp = expOf(refresh);
    if (exp !== undefined && exp > 0 && exp < 1e11 && exp + 300 <= nowSeconds())
      return {
        kind: 'refresh token expired',
        sent: false,
        error: /^The refresh token expired at /
      };
    if (answer === undefined || answer === null || answer === '') {
      return {
        kind: 'answer without a token',
        sent: true,
        error: /^KlearStack answered HTTP 200 without an access_token/
      };
    }
    if (typeof answer !== 'string' || !isToken(answer)) {
      return {
        kind: 'answer not a token',
        sent: true,
        error: /^KlearStack answered HTTP 200 with an access_token that is not a token/
      };
    }
    return { kind: 'success', sent: true };
  }

  it('succeeds only with token-shaped values everywhere, and masks each before it can show', async () => {
    await fc.assert(
      fc.asyncProperty(token, token, returned, async (refreshInput, accessInput, answer) => {
        const body = JSON.stringify({ access_token: answer, release_version: '7.8.9' });
        standIn.faultAlways({ status: 200, body });
        const outcome = await step({
          'base-url': standIn.url,
          'refresh-token': refreshInput,
          'access-token': accessInput,
          'company-name': standIn.companyName,
          'max-attempts': '1'
        }).finally(() => standIn.faultAlways(undefined));
        expectWellBehaved(outcome);
        const [refresh, access] = [refreshInput.trim(), accessInput.trim()];
        const secrets = [refresh, access];
        if (typeof answer === 'string') secrets.push(answer);
        expectMaskedBeforeShown(outcome.lines, secrets);

        const expected = expectedOutcome(refresh, access, answer);
        count('tokens', expected.kind);
        expect(outcome.requests).toHaveLength(expected.sent ? 1 : 0);
        if (expected.sent) {
          expect(outcome.requests[0].fields.refresh_token).toBe(refresh);
          expect(outcome.requests[0].bearer).toBe(access || undefined);
        }
        if (expected.error === undefined) {
          expect(outcome.errors).toEqual([]);
          expect(outcome.output).toContain(`\n${answer as string}\n`);
        } else {
          expect(outcome.errors).toEqual([expect.stringMatching(expected.error)]);
          expect(outcome.output).toBe('');
          expect(outcome.env).toBe('');
        }
      }),
      {
        numRuns: RUNS.tokens,
        examples: [
          ['', '', 'x'],
          ['Bearer abc', '', 'x'],
          [fresh, '"a"', fresh],
          [expired, '', fresh],
          [fresh, '', undefined],
          [fresh, '', 'a b'],
          [fresh, fresh, fresh]
        ]
      }
    );
    expectCovered('tokens', [
      ...['no credentials', 'refresh-token not a token', 'access-token not a token'],
      ...['refresh token expired', 'answer without a token', 'answer not a token', 'success']
    ]);
  });
});
