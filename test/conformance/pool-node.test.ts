import { afterAll } from 'vitest';
import { Pool } from '../../src/index.node.js';
import { conformanceSuite } from './suite.js';

const pool = new Pool({ numWorkers: 2 });
afterAll(() => pool.close());

conformanceSuite('pool (worker_threads)', () => ({ scheduler: pool }));
