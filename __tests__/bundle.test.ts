// The bundle as it ships. `npm run bundle` aliases @actions/http-client's HttpClient and
// @actions/exec to stubs (tsconfig.json `paths`, dev/bundle/); src/transport.ts loads node:https
// and tunnel only when a request needs them. These tests hold the bundle to its size and start-up, and show that proxies
// still work through it.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { getExecOutput } from '../dev/bundle/actions-exec.ts';
import { HttpClient } from '../dev/bundle/http-client.ts';
import { selfSignedCertificate } from '../dev/certificate.ts';
import { startProxy, type Proxy, type ProxyOptions } from '../dev/proxy.ts';
import { runAction } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { StandIn } from '../dev/stand-in.ts';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

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

describe('the bundle', () => {
  it('is under 150 KiB', () => {
    expect(statSync(join(DIST, 'index.js')).size).toBeLessThan(150 * 1024);
  });

  it("leaves out HttpClient's undici, @actions/exec, and tunnel (the proxy CONNECT is the action's own)", () => {
    const licenses = readFileSync(join(DIST, 'licenses.txt'), 'utf8');
    expect(licenses).toMatch(/^@actions\/http-client$/m);
    for (const name of ['undici', '@actions/exec', '@actions/io', 'tunnel']) {
      expect(licenses).not.toMatch(new RegExp(`^${name}$`, 'm'));
    }
  });

  it('gets a token over http without loading what only https, a proxy or run mode needs', async () => {
    const klear = await standIn();
    const dir = tempDir();
    const probe = join(dir, 'probe.cjs');
    const loaded = join(dir, 'loaded.txt');
    writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));\n`
    );
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
    const modules = readFileSync(loaded, 'utf8').split('\n');
    // child_process is for run mode's command.
    const unneeded = ['NativeModule https', 'NativeModule tls', 'NativeModule child_process'];
    expect(modules.filter(name => unneeded.includes(name))).toEqual([]);
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

describe('the stubs bundled in place of unused dependencies', () => {
  it('fail with a message naming what is missing if anything ever reaches them', async () => {
    expect(() => new HttpClient()).toThrow(
      /@actions\/http-client's HttpClient is not bundled in klear-token-action/
    );
    await expect(getExecOutput()).rejects.toThrow(
      /@actions\/exec is not bundled in klear-token-action/
    );
  });
});
