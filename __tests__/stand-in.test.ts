import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { selfSignedCertificate } from '../dev/certificate.ts';
import { API_PATH, decodeJwtPayload, startStandIn } from '../dev/stand-in.ts';
import type { Fault, StandIn, StandInOptions } from '../dev/stand-in.ts';

const REFRESH = 'getaccesstokenfromrefreshtoken';
const LOGIN = 'get_access_token';
const SIMPLEJWT_DETAIL = 'Given token not valid for any token type';

const opened: StandIn[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map(standIn => standIn.close()));
});

async function start(options?: StandInOptions): Promise<StandIn> {
  const standIn = await startStandIn(options);
  opened.push(standIn);
  return standIn;
}

interface PostOptions {
  bearer?: string;
  multipart?: boolean;
  signal?: AbortSignal;
}

function post(
  standIn: StandIn,
  endpoint: string,
  fields: Record<string, string>,
  { bearer, multipart = false, signal }: PostOptions = {}
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(`${standIn.url}/access/klearstack/${endpoint}`, {
    method: 'POST',
    headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
    body: multipart ? form : new URLSearchParams(fields),
    redirect: 'manual',
    signal
  });
}

function refreshFields(standIn: StandIn): Record<string, string> {
  return { refresh_token: standIn.mintRefreshToken(), company_name: standIn.companyName };
}

function loginFields(standIn: StandIn): Record<string, string> {
  return {
    username: standIn.username,
    password: standIn.password,
    company_name: standIn.companyName
  };
}

// SimpleJWT's words for each problem: one sentence for all but the type before 5.4 (backends.py),
// expiry told apart from 5.4 (tokens.py: ExpiredTokenError).
const WORDS = {
  '5.2': { invalid: 'Token is invalid or expired', expired: 'Token is invalid or expired' },
  '5.4': { invalid: 'Token is invalid', expired: 'Token is expired' }
} as const;

type TokenOf = (a: StandIn, b: StandIn) => string;

/** Each case in both versions' words: [case, version, message, token]. */
function byVersion(
  cases: [string, 'invalid' | 'expired' | 'wrong', TokenOf][]
): [string, '5.2' | '5.4', string, TokenOf][] {
  return cases.flatMap(([name, problem, tokenOf]) =>
    (['5.2', '5.4'] as const).map(
      version =>
        [
          name,
          version,
          problem === 'wrong' ? 'Token has wrong type' : WORDS[version][problem],
          tokenOf
        ] as [string, '5.2' | '5.4', string, TokenOf]
    )
  );
}

function tokenRejection(message: string) {
  return {
    detail: SIMPLEJWT_DETAIL,
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }]
  };
}

/** An HTML page of `status`, holding `marker`. */
async function expectPage(response: Response, status: number, marker: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('text/html');
  expect(await response.text()).toContain(marker);
}

function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true
    ),
    new Promise<boolean>(resolve => setTimeout(() => resolve(false), ms))
  ]);
}

