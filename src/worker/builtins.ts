/**
 * bask's own task modules, known to every worker by a `bask:` URL instead of a file URL. A
 * page bundled for production has no separate file for them (`import.meta.url` would point at
 * the app's main chunk), so workers load them from here: the bundler gives each its own chunk.
 */

const builtins: Readonly<Record<string, () => Promise<unknown>>> = {
  'bask:seed': () => import('../seed/tasks.js'),
  'bask:frame': () => import('../frame/codec.js'),
};

/** Imports a task module (or the module of a registered type) by URL, `bask:` ones included. */
export function importTaskModule(url: string): Promise<unknown> {
  const builtin = builtins[url];
  if (builtin !== undefined) return builtin();
  return import(/* @vite-ignore */ url);
}

/**
 * An importer for cluster workers: modules that clients uploaded to the scheduler are fetched
 * from its `/modules` route and imported from their text; others are imported by URL.
 */
export function clusterImporter(moduleServer: string): (url: string) => Promise<unknown> {
  return async (url) => {
    if (builtins[url] !== undefined) return importTaskModule(url);
    const response = await fetch(`${moduleServer}/modules?url=${encodeURIComponent(url)}`).catch(
      () => undefined,
    );
    if (response?.ok === true) {
      const code = await response.text();
      return (await import(
        /* @vite-ignore */ `data:text/javascript;charset=utf-8,${encodeURIComponent(code)}`
      )) as unknown;
    }
    return (await import(/* @vite-ignore */ url)) as unknown;
  };
}
