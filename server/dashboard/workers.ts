/**
 * What the dashboards show of workers: each process with its threads (from the engine's worker
 * records and the process's last heartbeat), and the data they moved between heartbeats.
 *
 * Transfers come from the byte counters heartbeats carry (cumulative, by transport) and the
 * spilled bytes they report: a counter that grew between two heartbeats becomes one bar
 * spanning that interval. That is as precise as the workers report it, and it costs the
 * scheduler nothing per transfer. A heartbeat is recognised by its new counters object.
 *
 * Invariants: the list of recent transfers is bounded (MAX_TRANSFERS, oldest dropped).
 */
import type { WorkerProcessRecord } from '../scheduler/cluster.js';
import type { Cluster } from '../scheduler/cluster.js';
import type { ThreadStatus, TransferRun, WorkerStatus } from '../../src/wire/dashboard-protocol.js';

const MAX_TRANSFERS = 2000;
const byName = new Intl.Collator('en', { numeric: true }).compare;
/** A bar spans at most this long (the first heartbeat seen may follow a long quiet time). */
const MAX_SPAN_MS = 1000;

/** The worker processes (by name) and their threads, as the dashboards show them. */
export function workerStatuses(cluster: Cluster): WorkerStatus[] {
  const out: WorkerStatus[] = [];
  for (const p of cluster.processes.values()) {
    const threads: ThreadStatus[] = [];
    let running = 0;
    let done = 0;
    let keys = 0;
    let bytes = 0;
    for (const id of p.threads) {
      const w = cluster.engine.workers.get(id);
      // A quarantined thread has left the engine; what it did before still counts.
      const finished = w?.tasksDone ?? cluster.engine.quarantinedWorkers.get(id)?.tasksDone ?? 0;
      const t = {
        id,
        running: w?.nprocessing ?? 0,
        done: finished,
        keys: w?.nkeys ?? 0,
        bytes: w?.nbytes ?? 0,
      };
      threads.push(t);
      running += t.running;
      done += t.done;
      keys += t.keys;
      bytes += t.bytes;
    }
    out.push({
      id: p.conn.id,
      name: p.name,
      kind: p.info.kind,
      host: p.info.host,
      nthreads: p.threads.length,
      memory: p.memory,
      memoryLimit: p.info.memoryLimit,
      running,
      done,
      keys,
      bytes,
      bytesIn: p.bytesIn,
      bytesOut: p.bytesOut,
      spilled: p.spilled ?? 0,
      ...(p.paused === true ? { paused: true } : {}),
      lastSeen: p.lastSeen,
      joined: p.joined,
      threads,
      ...(p.quarantined !== undefined ? { quarantined: { ...p.quarantined } } : {}),
    });
  }
  return out.sort((a, b) => byName(a.name, b.name));
}

/** The counters of one process at its last heartbeat seen. */
interface Seen {
  bytesIn: Record<string, number>;
  bytesOut: Record<string, number>;
  spilled: number;
  at: number;
}

/** Turns heartbeat counters into transfer bars. */
export class TransferWatch {
  /** The number the next transfer gets. */
  next = 0;
  private readonly recent: TransferRun[] = [];
  private readonly seen = new Map<WorkerProcessRecord, Seen>();

  /** Forgets what was seen (following starts over). */
  reset(cluster: Cluster, now: number): void {
    this.seen.clear();
    for (const p of cluster.processes.values()) this.seen.set(p, seenOf(p, now));
  }

  /** Looks at every process's counters; records what grew since its previous heartbeat. */
  observe(cluster: Cluster, now: number): void {
    for (const p of cluster.processes.values()) {
      const before = this.seen.get(p);
      if (before === undefined) {
        this.seen.set(p, seenOf(p, now));
        continue;
      }
      if (before.bytesIn === p.bytesIn && before.bytesOut === p.bytesOut) continue;
      const start = Math.max(before.at, now - MAX_SPAN_MS);
      this.diff(p.name, 'in', before.bytesIn, p.bytesIn, start, now);
      this.diff(p.name, 'out', before.bytesOut, p.bytesOut, start, now);
      const spilled = p.spilled ?? 0;
      if (spilled !== before.spilled) {
        this.add({
          worker: p.name,
          kind: 'spill',
          direction: spilled > before.spilled ? 'out' : 'in',
          path: 'spill',
          bytes: Math.abs(spilled - before.spilled),
          start,
          end: now,
        });
      }
      this.seen.set(p, seenOf(p, now));
    }
    if (this.seen.size > cluster.processes.size) {
      for (const p of this.seen.keys()) if (!cluster.processes.has(p.conn.id)) this.seen.delete(p);
    }
  }

  /** Transfers from number `from` on (older ones are gone). */
  since(from: number): TransferRun[] {
    const first = this.next - this.recent.length;
    return this.recent.slice(Math.max(0, from - first));
  }

  private diff(
    worker: string,
    direction: 'in' | 'out',
    before: Record<string, number>,
    after: Record<string, number>,
    start: number,
    end: number,
  ): void {
    for (const [path, n] of Object.entries(after)) {
      const bytes = n - (before[path] ?? 0);
      if (bytes > 0) this.add({ worker, kind: 'transfer', direction, path, bytes, start, end });
    }
  }

  private add(run: TransferRun): void {
    this.recent.push(run);
    this.next++;
    if (this.recent.length > MAX_TRANSFERS) this.recent.splice(0, this.recent.length / 2);
  }
}

function seenOf(p: WorkerProcessRecord, at: number): Seen {
  return { bytesIn: p.bytesIn, bytesOut: p.bytesOut, spilled: p.spilled ?? 0, at };
}
