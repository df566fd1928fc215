import '../../src/index.node.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('sync', () => ({ scheduler: 'sync' }));
