/**
 * Heavy things load on demand: following only the static imports from each package entry, no
 * path reaches a view library (uPlot's charts, dagre's graph layout). A regression test: the
 * dashboard's views were once imported by `mountDashboard`'s module, so `import 'bask'` in Node
 * loaded both (and every bundle of an app that mounts a dashboard carried them up front).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEAVY = ['uplot', '@dagrejs/dagre'];

/** Static, non-type imports of a source file: relative paths and bare package names. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms))
    out.push(m[1] as string);
  for (const m of text.matchAll(/^import\s+'([^']+)';/gm)) out.push(m[1] as string);
  return out;
}

/** Every package reached from `entry` through static imports, with the path to it. */
function reachedPackages(entry: string): Map<string, string[]> {
  const seen = new Set<string>();
  const packages = new Map<string, string[]>();
  const walk = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), [...path, spec]);
      } else if (!packages.has(spec)) {
        packages.set(spec, [...path, spec]);
      }
    }
  };
  walk(resolve(ROOT, entry), [entry]);
  return packages;
}

describe('package entries', () => {
  for (const entry of ['src/index.node.ts', 'src/index.browser.ts', 'src/index.worker.ts']) {
    it(`${entry} reaches no view library through static imports`, () => {
      const reached = reachedPackages(entry);
      expect(reached.has('comlink')).toBe(true); // the walk follows imports
      for (const heavy of HEAVY) expect(reached.get(heavy)).toBeUndefined();
    });
  }
});
