// The bundle as it ships. It holds no @actions/core (src/toolkit.ts speaks the runner's protocol)
// and of @actions/http-client only its proxy rules; src/transport.ts loads node:https and TLS only
// when a request needs them. These tests hold the bundle to its size and start-up, and show that
// proxies still work through it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { selfSignedCertificate } from '../dev/certificate.ts';
import { startProxy, type Proxy, type ProxyOptions } from '../dev/proxy.ts';
import { runAction } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { StandIn } from '../dev/stand-in.ts';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standIn(): Promise<StandIn> {
  const started = await startStandIn();
  cleanups.push(() => started.close());
  return started;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'klear-bundle-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function proxy(options?: ProxyOptions): Promise<Proxy> {
  const started = await startProxy(options);
  cleanups.push(() => started.close());
  return started;
}

/** A file a preload fills, at exit, with every module the process loaded (process.moduleLoadList). */
function moduleProbe(): { probe: string; read: () => string[] } {
  const dir = tempDir();
  const probe = join(dir, 'probe.cjs');
  const loaded = join(dir, 'loaded.txt');
  writeFileSync(
    probe,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));\n`
  );
  return { probe, read: () => readFileSync(loaded, 'utf8').split('\n') };
}

/** A plain step over http, and the modules it loaded. */
async function plainStep(): Promise<{ klear: StandIn; modules: string[] }> {
  const klear = await standIn();
  const { probe, read } = moduleProbe();
  const result = await runAction({
    inputs: {
      'base-url': klear.url,
      'company-name': klear.companyName,
      'refresh-token': klear.mintRefreshToken({ expiresIn: 30 * 86400 })
    },
    env: { NODE_OPTIONS: `--require ${probe}` }
  });
  expect(result.errors).toEqual([]);
  expect(result.exitCode).toBe(0);
  expect(result.outputs['access-token']).toBe(klear.requests[0].issuedAccessToken);
  return { klear, modules: read() };
}

/** What the bench's floor loads: a CommonJS node:http POST to the stand-in, one output line. */
async function floorModules(klear: StandIn): Promise<Set<string>> {
  const { probe, read } = moduleProbe();
  const floor = join(tempDir(), 'floor.cjs');
  const output = join(tempDir(), 'output');
  writeFileSync(
    floor,
    `const request = require('node:http').request(process.argv[2], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, response => {
  let body = '';
  response.on('data', chunk => (body += chunk));
  response.on('end', () => require('node:fs').appendFileSync(process.argv[3], 'access-token=' + JSON.parse(body).access_token.length + '\\n'));
});
request.end(process.argv[4]);\n`
  );
  const form = new URLSearchParams({
    refresh_token: klear.mintRefreshToken({ expiresIn: 30 * 86400 }),
    company_name: klear.companyName
  });
  const child = spawn(
    process.execPath,
    ['--require', probe, floor, `${klear.url}${REFRESH_PATH}`, output, form.toString()],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } }
  );
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(0);
  expect(readFileSync(output, 'utf8')).toMatch(/^access-token=\d+\n$/);
  return new Set(read());
}

describe('the bundle', () => {
  it('is under 150 KiB', () => {
    expect(statSync(join(DIST, 'index.js')).size).toBeLessThan(150 * 1024);
  });

  it("holds of @actions/* only http-client's proxy rules: no @actions/core, undici, @actions/exec or tunnel", () => {
    const licenses = readFileSync(join(DIST, 'licenses.txt'), 'utf8');
    expect(licenses).toMatch(/^@actions\/http-client$/m);
    for (const name of ['@actions/core', 'undici', '@actions/exec', '@actions/io', 'tunnel']) {
      expect(licenses).not.toMatch(new RegExp(`^${name}$`, 'm'));
    }
  });

  it('gets a token over http without loading what only https, a proxy or run mode needs', async () => {
    const { modules } = await plainStep();
    // child_process is for run mode's command.
    const unneeded = ['NativeModule https', 'NativeModule tls', 'NativeModule child_process'];
    expect(modules.filter(name => unneeded.includes(name))).toEqual([]);
  });

  it('loads no built-in module beyond what a bare Node request loads', async () => {
    const { klear, modules } = await plainStep();
    const floor = await floorModules(klear);
    // Every module a plain step loads, a bare node:http POST loads too. Added ones cost every
    // step's start (npm run bench): @actions/core's crypto and fs/promises were 6 ms of about 45.
    expect(modules.filter(name => !floor.has(name))).toEqual([]);
  });

  it.each([
    ['https_proxy', 'http'],
    ['HTTPS_PROXY', 'http'],
    ['https_proxy', 'https']
  ] as const)(
    'tunnels to the API through the proxy in %s, which speaks %s',
    async (variable, scheme) => {
      // A proxy that speaks https is trusted the way a private CA is: NODE_EXTRA_CA_CERTS.
      const certificate = scheme === 'https' ? selfSignedCertificate(tempDir()) : undefined;
      const forward = await proxy(certificate && { tls: certificate });
      const result = await runAction({
        timeoutMs: 20_000,
        inputs: {
          // .invalid never resolves: only the proxy can have been asked for it.
          'base-url': 'https://klear.invalid',
          'company-name': 'acme-corp',
          'refresh-token': 'header.payload.signature',
          'max-attempts': '1',
          'timeout-seconds': '10'
        },
        env: {
          [variable]: forward.url,
          ...(certificate && { NODE_EXTRA_CA_CERTS: certificate.certPath })
        }
      });

      expect(forward.seen).toHaveLength(1);
      const [{ head, tunnelled }] = forward.seen;
      expect(head.split('\r\n')[0]).toBe('CONNECT klear.invalid:443 HTTP/1.1');
      // A TLS handshake record whose ClientHello names the API host: TLS runs end to end, inside
      // the tunnel.
      expect(tunnelled[0]).toBe(0x16);
      expect(tunnelled.toString('latin1')).toContain('klear.invalid');
      expect(result.exitCode).toBe(1);
      expect(result.errors).toEqual([
        expect.stringMatching(/^The connection to klear\.invalid failed before a complete answer/)
      ]);
    }
  );
});
