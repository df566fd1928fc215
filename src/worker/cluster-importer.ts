/**
 * How cluster workers import task modules: modules that clients uploaded to the scheduler (a
 * Node client's `file:` modules, bundled) are fetched from its `/modules` route and imported
 * from their text; any other id goes to the worker's usual importer.
 */

/** An importer that asks the scheduler at `moduleServer` first, then `next`. */
export function clusterImporter(
  moduleServer: string,
  next: (url: string) => Promise<unknown>,
): (url: string) => Promise<unknown> {
  return async (url) => {
    if (!url.startsWith('file:')) return next(url);
    const response = await fetch(`${moduleServer}/modules?url=${encodeURIComponent(url)}`).catch(
      () => undefined,
    );
    if (response?.ok !== true) return next(url);
    const code = await response.text();
    return (await import(
      /* @vite-ignore */ /* webpackIgnore: true */
      `data:text/javascript;charset=utf-8,${encodeURIComponent(code)}`
    )) as unknown;
  };
}
