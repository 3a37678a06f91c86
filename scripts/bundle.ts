/**
 * `npm run bundle` (and npm's `prepare`, so `npm ci` runs it): compiles the CLI and its workers (whole cells, and one cell split by hash)
 * into dist/ with esbuild, so `outpath` starts without loading TypeScript through tsx (about 0.2 s
 * to the first line instead of 0.6; memfs, fast-check and tsx's loader are not in it, they load from
 * node_modules when a command first needs them: see LAZY). dist/ is not committed; bin/outpath.js falls back to the
 * sources when dist/ is missing or older than them.
 *
 * Sources that read files beside themselves use import.meta.dirname; in one bundle that would be
 * dist/, so each use is rewritten to the source file's own directory, relative to the bundle.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist');

const ownDirname: Plugin = {
  name: 'own-dirname',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (args.path.includes('node_modules') || !text.includes('import.meta.dirname')) return undefined;
      const rel = relative(out, dirname(args.path)) || '.';
      return { contents: text.replaceAll('import.meta.dirname', `__bundleDir(${JSON.stringify(rel)})`), loader: 'ts' };
    });
  },
};

/**
 * memfs and fast-check are large, and only a few commands use them (a state as a Volume; random
 * mode): in the bundle each becomes a stand-in that loads the package from node_modules on first
 * use. The model's sources import them as usual; only what the bundle loads at start changes.
 */
const LAZY: Readonly<Record<string, string>> = {
  memfs: [
    "let m; const load = () => (m ??= __createRequire(import.meta.url)('memfs'));",
    'export const Volume = new Proxy(function Volume() {}, { construct: (_t, a) => Reflect.construct(load().Volume, a), get: (_t, k) => Reflect.get(load().Volume, k) });',
  ].join('\n'),
  'fast-check': [
    "let m; const load = () => (m ??= __createRequire(import.meta.url)('fast-check'));",
    'export default new Proxy({}, { get: (_t, k) => Reflect.get(load(), k), has: (_t, k) => Reflect.has(load(), k) });',
  ].join('\n'),
};

const lazyPackages: Plugin = {
  name: 'lazy-packages',
  setup(b) {
    b.onResolve({ filter: /^(memfs|fast-check)$/ }, (args) => ({ path: args.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ contents: LAZY[args.path] ?? '', loader: 'js' }));
  },
};

const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { dirname as __dirname_, join as __join } from 'node:path';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __bundleDir = (rel) => __join(__dirname_(__fileURLToPath(import.meta.url)), rel);',
].join('\n');

const t0 = performance.now();
await build({
  entryPoints: {
    outpath: join(root, 'sim', 'main.ts'),
    'cell-worker': join(root, 'sim', 'workers', 'cell-worker.ts'),
    'split-worker': join(root, 'sim', 'workers', 'split-worker.ts'),
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: banner },
  plugins: [ownDirname, lazyPackages],
  // tsx loads design files at run time from its own node_modules files (it reads __filename there); bundled, it cannot
  external: ['tsx', 'tsx/*'],
  // less source to compile at every start; names kept, so stack traces and class names stay readable
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});
process.stdout.write(`bundled sim/main.ts and its two workers into dist/ in ${String(Math.round(performance.now() - t0))} ms\n`);
