/**
 * Vite builds the scheduler's dashboard pages (pages/ -> pages-dist/): /status, /workers and
 * /graph, thin entries around `mountDashboard` built from bask's sources. The scheduler serves
 * the HTML at those routes and the scripts under /dashboard/ (server/dashboard/pages.ts), so
 * the assets go to pages-dist/dashboard/assets/ with relative URLs.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./pages'),
  base: './',
  build: {
    outDir: '../pages-dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'dashboard/assets',
    rolldownOptions: {
      input: {
        status: here('./pages/status.html'),
        workers: here('./pages/workers.html'),
        graph: here('./pages/graph.html'),
      },
      output: { keepNames: true },
    },
  },
});
