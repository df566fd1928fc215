/** The package entry for browsers: the shared API plus the browser's schedulers. */
import { setSchedulerFactory } from './config.js';
import { SyncScheduler } from './local/sync.js';

export * from './index.js';

const sync = new SyncScheduler();
setSchedulerFactory(() => sync);
