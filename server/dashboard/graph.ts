/**
 * The task graph for the dashboards' /graph page, from the engine's task records: one node per
 * task with its state when the scheduler knows at most MAX_GRAPH_NODES tasks, else one node
 * per task group with its tasks counted by state and one edge per pair of groups.
 *
 * Policy (Dask's graph page is known to starve its scheduler): a snapshot is built only when a
 * dashboard asks, shared by every dashboard, and reused for SNAPSHOT_COST_RATIO times what it
 * cost to build (at least MIN_AGE_MS), so that asking never takes more than a few percent of
 * the scheduler's time whatever the graph size.
 */
import type { Engine } from '../../src/engine/engine.js';
import type { TaskGroup, TaskRecord } from '../../src/engine/types.js';
import type { GraphNode, GraphSnapshot } from '../../src/wire/dashboard-protocol.js';

/** Graphs with more tasks than this are summarised by task group. */
export const MAX_GRAPH_NODES = 1500;
const SNAPSHOT_COST_RATIO = 50;
const MIN_AGE_MS = 1000;

/** Builds graph snapshots on demand and keeps the last one while it is fresh enough. */
export class GraphSnapshots {
  private last: GraphSnapshot | undefined;
  private freshUntil = 0;

  /** The graph as of now, or as of a moment ago when a snapshot was just built. */
  get(engine: Engine, now: number): GraphSnapshot {
    if (this.last !== undefined && now < this.freshUntil) return this.last;
    const began = performance.now();
    this.last = describeGraph(engine, now);
    const cost = performance.now() - began;
    this.freshUntil = now + Math.max(MIN_AGE_MS, SNAPSHOT_COST_RATIO * cost);
    return this.last;
  }
}

/** The engine's tasks as a graph snapshot (summarised by group past MAX_GRAPH_NODES). */
export function describeGraph(engine: Engine, now: number): GraphSnapshot {
  const tasks = engine.tasks;
  if (tasks.size <= MAX_GRAPH_NODES) {
    const index = new Map<TaskRecord, number>();
    const nodes: GraphNode[] = [];
    for (const t of tasks.values()) {
      index.set(t, nodes.length);
      nodes.push({ id: t.key, group: t.group.name, state: t.state });
    }
    const edges: [number, number][] = [];
    for (const t of tasks.values()) {
      const to = index.get(t) as number;
      for (const dep of t.dependencies) {
        const from = index.get(dep);
        if (from !== undefined) edges.push([from, to]);
      }
    }
    return { level: 'tasks', tasks: tasks.size, nodes, edges, time: now };
  }
  return summarise(engine, now);
}

function summarise(engine: Engine, now: number): GraphSnapshot {
  const index = new Map<TaskGroup, number>();
  const nodes: GraphNode[] = [];
  const pairs = new Set<number>();
  const indexOf = (group: TaskGroup): number => {
    let i = index.get(group);
    if (i === undefined) {
      i = nodes.length;
      index.set(group, i);
      nodes.push({ id: group.name, group: group.name, states: {} });
    }
    return i;
  };
  for (const t of engine.tasks.values()) {
    const to = indexOf(t.group);
    const states = (nodes[to] as GraphNode).states as NonNullable<GraphNode['states']>;
    states[t.state] = (states[t.state] ?? 0) + 1;
    for (const dep of t.dependencies) {
      if (dep.group === t.group) continue;
      // Group indices pack into one number: no string per edge.
      pairs.add(indexOf(dep.group) * 0x200000 + to);
    }
  }
  const edges: [number, number][] = [...pairs].map((p) => [Math.floor(p / 0x200000), p % 0x200000]);
  return { level: 'groups', tasks: engine.tasks.size, nodes, edges, time: now };
}
