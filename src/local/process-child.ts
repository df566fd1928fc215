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
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Endpoint } from 'comlink';
import { serializeError } from '../errors.js';
import { RunningSlot } from '../worker/running-slot.js';
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
/** The size of a running slot (as the pool makes them, worker/running-slot.ts). */
const SLOT_BYTES = 8192;
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
  let slot: RunningSlot | undefined;
  const makeSlot = (): SharedArrayBuffer => {
    const memory = new SharedArrayBuffer(SLOT_BYTES);
    slot = new RunningSlot(memory);
    return memory;
  };
  const running = (): PipeNotice | undefined => {
    const reading = slot?.read();
    if (reading === undefined || reading.state === 'unknown') return undefined;
    return { type: 'running', key: reading.state === 'running' ? reading.key : null };
  };
  let ending = false;
  const pipe = new FramePipe(
    new Socket({ fd: PIPE_FD, readable: true, writable: true }),
    (id, frame) => {
      if (id === CONTROL_PORT) control.dispatch(restorePorts(decodeMessage(frame), open, makeSlot));
      else ports.get(id)?.dispatch(decodeMessage(frame));
    },
    () => {
      ending = true;
      process.exit(0);
    },
  );
  // A task that ends the process (process.exit): say which, in one synchronous write, when
  // nothing else is half-written on the pipe.
  process.on('exit', () => {
    const notice = running();
    if (ending || notice === undefined || pipe.socket.writableLength > 0) return;
    try {
      writeSync(PIPE_FD, pipe.frame(NOTICE_PORT, notice));
    } catch {
      // The pool then blames the oldest task it sent and has no answer for.
    }
  });
  const fatal = (error: unknown): void => {
    ending = true;
    const notice = running();
    if (notice !== undefined) notify(notice);
    notify({ type: 'fatal', error: serializeError(error) });
    setTimeout(() => process.exit(1), FATAL_FLUSH_MS).unref();
    pipe.socket.end(() => process.exit(1));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  return control as unknown as Endpoint;
}
