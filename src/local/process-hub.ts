/**
 * The main process's switchboard for worker processes: every channel the pool opens (a
 * worker's task port, a link between two workers) is a pair of ports here, and each end may
 * move to a worker process. Messages go where the other end lives now: to a listener in this
 * process, or down a worker's pipe. Data between two workers passes through here as it came,
 * still encoded (one copy, no decoding).
 *
 * Invariants: a port id is used once in this process; a message reaches a moved port in the
 * order it was sent, after the control message that moved it (messages that waited go along
 * with it); once a worker's pipe ends, its ports are forgotten and messages to them dropped
 * (the pool already treats that worker as dead and settles what it was asked).
 */
import type { Endpoint } from 'comlink';
import { serializeError, type SerializedError } from '../errors.js';
import { RunningSlot } from '../worker/running-slot.js';
import { FramePipe, decodeMessage } from './process-pipe.js';
import {
  CONTROL_PORT,
  FIRST_PORT,
  NOTICE_PORT,
  ProcessPort,
  tokenizePorts,
  type PipeNotice,
} from './process-ports.js';

interface Entry {
  readonly port: ProcessPort;
  partner: number;
  /** The worker the port moved to, if it did. */
  owner: WorkerPipe | undefined;
}

type Listener = (event: MessageEvent) => void;

/** A running slot's "cannot tell" (running-slot.ts: a length of -1). */
const SLOT_UNKNOWN = -1;

/** The pipe to one worker process, as the hub uses it. */
export class WorkerPipe {
  /** The fatal error the worker reported before it ended, if any. */
  fatal: SerializedError | undefined;
  readonly pipe: FramePipe;
  private readonly control = new Set<Listener>();
  /** Control calls not answered yet (comlink ids): they hold the process open. */
  private readonly calls = new Set<string>();
  private active = true;
  private slot: RunningSlot | undefined;

  constructor(
    private readonly hub: PortHub,
    socket: ConstructorParameters<typeof FramePipe>[0],
    onEnd: (error: Error | undefined) => void,
  ) {
    this.pipe = new FramePipe(
      socket,
      (port, frame) => this.receive(port, frame),
      (error) => {
        hub.forget(this);
        onEnd(error);
      },
    );
  }

  /** The comlink endpoint of the worker: ports in a call's transfer list move to it. */
  readonly endpoint: Endpoint = {
    postMessage: (message: unknown, transfer: readonly unknown[] = []): void => {
      const moving = new Set(transfer.filter((t): t is ProcessPort => t instanceof ProcessPort));
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'string') {
        this.calls.add(id);
        this.holdOpen();
      }
      this.pipe.send(
        CONTROL_PORT,
        tokenizePorts(message, moving, (slot) => this.keepSlot(slot)),
      );
      for (const port of moving) this.hub.move(port, this);
    },
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject): void => {
      this.control.add(listener as Listener);
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject): void => {
      this.control.delete(listener as Listener);
    },
  };

  /**
   * The pool's running slot for this worker: "unknown" while the worker lives (the pool then
   * blames its oldest unanswered task, and times out what runs), what the worker said when it
   * ended.
   */
  private keepSlot(memory: SharedArrayBuffer): void {
    this.slot = new RunningSlot(memory);
    Atomics.store(new Int32Array(memory, 0, 1), 0, SLOT_UNKNOWN);
  }

  /** Holds this process open (busy) or not (idle: only unanswered control calls do). */
  setActive(active: boolean): void {
    this.active = active;
    this.holdOpen();
  }

  private holdOpen(): void {
    if (this.active || this.calls.size > 0) this.pipe.socket.ref();
    else this.pipe.socket.unref();
  }

  private receive(port: number, frame: Uint8Array): void {
    if (port !== CONTROL_PORT && port !== NOTICE_PORT) {
      this.hub.relay(port, frame, this);
      return;
    }
    let data: unknown;
    try {
      data = decodeMessage(frame);
    } catch (error) {
      // A worker that sends what cannot be read is broken: it is ended and replaced.
      this.fatal = serializeError(error);
      this.pipe.close();
      return;
    }
    if (port === CONTROL_PORT) {
      const id = (data as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && this.calls.delete(id)) this.holdOpen();
      const event = { data } as MessageEvent;
      for (const listener of this.control) listener(event);
      return;
    }
    const notice = data as PipeNotice;
    if (notice.type === 'fatal') this.fatal = notice.error;
    else if (notice.type === 'running') {
      if (notice.key === null) this.slot?.leave();
      else this.slot?.enter(notice.key);
    } else if (notice.type === 'closed') this.hub.closedBy(notice.port, this);
  }
}

/** Every port of this process's channels to worker processes. */
export class PortHub {
  private nextId = FIRST_PORT;
  private readonly entries = new Map<number, Entry>();

  /** A new channel; either end may move to a worker. */
  channel(): { port1: ProcessPort; port2: ProcessPort } {
    const a = this.open();
    const b = this.open();
    (this.entries.get(a.id) as Entry).partner = b.id;
    (this.entries.get(b.id) as Entry).partner = a.id;
    return { port1: a, port2: b };
  }

  /** How many ports are open (tests: nothing leaks). */
  get size(): number {
    return this.entries.size;
  }

  private open(): ProcessPort {
    const id = this.nextId++;
    const port = new ProcessPort(
      id,
      (message) => this.post(id, message),
      () => this.forgetPort(id),
    );
    this.entries.set(id, { port, partner: -1, owner: undefined });
    return port;
  }

  /** A message posted on port `from` in this process. */
  private post(from: number, message: unknown): void {
    const to = this.entries.get(this.entries.get(from)?.partner ?? -1);
    if (to === undefined) return;
    if (to.owner !== undefined) to.owner.pipe.send(to.port.id, message);
    // Both ends here (before a move): deliver later, as a MessagePort does.
    else queueMicrotask(() => to.port.dispatch(message));
  }

  /** `port` moved to `owner`: what waited for it follows it there. */
  move(port: ProcessPort, owner: WorkerPipe): void {
    const entry = this.entries.get(port.id);
    if (entry === undefined || entry.owner !== undefined) return;
    if (owner.pipe.isEnded) {
      // Moved to a worker that is already gone: nobody will ever read it.
      this.entries.delete(port.id);
      return;
    }
    entry.owner = owner;
    for (const message of port.takeWaiting()) owner.pipe.send(port.id, message);
  }

  /** A frame a worker sent on its port `from`: to the other end, wherever it is. */
  relay(from: number, frame: Uint8Array, sender: WorkerPipe): void {
    const source = this.entries.get(from);
    if (source?.owner !== sender) return;
    const to = this.entries.get(source.partner);
    if (to === undefined) return;
    if (to.owner !== undefined) {
      to.owner.pipe.sendRaw(to.port.id, frame);
      return;
    }
    let data: unknown;
    try {
      data = decodeMessage(frame);
    } catch (error) {
      sender.fatal = serializeError(error);
      sender.pipe.close();
      return;
    }
    to.port.dispatch(data);
  }

  /** A worker closed its end of a channel. */
  closedBy(id: number, owner: WorkerPipe): void {
    if (this.entries.get(id)?.owner === owner) this.entries.delete(id);
  }

  /** A worker's pipe ended: its ports are gone. */
  forget(owner: WorkerPipe): void {
    for (const [id, entry] of this.entries) if (entry.owner === owner) this.entries.delete(id);
  }

  private forgetPort(id: number): void {
    if (this.entries.get(id)?.owner === undefined) this.entries.delete(id);
  }
}
