/** The thread-link checks (test/thread-link-suite.ts) on worker_threads. */
import { nodeRuntime } from '../../src/local/runtime-node.js';
import { threadLinkSuite } from '../thread-link-suite.js';

threadLinkSuite('worker_threads', nodeRuntime);
