import { guarded, POST_STATE, run, runPost, UNSETTLED } from './main.ts';

// One bundle, three entries. The runner runs this same file as the post step (runs.post), with
// the state the main step saved; `klear-token`'s launcher passes its name first. What only the
// other two need is loaded by them, so a plain step starts as it did. No top-level await: it would
// make this an async module, and every start would carry webpack's runtime for those.
const [entry, ...args] = process.argv.slice(2);
if (entry === 'klear-token') void klearTokenEntry();
else if (process.env[`STATE_${POST_STATE}`]) void runPost();
else void run();

async function klearTokenEntry(): Promise<void> {
  const { klearToken, sayFailed } = await import(/* webpackMode: "eager" */ './job/cli.ts');
  // An empty stdout with exit code 0 would pass for a token in `TOKEN=$(klear-token)`.
  await guarded(
    async () => {
      process.exitCode = await klearToken(args);
    },
    () => {
      process.exitCode = sayFailed(UNSETTLED);
    }
  );
}
