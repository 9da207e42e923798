// Compares the two ways the action could go through a proxy, against a real squid on 127.0.0.1:
// the transport's own CONNECT (src/transport.ts) and Node 24's built-in proxy support (an
// https.Agent with `proxyEnv`, what NODE_USE_ENV_PROXY=1 turns on). For each: what a user would be
// told for squid's 407 and 403 and for a proxy that never answers (with a 3 s deadline), and the
// time a fresh process takes to get one answer through the proxy. `npm run bench` runs it where
// squid is installed; alone: node dev/compare-proxies.ts [--rounds N]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './certificate.ts';
import { freePort, waitForPort } from './ports.ts';
import { startStandIn } from './stand-in.ts';

export interface ProxyComparison {
  rounds: number;
  mechanisms: {
    name: string;
    /**
     * From the request's start to its answer in a fresh process, median: its own modules already
     * loaded (the transport's TypeScript sources load slower than the bundle would), node:https
     * loaded inside the timed part by both, so the first request's costs all count.
     */
    firstAnswerMs: number;
    cases: { label: string; said: string; ms: number }[];
  }[];
}

/** Whether squid and htpasswd, which the comparison runs, are on this machine. */
export const canCompareProxies = () =>
  ['squid', 'htpasswd'].every(
    name => spawnSync('sh', ['-c', `command -v ${name} || test -x /usr/sbin/${name}`]).status === 0
  );

