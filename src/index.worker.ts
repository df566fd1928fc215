/**
 * The package entry for an app's own pool worker (`bask/worker`): a worker file that imports
 * the app's task modules and starts serving the pool, so that a bundler puts both in one
 * worker chunk. See `startWorker`.
 */
export { startWorker } from './local/worker-entry.js';
export * from './index.tasks.js';
