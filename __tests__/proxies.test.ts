// The bundled action through real proxies, as corporate runners have them: squid 5 (CONNECT, basic
// login, denied ports, unknown hosts) and tinyproxy 1.11 (HTTP/1.0, with and without a login), each
// started on 127.0.0.1 from a config this file writes (never the distro's service), and a proxy that
// accepts and never answers. .ci/run installs them (apt); where a binary is missing its cases are
// not run and the file says which.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateAuthority, selfSignedCertificate, type Authority } from '../dev/certificate.ts';
import { freePort, waitForPort } from '../dev/ports.ts';
import { runAction, type RunResult } from '../dev/runner.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { describeNeeding, findProgram } from './helpers/needs.ts';

const API_HOST = 'klear.test';
// Characters a proxy password needs percent-encoded in a URL.
const PROXY_USER = 'ci-proxy';
const PROXY_PASSWORD = 'p@ss:w%rd/1#';
const TINY_PASSWORD = 'tiny-pass-41x';
const encoded = (text: string) => encodeURIComponent(text);

const SQUID = findProgram('squid');
const TINYPROXY = findProgram('tinyproxy');
const HTPASSWD = findProgram('htpasswd');

let dir: string;
let standIn: StandIn;
let caPath: string;
const started: ChildProcess[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'klear-proxies-'));
  // Squid drops to its own user: it must be able to read the configs and write its logs here.
  chmodSync(dir, 0o777);
  // The IPv4-mapped loopback address reaches the stand-in with no name to resolve, and is not one of
  // the loopback forms never proxied: tinyproxy resolves names with the system's resolver.
  const certificate = selfSignedCertificate(dir, [`DNS:${API_HOST}`, 'IP:::ffff:127.0.0.1']);
  caPath = certificate.certPath;
  standIn = await startStandIn({ tls: certificate });
});

afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  for (const server of servers) server.close();
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

const apiPort = () => Number(new URL(standIn.url).port);

/** Why a proxy that should be listening is not: it exited, and its log says why. */
function exited(child: ChildProcess, log: string): string | undefined {
  return child.exitCode === null ? undefined : `The proxy exited: ${readFileSync(log, 'utf8')}`;
}

interface Squid {
  url: string;
  /** CONNECT lines of squid's access log so far, as `STATUS TARGET`. */
  connects(): string[];
}

