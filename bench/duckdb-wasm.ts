/**
 * Issue 16's browser goals, side by side in one run in real Chromium: DuckDB-WASM against
 * bask on the seed workload (day and high-low spread per CSV file), from the same `File`
 * objects, at 250 and 2,000 files (bask's own generator, seed 20240101).
 *
 * Each contender runs in a fresh Chromium per session (bare CDP, cdp.ts): its page is loaded,
 * the files are chosen in its `<input type=file>` (as a user's pick arrives), then one cold
 * run and `--warm` warm runs, each timed in the page from the `File` objects to every result
 * in JS. Contenders alternate (A B C, then C B A, ...) for `--reps` sessions; medians.
 *
 * - DuckDB-WASM (duckdb-wasm-duck-page.ts, as ../shared/anchors/duckdb runs it): cold init is
 *   import of its bundle .. connection open; a run registers the files (`--duck-mode buffer`:
 *   the page reads their bytes; `handle`: the worker reads the Files) and runs one query.
 * - bask (duckdb-wasm-bask-page.ts): `runSpreads` on the pool ('threads') and on 'sync', from
 *   the browser entry bundled with its default pool worker; on 'threads' the page starts the
 *   pool as it loads (`defaultPool.start()`) and is ready once its workers are.
 *
 * Cold, both sides, is from navigation: the library ready (`readyAt`, in the page) plus the
 * first run in that page; the moment the driver spends choosing the files is left out. Warm
 * is a later run in the same page. Chromium's CPU seconds (all its processes) per run from
 * /proc. Results are checked equal (same files and days, |Δspread| ≤ 1e-9). bask's ratios are
 * to the first `--duck-mode`: warm (goal ≤ 1) and load to first result (goal ≤ 0.25; DuckDB's
 * one query gives its first result with the last).
 *
 * DuckDB is not one of bask's packages: `--duck DIR` is a copy of the anchor with its
 * packages installed (the same folder bench/duckdb.ts uses; see ensureDuck for the setup).
 *
 *   npm run build && node dist/bench/duckdb-wasm.js [--duck /tmp/bask-duckdb]
 *     [--files 250,2000] [--reps 3] [--warm 3] [--duck-mode buffer,handle]
 *     [--bask threads,sync] [--threads] [--profile]

 * `--threads` prints each warm run's CPU per Chromium thread (where a run's time goes);
 * `--profile` profiles the last warm run (page and workers, CDP Profiler) and prints each one's
 * busy time and top functions by self time.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { writeStocks } from '../src/seed/node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';
import { serveStatic } from '../test/package/apps.js';
import { CdpPage, cpuByThread, cpuDelta, cpuSeconds } from './cdp.js';
import type { PageReady, PageRow, PageRun, PageRunRequest } from './duckdb-wasm-contract.js';
import { arg, record, save, summarize } from './lib.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DUCK = resolve(arg('duck', '/tmp/bask-duckdb'));
const SIZES = arg('files', '250,2000').split(',').map(Number);
const REPS = Number(arg('reps', '3'));
const WARM = Number(arg('warm', '3'));
const DUCK_MODES = arg('duck-mode', 'buffer').split(',');
const BASK_MODES = arg('bask', 'threads,sync').split(',');
/** Print each warm run's CPU per Chromium thread (cdp.ts `cpuByThread`). */
const THREADS = process.argv.includes('--threads');
/** Profile the last warm run (page and workers), print each one's top functions by self time. */
const PROFILE = process.argv.includes('--profile');

/** One side of the comparison: its page and how its runs are asked for. */
interface Contender {
  readonly name: string;
  readonly isDuck: boolean;
  /** The contender's page, with its query. */
  readonly page: string;
  readonly request: (returnRows: boolean) => PageRunRequest;
}

/** What one session (a fresh browser) measured. */
interface Session {
  readonly ready: PageReady;
  readonly cold: PageRun;
  readonly coldCpuS: number;
  readonly warm: readonly PageRun[];
  readonly warmCpuS: readonly number[];
}

