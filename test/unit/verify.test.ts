/**
 * Untrusted workers in the engine: replicated runs (`verify`), majorities, quarantine, and
 * deadlines (`timeout`), as events in and instructions out with the state checked after every
 * event; plus the content hash the workers compute.
 */
import { validateState } from '../../src/engine/validate.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { Fetch, Instruction, TaskOptions } from '../../src/engine/types.js';
import { errorVote, maxResults, tally } from '../../src/engine/verify.js';
import { delayed, isBaskError } from '../../src/index.node.js';
import { viewGraph } from '../../src/graph/analyze.js';
import { prepareGraph } from '../../src/graph/prepare.js';
import { ref, task } from '../../src/graph/spec.js';
import { registerType } from '../../src/wire/registry.js';
import { CheckedInputs } from '../../src/worker/checked-inputs.js';
import { digestValue, loadDigest } from '../../src/worker/digest.js';
import { fetchesOf, type WireTask } from '../../src/wire/pool-protocol.js';
import { Sha256 } from '../../src/worker/sha256.js';

const f = (..._args: unknown[]): number => 0;
type Execute = Extract<Instruction, { type: 'execute' }>;

/** An engine that replicates, with single-thread workers given as [id, host]. */
function cluster(workers: [string, string][], replicate = true): Engine {
  const engine = new Engine({ validate: validateState, replicate });
  for (const [worker, host] of workers)
    engine.handle({ type: 'worker-added', worker, nthreads: 1, host });
  return engine;
}

function submit(
  engine: Engine,
  graph: Record<string, unknown>,
  wanted: string[],
  defaults?: TaskOptions,
): Instruction[] {
  const batch = prepareGraph(viewGraph(graph), wanted, { isExternal: (k) => engine.tasks.has(k) });
  return engine.handle({
    type: 'graph-submitted',
    client: 'c',
    batch,
    wanted,
    ...(defaults !== undefined ? { defaults } : {}),
  });
}

function executes(ins: Instruction[], key?: string): Execute[] {
  return ins.filter(
    (i): i is Execute => i.type === 'execute' && (key === undefined || i.key === key),
  );
}

function done(engine: Engine, key: string, worker: string, hash: string): Instruction[] {
  return engine.handle({ type: 'task-finished', key, worker, nbytes: 8, duration: 0.001, hash });
}

function quarantines(ins: Instruction[]): string[] {
  return ins.flatMap((i) => (i.type === 'quarantine' ? [i.host] : []));
}

describe('tally', () => {
  it('accepts k agreeing results that are a strict majority', () => {
    expect(tally(['a', 'a'], 2, 0)).toEqual({ kind: 'accept', hash: 'a' });
    expect(tally(['a', 'b', 'a'], 2, 0)).toEqual({ kind: 'accept', hash: 'a' });
    expect(tally(['a', 'a', 'b'], 3, 0)).toEqual({ kind: 'more', runs: 1 });
  });

  it('asks for as many runs as could still make a majority, minus those running', () => {
    expect(tally([], 2, 0)).toEqual({ kind: 'more', runs: 2 });
    expect(tally(['a'], 2, 1)).toEqual({ kind: 'more', runs: 0 });
    expect(tally(['a', 'b'], 2, 0)).toEqual({ kind: 'more', runs: 1 });
    expect(tally(['a', 'b', 'c'], 2, 0)).toEqual({ kind: 'more', runs: 2 });
  });

  it(`fails when no majority can form within maxResults (${maxResults(2)} for verify 2)`, () => {
    expect(tally(['a', 'b', 'c', 'd'], 2, 0)).toEqual({ kind: 'fail' });
    expect(tally(['a', 'b', 'c', 'd', 'e'], 2, 0)).toEqual({ kind: 'fail' });
  });

  it('votes errors by code, name and message', () => {
    expect(errorVote({ name: 'Error', message: 'boom' })).toBe(
      errorVote({ name: 'Error', message: 'boom', stack: 'elsewhere' }),
    );
    expect(errorVote({ name: 'Error', message: 'boom' })).not.toBe(
      errorVote({ name: 'Error', message: 'bang' }),
    );
  });
});

