// `npm run bench -- [--rounds N] [--warmup N] [--memory-rounds N] [--relay-megabytes N] [--relay-rounds N]
//   [--bundle PATH] [--save | --out PATH] [--compare PATH]... [--start-up-only]`:
// measures the bundled action against the physical floor of its job — a bare Node process that
// makes the same POST to the same server and writes one output — and prints the figures; with
// --save it also writes them to bench-results.json (tracked, so a plain run leaves the checkout
// clean), with --out to another file. The step runs in every job of every pipeline that uses it, so its cost is
// multiplied by all of them. Each --compare adds another build of the action to the same rounds,
// over http and over https, so that a candidate change is measured against the same floors, run
// for run. The same rounds also run the action and the floor over https, against a stand-in with
// a throwaway certificate, as every real job does; that pair is reported as a ratio of its own.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ENDPOINTS } from '../src/endpoints.ts';
import { USER_AGENT } from '../src/version.ts';
import { selfSignedCertificate } from './certificate.ts';
import type { Certificate } from './certificate.ts';
import { canCompareProxies, compareProxies, proxyTable } from './compare-proxies.ts';
import { measureRelay, relayTable } from './bench-relay.ts';
import { OWN_PEAK_RSS_KIB } from './peak-rss.ts';
import { measureRunModeDays, runModeTable } from './bench-run-mode.ts';
import { actionInputs } from './runner.ts';
import { startStandIn } from './stand-in.ts';
import type { StandIn, StandInOptions } from './stand-in.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The guard: the whole step within 1.10× the least a step could do over https, as every real job
// runs, and within 1.20× over plain http (a local test server), where the floor does no handshake
// to hide the step's own work in.
const TARGETS = {
  timeRatio: 1.2,
  timeRatioOverHttps: 1.1,
  rssRatio: 1.2,
  bundleKiB: 150,
  // Run mode's relay against a bare Node copier, each writer (dev/bench-relay.ts).
  relayRatio: 1.1
};

// The request any implementation of the step makes (a fresh connection, the same headers and
// form), then `handled`, which has the parsed answer in `answer`.
const requestThen = (handled: string) => `const env = process.env;
const body = new URLSearchParams({
  refresh_token: env['INPUT_REFRESH-TOKEN'],
  company_name: env['INPUT_COMPANY-NAME']
}).toString();
const req = request(env['INPUT_BASE-URL'] + '${ENDPOINTS.refresh}', {
  method: 'POST',
  agent: false,
  headers: {
    'user-agent': '${USER_AGENT}',
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json'
  }
}, res => {
  const chunks = [];
  res.on('data', chunk => chunks.push(chunk));
  res.on('end', () => {
    const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    ${handled}
  });
});
req.end(body);
`;

// What the job needs at the least: the request, then one output line.
const FLOOR_BODY = requestThen(
  `appendFileSync(env.GITHUB_OUTPUT, 'access-token=' + answer.access_token + '\\n');`
);

// The least a real step must add to the floor, written by hand without the toolkit: the secrets
// masked on stdout (the runner learns a secret no other way), the four outputs and the variable in
// the runner's heredoc form with random delimiters (a value must not be able to end its own entry),
// and a summary line. Not a candidate implementation: it validates nothing, retries nothing and
// explains no error. It shows how close to the floor any implementation could come.
const MINIMAL_STEP_BODY = `const { randomUUID } = require('node:crypto');
const say = line => process.stdout.write(line + '\\n');
say('::add-mask::' + process.env['INPUT_REFRESH-TOKEN']);
${requestThen(`say('::add-mask::' + answer.access_token);
    if (answer.refresh_token) say('::add-mask::' + answer.refresh_token);
    const entry = (name, value) => {
      const end = 'ghadelimiter_' + randomUUID();
      return name + '<<' + end + '\\n' + value + '\\n' + end + '\\n';
    };
    const exp = JSON.parse(Buffer.from(answer.access_token.split('.')[1], 'base64url')).exp;
    const expiresAt = new Date(exp * 1000).toISOString();
    appendFileSync(env.GITHUB_OUTPUT, entry('access-token', answer.access_token) +
      entry('refresh-token', answer.refresh_token ?? '') + entry('release-version', '') +
      entry('expires-at', expiresAt));
    appendFileSync(env.GITHUB_ENV, entry('KLEAR_ACCESS_TOKEN', answer.access_token));
    say('Got a KlearStack access token by refresh.');
    appendFileSync(env.GITHUB_STEP_SUMMARY, '### KlearStack access token\\n\\nExpires ' + expiresAt + '.\\n');`)}`;

