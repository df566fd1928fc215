/**
 * The task a worker thread is running, written where its parent can read it after the thread
 * died (a SharedArrayBuffer). A thread holds finished results for a moment before sending them,
 * so "the oldest task not answered" may be one that already finished: a crash blamed on it
 * would fail an innocent task and spare the guilty one. With the slot, the parent blames
 * exactly the task that was running, or none when the thread was between tasks.
 *
 * Layout: an Int32 length (0: between tasks; -1: a key too long to record), then the key's
 * UTF-8 bytes. Where SharedArrayBuffer is not available (a page that is not cross-origin
 * isolated), there is no slot and the parent falls back to the oldest unanswered task.
 */

const BYTES = 8192;
const TOO_LONG = -1;

/** What a slot says. */
export type SlotReading =
  { state: 'idle' } | { state: 'running'; key: string } | { state: 'unknown' };

/** A new slot's memory, or undefined where threads cannot share memory. */
export function newRunningSlot(): SharedArrayBuffer | undefined {
  if (typeof SharedArrayBuffer === 'undefined') return undefined;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return undefined;
  return new SharedArrayBuffer(BYTES);
}

/** Both sides of a slot: the thread writes, its parent reads. */
export class RunningSlot {
  private readonly length: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly encoder = new TextEncoder();

  constructor(buffer: SharedArrayBuffer) {
    this.length = new Int32Array(buffer, 0, 1);
    this.bytes = new Uint8Array(buffer, 4);
  }

  /** The thread starts running `key`. */
  enter(key: string): void {
    const { read, written } = this.encoder.encodeInto(key, this.bytes);
    Atomics.store(this.length, 0, read === key.length ? written : TOO_LONG);
  }

  /** The thread is between tasks. */
  leave(): void {
    Atomics.store(this.length, 0, 0);
  }

  /** What the thread was doing (read by the parent, typically after the thread exited). */
  read(): SlotReading {
    const n = Atomics.load(this.length, 0);
    if (n === 0) return { state: 'idle' };
    if (n === TOO_LONG || n < 0 || n > this.bytes.length) return { state: 'unknown' };
    // Copy out of shared memory: TextDecoder does not take shared views.
    return { state: 'running', key: new TextDecoder().decode(this.bytes.slice(0, n)) };
  }
}
