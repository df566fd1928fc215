/**
 * bask's own pool worker: the entry the default pool spawns (`new URL('./pool-worker.js',
 * import.meta.url)` in runtime-web.ts and runtime-node.ts). It runs no app task modules of its
 * own: functions arrive as source text, built-in ops, task modules imported by URL, or bask's
 * own modules, which register their ids below (cluster worker threads and volunteer tabs run
 * this entry too).
 */
import '../frame/builtin.js';
import '../seed/builtin.js';
import { importTaskModule } from '../worker/builtins.js';
import { serveWorker } from './worker-entry.js';

serveWorker(importTaskModule);
