/** The thread-link checks (test/thread-link-suite.ts) on Web Workers, in Chromium. */
import { webRuntime } from '../../src/local/runtime-web.js';
import { threadLinkSuite } from '../thread-link-suite.js';

threadLinkSuite('Web Workers', webRuntime);