describe('refresh endpoint', () => {
  it('answers 200 with an HS256 access JWT signed with the secret, exp = iat + access TTL', async () => {
    const secret = 'test-secret';
    const standIn = await start({ secret, accessTtlSeconds: 600, releaseVersion: '1.2.3' });
    standIn.clock.set(1_700_000_000);
    const refreshToken = standIn.mintRefreshToken({ userId: 41 });

    const response = await post(standIn, REFRESH, {
      refresh_token: refreshToken,
      company_name: 'acme-corp'
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { access_token: string; release_version: string };
    expect(body.release_version).toBe('1.2.3');
    const [header, payload, signature] = body.access_token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      typ: 'JWT',
      alg: 'HS256'
    });
    expect(signature).toBe(
      createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
    );
    const claims = decodeJwtPayload(body.access_token);
    expect(claims).toEqual({
      token_type: 'access',
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f]{32}$/),
      user_id: 41
    });
    expect(Math.abs((claims.iat as number) - 1_700_000_000)).toBeLessThanOrEqual(1);
    expect(claims.exp).toBe((claims.iat as number) + 600);
  });

  it('mints refresh tokens whose exp is iat + refresh TTL', async () => {
    const standIn = await start({ refreshTtlSeconds: 7200 });

    const claims = decodeJwtPayload(standIn.mintRefreshToken());

    expect(claims.token_type).toBe('refresh');
    expect(claims.exp).toBe((claims.iat as number) + 7200);
  });

  it('accepts the fields sent as multipart/form-data, non-ASCII and separators included', async () => {
    const standIn = await start({ companyName: 'Ümlaut & Søn; "Zürich" = ☃' });
    const fields = refreshFields(standIn);

    const response = await post(standIn, REFRESH, fields, { multipart: true });

    expect(response.status).toBe(200);
    expect(standIn.requests[0].contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(standIn.requests[0].fields).toEqual(fields);
  });

  it.each(['refresh_token', 'company_name'])(
    'answers 500 naming %s when it is missing',
    async missing => {
      const standIn = await start();
      const fields = refreshFields(standIn);
      delete fields[missing];

      const response = await post(standIn, REFRESH, fields);

      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: missing });
    }
  );

  it.each([
    ['5.2', WORDS['5.2'].expired],
    ['5.4', WORDS['5.4'].expired]
  ] as const)(
    'SimpleJWT %s: accepts a valid bearer, then rejects it with a 401 "%s" once the clock passes exp',
    async (simpleJwt, message) => {
      const standIn = await start({ simpleJwt });
      const bearer = standIn.mintAccessToken();

      const before = await post(standIn, REFRESH, refreshFields(standIn), { bearer });
      standIn.clock.advance(900);
      const after = await post(standIn, REFRESH, refreshFields(standIn), { bearer });

      expect(before.status).toBe(200);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(await after.json()).toEqual(tokenRejection(message));
    }
  );

  it.each(
    byVersion([
      ['signed with another key', 'invalid', (other: StandIn) => other.mintAccessToken()],
      ['not a JWT at all', 'invalid', () => 'not-a-jwt'],
      ['a refresh token', 'wrong', (_: StandIn, own: StandIn) => own.mintRefreshToken()]
    ])
  )(
    "rejects a bearer %s with SimpleJWT %s's 401 (%s)",
    async (_case, simpleJwt, message, bearerOf) => {
      const standIn = await start({ simpleJwt });
      const other = await start();

      const response = await post(standIn, REFRESH, refreshFields(standIn), {
        bearer: bearerOf(other, standIn)
      });

      expect(response.status).toBe(401);
      expect(await response.json()).toEqual(tokenRejection(message));
    }
  );

  it('accepts a refresh without a bearer unless requireBearer is set', async () => {
    const lenient = await start();
    const strict = await start({ requireBearer: true });

    const lenientResponse = await post(lenient, REFRESH, refreshFields(lenient));
    const strictResponse = await post(strict, REFRESH, refreshFields(strict));
    const strictWithBearer = await post(strict, REFRESH, refreshFields(strict), {
      bearer: strict.mintAccessToken()
    });

    expect(lenientResponse.status).toBe(200);
    expect(strictResponse.status).toBe(401);
    expect(await strictResponse.json()).toEqual({
      detail: 'Authentication credentials were not provided.'
    });
    expect(strictWithBearer.status).toBe(200);
  });

  it.each(
    byVersion([
      ['expired', 'expired', (standIn: StandIn) => standIn.mintRefreshToken({ expiresIn: -1 })],
      [
        'signed with another key',
        'invalid',
        (_: StandIn, other: StandIn) => other.mintRefreshToken()
      ],
      ['an access token', 'wrong', (standIn: StandIn) => standIn.mintAccessToken()],
      // SimpleJWT's view hands an empty token to RefreshToken, which PyJWT cannot decode.
      ['empty', 'invalid', () => '']
    ])
  )(
    'rejects a refresh token that is %s with SimpleJWT %s\'s InvalidToken: 401 token_not_valid "%s", with the challenge',
    async (_case, simpleJwt, message, tokenOf) => {
      const standIn = await start({ simpleJwt });
      const other = await start();

      const response = await post(standIn, REFRESH, {
        refresh_token: tokenOf(standIn, other),
        company_name: standIn.companyName
      });

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(await response.json()).toEqual({ detail: message, code: 'token_not_valid' });
    }
  );

  it('rejects a refresh token once the clock has moved past its exp', async () => {
    const standIn = await start({ refreshTtlSeconds: 60 });
    const fields = refreshFields(standIn);

    standIn.clock.advance(60);
    const response = await post(standIn, REFRESH, fields);

    expect(response.status).toBe(401);
  });

  it('rejects an unknown company name with 401', async () => {
    const standIn = await start();

    const response = await post(standIn, REFRESH, {
      refresh_token: standIn.mintRefreshToken(),
      company_name: 'globex'
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'Invalid company name.' });
  });
});

