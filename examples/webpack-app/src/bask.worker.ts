/** The app's pool worker: bask's worker runtime plus the app's task modules, in one chunk. */
import { startWorker } from 'bask/worker';
import { tasks } from './tasks';

startWorker(tasks);
