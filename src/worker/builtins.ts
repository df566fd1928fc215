/**
 * bask's own task modules, known to its own workers by a `bask:` id instead of a file URL (a
 * page bundled for production has no separate file for them). Only bask's default pool worker
 * and the main thread's decoders use this map: an app's worker (`startWorker`) imports what it
 * runs itself, so these modules stay out of its bundle.
 */
import { importByUrl } from './import-url.js';

const builtins: Readonly<Record<string, () => Promise<unknown>>> = {
  'bask:seed': () => import('../seed/tasks.js'),
  'bask:frame': () => import('../frame/codec.js'),
};

/** Imports a task module (or the module of a registered type) by id, `bask:` ones included. */
export function importTaskModule(url: string): Promise<unknown> {
  const builtin = builtins[url];
  if (builtin !== undefined) return builtin();
  return importByUrl(url);
}
