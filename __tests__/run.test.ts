import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals';
import nock from 'nock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/main.ts';
import { writeThroughStdout } from '../src/toolkit.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';

// The step's lines are read here by spying on process.stdout.write, so the toolkit writes there
// rather than straight to fd 1 (a step's own way, which every end-to-end test reads).
writeThroughStdout();

// run() is the entry the bundle calls: these tests drive it through src/toolkit.ts, with
// inputs in the environment and the runner's files, and read what it printed line by line.

const ROOT = 'https://klear.example.com';
const ENDPOINT = '/access/klearstack/getaccesstokenfromrefreshtoken';
const REFRESH = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 3 * 86400, jti: 'r1' });
const ACCESS = fakeJwt({ token_type: 'access', exp: nowSeconds() - 10, jti: 'a0' });
const NEW = fakeJwt({ token_type: 'access', exp: nowSeconds() + 900, jti: 'a1' });
const PASSWORD = 'pa55-w0rd-secret';
const USERNAME = 'svc-account-user';

let dir: string;
let lines: string[];

function setInputs(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    'base-url': ROOT,
    'refresh-token': REFRESH,
    'company-name': 'acme',
    'access-token': ACCESS,
    username: '',
    password: '',
    'env-name': 'KLEAR_ACCESS_TOKEN',
    'timeout-seconds': '5',
    'max-attempts': '1',
    run: '',
    'refresh-interval': '10m',
    'working-directory': '',
    ...inputs
  };
  for (const [name, value] of Object.entries(all))
    process.env[`INPUT_${name.toUpperCase()}`] = value;
}

beforeAll(() => nock.disableNetConnect());
// nock patches node:http for the whole worker process, which later test files share.
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klear-run-'));
  for (const file of ['output', 'env', 'summary', 'state']) writeFileSync(join(dir, file), '');
  process.env.GITHUB_OUTPUT = join(dir, 'output');
  process.env.GITHUB_STATE = join(dir, 'state');
  process.env.GITHUB_ENV = join(dir, 'env');
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary');
  process.env.RUNNER_DEBUG = '1';
  lines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  nock.cleanAll();
  rmSync(dir, { recursive: true, force: true });
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
  process.exitCode = undefined;
});

/** Every line that shows a secret must come after the line that masked it. */
function expectMaskedBeforeShown(secrets: string[]) {
  for (const secret of secrets) {
    const maskedAt = lines.indexOf(`::add-mask::${secret}`);
    lines.forEach((line, index) => {
      if (line.includes(secret) && !line.startsWith('::add-mask::')) {
        expect(maskedAt).toBeGreaterThanOrEqual(0);
        expect(maskedAt).toBeLessThan(index);
      }
    });
  }
}

const errors = () => lines.filter(line => line.startsWith('::error::'));

