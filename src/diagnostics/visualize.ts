/**
 * `visualize`: a task graph as DOT text or as a self-contained SVG string (layout by dagre).
 * One box per task, labelled with its function (or `data` for literals) and its key; edges
 * point from a dependency to its dependent, as in Dask's `visualize`.
 *
 * Policy: graphs past MAX_NODES are drawn as a summary by task group (key prefix) so that a
 * 100k-task graph never hangs a page. The core never imports this module statically: api.ts
 * loads it (and dagre) with the first `visualize` call, as a chunk of its own.
 */
import dagre from '@dagrejs/dagre';
import type { GraphView } from '../graph/analyze.js';
import { indexGraph } from '../graph/analyze.js';
import { opName } from '../graph/fnref.js';
import { Task } from '../graph/spec.js';
import type { VisualizeOptions } from '../delayed/types.js';

/**
 * The part of dagre's API used here. dagre 3.1.3 ships `.d.ts` files with extensionless relative
 * imports in a `"type": "module"` package, which NodeNext cannot resolve: its types arrive as
 * error types (tsc is quiet under skipLibCheck; typescript-eslint is not). Remove this facade
 * when dagre's declarations resolve.
 */
interface DagreBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface DagreEdgeId {
  v: string;
  w: string;
}
interface DagreGraph {
  setGraph(label: {
    rankdir: string;
    nodesep: number;
    ranksep: number;
    marginx: number;
    marginy: number;
  }): void;
  setDefaultEdgeLabel(label: () => object): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string): void;
  graph(): { width?: number; height?: number };
  edges(): DagreEdgeId[];
  edge(e: DagreEdgeId): { points?: { x: number; y: number }[] };
  node(id: string): DagreBox;
}
const layoutLib = dagre as unknown as {
  graphlib: { Graph: new () => DagreGraph };
  layout(g: DagreGraph): void;
};

const MAX_NODES = 1500;
const CHAR_WIDTH = 7;

/** A box of a drawn graph: a task, a literal, or a task group (a summary). */
export interface DrawNode {
  id: string;
  label: string;
  sub: string;
  kind: 'task' | 'data' | 'group';
  /** Fill colour (default: by kind). */
  fill?: string;
  /** A state to expose as `data-state` (the dashboard colours tasks by state). */
  state?: string;
}

/** Renders the graph `keys` need, as SVG (default) or DOT. */
export function renderGraph(
  view: GraphView,
  keys: readonly string[],
  options: VisualizeOptions = {},
): string {
  const { nodes, edges } = describe(view, keys);
  return options.format === 'dot' ? toDot(nodes, edges, options) : toSvg(nodes, edges, options);
}

function functionLabel(node: unknown): { label: string; kind: 'task' | 'data' } {
  if (!(node instanceof Task)) return { label: 'data', kind: 'data' };
  const op = opName(node.fn);
  if (op === 'getattr') return { label: `.${String(node.args[1])}`, kind: 'task' };
  if (op === 'methodcall') return { label: `.${String(node.args[1])}()`, kind: 'task' };
  if (op !== undefined) return { label: op.replace(/^op\./, ''), kind: 'task' };
  return { label: node.fn.name || 'lambda', kind: 'task' };
}

