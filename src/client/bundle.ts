/**
 * Bundling a Node client's task module for workers elsewhere: esbuild turns the module and
 * everything it imports (TypeScript included) into one self-contained ES module text, which
 * the scheduler serves to workers. Loaded only when a file: module is first submitted.
 */
import { BaskError } from '../errors.js';

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { text: string }[] }>;
}

/** The module at `url` (file:) as one ES module text. */
export async function bundleModule(url: string): Promise<string> {
  const specifier = 'esbuild';
  let esbuild: EsbuildLike;
  try {
    esbuild = (await import(/* @vite-ignore */ specifier)) as EsbuildLike;
  } catch (error) {
    throw new BaskError(
      'ERR_FUNCTION_NOT_FOUND',
      `Shipping task module ${url} needs the 'esbuild' package (npm install esbuild)`,
      { cause: error },
    );
  }
  const { fileURLToPath } = (await import(
    /* @vite-ignore */ 'node:url'
  )) as typeof import('node:url');
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
