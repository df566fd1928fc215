/**
 * Small DOM helpers for the demo: typed lookups of the page's elements, element creation, and
 * inserting the SVG strings bask's diagnostics return.
 */

/** The element with `id`, checked to be of `type`; a missing element is a bug in index.html. */
export function byId<T extends Element>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`demo: #${id} is missing or not a ${type.name}`);
  return element;
}

/** Creates an element with a class name and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== undefined) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * Replaces `host`'s content with the SVG in `svg` (a string from `visualize()`). Parsed as
 * XML, not HTML: an SVG document runs no scripts and keeps its namespaces.
 */
export function showSvg(host: Element, svg: string): void {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg') {
    host.replaceChildren(el('p', 'muted', 'Could not draw this chart.'));
    return;
  }
  host.replaceChildren(document.importNode(root, true));
}

/** `1.2 MB`, `830 kB`, `12 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** `1 file`, `3 files`. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