describe('verify', () => {
  it('runs replicas on distinct hosts, never two threads of one process', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['a/1', 'A'],
      ['b/0', 'B'],
    ]);
    const ins = submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    const runs = executes(ins);
    expect(runs.map((i) => i.worker).sort()).toEqual(['a/0', 'b/0']);
    expect(runs.every((i) => i.hash === true)).toBe(true);
    expect(engine.tasks.get('x')?.state).toBe('processing');
    expect(engine.counters.replicas).toBe(2);
  });

  it('accepts agreeing results: both replicas hold the data, the client hears once', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1), y: task(f, ref('x')) }, ['y'], { verify: 2 });
    expect(done(engine, 'x', 'a/0', 'h1').filter((i) => i.type === 'execute')).toEqual([]);
    const ins = done(engine, 'x', 'b/0', 'h1');
    expect(
      engine.tasks
        .get('x')
        ?.holders?.map((w) => w.id)
        .sort(),
    ).toEqual(['a/0', 'b/0']);
    // The dependent runs only now, on two hosts, fetching nothing (both hold x).
    const ys = executes(ins, 'y');
    expect(ys).toHaveLength(2);
    expect(ys.every((i) => i.fetch.length === 0)).toBe(true);
    done(engine, 'y', 'a/0', 'h2');
    const last = done(engine, 'y', 'b/0', 'h2');
    expect(last.filter((i) => i.type === 'report')).toEqual([
      { type: 'report', client: 'c', key: 'y', state: 'memory', worker: 'b/0', nbytes: 8, rank: 1 },
    ]);
    expect(engine.counters).toMatchObject({ verified: 2, mismatches: 0, quarantined: 0 });
  });

  it('reruns a disagreement on another host and quarantines the minority', () => {
    // Equal costs: replicas go to the first hosts listed (liar, then a), the rerun to b.
    const engine = cluster([
      ['liar/0', 'L'],
      ['liar/1', 'L'],
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    const ins = submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    expect(executes(ins).map((i) => i.worker)).toEqual(['liar/0', 'a/0']);
    done(engine, 'x', 'liar/0', 'wrong');
    expect(executes(done(engine, 'x', 'a/0', 'right')).map((i) => i.worker)).toEqual(['b/0']);
    const settled = done(engine, 'x', 'b/0', 'right');
    expect(quarantines(settled)).toEqual(['L']);
    expect(settled).toContainEqual(
      expect.objectContaining({ type: 'quarantine', host: 'L', workers: ['liar/0', 'liar/1'] }),
    );
    expect(settled.filter((i) => i.type === 'report')).toEqual([
      { type: 'report', client: 'c', key: 'x', state: 'memory', worker: 'b/0', nbytes: 8, rank: 0 },
    ]);
    expect(engine.tasks.get('x')?.holders?.map((w) => w.id)).toEqual(['b/0', 'a/0']);
    expect(engine.counters).toMatchObject({ mismatches: 1, quarantined: 1, verified: 1 });
    expect(engine.workers.has('liar/0') || engine.workers.has('liar/1')).toBe(false);
    expect(engine.quarantinedHosts.get('L')?.key).toBe('x');
    // A thread of the quarantined host that comes back (replaced after a crash) is kept out.
    engine.handle({ type: 'worker-added', worker: 'liar/0', nthreads: 1, host: 'L' });
    expect(engine.workers.has('liar/0')).toBe(false);
  });

  it('checks verified data fetched across hosts, and quarantines a holder that serves forged bytes', () => {
    const engine = cluster([
      ['l/0', 'L'],
      ['a/0', 'A'],
      ['c/0', 'C'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    done(engine, 'x', 'l/0', 'hx');
    done(engine, 'x', 'a/0', 'hx');
    // y runs on C (its own option): it fetches x from another host, with the accepted hash.
    const ins = submit(engine, { y: task(f, ref('x')) }, ['y'], { workers: ['c/0'] });
    const [y] = executes(ins, 'y');
    expect(y?.fetch).toEqual([
      { key: 'x', from: expect.any(String) as string, move: false, hash: 'hx' },
    ]);
    const liar = y?.fetch[0]?.from as string;
    const honest = liar === 'l/0' ? 'a/0' : 'l/0';
    const forged = [{ key: 'x', from: liar }];
    const after = engine.handle({
      type: 'task-missing-data',
      key: 'y',
      worker: 'c/0',
      missing: forged,
      forged,
    });
    expect(quarantines(after)).toEqual([liar === 'l/0' ? 'L' : 'A']);
    expect(engine.counters).toMatchObject({ forged: 1, quarantined: 1 });
    // y runs again on C, fetching x from the honest holder, still checked.
    expect(executes(after, 'y').map((i) => i.fetch)).toEqual([
      [{ key: 'x', from: honest, move: false, hash: 'hx' }],
    ]);
  });

  it('sends no hash for data of unverified tasks or within one host', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['a/1', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x']);
    const holder = engine.tasks.get('x')?.processingOn?.id as string;
    done(engine, 'x', holder, 'ignored');
    const other = ['a/0', 'a/1', 'b/0'].find((w) => w !== holder) as string;
    const [y] = executes(
      submit(engine, { y: task(f, ref('x')) }, ['y'], { workers: [other] }),
      'y',
    );
    expect(y?.fetch).toEqual([{ key: 'x', from: holder, move: expect.any(Boolean) as boolean }]);
  });

  it('treats results a quarantined host held as lost, and recomputes them elsewhere', () => {
    const engine = cluster([
      ['liar/0', 'L'],
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { plain: task(f, 0) }, ['plain']);
    expect(engine.tasks.get('plain')?.processingOn?.id).toBe('liar/0');
    done(engine, 'plain', 'liar/0', 'p');
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    done(engine, 'x', 'liar/0', 'wrong');
    done(engine, 'x', 'a/0', 'right');
    const ins = done(engine, 'x', 'b/0', 'right');
    expect(quarantines(ins)).toEqual(['L']);
    expect(ins).toContainEqual({ type: 'report', client: 'c', key: 'plain', state: 'lost' });
    expect(executes(ins, 'plain').map((i) => i.worker)).not.toContain('liar/0');
    expect(engine.tasks.get('plain')?.state).toBe('processing');
  });

  it('waits for more hosts when there are not enough, and goes on when one joins', () => {
    const engine = cluster([['a/0', 'A']]);
    const ins = submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    expect(executes(ins).map((i) => i.worker)).toEqual(['a/0']);
    done(engine, 'x', 'a/0', 'h');
    expect(engine.tasks.get('x')?.state).toBe('processing');
    expect(engine.needRuns.has(engine.tasks.get('x') as never)).toBe(true);
    const joined = engine.handle({ type: 'worker-added', worker: 'b/0', nthreads: 1, host: 'B' });
    expect(executes(joined).map((i) => i.worker)).toEqual(['b/0']);
    expect(done(engine, 'x', 'b/0', 'h')).toContainEqual(
      expect.objectContaining({ type: 'report', key: 'x', state: 'memory' }),
    );
  });

  it('fails a task whose results never agree with ERR_VERIFY_FAILED, quarantining nobody', () => {
    const hosts = ['A', 'B', 'C', 'D', 'E', 'F'];
    const engine = cluster(hosts.map((h) => [`${h}/0`, h]));
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    let n = 0;
    const last: Instruction[] = [];
    while (engine.tasks.get('x')?.state === 'processing') {
      const running = engine.tasks.get('x')?.checks?.running.map((w) => w.id) ?? [];
      expect(running.length).toBeGreaterThan(0);
      for (const w of running) last.push(...done(engine, 'x', w, `random-${n++}`));
    }
    expect(n).toBeLessThanOrEqual(maxResults(2));
    const report = last.find((i) => i.type === 'report');
    expect(report?.type === 'report' && report.state === 'erred' && report.error).toSatisfy(
      (e: unknown) => isBaskError(e, 'ERR_VERIFY_FAILED'),
    );
    expect(engine.counters.quarantined).toBe(0);
  });

  it('fails the task when the majority fails, and quarantines the worker that did not', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
      ['c/0', 'C'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    const error = { name: 'Error', message: 'boom' };
    engine.handle({ type: 'task-erred', key: 'x', worker: 'a/0', error });
    expect(executes(done(engine, 'x', 'b/0', 'fine')).map((i) => i.worker)).toEqual(['c/0']);
    const ins = engine.handle({ type: 'task-erred', key: 'x', worker: 'c/0', error });
    expect(ins).toContainEqual({
      type: 'report',
      client: 'c',
      key: 'x',
      state: 'erred',
      error,
      blame: 'x',
    });
    expect(quarantines(ins)).toEqual(['B']);
  });

  it('retries a verification the majority failed when the task has retries', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2, retries: 1 });
    const error = { name: 'Error', message: 'flaky' };
    engine.handle({ type: 'task-erred', key: 'x', worker: 'a/0', error });
    const ins = engine.handle({ type: 'task-erred', key: 'x', worker: 'b/0', error });
    expect(executes(ins, 'x')).toHaveLength(2);
    done(engine, 'x', 'a/0', 'h');
    done(engine, 'x', 'b/0', 'h');
    expect(engine.tasks.get('x')?.state).toBe('memory');
  });

  it('checks a result that comes after the verdict, and quarantines a late liar', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
      ['c/0', 'C'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    done(engine, 'x', 'a/0', 'h');
    // b/0 looks dead (missed heartbeats); c/0 verifies instead; b's result comes later.
    engine.handle({ type: 'worker-removed', worker: 'b/0', reason: 'closed' });
    engine.handle({ type: 'worker-added', worker: 'b/0', nthreads: 1, host: 'B' });
    done(engine, 'x', 'c/0', 'h');
    expect(engine.tasks.get('x')?.state).toBe('memory');
    expect(quarantines(done(engine, 'x', 'b/0', 'h'))).toEqual([]);
    expect(quarantines(done(engine, 'x', 'b/0', 'not h'))).toEqual(['B']);
    expect(engine.counters.mismatches).toBe(1);
  });

  it('counts the wrong results a quarantined worker still sends while a verification goes on', () => {
    const engine = cluster([
      ['liar/0', 'L'],
      ['liar/1', 'L'],
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    // x goes to liar/0 and a/0, y to liar/1 and b/0.
    submit(engine, { x: task(f, 1), y: task(f, 2) }, ['x', 'y'], { verify: 2 });
    done(engine, 'x', 'liar/0', 'bad');
    done(engine, 'x', 'a/0', 'ok');
    done(engine, 'y', 'b/0', 'ok');
    const third = engine.tasks.get('x')?.checks?.running[0]?.id as string;
    const ins = done(engine, 'x', third, 'ok');
    expect(quarantines(ins)).toEqual(['L']);
    expect(engine.counters.mismatches).toBe(1);
    // y's replica on the liar was taken back: another host runs it.
    expect(executes(ins, 'y')).toHaveLength(1);
    // Its wrong answer arrives anyway: not counted as a vote, counted as a wrong result.
    done(engine, 'y', 'liar/1', 'bad');
    const yNow = engine.tasks.get('y')?.checks?.running[0]?.id as string;
    done(engine, 'y', yNow, 'ok');
    expect(engine.tasks.get('y')?.state).toBe('memory');
    expect(engine.counters.mismatches).toBe(2);
  });

  it('refuses a verify that named workers can never satisfy, leaving no records', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['a/1', 'A'],
    ]);
    expect(() =>
      submit(engine, { x: task(f, 1) }, ['x'], { verify: 2, workers: ['a/0', 'a/1'] }),
    ).toThrow(/verify: 2 needs 2 distinct worker processes/);
    expect(engine.tasks.size).toBe(0);
  });

  it('runs a verified task once where the engine does not replicate (local schedulers)', () => {
    const engine = cluster(
      [
        ['a/0', 'A'],
        ['b/0', 'B'],
      ],
      false,
    );
    const ins = submit(engine, { x: task(f, 1) }, ['x'], { verify: 3 });
    expect(executes(ins)).toHaveLength(1);
    expect(executes(ins)[0]?.hash).toBeUndefined();
  });

  it('sends a replica elsewhere when its worker dies', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
      ['c/0', 'C'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2 });
    const ins = engine.handle({ type: 'worker-removed', worker: 'a/0' });
    expect(executes(ins, 'x').map((i) => i.worker)).toEqual(['c/0']);
    done(engine, 'x', 'b/0', 'h');
    done(engine, 'x', 'c/0', 'h');
    expect(engine.tasks.get('x')?.state).toBe('memory');
  });

  it('reruns a replica that could not fetch its input, after recomputing the input', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x']);
    done(engine, 'x', 'a/0', 'hx');
    const ins = submit(engine, { y: task(f, ref('x')) }, ['y'], { verify: 2 });
    const fetching = executes(ins, 'y').find((i) => i.worker === 'b/0');
    expect(fetching?.fetch).toEqual([{ key: 'x', from: 'a/0', move: false }]);
    engine.handle({
      type: 'task-missing-data',
      key: 'y',
      worker: 'b/0',
      missing: [{ key: 'x', from: 'a/0' }],
    });
    // x is gone: y waits for it, then runs on both hosts again.
    expect(engine.tasks.get('y')?.state).toBe('waiting');
    const again = done(engine, 'x', engine.tasks.get('x')?.processingOn?.id as string, 'hx');
    expect(executes(again, 'y')).toHaveLength(2);
  });
});

