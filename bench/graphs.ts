/**
 * The benchmark graphs, the same shapes as the Dask anchors (bench_dask_local.py): a tree
 * reduction (N `inc` leaves summed pairwise by `add`: 2N-1 tasks) and a chain (N `inc` tasks),
 * as raw graphs and through `delayed`.
 */
import { delayed, ref, task, type Delayed } from 'bask';

/** x + 1 */
export const inc = (x: number): number => x + 1;
/** a + b */
export const add = (a: number, b: number): number => a + b;

/** A raw tree-reduction graph; the root's value is N(N+1)/2. */
export function treeGraph(n: number): {
  graph: Record<string, unknown>;
  key: string;
  tasks: number;
  expect: number;
} {
  const graph: Record<string, unknown> = {};
  let level: string[] = [];
  for (let i = 0; i < n; i++) {
    graph[`inc-${i}`] = task(inc, i);
    level.push(`inc-${i}`);
  }
  let c = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let j = 0; j + 1 < level.length; j += 2) {
      const k = `add-${c++}`;
      graph[k] = task(add, ref(level[j] as string), ref(level[j + 1] as string));
      next.push(k);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as string);
    level = next;
  }
  return { graph, key: level[0] as string, tasks: 2 * n - 1, expect: (n * (n + 1)) / 2 };
}

/** A raw chain graph; the last value is N. */
export function chainGraph(n: number): {
  graph: Record<string, unknown>;
  key: string;
  tasks: number;
  expect: number;
} {
  const graph: Record<string, unknown> = { 'inc-0': task(inc, 0) };
  for (let i = 1; i < n; i++) graph[`inc-${i}`] = task(inc, ref(`inc-${i - 1}`));
  return { graph, key: `inc-${n - 1}`, tasks: n, expect: n };
}

/** The tree through delayed. */
export function delayedTree(n: number): Delayed<number> {
  const dinc = delayed(inc);
  const dadd = delayed(add);
  let level: Delayed<number>[] = Array.from({ length: n }, (_, i) => dinc(i));
  while (level.length > 1) {
    const next: Delayed<number>[] = [];
    for (let j = 0; j + 1 < level.length; j += 2)
      next.push(dadd(level[j] as Delayed<number>, level[j + 1] as Delayed<number>));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Delayed<number>);
    level = next;
  }
  return level[0] as Delayed<number>;
}

/** The chain through delayed. */
export function delayedChain(n: number): Delayed<number> {
  const dinc = delayed(inc);
  let x = dinc(0);
  for (let i = 1; i < n; i++) x = dinc(x);
  return x;
}
