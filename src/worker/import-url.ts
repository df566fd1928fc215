/**
 * Imports a module by a URL known only at run time. The comments tell bundlers to leave the
 * `import()` alone (Vite, webpack): the URL is the runtime's, not something to bundle.
 */

/** `import(url)`, untouched by bundlers. */
export function importByUrl(url: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ url) as Promise<unknown>;
}
