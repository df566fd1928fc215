/**
 * A client's messages that wait for its scatter: the engine learns of scattered data only once
 * every worker acknowledged its part (puts.ts), and a client may send a submission that uses
 * the data right after the scatter (its futures are handed out at once). So while a client's
 * scatter is in flight, its later messages queue here, and run in order once it is answered.
 */

/** Per client, the messages held behind a scatter in flight. */
export class ClientHolds<M> {
  private readonly held = new Map<string, M[]>();

  /** Starts holding `client`'s messages (its scatter went out). */
  hold(client: string): void {
    if (!this.held.has(client)) this.held.set(client, []);
  }

  /** Queues `message` when `client` is held; false when it may run now. */
  queue(client: string, message: M): boolean {
    const list = this.held.get(client);
    if (list === undefined) return false;
    list.push(message);
    return true;
  }

  /**
   * Stops holding `client` and runs its queued messages in order; one that starts a new hold
   * (another scatter) keeps the rest queued behind it; `run` returning false drops the rest.
   */
  release(client: string, run: (message: M) => boolean): void {
    const list = this.held.get(client);
    if (list === undefined) return;
    this.held.delete(client);
    for (let i = 0; i < list.length; i++) {
      if (!run(list[i] as M)) return;
      const again = this.held.get(client);
      if (again !== undefined) {
        again.push(...list.slice(i + 1));
        return;
      }
    }
  }

  /** Forgets `client` (it left). */
  drop(client: string): void {
    this.held.delete(client);
  }
}
