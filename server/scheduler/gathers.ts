/**
 * Gathers in flight: a client asks for keys, the scheduler asks each holding worker process
 * for its part, and answers the client once every part is back. A part whose process goes
 * away counts as missing, so no client waits for a gather forever.
 */

interface Gather {
  readonly client: string;
  readonly id: number;
  readonly keys: string[];
  readonly values: Map<string, unknown>;
  readonly missing: Set<string>;
  readonly parts: Set<number>;
}

interface Part {
  readonly gather: Gather;
  readonly process: string;
  readonly keys: string[];
}

/** The gathers the scheduler is waiting on. */
export class Gathers {
  private readonly byClient = new Map<string, Map<number, Gather>>();
  private readonly parts = new Map<number, Part>();
  private nextPart = 1;

  /** Starts a client's gather; `missing` are keys no worker holds. */
  start(client: string, id: number, keys: string[], missing: string[]): Gather {
    const gather: Gather = {
      client,
      id,
      keys,
      values: new Map(),
      missing: new Set(missing),
      parts: new Set(),
    };
    let mine = this.byClient.get(client);
    if (mine === undefined) this.byClient.set(client, (mine = new Map<number, Gather>()));
    mine.set(id, gather);
    return gather;
  }

  /** Registers the part asked of a worker process; returns its id. */
  part(gather: Gather, process: string, keys: string[]): number {
    const id = this.nextPart++;
    this.parts.set(id, { gather, process, keys });
    gather.parts.add(id);
    return id;
  }

  isComplete(gather: Gather): boolean {
    return gather.parts.size === 0;
  }

  /**
   * A part came back from worker process `from`; returns the gather when it is complete. A part
   * answered by any process but the one asked is ignored (a worker cannot answer for another).
   */
  received(partId: number, from: string, values: unknown[], missing: string[]): Gather | undefined {
    const part = this.parts.get(partId);
    if (part === undefined || part.process !== from) return undefined;
    this.parts.delete(partId);
    const lost = new Set(missing);
    part.keys.forEach((k, i) => {
      if (lost.has(k)) part.gather.missing.add(k);
      else part.gather.values.set(k, values[i]);
    });
    part.gather.parts.delete(partId);
    return part.gather.parts.size === 0 ? part.gather : undefined;
  }

  /** Removes a finished gather; returns its values in key order and the missing keys. */
  finish(client: string, id: number): { values: unknown[]; missing: string[] } | undefined {
    const gather = this.byClient.get(client)?.get(id);
    if (gather === undefined) return undefined;
    this.byClient.get(client)?.delete(id);
    return { values: gather.keys.map((k) => gather.values.get(k)), missing: [...gather.missing] };
  }

  /** A worker process left: its parts are missing; completed gathers are answered. */
  dropWorker(process: string, answer: (client: string, id: number, keys: string[]) => void): void {
    for (const [partId, part] of [...this.parts]) {
      if (part.process !== process) continue;
      const done = this.received(partId, process, [], part.keys);
      if (done !== undefined) answer(done.client, done.id, done.keys);
    }
  }

  /** A client left: forget its gathers. */
  dropClient(client: string): void {
    const mine = this.byClient.get(client);
    if (mine === undefined) return;
    for (const g of mine.values()) for (const p of g.parts) this.parts.delete(p);
    this.byClient.delete(client);
  }
}
