// The bundled action behind a real reverse proxy: nginx 1.22, as a company puts one in front of an
// API, started on 127.0.0.1 from a config this file writes (never the distro's service). Its own
// pages (502, 504, 413, limit_req's 503 and 429, auth_basic's 401, the 400s for plain HTTP, a
// missing client certificate and oversized headers) must be told apart from KlearStack's answers.
// .ci/run installs nginx (apt); where it is missing this file says so and runs none of its cases.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateAuthority, type Authority } from '../dev/certificate.ts';
import { freePort, waitForPort } from '../dev/ports.ts';
import { runAction, type RunResult } from '../dev/runner.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';
import { describeNeeding, findProgram } from './helpers/needs.ts';

const NGINX = findProgram('nginx');
const withNginx = describeNeeding(['nginx']);

const GATEWAY_USER = 'corp-user';
const GATEWAY_PASSWORD = 'gw-Pa55-word';
const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';

let dir: string;
let authority: Authority;
let standIn: StandIn;
let nginx: ChildProcess | undefined;
const servers: Server[] = [];
/** The gateway's ports: TLS, TLS requiring a client certificate, TLS with small header buffers, plain. */
const port = { tls: 0, mtls: 0, small: 0, plain: 0 };

/** An upstream that accepts and never answers: nginx's proxy_read_timeout turns it into a 504. */
async function silentUpstream(): Promise<number> {
  const server = createServer(() => {});
  servers.push(server);
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
  return (server.address() as { port: number }).port;
}

function config(upstream: number, closed: number, silent: number): string {
  const tls = `ssl_certificate ${authority.certPath}; ssl_certificate_key ${authority.keyPath};`;
  const api = `proxy_pass http://127.0.0.1:${upstream}/;`;
  return `
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  log_format gateway '$status $request_method $uri';
  access_log ${dir}/access.log gateway;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  limit_req_zone $server_port zone=slow503:1m rate=1r/m;
  limit_req_zone $server_port zone=slow429:1m rate=1r/m;
  server {
    listen 127.0.0.1:${port.tls} ssl;
    ${tls}
    location /klear/ { ${api} }
    location /moved/ { return 301 https://elsewhere.example.com/klear/; }
    location /down/ { proxy_pass http://127.0.0.1:${closed}/; }
    location /slow/ { proxy_pass http://127.0.0.1:${silent}/; proxy_read_timeout 1s; }
    location /small/ { client_max_body_size 16; ${api} }
    location /limited/ { limit_req zone=slow503; ${api} }
    location /throttled/ {
      limit_req zone=slow429; limit_req_status 429;
      add_header Retry-After 2 always;
      ${api}
    }
    location /login/ {
      auth_basic "corp"; auth_basic_user_file ${dir}/htpasswd;
      ${api}
    }
  }
  server {
    listen 127.0.0.1:${port.mtls} ssl;
    ${tls}
    ssl_client_certificate ${authority.caPath}; ssl_verify_client on;
    location /klear/ { ${api} }
  }
  server {
    listen 127.0.0.1:${port.small} ssl;
    ${tls}
    large_client_header_buffers 2 1k;
    location /klear/ { ${api} }
  }
  server {
    listen 127.0.0.1:${port.plain};
    location /klear/ { ${api} }
  }
}
`;
}