const cjsImports = (module: string) => `const { request } = require('${module}');
const { appendFileSync } = require('node:fs');
`;

// The floor is CommonJS because that is the cheapest way to run it. Written as an ES module,
// `import … from 'node:http'` builds the module's namespace, which evaluates node:http's lazy
// WebSocket getters and so loads Node's internal undici: some 17 ms here, none of it physical.
const FLOORS = {
  floor: cjsImports('node:http') + FLOOR_BODY,
  // Every real base-url is https (http is refused except on loopback), so a real job's floor loads
  // node:https, and with it TLS and crypto; this stand-in speaks http, so the floor above does not.
  floorHttps: `${cjsImports('node:http')}require('node:https');\n${FLOOR_BODY}`,
  // The whole of that cost, handshake included, against the TLS stand-in.
  floorOverHttps: cjsImports('node:https') + FLOOR_BODY,
  floorEsm: `import { request } from 'node:http';\nimport { appendFileSync } from 'node:fs';\n${FLOOR_BODY}`,
  minimal: cjsImports('node:http') + MINIMAL_STEP_BODY,
  minimalOverHttps: cjsImports('node:https') + MINIMAL_STEP_BODY
};

/**
 * The bundle run with its JavaScript already compiled: through a V8 code cache that a first run
 * (before the rounds) leaves, holding every function that run compiled. Not a build anyone can
 * ship: the runner keeps nothing between jobs, and a cache is valid for one V8 version only. It is a
 * bound: what the step costs when parsing and compiling its code costs nothing, which shows how much
 * of the distance to the floor any change to the bundle's code size or shape could ever win.
 */
const precompiled = (bundle: string, cache: string) => `const { Script } = require('node:vm');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const file = ${JSON.stringify(bundle)};
const cache = ${JSON.stringify(cache)};
const cachedData = existsSync(cache) ? readFileSync(cache) : undefined;
const wrapper = '(function (exports, require, module, __filename, __dirname) {' + readFileSync(file, 'utf8') + '\\n})';
const script = new Script(wrapper, { filename: file, cachedData });
if (cachedData && script.cachedDataRejected) throw new Error('The code cache was rejected.');
if (!cachedData) process.on('exit', () => writeFileSync(cache, script.createCachedData()));
const bundled = { exports: {} };
script.runInThisContext().call(bundled.exports, bundled.exports, require, bundled, file, require('node:path').dirname(file));
`;

// Preloaded only in the memory rounds, into every contender alike: a process can report its own
// peak RSS, but Node gives a parent no per-child rusage, and /usr/bin/time is not everywhere.
const PROBE = `process.on('exit', () => {
  const usage = process.resourceUsage();
  require('node:fs').writeSync(3, ${OWN_PEAK_RSS_KIB} + ' ' + (usage.userCPUTime + usage.systemCPUTime));
});
`;

type Expect = 'token' | 'input-error' | 'nothing';

interface Contender {
  key: string;
  label: string;
  script: string;
  inputs: 'valid' | 'invalid';
  expect: Expect;
  /** Against the TLS stand-in, and measured against the floor over https rather than the floor. */
  https?: boolean;
}

interface Run {
  wallMs: number;
  rssKiB?: number;
  cpuMs?: number;
}

interface Spread {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number) => Number(value.toFixed(3));
  return {
    median: round(quantile(sorted, 0.5)),
    p10: round(quantile(sorted, 0.1)),
    p90: round(quantile(sorted, 0.9)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1])
  };
}

