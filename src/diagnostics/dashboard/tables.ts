/**
 * The dashboard's HTML fragments: totals, progress by task group, and the worker tables, as
 * strings for `innerHTML` (every value escaped). Rows carry their numbers as data attributes
 * so that scripts and tests read what the page shows without parsing text.
 */
import type {
  DashboardTotals,
  GroupProgress,
  WorkerStatus,
} from '../../wire/dashboard-protocol.js';
import { escapeXml as esc } from '../svg.js';
import { formatAge, formatByPath, formatBytes, formatCount, formatRate } from './format.js';

/** The totals strip of /status. */
export function totalsHtml(t: DashboardTotals): string {
  const item = (name: string, value: number, shown: string, label: string): string =>
    `<div data-total="${name}" data-value="${value}"><b>${esc(shown)}</b><span>${esc(label)}</span></div>`;
  const states = t.states;
  return [
    item('tasksDone', t.tasksDone, formatCount(t.tasksDone), 'tasks done'),
    item('tasksErred', t.tasksErred, formatCount(t.tasksErred), 'tasks failed'),
    item('tasksPerSecond', t.tasksPerSecond, formatRate(t.tasksPerSecond), 'tasks per second'),
    item('processing', states.processing ?? 0, formatCount(states.processing ?? 0), 'processing'),
    item(
      'waiting',
      (states.waiting ?? 0) + (states.queued ?? 0),
      formatCount((states.waiting ?? 0) + (states.queued ?? 0)),
      'waiting',
    ),
    item('keysHeld', t.keysHeld, formatCount(t.keysHeld), 'results held'),
    item('bytesHeld', t.bytesHeld, formatBytes(t.bytesHeld), 'data held'),
    item('bytesMoved', t.bytesMoved, formatBytes(t.bytesMoved), 'moved between workers'),
    item('processes', t.processes, formatCount(t.processes), 'workers'),
    item('threads', t.threads, formatCount(t.threads), 'threads'),
  ].join('');
}

/** Progress bars by task group: released / in memory / erred / processing / waiting. */
export function groupsHtml(groups: readonly GroupProgress[], omitted: number): string {
  if (groups.length === 0) return '<p class="bask-note">No tasks yet.</p>';
  const rows = groups.map((g) => {
    const total = Math.max(1, g.total);
    const pct = (n: number): string => `${((100 * n) / total).toFixed(2)}%`;
    const released = Math.max(0, g.done - g.memory);
    return (
      `<tr data-group="${esc(g.name)}" data-total="${g.total}" data-done="${g.done}" data-memory="${g.memory}" ` +
      `data-processing="${g.processing}" data-waiting="${g.waiting}" data-erred="${g.erred}">` +
      `<td>${esc(g.name)}</td>` +
      `<td><div class="bask-bar" title="${g.done} done, ${g.memory} in memory, ${g.processing} processing, ${g.waiting} waiting, ${g.erred} erred">` +
      `<i class="released" style="width:${pct(released)}"></i><i class="memory" style="width:${pct(g.memory)}"></i>` +
      `<i class="erred" style="width:${pct(g.erred)}"></i><i class="processing" style="width:${pct(g.processing)}"></i></div></td>` +
      `<td class="num">${formatCount(g.done)} / ${formatCount(g.total)}</td>` +
      `<td class="num">${formatCount(g.memory)}</td><td class="num">${formatCount(g.processing)}</td>` +
      `<td class="num">${formatCount(g.waiting)}</td><td class="num">${formatCount(g.erred)}</td></tr>`
    );
  });
  const more =
    omitted > 0
      ? `<p class="bask-note">${formatCount(omitted)} more task groups not listed.</p>`
      : '';
  return (
    '<div class="bask-key"><span><i style="background:#6baed6"></i>done, released</span><span><i style="background:#31a354"></i>in memory</span>' +
    '<span><i style="background:#d62728"></i>erred</span><span><i style="background:#a1d99b"></i>processing</span><span><i style="background:#eee"></i>waiting</span></div>' +
    '<table class="bask-groups"><thead><tr><th>group</th><th>progress</th><th class="num">done / total</th>' +
    '<th class="num">in memory</th><th class="num">processing</th><th class="num">waiting</th><th class="num">erred</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>${more}`
  );
}