beforeAll(async () => {
  if (!NGINX) return;
  dir = mkdtempSync(join(tmpdir(), 'klear-gateway-'));
  chmodSync(dir, 0o755);
  authority = privateAuthority(dir);
  standIn = await startStandIn();
  for (const name of Object.keys(port) as (keyof typeof port)[]) port[name] = await freePort();
  // A password file in the format nginx reads ({PLAIN} is nginx's own scheme for test setups).
  writeFileSync(join(dir, 'htpasswd'), `${GATEWAY_USER}:{PLAIN}${GATEWAY_PASSWORD}\n`);
  const closed = await freePort();
  const silent = await silentUpstream();
  writeFileSync(join(dir, 'nginx.conf'), config(Number(new URL(standIn.url).port), closed, silent));
  // -e: the log nginx writes before it reads the config, here rather than under /var/log, which a
  // runner that is not root (GitHub's) cannot write.
  const options = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
  const checked = spawnSync(NGINX, ['-t', ...options], {
    encoding: 'utf8'
  });
  if (checked.status !== 0) throw new Error(`nginx refused the config: ${checked.stderr}`);
  nginx = spawn(NGINX, [...options, '-g', 'daemon off;'], {
    stdio: 'ignore'
  });
  await waitForPort(port.plain, 10_000, () =>
    nginx?.exitCode === null
      ? undefined
      : `nginx exited: ${readFileSync(join(dir, 'error.log'), 'utf8')}`
  );
}, 30_000);

