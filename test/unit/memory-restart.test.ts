/**
 * A worker process past its terminate threshold asks its supervisor for a restart only once the
 * heartbeat that says so has left the process: the supervisor kills at once, and a heartbeat
 * still queued in the process would never reach the scheduler (which then never counts the
 * restart; the integration test waiting for `memoryRestarts` hung under load that way).
 */
import { describe, expect, it } from 'vitest';
import { requestRestartWhenFlushed } from '../../server/worker/memory-monitor.js';

describe('restart requests', () => {
  it('waits for the socket to write what is queued before asking for the restart', async () => {
    const socket = { bufferedAmount: 1024 };
    const order: string[] = [];
    const asked = requestRestartWhenFlushed(socket, () => order.push('restart'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('flushed');
    socket.bufferedAmount = 0;
    await asked;
    expect(order).toEqual(['flushed', 'restart']);
  });

  it('asks at once when nothing is queued', async () => {
    let asked = 0;
    await requestRestartWhenFlushed({ bufferedAmount: 0 }, () => asked++);
    expect(asked).toBe(1);
  });

  it('asks anyway when the socket never drains', async () => {
    let asked = 0;
    await requestRestartWhenFlushed({ bufferedAmount: 1 }, () => asked++, 30);
    expect(asked).toBe(1);
  });
});
