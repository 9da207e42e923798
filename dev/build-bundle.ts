// `npm run bundle [-- OUT]`: bundles src/index.ts with ncc into dist/ (or OUT), which the runner
// executes.
//
// The bundle is CommonJS although the sources and @actions/* are ES modules: Node starts a CommonJS
// entry about 2 ms sooner (npm run bench: 1.51× the floor as an ES module, 1.44× as CommonJS), and
// the step runs in every job. ncc's CLI takes the output format from package.json's "type" and has
// no flag for it, so this calls ncc's API; dist/package.json then tells Node that dist/index.js is
// CommonJS in spite of the root package.json.
//
// Minified (ncc's own option): every job downloads the action, and with run mode's relay the
// readable bundle took the download to 49.5 KiB gzipped, past the 48 KiB budget; minified it is
// about 31 KiB. The sources in src/ are what to read and review; the release workflow attests that
// dist/ is what they build to.
//
// The module factories that every start runs are then put in parentheses, so that V8 compiles them
// with the script rather than parsing them twice (dev/eager-start.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileEagerly } from './eager-start.ts';

interface NccResult {
  code: string;
  assets: Record<string, { source: string | Buffer }>;
}

type Ncc = (entry: string, options: Record<string, unknown>) => Promise<NccResult>;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// ncc ships no types, and require() of it is what its README shows.
const ncc = createRequire(import.meta.url)('@vercel/ncc') as Ncc;

const out = resolve(process.argv[2] ?? join(ROOT, 'dist'));
let code: string;
let assets: NccResult['assets'];
try {
  const built = await ncc(join(ROOT, 'src', 'index.ts'), {
    esm: false,
    license: 'licenses.txt',
    quiet: true,
    minify: true,
    // ncc's build cache (~/.cache/ncc, one per folder) is not keyed on these options: in a folder
    // once built as an ES module, the first CommonJS build came back half ES module (import.meta
    // in a CommonJS file). Without it a build takes 1.5 s.
    cache: false
  });
  code = compileEagerly(built.code);
  assets = built.assets;
} catch (error) {
  // Only the message: ncc's stack would print a line of its own minified source, megabytes long.
  console.error((error as Error).message);
  process.exit(1);
}
// Files are written over, never deleted first: OUT is whatever folder was named. A file an older
// build left in dist/ is caught by npm run check-dist, which compares whole folders.
await mkdir(out, { recursive: true });
await writeFile(join(out, 'index.js'), code);
for (const [name, asset] of Object.entries(assets)) {
  await writeFile(join(out, name), asset.source);
}
await writeFile(join(out, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
