/** The package entry for Node: the shared API plus Node's schedulers (worker_threads pool). */
import { installSchedulers } from './install.js';
import { nodeRuntime } from './local/runtime-node.js';

export * from './index.js';

installSchedulers(nodeRuntime);
