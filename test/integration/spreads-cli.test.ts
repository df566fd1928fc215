/**
 * `bask spreads` as users run it: `node bin/bask.js spreads ...` in a real process, against the
 * demo's fixture CSVs, checked against spreads computed without bask (test/e2e's
 * expected-spreads.ts). Needs the built CLI (`npm run build`; `npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler, startWorker } from './cluster.js';
import {
  BAD_FILE,
  CSV_DIR,
  MAPPED_FILE,
  badLine,
  expectedFixtures,
  expectedSpread,
  fixtureNames,
} from '../e2e/expected-spreads.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'bask.js');
/** The fixture folder as users type it: relative to the working directory. */
const FOLDER = relative(ROOT, CSV_DIR).replace(/\/$/, '');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bask(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonRow {
  file: string;
  day?: string;
  spread?: number;
  error?: string;
  code?: string;
}

let empty: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'server', 'cli.js'))) {
    throw new Error('dist/server/cli.js is missing: run `npm run build` before these tests.');
  }
  empty = await mkdtemp(join(tmpdir(), 'bask-spreads-'));
  await writeFile(join(empty, 'notes.txt'), 'not a CSV');
});

afterAll(async () => {
  if (empty !== undefined) await rm(empty, { recursive: true, force: true });
});

describe('bask spreads', () => {
  it('prints a table of a folder: day and spread per file, the bad file with its line', async () => {
    const { code, stdout, stderr } = await bask('spreads', FOLDER, '--scheduler', 'sync');
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^file\s+day\s+spread$/);
    for (const expected of expectedFixtures()) {
      const path = join(FOLDER, expected.name);
      const line = lines.find((l) => l.startsWith(`${path} `));
      expect(line, path).toBeDefined();
      expect(line?.split(/\s+/).slice(1)).toEqual([expected.day, expected.spread.toFixed(4)]);
    }
    const bad = join(FOLDER, BAD_FILE);
    const badRow = lines.find((l) => l.startsWith(`${bad} `));
    expect(badRow).toContain(`error: '${bad}', line ${badLine()}: column 'high'`);
    expect(stdout).toContain(`1 of ${fixtureNames().length} files failed.`);
    expect(lines[lines.length - 1]).toMatch(/^Wall time: [\d.]+ (s|ms|µs)$/);
    expect(stderr).toContain('% Completed');
  });

  it('prints JSON with --json: exact spreads, ISO days, the error and its code', async () => {
    const { code, stdout, stderr } = await bask('spreads', FOLDER, '--json');
    expect(code).toBe(1);
    const rows = JSON.parse(stdout) as JsonRow[];
    expect(rows.map((r) => r.file)).toEqual(fixtureNames().map((n) => join(FOLDER, n)));
    for (const expected of expectedFixtures()) {
      expect(rows).toContainEqual({
        file: join(FOLDER, expected.name),
        day: expected.day,
        spread: expected.spread,
      });
    }
    const bad = rows.find((r) => r.file === join(FOLDER, BAD_FILE));
    expect(bad?.code).toBe('ERR_CSV');
    expect(bad?.error).toContain(`line ${badLine()}`);
    expect(Object.keys(bad ?? {}).sort()).toEqual(['code', 'error', 'file']);
    expect(stderr).toMatch(/Wall time: [\d.]+ (s|ms|µs)/);
  });

  it('gives the same results on sync and on the pool, with any worker count', async () => {
    const sync = await bask('spreads', FOLDER, '--json', '--scheduler', 'sync');
    const threads = await bask('spreads', FOLDER, '--json', '--scheduler', 'threads');
    const one = await bask('spreads', FOLDER, '--json', '--workers', '1');
    expect(JSON.parse(threads.stdout)).toEqual(JSON.parse(sync.stdout));
    expect(JSON.parse(one.stdout)).toEqual(JSON.parse(sync.stdout));
  });

  it('exits 0 when every file computed, and reports a missing file with the others', async () => {
    const good = expectedFixtures().map((e) => join(FOLDER, e.name));
    const ok = await bask('spreads', ...good, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveLength(good.length);

    const withMissing = await bask('spreads', good[0] as string, 'no-such-file.csv', '--json');
    expect(withMissing.code).toBe(1);
    const rows = JSON.parse(withMissing.stdout) as JsonRow[];
    expect(rows[0]?.spread).toBe(expectedFixtures()[0]?.spread);
    expect(rows[1]).toMatchObject({ file: 'no-such-file.csv', code: 'ERR_CSV' });
    expect(rows[1]?.error).toContain('no such file');
  });

  it('maps columns with --timestamp, --high and --low', async () => {
    const unmapped = await bask('spreads', MAPPED_FILE, '--json');
    expect(unmapped.code).toBe(1);
    const [failure] = JSON.parse(unmapped.stdout) as JsonRow[];
    expect(failure?.error).toContain("has no 'high' column");
    expect(failure?.error).toContain('--high <column>');

    const mapped = await bask(
      'spreads',
      MAPPED_FILE,
      '--timestamp',
      'when',
      '--high',
      'bid_high',
      '--low',
      'BID_LOW',
      '--json',
    );
    expect(mapped.code).toBe(0);
    const expected = expectedSpread('custom-columns.csv', readFileSync(MAPPED_FILE, 'utf8'), {
      timestamp: 'when',
      high: 'bid_high',
      low: 'bid_low',
    });
    expect(JSON.parse(mapped.stdout)).toEqual([
      { file: MAPPED_FILE, day: expected.day, spread: expected.spread },
    ]);

    const wrong = await bask('spreads', MAPPED_FILE, '--high', 'nope', '--low', 'bid_low');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("has no column 'nope'");
  });

  it('says clearly that a folder has no CSV files (exit 2)', async () => {
    const { code, stdout, stderr } = await bask('spreads', empty);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`the folder '${empty}' has no .csv files`);
    expect(stderr).toContain('[ERR_INVALID_ARGUMENT]');
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    const cases: [string[], string][] = [
      [[], 'no input'],
      [[FOLDER, '--bogus'], "Unknown option '--bogus'"],
      [[FOLDER, '--workers', '0'], '--workers: expected a positive integer'],
      [
        [FOLDER, '--scheduler', 'gpu'],
        '--scheduler: expected sync, threads, processes or a cluster address',
      ],
      [[FOLDER, '--high', ''], '--high: expected a column name'],
    ];
    for (const [args, message] of cases) {
      const run = await bask('spreads', ...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    }
  });

  it('says clearly when no scheduler answers at a ws:// address', async () => {
    const run = await bask('spreads', FOLDER, '--scheduler', 'ws://127.0.0.1:1');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Is a bask scheduler running there?');
    expect(run.stderr).toContain('[ERR_CONNECTION]');
  });

  it('computes on a real cluster (scheduler + worker) the same table as sync', async () => {
    const { address } = await startScheduler();
    await startWorker(address, ['--nthreads', '2']);
    const cluster = await bask('spreads', FOLDER, '--scheduler', address, '--json');
    const sync = await bask('spreads', FOLDER, '--scheduler', 'sync', '--json');
    expect(JSON.parse(cluster.stdout)).toEqual(JSON.parse(sync.stdout));
  });

  it('prints its options with --help', async () => {
    const run = await bask('spreads', '--help');
    expect(run.code).toBe(0);
    for (const option of ['--scheduler', '--workers', '--timestamp', '--high', '--low', '--json']) {
      expect(run.stdout).toContain(option);
    }
  });
});

describe('bask', () => {
  it('lists every command with --help', async () => {
    const run = await bask('--help');
    expect(run.code).toBe(0);
    for (const name of ['scheduler', 'worker', 'spreads', 'demo'])
      expect(run.stdout).toContain(name);
  });

  it('refuses an unknown command, even one named like an object member (exit 2)', async () => {
    // Regression: 'toString' was found in the command table through its prototype.
    for (const name of ['toString', 'nope']) {
      const run = await bask(name);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`unknown command '${name}'`);
    }
  });
});
