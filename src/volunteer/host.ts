/**
 * `joinCluster`: this browser tab becomes a bask worker, the twin of a `bask worker` process.
 * The page runs the threads (Web Workers) and WebRTC; a dedicated router Worker holds the
 * scheduler connection and its heartbeats (so a background tab keeps its place), routes tasks
 * and data, and spills to IndexedDB (see router.ts, messages.ts).
 *
 * Leaving: `leave()` closes the connection (the scheduler reschedules whatever was running
 * here and recomputes what only this tab held); closing the tab does the same, and by default
 * the page also leaves explicitly on `pagehide`.
 */
import { BaskError, type ErrorCode } from '../errors.js';
import { REPORT_LIMIT } from '../wire/protocol.js';
import { HostThreads } from './host-threads.js';
import type { HostToRouter, RouterStatus, RouterToHost } from './messages.js';
import { resolveJoinOptions, type JoinOptions } from './options.js';
import { RtcNetwork } from './rtc.js';

/** What a volunteer is doing, for its page. */
export interface VolunteerStatus extends RouterStatus {
  /** 'running' until the volunteer leaves or loses the scheduler. */
  readonly state: 'running' | 'stopped';
  /** Why it stopped. */
  readonly reason: string | undefined;
  /** Peers (worker process ids) with an open WebRTC data channel. */
  readonly webrtcPeers: readonly string[];
}

/** A browser tab serving as a worker of a bask cluster. */
export class Volunteer {
  private last: RouterStatus = emptyStatus();
  private readonly listeners = new Set<(status: VolunteerStatus) => void>();
  private reason: string | undefined;
  private finished!: (reason: string) => void;
  /** Resolves with the reason once the volunteer has left (or lost the scheduler). */
  readonly stopped: Promise<string> = new Promise((resolve) => (this.finished = resolve));
  private readonly unload = (): void => void this.leave('the page was closed');

  /** @internal */
  constructor(
    /** This volunteer's id at the scheduler (its connection). */
    readonly id: string,
    /** Its name: thread ids are `${name}/${i}`. */
    readonly name: string,
    /** Its thread ids, usable in worker restrictions. */
    readonly threads: readonly string[],
    private readonly router: Worker,
    private readonly workers: HostThreads,
    private readonly rtc: RtcNetwork,
    leaveOnUnload: boolean,
  ) {
    if (leaveOnUnload) globalThis.addEventListener?.('pagehide', this.unload);
  }

  /** The latest counters (updated with every heartbeat). */
  status(): VolunteerStatus {
    return {
      ...this.last,
      state: this.reason === undefined ? 'running' : 'stopped',
      reason: this.reason,
      webrtcPeers: this.rtc.open,
    };
  }

  /** Calls `listener` with each new status; returns a function that stops it. */
  onStatus(listener: (status: VolunteerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Leaves the cluster: stops the threads and closes every connection. */
  async leave(reason = 'the volunteer left'): Promise<void> {
    if (this.reason === undefined) this.post({ type: 'leave', reason });
    // The router answers 'stopped' once closed; a router that is gone cannot.
    await Promise.race([this.stopped, new Promise((r) => setTimeout(r, 2000))]);
    this.end(reason);
  }

  /** @internal Handles a message from the router. */
  fromRouter(message: RouterToHost): void {
    switch (message.type) {
      case 'signal':
        void this.rtc.onSignal(message.from, message.data);
        return;
      case 'rtc-send':
        return this.rtc.send(message.peer, message.chunks);
      case 'rtc-close':
        return this.rtc.close(message.peer);
      case 'respawn':
        void this.workers.restart(message.id, message.generation);
        return;
      case 'status':
        this.last = message.status;
        return this.notify();
      case 'stopped':
        return this.end(message.reason);
      case 'welcome':
      case 'refused':
        return;
    }
  }

  /** @internal */
  post(message: HostToRouter, transfer: Transferable[] = []): void {
    this.router.postMessage(message, transfer);
  }

  private end(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    globalThis.removeEventListener?.('pagehide', this.unload);
    this.workers.stop();
    this.rtc.closeAll();
    this.router.terminate();
    this.finished(reason);
    this.notify();
  }

  private notify(): void {
    const status = this.status();
    for (const l of this.listeners) l(status);
  }
}

/**
 * Joins the cluster of the scheduler at `address` (`ws://host:8786`) as a worker, with
 * `navigator.hardwareConcurrency` threads unless told fewer. Rejects with ERR_AUTH when the
 * scheduler wants a (different) worker token, ERR_CONNECTION when it cannot be reached.
 *
 * ```ts
 * const volunteer = await joinCluster('ws://127.0.0.1:8786', { nthreads: 2 });
 * volunteer.onStatus((s) => console.log(s.tasksDone, s.bytesIn));
 * await volunteer.leave();
 * ```
 */
export async function joinCluster(address: string, options: JoinOptions = {}): Promise<Volunteer> {
  const resolved = resolveJoinOptions(address, options);
  if (typeof Worker === 'undefined')
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'joinCluster runs in browsers (it needs Web Workers); in Node, start `bask worker ADDRESS`',
    );
  const router = new Worker(new URL('./router-worker.js', import.meta.url), {
    type: 'module',
    name: 'bask-volunteer-router',
  });
  const welcome = await new Promise<Extract<RouterToHost, { type: 'welcome' }>>(
    (resolve, reject) => {
      router.onmessage = (event: MessageEvent) => {
        const message = event.data as RouterToHost;
        if (message.type === 'welcome') resolve(message);
        else if (message.type === 'refused') reject(refusal(message.code, message.message));
      };
      router.onerror = (event) => {
        event.preventDefault();
        reject(new BaskError('ERR_CONNECTION', `The volunteer router failed: ${event.message}`));
      };
      router.postMessage({ type: 'start', options: resolved.router } satisfies HostToRouter);
    },
  ).catch((error: unknown) => {
    router.terminate();
    throw error;
  });
  const post = (message: HostToRouter, transfer: Transferable[] = []): void =>
    router.postMessage(message, transfer);
  const workers = new HostThreads(
    {
      // Results up to this size travel back with their completion, as from Node workers.
      reportLimit: REPORT_LIMIT,
      ...(welcome.moduleServer !== undefined ? { moduleServer: welcome.moduleServer } : {}),
    },
    post,
  );
  const rtc = new RtcNetwork(
    welcome.id,
    resolved.rtc,
    (to, data) => post({ type: 'signal', to, data }),
    (peer, bytes) => post({ type: 'rtc-message', peer, bytes }, [bytes.buffer]),
    (peer, state) => post({ type: 'rtc-state', peer, state }),
  );
  const v = new Volunteer(
    welcome.id,
    welcome.name,
    welcome.threads,
    router,
    workers,
    rtc,
    resolved.leaveOnUnload,
  );
  router.onmessage = (event: MessageEvent) => v.fromRouter(event.data as RouterToHost);
  try {
    await workers.start(welcome.threads);
  } catch (error) {
    await v.leave('its threads could not start');
    throw error;
  }
  return v;
}

function refusal(code: string, message: string): BaskError {
  return new BaskError(code.startsWith('ERR_') ? (code as ErrorCode) : 'ERR_CONNECTION', message);
}

function emptyStatus(): RouterStatus {
  return {
    tasksDone: 0,
    keys: 0,
    memory: 0,
    spilled: 0,
    spilledKeys: 0,
    threads: {},
    bytesIn: {},
    bytesOut: {},
    processes: 0,
  };
}

export type { JoinOptions };