describe('as SimpleJWT and Django REST framework answer', () => {
  it("copies the refresh token's iat into the access tokens it refreshes, by default (SimpleJWT < 5.5)", async () => {
    const copying = await start();
    const own = await start({ copyIat: false });
    const old = (standIn: StandIn) => {
      const token = standIn.mintRefreshToken();
      standIn.clock.advance(7200);
      return token;
    };
    const fresh = async (standIn: StandIn, refreshToken: string) => {
      const response = await post(standIn, REFRESH, {
        refresh_token: refreshToken,
        company_name: standIn.companyName
      });
      return decodeJwtPayload(((await response.json()) as { access_token: string }).access_token);
    };

    const copyingRefresh = old(copying);
    const ownRefresh = old(own);
    const copied = await fresh(copying, copyingRefresh);
    const owned = await fresh(own, ownRefresh);

    expect(copied.iat).toBe(decodeJwtPayload(copyingRefresh).iat);
    expect((copied.exp as number) - (copied.iat as number)).toBe(7200 + 900);
    expect(Math.abs((owned.iat as number) - own.clock.now())).toBeLessThanOrEqual(1);
    expect((owned.exp as number) - (owned.iat as number)).toBe(900);
    // Both keep the refresh token's other claims.
    expect(copied.user_id).toBe(26);
    expect(owned.user_id).toBe(26);
  });

  it('sends a Date header by its own clock on every answer, pages and faults included', async () => {
    const standIn = await start();
    standIn.clock.set(1_800_000_000);
    standIn.fault({ status: 503 });
    const dates = [
      await post(standIn, REFRESH, refreshFields(standIn)),
      await post(standIn, REFRESH, refreshFields(standIn)),
      await post(standIn, 'nope', {})
    ].map(response => Date.parse(response.headers.get('date') ?? ''));

    for (const date of dates) expect(Math.abs(date - 1_800_000_000_000)).toBeLessThanOrEqual(2000);
  });

  it('authenticates before the view: a bad bearer is refused before any field or media type is read', async () => {
    const standIn = await start();
    const bearer = 'not-a-jwt';
    const noFields = await post(standIn, REFRESH, {}, { bearer });
    const wrongType = await fetch(`${standIn.url}/access/klearstack/${REFRESH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'text/plain' },
      body: 'refresh_token=x'
    });
    const onLogin = await post(standIn, LOGIN, loginFields(standIn), { bearer });

    for (const response of [noFields, wrongType, onLogin]) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual(tokenRejection('Token is invalid or expired'));
    }
  });

  it('with SessionAuthentication first: the same refusals are 403, without a challenge', async () => {
    const standIn = await start({ sessionAuthenticationFirst: true, requireBearer: true });
    const badBearer = await post(standIn, REFRESH, refreshFields(standIn), { bearer: 'not-a-jwt' });
    const noBearer = await post(standIn, REFRESH, refreshFields(standIn));
    const badRefresh = await post(
      standIn,
      REFRESH,
      { refresh_token: 'x', company_name: standIn.companyName },
      { bearer: standIn.mintAccessToken() }
    );

    expect([badBearer.status, noBearer.status, badRefresh.status]).toEqual([403, 403, 403]);
    for (const response of [badBearer, noBearer, badRefresh])
      expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await badBearer.json()).toEqual(tokenRejection('Token is invalid or expired'));
    expect(await noBearer.json()).toEqual({
      detail: 'Authentication credentials were not provided.'
    });
    expect(await badRefresh.json()).toEqual({
      detail: 'Token is invalid or expired',
      code: 'token_not_valid'
    });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
    ['none', undefined]
  ])("answers a body of type %s with DRF's 415", async (_name, contentType) => {
    const standIn = await start();
    const response = await fetch(`${standIn.url}/access/klearstack/${REFRESH}`, {
      method: 'POST',
      headers: contentType ? { 'Content-Type': contentType } : {},
      body: new TextEncoder().encode('refresh_token=x')
    });

    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      detail: `Unsupported media type "${contentType ?? ''}" in request.`
    });
  });

  it("reads a JSON body, as DRF's JSONParser does", async () => {
    const standIn = await start();
    const response = await fetch(`${standIn.url}/access/klearstack/${REFRESH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(refreshFields(standIn))
    });
    expect(response.status).toBe(200);
  });

  it.each<[string, StandInOptions, Fault | undefined, number, string]>([
    [
      'a Host not in allowedHosts',
      { allowedHosts: ['api.klearstack.example'] },
      undefined,
      400,
      '<title>Bad Request (400)</title>'
    ],
    ['the django-error fault', {}, { kind: 'django-error' }, 500, '<h1>Server Error (500)</h1>']
  ])("answers %s with Django's own page", async (_case, options, fault, status, marker) => {
    const standIn = await start(options);
    if (fault) standIn.fault(fault);
    await expectPage(await post(standIn, REFRESH, refreshFields(standIn)), status, marker);
  });
});

