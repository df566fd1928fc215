/**
 * Bundles the built CLI (dist/server/cli.js) and the worker entries it spawns into dist/cli/,
 * after `tsc`: what `bin/bask.js` runs for `bask spreads`, a short-lived command whose whole
 * process users time (issue 16). Loading ~100 small ES modules (resolve, read, compile and link
 * each) cost ~50-130 ms of CPU per run on 2 cores; a bundle loads a few chunks instead.
 *
 * Layout (invariants the code relies on):
 * - entries and chunks sit side by side in dist/cli/, so the `new URL('./pool-worker.js',
 *   import.meta.url)` of runtime-node.ts (and './process-worker.js' of runtime-process.ts),
 *   inside whichever chunk holds it, finds the bundled worker entries; dist/cli/ is as deep as
 *   dist/server/, so `../../package.json` and `../../demo-dist/` still point at the package's.
 * - splitting keeps each command's code in its own chunk, loaded on demand as in dist/server.
 * - names are kept: the type registry keys classes by name in every runtime.
 * - packages are bundled except ws and optional native add-ons, which stay `require`d at run
 *   time from the package's node_modules (ws loads bufferutil that way); the banner gives CJS
 *   code in the bundle a real `require` for Node's built-ins.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a hash: clear the last build's chunks.
rmSync('dist/cli', { recursive: true, force: true });

await build({
  entryPoints: {
    cli: 'dist/server/cli.js',
    'pool-worker': 'dist/src/local/pool-worker.js',
    'process-worker': 'dist/src/local/process-worker.js',
  },
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  keepNames: true,
  external: ['ws', 'bufferutil', 'utf-8-validate', 'msgpackr-extract', 'esbuild'],
  banner: {
    js: "import { createRequire as __baskRequire } from 'node:module'; const require = __baskRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
