/**
 * The thread link (src/local/thread-link.ts) with real threads: every comlink call is raced
 * against the thread's exit, so a call to a dead thread rejects with ERR_WORKER_CRASHED instead
 * of hanging; and the volunteer host (which drives its threads through the link) gets over a
 * peer dying while a replacement links to it (before the link, `restart()` waited forever).
 * Run on worker_threads (test/pool/thread-link.test.ts) and on Web Workers in Chromium
 * (test/browser/thread-link.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolRuntime, SpawnedWorker } from '../src/local/runtime.js';
import { ThreadLink } from '../src/local/thread-link.js';
import { HostThreads } from '../src/volunteer/host-threads.js';
import type { HostToRouter } from '../src/volunteer/messages.js';
import { rejectionBask } from './helpers.js';

const cleanups: (() => void)[] = [];

/** A started thread behind a link. */
async function startThread(runtime: PoolRuntime, id: string): Promise<ThreadLink> {
  const link = new ThreadLink(id, runtime.spawn(id));
  cleanups.push(() => link.terminate());
  const { port1, port2 } = runtime.channel();
  cleanups.push(() => port1.close?.());
  await link.init(port2, {});
  return link;
}

/** `runtime`, with the spawned threads kept by id and a hook on each new channel. */
function watchedRuntime(runtime: PoolRuntime): {
  runtime: Pick<PoolRuntime, 'spawn' | 'channel'>;
  spawned: Map<string, SpawnedWorker>;
  onChannel: { hook: (() => void) | undefined };
} {
  const spawned = new Map<string, SpawnedWorker>();
  const onChannel: { hook: (() => void) | undefined } = { hook: undefined };
  return {
    spawned,
    onChannel,
    runtime: {
      spawn: (name) => {
        const worker = runtime.spawn(name);
        spawned.set(name, worker);
        return worker;
      },
      channel: () => {
        onChannel.hook?.();
        return runtime.channel();
      },
    },
  };
}

/** The router's view: every message the host sent it, and a way to wait for one. */
function routerInbox(): {
  toRouter: (message: HostToRouter) => void;
  next: (match: (m: HostToRouter) => boolean) => Promise<HostToRouter>;
} {
  const seen: HostToRouter[] = [];
  const waiting: { match: (m: HostToRouter) => boolean; resolve: (m: HostToRouter) => void }[] = [];
  return {
    toRouter: (message) => {
      seen.push(message);
      for (const w of waiting.splice(0)) {
        if (w.match(message)) w.resolve(message);
        else waiting.push(w);
      }
      if (message.type === 'thread') cleanups.push(() => message.port.close());
    },
    next: (match) =>
      new Promise((resolve) => {
        const found = seen.find(match);
        if (found !== undefined) resolve(found);
        else waiting.push({ match, resolve });
      }),
  };
}

/** The thread-link checks on threads of `runtime` (`name` says which kind). */
export function threadLinkSuite(name: string, runtime: PoolRuntime): void {
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  describe(`ThreadLink (${name})`, () => {
    it('answers calls while the thread lives', async () => {
      const link = await startThread(runtime, 'alive');
      expect(await link.remote.ping()).toBe('pong');
      expect(link.isExited).toBe(false);
    });

    it('rejects a call to a thread that has exited with ERR_WORKER_CRASHED (comlink alone hangs)', async () => {
      const link = await startThread(runtime, 'gone');
      link.terminate();
      await link.exited;
      expect(link.isExited).toBe(true);
      const error = await rejectionBask(link.remote.stats());
      expect(error.code).toBe('ERR_WORKER_CRASHED');
      expect(error.message).toContain("'gone'");
    });

    it('fails a link when the peer dies, instead of waiting for it forever', async () => {
      const [a, b] = await Promise.all([startThread(runtime, 'a'), startThread(runtime, 'b')]);
      b.terminate();
      const error = await rejectionBask(ThreadLink.connect(a, b, () => runtime.channel()));
      expect(error.code).toBe('ERR_WORKER_CRASHED');
      // The survivor is unharmed.
      expect(await a.remote.ping()).toBe('pong');
    });
  });

  describe(`volunteer host threads (${name})`, () => {
    it('hands a replacement off when a peer dies while it links, and replaces that peer too', async () => {
      const { runtime: watched, spawned, onChannel } = watchedRuntime(runtime);
      const inbox = routerInbox();
      const host = new HostThreads({}, inbox.toRouter, watched);
      cleanups.push(() => host.stop());
      await host.start(['t0', 't1', 't2']);
      const firstT1 = spawned.get('t1');
      // Replace t0; the moment its replacement opens its first link (to t1), t1 dies.
      let channels = 0;
      onChannel.hook = () => {
        // The first channel is the replacement's task port, the second its link to t1.
        if (++channels === 2) firstT1?.terminate();
      };
      const handedOff = (id: string, after: number) => (m: HostToRouter) =>
        m.type === 'thread' && m.id === id && m.generation > after;
      await host.restart('t0');
      onChannel.hook = undefined;
      const t0 = await inbox.next(handedOff('t0', 3));
      const exit = await inbox.next((m) => m.type === 'thread-exit' && m.id === 't1');
      const t1 = await inbox.next(handedOff('t1', 3));
      expect(t0.type).toBe('thread');
      expect(exit).toEqual({ type: 'thread-exit', id: 't1' });
      expect(t1.type).toBe('thread');
      expect(spawned.get('t1')).not.toBe(firstT1);
    });
  });
}