describe('login endpoint', () => {
  it('answers 200 with a refresh token and an access token the refresh endpoint accepts', async () => {
    const standIn = await start({ requireBearer: true });

    const response = await post(standIn, LOGIN, loginFields(standIn), { multipart: true });
    const body = (await response.json()) as Record<string, string>;
    const refreshed = await post(
      standIn,
      REFRESH,
      { refresh_token: body.refresh_token, company_name: standIn.companyName },
      { bearer: body.access_token }
    );

    expect(response.status).toBe(200);
    expect(body.release_version).toBe('7.8.9');
    expect(decodeJwtPayload(body.refresh_token).token_type).toBe('refresh');
    expect(decodeJwtPayload(body.access_token).token_type).toBe('access');
    expect(refreshed.status).toBe(200);
  });

  it.each([
    ['company_name missing', { company_name: '' }, 500, { error: 'company_name' }],
    ['username missing', { username: '' }, 400, { error: 'Please provide username.' }],
    ['password missing', { password: '' }, 400, { error: 'Please provide password.' }],
    ['wrong password', { password: 'nope' }, 401, { error: 'Incorrect username or password.' }],
    ['wrong username', { username: 'nope' }, 401, { error: 'Incorrect username or password.' }],
    ['unknown company', { company_name: 'globex' }, 401, { error: 'Invalid company name.' }]
  ])('answers %s with its documented error', async (_case, change, status, error) => {
    const standIn = await start();
    const fields = Object.fromEntries(
      Object.entries({ ...loginFields(standIn), ...change }).filter(([, value]) => value !== '')
    );

    const response = await post(standIn, LOGIN, fields);

    expect(response.status).toBe(status);
    expect(await response.json()).toEqual(error);
  });
});

describe('routing', () => {
  it('answers 404 with an HTML page for an unknown path and 405 for a non-POST method', async () => {
    const standIn = await start();

    const unknown = await post(standIn, 'nope', refreshFields(standIn));
    const get = await fetch(`${standIn.url}/access/klearstack/${REFRESH}`);

    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('text/html');
    expect(await unknown.text()).toContain('Not Found');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(standIn.requests.map(request => request.endpoint)).toEqual(['other', 'refresh']);
  });

  it('serves the endpoints under the prefix and nowhere else', async () => {
    const standIn = await start({ prefix: '/api/' });
    const origin = new URL(standIn.url).origin;

    const prefixed = await post(standIn, REFRESH, refreshFields(standIn));
    const bare = await fetch(`${origin}/access/klearstack/${REFRESH}`, {
      method: 'POST',
      body: new URLSearchParams(refreshFields(standIn))
    });

    expect(standIn.url).toBe(`${origin}/api`);
    expect(prefixed.status).toBe(200);
    expect(bare.status).toBe(404);
  });
});

