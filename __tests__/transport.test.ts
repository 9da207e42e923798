// The wire under the client: one POST, through the proxy the environment names, on node:http.
// Against the KlearStack stand-in and a real forwarding proxy on 127.0.0.1. The target is named
// klear.invalid, which resolves nowhere: only the proxy, which connects every tunnel to the server,
// can have reached it. (A loopback name would never be proxied: http-client's rules exempt it.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate, type Certificate } from '../dev/certificate.ts';
import { startRawServer, type RawAnswer } from './helpers/raw-server.ts';
import { startProxy, type Proxy } from '../dev/proxy.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { ENDPOINTS } from '../src/endpoints.ts';
import { ActionError } from '../src/errors.ts';
import { postForm } from '../src/transport.ts';
import { trustContext } from '../src/trust.ts';
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

/** A server that answers the first bytes it gets with `answer`, then closes. */
async function rawServer(answer: string): Promise<number> {
  const server = createNetServer(socket => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(answer));
  });
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise(done => server.close(() => done())));
  return (server.address() as { port: number }).port;
}

async function failureOf(root: string): Promise<ActionError> {
  const failure = await postForm(
    new URL(root + ENDPOINTS.refresh),
    'a=b',
    {},
    { timeoutMs: 5000 }
  ).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ActionError);
  return failure as ActionError;
}