describe('verify on the local schedulers', () => {
  it('is accepted by compute and runs each task once on the sync scheduler', async () => {
    let runs = 0;
    const counted = (x: number): number => {
      runs++;
      return x + 1;
    };
    const value = delayed(counted)(1);
    expect(await value.compute({ scheduler: 'sync', verify: 3 })).toBe(2);
    expect(runs).toBe(1);
  });

  it('refuses a verify that is not an integer from 1 to 16, naming it', async () => {
    const value = delayed(f)(1);
    for (const verify of [0, 1.5, 17]) {
      const error = await value.compute({ scheduler: 'sync', verify }).catch((e: unknown) => e);
      expect(isBaskError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/verify must be an integer from 1 to 16/);
    }
  });
});

describe('timeout', () => {
  it('sends a timed task only to an idle thread and never pipelines it', () => {
    const engine = cluster([['a/0', 'A']]);
    const ins = submit(engine, { x: task(f, 1), y: task(f, ref('x')) }, ['y'], { timeout: 100 });
    expect(executes(ins).map((i) => [i.key, i.timeout])).toEqual([['x', 100]]);
    expect(executes(done(engine, 'x', 'a/0', 'h')).map((i) => i.key)).toEqual(['y']);
  });

  it('sends timed tasks one per free thread, all of them in turn, untimed ones after', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    const graph: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) graph[`t-${i}`] = task(f, i);
    let ins = submit(engine, graph, Object.keys(graph), { timeout: 100 });
    ins.push(...submit(engine, { plain: task(f, 'x') }, ['plain']));
    let sent = executes(ins);
    const order: string[] = [];
    while (sent.length > 0) {
      // Never a timed task queued behind another on a thread.
      const timed = sent.filter((e) => e.timeout !== undefined);
      expect(new Set(timed.map((e) => e.worker)).size).toBe(timed.length);
      ins = [];
      for (const e of sent) {
        order.push(e.key);
        ins.push(...done(engine, e.key, e.worker, 'h'));
      }
      sent = executes(ins);
    }
    expect(order).toHaveLength(21);
    expect(order.indexOf('plain')).toBeGreaterThanOrEqual(18);
  });

  it('moves a late run to another host, then fails when nowhere is left', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['a/1', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { timeout: 100 });
    const first = engine.tasks.get('x')?.processingOn?.id as string;
    let ins = engine.handle({ type: 'task-timed-out', key: 'x', worker: first });
    expect(ins).toContainEqual({ type: 'cancel-task', worker: first, key: 'x' });
    const second = executes(ins, 'x')[0]?.worker as string;
    expect(second.split('/')[0]).not.toBe(first.split('/')[0]);
    ins = engine.handle({ type: 'task-timed-out', key: 'x', worker: second });
    const report = ins.find((i) => i.type === 'report');
    expect(report?.type === 'report' && report.state === 'erred' && report.error).toSatisfy(
      (e: unknown) => isBaskError(e, 'ERR_TIMEOUT') && /no other host could run it/.test(e.message),
    );
    expect(engine.counters.timeouts).toBe(2);
  });

  it('ignores the late result of a run that timed out', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { timeout: 100 });
    const first = engine.tasks.get('x')?.processingOn?.id as string;
    const ins = engine.handle({ type: 'task-timed-out', key: 'x', worker: first });
    const second = executes(ins, 'x')[0]?.worker as string;
    expect(freedBy(done(engine, 'x', first, 'late'))).toEqual([first]);
    expect(engine.tasks.get('x')?.processingOn?.id).toBe(second);
  });

  it('fails a task that timed out on three hosts even when more exist', () => {
    const engine = cluster(['A', 'B', 'C', 'D'].map((h) => [`${h}/0`, h]));
    submit(engine, { x: task(f, 1) }, ['x'], { timeout: 100, retries: 5 });
    let ins: Instruction[] = [];
    for (let i = 0; i < 3; i++) {
      const on = engine.tasks.get('x')?.processingOn?.id as string;
      ins = engine.handle({ type: 'task-timed-out', key: 'x', worker: on });
    }
    expect(engine.tasks.get('x')?.state).toBe('erred');
    expect(ins.some((i) => i.type === 'report' && i.state === 'erred')).toBe(true);
  });

  it('times out a replica like a run: another host verifies instead', () => {
    const engine = cluster([
      ['a/0', 'A'],
      ['b/0', 'B'],
      ['c/0', 'C'],
    ]);
    submit(engine, { x: task(f, 1) }, ['x'], { verify: 2, timeout: 50 });
    const [one, two] = engine.tasks.get('x')?.checks?.running.map((w) => w.id) ?? [];
    const ins = engine.handle({ type: 'task-timed-out', key: 'x', worker: one as string });
    const three = executes(ins, 'x')[0]?.worker as string;
    expect(three).toBeDefined();
    expect([one, two]).not.toContain(three);
    done(engine, 'x', two as string, 'h');
    done(engine, 'x', three, 'h');
    expect(engine.tasks.get('x')?.state).toBe('memory');
  });
});

