// The wire under the client: one POST, through the proxy the environment names, on node:http.
// Against the KlearStack stand-in and a real forwarding proxy on 127.0.0.1. The target is named
// klear.invalid, which resolves nowhere: only the proxy, which connects every tunnel to the server,
// can have reached it. (A loopback name would never be proxied: http-client's rules exempt it.)
import { afterEach, describe, expect, it } from '@jest/globals';
import { startProxy, type Proxy } from '../dev/proxy.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { ENDPOINTS } from '../src/endpoints.ts';
import { ActionError } from '../src/errors.ts';
import { postForm } from '../src/transport.ts';
import { USER_AGENT } from '../src/version.ts';

const PROXY_VARIABLES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'no_proxy',
  'NO_PROXY'
];
const saved = Object.fromEntries(PROXY_VARIABLES.map(name => [name, process.env[name]]));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const name of PROXY_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standIn(): Promise<StandIn> {
  const started = await startStandIn();
  cleanups.push(() => started.close());
  return started;
}

async function forwardingProxy(port: number): Promise<Proxy> {
  const proxy = await startProxy({ forwardTo: port });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** The stand-in's address with klear.invalid for the host: reachable only through the proxy. */
const viaProxy = (klear: StandIn) => klear.url.replace('127.0.0.1', 'klear.invalid');

/** A refresh with a valid token, so the stand-in answers 200. */
function refresh(klear: StandIn, root = klear.url) {
  const fields = {
    refresh_token: klear.mintRefreshToken({ expiresIn: 3600 }),
    company_name: klear.companyName
  };
  const form = new URLSearchParams(fields).toString();
  const answer = postForm(
    new URL(root + ENDPOINTS.refresh),
    form,
    { 'content-type': 'application/x-www-form-urlencoded' },
    { timeoutMs: 5000 }
  );
  return { fields, form, answer };
}

const portOf = (klear: StandIn) => Number(new URL(klear.url).port);

describe('postForm', () => {
  it('sends the form with its length and the user agent, never chunked', async () => {
    const klear = await standIn();
    const { fields, form, answer } = refresh(klear);

    expect((await answer).status).toBe(200);
    expect(klear.requests).toHaveLength(1);
    const [request] = klear.requests;
    expect(request).toMatchObject({ method: 'POST', endpoint: 'refresh', fields });
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(form)));
    expect(request.headers['transfer-encoding']).toBeUndefined();
    expect(request.headers['user-agent']).toBe(USER_AGENT);
  });

  it.each(['http_proxy', 'HTTP_PROXY'])(
    'goes through the proxy in %s, which is asked for the host by name',
    async variable => {
      const klear = await standIn();
      const proxy = await forwardingProxy(portOf(klear));
      process.env[variable] = proxy.url;

      const { fields, answer } = refresh(klear, viaProxy(klear));

      expect((await answer).status).toBe(200);
      expect(proxy.seen.map(({ head }) => head.split('\r\n')[0])).toEqual([
        `CONNECT klear.invalid:${portOf(klear)} HTTP/1.1`
      ]);
      expect(klear.requests.map(request => request.fields)).toEqual([fields]);
    }
  );

  it("sends the proxy URL's user name and password, percent-decoded, to the proxy only", async () => {
    const klear = await standIn();
    const proxy = await forwardingProxy(portOf(klear));
    process.env.http_proxy = proxy.url.replace('//', '//ci%40acme:p%3Ass%25@');

    await refresh(klear, viaProxy(klear)).answer;

    const expected = `Basic ${Buffer.from('ci@acme:p:ss%').toString('base64')}`;
    expect(proxy.seen[0].head.split('\r\n')).toContain(`Proxy-Authorization: ${expected}`);
    expect(klear.requests[0].headers['proxy-authorization']).toBeUndefined();
  });

  it.each(['no_proxy', 'NO_PROXY'])(
    'goes straight to a host that %s names, bypassing the proxy',
    async variable => {
      const klear = await standIn();
      const proxy = await forwardingProxy(portOf(klear));
      process.env.http_proxy = proxy.url;
      process.env[variable] = 'example.com,.invalid';

      const failure = await refresh(klear, viaProxy(klear)).answer.catch((error: unknown) => error);

      // Asked directly, klear.invalid does not resolve: the DNS error proves the proxy was skipped.
      expect(failure).toBeInstanceOf(ActionError);
      expect((failure as ActionError).message).toMatch(
        /^The host klear\.invalid:\d+ could not be found/
      );
      expect(proxy.seen).toEqual([]);
      expect(klear.requests).toEqual([]);
    }
  );
});