describe('tls', () => {
  it('serves the endpoints over https at an https url when given a key and certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stand-in-tls-'));
    const { key, cert } = selfSignedCertificate(dir);
    rmSync(dir, { recursive: true, force: true });
    const standIn = await start({ tls: { key, cert } });
    const fields = refreshFields(standIn);

    // node:https rather than fetch: fetch cannot be told to trust one certificate.
    const { status, body } = await new Promise<{ status?: number; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${standIn.url}/access/klearstack/${REFRESH}`,
          { method: 'POST', ca: cert, agent: false },
          res => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode, body: text }));
          }
        );
        req.on('error', reject);
        req.setHeader('content-type', 'application/x-www-form-urlencoded');
        req.end(new URLSearchParams(fields).toString());
      }
    );

    expect(standIn.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(status).toBe(200);
    expect((JSON.parse(body) as { access_token: string }).access_token).toBe(
      standIn.requests[0].issuedAccessToken
    );
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.requests[0]).toMatchObject({ endpoint: 'refresh', fields, status: 200 });
  });
});

describe('recording', () => {
  it('records each request with its fields, bearer, status, clock time and issued token', async () => {
    const standIn = await start();
    const fields = refreshFields(standIn);
    const bearer = standIn.mintAccessToken();

    const response = await post(standIn, REFRESH, fields, { bearer });
    const body = (await response.json()) as { access_token: string };
    await post(standIn, LOGIN, loginFields(standIn));

    expect(standIn.requests).toHaveLength(2);
    const [refresh, login] = standIn.requests;
    expect(refresh).toMatchObject({
      method: 'POST',
      path: `/access/klearstack/${REFRESH}`,
      endpoint: 'refresh',
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      fields,
      bearer,
      status: 200,
      issuedAccessToken: body.access_token
    });
    expect(refresh.headers.authorization).toBe(`Bearer ${bearer}`);
    expect(Math.abs(refresh.at - standIn.clock.now())).toBeLessThanOrEqual(1);
    expect(login).toMatchObject({ endpoint: 'login', status: 200 });
    expect(login.issuedRefreshToken).toEqual(expect.any(String));
    expect(login.bearer).toBeUndefined();
  });
});

describe('faults', () => {
  it("answers queued status faults in order, as KlearStack's JSON unless a body is given", async () => {
    const standIn = await start();
    standIn.fault(
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 500, body: '{"error": "refresh_token"}' }
    );

    const responses = [];
    for (let i = 0; i < 4; i += 1) {
      responses.push(await post(standIn, REFRESH, refreshFields(standIn)));
    }

    expect(responses.map(response => response.status)).toEqual([503, 429, 500, 200]);
    expect(await responses[0].json()).toEqual({
      error: 'Something went wrong, please try again later.'
    });
    expect(responses[1].headers.get('retry-after')).toBe('2');
    expect(await responses[2].json()).toEqual({ error: 'refresh_token' });
    expect(standIn.requests.map(request => request.status)).toEqual([503, 429, 500, 200]);
  });

  it("page answers as nginx in front of KlearStack would: its own HTML, the status's title", async () => {
    const standIn = await start();
    standIn.fault({ kind: 'page', status: 502, title: 'Bad Gateway' });

    const response = await post(standIn, REFRESH, refreshFields(standIn));

    await expectPage(response, 502, '<center><h1>502 Bad Gateway</h1></center>');
  });

  it('applies faultAlways to every request until it is cleared', async () => {
    const standIn = await start();
    standIn.faultAlways({ status: 502 });

    const first = await post(standIn, REFRESH, refreshFields(standIn));
    const second = await post(standIn, LOGIN, loginFields(standIn));
    standIn.faultAlways(undefined);
    const third = await post(standIn, REFRESH, refreshFields(standIn));

    expect([first.status, second.status, third.status]).toEqual([502, 502, 200]);
  });

  it('keeps a queued fault for the next token-endpoint request when another path is hit first', async () => {
    const standIn = await start();
    standIn.fault({ status: 503 });

    const other = await post(standIn, 'elsewhere', {});
    const token = await post(standIn, REFRESH, refreshFields(standIn));

    expect(other.status).toBe(404);
    expect(token.status).toBe(503);
  });

  it('delay waits the given time, then answers normally', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'delay', ms: 200 });

    const started = Date.now();
    const response = await post(standIn, REFRESH, refreshFields(standIn));

    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(response.status).toBe(200);
  });

  it('hang never answers, and close() still resolves promptly', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'hang' });

    const pending = post(standIn, REFRESH, refreshFields(standIn));
    const answered = await settlesWithin(pending, 300);
    const closing = Date.now();
    await standIn.close();

    expect(answered).toBe(false);
    expect(Date.now() - closing).toBeLessThan(500);
    await expect(pending).rejects.toThrow();
    expect(standIn.requests[0].status).toBe(0);
  });

  it('trickle sends a valid 200 body one byte at a time', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'trickle', intervalMs: 1 });

    const response = await post(standIn, REFRESH, refreshFields(standIn));
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      chunks.push(read.value);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { access_token: string };

    expect(response.status).toBe(200);
    expect(chunks.length).toBeGreaterThan(10);
    expect(decodeJwtPayload(body.access_token).token_type).toBe('access');
  });

  it('stall-body sends 200 headers and part of the body, then nothing', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'stall-body' });

    const response = await post(standIn, REFRESH, refreshFields(standIn));
    const reader = response.body!.getReader();
    const first = await reader.read();
    const rest = reader.read();
    const finished = await settlesWithin(rest, 300);

    expect(response.status).toBe(200);
    expect(first.value!.length).toBeGreaterThan(0);
    expect(first.value!.length).toBeLessThan(Number(response.headers.get('content-length')));
    expect(finished).toBe(false);
    await standIn.close();
    await expect(rest).rejects.toThrow();
  });

  it('reset destroys the connection without an answer', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'reset' });

    await expect(post(standIn, REFRESH, refreshFields(standIn))).rejects.toThrow();
    expect(standIn.requests[0]).toMatchObject({ endpoint: 'refresh', status: 0 });
  });

  it('redirect answers 307 by default, or the given status, with the Location', async () => {
    const standIn = await start();
    standIn.fault(
      { kind: 'redirect', location: 'https://evil.example/steal' },
      { kind: 'redirect', location: '/elsewhere', status: 301 }
    );

    const first = await post(standIn, REFRESH, refreshFields(standIn));
    const second = await post(standIn, REFRESH, refreshFields(standIn));

    expect(first.status).toBe(307);
    expect(first.headers.get('location')).toBe('https://evil.example/steal');
    expect(second.status).toBe(301);
    expect(second.headers.get('location')).toBe('/elsewhere');
  });

  it('non-json answers 200 with an HTML body', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'non-json' });

    const response = await post(standIn, REFRESH, refreshFields(standIn));
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('oversized streams a 200 JSON body of exactly the given size, without Content-Length', async () => {
    const standIn = await start();
    const bytes = 2 * 1024 * 1024 + 7;
    standIn.fault({ kind: 'oversized', bytes }, { kind: 'oversized', bytes: 5 });

    const response = await post(standIn, REFRESH, refreshFields(standIn));
    const text = await response.text();
    const tiny = await (await post(standIn, REFRESH, refreshFields(standIn))).text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    expect(Buffer.byteLength(text)).toBe(bytes);
    expect((JSON.parse(text) as { access_token: string }).access_token).toMatch(/^A+$/);
    expect(tiny).toBe('{"acc');
  });

  it('bad-token answers 200 with an access_token holding a space, a quote and a newline', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'bad-token' });

    const response = await post(standIn, REFRESH, refreshFields(standIn));
    const body = (await response.json()) as { access_token: string };

    expect(response.status).toBe(200);
    expect(body.access_token).toMatch(/ /);
    expect(body.access_token).toMatch(/"/);
    expect(body.access_token).toMatch(/\n/);
  });

  it('missing-token answers 200 JSON without access_token', async () => {
    const standIn = await start();
    standIn.fault({ kind: 'missing-token' });

    const response = await post(standIn, REFRESH, refreshFields(standIn));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ release_version: '7.8.9' });
  });

  it('echo answers 500 (or the given status) with the request fields and headers', async () => {
    const standIn = await start();
    const fields = refreshFields(standIn);
    const bearer = standIn.mintAccessToken();
    standIn.fault({ kind: 'echo' }, { kind: 'echo', status: 400 });

    const first = await post(standIn, REFRESH, fields, { bearer });
    const second = await post(standIn, REFRESH, fields);
    const text = await first.text();

    expect(first.status).toBe(500);
    expect(second.status).toBe(400);
    expect(text).toContain(fields.refresh_token);
    expect(text).toContain(fields.company_name);
    expect(text).toContain(bearer);
  });
});

describe('load shedding', () => {
  it('answers 429 with Retry-After to requests beyond maxConcurrent', async () => {
    const standIn = await start({ maxConcurrent: 2, retryAfterSeconds: 3 });
    // Holds the admitted requests in flight while the rest arrive: 2 s, because the stand-in shares
    // this process's event loop with the six requests, and a loaded machine can stall it for a
    // good part of a second between their arrivals.
    standIn.faultAlways({ kind: 'delay', ms: 2000 });

    const responses = await Promise.all(
      Array.from({ length: 6 }, () => post(standIn, REFRESH, refreshFields(standIn)))
    );
    const shed = responses.filter(response => response.status === 429);

    expect(responses.filter(response => response.status === 200)).toHaveLength(2);
    expect(shed).toHaveLength(4);
    expect(shed.every(response => response.headers.get('retry-after') === '3')).toBe(true);
    expect(standIn.inFlightPeak).toBe(2);
    expect(standIn.requests.filter(request => request.status === 429)).toHaveLength(4);
  });
});

describe('fake-server CLI', () => {
  it('prints the connection lines, appends them to --write-env, logs without secrets, exits 0 on SIGTERM', async () => {
    const envFile = join(mkdtempSync(join(tmpdir(), 'stand-in-')), 'github-env');
    writeFileSync(envFile, 'EARLIER=kept\n');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(
      process.execPath,
      ['dev/fake-server.ts', '--port', '0', '--prefix', '/api', '--write-env', envFile],
      { cwd: join(import.meta.dirname, '..'), env }
    );
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', chunk => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', chunk => {
        stdout += chunk;
        if (stdout.includes('KLEAR_PASSWORD=')) resolve();
      });
      child.on('exit', () => reject(new Error(`fake-server exited early: ${stderr}`)));
    });

    const lines = stdout.trimEnd().split('\n');
    const values = Object.fromEntries(lines.map(line => line.split(/=(.*)/s).slice(0, 2)));
    const response = await fetch(`${values.KLEAR_BASE_URL}/access/klearstack/${REFRESH}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${values.KLEAR_ACCESS_TOKEN}` },
      body: new URLSearchParams({
        refresh_token: values.KLEAR_REFRESH_TOKEN,
        company_name: values.KLEAR_COMPANY_NAME
      })
    });
    await response.text();
    child.kill('SIGTERM');
    const code = await exited;

    expect(lines.map(line => line.split('=')[0])).toEqual([
      'KLEAR_BASE_URL',
      'KLEAR_COMPANY_NAME',
      'KLEAR_REFRESH_TOKEN',
      'KLEAR_ACCESS_TOKEN',
      'KLEAR_USERNAME',
      'KLEAR_PASSWORD'
    ]);
    expect(values.KLEAR_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    expect(values.KLEAR_COMPANY_NAME).toBe('acme-corp');
    expect(values.KLEAR_USERNAME).toBe('svc-ci');
    expect(response.status).toBe(200);
    expect(readFileSync(envFile, 'utf8')).toBe(`EARLIER=kept\n${stdout}`);
    expect(stderr).toContain(
      `KlearStack stand-in listening on ${values.KLEAR_BASE_URL} (Ctrl-C to stop)`
    );
    expect(stderr).toContain('POST refresh 200');
    expect(stderr).not.toContain(values.KLEAR_REFRESH_TOKEN);
    expect(stderr).not.toContain(values.KLEAR_ACCESS_TOKEN);
    expect(code).toBe(0);
  });
});

describe('the API a command calls with its token', () => {
  const get = (standIn: StandIn, bearer?: string) =>
    fetch(`${standIn.url}${API_PATH}`, {
      headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }
    });

  it('accepts a valid access token', async () => {
    const standIn = await start();
    expect((await get(standIn, standIn.mintAccessToken())).status).toBe(200);
  });

  it('rejects an expired access token, a refresh token and no token with 401', async () => {
    const standIn = await start();
    const access = standIn.mintAccessToken();
    standIn.clock.advance(901);
    expect((await get(standIn, access)).status).toBe(401);
    expect((await get(standIn, standIn.mintRefreshToken())).status).toBe(401);
    const none = await get(standIn);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(standIn.requests.map(r => r.endpoint)).toEqual(['api', 'api', 'api']);
  });
});