/** squid in the foreground. Its names come from its own hosts file; its DNS goes nowhere. */
async function startSquid(
  name: string,
  options: { login?: boolean; onlyPort443?: boolean; tls?: Authority }
): Promise<Squid> {
  const port = await freePort();
  const base = join(dir, name);
  writeFileSync(`${base}.hosts`, `127.0.0.1 ${API_HOST}\n`);
  // A proxy that speaks TLS to its clients, with a certificate from a private CA.
  const listen = options.tls
    ? `https_port 127.0.0.1:${port} tls-cert=${options.tls.certPath} tls-key=${options.tls.keyPath}`
    : `http_port 127.0.0.1:${port}`;
  const lines = [
    listen,
    `pid_filename ${base}.pid`,
    `cache_log ${base}.cache.log`,
    `access_log stdio:${base}.access.log`,
    'cache deny all',
    'cache_mem 8 MB',
    `coredump_dir ${dir}`,
    `hosts_file ${base}.hosts`,
    // Nothing answers there: a name not in the hosts file fails here, never on the network.
    'dns_nameservers 127.0.0.1',
    'acl CONNECT method CONNECT',
    'acl SSL_ports port 443'
  ];
  if (options.login) {
    // Its 'Adding password for user' goes to stderr, which would print amid npm test's report.
    execFileSync(HTPASSWD as string, ['-bc', `${base}.passwd`, PROXY_USER, PROXY_PASSWORD], {
      stdio: 'pipe'
    });
    chmodSync(`${base}.passwd`, 0o644);
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${base}.passwd`,
      'acl login proxy_auth REQUIRED',
      'http_access deny !login'
    );
  }
  if (options.onlyPort443) lines.push('http_access deny CONNECT !SSL_ports');
  lines.push('http_access allow all');
  writeFileSync(`${base}.conf`, `${lines.join('\n')}\n`);
  const log = `${base}.out`;
  writeFileSync(log, '');
  const child = spawn(SQUID as string, ['-N', '-f', `${base}.conf`], {
    stdio: ['ignore', 'ignore', 'ignore']
  });
  started.push(child);
  await waitForPort(port, 10_000, () => exited(child, log));
  return {
    url: `${options.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`,
    connects: () =>
      existsSync(`${base}.access.log`)
        ? readFileSync(`${base}.access.log`, 'utf8')
            .split('\n')
            .filter(line => line.includes(' CONNECT '))
            .map(line => {
              const fields = line.trim().split(/\s+/);
              return `${fields[3].split('/')[1]} ${fields[6]}`;
            })
        : []
  };
}

/** A proxy that accepts the connection and never says a word. */
/** A proxy that accepts and never answers; `accepted` holds when (performance.now()) each connection came. */
async function silentProxy(): Promise<{ url: string; accepted: number[] }> {
  const accepted: number[] = [];
  const server = createServer(() => {});
  server.on('connection', () => accepted.push(performance.now()));
  servers.push(server);
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, accepted };
}

function act(proxy: string, extra: Record<string, string> = {}, debug = true): Promise<RunResult> {
  return runAction({
    inputs: {
      'base-url': `https://${API_HOST}:${apiPort()}`,
      'company-name': standIn.companyName,
      'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 }),
      'max-attempts': '3',
      'timeout-seconds': '3',
      ...extra
    },
    env: {
      https_proxy: proxy,
      NODE_EXTRA_CA_CERTS: caPath,
      ...(debug ? { RUNNER_DEBUG: '1' } : {})
    },
    secrets: [PROXY_PASSWORD, encoded(PROXY_PASSWORD)],
    timeoutMs: 60_000
  });
}

/** No secret in the log: the proxy password, its encodings and its Basic form included. */
function expectNoProxySecret(result: RunResult): void {
  const basic = Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64');
  for (const text of [PROXY_PASSWORD, encoded(PROXY_PASSWORD), basic]) {
    expect(result.log).not.toContain(text);
    expect(result.rawLines.join('\n')).not.toContain(text);
  }
  expect(result.leaks.filter(leak => leak.line > 0)).toEqual([]);
  expect(result.rawLines.join('\n')).not.toMatch(/\(node:\d+\)/);
}

const withSquid = describeNeeding(['squid', 'htpasswd']);
const withTinyproxy = describeNeeding(['tinyproxy']);

