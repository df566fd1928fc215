/**
 * bask's own worker process: the entry a pool of worker processes starts (runtime-process.ts)
 * as `node process-worker.js <name>`. The same worker as a thread (pool-worker.ts): bask's
 * built-in modules, functions as source, built-in ops or task modules imported by URL; only
 * the endpoint it serves on differs (its pipe to the pool, process-child.ts).
 */
import '../frame/builtin.js';
import '../seed/builtin.js';
import { importTaskModule } from '../worker/builtins.js';
import { connectParent } from './process-child.js';
import { serveWorker } from './worker-entry.js';

serveWorker(importTaskModule, connectParent());
