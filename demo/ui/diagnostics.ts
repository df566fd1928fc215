/**
 * The diagnostics views: the task stream of the last run (the Profiler's lanes per worker)
 * and the task graph (`visualize`) of the first three files, both SVG drawn by bask.
 */
import { visualize, type Profiler } from 'bask';
import { buildSpreads, type SpreadsOptions } from 'bask/seed';
import { el, showSvg } from './dom.js';
import type { InputFile } from './files.js';

const GRAPH_FILES = 3;

/** The latest graph drawing asked of each host: an older one that finishes later is dropped. */
const latestDraw = new WeakMap<HTMLElement, number>();

/** Draws the task stream of a finished run. */
export function showTaskStream(host: HTMLElement, profiler: Profiler): void {
  showSvg(host, profiler.visualize({ width: Math.max(480, host.clientWidth) }));
}

/** Empties a view, with a hint of what will appear. */
export function clearView(host: HTMLElement, hint: string): void {
  host.replaceChildren(el('p', 'placeholder', hint));
}

/**
 * Draws the graph of the first files as `compute` receives it (before fusion). Building it
 * reads no file: the graph only holds the File handles. `visualize` loads its layout module
 * on the first call, so the drawing arrives a moment later.
 */
export async function showGraph(
  host: HTMLElement,
  files: readonly InputFile[],
  mapping: SpreadsOptions,
): Promise<void> {
  const draw = (latestDraw.get(host) ?? 0) + 1;
  latestDraw.set(host, draw);
  if (files.length === 0) {
    clearView(host, 'The graph of the first files appears when files are chosen.');
    return;
  }
  const { spreads, days } = buildSpreads(
    files.slice(0, GRAPH_FILES).map((f) => f.file),
    mapping,
  );
  // Left to right: three files stack as three short rows instead of one very wide picture.
  const svg = await visualize(spreads, days, { rankdir: 'LR' });
  if (latestDraw.get(host) === draw) showSvg(host, svg);
}
