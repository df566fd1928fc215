/**
 * runSpreads over Files and over paths on real pools (threads and processes): each group of
 * files read ahead is one task over its bytes, moved to a worker as read, and each group of
 * paths one task that reads them in the worker (src/seed/group.ts); the results and the
 * per-file errors are those of the sync scheduler computing file by file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type TaskEndEvent } from '../../src/index.node.js';
import { processRuntime } from '../../src/local/runtime-process.js';
import { generateStocks, runSpreads, type SpreadResult } from '../../src/seed/index.js';
import { batchStarts } from '../../src/seed/batches.js';
import { planGroups } from '../../src/wire/blob-bytes.js';
import { seedPaths } from '../seed-paths.js';

const pools: Pool[] = [];
/** The pools both suites run on: worker threads, worker processes. */
const POOLS = [
  ['threads', {}],
  ['processes', { runtime: processRuntime }],
] as const;
afterAll(() => Promise.all(pools.map((p) => p.close())));

const files = generateStocks({ days: 30, minutes: 390 }).map((f) => new File([f.text], f.name));
files.splice(3, 0, new File(['timestamp,high,low\n'], 'header_only.csv'));
files.splice(20, 0, new File(['timestamp,high,low\n2023-01-02 09:30,1,oops\n'], 'oops.csv'));

/**
 * runSpreads over `inputs` on a new pool of two workers (with `options`), and file by file on
 * sync: both results and the pool's task ends.
 */
async function onPoolAndSync(
  inputs: readonly (File | string)[],
  options: (typeof POOLS)[number][1],
): Promise<{ results: SpreadResult[]; sync: SpreadResult[]; ends: TaskEndEvent[] }> {
  const pool = new Pool({ numWorkers: 2, ...options });
  pools.push(pool);
  const sync = await runSpreads(inputs, { scheduler: 'sync', batchSize: 1 });
  const ends: TaskEndEvent[] = [];
  const results = await runSpreads(inputs, {
    scheduler: pool,
    callbacks: [{ taskEnd: (e) => ends.push(e) }],
  });
  return { results, sync, ends };
}

/** What a user compares: each file's name and its spread and day, or its error's code and message. */
function outcomes(results: readonly SpreadResult[]): unknown[] {
  return results.map((r) =>
    'error' in r ? [r.file, r.error.code, r.error.message] : [r.file, r.spread, r.day],
  );
}

describe('runSpreads over Files on a pool', () => {
  for (const [name, options] of POOLS) {
    it(`computes each group of files as one task on ${name}, as sync does file by file`, async () => {
      const { results, sync, ends } = await onPoolAndSync(files, options);
      expect(outcomes(results)).toEqual(outcomes(sync));
      expect(ends).toHaveLength(planGroups(files).length);
      expect(results.filter((r) => 'error' in r).map((r) => r.file)).toEqual([
        'header_only.csv',
        'oops.csv',
      ]);
    });
  }
});

describe('runSpreads over paths on a pool', () => {
  const { paths } = seedPaths(40, 390, { headerOnlyAt: 5, missingAt: 30 });

  for (const [name, options] of POOLS) {
    it(`reads and computes each group of paths as one task on ${name}, as sync does file by file`, async () => {
      const { results, sync, ends } = await onPoolAndSync(paths, options);
      expect(outcomes(results)).toEqual(outcomes(sync));
      expect(ends).toHaveLength(batchStarts(paths.length, 32, 4).length - 1);
      expect(results.filter((r) => 'error' in r).map((r) => r.file)).toEqual([paths[5], paths[30]]);
    });
  }
});
