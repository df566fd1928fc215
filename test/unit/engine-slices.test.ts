/**
 * Placement in slices (issue 17: a 100,000-task submission to 10,000 volunteers held the
 * scheduler for one long step): the engine places at most `placementsPerStep` tasks per step
 * and says when it left more; the cluster places the rest on later turns of the event loop,
 * so a ping is answered before the whole submission is placed. Same tasks, same workers, same
 * order as one step; asserted by order, never by time.
 */
import { describe, expect, it } from 'vitest';
import { PLACEMENTS_PER_STEP } from '../../server/scheduler/adapter.js';
import { Cluster } from '../../server/scheduler/cluster.js';
import type { Conn } from '../../server/scheduler/outbox.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { validateState } from '../../src/engine/validate.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { task } from '../../src/graph/spec.js';
import { PROTOCOL_VERSION, type WireGraph } from '../../src/wire/protocol.js';

const f = (..._args: unknown[]): number => 0;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Every execute of a run to the end, as `key@worker`, resuming while placement was deferred. */
function placements(engine: Engine, workers: number, tasks: number): string[] {
  const placed: string[] = [];
  const take = (events: EngineEvent[]): void => {
    for (const ins of engine.handleMany(events))
      if (ins.type === 'execute') placed.push(`${ins.key}@${ins.worker}`);
  };
  take(
    Array.from({ length: workers }, (_, i) => ({
      type: 'worker-added' as const,
      worker: `w${i}`,
      nthreads: 1 + (i % 3),
    })),
  );
  const graph: Record<string, unknown> = {};
  for (let i = 0; i < tasks; i++) graph[`t${i}`] = task(f, i);
  const keys = Object.keys(graph);
  take([
    {
      type: 'graph-submitted',
      client: 'c',
      batch: prepareGraph(viewGraph(graph), keys),
      wanted: keys,
    },
  ]);
  while (engine.hasDeferredPlacement) take([{ type: 'placement-resumed' }]);
  return placed;
}

describe('placement in slices', () => {
  it('places the same tasks on the same workers in the same order as one step', () => {
    const whole = placements(new Engine({ validate: validateState }), 40, 300);
    const sliced = placements(
      new Engine({ validate: validateState, placementsPerStep: 7 }),
      40,
      300,
    );
    expect(whole.length).toBeGreaterThan(7 * 3);
    expect(sliced).toEqual(whole);
  });

  it("answers a ping in the cluster before a huge submission's placement is over", async () => {
    const cluster = new Cluster();
    const log: string[] = [];
    const runs: string[] = [];
    const n = PLACEMENTS_PER_STEP * 2 + 500;
    for (let i = 0; i < n; i++) {
      const conn: Conn = {
        id: `p${i}`,
        send: (m) => {
          const message = m as { type: string; tasks?: { key: string }[] };
          log.push(message.type);
          for (const t of message.tasks ?? []) runs.push(t.key);
        },
        close: () => undefined,
      };
      cluster.addWorkerProcess(conn, {
        type: 'hello',
        version: PROTOCOL_VERSION,
        role: 'worker',
        name: `f${i}`,
        worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: `f${i}`, kind: 'node' },
      });
      cluster.onWorkerMessage(conn, { type: 'thread-ready', worker: `f${i}/0` });
    }
    const client: Conn = {
      id: 'client',
      send: (m) => log.push((m as { type: string }).type),
      close: () => undefined,
    };
    cluster.addClient(client, { type: 'hello', version: PROTOCOL_VERSION, role: 'client' });
    const keys = Array.from({ length: n }, (_, i) => `t${i}`);
    const graph: WireGraph = {
      keys,
      specs: keys.map((_, i) => ({
        fn: { kind: 'module', module: 'http://127.0.0.1/tasks.js', name: 'inc' },
        args: [i],
        marked: false,
      })),
      depStart: new Int32Array(n + 1),
      depList: new Int32Array(0),
      external: [],
    };
    log.length = 0;
    cluster.onClientMessage(client, { type: 'submit', id: 1, graph, wanted: keys });
    expect(runs).toHaveLength(PLACEMENTS_PER_STEP);
    expect(cluster.engine.hasDeferredPlacement).toBe(true);
    cluster.onClientMessage(client, { type: 'ping', id: 2 });
    for (let turns = 0; cluster.engine.hasDeferredPlacement && turns < 100; turns++)
      await nextTurn();
    cluster.close();
    // The pong went out between slices: runs came after it.
    const pong = log.indexOf('pong');
    expect(pong).toBeGreaterThan(log.indexOf('submitted'));
    expect(log.lastIndexOf('run')).toBeGreaterThan(pong);
    // Every task was placed, once, in the queue's order (the graph's order here).
    expect(runs).toEqual(keys);
  });
});
