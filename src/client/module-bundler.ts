/**
 * Where a remote client's task modules given as file: URLs (a Node client's own modules) are
 * bundled into one self-contained ES module for workers elsewhere: a bundler the Node entry
 * installs (client/bundle.ts). The remote client never imports Node-only code itself, so
 * browser bundles stay free of it; in a browser there is none, and such a module fails with
 * ERR_UNSHIPPABLE_FUNCTION saying what to do.
 */
import { BaskError } from '../errors.js';

/** Turns a task module (a file: URL) into one self-contained ES module text for workers. */
export type ModuleBundler = (url: string) => Promise<string>;

let moduleBundler: ModuleBundler | undefined;

/** Installs the task-module bundler (the Node entry does; browsers have none). */
export function setModuleBundler(bundler: ModuleBundler): void {
  moduleBundler = bundler;
}

/** The module at `url` bundled; fails with ERR_UNSHIPPABLE_FUNCTION where nothing can bundle. */
export function bundleTaskModule(url: string): Promise<string> {
  if (moduleBundler !== undefined) return moduleBundler(url);
  return Promise.reject(
    new BaskError(
      'ERR_UNSHIPPABLE_FUNCTION',
      `Task module ${url} is a file: URL (in a browser bundle, usually import.meta.url as the bundler baked it in): ` +
        'workers elsewhere cannot import it, and only a Node client can bundle and upload it. ' +
        'From a browser, name task modules by an http(s) URL the workers can import, or submit from Node',
    ),
  );
}
