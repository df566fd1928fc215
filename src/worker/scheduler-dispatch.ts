/**
 * The one dispatcher for scheduler messages on the worker side, shared by `bask worker`
 * processes (server/worker/process.ts) and volunteer tabs (volunteer/router.ts): decode a
 * frame, note that the scheduler is alive, and turn each message into a call on the place's
 * own side (its threads, its data paths), answering the requests that need an answer.
 *
 * The heartbeat both keep with the scheduler is here too (`startHeartbeat`).
 *
 * Policy: a frame that does not decode ends the connection (the scheduler is not speaking the
 * protocol); a put is acknowledged once queued for its thread (later fetches of it queue behind
 * it); a gather never moves data, a relayed fetch moves it when every key says so.
 */
import { decodeFrame, type FrameData } from '../wire/frame.js';
import { HeartbeatClock } from '../wire/heartbeat-clock.js';
import type { WireTask } from '../wire/pool-protocol.js';
import type { FromWorkerProcess, ToWorkerProcess, WorkerInfo } from '../wire/protocol.js';

/** Values read, in key order, and the keys that were not there. */
export interface Got {
  values: unknown[];
  missing: string[];
}

/** What the threads of a worker process or volunteer do for the scheduler. */
export interface ThreadSide {
  /** Runs tasks on a thread, bringing their inputs in first. */
  run(worker: string, tasks: WireTask[]): void;
  /** Drops data a thread holds. */
  free(worker: string, keys: string[]): void;
  /** Drops queued tasks. */
  cancel(worker: string, keys: string[]): void;
  /** Places data on a thread; resolves once the thread holds it (then peers may fetch it). */
  put(worker: string, keys: string[], values: unknown[]): Promise<void>;
  /** Values a thread holds, still encoded; `move` as in {@link movesAll}. */
  serve(worker: string, keys: string[], move: boolean[]): Promise<Got>;
  /** A thread is stuck past its timeout: replace it. */
  restart(worker: string): void;
}

/** The data paths of a worker process or volunteer to the other worker processes. */
export interface PeerSide {
  /**
   * Where threads of other processes are, as a run that fetches from them says (the only way
   * a worker side learns of its peers: it connects to one when it first fetches from it).
   */
  learn(holders: readonly WorkerInfo[]): void;
  /** The scheduler relayed the answer to one of this side's fetches. */
  relayed(id: number, values: unknown[], missing: string[]): void;
}

/** What a worker process or a volunteer router does with each scheduler message. */
export interface WorkerSide {
  /** Its threads. */
  readonly threads: ThreadSide;
  /** Ends the connection (a frame that does not decode). */
  stop(reason: string): void;
  /** Sends to the scheduler. */
  send(message: FromWorkerProcess): void;
  /** Its data paths to other worker processes. */
  readonly peers: PeerSide;
  /** WebRTC signaling from another worker process (only places that open data channels). */
  signal?(from: string, data: unknown): void;
  /** Bytes of a relay message that came in (for the per-path counters). */
  relayBytesIn?(bytes: number): void;
}

/** However rarely a scheduler asks for heartbeats, a worker side reports at least this often. */
const MAX_HEARTBEAT_MS = 60_000;

/** True when a fetch takes the values away (every key says move; none given: a copy). */
export function movesAll(move: readonly boolean[]): boolean {
  return move.length > 0 && move.every((m) => m);
}

/** Where the scheduler's frames come in: decoded, timed (for the heartbeat), and dispatched. */
export class SchedulerInbox {
  /** When the scheduler was last heard from (ms since the epoch). */
  lastHeard = Date.now();
  /** How often the scheduler last asked to hear a heartbeat (ms), once it said. */
  heartbeatEvery: number | undefined;

  constructor(private readonly side: WorkerSide) {}

  /** Decodes one frame from the scheduler and hands it to the side. */
  receive(data: FrameData): void {
    let message: ToWorkerProcess;
    try {
      message = decodeFrame(data) as ToWorkerProcess;
    } catch {
      this.side.stop('malformed message from the scheduler');
      return;
    }
    this.lastHeard = Date.now();
    if (message.type === 'ping' && typeof message.heartbeat === 'number')
      this.heartbeatEvery = Math.min(MAX_HEARTBEAT_MS, message.heartbeat);
    dispatchSchedulerMessage(message, data.byteLength, this.side);
  }
}

/** Hands one scheduler message (`bytes` long on the wire) to `side`. */
export function dispatchSchedulerMessage(
  message: ToWorkerProcess,
  bytes: number,
  side: WorkerSide,
): void {
  const threads = side.threads;
  switch (message.type) {
    case 'run':
      if (message.holders !== undefined) side.peers.learn(message.holders);
      return threads.run(message.worker, message.tasks);
    case 'free':
      return threads.free(message.worker, message.keys);
    case 'cancel':
      return threads.cancel(message.worker, message.keys);
    case 'put':
      void threads
        .put(message.worker, message.keys, message.values)
        .then(() => side.send({ type: 'put-done', id: message.id }));
      return;
    case 'gather':
      void threads
        .serve(message.worker, message.keys, [])
        .then((got) => side.send({ type: 'gathered', id: message.id, ...got }));
      return;
    case 'relay-fetch':
      side.relayBytesIn?.(bytes);
      void threads
        .serve(message.worker, message.keys, message.move)
        .then((got) => side.send({ type: 'relay-data', id: message.id, to: message.from, ...got }));
      return;
    case 'relay-data':
      side.relayBytesIn?.(bytes);
      return side.peers.relayed(message.id, message.values, message.missing);
    case 'signal':
      return side.signal?.(message.from, message.data);
    case 'restart':
      return threads.restart(message.worker);
    case 'ping':
      return;
  }
}

/** How a worker side keeps its heartbeat with the scheduler. */
export interface HeartbeatPolicy {
  /** How often to check on the scheduler, and to report unless `every` says less often (ms). */
  interval: number;
  /** How often the scheduler wants reports (ms; undefined: every `interval`). */
  every?: () => number | undefined;
  /** The scheduler silence after which to give up (ms). */
  timeout: number;
  /** When the scheduler was last heard from (ms since the epoch). */
  lastHeard: () => number;
  /** Sends one heartbeat. */
  beat: () => void;
  /** The scheduler has been silent too long (its data is gone from the cluster anyway). */
  silent: () => void;
}

/**
 * Beats every `interval` ms (or every `every()` ms when the scheduler asks for less), or calls
 * `silent` once the scheduler has said nothing for `timeout` ms, counted on a fair clock (a
 * throttled or paused timer does not count as silence). Returns the timer, to clear when the
 * side stops.
 */
export function startHeartbeat(policy: HeartbeatPolicy): ReturnType<typeof setInterval> {
  const clock = new HeartbeatClock(policy.interval);
  let lastBeat = 0;
  return setInterval(() => {
    const now = Date.now();
    if (clock.fair(now) && now - policy.lastHeard() > policy.timeout) {
      policy.silent();
      return;
    }
    // Half an interval of slack: a tick a little early still beats.
    if (now - lastBeat < (policy.every?.() ?? 0) - policy.interval / 2) return;
    lastBeat = now;
    policy.beat();
  }, policy.interval);
}
