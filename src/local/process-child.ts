/**
 * A worker process's side of its pipe to the pool (process-pipe.ts on fd 3): the comlink
 * control endpoint the worker serves, the ports the pool moves to it (its task port, links to
 * other workers), and the notices it owes the pool.
 *
 * Policies: the process ends when the pipe ends (the pool closed it, or the pool's process
 * ended however it did), so no worker process outlives its pool. An uncaught error or
 * unhandled rejection is reported to the pool (message, stack, code) and ends the process, as
 * it ends a worker thread; the pool replaces the worker and reschedules its work.
 */
import { Socket } from 'node:net';
import type { Endpoint } from 'comlink';
import { serializeError } from '../errors.js';
import { FramePipe, decodeMessage } from './process-pipe.js';
import {
  CONTROL_PORT,
  NOTICE_PORT,
  ProcessPort,
  restorePorts,
  type PipeNotice,
} from './process-ports.js';

/** The fd of the pipe the pool opened for this process. */
const PIPE_FD = 3;
/** How long a fatal report may take to leave before the process ends anyway. */
const FATAL_FLUSH_MS = 1_000;

/**
 * Connects this process to the pool that started it; returns the control endpoint. Throws
 * unless the process was started as a pool's worker process (with the pipe on fd 3).
 */
export function connectParent(): Endpoint {
  const ports = new Map<number, ProcessPort>();
  const control = new ProcessPort(CONTROL_PORT, (message) => pipe.send(CONTROL_PORT, message));
  const notify = (notice: PipeNotice): void => pipe.send(NOTICE_PORT, notice);
  const open = (id: number): ProcessPort => {
    const port = new ProcessPort(
      id,
      (message) => pipe.send(id, message),
      () => {
        ports.delete(id);
        notify({ type: 'closed', port: id });
      },
    );
    ports.set(id, port);
    return port;
  };
  const pipe = new FramePipe(
    new Socket({ fd: PIPE_FD, readable: true, writable: true }),
    (id, frame) => {
      if (id === CONTROL_PORT) control.dispatch(restorePorts(decodeMessage(frame), open));
      else ports.get(id)?.dispatch(decodeMessage(frame));
    },
    () => process.exit(0),
  );
  const fatal = (error: unknown): void => {
    notify({ type: 'fatal', error: serializeError(error) });
    setTimeout(() => process.exit(1), FATAL_FLUSH_MS).unref();
    pipe.socket.end(() => process.exit(1));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  return control as unknown as Endpoint;
}
