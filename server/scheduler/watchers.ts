/**
 * Clients that asked for the events of their tasks (`progress: true` on a submission: progress
 * bars and profilers on the client), by key. Each watched task is reported once, when its
 * result comes, then forgotten.
 */
import type { TaskResult } from '../../src/wire/pool-protocol.js';
import type { TaskEvent } from '../../src/wire/protocol.js';
import { taskEventOf } from '../../src/wire/task-events.js';

/** Who watches which task. */
export class TaskWatchers {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byClient = new Map<string, Set<string>>();

  /** `client` wants the events of these tasks. */
  watch(client: string, keys: readonly string[]): void {
    let mine = this.byClient.get(client);
    if (mine === undefined) this.byClient.set(client, (mine = new Set()));
    for (const key of keys) {
      mine.add(key);
      let clients = this.byKey.get(key);
      if (clients === undefined) this.byKey.set(key, (clients = new Set()));
      clients.add(client);
    }
  }

  /** `client` left: it watches nothing any more. */
  forget(client: string): void {
    for (const key of this.byClient.get(client) ?? []) {
      const clients = this.byKey.get(key);
      clients?.delete(client);
      if (clients?.size === 0) this.byKey.delete(key);
    }
    this.byClient.delete(client);
  }

  /** The events of these results, by watching client (empty when nobody watches). */
  events(worker: string, results: readonly TaskResult[]): Map<string, TaskEvent[]> {
    const out = new Map<string, TaskEvent[]>();
    if (this.byKey.size === 0) return out;
    for (const r of results) {
      const clients = this.byKey.get(r.key);
      if (clients === undefined || r.missing !== undefined) continue;
      for (const client of clients) {
        let list = out.get(client);
        if (list === undefined) out.set(client, (list = []));
        list.push(taskEventOf(worker, r));
        this.byClient.get(client)?.delete(r.key);
      }
      this.byKey.delete(r.key);
    }
    return out;
  }
}
