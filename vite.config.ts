/**
 * Vite builds the demo page (demo/ -> demo-dist/) from bask's TypeScript sources: `bask`,
 * `bask/seed` and `bask/frame` are aliased to src/, so the page always runs the code in this
 * checkout, with no `npm run build` first. Workers are ES modules (the pool worker imports
 * task modules with dynamic `import()`, which classic workers cannot split into chunks).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const sources = here('./src/');

/**
 * package.json says `"sideEffects": false`, which lets the bundler skip modules whose exports
 * go unused, but some of bask's modules exist for their side effects (the package entries
 * install the schedulers, frame/codec registers the frame types). Building from sources, keep
 * every src/ module's side effects; unused exports are still tree-shaken.
 */
function keepSourceSideEffects(): Plugin {
  return {
    name: 'bask:keep-source-side-effects',
    transform(code, id) {
      return id.startsWith(sources) ? { code, moduleSideEffects: true } : null;
    },
  };
}

/** Bundle options shared by the page and its workers. */
const bundle = {
  // Task keys and the task stream are named after functions (`readPrices-…`): keep the names.
  output: { keepNames: true },
  // The page imports the seed's task module statically and workers import it dynamically
  // (worker/builtins.ts); both are intended, so the "ineffective dynamic import" note is noise.
  checks: { ineffectiveDynamicImport: false },
};

export default defineConfig({
  root: here('./demo'),
  base: './',
  build: {
    outDir: '../demo-dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: bundle,
  },
  plugins: [keepSourceSideEffects()],
  worker: { format: 'es', plugins: () => [keepSourceSideEffects()], rolldownOptions: bundle },
  resolve: {
    // Exact matches: a plain 'bask' key would also rewrite 'bask/seed' as a path prefix.
    alias: [
      { find: /^bask\/seed$/, replacement: here('./src/seed/index.ts') },
      { find: /^bask\/frame$/, replacement: here('./src/frame/index.ts') },
      { find: /^bask$/, replacement: here('./src/index.browser.ts') },
    ],
  },
});