describe('answers that are not HTTP, or not whole', () => {
  it('something that is not HTTP is refused for good, asking about the https port', async () => {
    const port = await rawServer('\x15\x03\x01\x00\x02\x02\x46 not http\r\n\r\n');
    const error = await failureOf(`http://127.0.0.1:${port}`);
    expect(error.message).toBe(
      `127.0.0.1:${port} answered with something that is not HTTP (HPE_INVALID_CONSTANT). Is base-url pointing at the API's https port? Check the scheme, host and port in base-url. If the port speaks TLS, use https://127.0.0.1:${port}.`
    );
    expect(error.retryable).toBe(false);
  });

  it('headers larger than Node reads are refused for good, named as such', async () => {
    const port = await rawServer(`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    const error = await failureOf(`http://127.0.0.1:${port}`);
    expect(error.message).toMatch(/with headers larger than Node reads .*\(HPE_HEADER_OVERFLOW\)/);
    expect(error.retryable).toBe(false);
  });

  it('https:// to a port that speaks plain HTTP says so, not that a certificate is untrusted', async () => {
    const port = await rawServer('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    const error = await failureOf(`https://127.0.0.1:${port}`);
    expect(error.message).toMatch(
      new RegExp(
        `^base-url says https://, but 127\\.0\\.0\\.1:${port} answers in plain HTTP on that port`
      )
    );
    expect(error.message).not.toMatch(/certificate/);
    expect(error.retryable).toBe(false);
  });

  it('a body cut off half-way is a network failure, retried', async () => {
    const port = await rawServer(
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"access_'
    );
    const error = await failureOf(`http://127.0.0.1:${port}`);
    expect(error.message).toMatch(/^The answer from 127\.0\.0\.1:\d+ was cut off half-way/);
    expect(error.retryable).toBe(true);
  });
});

describe('answers that never become an answer: each settles the attempt as a named failure', () => {
  async function failureFrom(answer: RawAnswer, timeoutMs = 5000): Promise<ActionError> {
    const server = await startRawServer([answer]);
    cleanups.push(() => server.close());
    const failure = await postForm(
      new URL(server.url + ENDPOINTS.refresh),
      'a=b',
      {},
      {
        timeoutMs
      }
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ActionError);
    return failure as ActionError;
  }

  it('a 101 Switching Protocols with Upgrade (no response, no error from Node) is named and retried', async () => {
    const error = await failureFrom({
      bytes:
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      then: 'hang'
    });
    expect(error.message).toMatch(/^127\.0\.0\.1:\d+ answered HTTP 101 with an Upgrade, switching/);
    expect(error.retryable).toBe(true);
  });

  it('a 101 with Upgrade whose socket then closes is the same named failure', async () => {
    const error = await failureFrom({
      bytes: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n',
      then: 'end'
    });
    expect(error.message).toMatch(/answered HTTP 101 with an Upgrade/);
  });

  it('a 1xx that never becomes a final answer ends at the deadline, retried', async () => {
    const started = performance.now();
    const error = await failureFrom(
      { bytes: 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n', then: 'hang' },
      300
    );
    expect(error.message).toMatch(/^No complete answer from 127\.0\.0\.1:\d+ within 0\.3 s/);
    expect(error.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a 1xx, then a close, is a connection that failed before an answer, retried', async () => {
    const error = await failureFrom({ bytes: 'HTTP/1.1 100 Continue\r\n\r\n', then: 'end' });
    expect(error.message).toMatch(
      /^The connection to 127\.0\.0\.1:\d+ failed before a complete answer/
    );
    expect(error.retryable).toBe(true);
  });

  it('a socket closed with no answer at all is retried', async () => {
    const error = await failureFrom({ bytes: '', then: 'end' });
    expect(error.message).toMatch(/^The connection to 127\.0\.0\.1:\d+ /);
    expect(error.retryable).toBe(true);
  });

  it('a close in the middle of the status line is retried', async () => {
    const error = await failureFrom({ bytes: 'HTTP/1.1 20', then: 'reset' });
    expect(error.message).toMatch(/^The connection to 127\.0\.0\.1:\d+ /);
    expect(error.retryable).toBe(true);
  });

  it('an abort that fires after the socket is gone still settles the attempt', async () => {
    const stop = new AbortController();
    const server = await startRawServer([
      {
        bytes: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n',
        then: 'end'
      }
    ]);
    cleanups.push(() => server.close());
    const attempt = postForm(
      new URL(server.url + ENDPOINTS.refresh),
      'a=b',
      {},
      {
        timeoutMs: 5000,
        signal: stop.signal
      }
    ).catch((error: unknown) => error);
    await new Promise(done => setTimeout(done, 100));
    stop.abort();
    expect(await attempt).toBeInstanceOf(ActionError);
  });
});

describe('an answer cut anywhere, left open, closed or reset', () => {
  // Whatever the cut, the attempt settles by its deadline with one of the transport's own named
  // failures; only a whole answer is an answer. What ends an exchange early (its deadline) is the
  // step's promise never to hang, so it is tried at every byte of a real answer, both ways it can end.
  const body = '{"access_token":"header.payload.signature","refresh_token":"r.e.f"}';
  const whole = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const NAMED = [
    /^No complete answer from 127\.0\.0\.1:\d+ within 0\.3 s/,
    /^The answer from 127\.0\.0\.1:\d+ was cut off half-way/,
    /^The connection to 127\.0\.0\.1:\d+ /
  ];

  it('settles within its deadline, as the answer or a named, retried failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: whole.length }),
        fc.constantFrom<RawAnswer['then']>('hang', 'end', 'reset'),
        async (cutAt, then) => {
          const server = await startRawServer([{ bytes: whole, cutAt, then }]);
          try {
            const started = performance.now();
            const outcome = await postForm(
              new URL(server.url + ENDPOINTS.refresh),
              'a=b',
              {},
              { timeoutMs: 300 }
            ).catch((error: unknown) => error);
            const elapsed = performance.now() - started;
            expect(elapsed).toBeLessThan(300 + 1500);
            if (cutAt === whole.length && !(outcome instanceof Error)) {
              expect(outcome).toMatchObject({ status: 200, body });
              return;
            }
            expect(outcome).toBeInstanceOf(ActionError);
            const error = outcome as ActionError;
            expect(NAMED.some(sentence => sentence.test(error.message))).toBe(true);
            expect(error.retryable).toBe(true);
          } finally {
            await server.close();
          }
        }
      ),
      { numRuns: 40 }
    );
  }, 60_000);
});

describe('a body with neither a length nor chunks, which ends when the connection closes', () => {
  const body = '{"access_token":"header.payload.signature","refresh_token":"r.e.f"}';
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n';

  it('left open anywhere, is no answer but the timeout, retried: the deadline closing it is not its end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: head.length + body.length }), async cutAt => {
        const server = await startRawServer([{ bytes: head + body, cutAt, then: 'hang' }]);
        try {
          const outcome = await postForm(
            new URL(server.url + ENDPOINTS.refresh),
            'a=b',
            {},
            { timeoutMs: 300 }
          ).catch((error: unknown) => error);
          expect(outcome).toBeInstanceOf(ActionError);
          expect((outcome as ActionError).message).toMatch(
            /^No complete answer from 127\.0\.0\.1:\d+ within 0\.3 s/
          );
          expect((outcome as ActionError).retryable).toBe(true);
        } finally {
          await server.close();
        }
      }),
      { numRuns: 15 }
    );
  }, 30_000);

  it('closed by the server, is the answer it sent', async () => {
    const server = await startRawServer([{ bytes: head + body, then: 'end' }]);
    cleanups.push(() => server.close());
    const answer = await postForm(
      new URL(server.url + ENDPOINTS.refresh),
      'a=b',
      {},
      { timeoutMs: 5000 }
    );
    expect(answer).toMatchObject({ status: 200, body });
  });
});

