/**
 * The worker processes connected to the scheduler and their threads: each process registers
 * with a unique name and N threads (`name/0` .. `name/N-1`, one engine worker each, joining the
 * engine when the process says each is ready). Threads map back to their process for routing.
 *
 * Invariants: a thread is mapped exactly while its process is registered; names are unique
 * among connected processes (a second `w` becomes `w-1`).
 */
import type { EngineEvent } from '../../src/engine/types.js';
import type { Hello, WorkerInfo, WorkerMetrics } from '../../src/wire/protocol.js';
import type { Conn } from './outbox.js';

/** A registered worker process. */
export interface WorkerProcessRecord {
  readonly conn: Conn;
  readonly name: string;
  readonly threads: string[];
  readonly info: NonNullable<Hello['worker']>;
  lastSeen: number;
  /** When the scheduler last pinged it (pings thin out as the cluster grows). */
  lastPinged: number;
  memory: number;
  bytesIn: Record<string, number>;
  bytesOut: Record<string, number>;
  /** Bytes of results spilled to disk, as last reported (browsers: IndexedDB). */
  spilled?: number;
  /** Past its memory pause threshold, as last reported: its threads get no new tasks. */
  paused?: boolean;
  /** It said it is past its terminate threshold (its supervisor restarts it). */
  terminating?: boolean;
  readonly joined: number;
  /** Set when it returned a result the majority disagreed with: it gets no more tasks. */
  quarantined?: { key: string; reason: string; since: number };
}

/** Connected worker processes, by connection id and by thread. */
export class WorkerProcesses {
  /** Processes by connection id. */
  readonly byConn = new Map<string, WorkerProcessRecord>();
  private readonly byThread = new Map<string, WorkerProcessRecord>();
  /** Names in use (a join checks its name here, not against every process: O(1) per join). */
  private readonly names = new Set<string>();

  /** Registers a process; its record. */
  add(conn: Conn, hello: Hello): WorkerProcessRecord {
    const info = hello.worker as NonNullable<Hello['worker']>;
    const name = this.uniqueName(hello.name ?? conn.id);
    const threads = Array.from({ length: info.nthreads }, (_, i) => `${name}/${i}`);
    const record: WorkerProcessRecord = {
      conn,
      name,
      threads,
      info,
      lastSeen: Date.now(),
      lastPinged: 0,
      memory: 0,
      bytesIn: {},
      bytesOut: {},
      joined: Date.now(),
    };
    this.byConn.set(conn.id, record);
    this.names.add(name);
    for (const t of threads) this.byThread.set(t, record);
    return record;
  }

  /** Unregisters a process; its record, or undefined when it was not registered. */
  remove(connId: string): WorkerProcessRecord | undefined {
    const record = this.byConn.get(connId);
    if (record === undefined) return undefined;
    this.byConn.delete(connId);
    this.names.delete(record.name);
    for (const t of record.threads) this.byThread.delete(t);
    return record;
  }

  /** The process running a thread. */
  ofThread(thread: string): WorkerProcessRecord | undefined {
    return this.byThread.get(thread);
  }

  /** Every thread with its process. */
  threads(): IterableIterator<[string, WorkerProcessRecord]> {
    return this.byThread.entries();
  }

  private uniqueName(wanted: string): string {
    if (!this.names.has(wanted)) return wanted;
    for (let i = 1; ; i++) if (!this.names.has(`${wanted}-${i}`)) return `${wanted}-${i}`;
  }
}

/** What a heartbeat changed that the scheduler acts on. */
export interface HeartbeatChange {
  /** Engine events for a pause or unpause of the process's threads. */
  readonly events: EngineEvent[];
  /** Counters to bump: 'memoryPaused' (a pause began), 'memoryRestarts' (a restart began). */
  readonly counters: ('memoryPaused' | 'memoryRestarts')[];
}

/** Records a heartbeat's metrics on the process; what the scheduler must do about them. */
export function applyHeartbeat(
  record: WorkerProcessRecord,
  metrics: WorkerMetrics,
): HeartbeatChange {
  record.memory = metrics.memory;
  record.bytesIn = metrics.bytesIn;
  record.bytesOut = metrics.bytesOut;
  record.spilled = metrics.spilled ?? 0;
  const counters: HeartbeatChange['counters'] = [];
  const events: EngineEvent[] = [];
  const paused = metrics.paused === true || metrics.terminating === true;
  if (paused !== (record.paused === true)) {
    record.paused = paused;
    if (paused) counters.push('memoryPaused');
    for (const worker of record.threads) events.push({ type: 'worker-paused', worker, paused });
  }
  if (metrics.terminating === true && record.terminating !== true) {
    record.terminating = true;
    counters.push('memoryRestarts');
  }
  return { events, counters };
}

/** The engine event that keeps a thread that joins (again) paused with its process. */
export function pausedOnJoin(record: WorkerProcessRecord, worker: string): EngineEvent[] {
  return record.paused === true ? [{ type: 'worker-paused', worker, paused: true }] : [];
}

/** Where peers reach thread `id` of process `p` (sent with the runs that fetch from it). */
export function infoOf(id: string, p: WorkerProcessRecord): WorkerInfo {
  return {
    id,
    process: p.conn.id,
    ...(p.info.peerAddress !== undefined ? { peerAddress: p.info.peerAddress } : {}),
  };
}
