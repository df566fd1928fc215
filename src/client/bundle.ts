/**
 * Bundling a Node client's task module for workers elsewhere: esbuild turns the module and
 * everything it imports (TypeScript included) into one self-contained ES module text, which
 * the scheduler serves to workers. Node only: the Node entry installs `bundleModule` into the
 * remote client (`setModuleBundler`), so browser bundles never reach this file.
 *
 * esbuild is an optional peer dependency (an 11 MB native binary most users never need): it is
 * imported when a file: module is first shipped; when it is missing, that submission fails with
 * ERR_UNSHIPPABLE_FUNCTION saying `npm install esbuild`, and nothing fails at import time.
 */
import { fileURLToPath } from 'node:url';
import { BaskError } from '../errors.js';

/** The part of esbuild's API bask uses. */
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { text: string }[] }>;
}

let esbuildLoad: Promise<EsbuildLike> | undefined;

/** esbuild, imported once; rejects with install advice when the package is missing. */
function loadEsbuild(url: string): Promise<EsbuildLike> {
  // A computed specifier: bundlers of Node apps leave the optional peer alone.
  const specifier = 'esbuild';
  esbuildLoad ??= (
    import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<EsbuildLike>
  ).catch((error: unknown) => {
    esbuildLoad = undefined;
    throw new BaskError(
      'ERR_UNSHIPPABLE_FUNCTION',
      `Shipping task module ${url} to the cluster needs esbuild, an optional peer dependency of bask: npm install esbuild`,
      { cause: error },
    );
  });
  return esbuildLoad;
}

/** The module at `url` (file:) as one ES module text. */
export async function bundleModule(url: string): Promise<string> {
  const esbuild = await loadEsbuild(url);
  try {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(url)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      external: ['node:*'],
      target: 'es2022',
      logLevel: 'silent',
      // Workers find the module's functions by the URL the client used.
      define: { 'import.meta.url': JSON.stringify(url) },
    });
    const text = result.outputFiles?.[0]?.text;
    if (text === undefined) throw new Error('esbuild produced no output');
    return text;
  } catch (error) {
    throw new BaskError(
      'ERR_FUNCTION_NOT_FOUND',
      `Could not bundle task module ${url}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
