/**
 * Vite builds the volunteer page (volunteer/ -> volunteer-dist/), which the scheduler serves
 * at `/worker` (`npm run build:volunteer`). Built like the demo page (vite.config.ts): from
 * bask's TypeScript sources (`bask` aliased to src/index.browser.ts), module workers, function
 * names kept; but with its own entry and output folder, and `base: '/worker/'` so that its
 * scripts and Web Workers load from there.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const sources = here('./src/');

/** Keeps every src/ module's side effects (package.json says none; some have them). */
function keepSourceSideEffects(): Plugin {
  return {
    name: 'bask:volunteer-keep-source-side-effects',
    transform(code, id) {
      return id.startsWith(sources) ? { code, moduleSideEffects: true } : null;
    },
  };
}

const bundle = {
  output: { keepNames: true },
  checks: { ineffectiveDynamicImport: false },
};

export default defineConfig({
  root: here('./volunteer'),
  base: '/worker/',
  build: {
    outDir: here('./volunteer-dist'),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: bundle,
  },
  plugins: [keepSourceSideEffects()],
  worker: { format: 'es', plugins: () => [keepSourceSideEffects()], rolldownOptions: bundle },
  resolve: {
    alias: [
      { find: /^bask\/seed$/, replacement: here('./src/seed/index.ts') },
      { find: /^bask\/frame$/, replacement: here('./src/frame/index.ts') },
      { find: /^bask$/, replacement: here('./src/index.browser.ts') },
    ],
  },
});
