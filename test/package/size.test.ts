/**
 * Size budgets with size-limit (.size-limit.js): the browser entry an app loads for `delayed` +
 * `compute` + the pool, bask's pool worker, an app's pool worker and a task module's import,
 * each minified and gzipped, on-demand chunks apart.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './apps.js';

interface Check {
  name: string;
  passed: boolean;
  size: number;
  sizeLimit: number;
}

function sizeLimit(): Check[] {
  const bin = join(ROOT, 'node_modules', '.bin', 'size-limit');
  try {
    return JSON.parse(
      execFileSync(bin, ['--json'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }),
    ) as Check[];
  } catch (error) {
    const e = error as { stdout?: string; message: string };
    // size-limit exits 1 when a budget is exceeded, with the figures on stdout.
    if (e.stdout?.trim().startsWith('[')) return JSON.parse(e.stdout) as Check[];
    throw error;
  }
}

describe('bundle sizes (size-limit)', () => {
  it('keeps every entry within its budget', () => {
    const checks = sizeLimit();
    expect(checks.length).toBeGreaterThanOrEqual(4);
    const over = checks
      .filter((c) => !c.passed)
      .map((c) => `${c.name}: ${c.size} B > ${c.sizeLimit} B`);
    expect(over).toEqual([]);
  });
});
