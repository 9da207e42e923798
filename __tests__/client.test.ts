import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import nock from 'nock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KlearClient } from '../src/client.ts';
import { parseRetryAfter } from '../src/retry.ts';
import { ActionError } from '../src/errors.ts';
import { USER_AGENT } from '../src/version.ts';
import { fakeJwt } from './helpers/jwt.ts';

const ROOT = 'https://klear.example.com/api';
const PATH = '/api/access/klearstack/getaccesstokenfromrefreshtoken';
const NEW_TOKEN = fakeJwt({ token_type: 'access', exp: 2000000000 });
const REFRESH = fakeJwt({ token_type: 'refresh', exp: 2000000000 });
const OLD_ACCESS = fakeJwt({ token_type: 'access', exp: 1000 });

function client(masked: string[] = [], timeoutMs = 5000, maxBodyBytes?: number) {
  return new KlearClient({ apiRoot: ROOT, timeoutMs, mask: v => masked.push(v), maxBodyBytes });
}

const refresh = (c = client(), accessToken = '') =>
  c.refresh({ refreshToken: REFRESH, companyName: 'Acme & Sons=1%', accessToken });

async function failureOf(promise: Promise<unknown>): Promise<ActionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(() => nock.disableNetConnect());
// nock patches node:http for the whole worker process, which later test files share.
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});
afterEach(() => {
  nock.cleanAll();
});

describe('the refresh request', () => {
  it('POSTs the form fields urlencoded, with the bearer and our User-Agent', async () => {
    let seen: { body: string; headers: Headers } | undefined;
    // nock 15 hands a reply function the Fetch API Request.
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(async (request: Request) => {
        seen = { body: await request.text(), headers: request.headers };
        return [200, { access_token: NEW_TOKEN, release_version: '7.8.9' }];
      });
    const grant = await refresh(client(), OLD_ACCESS);
    expect(grant).toEqual({ accessToken: NEW_TOKEN, releaseVersion: '7.8.9' });
    expect(seen?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(seen?.headers.get('user-agent')).toBe(USER_AGENT);
    expect(seen?.headers.get('authorization')).toBe(`Bearer ${OLD_ACCESS}`);
    expect(new URLSearchParams(seen?.body).get('company_name')).toBe('Acme & Sons=1%');
    expect(new URLSearchParams(seen?.body).get('refresh_token')).toBe(REFRESH);
  });

  it('sends no Authorization header when there is no access token', async () => {
    let authorization: string | null = 'unset';
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply((request: Request) => {
        authorization = request.headers.get('authorization');
        return [200, { access_token: NEW_TOKEN }];
      });
    await refresh();
    expect(authorization).toBeNull();
  });

  it('masks the new token before returning it', async () => {
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(200, { access_token: NEW_TOKEN });
    const masked: string[] = [];
    await refresh(client(masked));
    expect(masked).toEqual([NEW_TOKEN]);
  });

  it('logs in with username, password and company_name and returns both tokens', async () => {
    let body = '';
    nock(ROOT)
      .post('/access/klearstack/get_access_token')
      .reply(async (request: Request) => {
        body = await request.text();
        return [200, { access_token: NEW_TOKEN, refresh_token: REFRESH, release_version: '7.8.9' }];
      });
    const masked: string[] = [];
    const grant = await client(masked).login({
      username: 'svc',
      password: 'p&ss=w',
      companyName: 'acme'
    });
    expect(grant.refreshToken).toBe(REFRESH);
    expect(masked).toEqual([NEW_TOKEN, REFRESH]);
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      username: 'svc',
      password: 'p&ss=w',
      company_name: 'acme'
    });
  });
});

