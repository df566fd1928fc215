/** Numbers for people, as the dashboard shows them: bytes, counts, rates, ages. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** `0 B`, `512 B`, `1.5 kB`, `12.3 MB` (decimal units, as Dask's dashboard). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const power = Math.min(UNITS.length - 1, Math.floor(Math.log10(bytes) / 3));
  const value = bytes / 1000 ** power;
  return `${power === 0 ? value.toFixed(0) : value.toPrecision(3)} ${UNITS[power] as string}`;
}

/** `1,234`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `12.3/s`, `1,234/s`. */
export function formatRate(perSecond: number): string {
  return perSecond < 100 ? `${perSecond.toFixed(1)}/s` : `${formatCount(perSecond)}/s`;
}

/** How long ago `then` was at `now` (epoch ms): `0.4 s ago`, `3 min ago`. */
export function formatAge(then: number, now: number): string {
  const seconds = Math.max(0, (now - then) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** Bytes by transport in one line: `peer 1.2 MB · relay 300 B`, or `–` when none. */
export function formatByPath(byPath: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byPath)
    .filter(([, n]) => n > 0)
    .map(([path, n]) => `${path} ${formatBytes(n)}`);
  return parts.length === 0 ? '–' : parts.join(' · ');
}
