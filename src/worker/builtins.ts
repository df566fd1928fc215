/**
 * Task modules known by an id instead of a file URL (a page bundled for production has no
 * separate file for them): bask's own modules register their loaders here themselves
 * (`seed/builtin.ts`, `frame/builtin.ts`), and whoever imports those registrations can run and
 * decode their tasks and types. bask's default pool worker (local/pool-worker.ts, which cluster
 * worker threads and volunteer tabs run too) and the package entry do; an app's own worker
 * (`startWorker`) imports what it runs itself, so these modules stay out of its bundle.
 */
import { importByUrl } from './import-url.js';

const loaders = new Map<string, () => Promise<unknown>>();

/** Makes `importTaskModule(id)` call `load` (a dynamic import) instead of importing `id`. */
export function registerBuiltinModule(id: string, load: () => Promise<unknown>): void {
  loaders.set(id, load);
}

/** Imports a task module (or the module of a registered type) by id, registered ones included. */
export function importTaskModule(url: string): Promise<unknown> {
  const load = loaders.get(url);
  if (load !== undefined) return load();
  return importByUrl(url);
}
