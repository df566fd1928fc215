/**
 * Tasks go to workers with their fields at defaults left out (`wireTask`): a worker runs such a
 * task as it ran the full one (keeps its value, fetches nothing, decodes no markers), and one
 * with every field set as asked.
 */
import { describe, expect, it } from 'vitest';
import { describeFunction } from '../../src/graph/fnref.js';
import { wireTask, type FromWorker } from '../../src/wire/pool-protocol.js';
import { FunctionCache } from '../../src/worker/functions.js';
import { WorkerRuntime } from '../../src/worker/runtime.js';

const double = (x: number): number => x * 2;
const spec = { fn: describeFunction(double), args: [21], marked: false };

describe('wireTask', () => {
  it('leaves out the fields at their defaults and keeps the others', () => {
    expect(Object.keys(wireTask('a', spec, [], 0, false))).toEqual(['key', 'fn', 'args']);
    const fetch = [{ key: 'b', from: 'w/1', move: false }];
    const full = wireTask('a', { ...spec, marked: true }, fetch, 2, true);
    expect(full).toMatchObject({ key: 'a', marked: true, fetch, report: 2, hash: 1 });
  });

  it('runs on a worker as the full task did: kept when not reported, given when asked', async () => {
    const sent: FromWorker[] = [];
    const runtime = new WorkerRuntime('w', (m) => sent.push(m), new FunctionCache());
    const batch = (run: ReturnType<typeof wireTask>[]): void =>
      runtime.receive({ type: 'batch', run, free: [], cancel: [], measure: false });
    batch([wireTask('kept', spec, [], 0, false), wireTask('given', spec, [], 2, false)]);
    runtime.receive({ type: 'gather', id: 1, keys: ['kept', 'given'], move: false });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const results = sent.flatMap((m) => (m.type === 'results' ? m.results : []));
    expect(results.map((r) => [r.key, r.error, r.hasValue, r.value])).toEqual([
      ['kept', undefined, undefined, undefined],
      ['given', undefined, true, 42],
    ]);
    const gathered = sent.find((m) => m.type === 'gathered');
    // The kept value is in the store; the given one is not.
    expect(gathered).toMatchObject({ values: [42, undefined], missing: ['given'] });
  });
});