afterAll(async () => {
  nginx?.kill('SIGTERM');
  for (const server of servers) server.close();
  await standIn?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `METHOD URI` of each request nginx logged, with its status: `STATUS METHOD URI`. */
function seen(): string[] {
  const log = join(dir, 'access.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** The action with RUNNER_DEBUG on, the strictest for leaks; `extra` adds or overrides inputs. */
async function act(
  baseUrl: string,
  extra: Record<string, string> = {}
): Promise<{ result: RunResult; requests: string[] }> {
  const before = seen().length;
  const result = await runAction({
    inputs: {
      'base-url': baseUrl,
      'company-name': standIn.companyName,
      'refresh-token': standIn.mintRefreshToken({ expiresIn: 7 * 86400 }),
      'ca-certificate': authority.caCert,
      'max-attempts': '1',
      'timeout-seconds': '5',
      ...extra
    },
    env: { RUNNER_DEBUG: '1' },
    secrets: [GATEWAY_PASSWORD],
    timeoutMs: 30_000
  });
  // nginx writes its access log line as each request ends; give the last one a moment.
  await new Promise(done => setTimeout(done, 50));
  expect(result.leaks).toEqual([]);
  return { result, requests: seen().slice(before) };
}

const tls = (path: string, at = port.tls) => `https://localhost:${at}${path}`;

withNginx('behind nginx', () => {
  it('gets a token through a path prefix over TLS from a private CA given in ca-certificate', async () => {
    const before = standIn.requests.length;
    const { result, requests } = await act(tls('/klear'));
    expect(result.exitCode).toBe(0);
    expect(requests).toEqual([`200 POST /klear${REFRESH_PATH}`]);
    expect(standIn.requests.length - before).toBe(1);
  });

  it('without ca-certificate the private CA is not trusted, and the input is named', async () => {
    const { result, requests } = await act(tls('/klear'), { 'ca-certificate': '' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^The TLS connection to localhost:\d+ failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): .* give its PEM certificate in the ca-certificate input/
      )
    ]);
    expect(requests).toEqual([]);
  });

  it('refuses its 301 without following it', async () => {
    const { result, requests } = await act(tls('/moved'));
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^KlearStack answered with a redirect \(HTTP 301\) to another host or port; redirects are refused/
      )
    ]);
    expect(requests).toEqual([`301 POST /moved${REFRESH_PATH}`]);
  });

  it('names its 502 for an upstream that is down as the gateway, and retries it', async () => {
    const { result, requests } = await act(tls('/down'), { 'max-attempts': '2' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^Something in front of KlearStack at localhost:\d+ \(a proxy, load balancer or gateway\) answered HTTP 502 with its own page, not KlearStack's JSON: it could not reach KlearStack behind it \(bad gateway\)\..* \(gave up after 2 attempts/
      )
    ]);
    expect(requests).toEqual([`502 POST /down${REFRESH_PATH}`, `502 POST /down${REFRESH_PATH}`]);
  });

  it('names its 504 for an upstream that never answers', async () => {
    const { result, requests } = await act(tls('/slow'));
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/answered HTTP 504 with its own page.*gateway timeout/)
    ]);
    expect(requests).toEqual([`504 POST /slow${REFRESH_PATH}`]);
  });

  it('names its 413 as its own size limit, not base-url, and does not retry', async () => {
    const { result, requests } = await act(tls('/small'), { 'max-attempts': '3' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/answered HTTP 413 with its own page.*body-size limit is set too low/)
    ]);
    expect(requests).toEqual([`413 POST /small${REFRESH_PATH}`]);
  });

  it("names limit_req's 503 as the gateway's, and retries it", async () => {
    expect((await act(tls('/limited'))).result.exitCode).toBe(0);
    const { result, requests } = await act(tls('/limited'), { 'max-attempts': '2' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /answered HTTP 503 with its own page.*unavailable, overloaded or limiting requests.*gave up after 2 attempts/
      )
    ]);
    expect(requests).toEqual([
      `503 POST /limited${REFRESH_PATH}`,
      `503 POST /limited${REFRESH_PATH}`
    ]);
  });

  it("waits the Retry-After of limit_req's 429 before trying again", async () => {
    expect((await act(tls('/throttled'))).result.exitCode).toBe(0);
    const { result, requests } = await act(tls('/throttled'), { 'max-attempts': '2' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/answered HTTP 429 with its own page.*limiting the rate of requests/)
    ]);
    expect(requests).toHaveLength(2);
    // Retry-After's 2 s plus a jitter below the first backoff's 1 s; the message rounds to a
    // tenth, so 2.96 s reads "3.0".
    expect(result.warnings).toHaveLength(1);
    const announced = Number(/ Retrying in (\d+\.\d) s\.$/.exec(result.warnings[0])?.[1]);
    expect(announced).toBeGreaterThanOrEqual(2);
    expect(announced).toBeLessThanOrEqual(3);
    expect(result.durationMs).toBeGreaterThanOrEqual(2000);
  });

  it("names auth_basic's 401 as the gateway's own login, and never sends it the service account", async () => {
    const before = standIn.requests.length;
    const { result, requests } = await act(tls('/login'), {
      username: standIn.username,
      password: standIn.password,
      'max-attempts': '3'
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^Something in front of KlearStack at localhost:\d+ .* wants its own login \(HTTP 401, WWW-Authenticate: Basic\), which this action does not send\./
      )
    ]);
    expect(requests).toEqual([`401 POST /login${REFRESH_PATH}`]);
    expect(standIn.requests.length - before).toBe(0);
    expect(result.log).not.toContain(standIn.password);
  });

  it('says a required client certificate is required, not that the refresh token is wrong', async () => {
    const { result, requests } = await act(tls('/klear', port.mtls));
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/answered HTTP 400 with its own page.*requires a client certificate/)
    ]);
    expect(requests).toEqual([`400 POST /klear${REFRESH_PATH}`]);
  });

  it('names its 400 for headers too large, pointing at the largest: access-token', async () => {
    const big = fakeJwt({ token_type: 'access', exp: nowSeconds() + 600, pad: 'x'.repeat(1500) });
    const { result, requests } = await act(tls('/klear', port.small), { 'access-token': big });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/answered HTTP 400 with its own page.*headers too large.*access-token/)
    ]);
    expect(requests).toEqual([`400 POST /klear${REFRESH_PATH}`]);
  });

  it('says http:// to its https port is that, and not a credentials problem', async () => {
    const { result } = await act(`http://127.0.0.1:${port.tls}/klear`);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `answered HTTP 400 with its own page.*the port speaks https, but base-url says http://\\. Use https://127\\.0\\.0\\.1:${port.tls} in base-url\\.$`
        )
      )
    ]);
  });

  it('says https:// to a port that speaks plain HTTP is that, and not an untrusted certificate', async () => {
    const { result, requests } = await act(tls('/klear', port.plain), { 'max-attempts': '3' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^base-url says https://, but localhost:${port.plain} answers in plain HTTP on that port`
        )
      )
    ]);
    expect(requests).toEqual([expect.stringMatching(/^400 /)]);
  });
});
