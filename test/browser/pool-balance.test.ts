/** Issue 12's balance checks (test/balance-suite.ts) on a pool of two Web Workers, in Chromium. */
import { Pool } from '../../src/index.browser.js';
import { balanceSuite } from '../balance-suite.js';

balanceSuite('Web Workers', () => new Pool({ numWorkers: 2 }));
