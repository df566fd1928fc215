/**
 * `joinCluster`: this browser tab becomes a bask worker, the twin of a `bask worker` process.
 * The page runs the threads (Web Workers) and WebRTC; a dedicated router Worker holds the
 * scheduler connection and its heartbeats (so a background tab keeps its place), routes tasks
 * and data, and spills to IndexedDB (see router.ts, messages.ts).
 *
 * Leaving: `leave()` closes the connection (the scheduler reschedules whatever was running
 * here and recomputes what only this tab held); closing the tab does the same, and by default
 * the page also leaves explicitly on `pagehide`.
 *
 * Losing the scheduler (it restarted, went silent, or the network dropped): the tab ends that
 * membership (router, threads, WebRTC) and joins again at the same address as a fresh worker,
 * with the backoff clients use (wire/backoff.ts); its status is 'reconnecting' meanwhile. A
 * refusal that retrying cannot fix (a token, a protocol version) stops it.
 */
import { BaskError, type ErrorCode } from '../errors.js';
import { CLOSE_CODES_FINAL, retryWithBackoff } from '../wire/backoff.js';
import { REPORT_LIMIT } from '../wire/protocol.js';
import { HostThreads } from './host-threads.js';
import type { HostToRouter, RouterStatus, RouterToHost } from './messages.js';
import { resolveJoinOptions, type JoinOptions, type ResolvedJoinOptions } from './options.js';
import { RtcNetwork } from './rtc.js';

/** What a volunteer is doing, for its page. */
export interface VolunteerStatus extends RouterStatus {
  /**
   * 'running'; 'reconnecting' after losing the scheduler, until it joins again as a fresh
   * worker (counters start over) or gives up; 'stopped' once it left or gave up.
   */
  readonly state: 'running' | 'reconnecting' | 'stopped';
  /** Why it stopped, or why it is reconnecting. */
  readonly reason: string | undefined;
  /** Peers (worker process ids) with an open WebRTC data channel. */
  readonly webrtcPeers: readonly string[];
}

/** One membership in the cluster: a router worker, its threads and WebRTC, under one id. */
interface Session {
  readonly id: string;
  readonly name: string;
  readonly threads: readonly string[];
  readonly router: Worker;
  readonly workers: HostThreads;
  readonly rtc: RtcNetwork;
  /** Routes the router's messages to `handler`, first those that came while starting. */
  attach(handler: (message: RouterToHost) => void): void;
}

/** A browser tab serving as a worker of a bask cluster. */
export class Volunteer {
  private last: RouterStatus = emptyStatus();
  private readonly listeners = new Set<(status: VolunteerStatus) => void>();
  private reason: string | undefined;
  /** Set while reconnecting: why the last session ended. */
  private lostReason: string | undefined;
  private leaving = false;
  private readonly aborted = new AbortController();
  private finished!: (reason: string) => void;
  /** Resolves with the reason once the volunteer has left (or given up on the scheduler). */
  readonly stopped: Promise<string> = new Promise((resolve) => (this.finished = resolve));
  private readonly unload = (): void => void this.leave('the page was closed');

  /** @internal */
  constructor(
    private session: Session,
    private readonly options: ResolvedJoinOptions,
  ) {
    if (options.leaveOnUnload) globalThis.addEventListener?.('pagehide', this.unload);
    session.attach((m) => this.fromRouter(session, m));
  }

  /** This volunteer's id at the scheduler (its connection; a new one after reconnecting). */
  get id(): string {
    return this.session.id;
  }

  /** Its name: thread ids are `${name}/${i}`. */
  get name(): string {
    return this.session.name;
  }

  /** Its thread ids, usable in worker restrictions. */
  get threads(): readonly string[] {
    return this.session.threads;
  }

  /** The latest counters (updated with every heartbeat). */
  status(): VolunteerStatus {
    const state =
      this.reason !== undefined
        ? 'stopped'
        : this.lostReason !== undefined
          ? 'reconnecting'
          : 'running';
    return {
      ...this.last,
      state,
      reason: this.reason ?? this.lostReason,
      webrtcPeers: state === 'running' ? this.session.rtc.open : [],
    };
  }

