/**
 * The volunteer page's numbers: renders a VolunteerStatus into the page. Each number's raw
 * value is also in a `data-value` attribute (tests and scripts read those, not the text).
 */
import type { VolunteerStatus } from 'bask';

const PATHS: Record<string, string> = {
  webrtc: 'WebRTC (browser to browser)',
  peer: 'WebSocket (to a Node worker)',
  relay: 'Relay (through the scheduler)',
};

/** Shows a status line. */
export function showState(state: string, text: string): void {
  const status = byId('status');
  status.dataset['state'] = state;
  status.textContent = text;
}

/** Shows the counters. */
export function showStatus(status: VolunteerStatus): void {
  setNumber('tasks-done', status.tasksDone, String(status.tasksDone));
  setNumber('keys', status.keys, String(status.keys));
  setNumber('memory', status.memory, formatBytes(status.memory));
  setNumber('spilled', status.spilled, `${formatBytes(status.spilled)} (${status.spilledKeys})`);
  setNumber('processes', status.processes, String(status.processes));
  setNumber('peers', status.webrtcPeers.length, String(status.webrtcPeers.length));
  const body = byId('paths').querySelector('tbody') as HTMLTableSectionElement;
  const paths = new Set([...Object.keys(status.bytesIn), ...Object.keys(status.bytesOut)]);
  const rows = [...paths].sort().map((path) => {
    const row = document.createElement('tr');
    row.dataset['path'] = path;
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = PATHS[path] ?? path;
    row.append(
      name,
      cell('in', status.bytesIn[path] ?? 0),
      cell('out', status.bytesOut[path] ?? 0),
    );
    return row;
  });
  body.replaceChildren(...rows);
}

function cell(kind: string, bytes: number): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = kind;
  td.dataset['value'] = String(bytes);
  td.textContent = formatBytes(bytes);
  return td;
}

function setNumber(id: string, value: number, text: string): void {
  const el = byId(id);
  el.dataset['value'] = String(value);
  el.textContent = text;
}

/** `1.5 MB`-style sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toPrecision(3)} ${units[unit]}`;
}

/** An element that the page's HTML has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`volunteer page: #${id} is missing`);
  return el as T;
}