/** The anchor folder's DuckDB-WASM package; without it, says how to install it and exits. */
function ensureDuck(): string {
  const pkg = join(DUCK, 'node_modules', '@duckdb', 'duckdb-wasm');
  if (!existsSync(join(pkg, 'dist', 'duckdb-eh.wasm'))) {
    console.error(
      `DuckDB-WASM is not installed in ${DUCK} (no ${pkg}/dist). Set it up once:\n` +
        `  cp -r ../shared/anchors/duckdb ${DUCK} && chmod -R u+w ${DUCK} && (cd ${DUCK} && npm ci)\n` +
        `or pass --duck DIR for a folder where that is done (node dist/bench/duckdb.js does it too).`,
    );
    process.exit(2);
  }
  return pkg;
}

/**
 * The site both pages are served from: DuckDB's ESM bundle (as an app would ship it) and its
 * dist/ (workers, wasm); bask's page bundled with its pool worker beside it, where
 * `new URL('./pool-worker.js', import.meta.url)` finds it. Minified both.
 */
async function buildSite(dir: string, duckPkg: string): Promise<void> {
  const common: esbuild.BuildOptions = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: !PROFILE, // readable names in profiles
    // Task keys are named after functions; bask's modules with side effects are kept whatever
    // package.json's sideEffects says (as vite.config.ts does for the demo).
    keepNames: true,
    ignoreAnnotations: true,
    logLevel: 'error',
  };
  await esbuild.build({
    ...common,
    stdin: { contents: "export * from '@duckdb/duckdb-wasm';", resolveDir: DUCK, loader: 'js' },
    outfile: join(dir, 'duckdb.mjs'),
  });
  symlinkSync(join(duckPkg, 'dist'), join(dir, 'dist'));
  await esbuild.build({
    ...common,
    entryPoints: { page: join(HERE, 'duckdb-wasm-duck-page.js') },
    outdir: join(dir, 'duck'),
  });
  await esbuild.build({
    ...common,
    entryPoints: {
      page: join(HERE, 'duckdb-wasm-bask-page.js'),
      'pool-worker': join(ROOT, 'dist', 'src', 'local', 'pool-worker.js'),
    },
    outdir: join(dir, 'bask'),
  });
  for (const side of ['duck', 'bask']) {
    writeFileSync(
      join(dir, `${side}.html`),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>seed spreads</title>' +
        '</head><body><input type="file" id="files" multiple accept=".csv">' +
        `<script type="module" src="./${side}/page.js"></script></body></html>`,
    );
  }
}

/** DuckDB's query: one row per file, explicit column types, no sniffing (as the anchor's). */
function spreadsSql(prefix: string): string {
  return `SELECT filename AS file, CAST(CAST(min("timestamp") AS DATE) AS VARCHAR) AS day,
  max(high) - min(low) AS spread
FROM read_csv('${prefix}/*.csv', filename = true, header = true, delim = ',', quote = '"',
  auto_detect = false, columns = {'timestamp': 'TIMESTAMP', 'open': 'DOUBLE', 'high': 'DOUBLE',
  'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'BIGINT'})
GROUP BY filename ORDER BY filename`;
}