describe("the answer's Date header: KlearStack's clock", () => {
  const answer = (headers: Record<string, string>) =>
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(200, { access_token: NEW_TOKEN, release_version: '7.8.9' }, headers);

  it.each([
    ['IMF-fixdate', 'Mon, 07 Dec 2026 11:48:06 GMT'],
    ['the obsolete RFC 850 form', 'Monday, 07-Dec-26 11:48:06 GMT'],
    ["asctime's form", 'Mon Dec  7 11:48:06 2026']
  ])('is handed up with the grant, as %s', async (_form, date) => {
    answer({ Date: date });
    expect((await refresh()).serverDate).toBe(Date.UTC(2026, 11, 7, 11, 48, 6));
  });

  it.each([
    ['missing', {}],
    ['not a date', { Date: 'yesterday' }],
    ['a number, which Date.parse reads as the year 2001', { Date: '1' }],
    ['an ISO date, not an HTTP date', { Date: '2026-12-07' }],
    ['the epoch (a server without a clock)', { Date: 'Thu, 01 Jan 1970 00:00:00 GMT' }]
  ])('is left out when %s', async (_name, headers) => {
    answer(headers);
    const grant = await refresh();
    expect(grant).toEqual({ accessToken: NEW_TOKEN, releaseVersion: '7.8.9' });
  });
});