function memoryBar(w: WorkerStatus, scale: number): string {
  const limit = w.memoryLimit > 0 ? w.memoryLimit : scale;
  const fraction = limit > 0 ? Math.min(1, w.memory / limit) : 0;
  const high = w.memoryLimit > 0 && fraction > 0.8 ? ' high' : '';
  const text = `${formatBytes(w.memory)}${w.memoryLimit > 0 ? ` / ${formatBytes(w.memoryLimit)}` : ''}`;
  return `<div class="bask-bar" title="${esc(text)}"><i class="used${high}" style="width:${(100 * fraction).toFixed(1)}%"></i></div><small>${esc(text)}</small>`;
}

/** The name cell's badge of a quarantined worker (its reason as the tooltip). */
function quarantineBadge(w: WorkerStatus): string {
  const q = w.quarantined;
  if (q === undefined) return '';
  return ` <span class="bask-quarantined" title="${esc(`${q.reason} (task ${q.key})`)}">quarantined</span>`;
}

/** The row attribute that marks a quarantined worker. */
function quarantineAttr(w: WorkerStatus): string {
  return w.quarantined === undefined ? '' : ` data-quarantined="${esc(w.quarantined.key)}"`;
}

/** The badge and row attribute of a worker paused past its memory pause threshold. */
function pausedBadge(w: WorkerStatus): string {
  return w.paused === true
    ? ' <span class="bask-paused" title="past its memory pause threshold: no new tasks">paused</span>'
    : '';
}

function pausedAttr(w: WorkerStatus): string {
  return w.paused === true ? ' data-paused="true"' : '';
}

/** The short table of workers on /status. */
export function workerSummaryHtml(workers: readonly WorkerStatus[]): string {
  if (workers.length === 0)
    return '<p class="bask-note">No workers: start some with <code>bask worker ADDRESS</code>.</p>';
  const scale = Math.max(0, ...workers.map((w) => w.memory));
  const rows = workers.map(
    (w) =>
      `<tr data-worker="${esc(w.name)}" data-running="${w.running}" data-done="${w.done}" data-memory="${w.memory}"${quarantineAttr(w)}${pausedAttr(w)}>` +
      `<td>${esc(w.name)}${quarantineBadge(w)}${pausedBadge(w)}</td><td>${memoryBar(w, scale)}</td><td class="num">${formatCount(w.running)}</td>` +
      `<td class="num">${formatCount(w.done)}</td><td class="num">${formatCount(w.keys)} · ${formatBytes(w.bytes)}</td></tr>`,
  );
  return (
    '<table class="bask-worker-summary"><thead><tr><th>worker</th><th>memory</th><th class="num">running</th>' +
    `<th class="num">done</th><th class="num">data held</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The full table of /workers. */
export function workersTableHtml(workers: readonly WorkerStatus[], now: number): string {
  if (workers.length === 0)
    return '<p class="bask-note">No workers: start some with <code>bask worker ADDRESS</code>.</p>';
  const scale = Math.max(0, ...workers.map((w) => w.memory));
  const rows = workers.map(
    (w) =>
      `<tr data-worker="${esc(w.name)}" data-kind="${w.kind}" data-threads="${w.nthreads}" data-running="${w.running}" data-done="${w.done}" data-keys="${w.keys}" data-spilled="${w.spilled}"${quarantineAttr(w)}${pausedAttr(w)}>` +
      `<td class="name">${esc(w.name)}${quarantineBadge(w)}${pausedBadge(w)}</td><td class="kind">${w.kind}</td><td class="host">${esc(w.host)}</td>` +
      `<td class="num threads">${w.nthreads}</td><td class="memory">${memoryBar(w, scale)}</td>` +
      `<td class="num running">${formatCount(w.running)}</td><td class="num done">${formatCount(w.done)}</td>` +
      `<td class="num held">${formatCount(w.keys)} · ${formatBytes(w.bytes)}</td><td class="num spilled">${formatBytes(w.spilled)}</td>` +
      `<td class="bytes-in">${esc(formatByPath(w.bytesIn))}</td><td class="bytes-out">${esc(formatByPath(w.bytesOut))}</td>` +
      `<td class="heartbeat" data-last-seen="${w.lastSeen}">${formatAge(w.lastSeen, now)}</td></tr>`,
  );
  return (
    '<table class="bask-workers"><thead><tr><th>name</th><th>kind</th><th>host</th><th class="num">threads</th><th>memory (used / limit)</th>' +
    '<th class="num">running</th><th class="num">done</th><th class="num">data held</th><th class="num">spilled</th>' +
    `<th>bytes in</th><th>bytes out</th><th>last heartbeat</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}
