import { afterAll } from 'vitest';
import { Pool } from '../../src/index.browser.js';
import { conformanceSuite } from '../conformance/suite.js';

const pool = new Pool({ numWorkers: 2 });
afterAll(() => pool.close());

conformanceSuite('pool (Web Workers in Chromium)', () => ({ scheduler: pool }));
conformanceSuite('sync (Chromium main thread)', () => ({ scheduler: 'sync' }));