function freedBy(ins: Instruction[]): string[] {
  return ins.flatMap((i) => (i.type === 'free-keys' ? [i.worker] : []));
}

describe('content hash', () => {
  it('is SHA-256, incrementally', () => {
    for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 100_000]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255);
      const expected = createHash('sha256').update(bytes).digest('hex');
      expect(new Sha256().update(bytes).digest()).toBe(expected);
      const split = new Sha256();
      for (let i = 0; i < size; i += 17) split.update(bytes.subarray(i, i + 17));
      expect(split.digest()).toBe(expected);
    }
  });

  it('is equal for equal values and differs for different ones, whatever module a type came from', async () => {
    await loadDigest();
    const value = {
      a: [1, 2, 3],
      b: 'x',
      c: new Float64Array(5000).fill(1.5),
      d: new Map([[1, 2]]),
    };
    const same = {
      a: [1, 2, 3],
      b: 'x',
      c: new Float64Array(5000).fill(1.5),
      d: new Map([[1, 2]]),
    };
    expect(digestValue(value)).toBe(digestValue(same));
    expect(digestValue(value)).not.toBe(digestValue({ ...same, b: 'y' }));
    class Here {
      constructor(readonly n: number) {}
    }
    registerType(Here, {
      name: 'verify-test-Here',
      encode: (h) => h.n,
      decode: (n) => new Here(n),
      moduleUrl: 'file:///somewhere/types.js',
    });
    const withModule = digestValue(new Here(1));
    registerType(Here, {
      name: 'verify-test-Here',
      encode: (h) => h.n,
      decode: (n) => new Here(n),
      moduleUrl: 'http://scheduler:8787/elsewhere/types.js',
    });
    expect(digestValue(new Here(1))).toBe(withModule);
    expect(digestValue(new Here(2))).not.toBe(withModule);
  });
});

