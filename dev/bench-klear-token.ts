// `node dev/bench-klear-token.ts [CALLS]`: what one `klear-token` call costs a step, from the
// caller's spawn to its exit, through the launcher and the bundle (build it first: npm run
// bundle), in a job run by dev/job.ts against the stand-in on loopback. Fresh: the folder's token
// is given. Minting: refresh-interval 1s makes every call, a second apart, mint one.
import { runJob } from './job.ts';
import { startStandIn } from './stand-in.ts';

const calls = Number(process.argv[2] ?? 20);

// Times `calls` runs of klear-token, `gapMs` apart, and prints the median and the slowest in ms.
const measure = (label: string, gapMs: number) => `node -e '
const { spawnSync } = require("node:child_process");
const times = [];
for (let i = 0; i < ${calls}; i++) {
  const start = performance.now();
  const ran = spawnSync("klear-token", { stdio: ["ignore", "pipe", "pipe"] });
  times.push(performance.now() - start);
  if (ran.status !== 0) { console.log("klear-token failed: " + (ran.error ?? ran.stderr)); process.exit(1); }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${gapMs});
}
const floor = [];
for (let i = 0; i < ${calls}; i++) {
  const start = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  floor.push(performance.now() - start);
}
const median = list => list.sort((a, b) => a - b)[list.length >> 1].toFixed(1);
console.log("${label}: median " + median(times) + " ms, slowest " + times.at(-1).toFixed(1) + " ms over ${calls} calls; node -e 0 alone: median " + median(floor) + " ms");
'`;

const klear = await startStandIn();
/** A job that mints with keep-fresh: job and then times klear-token in its second step. */
const timed = (label: string, gapMs: number, inputs: Record<string, string>) =>
  runJob({
    steps: [
      {
        uses: 'action',
        with: {
          'base-url': klear.url,
          'company-name': klear.companyName,
          'refresh-token': klear.mintRefreshToken({ expiresIn: 2 * 86400 }),
          'keep-fresh': 'job',
          ...inputs
        }
      },
      { run: measure(label, gapMs), timeoutMs: 120_000 }
    ]
  });
try {
  const fresh = await timed('fresh token', 0, {});
  const minting = await timed('minting', 1100, { 'refresh-interval': '1s' });
  for (const result of [fresh, minting]) {
    const line = result.log
      .split('\n')
      .find(text => /^(fresh token|minting|klear-token failed)/.test(text));
    console.log(line ?? result.log);
  }
} finally {
  await klear.close();
}
