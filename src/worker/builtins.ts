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
