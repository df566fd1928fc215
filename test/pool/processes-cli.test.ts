/**
 * `bask spreads --scheduler processes` (from the sources, through tsx): the same JSON as the
 * sync scheduler, a bad file reported with the others, and the command exits by itself once
 * its pool of worker processes is closed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BAD_FILE, CSV_DIR } from '../e2e/expected-spreads.js';

const CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url));

function spreads(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(${JSON.stringify(['spreads', ...args])});`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('bask spreads --scheduler processes', () => {
  it('prints the same results as sync, the bad file with its error, and exits', async () => {
    const [processes, sync] = await Promise.all([
      spreads(CSV_DIR, '--json', '--scheduler', 'processes', '--workers', '2'),
      spreads(CSV_DIR, '--json', '--scheduler', 'sync'),
    ]);
    expect(processes.code).toBe(1); // one file is bad
    expect(processes.stdout).toBe(sync.stdout);
    const rows = JSON.parse(processes.stdout) as { file: string; code?: string }[];
    expect(rows.find((r) => r.file.endsWith(BAD_FILE))?.code).toBe('ERR_CSV');
    expect(rows.filter((r) => r.code === undefined).length).toBeGreaterThan(1);
  });

  it('lists processes among the schedulers in its help', async () => {
    const { stdout } = await spreads('--help');
    expect(stdout).toContain('processes (worker');
  });
});