describe('verify under random faults, with a liar', () => {
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (let seed = 1; seed <= 20; seed++) {
    it(`computes correct results while one host lies and others die (seed ${seed})`, () => {
      const random = rng(seed);
      const n = 40;
      const graph: Record<string, unknown> = {};
      const deps: string[][] = [];
      for (let i = 0; i < n; i++) {
        const d =
          i === 0
            ? []
            : Array.from(
                { length: Math.floor(random() * 3) },
                () => `t-${Math.floor(random() * i)}`,
              );
        deps.push([...new Set(d)]);
        graph[`t-${i}`] = task(f, ...deps[i]!.map((k) => ref(k)));
      }
      const value = (i: number): number =>
        1 + deps[i]!.reduce((s, k) => s + value(Number(k.slice(2))), 0);
      const wanted = [`t-${n - 1}`, `t-${n - 2}`, `t-${Math.floor(n / 2)}`];
      const engine = new Engine({
        validate: validateState,
        allowedFailures: 1000,
        replicate: true,
      });
      const data = new Map<string, Map<string, number>>();
      const hostOf = new Map<string, string>();
      const running = new Map<string, { key: string; fetch: { key: string; from: string }[] }[]>();
      const pending: Instruction[] = [];
      const results = new Map<string, number>();
      let nextHost = 0;
      let lies = 0;
      const handle = (event: Parameters<Engine['handle']>[0]): void => {
        pending.push(...engine.handle(event));
      };
      const addHost = (liar = false): void => {
        const host = liar ? 'liar' : `h${nextHost++}`;
        const threads = 1 + Math.floor(random() * 2);
        for (let t = 0; t < threads; t++) {
          const id = `${host}/${t}`;
          data.set(id, new Map());
          running.set(id, []);
          hostOf.set(id, host);
          handle({ type: 'worker-added', worker: id, nthreads: 1, host });
        }
      };
      addHost(true);
      for (let i = 0; i < 3; i++) addHost();
      handle({
        type: 'graph-submitted',
        client: 'c',
        batch: prepareGraph(viewGraph(graph), wanted),
        wanted,
        defaults: { verify: 2 },
      });
      for (let step = 0; step < 20_000 && results.size < wanted.length; step++) {
        while (pending.length > 0) {
          const ins = pending.shift() as Instruction;
          if (ins.type === 'execute')
            running.get(ins.worker)?.push({ key: ins.key, fetch: [...ins.fetch] });
          else if (ins.type === 'free-keys')
            for (const k of ins.keys) data.get(ins.worker)?.delete(k);
          else if (ins.type === 'cancel-task') {
            const queue = running.get(ins.worker);
            if (queue !== undefined)
              running.set(
                ins.worker,
                queue.filter((t) => t.key !== ins.key),
              );
          } else if (ins.type === 'report' && ins.state === 'memory') {
            const v = data.get(ins.worker)?.get(ins.key);
            if (v !== undefined) results.set(ins.key, v);
          } else if (ins.type === 'report' && ins.state === 'erred') throw ins.error;
        }
        const ids = [...running.keys()];
        const honest = ids.filter((id) => hostOf.get(id) !== 'liar');
        if (random() < 0.01 && honest.length > 2) {
          const victim = honest[Math.floor(random() * honest.length)] as string;
          running.delete(victim);
          data.delete(victim);
          handle({ type: 'worker-removed', worker: victim });
          if (random() < 0.8) addHost();
          continue;
        }
        const busy = ids.filter((id) => (running.get(id)?.length ?? 0) > 0);
        if (busy.length === 0) continue;
        const id = busy[Math.floor(random() * busy.length)] as string;
        const job = running.get(id)?.shift();
        if (job === undefined) continue;
        const store = data.get(id) as Map<string, number>;
        const missing = job.fetch.filter((f2) => data.get(f2.from)?.get(f2.key) === undefined);
        if (missing.length > 0) {
          handle({ type: 'task-missing-data', key: job.key, worker: id, missing });
          continue;
        }
        for (const f2 of job.fetch) store.set(f2.key, data.get(f2.from)?.get(f2.key) as number);
        const i = Number(job.key.slice(2));
        let v = 1 + deps[i]!.reduce((s, k) => s + (store.get(k) as number), 0);
        if (hostOf.get(id) === 'liar') {
          v += 1000;
          lies++;
        }
        store.set(job.key, v);
        handle({
          type: 'task-finished',
          key: job.key,
          worker: id,
          nbytes: 8,
          duration: 0.001,
          hash: String(v),
        });
      }
      for (const key of wanted) expect(results.get(key)).toBe(value(Number(key.slice(2))));
      if (lies > 0) expect(engine.quarantinedHosts.has('liar')).toBe(true);
      expect(engine.counters.mismatches).toBeLessThanOrEqual(lies);
      expect(engine.counters.mismatches).toBeGreaterThan(0);
    });
  }
});