describe('the step, through the runner toolkit', () => {
  it('masks the inputs, then the new token, before setting the output and env', async () => {
    nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW, release_version: '7.8.9' });
    setInputs({});
    await run();
    expect(process.exitCode).toBeUndefined();
    const masks = lines.filter(line => line.startsWith('::add-mask::'));
    expect(masks).toEqual([
      `::add-mask::${REFRESH}`,
      `::add-mask::${ACCESS}`,
      `::add-mask::${NEW}`
    ]);
    expect(lines.indexOf(`::add-mask::${REFRESH}`)).toBe(0);
    expect(readFileSync(join(dir, 'output'), 'utf8')).toContain(`access-token<<`);
    expect(readFileSync(join(dir, 'output'), 'utf8')).toContain(NEW);
    expect(readFileSync(join(dir, 'env'), 'utf8')).toMatch(/^KLEAR_ACCESS_TOKEN<</);
    expectMaskedBeforeShown([REFRESH, ACCESS, NEW]);
  });

  it('warns that the given access token has expired, and still tries', async () => {
    nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW });
    setInputs({});
    await run();
    expect(
      lines.some(line => line.startsWith('::warning::The access-token input expired at'))
    ).toBe(true);
    expect(process.exitCode).toBeUndefined();
  });

  it('writes outputs for release-version and expires-at, and a summary without the token', async () => {
    nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW, release_version: '7.8.9' });
    setInputs({});
    await run();
    const output = readFileSync(join(dir, 'output'), 'utf8');
    expect(output).toMatch(/release-version<<(\S+)\n7\.8\.9\n\1/);
    expect(output).toMatch(
      new RegExp(
        `expires-at<<(\\S+)\\n${new Date((nowSeconds() + 900) * 1000).toISOString().slice(0, 15)}`
      )
    );
    const summary = readFileSync(join(dir, 'summary'), 'utf8');
    expect(summary).toContain('| Obtained by | refresh token |');
    expect(summary).not.toContain(NEW);
  });

  it('warns but still succeeds when the job summary cannot be written', async () => {
    nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW });
    setInputs({});
    // A directory where the summary file should be: appending to it fails with EISDIR.
    process.env.GITHUB_STEP_SUMMARY = dir;
    await run();
    expect(
      lines.filter(line => line.startsWith('::warning::Could not write the job summary: '))
    ).toHaveLength(1);
    expect(process.exitCode).toBeUndefined();
    expect(readFileSync(join(dir, 'env'), 'utf8')).toContain(NEW);
    expectMaskedBeforeShown([REFRESH, ACCESS, NEW]);
  });

  it('exports nothing when env-name is empty', async () => {
    nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW });
    setInputs({ 'env-name': '' });
    await run();
    expect(readFileSync(join(dir, 'env'), 'utf8')).toBe('');
  });

  it('fails with one error and exit code 1 when an input is invalid, before any request', async () => {
    const scope = nock(ROOT).post(ENDPOINT).reply(200, { access_token: NEW });
    setInputs({ 'env-name': 'PATH', password: PASSWORD, username: USERNAME });
    await run();
    expect(process.exitCode).toBe(1);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatch(/'env-name' is 'PATH'/);
    expect(scope.isDone()).toBe(false);
    expectMaskedBeforeShown([REFRESH, ACCESS, PASSWORD, USERNAME]);
  });

  it.each([
    [
      '401',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .reply(401, { detail: `bad ${REFRESH}` })
    ],
    ['403', () => nock(ROOT).post(ENDPOINT).reply(403, `forbidden ${ACCESS}`)],
    ['404', () => nock(ROOT).post(ENDPOINT).reply(404, `no ${REFRESH}`)],
    [
      '500 naming a parameter',
      () => nock(ROOT).post(ENDPOINT).reply(500, { error: 'company_name' })
    ],
    [
      '500 echoing the request',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .reply(500, { error: `echo ${REFRESH} ${ACCESS}` })
    ],
    ['503', () => nock(ROOT).post(ENDPOINT).reply(503, 'down')],
    [
      '302',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .reply(302, '', { Location: `https://evil.example.net/?t=${REFRESH}` })
    ],
    [
      'a body that is not JSON',
      () => nock(ROOT).post(ENDPOINT).reply(200, `<html>${REFRESH}</html>`)
    ],
    ['a missing token', () => nock(ROOT).post(ENDPOINT).reply(200, { refresh_token: REFRESH })],
    [
      'a malformed token',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .reply(200, { access_token: `${NEW} "x"` })
    ],
    [
      'a reset connection',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .replyWithError(Object.assign(new Error(`reset ${REFRESH}`), { code: 'ECONNRESET' }))
    ],
    [
      'a TLS failure',
      () =>
        nock(ROOT)
          .post(ENDPOINT)
          .replyWithError(Object.assign(new Error('cert'), { code: 'CERT_HAS_EXPIRED' }))
    ]
  ])(
    'on %s: one error, exit 1, nothing exported, no secret shown unmasked (debug on)',
    async (_name, reply) => {
      reply();
      setInputs({ password: PASSWORD, username: USERNAME });
      await run();
      expect(process.exitCode).toBe(1);
      expect(errors()).toHaveLength(1);
      expect(readFileSync(join(dir, 'env'), 'utf8')).toBe('');
      expect(readFileSync(join(dir, 'output'), 'utf8')).toBe('');
      for (const secret of [REFRESH, ACCESS, NEW, PASSWORD, USERNAME]) {
        expect(errors()[0]).not.toContain(secret);
      }
      expectMaskedBeforeShown([REFRESH, ACCESS, NEW, PASSWORD, USERNAME]);
    }
  );
});
