/**
 * MessagePort-like ends of channels between processes, and how a port is named while it moves
 * to a worker process. The pool drives process workers with the same code as threads (comlink
 * on a control endpoint, batches on a task port, peer ports between workers), so each side of
 * a process pipe (process-pipe.ts) offers ports that behave as MessagePorts do: messages wait
 * until `start()` (or are handed on with the port when it moves), listeners get `{ data }`,
 * `close()` stops delivery.
 *
 * Port ids on a pipe: 0 is the control endpoint (comlink), 1 the pipe's own notices
 * (`PipeNotice`), 2 and up the ports of channels. A port moved to a worker (in a call's
 * transfer list) crosses as a token `{ [MARK]: 'port', id }` that the worker turns back into
 * a port with that id.
 */
import { MARK } from '../wire/clone.js';
import type { SerializedError } from '../errors.js';

/** The control endpoint's id on a pipe. */
export const CONTROL_PORT = 0;
/** The id on which a pipe's own notices travel. */
export const NOTICE_PORT = 1;
/** The first id of a channel's port. */
export const FIRST_PORT = 2;

/** What a worker process tells its parent besides messages on ports. */
export type PipeNotice =
  /** The worker closed a port: its parent forgets it. */
  | { type: 'closed'; port: number }
  /** An error ends the worker: its parent reports this one, not just an exit code. */
  | { type: 'fatal'; error: SerializedError }
  /** The worker ends: the task it was running (null: none), for its parent's running slot. */
  | { type: 'running'; key: string | null };

type Listener = (event: MessageEvent) => void;

/** One end of a channel, in either process. */
export class ProcessPort {
  private readonly listeners = new Set<Listener>();
  /** Messages received before `start()`. */
  private waiting: unknown[] | undefined = [];
  private closed = false;

  constructor(
    /** The port's id on its pipe. */
    readonly id: number,
    /** Carries a posted message towards the other end. */
    private readonly sink: (message: unknown) => void,
    /** Told once, when the port is closed. */
    private readonly onClose: (port: ProcessPort) => void = () => undefined,
  ) {}

  /** Sends to the other end (transfer lists are ignored: bytes cross by copy anyway). */
  postMessage(message: unknown, _transfer?: readonly unknown[]): void {
    if (!this.closed) this.sink(message);
  }

  addEventListener(type: 'message', listener: Listener): void {
    if (type === 'message') this.listeners.add(listener);
  }

  removeEventListener(type: 'message', listener: Listener): void {
    if (type === 'message') this.listeners.delete(listener);
  }

  /** Delivers what waited, then every message as it comes. */
  start(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    for (const data of waiting) this.emit(data);
  }

  /** Stops delivery for good. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.waiting = undefined;
    this.onClose(this);
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A message for this port arrived: delivered now when started, else kept. */
  dispatch(data: unknown): void {
    if (this.closed) return;
    if (this.waiting !== undefined) this.waiting.push(data);
    else this.emit(data);
  }

  /** Takes the messages that waited (the port moves elsewhere with them). */
  takeWaiting(): unknown[] {
    const waiting = this.waiting ?? [];
    this.waiting = [];
    return waiting;
  }

  private emit(data: unknown): void {
    const event = { data } as MessageEvent;
    for (const listener of this.listeners) listener(event);
  }
}

/** A port's token on the wire. */
interface PortToken {
  [MARK]: 'port';
  id: number;
}

const MAX_DEPTH = 4;

function isPlain(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

/**
 * A running slot (worker/running-slot.ts) in a control message: shared memory cannot cross
 * processes, so the worker writes a slot of its own and says what it held when it ends
 * (`PipeNotice` 'running'); the parent writes that into the slot it kept.
 */
const SLOT_TOKEN = 'slot';

/**
 * Replaces the `ports` (moved in a control message, where comlink puts them: a few levels
 * deep in the call's arguments) by tokens; returns the message (rebuilt where it changed).
 */
export function tokenizePorts(
  message: unknown,
  ports: ReadonlySet<ProcessPort>,
  onSlot: (slot: SharedArrayBuffer) => void,
): unknown {
  const visit = (value: unknown, depth: number): unknown => {
    if (value instanceof ProcessPort && ports.has(value))
      return { [MARK]: 'port', id: value.id } satisfies PortToken;
    if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) {
      onSlot(value);
      return { [MARK]: SLOT_TOKEN };
    }
    if (depth >= MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => visit(v, depth + 1));
    if (isPlain(value)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) out[k] = visit(value[k], depth + 1);
      return out;
    }
    return value;
  };
  return visit(message, 0);
}

/**
 * Replaces port tokens in a received control message by ports `make` opens, and a running
 * slot's token by the slot `makeSlot` gives (in place).
 */
export function restorePorts(
  message: unknown,
  make: (id: number) => ProcessPort,
  makeSlot: () => SharedArrayBuffer,
): unknown {
  const visit = (value: unknown, depth: number): unknown => {
    if (isPlain(value)) {
      if (value[MARK] === 'port' && typeof value['id'] === 'number') return make(value['id']);
      if (value[MARK] === SLOT_TOKEN) return makeSlot();
      if (depth < MAX_DEPTH)
        for (const k of Object.keys(value)) value[k] = visit(value[k], depth + 1);
    } else if (Array.isArray(value) && depth < MAX_DEPTH) {
      for (let i = 0; i < value.length; i++) value[i] = visit(value[i], depth + 1);
    }
    return value;
  };
  return visit(message, 0);
}
