/**
 * Worker liveness: the scheduler's timer that pings worker processes and closes those silent
 * past the heartbeat timeout (their work is rescheduled). Silence is judged only on a punctual
 * tick (HeartbeatClock: a stalled scheduler does not blame its workers), and pings thin out as
 * the cluster grows (`pingInterval`), and so do the heartbeats each ping asks for
 * (`heartbeatInterval`).
 */
import { HeartbeatClock } from '../../src/wire/heartbeat-clock.js';
import type { ToWorkerProcess } from '../../src/wire/protocol.js';
import type { Cluster } from './cluster.js';
import { CLOSE } from './guard.js';

/**
 * How often each worker process is pinged: every `interval` ms in a small cluster, less often
 * as it grows (half a millisecond per process: 5 s at 10,000 volunteers), as Dask stretches its
 * heartbeats with the cluster's size, so that pings cost the scheduler about the same whatever
 * the number of connections. Capped at 5 s, well under the 30 s a worker waits before it
 * decides its scheduler is gone.
 */
export function pingInterval(interval: number, processes: number): number {
  return Math.max(interval, Math.min(5_000, processes / 2));
}

/**
 * How often each worker process should report, told with every ping: as pings, thinned with
 * the cluster's size (heartbeats in were most of an idle scheduler's work: 2 a second from
 * each of 10,000 volunteers), but never past a quarter of `timeout`, so that a worker misses
 * three reports before it is dropped.
 */
export function heartbeatInterval(interval: number, processes: number, timeout: number): number {
  return Math.max(interval, Math.min(pingInterval(interval, processes), timeout / 4));
}

/** Starts the liveness timer (unref'd); clear it to stop. */
export function watchWorkers(
  cluster: Cluster,
  interval: number,
  timeout: number,
  log: (line: string) => void,
): ReturnType<typeof setInterval> {
  const clock = new HeartbeatClock(interval);
  const timer = setInterval(() => {
    const now = Date.now();
    const fair = clock.fair(now);
    const every = pingInterval(interval, cluster.processes.size);
    const ping = {
      type: 'ping',
      heartbeat: heartbeatInterval(interval, cluster.processes.size, timeout),
    } satisfies ToWorkerProcess;
    for (const p of [...cluster.processes.values()]) {
      if (fair && now - p.lastSeen > timeout) {
        cluster.metrics.countIn(cluster.metrics.closed, 'heartbeat');
        log(`bask scheduler: closing ${p.conn.id} (worker): no heartbeat for ${timeout} ms`);
        p.conn.close(CLOSE.heartbeat, 'missed heartbeats');
        cluster.removeWorkerProcess(p.conn, 'crashed');
      } else if (now - p.lastPinged >= every) {
        p.lastPinged = now;
        p.conn.send(ping);
      }
    }
  }, interval);
  timer.unref();
  return timer;
}