withSquid('through squid 5', () => {
  let open: Squid;
  let login: Squid;
  let strict: Squid;
  beforeAll(async () => {
    open = await startSquid('open', {});
    login = await startSquid('login', { login: true });
    strict = await startSquid('strict', { onlyPort443: true });
  }, 30_000);

  it('gets a token through a CONNECT, and says in the debug log which proxy it used', async () => {
    const before = standIn.requests.length;
    const result = await act(open.url);
    expect(result.exitCode).toBe(0);
    expect(standIn.requests.length - before).toBe(1);
    expect(open.connects()).toContain(`200 ${API_HOST}:${apiPort()}`);
    expect(result.debug).toContain(
      `Proxy for ${API_HOST}:${apiPort()}: through the proxy ${new URL(open.url).host} (from https_proxy).`
    );
    expectNoProxySecret(result);
  });

  it('reads a proxy without a scheme as http://, as curl does', async () => {
    const result = await act(new URL(open.url).host);
    expect(result.exitCode).toBe(0);
    expect(result.warnings).toEqual([]);
  });

  it('logs in with a user and password that need percent-encoding, and shows neither', async () => {
    const proxy = new URL(login.url);
    proxy.username = encoded(PROXY_USER);
    proxy.password = encoded(PROXY_PASSWORD);
    const result = await act(proxy.href);
    expect(result.exitCode).toBe(0);
    expect(login.connects().at(-1)).toBe(`200 ${API_HOST}:${apiPort()}`);
    expectNoProxySecret(result);
  });

  it('takes a raw % in the password as written rather than dropping the proxy', async () => {
    const result = await act(
      `http://${PROXY_USER}:${PROXY_PASSWORD.replace('/', '%2F').replace('#', '%23').replace('@', '%40')}@${new URL(login.url).host}`
    );
    expect(result.exitCode).toBe(0);
    expectNoProxySecret(result);
  });

  it.each([
    ['a wrong login', `${PROXY_USER}:wrong-password@`],
    ['no login', '']
  ])('fails on %s with 407 named as the proxy, once, never retried', async (_case, userinfo) => {
    const before = login.connects().length;
    const result = await act(`http://${userinfo}${new URL(login.url).host}`);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The proxy ${new URL(login.url).host} \\(https_proxy\\) wants a login, or refused the one given \\(HTTP 407\\)`
        )
      )
    ]);
    expect(login.connects().slice(before)).toEqual([`407 ${API_HOST}:${apiPort()}`]);
    expectNoProxySecret(result);
  });

  it('fails on a denied port with 403 named as the proxy, never retried', async () => {
    const before = strict.connects().length;
    const result = await act(strict.url);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/^The proxy .* refused to connect to klear\.test:\d+ \(HTTP 403\)/)
    ]);
    expect(strict.connects().slice(before)).toEqual([`403 ${API_HOST}:${apiPort()}`]);
  });

  describe('listening with TLS (https_port), its certificate from a private CA', () => {
    let authority: Authority;
    let secure: Squid;
    beforeAll(async () => {
      const own = join(dir, 'proxy-ca');
      mkdirSync(own, { mode: 0o755 });
      authority = privateAuthority(own);
      for (const file of ['server.key', 'server.pem']) chmodSync(join(own, file), 0o644);
      secure = await startSquid('secure', { tls: authority });
    }, 30_000);

    it("tunnels once ca-certificate trusts its CA (with the API's own in NODE_EXTRA_CA_CERTS)", async () => {
      const before = standIn.requests.length;
      const result = await act(secure.url, { 'ca-certificate': authority.caCert });
      expect(result.exitCode).toBe(0);
      expect(secure.connects()).toEqual([`200 ${API_HOST}:${apiPort()}`]);
      expect(standIn.requests.length - before).toBe(1);
    });

    it("names the proxy's certificate when it is not trusted, and the input that trusts it", async () => {
      const before = secure.connects().length;
      const result = await act(secure.url);
      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        expect.stringMatching(
          /^The TLS connection to the proxy localhost:\d+ \(https_proxy\) failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): the proxy's certificate is not trusted .* ca-certificate input/
        )
      ]);
      expect(secure.connects().slice(before)).toEqual([]);
    });
  });

  it('bounds an unknown host, which squid takes 35 s to give up on, by timeout-seconds', async () => {
    const started = performance.now();
    const result = await act(open.url, {
      'base-url': `https://nowhere.test:${apiPort()}`,
      'max-attempts': '1'
    });
    expect(performance.now() - started).toBeLessThan(8000);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/^The proxy .* did not open a tunnel to nowhere\.test:\d+ within 3 s/)
    ]);
  }, 20_000);
});

