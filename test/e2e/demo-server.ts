/**
 * The demo as the e2e tests meet it: the page built with Vite, then served by a real `bask
 * demo` (scheduler, local workers, the page) on free ports; stopped with the test file's other
 * processes (test/integration/cluster.ts).
 */
import { join } from 'node:path';
import { build } from 'vite';
import { bask, waitFor, type Started } from '../integration/cluster.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Builds the demo page and starts `bask demo` with `nthreads` local workers. */
export async function startDemo(nthreads: number): Promise<{ demo: Started; url: string }> {
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  const demo = bask(['demo', '--port', '0', '--dashboard-port', '0', '--nthreads', `${nthreads}`]);
  const [, url = ''] = await waitFor(demo, /Demo at:\s+(http:\/\/\S+)/, 'bask demo');
  return { demo, url };
}
