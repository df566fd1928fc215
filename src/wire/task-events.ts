/**
 * A worker's task result as the progress hooks see it (`TaskEvent`): what the cluster sends to
 * clients that asked for progress, and what a local pool's sessions get. A failed task's event
 * carries the task's own error, so a remote `taskEnd` hook sees what the future rejects with.
 */
import type { TaskResult } from './pool-protocol.js';
import type { TaskEvent } from './protocol.js';

/** The event of one result that `worker` produced. */
export function taskEventOf(worker: string, result: TaskResult): TaskEvent {
  const { key, start, end, error } = result;
  return error === undefined ? { key, worker, start, end } : { key, worker, start, end, error };
}