describe('CheckedInputs (worker side)', () => {
  const wire = (fetch: WireTask['fetch']): WireTask => ({
    key: 'y',
    fn: null,
    args: [0],
    marked: false,
    fetch,
    report: 0,
  });

  it('passes inputs that match their hash, drops and names those that do not', async () => {
    await loadDigest();
    const inputs = new CheckedInputs();
    const good = { v: [1, 2, 3] };
    const store = new Map<string, unknown>([
      ['a', good],
      ['b', { v: 'served' }],
      ['c', 'unchecked'],
    ]);
    const task = wire([
      { key: 'a', from: 'p/0', move: false, hash: digestValue({ v: [1, 2, 3] }) },
      { key: 'b', from: 'q/0', move: false, hash: digestValue({ v: 'hashed' }) },
      { key: 'c', from: 'q/0', move: false },
    ]);
    expect(inputs.isReady).toBe(true);
    expect(inputs.needsCheck(task, store)).toBe(true);
    expect(inputs.check(task, store)).toEqual([{ key: 'b', from: 'q/0' }]);
    expect([...store.keys()]).toEqual(['a', 'c']);
    // 'a' is not hashed again while the same value is held; a new value is checked again.
    const onlyA = wire([fetchesOf(task)[0] as Fetch]);
    expect(inputs.needsCheck(onlyA, store)).toBe(false);
    store.set('a', { v: [9] });
    expect(inputs.needsCheck(onlyA, store)).toBe(true);
    expect(inputs.check(onlyA, store)).toEqual([{ key: 'a', from: 'p/0' }]);
  });
});