export async function compareProxies(rounds = 15): Promise<ProxyComparison> {
  const HOST = 'klear.test';
  const dir = mkdtempSync(join(tmpdir(), 'klear-compare-'));
  chmodSync(dir, 0o777);
  const certificate = selfSignedCertificate(dir, [`DNS:${HOST}`]);
  const standIn = await startStandIn({ tls: certificate });
  const apiPort = Number(new URL(standIn.url).port);
  const children: ReturnType<typeof spawn>[] = [];

  /** squid on its own port: `rules` are its access lines after the CONNECT acl. */
  async function squid(name: string, rules: string[]): Promise<number> {
    const port = await freePort();
    const base = join(dir, name);
    writeFileSync(`${base}.hosts`, `127.0.0.1 ${HOST}\n`);
    const config = [
      `http_port 127.0.0.1:${port}`,
      `pid_filename ${base}.pid`,
      `cache_log ${base}.log`,
      'access_log none',
      'cache deny all',
      `hosts_file ${base}.hosts`,
      'dns_nameservers 127.0.0.1',
      'acl CONNECT method CONNECT',
      ...rules,
      'http_access allow all'
    ];
    writeFileSync(`${base}.conf`, `${config.join('\n')}\n`);
    const child = spawn('squid', ['-N', '-f', `${base}.conf`], { stdio: 'ignore' });
    children.push(child);
    await waitForPort(port, 10_000, () =>
      child.exitCode === null
        ? undefined
        : `squid ${name} exited: ${readFileSync(`${base}.log`, 'utf8')}`
    );
    return port;
  }

  execFileSync('htpasswd', ['-bc', join(dir, 'passwd'), 'someone', 'right']);
  chmodSync(join(dir, 'passwd'), 0o644);
  const proxies = {
    open: await squid('open', []),
    login: await squid('login', [
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${join(dir, 'passwd')}`,
      'acl login proxy_auth REQUIRED',
      'http_access deny !login'
    ]),
    denied: await squid('denied', ['acl SSL_ports port 443', 'http_access deny CONNECT !SSL_ports'])
  };
  const silent = createServer(() => {});
  await new Promise<void>(done => silent.listen(0, '127.0.0.1', done));
  const silentPort = (silent.address() as { port: number }).port;

  // One refresh through the proxy in `https_proxy`, in a fresh process; prints the outcome as JSON.
  const form = new URLSearchParams({
    refresh_token: standIn.mintRefreshToken({ expiresIn: 3600 }),
    company_name: standIn.companyName
  }).toString();
  const url = `https://${HOST}:${apiPort}/access/klearstack/getaccesstokenfromrefreshtoken`;
  const programs = {
    'own CONNECT': `
    import { postForm } from '${join(import.meta.dirname, '../src/transport.ts')}';
    const started = performance.now();
    try {
      const answer = await postForm(new URL(process.env.URL), process.env.FORM,
        { 'content-type': 'application/x-www-form-urlencoded' }, { timeoutMs: 3000 });
      console.log(JSON.stringify({ status: answer.status, ms: performance.now() - started }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.message, ms: performance.now() - started }));
    }`,
    'Node 24 proxyEnv': `
    // Loaded inside the timed part, as the transport loads it: only when a request is made.
    const started = performance.now();
    const { default: https } = await import('node:https');
    const agent = new https.Agent({ proxyEnv: process.env });
    const req = https.request(process.env.URL, { method: 'POST', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal: AbortSignal.timeout(3000) }, response => {
        response.resume();
        response.on('end', () => console.log(JSON.stringify({ status: response.statusCode, ms: performance.now() - started })));
      });
    req.on('error', error => console.log(JSON.stringify({ error: \`\${error.code ?? ''} \${error.message}\`.trim(), ms: performance.now() - started })));
    req.end(process.env.FORM);`
  };

  /**
   * Runs `program` in a fresh Node; async, so that the stand-in in this process can answer. A child
   * still waiting 10 s after its 3 s deadline is killed, and says so.
   */
  async function once(program: string, proxyPort: number, userinfo = '') {
    const child = spawn(process.execPath, ['--input-type=module', '--no-warnings', '-e', program], {
      env: {
        PATH: process.env.PATH,
        URL: url,
        FORM: form,
        https_proxy: `http://${userinfo}127.0.0.1:${proxyPort}`,
        HTTPS_PROXY: `http://${userinfo}127.0.0.1:${proxyPort}`,
        NODE_EXTRA_CA_CERTS: certificate.certPath
      }
    });
    let stdout = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 13_000);
    await new Promise(done => child.on('close', done));
    clearTimeout(killer);
    if (!stdout.trim()) {
      return {
        error:
          'no answer and no error 13 s later, when it was killed: the deadline never reached the CONNECT',
        ms: 13_000
      };
    }
    return JSON.parse(stdout.trim()) as { status?: number; error?: string; ms: number };
  }

  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  try {
    // Rounds alternate the two, so that a warming squid (its login helper starts on first use) or a
    // busy machine weighs on both alike.
    const spans: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, program] of Object.entries(programs)) {
        const outcome = await once(program, proxies.open);
        if (outcome.status !== 200) throw new Error(`${name}: ${JSON.stringify(outcome)}`);
        (spans[name] ??= []).push(outcome.ms);
      }
    }
    const cases = [
      ['squid 407 (wrong login)', proxies.login, 'someone:wrong@'],
      ['squid 403 (denied port)', proxies.denied, ''],
      ['a proxy that never answers, 3 s deadline', silentPort, '']
    ] as const;
    const mechanisms: ProxyComparison['mechanisms'] = [];
    for (const [name, program] of Object.entries(programs)) {
      const said: ProxyComparison['mechanisms'][number]['cases'] = [];
      for (const [label, port, userinfo] of cases) {
        const outcome = await once(program, port, userinfo);
        said.push({
          label,
          said: outcome.error ?? `HTTP ${outcome.status}`,
          ms: Math.round(outcome.ms)
        });
      }
      mechanisms.push({ name, firstAnswerMs: Number(median(spans[name]).toFixed(1)), cases: said });
    }
    return { rounds, mechanisms };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    silent.close();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function proxyTable(comparison: ProxyComparison): string {
  const [own, node] = comparison.mechanisms;
  return [
    `| Through a real squid | ${own.name} | ${node.name} |`,
    '| --- | --- | --- |',
    `| First answer in a fresh process, median of ${comparison.rounds} | ${own.firstAnswerMs} ms | ${node.firstAnswerMs} ms |`,
    ...own.cases.map(
      (ownCase, i) =>
        `| ${ownCase.label} | ${ownCase.said} (${ownCase.ms} ms) | ${node.cases[i].said} (${node.cases[i].ms} ms) |`
    )
  ].join('\n');
}

if (import.meta.main) {
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 15;
  console.log(proxyTable(await compareProxies(rounds)));
}
