/**
 * The package as users get it: the tarball (size, files), what installing it costs a consumer
 * (node_modules of an app with only bask), bundle sizes (size-limit, min+gzip) beside comlink's
 * and workerpool's browser builds, the example apps' real production chunks, and the browser
 * pool's speedup on 8 × 200 ms tasks on 2 workers in examples/vite-app built for production,
 * in Chromium.
 *
 *   npm run build:all && node dist/bench/package.js [--reps 5]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../test/chromium.js';
import { ROOT, installExample, npm, removeApps, serveStatic } from '../test/package/apps.js';
import { arg } from './lib.js';

const reps = Number(arg('reps', '5'));

/** Bytes of a folder, recursively. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function gzipped(path: string): number {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

// The tarball, packed from the built tree (npm pack's prepack would build it again).
const packDir = join(ROOT, '.pack');
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
    cwd: ROOT,
    encoding: 'utf8',
  }),
) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
if (packed === undefined) throw new Error('npm pack printed nothing');
execFileSync('mv', [join(packDir, packed.filename), join(packDir, 'bask.tgz')]);
console.log(
  `tarball: ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked, ${packed.entryCount} files`,
);

// Bundle sizes: bask's budgets, and two worker libraries' browser builds for scale.
const limits = JSON.parse(
  execFileSync(join(ROOT, 'node_modules/.bin/size-limit'), ['--json'], {
    cwd: ROOT,
    encoding: 'utf8',
  }),
) as { name: string; size: number; sizeLimit: number }[];
for (const l of limits)
  console.log(`size-limit: ${l.name}: ${kB(l.size)} (budget ${kB(l.sizeLimit)})`);
const peers = {
  'comlink (esm, min)': join(ROOT, 'node_modules/comlink/dist/esm/comlink.min.mjs'),
  'workerpool (browser, min)': join(ROOT, 'node_modules/workerpool/dist/workerpool.min.js'),
  'workerpool worker (min)': join(ROOT, 'node_modules/workerpool/dist/worker.min.js'),
};
for (const [name, path] of Object.entries(peers))
  console.log(`peer: ${name}: ${kB(gzipped(path))}`);

// A consumer's install: the node app (bask + esbuild + tsc) and bask alone.
const alone = installExample('node-app');
npm(alone, ['uninstall', '--no-audit', '--no-fund', 'esbuild', 'typescript', '@types/node']);
console.log(`install: bask alone: ${kB(folderBytes(join(alone, 'node_modules')))} of node_modules`);

// The Vite app built for production: its chunks, and the pool's speedup in Chromium.
const app = installExample('vite-app');
npm(app, ['run', 'build']);
const assets = join(app, 'dist', 'assets');
for (const file of readdirSync(assets).filter((f) => f.endsWith('.js')))
  console.log(`vite-app chunk: ${file}: ${kB(gzipped(join(assets, file)))} gzip`);
const site = await serveStatic(join(app, 'dist'));
const browser = await launchChromium();
const rows: { speedup: number; split: number[] }[] = [];
try {
  for (let i = 0; i < reps; i++) {
    const page = await browser.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'computing…');
    const result = JSON.parse((await page.textContent('#out')) ?? '{}') as {
      speedup: number;
      runs: { worker: string }[];
    };
    await page.close();
    const counts = new Map<string, number>();
    for (const r of result.runs) counts.set(r.worker, (counts.get(r.worker) ?? 0) + 1);
    rows.push({ speedup: result.speedup, split: [...counts.values()].sort() });
    console.log(
      `vite-app in Chromium: speedup ${result.speedup.toFixed(2)}x, split ${[...counts.values()].join('/')}`,
    );
  }
} finally {
  await browser.close();
  site.close();
  removeApps();
}
writeFileSync(
  join(ROOT, 'bench', 'results', 'package.json'),
  JSON.stringify({ packed, limits, rows }, null, 2),
);