  /** Calls `listener` with each new status; returns a function that stops it. */
  onStatus(listener: (status: VolunteerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Leaves the cluster (or stops reconnecting): stops the threads and closes every connection. */
  async leave(reason = 'the volunteer left'): Promise<void> {
    this.leaving = true;
    this.aborted.abort();
    if (this.reason === undefined && this.lostReason === undefined)
      this.session.router.postMessage({ type: 'leave', reason } satisfies HostToRouter);
    // The router answers 'stopped' once closed; a router that is gone cannot.
    if (this.lostReason === undefined)
      await Promise.race([this.stopped, new Promise((r) => setTimeout(r, 2000))]);
    this.end(reason);
  }

  /** @internal Handles a message from the router of `session` (older sessions are ignored). */
  fromRouter(session: Session, message: RouterToHost): void {
    if (session !== this.session || this.lostReason !== undefined) return;
    switch (message.type) {
      case 'signal':
        void session.rtc.onSignal(message.from, message.data);
        return;
      case 'rtc-send':
        return session.rtc.send(message.peer, message.chunks);
      case 'rtc-close':
        return session.rtc.close(message.peer);
      case 'respawn':
        void session.workers.restart(message.id, message.generation);
        return;
      case 'status':
        this.last = message.status;
        return this.notify();
      case 'stopped':
        return this.routerOnStopped(message.reason, message.code);
      case 'welcome':
      case 'refused':
        return;
    }
  }

  /** The router closed: left, refused for good, or lost the scheduler (then join again). */
  private routerOnStopped(reason: string, code: number | undefined): void {
    const final = code !== undefined && CLOSE_CODES_FINAL.has(code);
    if (this.leaving || code === undefined || final || this.options.reconnect.retries === 0)
      return this.end(reason);
    endSession(this.session);
    this.lostReason = reason;
    this.notify();
    void this.rejoin();
  }

  private async rejoin(): Promise<void> {
    try {
      const session = await retryWithBackoff(
        () => openSession(this.options),
        this.options.reconnect,
        {
          signal: this.aborted.signal,
          giveUp: (last, tries) =>
            new BaskError(
              'ERR_CONNECTION',
              `gave up joining ${this.options.router.address} again after ${tries} attempt${tries === 1 ? '' : 's'}: ${last.message}`,
            ),
        },
      );
      if (session === undefined) return;
      if (this.reason !== undefined) return endSession(session);
      this.session = session;
      this.lostReason = undefined;
      this.last = emptyStatus();
      this.notify();
      session.attach((m) => this.fromRouter(session, m));
    } catch (error) {
      this.end(error instanceof Error ? error.message : String(error));
    }
  }

  private end(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.aborted.abort();
    globalThis.removeEventListener?.('pagehide', this.unload);
    endSession(this.session);
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
 * scheduler wants a (different) worker token, ERR_CONNECTION when it cannot be reached. If the
 * scheduler goes away later, the tab joins again as a fresh worker (the `reconnect` option).
 *
 * ```ts
 * const volunteer = await joinCluster('ws://127.0.0.1:8786', { nthreads: 2 });
 * volunteer.onStatus((s) => console.log(s.state, s.tasksDone, s.bytesIn));
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
  const volunteer = new Volunteer(await openSession(resolved), resolved);
  return volunteer;
}

/**
 * Starts a router worker, waits for the scheduler's welcome, then starts the threads it named;
 * rejects with the refusal (ERR_CONNECTION when the scheduler cannot be reached), leaving
 * nothing running.
 */
async function openSession(resolved: ResolvedJoinOptions): Promise<Session> {
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
  let early: RouterToHost[] = [];
  router.onmessage = (event: MessageEvent) => early.push(event.data as RouterToHost);
  const session: Session = {
    id: welcome.id,
    name: welcome.name,
    threads: welcome.threads,
    router,
    workers,
    rtc,
    attach(handler) {
      router.onmessage = (event: MessageEvent) => handler(event.data as RouterToHost);
      const queued = early;
      early = [];
      for (const m of queued) handler(m);
    },
  };
  try {
    await workers.start(welcome.threads);
  } catch (error) {
    post({ type: 'leave', reason: 'its threads could not start' });
    await new Promise((r) => setTimeout(r, 200));
    endSession(session);
    throw error;
  }
  return session;
}

/** Stops a session's threads, WebRTC and router (its connection closes with the router). */
function endSession(session: Session): void {
  session.workers.stop();
  session.rtc.closeAll();
  session.router.terminate();
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
