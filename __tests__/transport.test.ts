// The wire under the client: one POST, through the proxy the environment names, on node:http.
// Against a real server and a real forwarding proxy on 127.0.0.1. The target is named
// klear.invalid, which resolves nowhere: only the proxy, which connects every tunnel to the server,
// can have reached it. (A loopback name would never be proxied: http-client's rules exempt it.)
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProxy, type Proxy } from '../dev/proxy.ts';
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

interface Received {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An API that records each request and answers 200 with a small JSON body. */
async function startApi(): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', chunk => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, received };
}

async function forwardingProxy(port: number): Promise<Proxy> {
  const proxy = await startProxy({ forwardTo: port });
  cleanups.push(() => proxy.close());
  return proxy;
}

const FORM = 'refresh_token=abc&company_name=Acme+%26+Sons';
const post = (url: string) =>
  postForm(
    new URL(url),
    FORM,
    { 'content-type': 'application/x-www-form-urlencoded' },
    {
      timeoutMs: 5000
    }
  );

describe('postForm', () => {
  it('sends the form with its length and the user agent, never chunked', async () => {
    const api = await startApi();
    const answer = await post(`http://127.0.0.1:${api.port}/token`);

    expect(answer).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(api.received).toHaveLength(1);
    const [request] = api.received;
    expect(request).toMatchObject({ method: 'POST', url: '/token', body: FORM });
    expect(request.headers['content-length']).toBe(String(FORM.length));
    expect(request.headers['transfer-encoding']).toBeUndefined();
    expect(request.headers['user-agent']).toBe(USER_AGENT);
  });

  it.each(['http_proxy', 'HTTP_PROXY'])(
    'goes through the proxy in %s, which is asked for the host by name',
    async variable => {
      const api = await startApi();
      const proxy = await forwardingProxy(api.port);
      process.env[variable] = proxy.url;

      const answer = await post(`http://klear.invalid:${api.port}/token`);

      expect(answer.status).toBe(200);
      expect(proxy.seen.map(({ head }) => head.split('\r\n')[0])).toEqual([
        `CONNECT klear.invalid:${api.port} HTTP/1.1`
      ]);
      expect(api.received.map(({ body }) => body)).toEqual([FORM]);
    }
  );

  it("sends the proxy URL's user name and password, percent-decoded, to the proxy only", async () => {
    const api = await startApi();
    const proxy = await forwardingProxy(api.port);
    process.env.http_proxy = proxy.url.replace('//', '//ci%40acme:p%3Ass%25@');

    await post(`http://klear.invalid:${api.port}/token`);

    const expected = `Basic ${Buffer.from('ci@acme:p:ss%').toString('base64')}`;
    expect(proxy.seen[0].head.split('\r\n')).toContain(`Proxy-Authorization: ${expected}`);
    expect(api.received[0].headers['proxy-authorization']).toBeUndefined();
  });

  it.each(['no_proxy', 'NO_PROXY'])(
    'goes straight to a host that %s names, bypassing the proxy',
    async variable => {
      const api = await startApi();
      const proxy = await forwardingProxy(api.port);
      process.env.http_proxy = proxy.url;
      process.env[variable] = 'example.com,.invalid';

      const failure = await post(`http://klear.invalid:${api.port}/token`).catch(
        (error: unknown) => error
      );

      // Asked directly, klear.invalid does not resolve: the DNS error proves the proxy was skipped.
      expect(failure).toBeInstanceOf(ActionError);
      expect((failure as ActionError).message).toMatch(
        /^The host klear\.invalid:\d+ could not be found/
      );
      expect(proxy.seen).toEqual([]);
      expect(api.received).toEqual([]);
    }
  );
});
