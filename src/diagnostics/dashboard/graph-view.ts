/**
 * The /graph view: the scheduler's tasks as a graph, coloured by state (a box per task for
 * small graphs; per task group, with counts, beyond MAX_GRAPH_NODES, the scheduler decides).
 * Laid out by dagre through `renderNodeGraph` (visualize.ts).
 *
 * Policy: the graph is asked for when the view opens and again only when the tasks' states
 * changed, at most every REFRESH_MS; the scheduler rate-limits and caches on its side too.
 */
import type { TaskState } from '../../engine/types.js';
import type { GraphSnapshot } from '../../wire/dashboard-protocol.js';
import { escapeXml as esc } from '../svg.js';
import { renderNodeGraph, type DrawNode } from '../visualize.js';
import type { DashboardConnection } from './connection.js';
import type { DashboardModel } from './model.js';

const REFRESH_MS = 2000;

/** Fill colours of tasks by state (the same as the progress bars). */
const STATE_COLORS: Partial<Record<TaskState, string>> = {
  waiting: '#eeeeee',
  queued: '#dddddd',
  processing: '#ffe08a',
  memory: '#b7e4b0',
  erred: '#f4a6a6',
  released: '#c6dbef',
};

/** Keeps a graph drawing in `host` up to date. */
export class GraphView {
  private lastStates = '';
  private lastAsked = 0;
  private asking = false;
  private closed = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly connection: DashboardConnection,
  ) {
    host.innerHTML = '<p class="bask-note">Loading the graph…</p>';
  }

  /** Asks for a new graph when states changed and the last one is old enough. */
  update(model: DashboardModel, now: number): void {
    const states = JSON.stringify(model.latest?.totals.states ?? {});
    if (this.asking || (states === this.lastStates && this.lastAsked > 0)) return;
    if (now - this.lastAsked < REFRESH_MS) return;
    this.lastStates = states;
    this.lastAsked = now;
    this.asking = true;
    this.connection.requestGraph().then(
      (graph) => {
        this.asking = false;
        if (!this.closed) this.draw(graph);
      },
      () => {
        this.asking = false;
        this.lastAsked = 0;
      },
    );
  }

  /** Stops drawing. */
  destroy(): void {
    this.closed = true;
  }

  private draw(graph: GraphSnapshot): void {
    const summary =
      graph.level === 'tasks'
        ? `${graph.tasks.toLocaleString('en-US')} tasks`
        : `${graph.tasks.toLocaleString('en-US')} tasks in ${graph.nodes.length} groups (too many to draw one by one)`;
    const head =
      `<p class="bask-note bask-graph-summary" data-level="${graph.level}" data-tasks="${graph.tasks}">${esc(summary)}</p>` +
      '<div class="bask-key">' +
      Object.entries(STATE_COLORS)
        .map(([s, c]) => `<span><i style="background:${c}"></i>${s}</span>`)
        .join('') +
      '</div>';
    if (graph.nodes.length === 0) {
      this.host.innerHTML = `${head}<p class="bask-note">The scheduler holds no tasks right now.</p>`;
      return;
    }
    const nodes: DrawNode[] = graph.nodes.map((n) =>
      graph.level === 'tasks'
        ? {
            id: n.id,
            label: n.group,
            sub: n.id,
            kind: 'task',
            state: n.state ?? 'released',
            fill: STATE_COLORS[n.state ?? 'released'] ?? '#fff',
          }
        : groupNode(n.id, n.states ?? {}),
    );
    const edges = graph.edges.map(
      ([from, to]) => [graph.nodes[from]?.id ?? '', graph.nodes[to]?.id ?? ''] as const,
    );
    this.host.innerHTML = `${head}<div class="bask-graph-box">${renderNodeGraph(nodes, edges)}</div>`;
  }
}

function groupNode(name: string, counts: Partial<Record<TaskState, number>>): DrawNode {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const busiest = (
    ['erred', 'processing', 'waiting', 'queued', 'memory', 'released'] as const
  ).find((s) => (counts[s] ?? 0) > 0);
  return {
    id: name,
    label: name,
    sub: `${total.toLocaleString('en-US')} tasks, ${(counts.memory ?? 0).toLocaleString('en-US')} held`,
    kind: 'group',
    state: busiest ?? 'released',
    fill: STATE_COLORS[busiest ?? 'released'] ?? '#fff',
  };
}