describe('the ca-certificate input', () => {
  let dir: string;
  let certificate: Certificate;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'klear-trust-'));
    certificate = selfSignedCertificate(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tlsStandIn(): Promise<StandIn> {
    const started = await startStandIn({ tls: certificate });
    cleanups.push(() => started.close());
    return started;
  }

  // That it trusts the defaults too is shown through the bundle: __tests__/proxies.test.ts trusts
  // the proxy's CA by this input and the API's by NODE_EXTRA_CA_CERTS in one step.
  it('trusts a private CA given as PEM text, comments between certificates ignored', async () => {
    const klear = await tlsStandIn();
    const secureContext = await trustContext(`# our CA\n${certificate.cert}`);
    const answer = await postForm(
      new URL(klear.url + ENDPOINTS.refresh),
      new URLSearchParams({
        refresh_token: klear.mintRefreshToken({ expiresIn: 3600 }),
        company_name: klear.companyName
      }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' },
      { timeoutMs: 5000, secureContext }
    );
    expect(answer.status).toBe(200);
  });

  it('without it, the same server is refused as untrusted, pointing at the input', async () => {
    const klear = await tlsStandIn();
    const error = await failureOf(klear.url);
    expect(error.message).toMatch(/not trusted .* ca-certificate input/);
  });

  /**
   * A real node:tls server on 127.0.0.1 with this certificate and `options`, and the error of a
   * request that trusts the certificate: what is left to fail is what `options` demand.
   */
  async function failureAgainst(options: TlsOptions): Promise<ActionError> {
    const server = createTlsServer({ key: certificate.key, cert: certificate.cert, ...options });
    server.on('secureConnection', socket =>
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>(listening => server.listen(0, '127.0.0.1', listening));
    cleanups.push(() => new Promise<void>(closed => server.close(() => closed())));
    const { port } = server.address() as AddressInfo;
    const failure = await postForm(
      new URL(`https://127.0.0.1:${port}${ENDPOINTS.refresh}`),
      'a=b',
      {},
      { timeoutMs: 5000, secureContext: await trustContext(certificate.cert) }
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ActionError);
    return failure as ActionError;
  }
  const requiresClientCertificate = { requestCert: true, rejectUnauthorized: true, ca: [] };

  it('a server that requires a client certificate (TLS 1.3) is named as wanting mutual TLS, not as untrusted', async () => {
    const error = await failureAgainst(requiresClientCertificate);
    expect(error.message).toMatch(
      /^The TLS connection to 127\.0\.0\.1:\d+ failed \([A-Z0-9_]+\): the server asks for a client certificate \(mutual TLS\), which this action does not send\./
    );
    expect(error.message).not.toMatch(/not trusted|ca-certificate/);
    expect(error.retryable).toBe(false);
  });

  it('a TLS 1.2 server that requires a client certificate (its handshake failure alert) says so, not that it is untrusted', async () => {
    const error = await failureAgainst({ ...requiresClientCertificate, maxVersion: 'TLSv1.2' });
    expect(error.message).toMatch(
      /^The TLS connection to 127\.0\.0\.1:\d+ failed \([A-Z0-9_/]+\): the server ended the handshake, most often because it asks for a client certificate \(mutual TLS\)/
    );
    expect(error.message).not.toMatch(/not trusted|ca-certificate/);
  });

  it.each<[string, TlsOptions['maxVersion']]>([
    ['TLS 1.0', 'TLSv1'],
    ['TLS 1.1', 'TLSv1.1']
  ])(
    'a %s-only server is named as offering no TLS version Node 24 accepts',
    async (_, maxVersion) => {
      const error = await failureAgainst({
        minVersion: 'TLSv1',
        maxVersion,
        ciphers: 'DEFAULT:@SECLEVEL=0'
      });
      expect(error.message).toMatch(
        /^The TLS connection to 127\.0\.0\.1:\d+ failed \([A-Z0-9_]+\): the server offers no TLS version Node 24 accepts \(TLS 1\.2 or later\)\./
      );
      expect(error.message).not.toMatch(/not trusted|ca-certificate/);
      expect(error.retryable).toBe(false);
    }
  );

  it('an https proxy that requires a client certificate is named as wanting mutual TLS, not as untrusted', async () => {
    const proxy = createTlsServer({
      key: certificate.key,
      cert: certificate.cert,
      ...requiresClientCertificate
    });
    proxy.on('tlsClientError', () => {});
    await new Promise<void>(listening => proxy.listen(0, '127.0.0.1', listening));
    cleanups.push(() => new Promise<void>(closed => proxy.close(() => closed())));
    process.env.https_proxy = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const failure = await postForm(
      new URL(`https://klear.invalid${ENDPOINTS.refresh}`),
      'a=b',
      {},
      { timeoutMs: 5000, secureContext: await trustContext(certificate.cert) }
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ActionError);
    const { message } = failure as ActionError;
    expect(message).toMatch(
      /^The TLS connection to the proxy 127\.0\.0\.1:\d+ \(https_proxy\) failed \([A-Z0-9_]+\): the proxy asks for a client certificate \(mutual TLS\), which this action does not send\..* or name one that does not require one in https_proxy\.$/
    );
    expect(message).not.toMatch(/not trusted|ca-certificate/);
  });

  it('is empty by default: Node keeps its own trust', async () => {
    expect(await trustContext('')).toBeUndefined();
  });

  it.each([
    ['a file path', '/etc/ssl/private/ca.pem', /is not PEM certificates/],
    ['base64 without the PEM armour', 'MIIBszCCAVmgAwIBAgIUQ', /is not PEM certificates/],
    [
      'a certificate that does not parse',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----',
      /certificate 1 of 1 does not parse/
    ],
    [
      'a private key',
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----',
      /holds a private key/
    ]
  ])('refuses %s before any request, without repeating it', async (_case, value, why) => {
    const failure = await trustContext(value).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ActionError);
    const { message } = failure as ActionError;
    expect(message).toMatch(/^Input 'ca-certificate' cannot be used: /);
    expect(message).toMatch(why);
    expect(message).not.toContain(value.split('\n')[1] ?? value);
  });
});
