/**
 * The one dispatcher for scheduler messages on the worker side, shared by `bask worker`
 * processes (server/worker/process.ts) and volunteer tabs (volunteer/router.ts): decode a
 * frame, note that the scheduler is alive, and turn each message into a call on the place's
 * own side (its threads, its data paths), answering the requests that need an answer.
 *
 * Policy: a frame that does not decode ends the connection (the scheduler is not speaking the
 * protocol); a put is acknowledged once queued for its thread (later fetches of it queue behind
 * it); a gather never moves data, a relayed fetch moves it when every key says so.
 */
import { decodeFrame } from '../wire/frame.js';
import type { WireTask } from '../wire/pool-protocol.js';
import type { FromWorkerProcess, ToWorkerProcess, WorkerInfo } from '../wire/protocol.js';

/** Values read, in key order, and the keys that were not there. */
export interface Got {
  values: unknown[];
  missing: string[];
}

/** What a worker process or a volunteer router does with each scheduler message. */
export interface WorkerSide {
  /** A message arrived (the scheduler is alive). */
  heard(): void;
  /** Ends the connection (a frame that does not decode). */
  stop(reason: string): void;
  /** Sends to the scheduler. */
  send(message: FromWorkerProcess): void;
  /** Runs tasks on a thread, bringing their inputs in first. */
  run(worker: string, tasks: WireTask[]): void;
  /** Drops data a thread holds. */
  free(worker: string, keys: string[]): void;
  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void;
  /** Places data on a thread, queued behind what was sent before. */
  put(worker: string, keys: string[], values: unknown[]): void;
  /** Values a thread holds, still encoded; `move` as in {@link movesAll}. */
  serve(worker: string, keys: string[], move: boolean[]): Promise<Got>;
  /** Other worker processes came or went. */
  updatePeers(added: readonly WorkerInfo[], removed: readonly string[]): void;
  /** The scheduler relayed the answer to one of this side's fetches. */
  relayed(id: number, values: unknown[], missing: string[]): void;
  /** A thread is stuck past its timeout: replace it. */
  restart(worker: string): void;
  /** WebRTC signaling from another worker process (only places that open data channels). */
  signal?(from: string, data: unknown): void;
  /** Bytes of a relay message that came in (for the per-path counters). */
  relayBytesIn?(bytes: number): void;
}

/** True when a fetch takes the values away (every key says move; none given: a copy). */
export function movesAll(move: readonly boolean[]): boolean {
  return move.length > 0 && move.every((m) => m);
}

/** Decodes one frame from the scheduler and hands it to `side`. */
export function receiveSchedulerFrame(data: Uint8Array, side: WorkerSide): void {
  let message: ToWorkerProcess;
  try {
    message = decodeFrame(data) as ToWorkerProcess;
  } catch {
    side.stop('malformed message from the scheduler');
    return;
  }
  side.heard();
  dispatchSchedulerMessage(message, data.byteLength, side);
}

/** Hands one scheduler message (`bytes` long on the wire) to `side`. */
export function dispatchSchedulerMessage(
  message: ToWorkerProcess,
  bytes: number,
  side: WorkerSide,
): void {
  switch (message.type) {
    case 'run':
      return side.run(message.worker, message.tasks);
    case 'free':
      return side.free(message.worker, message.keys);
    case 'cancel':
      return side.cancel(message.worker, message.keys);
    case 'put':
      side.put(message.worker, message.keys, message.values);
      return side.send({ type: 'put-done', id: message.id });
    case 'gather':
      void side
        .serve(message.worker, message.keys, [])
        .then((got) => side.send({ type: 'gathered', id: message.id, ...got }));
      return;
    case 'peers':
      return side.updatePeers(message.added, message.removed);
    case 'relay-fetch':
      side.relayBytesIn?.(bytes);
      void side
        .serve(message.worker, message.keys, message.move)
        .then((got) => side.send({ type: 'relay-data', id: message.id, to: message.from, ...got }));
      return;
    case 'relay-data':
      side.relayBytesIn?.(bytes);
      return side.relayed(message.id, message.values, message.missing);
    case 'signal':
      return side.signal?.(message.from, message.data);
    case 'restart':
      return side.restart(message.worker);
    case 'ping':
      return;
  }
}