/** Every input action.yml declares, with its default: the runner passes them all. */
function declaredInputs(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(actionInputs()).map(([name, input]) => [
      `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
      input.default
    ])
  );
}

interface Server {
  standIn: StandIn;
  refreshToken: string;
}

interface Bench {
  http: Server;
  https: Server & { certPath: string };
  dir: string;
  probe: string;
  inputs: Record<string, string>;
  serial: number;
}

function throwawayCertificate(dir: string): Certificate {
  try {
    return selfSignedCertificate(dir);
  } catch (error) {
    throw new Error(
      `The https contenders need the openssl command to make a throwaway certificate: ${(error as Error).message}`,
      { cause: error }
    );
  }
}

const floorOf = (contender: Contender) => (contender.https ? 'floorOverHttps' : 'floor');

async function runOnce(bench: Bench, contender: Contender, probed: boolean): Promise<Run> {
  const runDir = join(bench.dir, `run-${bench.serial++}`);
  const temp = join(runDir, 'temp');
  await mkdir(temp, { recursive: true });
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_PATH'].map(
      name => [name, join(runDir, name.toLowerCase())]
    )
  );
  await Promise.all(Object.values(files).map(file => writeFile(file, '')));
  const { standIn, refreshToken } = contender.https ? bench.https : bench.http;
  const inputs =
    contender.inputs === 'valid'
      ? {
          'INPUT_BASE-URL': standIn.url,
          'INPUT_REFRESH-TOKEN': refreshToken,
          'INPUT_COMPANY-NAME': standIn.companyName
        }
      : // Fails validation after the secrets are masked, before any request.
        { 'INPUT_BASE-URL': 'not a url', 'INPUT_COMPANY-NAME': standIn.companyName };
  // Both https contenders trust the certificate the same way, so they pay the same to load it.
  const trust = contender.https ? { NODE_EXTRA_CA_CERTS: bench.https.certPath } : {};
  // A clean environment: nothing from the caller's shell (a proxy, NODE_OPTIONS) may tilt a run.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: temp,
    GITHUB_WORKSPACE: runDir,
    ...files,
    ...bench.inputs,
    ...inputs,
    ...trust
  };
  const requestsBefore = standIn.requests.length;
  const args = probed ? ['--require', bench.probe, contender.script] : [contender.script];
  let stdout = '';
  let stderr = '';
  let probe = '';
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    env,
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe', probed ? 'pipe' : 'ignore']
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  (child.stdio[3] as NodeJS.ReadableStream | null)
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => (probe += chunk));
  // 'close' (all output read) can follow 'exit' within the same tick: listen for both at once.
  const closed = new Promise(done => child.once('close', done));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', exitCode => done(exitCode));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  await closed;

  const output = await readFile(files.GITHUB_OUTPUT, 'utf8');
  const requests = standIn.requests.slice(requestsBefore);
  const problem = check(contender.expect, code, output, requests, stdout);
  if (problem) {
    throw new Error(
      `${contender.label}: ${problem}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`.trim()
    );
  }
  await rm(runDir, { recursive: true, force: true });
  if (!probed) return { wallMs };
  const [rssKiB, cpuMicros] = probe.split(' ').map(Number);
  return { wallMs, rssKiB, cpuMs: cpuMicros / 1000 };
}

// A fast run that did the wrong thing would be a meaningless figure.
function check(
  expect: Expect,
  code: number | null,
  output: string,
  requests: StandIn['requests'],
  stdout: string
): string | undefined {
  if (expect === 'nothing') return code === 0 ? undefined : `exit code ${code}`;
  if (expect === 'input-error') {
    if (code !== 1) return `expected exit code 1, got ${code}`;
    if (requests.length > 0) return 'made a request although its input was invalid';
    if (!stdout.includes('::error::')) return 'failed without an ::error:: line';
    return undefined;
  }
  if (code !== 0) return `exit code ${code}`;
  if (requests.length !== 1 || requests[0].status !== 200 || requests[0].endpoint !== 'refresh') {
    return `expected one successful refresh, the stand-in saw ${JSON.stringify(requests.map(r => [r.endpoint, r.status]))}`;
  }
  if (!output.includes(requests[0].issuedAccessToken ?? '\0')) {
    return 'the token the stand-in issued is not in GITHUB_OUTPUT';
  }
  return undefined;
}

/** Each round runs every contender once, in an order rotated by round, so drift hits all alike. */
async function rounds(
  bench: Bench,
  contenders: Contender[],
  count: number,
  probed: boolean
): Promise<Record<string, Run>[]> {
  const results: Record<string, Run>[] = [];
  for (let round = 0; round < count; round++) {
    const result: Record<string, Run> = {};
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length];
      result[contender.key] = await runOnce(bench, contender, probed);
    }
    results.push(result);
  }
  return results;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '3' },
      'memory-rounds': { type: 'string', default: '10' },
      'relay-megabytes': { type: 'string', default: '100' },
      // Rounds of the relay, for each writer; measureRelay's seven by default.
      'relay-rounds': { type: 'string' },
      // Rounds of the proxy comparison; 0 leaves it out.
      'proxy-rounds': { type: 'string', default: '15' },
      bundle: { type: 'string', default: join(ROOT, 'dist', 'index.js') },
      compare: { type: 'string', multiple: true, default: [] },
      save: { type: 'boolean', default: false },
      out: { type: 'string' },
      // The start-up rounds alone, without run mode's days, the relay and the proxies: a quicker
      // measure while working on a step's start.
      'start-up-only': { type: 'boolean', default: false }
    }
  });
  const startUpOnly = values['start-up-only'];
  const roundCount = Number(values.rounds);
  const warmup = Number(values.warmup);
  const memoryRounds = Number(values['memory-rounds']);
  const bundle = resolve(values.bundle);
  const cores = availableParallelism();
  const loadBefore = loadavg()[0];
  if (loadBefore > cores / 2) {
    console.error(
      `Warning: load average ${loadBefore.toFixed(2)} on ${cores} cores; the figures will be noisy.`
    );
  }

  const dir = await mkdtemp(join(tmpdir(), 'klear-bench-'));
  const started: StandIn[] = [];
  const serve = async (options?: StandInOptions): Promise<Server> => {
    const standIn = await startStandIn(options);
    started.push(standIn);
    // Long-lived, as a stored refresh token usually is: one near its expiry adds a warning.
    return { standIn, refreshToken: standIn.mintRefreshToken({ expiresIn: 30 * 86400 }) };
  };
  try {
    const certificate = throwawayCertificate(dir);
    const script = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    const valid = { inputs: 'valid', expect: 'token' } as const;
    const contenders: Contender[] = [
      { key: 'floor', label: 'floor', script: await script('floor.cjs', FLOORS.floor), ...valid },
      { key: 'action', label: 'action', script: bundle, ...valid },
      {
        key: 'startup',
        label: 'action start-up (invalid input)',
        script: bundle,
        inputs: 'invalid',
        expect: 'input-error'
      },
      {
        key: 'floorOverHttps',
        label: 'floor over https',
        script: await script('floor-over-https.cjs', FLOORS.floorOverHttps),
        https: true,
        ...valid
      },
      { key: 'actionOverHttps', label: 'action over https', script: bundle, https: true, ...valid },
      {
        key: 'floorHttps',
        label: 'floor, also loading node:https',
        script: await script('floor-https.cjs', FLOORS.floorHttps),
        ...valid
      },
      {
        key: 'floorEsm',
        label: 'floor written as an ES module',
        script: await script('floor-esm.mjs', FLOORS.floorEsm),
        ...valid
      },
      {
        key: 'minimal',
        label: 'least a step must do (no toolkit)',
        script: await script('minimal.cjs', FLOORS.minimal),
        ...valid
      },
      {
        key: 'minimalOverHttps',
        label: 'least a step must do, over https',
        script: await script('minimal-over-https.cjs', FLOORS.minimalOverHttps),
        https: true,
        ...valid
      },
      // The bound: the same step with no parsing or compiling of its code (precompiled, above).
      {
        key: 'precompiled',
        label: 'action, its JavaScript compiled in advance (a bound)',
        script: await script('precompiled.cjs', precompiled(bundle, join(dir, 'bundle.cache'))),
        ...valid
      },
      {
        key: 'precompiledOverHttps',
        label: 'action over https, compiled in advance (a bound)',
        script: join(dir, 'precompiled.cjs'),
        https: true,
        ...valid
      },
      {
        key: 'node',
        label: 'bare node (empty script)',
        script: await script('empty.cjs', ''),
        inputs: 'valid',
        expect: 'nothing'
      },
      // Each candidate build over http and over https, like the action.
      ...values.compare.flatMap((path, i) => [
        { key: `compare${i + 1}`, label: `compared: ${path}`, script: resolve(path), ...valid },
        {
          key: `compare${i + 1}OverHttps`,
          label: `compared over https: ${path}`,
          script: resolve(path),
          https: true,
          ...valid
        }
      ])
    ];
    const bench: Bench = {
      http: await serve(),
      https: { ...(await serve({ tls: certificate })), certPath: certificate.certPath },
      dir,
      probe: await script('probe.cjs', PROBE),
      inputs: declaredInputs(),
      serial: 0
    };

    // The code cache the precompiled contenders read, left by one plain step over http (the same
    // functions of the bundle run over https); after one run of the action itself, so that a
    // bundle that does the wrong thing is refused by that name.
    const named = (key: string) => contenders.find(c => c.key === key) as Contender;
    await runOnce(bench, named('action'), false);
    await runOnce(bench, named('precompiled'), false);
    // Every later run reads it, and fails if V8 rejects it: the bound is never a plain compile.
    if ((await stat(join(dir, 'bundle.cache')).catch(() => undefined)) === undefined) {
      throw new Error('The precompiled contender left no code cache.');
    }
    await rounds(bench, contenders, warmup, false);
    const timed = await rounds(bench, contenders, roundCount, false);
    const probed = await rounds(bench, contenders, memoryRounds, true);

    const per = <T>(make: (key: string, floor: string) => T) =>
      Object.fromEntries(contenders.map(c => [c.key, make(c.key, floorOf(c))]));
    const wallMs = per(key => spread(timed.map(round => round[key].wallMs)));
    const wallRatio = per((key, floor) =>
      spread(timed.map(round => round[key].wallMs / round[floor].wallMs))
    );
    const cpuMs = per(key => spread(probed.map(round => round[key].cpuMs ?? NaN)));
    const cpuRatio = per((key, floor) =>
      spread(probed.map(round => (round[key].cpuMs ?? NaN) / (round[floor].cpuMs ?? NaN)))
    );
    const maxRssKiB = per(key => spread(probed.map(round => round[key].rssKiB ?? NaN)));
    const rssRatio = per((key, floor) =>
      spread(probed.map(round => (round[key].rssKiB ?? NaN) / (round[floor].rssKiB ?? NaN)))
    );
    // The action against the two reference floors, run for run, for the reader to weigh the target.
    const actionVersus = {
      floorHttps: spread(timed.map(round => round.action.wallMs / round.floorHttps.wallMs)),
      floorEsm: spread(timed.map(round => round.action.wallMs / round.floorEsm.wallMs))
    };
    const bundleBytes = (await stat(bundle)).size;
    const runMode = startUpOnly ? undefined : await measureRunModeDays();
    const relayMegabytes = Number(values['relay-megabytes']);
    const relayRounds = values['relay-rounds'] ? Number(values['relay-rounds']) : undefined;
    const relay = startUpOnly
      ? undefined
      : [
          await measureRelay(bundle, relayMegabytes, 8192, relayRounds),
          await measureRelay(bundle, relayMegabytes, 0, relayRounds)
        ];
    // The proxy path's choice, against a real squid, where one is installed.
    const proxyRounds = Number(values['proxy-rounds']);
    const proxies =
      !startUpOnly && proxyRounds > 0 && canCompareProxies()
        ? await compareProxies(proxyRounds)
        : undefined;
    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        cores,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadAverageBefore: Number(loadBefore.toFixed(2)),
        loadAverageAfter: Number(loadavg()[0].toFixed(2))
      },
      rounds: roundCount,
      warmup,
      memoryRounds,
      contenders: Object.fromEntries(contenders.map(c => [c.key, c.label])),
      // Ratios are spreads of per-round ratios to the contender's floor run in the same round.
      ratioTo: per((_key, floor) => floor),
      wallMs,
      wallRatio,
      cpuMs,
      cpuRatio,
      maxRssKiB,
      rssRatio,
      actionVersus,
      bundleBytes,
      runMode,
      relay,
      proxies,
      targets: TARGETS,
      met: {
        time: wallRatio.action.median <= TARGETS.timeRatio,
        // Tighter for the https pair, what every real job runs: the handshake is the same work for both.
        timeOverHttps: wallRatio.actionOverHttps.median <= TARGETS.timeRatioOverHttps,
        rss: rssRatio.action.median <= TARGETS.rssRatio,
        bundle: bundleBytes < TARGETS.bundleKiB * 1024,
        ...(relay ? { relay: relay.every(run => run.ratioToCopier <= TARGETS.relayRatio) } : {})
      }
    };
    const out = values.out ?? (values.save ? join(ROOT, 'bench-results.json') : undefined);
    if (out) await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);

    const versus = (r: Spread) => `${ratio(r.median)} (${ratio(r.p10)}–${ratio(r.p90)})`;
    const lines = [
      '| Contender | Wall, median (p10–p90) | ÷ floor, per round | CPU | Peak RSS | ÷ floor |',
      '| --- | --- | --- | --- | --- | --- |',
      ...contenders.map(contender => {
        const { key, label } = contender;
        const wall = wallMs[key];
        const isFloor = key === floorOf(contender);
        return [
          '',
          label,
          `${ms(wall.median)} (${ms(wall.p10)}–${ms(wall.p90)})`,
          isFloor ? '1' : versus(wallRatio[key]),
          ms(cpuMs[key].median),
          mib(maxRssKiB[key].median),
          isFloor ? '1' : ratio(rssRatio[key].median),
          ''
        ]
          .join(' | ')
          .trim();
      }),
      '',
      '| Target | Measured | Met |',
      '| --- | --- | --- |',
      `| Whole step ≤ ${ratio(TARGETS.timeRatio)} the floor | ${ratio(wallRatio.action.median)} | ${results.met.time ? 'yes' : 'no'} |`,
      `| Whole step over https ≤ ${ratio(TARGETS.timeRatioOverHttps)} the floor over https | ${ratio(wallRatio.actionOverHttps.median)} | ${results.met.timeOverHttps ? 'yes' : 'no'} |`,
      `| Peak RSS ≤ ${ratio(TARGETS.rssRatio)} the floor's | ${ratio(rssRatio.action.median)} | ${results.met.rss ? 'yes' : 'no'} |`,
      `| dist/index.js < ${TARGETS.bundleKiB} KiB | ${(bundleBytes / 1024).toFixed(1)} KiB | ${results.met.bundle ? 'yes' : 'no'} |`,
      ...(relay
        ? [
            `| Run mode relays ${relayMegabytes} MB ≤ ${ratio(TARGETS.relayRatio)} a Node copier, 8 KiB writes / a write per piece | ${relay.map(run => `${run.ratioToCopier.toFixed(3)}×`).join(' / ')} | ${results.met.relay ? 'yes' : 'no'} |`
          ]
        : []),
      `| (Whole step ÷ the floor also loading node:https) | ${ratio(actionVersus.floorHttps.median)} | |`,
      `| (Whole step ÷ the floor written as an ES module) | ${ratio(actionVersus.floorEsm.median)} | |`,
      `| (Bound: whole step with its JavaScript compiled in advance, over http / https) | ${ratio(wallRatio.precompiled.median)} / ${ratio(wallRatio.precompiledOverHttps.median)} | |`
    ];
    console.log(lines.join('\n'));
    if (runMode && relay) {
      console.log(`\n${runModeTable(runMode)}`);
      console.log(`\n${relayTable(relay)}`);
      console.log(
        proxies
          ? `\n${proxyTable(proxies)}`
          : '\nThe proxy comparison (dev/compare-proxies.ts) was not run: --proxy-rounds 0, or squid or htpasswd not found.'
      );
    } else {
      console.log('\nStart-up only: run mode, the relay and the proxies were not measured.');
    }
    console.log(
      `\n${roundCount} interleaved rounds after ${warmup} warm-ups; CPU and RSS from ${memoryRounds} more. Over https, ÷ floor is ÷ the floor over https. ${results.machine.cpu}, ${cores} cores, Node ${process.version}, load ${results.machine.loadAverageBefore} → ${results.machine.loadAverageAfter}.`
    );
    console.log(
      out
        ? `Figures written to ${out}.`
        : 'Figures not saved: --save writes them to bench-results.json.'
    );
  } finally {
    await Promise.all(started.map(standIn => standIn.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
