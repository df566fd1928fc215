/** The lazy API: keys, proxies, honesty errors, compute/persist/visualize, config precedence. */
import { describe, expect, it } from 'vitest';
import {
  compute,
  config,
  delayed,
  get,
  isBaskError,
  isDelayed,
  persist,
  registerCallbacks,
  task,
  visualize,
  type Callbacks,
  type RunRequest,
  type Scheduler,
} from '../../src/index.node.js';
import { setDefaultClient, unsetDefaultClient } from '../../src/config.js';
import { thrown } from '../helpers.js';

const inc = (x: number): number => x + 1;
const add = (a: number, b: number): number => a + b;

describe('delayed keys', () => {
  it('reads <function name>-<token>, exactly name when given', () => {
    expect(delayed(inc)(1).key).toMatch(/^inc-[0-9a-z]+$/);
    expect(delayed(inc, { name: 'first' })(1).key).toBe('first');
    expect(delayed((x: number) => x)(1).key).toMatch(/^lambda-/);
  });

  it('gives equal calls equal keys only when pure', () => {
    expect(delayed(inc, { pure: true })(1).key).toBe(delayed(inc, { pure: true })(1).key);
    expect(delayed(inc, { pure: true })(1).key).not.toBe(delayed(inc, { pure: true })(2).key);
    expect(delayed(inc)(1).key).not.toBe(delayed(inc)(1).key);
    using _ = config.set({ delayedPure: true });
    expect(delayed(inc)(1).key).toBe(delayed(inc)(1).key);
  });

  it('makes attribute and index access pure, named after the attribute', () => {
    const d = delayed({ a: { b: [1, 2] } });
    expect(d.a.key).toBe(d.a.key);
    expect(d.a.key).toMatch(/^a-/);
    expect(d.a.b[1]?.key).toMatch(/^getitem-/);
  });
});

describe('Delayed honesty', () => {
  const d = delayed(inc)(1);

  it('is not thenable: await, Promise.resolve and async returns give it back as itself', async () => {
    expect((d as unknown as { then?: unknown }).then).toBeUndefined();
    expect('then' in d).toBe(false);
    // Awaiting a non-thenable on purpose: what @typescript-eslint/await-thenable reports.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    expect(await d).toBe(d);
    expect(await Promise.resolve(d)).toBe(d);
    expect(await Promise.resolve().then(() => d)).toBe(d);
    // eslint-disable-next-line @typescript-eslint/await-thenable
    const [all] = await Promise.all([d]);
    expect(all).toBe(d);
  });

  it('is immutable', () => {
    expect(thrown(() => ((d as unknown as Record<string, unknown>)['x'] = 1))).toBeInstanceOf(
      TypeError,
    );
    expect(thrown(() => delete (d as unknown as Record<string, unknown>)['key'])).toBeInstanceOf(
      TypeError,
    );
  });

  it('has no truth value, number or string', () => {
    const error = thrown(() => (d as unknown as number) > 1);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('.lt()');
    expect(thrown(() => `${d as unknown as string}`)).toBeInstanceOf(TypeError);
  });

  it('is not iterable without nout, and destructures with it', async () => {
    expect((thrown(() => [...(d as unknown as number[])]) as Error).message).toContain('nout');
    const split = delayed((x: number): [number, number] => [x, -x], { nout: 2 });
    const [a, b] = split(5);
    expect(await compute(a, b, { scheduler: 'sync' })).toEqual([5, -5]);
  });

  it('prints as Delayed(key)', () => {
    const text: unknown = d.toString();
    expect(text).toBe(`Delayed('${d.key}')`);
    expect(isDelayed(d)).toBe(true);
    expect(isDelayed(() => 1)).toBe(false);
  });
});

