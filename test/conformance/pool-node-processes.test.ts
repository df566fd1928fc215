import { afterAll } from 'vitest';
import { Pool } from '../../src/index.node.js';
import { processRuntime } from '../../src/local/runtime-process.js';
import { conformanceSuite } from './suite.js';

const pool = new Pool({ numWorkers: 2, runtime: processRuntime });
afterAll(() => pool.close());

conformanceSuite('pool (worker processes)', () => ({ scheduler: pool }));
