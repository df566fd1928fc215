/**
 * runSpreads (src/seed/run.ts): per-file isolation of failures, input order, onResult, the
 * one-computation view diagnostics get, abort, and formatWallTime. On the sync scheduler;
 * the pool is covered through `bask spreads` (test/integration/spreads-cli.test.ts) and the
 * demo page (test/e2e/demo.test.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import '../../src/index.node.js';
import type { Callbacks, FinishEvent, StartEvent, TaskEndEvent } from '../../src/index.node.js';
import { BaskError } from '../../src/errors.js';
import { resolveScheduler } from '../../src/config.js';
import type { RunRequest, Scheduler } from '../../src/scheduler.js';
import { batchStarts } from '../../src/seed/batches.js';
import { planGroups } from '../../src/wire/blob-bytes.js';
import { seedPaths } from '../seed-paths.js';
import {
  formatWallTime,
  generateStocks,
  isSpreadFailure,
  runSpreads,
  spreadsPlain,
  type SpreadResult,
} from '../../src/seed/index.js';

const GOOD = generateStocks({ days: 4, minutes: 30 });
const BAD = 'timestamp,high,low\n2023-01-01 09:30,1,0.5\n2023-01-01 09:31,oops,0.4\n';
const files = [...GOOD.slice(0, 2), { name: 'bad.csv', text: BAD }, ...GOOD.slice(2)].map(
  (f) => new File([f.text], f.name),
);

function recorder(): Callbacks & {
  starts: StartEvent[];
  ends: TaskEndEvent[];
  finishes: FinishEvent[];
} {
  const starts: StartEvent[] = [];
  const ends: TaskEndEvent[] = [];
  const finishes: FinishEvent[] = [];
  return {
    starts,
    ends,
    finishes,
    start: (e) => starts.push(e),
    taskEnd: (e) => ends.push(e),
    finish: (e) => finishes.push(e),
  };
}

describe('runSpreads', () => {
  it('computes every good file and reports the bad one, in input order', async () => {
    const seen: [number, SpreadResult][] = [];
    const results = await runSpreads(files, {
      scheduler: 'sync',
      onResult: (r, i) => seen.push([i, r]),
    });
    const plain = spreadsPlain(GOOD);
    expect(results.map((r) => r.file)).toEqual(files.map((f) => f.name));
    const good = results.filter((r) => !isSpreadFailure(r));
    expect(good.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
    expect(good.map((r) => ('day' in r ? r.day : undefined))).toEqual(plain.days);
    const bad = results[2];
    expect(bad !== undefined && isSpreadFailure(bad)).toBe(true);
    if (bad !== undefined && isSpreadFailure(bad)) {
      expect(bad.error).toBeInstanceOf(BaskError);
      expect(bad.error.code).toBe('ERR_CSV');
      expect(bad.error.message).toContain("'bad.csv', line 3:");
    }
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.map(([, r]) => r)).toEqual(results);
  });

  it('names results as told, and checks that there is one name per source', async () => {
    const results = await runSpreads(files.slice(0, 2), {
      scheduler: 'sync',
      names: ['a/x.csv', 'a/y.csv'],
    });
    expect(results.map((r) => r.file)).toEqual(['a/x.csv', 'a/y.csv']);
    await expect(runSpreads(files, { scheduler: 'sync', names: ['one'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('shows diagnostics one computation: one start for every file, every task, one finish', async () => {
    const all = recorder();
    // One file per computation: a failed batch would run its good files a second time.
    await runSpreads(files, { scheduler: 'sync', callbacks: [all], batchSize: 1 });
    expect(all.starts).toHaveLength(1);
    expect(all.finishes).toHaveLength(1);
    const one = recorder();
    await runSpreads(files.slice(0, 1), { scheduler: 'sync', callbacks: [one], batchSize: 1 });
    expect(all.starts[0]?.ntasks).toBe((one.starts[0]?.ntasks ?? 0) * files.length);
    // Every task of the good files ran; the bad file's tasks stopped at its failed read.
    expect(all.ends.filter((e) => e.error === undefined).length).toBe(
      one.ends.length * GOOD.length,
    );
    expect(all.ends.filter((e) => e.error !== undefined)).toHaveLength(1);
    expect(all.finishes[0]?.error).toMatchObject({ code: 'ERR_CSV' });
    expect(one.finishes[0]?.error).toBeUndefined();
  });

  it('sends no events for no files', async () => {
    const none = recorder();
    expect(await runSpreads([], { scheduler: 'sync', callbacks: [none] })).toEqual([]);
    expect(none.starts).toHaveLength(0);
    expect(none.finishes).toHaveLength(0);
  });

  it('fails the files not computed yet with ERR_ABORTED when stopped', async () => {
    const results = await runSpreads(files, { scheduler: 'sync', signal: AbortSignal.abort() });
    expect(results.map((r) => (isSpreadFailure(r) ? r.error.code : 'ok'))).toEqual(
      files.map(() => 'ERR_ABORTED'),
    );
  });
});

describe('formatWallTime', () => {
  it("prints 3 significant digits like IPython's %time", () => {
    expect(formatWallTime(812.3)).toBe('812 ms');
    expect(formatWallTime(45.64)).toBe('45.6 ms');
    expect(formatWallTime(1234)).toBe('1.23 s');
    expect(formatWallTime(12_345)).toBe('12.3 s');
    expect(formatWallTime(0.0456)).toBe('45.6 µs');
  });
});

describe('runSpreads on a shared scheduler (issue 15)', () => {
  /** The sync scheduler behind a scheduler that counts the computations in flight. */
  function counting(
    schedulerName = 'counting',
  ): Scheduler & { peak: number; runs: number; wanted: number[] } {
    const sync = resolveScheduler('sync');
    let inFlight = 0;
    const fake = {
      schedulerName,
      peak: 0,
      runs: 0,
      wanted: [] as number[],
      async run(request: RunRequest): Promise<Map<string, unknown>> {
        inFlight++;
        fake.runs++;
        fake.wanted.push(request.keys.length);
        fake.peak = Math.max(fake.peak, inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 0));
          return await sync.run(request);
        } finally {
          inFlight--;
        }
      },
    };
    return fake;
  }
  const many = generateStocks({ days: 40, minutes: 5 }).map((f) => new File([f.text], f.name));

  it('keeps at most `concurrency` files in flight and computes them all, in order', async () => {
    const scheduler = counting();
    const results = await runSpreads(many, { scheduler, concurrency: 4, batchSize: 1 });
    expect(scheduler.runs).toBe(many.length);
    expect(scheduler.peak).toBe(4);
    expect(results.map((r) => r.file)).toEqual(many.map((f) => f.name));
    expect(results.every((r) => !isSpreadFailure(r))).toBe(true);
  });

  it('bounds the window by default whatever the file count', async () => {
    const scheduler = counting();
    await runSpreads(many, { scheduler });
    expect(scheduler.peak).toBeLessThan(many.length);
  });

  it('stops starting files when onResult throws, and rethrows its error', async () => {
    const scheduler = counting();
    const boom = new Error('view failed');
    await expect(
      runSpreads(many, {
        scheduler,
        concurrency: 2,
        batchSize: 1,
        onResult: (_r, i) => {
          if (i === 3) throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(scheduler.runs).toBeLessThan(many.length);
  });

  it('computes files in batches, one computation each, results per file', async () => {
    const scheduler = counting();
    const seen: number[] = [];
    const results = await runSpreads(many, {
      scheduler,
      batchSize: 8,
      concurrency: 16,
      onResult: (_r, i) => seen.push(i),
    });
    expect(scheduler.runs).toBe(many.length / 8);
    expect(scheduler.peak).toBe(2);
    expect(seen.sort((a, b) => a - b)).toEqual(many.map((_f, i) => i));
    const plain = spreadsPlain(generateStocks({ days: 40, minutes: 5 }));
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
  });

  // Files of a day of minute bars each (~20 kB): read ahead in groups of 64, 128, 256 kB...
  const days = generateStocks({ days: 40, minutes: 390 });
  const dayFiles = days.map((f) => new File([f.text], f.name));
  const groups = planGroups(dayFiles).map((g) => g.starts.length - 1);

  it('runs files on the sync scheduler a read-ahead group at a time, one task each', async () => {
    expect(groups.length).toBeGreaterThan(2);
    const scheduler = counting('sync');
    const ends: TaskEndEvent[] = [];
    const results = await runSpreads(dayFiles, {
      scheduler,
      callbacks: [{ taskEnd: (e) => ends.push(e) }],
    });
    expect(scheduler.peak).toBe(1);
    expect(scheduler.wanted).toEqual(groups.map(() => 1));
    expect(ends).toHaveLength(groups.length);
    expect(results.map((r) => r.file)).toEqual(dayFiles.map((f) => f.name));
    const plain = spreadsPlain(days);
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
    expect(results.map((r) => ('day' in r ? r.day : undefined))).toEqual(plain.days);
  });

  it("reports a bad file of a group by name, the group's other files computed", async () => {
    const mixed = [...dayFiles.slice(0, 5)];
    mixed.splice(2, 0, new File(['timestamp,high,low\n'], 'header_only.csv'));
    mixed.splice(4, 0, new File(['timestamp,high\n2023-01-02 09:30,1\n'], 'nolow.csv'));
    const scheduler = counting();
    const results = await runSpreads(mixed, { scheduler });
    expect(scheduler.runs).toBe(planGroups(mixed).length);
    const failed = results.filter(isSpreadFailure);
    expect(failed.map((r) => [r.file, r.error.code])).toEqual([
      ['header_only.csv', 'ERR_CSV'],
      ['nolow.csv', 'ERR_CSV'],
    ]);
    expect(failed[0]?.error).toBeInstanceOf(BaskError);
    expect(failed[0]?.error.message).toMatch(
      /^'header_only\.csv' has a header .* but no data rows/,
    );
    expect(failed[1]?.error.message).toContain("'nolow.csv' has no 'low' column");
    const plain = spreadsPlain(days.slice(0, 5));
    expect(results.filter((r) => !isSpreadFailure(r)).map((r) => r.file)).toEqual(
      days.slice(0, 5).map((f) => f.name),
    );
    expect(results.flatMap((r) => ('spread' in r ? [r.spread] : []))).toEqual(plain.spreads);
  });

  /** `counting()`, whose first computation fails with `code` (its worker died, say). */
  function failingFirst(code: 'ERR_DATA_LOST' | 'ERR_WORKER_CRASHED'): {
    inner: ReturnType<typeof counting>;
    scheduler: Scheduler;
    failures: () => number;
  } {
    const inner = counting();
    let failures = 0;
    const scheduler = {
      schedulerName: 'flaky',
      run(request: RunRequest): Promise<Map<string, unknown>> {
        if (inner.runs === 0 && failures === 0) {
          failures++;
          return Promise.reject(new BaskError(code, 'the worker died'));
        }
        return inner.run(request);
      },
    };
    return { inner, scheduler, failures: () => failures };
  }

  it("computes a group's files on their own when its task fails", async () => {
    // The first group's worker died with the bytes.
    const { inner, scheduler, failures } = failingFirst('ERR_DATA_LOST');
    const results = await runSpreads(dayFiles.slice(0, 10), { scheduler });
    expect(failures()).toBe(1);
    // The first group's files one by one, then one computation per other group.
    expect(inner.runs).toBe((groups[0] ?? 0) + planGroups(dayFiles.slice(0, 10)).length - 1);
    const plain = spreadsPlain(days.slice(0, 10));
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
  });

  // Paths on disk: 70 files of minute bars, a header without rows (3rd), and one missing (40th).
  const { written: onDisk, paths } = seedPaths(70, 60, { headerOnlyAt: 2, missingAt: 39 });
  const good = (results: readonly SpreadResult[]): number[] =>
    results.flatMap((r) => ('spread' in r ? [r.spread] : []));

  it('runs paths a group at a time (4, 8, 16, 32 files...), one task each, read where it runs', async () => {
    const scheduler = counting('sync');
    const ends: TaskEndEvent[] = [];
    const results = await runSpreads(paths, {
      scheduler,
      callbacks: [{ taskEnd: (e) => ends.push(e) }],
    });
    const groups = batchStarts(paths.length, 32, 4).length - 1;
    expect(groups).toBe(5); // 4 + 8 + 16 + 32 + 12
    expect(scheduler.wanted).toEqual(Array.from({ length: groups }, () => 1));
    expect(ends).toHaveLength(groups);
    expect(results.map((r) => r.file)).toEqual(paths);
    expect(good(results)).toEqual(spreadsPlain(onDisk).spreads);
    const failed = results.filter(isSpreadFailure);
    expect(failed.map((r) => [r.file, r.error.code])).toEqual([
      [paths[2], 'ERR_CSV'],
      [paths[39], 'ERR_CSV'],
    ]);
    expect(failed[1]?.error.message).toContain('no such file');
  });

  it('fetches the URLs of a group at once, a missing one failing alone', async () => {
    // The server answers the first group's 4 requests only once all 4 have arrived (or after
    // 5 s): fetched one after another, they would not be answered together.
    const byName = new Map(onDisk.slice(0, 6).map((f) => [`/${f.name}`, f.text]));
    let waiting: (() => void)[] = [];
    let together = false;
    const server = createServer((req, res) => {
      const text = byName.get(req.url ?? '');
      const answer = (): void => {
        if (text === undefined) res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'text/csv' }).end(text);
      };
      if (together) return answer();
      waiting.push(answer);
      if (waiting.length === 4) together = true;
      const release = (): void => {
        const all = waiting;
        waiting = [];
        for (const a of all) a();
      };
      if (together) release();
      else setTimeout(release, 5000);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const urls = [...byName.keys(), '/missing.csv'].map((p) => `http://127.0.0.1:${port}${p}`);
      const results = await runSpreads(urls, { scheduler: 'sync' });
      expect(together).toBe(true);
      expect(good(results)).toEqual(spreadsPlain(onDisk.slice(0, 6)).spreads);
      expect(results.filter(isSpreadFailure).map((r) => [r.file, r.error.code])).toEqual([
        [urls[6], 'ERR_CSV'],
      ]);
    } finally {
      server.close();
    }
  });

  it('names paths in results and errors as told', async () => {
    const names = paths.map((_p, i) => `day ${i + 1}`);
    const results = await runSpreads(paths.slice(0, 5), {
      scheduler: 'sync',
      names: names.slice(0, 5),
    });
    expect(results.map((r) => r.file)).toEqual(names.slice(0, 5));
    const failure = results[2];
    expect(failure !== undefined && isSpreadFailure(failure) && failure.error.message).toMatch(
      /^'day 3' has a header/,
    );
  });

  it("computes a group's paths on their own when its task fails", async () => {
    const { inner, scheduler, failures } = failingFirst('ERR_WORKER_CRASHED');
    const results = await runSpreads(paths.slice(0, 12), { scheduler });
    expect(failures()).toBe(1);
    // The first group (4 files) one by one, then one computation for the next 8.
    expect(inner.runs).toBe(4 + 1);
    expect(good(results)).toEqual(spreadsPlain(onDisk.slice(0, 11)).spreads);
    expect(results.filter(isSpreadFailure).map((r) => r.file)).toEqual([paths[2]]);
  });

  it('computes a failed batch again file by file, so only the bad file fails', async () => {
    const scheduler = counting();
    const starts: StartEvent[] = [];
    const results = await runSpreads(files, {
      scheduler,
      batchSize: 3,
      callbacks: [{ start: (e) => starts.push(e) }],
    });
    // Batches [0,1,2] (with the bad file) and [3,4,5]: the first again as three.
    expect(scheduler.runs).toBe(2 + 3);
    expect(results.map((r) => isSpreadFailure(r))).toEqual(files.map((_f, i) => i === 2));
    expect((results[2] as SpreadResult & { error: BaskError }).error.code).toBe('ERR_CSV');
    // The task count announced covers every file once, whatever the batch size.
    const single = recorder();
    await runSpreads(files.slice(0, 1), { scheduler: 'sync', callbacks: [single], batchSize: 1 });
    expect(starts).toHaveLength(1);
    expect(starts[0]?.ntasks).toBe((single.starts[0]?.ntasks ?? 0) * files.length);
  });

  it('asks a cluster for one value per batch, with the same results and failures per file', async () => {
    const cluster = counting('distributed');
    const starts: StartEvent[] = [];
    const ends: TaskEndEvent[] = [];
    const results = await runSpreads(files, {
      scheduler: cluster,
      batchSize: 4,
      callbacks: [{ start: (e) => starts.push(e), taskEnd: (e) => ends.push(e) }],
    });
    // Batches [0..3] (one key: its list; with the bad file, so again file by file: one key,
    // its [spread, day], each) and [4] (one file: its key, no list).
    expect(cluster.wanted).toEqual([1, 1, 1, 1, 1, 1]);
    expect(results.map((r) => isSpreadFailure(r))).toEqual(files.map((_f, i) => i === 2));
    expect((results[2] as SpreadResult & { error: BaskError }).error.message).toContain('bad.csv');
    const plain = spreadsPlain(GOOD);
    const good = results.filter(
      (r): r is SpreadResult & { spread: number; day: Date } => 'spread' in r,
    );
    expect(good.map((r) => r.spread)).toEqual(plain.spreads);
    expect(good.map((r) => r.day)).toEqual(plain.days);
    // The announced total: every file's tasks, plus the list task of the batch of four.
    const single = recorder();
    await runSpreads(files.slice(0, 1), { scheduler: 'sync', callbacks: [single], batchSize: 1 });
    expect(starts).toHaveLength(1);
    expect(starts[0]?.ntasks).toBe((single.starts[0]?.ntasks ?? 0) * files.length + 1);
  });

  it('gives a last batch of one file no list task', async () => {
    const cluster = counting('distributed');
    const starts: StartEvent[] = [];
    const good = GOOD.map((f) => new File([f.text], f.name));
    await runSpreads(good.slice(0, 3), {
      scheduler: cluster,
      batchSize: 2,
      callbacks: [{ start: (e) => starts.push(e) }],
    });
    expect(cluster.wanted).toEqual([1, 1]);
    const single = recorder();
    await runSpreads(good.slice(0, 1), { scheduler: 'sync', callbacks: [single], batchSize: 1 });
    expect(starts[0]?.ntasks).toBe((single.starts[0]?.ntasks ?? 0) * 3 + 1);
  });

  it('starts a cluster run with small groups by default, so the first results come early', async () => {
    const cluster = counting('distributed');
    const first: number[] = [];
    const results = await runSpreads(dayFiles, {
      scheduler: cluster,
      onResult: (_r, i) => {
        if (first.length === 0) first.push(i);
      },
    });
    // One computation and one value per group: 64 kB of files first, then twice as much...
    expect(cluster.wanted).toEqual(groups.map(() => 1));
    // Two groups are read at once and either read may land first (it failed once, loaded, with
    // the first result from the second group): the first result comes from one of those two
    // small groups, not from the bigger groups after them.
    expect(first[0]).toBeLessThan((groups[0] ?? 0) + (groups[1] ?? 0));
    const plain = spreadsPlain(days);
    expect(results.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(plain.spreads);
  });
});