describe('compute', () => {
  it('walks arrays and plain objects, passes other values through, options last', async () => {
    const a = delayed(inc)(1);
    const b = delayed(add)(a, a);
    const result = await compute([a, [b]], { x: b, y: 'y' }, 3, { scheduler: 'sync' });
    expect(result).toEqual([[2, [4]], { x: 4, y: 'y' }, 3]);
    expect(await compute()).toEqual([]);
  });

  it('wraps literals holding Delayed values into tasks', async () => {
    const a = delayed(inc)(1);
    const wrapped = delayed({ list: [a, 5], n: a });
    expect(await wrapped.compute({ scheduler: 'sync' })).toEqual({ list: [2, 5], n: 2 });
  });

  it('calls methods with their receiver and runs arithmetic methods', async () => {
    const list = delayed([3, 1, 2]);
    const sorted = list.slice().sort();
    const s = delayed(5).sub(2).mul(delayed(3)).neg();
    expect(await compute(sorted, s, list.length.gt(2), { scheduler: 'sync' })).toEqual([
      [1, 2, 3],
      -9,
      true,
    ]);
  });

  it('builds and computes a 10,000-long delayed chain', async () => {
    let x = delayed(inc)(0);
    for (let i = 1; i < 10_000; i++) x = delayed(inc)(x);
    expect(await x.compute({ scheduler: 'sync' })).toBe(10_000);
  });

  it('persists results under the same keys', async () => {
    let calls = 0;
    const counted = (x: number): number => {
      calls++;
      return x * 10;
    };
    const a = delayed(counted)(4);
    const [p] = (await persist(a, { scheduler: 'sync' })) as [typeof a];
    expect(p.key).toBe(a.key);
    expect(await delayed(add)(p, 1).compute({ scheduler: 'sync' })).toBe(41);
    expect(calls).toBe(1);
  });

  it('draws the graph as SVG and DOT', async () => {
    const a = delayed(inc, { name: 'alpha' })(1);
    const b = delayed(add, { name: 'beta' })(a, 2);
    const svg = await b.visualize();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('data-key="alpha"');
    expect(svg).toContain('data-key="beta"');
    const dot = await visualize(b, { format: 'dot' });
    expect(dot).toContain('"alpha" -> "beta"');
  });

  it('rejects bad options with clear codes', async () => {
    const a = delayed(inc)(1);
    await expect(a.compute({ scheduler: 'nope' as never })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_SCHEDULER',
    });
    await expect(get({ a: 1 }, 'a', { bogus: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(get({ a: 1 }, 'a', { numWorkers: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(
      isBaskError(
        thrown(() => config.set({ nope: 1 } as never)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('aborts before starting when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      get({ a: task(inc, 1) }, 'a', { scheduler: 'sync', signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
  });
});

describe('scheduler precedence', () => {
  class Recording implements Scheduler {
    readonly calls: string[] = [];
    constructor(readonly schedulerName: string) {}
    run(request: RunRequest): Promise<Map<string, unknown>> {
      this.calls.push(request.keys.join(','));
      return Promise.resolve(new Map(request.keys.map((k) => [k, this.schedulerName])));
    }
  }

  it('uses the call option, then scoped config, then the default client', async () => {
    const client = new Recording('client');
    const scoped = new Recording('scoped');
    const call = new Recording('call');
    setDefaultClient(client);
    try {
      expect(await get({ a: 1 }, 'a')).toBe('client');
      {
        using _ = config.set({ scheduler: scoped });
        expect(await get({ a: 1 }, 'a')).toBe('scoped');
        expect(await get({ a: 1 }, 'a', { scheduler: call })).toBe('call');
      }
      expect(await get({ a: 1 }, 'a')).toBe('client');
      expect(await config.with({ scheduler: scoped }, () => get({ a: 1 }, 'a'))).toBe('scoped');
      expect(await get({ a: 1 }, 'a', { scheduler: 'sync' })).toBe(1);
    } finally {
      unsetDefaultClient(client);
    }
  });

  it("fails 'distributed' without a client", async () => {
    await expect(get({ a: 1 }, 'a', { scheduler: 'distributed' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_SCHEDULER',
    });
  });
});

describe('hooks', () => {
  it('calls start, taskStart, taskEnd and finish (also on failure)', async () => {
    const seen: string[] = [];
    const hooks: Callbacks = {
      start: (e) => seen.push(`start:${e.ntasks}`),
      taskStart: (e) => seen.push(`taskStart:${e.key}`),
      taskEnd: (e) => seen.push(`taskEnd:${e.key}:${e.error === undefined ? 'ok' : 'error'}`),
      finish: (e) => seen.push(`finish:${e.error === undefined ? 'ok' : 'error'}`),
    };
    using _ = registerCallbacks(hooks);
    await get({ a: task(inc, 1) }, 'a', { scheduler: 'sync' });
    expect(seen).toEqual(['start:1', 'taskStart:a', 'taskEnd:a:ok', 'finish:ok']);
    seen.length = 0;
    const boom = (): never => {
      throw new Error('boom');
    };
    await expect(get({ b: task(boom) }, 'b', { scheduler: 'sync' })).rejects.toMatchObject({
      code: 'ERR_TASK_FAILED',
    });
    expect(seen).toEqual(['start:1', 'taskStart:b', 'taskEnd:b:error', 'finish:error']);
  });
});
