/**
 * The shared setup plus Node's local schedulers (the worker_threads pool, and the pool of
 * worker processes behind 'processes'): what a local run in Node needs, without the remote
 * client's task-module bundler (index.node.ts adds that).
 */
import './setup.js';
import { installSchedulers } from './install.js';
import { nodeRuntime } from './local/runtime-node.js';
import { processRuntime } from './local/runtime-process.js';

installSchedulers(nodeRuntime, processRuntime);