/** A fresh Chromium on `contender`'s page: ready, the files chosen, a cold run, warm runs. */
async function runSession(url: string, contender: Contender, paths: string[]): Promise<Session> {
  const page = await CdpPage.launch(CHROMIUM_PATH, CHROMIUM_ARGS);
  try {
    const pid = page.browser.pid ?? 0;
    const runOnce = async (returnRows: boolean): Promise<[PageRun, number]> => {
      const cpu0 = cpuSeconds(pid);
      const threads0 = THREADS && !returnRows ? cpuByThread(pid) : undefined;
      const r = await page.evaluate<PageRun>(
        `window.benchPage.run(${JSON.stringify(contender.request(returnRows))})`,
      );
      if (threads0 !== undefined) {
        const split = cpuDelta(threads0, cpuByThread(pid));
        console.error(
          `  ${contender.name} warm ${Math.round(r.totalMs)} ms, CPU by thread: ` +
            split.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '),
        );
      }
      if (r.count !== paths.length)
        throw new Error(`${contender.name}: ${r.count} results for ${paths.length} files`);
      return [r, cpuSeconds(pid) - cpu0];
    };
    await page.send('Page.enable');
    const workers: string[] = [];
    if (PROFILE) {
      page.on('Target.attachedToTarget', (params) => {
        const { sessionId, targetInfo } = params as {
          sessionId: string;
          targetInfo: { type: string };
        };
        if (targetInfo.type === 'worker') workers.push(sessionId);
      });
      await page.send('Target.setAutoAttach', {
        autoAttach: true,
        waitForDebuggerOnStart: false,
        flatten: true,
      });
    }
    const cpu0 = cpuSeconds(pid);
    await page.send('Page.navigate', { url: url + contender.page });
    await page.waitFor('window.benchPage', 60_000, 20);
    const ready = await page.evaluate<PageReady>('window.benchPage.ready');
    await page.setInputFiles('#files', paths);
    const [cold] = await runOnce(true);
    const coldCpuS = cpuSeconds(pid) - cpu0;
    const warm: PageRun[] = [];
    const warmCpuS: number[] = [];
    for (let i = 0; i < WARM; i++) {
      const profiled = PROFILE && i === WARM - 1 ? [undefined, ...workers] : [];
      for (const session of profiled) {
        await page.send('Profiler.enable', {}, session);
        await page.send('Profiler.setSamplingInterval', { interval: 200 }, session);
        await page.send('Profiler.start', {}, session);
      }
      const [r, cpu] = await runOnce(false);
      for (const [k, session] of profiled.entries()) {
        const { profile } = await page.send<{ profile: CpuProfile }>('Profiler.stop', {}, session);
        console.error(
          `  ${contender.name} ${k === 0 ? 'page' : `worker ${k}`}: ${topFunctions(profile)}`,
        );
      }
      warm.push(r);
      warmCpuS.push(cpu);
    }
    return { ready, cold, coldCpuS, warm, warmCpuS };
  } finally {
    await page.close();
  }
}

/** The parts of a CDP CPU profile that `topFunctions` reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The profile's busy time and its 12 functions of most self time, in ms. */
function topFunctions(profile: CpuProfile): string {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id);
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const name =
      f === undefined
        ? '?'
        : `${f.functionName || '(anon)'}${f.url === '' ? '' : `:${f.lineNumber}`}`;
    if (name !== '(idle)' && name !== '(program)') busy += ms;
    self.set(name, (self.get(name) ?? 0) + ms);
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return (
    `busy ${Math.round(busy)} ms; ` + top.map(([n, ms]) => `${n} ${Math.round(ms)}`).join(', ')
  );
}

/** Same files, same days, spreads within 1e-9: '' when they agree, else the first problems. */
function compareRows(a: readonly PageRow[], b: readonly PageRow[]): string {
  const byFile = new Map(b.map((r) => [r.file, r]));
  const problems: string[] = [];
  if (a.length !== b.length) problems.push(`${a.length} rows vs ${b.length}`);
  for (const r of a) {
    const o = byFile.get(r.file);
    if (o === undefined) problems.push(`${r.file} missing`);
    else if (o.day !== r.day) problems.push(`${r.file}: day ${r.day} vs ${o.day}`);
    else if (!(Math.abs(o.spread - r.spread) <= 1e-9))
      problems.push(`${r.file}: spread ${r.spread} vs ${o.spread}`);
  }
  return problems.slice(0, 3).join('; ');
}

const med = (xs: readonly number[]): number => Math.round(summarize([...xs]).median * 10) / 10;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
const loadAvg = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/**
 * One contender's figures at one size: medians over its sessions (warm: over every warm run),
 * and for bask its ratios to the first DuckDB mode, whose results every other is checked against.
 */
