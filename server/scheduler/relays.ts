/**
 * Fetches the scheduler relays between worker processes that cannot reach each other directly:
 * who asked (process and request id), which process was asked, for which keys. Only the process
 * asked may answer, and only once; a process that leaves settles what it was asked (as missing)
 * and its own requests are forgotten.
 */

interface Asked {
  target: string;
  keys: string[];
}

/** Relayed fetches in flight. */
export class Relays {
  /** requester process -> request id -> what it asked of whom. */
  private readonly open = new Map<string, Map<number, Asked>>();

  /** `requester`'s fetch `id` of `keys` goes to process `target`. */
  ask(requester: string, id: number, target: string, keys: string[]): void {
    let mine = this.open.get(requester);
    if (mine === undefined) this.open.set(requester, (mine = new Map<number, Asked>()));
    mine.set(id, { target, keys });
  }

  /** Whether `target` may answer `requester`'s fetch `id` (true once, for the process asked). */
  answer(requester: string, id: number, target: string): boolean {
    const mine = this.open.get(requester);
    if (mine?.get(id)?.target !== target) return false;
    mine.delete(id);
    if (mine.size === 0) this.open.delete(requester);
    return true;
  }

  /**
   * Process `gone` left: each fetch it was asked is settled through `unanswered`, and the
   * fetches it asked are forgotten.
   */
  dropProcess(
    gone: string,
    unanswered: (requester: string, id: number, keys: string[]) => void,
  ): void {
    this.open.delete(gone);
    for (const [requester, mine] of this.open) {
      for (const [id, asked] of mine) {
        if (asked.target !== gone) continue;
        mine.delete(id);
        unanswered(requester, id, asked.keys);
      }
      if (mine.size === 0) this.open.delete(requester);
    }
  }
}
