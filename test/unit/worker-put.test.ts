/**
 * A worker acknowledges a put (a gather of nothing after it, on the same port) only once the
 * put's values are in its store, even when decoding them waits for a module to import.
 */
import { describe, expect, it } from 'vitest';
import { FunctionCache } from '../../src/worker/functions.js';
import { WorkerRuntime } from '../../src/worker/runtime.js';
import { MARK } from '../../src/wire/clone.js';
import { registerType } from '../../src/wire/registry.js';
import type { FromWorker } from '../../src/wire/pool-protocol.js';

class Late {
  constructor(readonly n: number) {}
}

describe('WorkerRuntime put', () => {
  it('answers a gather sent after a put once the put is decoded', async () => {
    let imported!: () => void;
    const importing = new Promise<void>((resolve) => (imported = resolve));
    const functions = new FunctionCache(async () => {
      await importing;
      registerType(Late, {
        name: 'test.Late',
        encode: (l: Late) => l.n,
        decode: (n: number) => new Late(n),
      });
    });
    const sent: FromWorker[] = [];
    const runtime = new WorkerRuntime('w', (m) => sent.push(m), functions);
    const marker = { [MARK]: 'type', name: 'test.Late', data: 7, module: 'file:///late-module.js' };
    runtime.receive({ type: 'put', keys: ['k'], values: [marker], marked: true });
    runtime.receive({ type: 'gather', id: 1, keys: [], move: false });
    runtime.receive({ type: 'gather', id: 2, keys: ['k'], move: false });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).toEqual([]);
    imported();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.map((m) => m.type === 'gathered' && m.id)).toEqual([1, 2]);
    const second = sent[1] as Extract<FromWorker, { type: 'gathered' }>;
    expect(second.missing).toEqual([]);
    expect(runtime.store.get('k')).toBeInstanceOf(Late);
  });
});
