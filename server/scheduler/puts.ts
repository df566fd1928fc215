/**
 * Scatters in flight: a client's `scatter` becomes one `put` per key and target worker, each
 * acknowledged by its process; the scatter is answered (and its data announced to the engine)
 * when every part is acknowledged or its process has left.
 */
import type { EngineEvent } from '../../src/engine/types.js';

/** A scatter waiting for its parts, as the cluster answers it. */
export interface PendingScatter<C> {
  conn: C;
  id: number;
  events: EngineEvent[];
}

interface Scatter<C> extends PendingScatter<C> {
  left: Set<number>;
}

/** The parts of scatters still unacknowledged. */
export class Puts<C> {
  private nextId = 1;
  /** put id -> the process it went to, and its scatter. */
  private readonly parts = new Map<number, { process: string; scatter: Scatter<C> }>();

  /** Starts a scatter; `part(process)` gives the put id for a part sent to `process`. */
  start(pending: PendingScatter<C>): (process: string) => number {
    const scatter: Scatter<C> = { ...pending, left: new Set() };
    return (process) => {
      const id = this.nextId++;
      scatter.left.add(id);
      this.parts.set(id, { process, scatter });
      return id;
    };
  }

  /** Part `id` is acknowledged (or lost); returns its scatter when that was its last part. */
  done(id: number): PendingScatter<C> | undefined {
    const part = this.parts.get(id);
    if (part === undefined) return undefined;
    this.parts.delete(id);
    part.scatter.left.delete(id);
    return part.scatter.left.size === 0 ? part.scatter : undefined;
  }

  /** The put ids sent to `process` and not yet acknowledged. */
  sentTo(process: string): number[] {
    return [...this.parts].filter(([, p]) => p.process === process).map(([id]) => id);
  }
}
