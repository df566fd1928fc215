/**
 * The package entry for Node: the shared API plus Node's schedulers (worker_threads pool) and
 * the remote client's task-module bundler (esbuild, an optional peer, loaded on first use).
 * Only this entry imports the bundler, so browser bundles never reach Node-only code.
 */
import './setup-node.js';
import { bundleModule } from './client/bundle.js';
import { setModuleBundler } from './client/module-bundler.js';

export * from './index.js';

setModuleBundler(bundleModule);