describe('answers that are errors', () => {
  const reply = (status: number, body?: unknown, headers?: Record<string, string>) =>
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(status, body as string, headers);

  // SimpleJWT's JWTAuthentication refusing the bearer, as 5.2 ("Token is invalid or expired")
  // and 5.4+ ("Token is expired") word it (authentication.py, get_validated_token).
  const refusedBearer = (message: string) => ({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }]
  });

  it.each([
    [401, 'Token is invalid or expired', { 'WWW-Authenticate': 'Bearer realm="api"' }],
    [401, 'Token is expired', { 'WWW-Authenticate': 'Bearer realm="api"' }],
    // SessionAuthentication listed first: DRF turns the same refusal into a 403 without a challenge.
    [403, 'Token is invalid or expired', {}],
    [403, 'Token is expired', {}]
  ])('%i "%s": a refused bearer, by structure', async (status, message, headers) => {
    reply(status, refusedBearer(message), headers);
    const error = await failureOf(refresh(client(), OLD_ACCESS));
    expect(error.refused).toBe('bearer');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `KlearStack rejected the access token sent as the bearer as expired or invalid (HTTP ${status}). Leave access-token empty or pass a fresh one.`
    );
  });

  it('a refused bearer is recognised whatever the words, the token classes or extra keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(401, 403),
        fc.string(),
        fc.array(
          fc.record({ token_class: fc.string(), token_type: fc.string(), message: fc.string() }),
          {
            minLength: 1,
            maxLength: 3
          }
        ),
        fc.dictionary(
          fc.string().filter(k => !['code', 'messages', '__proto__'].includes(k)),
          fc.jsonValue(),
          { maxKeys: 3 }
        ),
        async (status, detail, messages, extra) => {
          reply(status, { ...extra, detail, code: 'token_not_valid', messages });
          const error = await failureOf(refresh(client(), OLD_ACCESS));
          expect(error.refused).toBe('bearer');
        }
      ),
      { numRuns: 60 }
    );
  });

  it('no other JSON shape reads as a refused bearer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(401, 403),
        fc.oneof(
          fc.dictionary(
            fc.string().filter(k => k !== '__proto__'),
            fc.jsonValue(),
            { maxKeys: 4 }
          ),
          // Near misses: another code, messages that name no token class, or no messages.
          fc.record({
            code: fc.string().filter(c => c !== 'token_not_valid'),
            messages: fc.constant([{ token_class: 'AccessToken' }])
          }),
          fc.record({
            code: fc.constant('token_not_valid'),
            messages: fc.array(fc.oneof(fc.string(), fc.record({ token_type: fc.string() })))
          }),
          fc.record({ code: fc.constant('token_not_valid'), detail: fc.string() })
        ),
        async (status, body) => {
          reply(status, body);
          const error = await failureOf(refresh(client(), OLD_ACCESS));
          expect(error.refused).not.toBe('bearer');
        }
      ),
      { numRuns: 80 }
    );
  });

  it('a refused bearer is not claimed when none was sent', async () => {
    reply(401, refusedBearer('Token is expired'));
    const error = await failureOf(refresh());
    expect(error.refused).not.toBe('bearer');
  });

  it.each([
    [401, { 'WWW-Authenticate': 'Bearer realm="api"' }],
    [403, {}]
  ])(
    "%i with DRF's bare detail to a refresh without a bearer: the endpoint needs one",
    async (status, headers) => {
      reply(status, { detail: 'Authentication credentials were not provided.' }, headers);
      const error = await failureOf(refresh());
      expect(error.refused).toBe('needs-bearer');
      expect(error.message).toBe(
        `KlearStack's refresh endpoint requires a valid access token as the bearer, and none was sent (HTTP ${status}). Give a living access token in access-token, or username and password (a service account) so the action can log in.`
      );
    }
  );

  it.each([401, 403])(
    '%i token_not_valid without messages: the refresh token itself',
    async status => {
      reply(status, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
      const error = await failureOf(refresh(client(), OLD_ACCESS));
      expect(error.refused).toBe('credentials');
      expect(error.message).toBe(
        `KlearStack rejected the refresh token as invalid or expired (HTTP ${status}). Store a new refresh token in the secret, or give username and password so the action can log in.`
      );
    }
  );

  it("401 in KlearStack's own words: the generic advice, naming company-name", async () => {
    reply(401, { error: 'Invalid company name.' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/rejected the request \(HTTP 401\).*company-name/);
    expect(error.refused).toBeUndefined();
    expect(error.retryable).toBe(false);
  });

  it('401 on login: says the username, password or company is wrong', async () => {
    nock(ROOT)
      .post('/access/klearstack/get_access_token')
      .reply(401, { error: 'Incorrect username or password.' });
    const error = await failureOf(
      client().login({ username: 'a', password: 'b', companyName: 'c' })
    );
    expect(error.message).toMatch(/rejected the login \(HTTP 401\)/);
  });

  it('403 to a refresh with a bearer KlearStack accepted: says access was refused', async () => {
    reply(403, { detail: 'You do not have permission to perform this action.' });
    const error = await failureOf(refresh(client(), OLD_ACCESS));
    expect(error.message).toMatch(/refused access \(HTTP 403\)/);
    expect(error.refused).toBeUndefined();
  });

  it('404: names the URL tried and points at base-url', async () => {
    reply(404, { detail: 'Not found.' });
    const error = await failureOf(refresh());
    expect(error.message).toContain(`https://klear.example.com${PATH} (HTTP 404). Check base-url`);
  });

  it('500 naming a parameter: names it and does not retry', async () => {
    reply(500, { error: 'refresh_token' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/required parameter 'refresh_token' is missing/);
    expect(error.retryable).toBe(false);
  });

  it('500 naming a field we did not send: generic and retryable, the word not echoed', async () => {
    reply(500, { error: 'echo' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/server error or is unavailable \(HTTP 500\)/);
    expect(error.message).not.toContain("'echo'");
    expect(error.retryable).toBe(true);
  });

  it('500 with other text: generic, retryable, and the text is not echoed', async () => {
    reply(500, { error: 'Something went wrong: token eyJ.secret.echo' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/server error or is unavailable \(HTTP 500\)/);
    expect(error.message).not.toContain('secret.echo');
    expect(error.retryable).toBe(true);
  });

  it.each([502, 503, 504])('%i in JSON: a retryable KlearStack server error', async status => {
    reply(status, { error: 'Something went wrong, please try again.' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(
      new RegExp(`^KlearStack had a server error or is unavailable \\(HTTP ${status}\\)`)
    );
    expect(error.retryable).toBe(true);
  });

  it('429: retryable and carries Retry-After', async () => {
    reply(429, '', { 'Retry-After': '7' });
    const error = await failureOf(refresh());
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it.each([301, 302, 307, 308])(
    '%i: refuses the redirect, says it goes to another host, and sends nothing there',
    async status => {
      reply(status, '', { Location: 'https://evil.example.net/steal?x=1' });
      const evil = nock('https://evil.example.net')
        .post(/.*/)
        .reply(200, { access_token: NEW_TOKEN });
      const error = await failureOf(refresh());
      expect(error.message).toMatch(
        new RegExp(`redirect \\(HTTP ${status}\\) to another host or port; redirects are refused`)
      );
      expect(error.message).not.toMatch(/evil|steal/);
      expect(evil.isDone()).toBe(false);
    }
  );

  it.each([
    ['a path on the same host', '/elsewhere?t=1', 'to another path on the same host'],
    [
      'plain http on the same host',
      'http://klear.example.com/x',
      'to http instead of https on the same host'
    ],
    [
      'plain http on another host',
      'http://other.example/x',
      'to http instead of https on another host or port'
    ],
    ['another scheme', 'ftp://klear.example.com/x', 'to another scheme'],
    ['an unreadable location', 'http://[not-an-address', 'to an unreadable location']
  ])(
    'a redirect to %s is named by how it differs, never by its text',
    async (_case, location, said) => {
      reply(302, '', { Location: location });
      const error = await failureOf(refresh());
      expect(error.message).toContain(`redirect (HTTP 302) ${said};`);
      expect(error.message).not.toContain(location);
    }
  );

  it('a redirect without a Location says so', async () => {
    reply(302, '');
    expect((await failureOf(refresh())).message).toContain(
      'redirect (HTTP 302) without a location;'
    );
  });

  it('a password echoed into the Location host never shows, in any case', async () => {
    const password = 'Tr0ub4dor-Horse-Battery';
    reply(302, '', { Location: `https://${password}.evil.test/` });
    const error = await failureOf(refresh());
    expect(error.message.toLowerCase()).not.toContain(password.toLowerCase());
  });

  it('400: says the request was incomplete', async () => {
    reply(400, { error: 'Please provide username.' });
    expect((await failureOf(refresh())).message).toMatch(/incomplete \(HTTP 400\)/);
  });

  it('an unexpected status: says so without the body', async () => {
    reply(418, { detail: 'teapot body with secret-ish text' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/unexpected HTTP 418/);
    expect(error.message).not.toContain('teapot');
  });
});

describe('pages from something in front of KlearStack', () => {
  const reply = (status: number, body: string, headers?: Record<string, string>) =>
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(status, body, headers);
  const GATEWAY =
    /^Something in front of KlearStack at klear\.example\.com \(a proxy, load balancer or gateway\) answered HTTP (\d+) with its own page, not KlearStack's JSON: /;

  it.each([
    [502, /could not reach KlearStack behind it/],
    [503, /unavailable, overloaded or limiting requests/],
    [504, /did not answer in time \(gateway timeout\)/],
    [500, /failed, or KlearStack failed before its API could answer/]
  ])('%i as an HTML page: named as the gateway, retried', async (status, why) => {
    reply(status, `<html><head><title>${status}</title></head><body>nginx</body></html>`);
    const error = await failureOf(refresh());
    expect(error.message).toMatch(GATEWAY);
    expect(error.message).toMatch(why);
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.retryable).toBe(true);
    expect(error.fromGateway).toBe(true);
  });

  it('429 with Retry-After as a page: retried after the delay it asks', async () => {
    reply(429, '<html>Too Many Requests</html>', { 'Retry-After': '4' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(GATEWAY);
    expect(error.message).toMatch(/limiting the rate of requests/);
    expect(error.retryAfterSeconds).toBe(4);
  });

  it.each([
    ['Basic', 'Basic realm="corp"'],
    ['Negotiate', 'Negotiate'],
    ['NTLM', 'NTLM'],
    ['Basic', 'Bearer realm="api", Basic realm="corp"'],
    ['Digest', 'dIgEsT realm="corp"']
  ])(
    '401 asking for %s: its own login, not retried, even with a JSON body',
    async (scheme, header) => {
      reply(401, '{"detail":"Authentication required"}', { 'WWW-Authenticate': header });
      const error = await failureOf(refresh());
      expect(error.message).toContain(
        `wants its own login (HTTP 401, WWW-Authenticate: ${scheme}), which this action does not send`
      );
      expect(error.retryable).toBe(false);
      expect(error.fromGateway).toBe(true);
    }
  );

  it('404 as a web page: no token endpoint at that URL, whoever served the page', async () => {
    reply(404, '<html><title>Not Found</title></html>');
    const error = await failureOf(refresh());
    expect(error.message).toBe(
      `klear.example.com answered HTTP 404 with a web page, not KlearStack's JSON: there is no KlearStack token endpoint at https://klear.example.com${PATH}. Check base-url: it should be the API root, with any path prefix a gateway routes by, e.g. https://gateway.example.com/klear.`
    );
    expect(error.retryable).toBe(false);
  });

  it('a bare 401 that challenges for a bearer is KlearStack rejecting the token', async () => {
    reply(401, '', { 'WWW-Authenticate': 'Bearer realm="api"' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/^KlearStack rejected the request \(HTTP 401\)/);
    expect(error.fromGateway).toBe(false);
  });

  it.each([
    [
      400,
      'The plain HTTP request was sent to HTTPS port',
      /the port speaks https, but base-url says http:\/\//
    ],
    [400, 'No required SSL certificate was sent', /requires a client certificate \(mutual TLS\)/],
    [400, 'Request Header Or Cookie Too Large', /headers too large/],
    [400, 'Bad Request', /refused the request as malformed/],
    [403, 'Forbidden', /firewall, IP allow-list or WAF rule/],
    [413, 'Request Entity Too Large', /body-size limit is set too low/],
    [418, 'teapot', /check that base-url points at the KlearStack API/]
  ])(
    '%i "%s": named as the gateway with its own advice, not retried, body not echoed',
    async (status, title, why) => {
      reply(
        status,
        `<html><head><title>${status} ${title}</title></head><body><center><h1>${title}</h1></center></body></html>`
      );
      const error = await failureOf(refresh());
      expect(error.message).toMatch(GATEWAY);
      expect(error.message).toMatch(why);
      expect(error.message).not.toContain('<');
      expect(error.retryable).toBe(false);
    }
  );
});

describe('bodies nested deeper than any answer', () => {
  const nested = (depth: number) => `{"detail": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const reply = (body: string, headers?: Record<string, string>) =>
    nock(ROOT).post('/access/klearstack/getaccesstokenfromrefreshtoken').reply(401, body, headers);

  it("a 10,000-level 401 with KlearStack's Bearer challenge is its refusal, read as an unreadable body", async () => {
    reply(nested(10_000), { 'WWW-Authenticate': 'Bearer realm="api"' });
    const error = await failureOf(refresh());
    expect(error.message).toMatch(
      /^KlearStack rejected the request \(HTTP 401\): the refresh token/
    );
    expect(error.status).toBe(401);
    expect(error.fromGateway).toBe(false);
  });

  it('a 10,000-level 401 without a challenge is a page we could not read, as any non-JSON 401', async () => {
    reply(nested(10_000));
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/answered HTTP 401 with its own page/);
    expect(error.fromGateway).toBe(true);
  });

  // SimpleJWT's refusal of a refresh token, which the client names as such when it can read it.
  const refused = (x: string) =>
    `{"detail": "Token is invalid or expired", "code": "token_not_valid", "x": ${x}}`;
  const REFUSED = /rejected the refresh token as invalid or expired/;

  it('32 levels are read as JSON; 33 are not', async () => {
    reply(refused(`${'['.repeat(31)}${']'.repeat(31)}`));
    expect((await failureOf(refresh())).message).toMatch(REFUSED);
    reply(refused(`${'['.repeat(32)}${']'.repeat(32)}`));
    expect((await failureOf(refresh())).message).toMatch(/answered HTTP 401 with its own page/);
  });

  it('brackets inside strings, escaped quotes included, do not count', async () => {
    reply(refused(JSON.stringify(`\\"${'['.repeat(100)}`)));
    expect((await failureOf(refresh())).message).toMatch(REFUSED);
  });
});

describe("Django's own pages: KlearStack's web framework, not a gateway", () => {
  // Django 3.2's views/defaults.py, with DEBUG off and no template of the site's own: its
  // ERROR_PAGE_TEMPLATE, sent as text/html.
  const djangoPage = (title: string) =>
    `\n<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${title}</h1><p></p>\n</body>\n</html>\n`;
  const reply = (status: number, title: string) =>
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .reply(status, djangoPage(title), { 'Content-Type': 'text/html' });

  it('400 "Bad Request (400)": names the host from base-url and ALLOWED_HOSTS, not retried', async () => {
    reply(400, 'Bad Request (400)');
    const error = await failureOf(refresh());
    expect(error.message).toBe(
      'KlearStack\'s web framework (Django) refused the request with its own "Bad Request (400)" page (HTTP 400), most likely because the host it was sent, klear.example.com from base-url, is not in its ALLOWED_HOSTS setting. Use the host name KlearStack is served under in base-url, or ask KlearStack\'s administrators to add klear.example.com to ALLOWED_HOSTS.'
    );
    expect(error.retryable).toBe(false);
    expect(error.fromGateway).toBe(false);
  });

  it('500 "Server Error (500)": KlearStack failed, retried, no gateway blamed', async () => {
    reply(500, 'Server Error (500)');
    const error = await failureOf(refresh());
    expect(error.message).toMatch(
      /^KlearStack failed with an unhandled error: its web framework \(Django\) answered HTTP 500 with its own "Server Error \(500\)" page/
    );
    expect(error.message).not.toMatch(/gateway|proxy/);
    expect(error.retryable).toBe(true);
    expect(error.fromGateway).toBe(false);
  });

  it('the titles count only with their status: a 502 titled "Server Error (500)" is a gateway', async () => {
    reply(502, 'Server Error (500)');
    expect((await failureOf(refresh())).fromGateway).toBe(true);
  });
});

describe('a 200 that is not a good token response', () => {
  const reply = (body: string | object) =>
    nock(ROOT).post('/access/klearstack/getaccesstokenfromrefreshtoken').reply(200, body);

  it('a body that is not JSON', async () => {
    reply('<html><body>Login page</body></html>');
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/not a JSON object/);
    expect(error.message).not.toContain('Login page');
    expect(error.retryable).toBe(false);
  });

  it('JSON without access_token', async () => {
    reply({ release_version: '7.8.9' });
    expect((await failureOf(refresh())).message).toMatch(/without an access_token/);
  });

  it('an access_token with a space, a quote and a newline is masked, then refused', async () => {
    const bad = 'eyJhbGciOiJIUzI1NiJ9 def"\nghi';
    reply({ access_token: bad });
    const masked: string[] = [];
    const error = await failureOf(refresh(client(masked)));
    expect(error.message).toMatch(/not a token/);
    expect(error.message).not.toContain('eyJhbGci');
    expect(masked).toEqual([bad]);
  });

  it.each(['a', 'null', '...', 'ok', 'abc.def', 'short-opaque-15', 'a.b.c', 'eyJh.eyJz.c2ln1'])(
    'the access_token %j is too short to be a token: refused, and never registered as a mask',
    async bad => {
      reply({ access_token: bad });
      const masked: string[] = [];
      const error = await failureOf(refresh(client(masked)));
      expect(error.message).toMatch(
        /^KlearStack answered HTTP 200 with an access_token that is not a token/
      );
      expect(masked).toEqual([]);
    }
  );

  it.each([
    ['an opaque token of 16 token characters', 'opaque-token_16c'],
    ['a JWT', NEW_TOKEN]
  ])('%s is accepted and masked', async (_case, good) => {
    reply({ access_token: good });
    const masked: string[] = [];
    expect((await refresh(client(masked))).accessToken).toBe(good);
    expect(masked).toEqual([good]);
  });

  it.each([
    ['too short to mask', 'a.b.c'],
    ['over 16 KiB', 'A'.repeat(16 * 1024 + 1)]
  ])(
    'a login whose refresh_token is %s returns none, with a warning: it is never exported unmasked',
    async (_case, bad) => {
      nock(ROOT)
        .post('/access/klearstack/get_access_token')
        .reply(200, { access_token: NEW_TOKEN, refresh_token: bad });
      const masked: string[] = [];
      const warnings: string[] = [];
      const grant = await new KlearClient({
        apiRoot: ROOT,
        timeoutMs: 5000,
        mask: value => masked.push(value),
        warning: message => warnings.push(message)
      }).login({ username: 'svc', password: 'pw', companyName: 'a' });
      expect(grant.refreshToken).toBeUndefined();
      expect(masked).toEqual([NEW_TOKEN]);
      expect(warnings).toEqual([
        expect.stringMatching(
          /^KlearStack's login answer carried a refresh_token that is not a token/
        )
      ]);
      expect(warnings[0]).not.toContain(bad.slice(0, 5));
    }
  );

  it('an access_token over 16 KiB is refused unmasked, with its size, before anything is exported', async () => {
    const huge = 'A'.repeat(16 * 1024 + 1);
    reply({ access_token: huge });
    const masked: string[] = [];
    const error = await failureOf(refresh(client(masked)));
    expect(error.message).toMatch(
      /^KlearStack answered HTTP 200 with an access_token of 16385 characters, over the 16 KiB this action accepts/
    );
    expect(masked).toEqual([]);
  });

  it('an access_token of exactly 16 KiB is accepted', async () => {
    const largest = 'A'.repeat(16 * 1024);
    reply({ access_token: largest });
    expect((await refresh()).accessToken).toBe(largest);
  });

  it('an access_token that is not a string', async () => {
    reply({ access_token: 12345 });
    expect((await failureOf(refresh())).message).toMatch(/not a token/);
  });

  it('a release_version that is not a plain version is dropped', async () => {
    reply({ access_token: NEW_TOKEN, release_version: 'x\n::error::injected' });
    expect((await refresh()).releaseVersion).toBe('');
  });

  it.each(['7.8.9', '12', 'v2.0.0-rc1', '2024.10.1.beta-2'])(
    'a release_version shaped like a version (%s) is reported',
    async version => {
      reply({ access_token: NEW_TOKEN, release_version: version });
      expect((await refresh()).releaseVersion).toBe(version);
    }
  );

  it.each([
    ['an opaque token', 'dGhpcyBpcyBhIHRva2Vu'],
    ['a JWT', NEW_TOKEN],
    ['a word', 'latest'],
    ['build metadata', '7.8.9+build5'],
    ['too many parts', '1.2.3.4.5.6'],
    ['a part too long', '1.abcdefghijklmnopq']
  ])('a release_version that is %s is dropped', async (_, version) => {
    reply({ access_token: NEW_TOKEN, release_version: version });
    expect((await refresh()).releaseVersion).toBe('');
  });

  it('a release_version repeating the refresh token, the bearer or the access token is dropped', async () => {
    // Credentials that happen to look like versions: the shape alone cannot keep them out.
    const refreshToken = '20240101';
    const bearer = '1234.5678';
    const accessToken = '123456.abcdefghijklmnop';
    for (const echoed of [refreshToken, `1.${refreshToken}`, bearer, accessToken]) {
      const debug: string[] = [];
      reply({ access_token: accessToken, release_version: echoed });
      const grant = await new KlearClient({
        apiRoot: ROOT,
        timeoutMs: 5000,
        mask: () => {},
        debug: line => debug.push(line)
      }).refresh({ refreshToken, companyName: 'a', accessToken: bearer });
      expect(grant.releaseVersion).toBe('');
      expect(debug.join('\n')).not.toContain(echoed);
    }
  });

  it('a release_version repeating the password, or a credential the action knows but did not send, is dropped', async () => {
    for (const echoed of ['123456', '99.1']) {
      nock(ROOT)
        .post('/access/klearstack/get_access_token')
        .reply(200, { access_token: NEW_TOKEN, release_version: echoed });
      const grant = await new KlearClient({
        apiRoot: ROOT,
        timeoutMs: 5000,
        mask: () => {},
        secrets: ['99.1']
      }).login({ username: 'svc', password: '123456', companyName: 'a' });
      expect(grant.releaseVersion).toBe('');
    }
  });

  it('a body past the size limit is abandoned', async () => {
    reply({ access_token: NEW_TOKEN, padding: 'x'.repeat(5000) });
    const error = await failureOf(refresh(client([], 5000, 1024)));
    expect(error.message).toMatch(/larger than 1 KiB/);
  });
});

describe('transport failures', () => {
  it('DNS failure: names the host and base-url, not retryable', async () => {
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/klear\.example\.com could not be found \(DNS\)/);
    expect(error.retryable).toBe(false);
  });

  it('temporary DNS failure is retryable', async () => {
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .replyWithError(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }));
    expect((await failureOf(refresh())).retryable).toBe(true);
  });

  it('TLS failure: points at the ca-certificate input', async () => {
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .replyWithError(
        Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })
      );
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/TLS connection .* ca-certificate input/);
    expect(error.retryable).toBe(false);
  });

  it('connection reset is retryable', async () => {
    nock(ROOT)
      .post('/access/klearstack/getaccesstokenfromrefreshtoken')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await failureOf(refresh());
    expect(error.message).toMatch(/failed before a complete answer \(ECONNRESET\)/);
    expect(error.retryable).toBe(true);
  });
});

describe('against a real socket', () => {
  let server: Server;
  const started = async (handler: Parameters<typeof createServer>[1]) => {
    nock.enableNetConnect('127.0.0.1');
    server = createServer(handler);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise(resolve => server?.close(resolve));
    nock.disableNetConnect();
  });

  it('a refused connection is retryable and says so', async () => {
    const root = await started(() => {});
    await new Promise(resolve => server.close(resolve));
    const c = new KlearClient({ apiRoot: root, timeoutMs: 2000, mask: () => {} });
    const error = await failureOf(c.refresh({ refreshToken: REFRESH, companyName: 'a' }));
    expect(error.message).toMatch(/refused the connection/);
    expect(error.retryable).toBe(true);
  });

  it('a server that never answers times out within timeout-seconds', async () => {
    const root = await started(() => {});
    const c = new KlearClient({ apiRoot: root, timeoutMs: 300, mask: () => {} });
    const t0 = Date.now();
    const error = await failureOf(c.refresh({ refreshToken: REFRESH, companyName: 'a' }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(error.message).toMatch(/No complete answer .* within 0.3 s/);
    expect(error.retryable).toBe(true);
  });

  it('headers followed by a trickling body are cut off at the deadline', async () => {
    const root = await started((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const c = new KlearClient({ apiRoot: root, timeoutMs: 400, mask: () => {} });
    const t0 = Date.now();
    const error = await failureOf(c.refresh({ refreshToken: REFRESH, companyName: 'a' }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(error.message).toMatch(/No complete answer/);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds', () => expect(parseRetryAfter('12')).toBe(12));
  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', now)).toBe(30);
  });
  it('reads the asctime form as GMT', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter('Fri Nov 27 10:00:30 2026', now)).toBe(30);
  });
  it('ignores garbage', () => expect(parseRetryAfter('soon')).toBeUndefined());
  it('ignores a date in a form HTTP does not use', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter('2026-11-27T10:00:30Z', now)).toBeUndefined();
  });
});
