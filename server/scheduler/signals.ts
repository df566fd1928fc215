/**
 * The WebRTC signalling relay: browser workers exchange offers, answers and ICE candidates
 * through the scheduler before their data channel opens. Messages pass on as they are, from
 * one worker process to another (never to itself, never to a client).
 */
import type { FromWorkerProcess, ToWorkerProcess } from '../../src/wire/protocol.js';
import type { Outbox } from './outbox.js';
import type { WorkerProcesses, WorkerProcessRecord } from './processes.js';

/** Passes a signal from `from` on to the process it names; returns whether it went. */
export function relaySignal(
  processes: WorkerProcesses,
  outbox: Outbox,
  from: WorkerProcessRecord,
  message: Extract<FromWorkerProcess, { type: 'signal' }>,
): boolean {
  const target = processes.byConn.get(message.to);
  if (target === undefined || target === from) return false;
  outbox.queue(target.conn, {
    type: 'signal',
    from: from.conn.id,
    data: message.data,
  } satisfies ToWorkerProcess);
  return true;
}
