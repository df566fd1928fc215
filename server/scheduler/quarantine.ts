/**
 * The quarantine registry: worker processes whose result disagreed with the majority of a
 * verified task. The engine already keeps their threads out (no tasks, no data used); this
 * records why, for /api/info, /metrics and the dashboard, and marks the process's record.
 *
 * Policy: at most MAX_QUARANTINED entries are listed (the oldest go first); a quarantined
 * process stays connected and marked until it restarts.
 */
import type { Quarantine } from '../../src/engine/driver.js';
import type { QuarantinedProcess } from '../../src/wire/protocol.js';
import type { WorkerProcessRecord } from './processes.js';

/** Quarantined processes listed by /api/info. */
const MAX_QUARANTINED = 1000;

/** The processes quarantined so far. */
export class QuarantineRegistry {
  private readonly list: QuarantinedProcess[] = [];

  /** Records a quarantine (`process` is the host's record while it is connected); the log line. */
  mark(ins: Quarantine, process: WorkerProcessRecord | undefined): string {
    const name = process?.name ?? ins.host;
    const since = Date.now();
    if (process !== undefined) process.quarantined = { key: ins.key, reason: ins.reason, since };
    this.list.push({
      name,
      host: process?.info.host ?? ins.host,
      workers: ins.workers,
      key: ins.key,
      reason: ins.reason,
      since,
    });
    if (this.list.length > MAX_QUARANTINED) this.list.shift();
    return (
      `bask scheduler: quarantined worker '${name}' (${ins.host}): ${ins.reason}; ` +
      'it gets no more tasks (restart it to clear this)'
    );
  }

  /** A copy of the list, oldest first. */
  all(): QuarantinedProcess[] {
    return [...this.list];
  }
}
