/** The package entry for Node: the shared API plus Node's schedulers. */
import { setSchedulerFactory } from './config.js';
import { SyncScheduler } from './local/sync.js';

export * from './index.js';

const sync = new SyncScheduler();
setSchedulerFactory(() => sync);