function sizeRow(
  files: number,
  c: Contender,
  sessions: ReadonlyMap<string, readonly Session[]>,
  contenders: readonly Contender[],
): object {
  const duck = sessions.get(contenders.find((d) => d.isDuck)?.name ?? '') ?? [];
  const duckRows = duck[0]?.cold.rows ?? [];
  const duckWarm = med(duck.flatMap((s) => s.warm.map((w) => w.totalMs)));
  const duckCold = med(duck.map((s) => s.ready.readyAt + s.cold.totalMs));
  const ss = sessions.get(c.name) ?? [];
  const disagree = ss.map((s) => compareRows(s.cold.rows ?? [], duckRows)).find((p) => p !== '');
  const warmMs = med(ss.flatMap((s) => s.warm.map((w) => w.totalMs)));
  const coldFirst = med(ss.map((s) => s.ready.readyAt + s.cold.firstMs));
  const coldAll = med(ss.map((s) => s.ready.readyAt + s.cold.totalMs));
  return {
    files,
    lib: c.name,
    about: ss[0]?.ready.about,
    ready_at_ms: med(ss.map((s) => s.ready.readyAt)),
    ...(c.isDuck
      ? {
          cold_init_ms: med(ss.map((s) => s.ready.initMs)),
          cold_init_query_ms: med(ss.map((s) => s.ready.initMs + s.cold.totalMs)),
          cold_load_to_rows_ms: coldAll,
        }
      : {
          cold_load_to_first_ms: coldFirst,
          cold_load_to_all_ms: coldAll,
          warm_first_ms: med(ss.flatMap((s) => s.warm.map((w) => w.firstMs))),
          warm_vs_duck: ratio(warmMs, duckWarm),
          cold_first_vs_duck_cold: ratio(coldFirst, duckCold),
          cold_all_vs_duck_cold: ratio(coldAll, duckCold),
        }),
    cold_run_ms: med(ss.map((s) => s.cold.totalMs)),
    warm_ms: warmMs,
    cold_cpu_s: med(ss.map((s) => s.coldCpuS)),
    warm_cpu_s: med(ss.flatMap((s) => s.warmCpuS)),
    sessions: ss.length,
    agrees_with_duckdb: disagree ?? true,
    load_avg: loadAvg(),
  };
}

const duckPkg = ensureDuck();
const scratch = mkdtempSync(join(tmpdir(), 'bask-duckdb-wasm-'));
const rows: object[] = [];
try {
  const siteDir = join(scratch, 'site');
  mkdirSync(siteDir);
  await buildSite(siteDir, duckPkg);
  const site = await serveStatic(siteDir);
  try {
    const contenders: Contender[] = [
      ...DUCK_MODES.map((mode): Contender => ({
        name: `duckdb-wasm ${mode}`,
        isDuck: true,
        page: 'duck.html',
        request: (returnRows) => ({ mode, sql: spreadsSql('up'), prefix: 'up', returnRows }),
      })),
      ...BASK_MODES.map((mode): Contender => ({
        name: `bask ${mode}`,
        isDuck: false,
        page: `bask.html?scheduler=${mode}`,
        request: (returnRows) => ({ mode, returnRows }),
      })),
    ];
    for (const files of SIZES) {
      const paths = await writeStocks(join(scratch, `data${files}`), {
        days: files,
        seed: 20240101,
      });
      const sessions = new Map<string, Session[]>(contenders.map((c) => [c.name, []]));
      for (let rep = 0; rep < REPS; rep++) {
        const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          const s = await runSession(site.url, c, paths);
          sessions.get(c.name)?.push(s);
          console.error(
            `${files} files, ${c.name}: ready ${Math.round(s.ready.readyAt)} ms, cold ${Math.round(s.cold.totalMs)} ms, ` +
              `warm ${s.warm.map((w) => Math.round(w.totalMs)).join(', ')} ms`,
          );
        }
      }
      for (const c of contenders) record(rows, sizeRow(files, c, sessions, contenders));
    }
  } finally {
    site.close();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
save('duckdb-wasm', rows, {
  duck: DUCK,
  sizes: SIZES,
  reps: REPS,
  warm: WARM,
  duckModes: DUCK_MODES,
});
