/** Issue 12's balance checks (test/balance-suite.ts) on a pool of two worker_threads. */
import { Pool } from '../../src/index.node.js';
import { balanceSuite } from '../balance-suite.js';

balanceSuite('worker_threads', () => new Pool({ numWorkers: 2 }));