describe('a proxy that accepts and never answers', () => {
  it('holds no attempt longer than timeout-seconds, CONNECT included', async () => {
    const proxy = await silentProxy();
    const result = await act(proxy.url, { 'max-attempts': '2' });
    // Two attempts of 3 s and a backoff below 1 s, from the first attempt on: a loaded machine's
    // start-up of Node before it is no part of what is bounded.
    expect(proxy.accepted).toHaveLength(2);
    expect(performance.now() - proxy.accepted[0]).toBeLessThan(9000);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^The proxy 127\.0\.0\.1:\d+ \(https_proxy\) did not open a tunnel .* within 3 s .*gave up after 2 attempts/
      )
    ]);
  }, 20_000);

  it('is named when it refuses the connection, and retried', async () => {
    const port = await freePort();
    const result = await act(`http://127.0.0.1:${port}`, { 'max-attempts': '2' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^The proxy 127\.0\.0\.1:\d+ \(https_proxy\) refused the connection \(ECONNREFUSED\).*gave up after 2 attempts/
      )
    ]);
  });

  it('warns about a proxy variable that cannot be read, naming it', async () => {
    const result = await act('http://[::1', { 'max-attempts': '1' });
    expect(result.warnings).toContain(
      'The proxy in https_proxy cannot be read as http://host:port or https://host:port, so requests go without a proxy. Set it as http://user:password@host:port (user and password percent-encoded).'
    );
  });
});

withTinyproxy('through tinyproxy 1.11 (HTTP/1.0)', () => {
  async function startTinyproxy(name: string, login: boolean): Promise<string> {
    const port = await freePort();
    const base = join(dir, name);
    const lines = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 10',
      `PidFile "${base}.pid"`,
      `LogFile "${base}.log"`,
      'LogLevel Info',
      'MaxClients 10'
    ];
    // '#' would start a comment in tinyproxy's config: squid covers the characters that need
    // percent-encoding, this one a plain password.
    if (login) lines.push(`BasicAuth ${PROXY_USER} ${TINY_PASSWORD}`);
    writeFileSync(`${base}.conf`, `${lines.join('\n')}\n`);
    writeFileSync(`${base}.log`, '');
    chmodSync(`${base}.log`, 0o666);
    const child = spawn(TINYPROXY as string, ['-d', '-c', `${base}.conf`], {
      stdio: ['ignore', 'ignore', 'ignore']
    });
    started.push(child);
    await waitForPort(port, 10_000, () => exited(child, `${base}.log`));
    return `127.0.0.1:${port}`;
  }

  it('is named with its 407 when it wants a login and none is given, and not retried', async () => {
    const host = await startTinyproxy('tiny-login', true);
    const result = await act(`http://${host}`);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The proxy ${host} \\(https_proxy\\) wants a login, or refused the one given \\(HTTP 407\\)`
        )
      )
    ]);
    expectNoProxySecret(result);
  });

  it('tunnels through one that asks no login, sending none', async () => {
    const host = await startTinyproxy('tiny-free', false);
    const before = standIn.requests.length;
    const result = await act(`http://${host}`, {
      'base-url': `https://[::ffff:127.0.0.1]:${apiPort()}`
    });
    expect(result.exitCode).toBe(0);
    expect(standIn.requests.length - before).toBe(1);
    expectNoProxySecret(result);
  });

  it('tunnels with the right login: its HTTP/1.0 answer to the CONNECT is read as one', async () => {
    const host = await startTinyproxy('tiny-open', true);
    const before = standIn.requests.length;
    const result = await act(`http://${PROXY_USER}:${TINY_PASSWORD}@${host}`, {
      'base-url': `https://[::ffff:127.0.0.1]:${apiPort()}`
    });
    expect(result.exitCode).toBe(0);
    expect(standIn.requests.length - before).toBe(1);
    expect(result.debug).toContain(
      `Proxy for [::ffff:7f00:1]:${apiPort()}: through the proxy ${host} (from https_proxy).`
    );
    expectNoProxySecret(result);
  });

  it('answers a wrong login with 401, not 407: still named as the proxy, and not retried', async () => {
    const host = await startTinyproxy('tiny-wrong', true);
    const result = await act(`http://${PROXY_USER}:wrong@${host}`, {
      'base-url': `https://[::ffff:127.0.0.1]:${apiPort()}`
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The proxy ${host} \\(https_proxy\\) could not open a tunnel to \\[::ffff:7f00:1\\]:\\d+ \\(HTTP 401\\)\\. Check the proxy settings\\.$`
        )
      )
    ]);
  });
});