function describe(
  view: GraphView,
  keys: readonly string[],
): { nodes: DrawNode[]; edges: [string, string][] } {
  const index = indexGraph(view, keys);
  const n = index.keys.length;
  const edges: [string, string][] = [];
  if (n <= MAX_NODES) {
    const nodes = index.keys.map((key, id) => ({
      id: key,
      sub: key,
      ...functionLabel(index.nodes[id]),
    }));
    for (let i = 0; i < n; i++) {
      for (let e = index.depStart[i] as number; e < (index.depStart[i + 1] as number); e++) {
        const d = index.depList[e] as number;
        if (d >= 0) edges.push([index.keys[d] as string, index.keys[i] as string]);
      }
    }
    return { nodes, edges };
  }
  // Summary: one node per key prefix, one edge per pair of groups.
  const groupOf = (key: string): string => {
    const dash = key.lastIndexOf('-');
    return dash > 0 ? key.slice(0, dash) : key;
  };
  const counts = new Map<string, number>();
  for (const key of index.keys) counts.set(groupOf(key), (counts.get(groupOf(key)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (let e = index.depStart[i] as number; e < (index.depStart[i + 1] as number); e++) {
      const d = index.depList[e] as number;
      if (d < 0) continue;
      const pair: [string, string] = [
        groupOf(index.keys[d] as string),
        groupOf(index.keys[i] as string),
      ];
      const id = pair.join('\u0000');
      if (pair[0] !== pair[1] && !seen.has(id)) {
        seen.add(id);
        edges.push(pair);
      }
    }
  }
  const nodes = [...counts].map(([group, count]) => ({
    id: group,
    label: group,
    sub: `${count.toLocaleString('en-US')} tasks`,
    kind: 'group' as const,
  }));
  return { nodes, edges };
}

/** Lays out boxes and edges (dependency -> dependent) with dagre and draws them as SVG. */
export function renderNodeGraph(
  nodes: readonly DrawNode[],
  edges: readonly (readonly [string, string])[],
  options: VisualizeOptions = {},
): string {
  return toSvg(nodes, edges, options);
}

function dotString(text: string): string {
  return JSON.stringify(text);
}

function toDot(nodes: DrawNode[], edges: [string, string][], options: VisualizeOptions): string {
  const lines = [`digraph bask {`, `  rankdir=${options.rankdir === 'LR' ? 'LR' : 'BT'};`];
  for (const node of nodes) {
    const shape = node.kind === 'data' ? 'box' : node.kind === 'group' ? 'box3d' : 'ellipse';
    lines.push(
      `  ${dotString(node.id)} [label=${dotString(`${node.label}\n${node.sub}`)}, shape=${shape}];`,
    );
  }
  for (const [from, to] of edges) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push('}');
  return lines.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function toSvg(
  nodes: readonly DrawNode[],
  edges: readonly (readonly [string, string])[],
  options: VisualizeOptions,
): string {
  const g = new layoutLib.graphlib.Graph();
  g.setGraph({
    rankdir: options.rankdir === 'LR' ? 'LR' : 'BT',
    nodesep: 16,
    ranksep: 28,
    marginx: 8,
    marginy: 8,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const width = Math.max(node.label.length, Math.min(node.sub.length, 28)) * CHAR_WIDTH + 20;
    g.setNode(node.id, { width, height: 38 });
  }
  for (const [from, to] of edges) g.setEdge(from, to);
  layoutLib.layout(g);
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 0);
  const height = Math.ceil(graph.height ?? 0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="bask-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    '<defs><marker id="bask-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>',
  ];
  for (const e of g.edges()) {
    const points = g.edge(e).points ?? [];
    const d = points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="#555" stroke-width="1" marker-end="url(#bask-arrow)"/>`,
    );
  }
  for (const node of nodes) {
    const box = g.node(node.id);
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const fill =
      node.fill ??
      (node.kind === 'data' ? '#f3f0e8' : node.kind === 'group' ? '#e8eef7' : '#e6f4ea');
    const state = node.state === undefined ? '' : ` data-state="${escapeXml(node.state)}"`;
    const rx = node.kind === 'task' ? 14 : 3;
    const sub = node.sub.length > 28 ? node.sub.slice(0, 27) + '…' : node.sub;
    parts.push(
      `<g class="bask-node" data-key="${escapeXml(node.id)}"${state}><title>${escapeXml(node.id)}</title>` +
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${box.width}" height="${box.height}" rx="${rx}" fill="${fill}" stroke="#444"/>` +
        `<text x="${box.x.toFixed(1)}" y="${(box.y - 3).toFixed(1)}" text-anchor="middle" font-weight="600">${escapeXml(node.label)}</text>` +
        `<text x="${box.x.toFixed(1)}" y="${(box.y + 11).toFixed(1)}" text-anchor="middle" fill="#555" font-size="9">${escapeXml(sub)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
