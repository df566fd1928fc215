import { describe, expect, it } from 'vitest';
import {
  checkClientMessage,
  checkHello,
  checkWorkerMessage,
} from '../../server/scheduler/validate.js';
import { PROTOCOL_VERSION } from '../../src/wire/protocol.js';

function submit(specs: unknown[], keys = ['a']): unknown {
  return {
    type: 'submit',
    id: 1,
    graph: {
      keys,
      specs,
      depStart: Int32Array.from([0, ...keys.map(() => 0)]),
      depList: new Int32Array(0),
      external: [],
    },
    wanted: keys,
  } satisfies Record<string, unknown>;
}

describe('protocol schemas (src/wire/schemas.ts)', () => {
  it('accepts the messages protocol.ts describes', () => {
    expect(checkHello({ type: 'hello', version: PROTOCOL_VERSION, role: 'client' }).ok).toBe(true);
    const call = submit([{ fn: { kind: 'op', op: 'add' }, args: [1, 2], marked: false }]);
    const checked = checkClientMessage(call);
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(checked.message.type).toBe('submit');
    expect(checkClientMessage(submit([{ fn: null, args: [5], marked: false }])).ok).toBe(true);
    expect(
      checkWorkerMessage({
        type: 'heartbeat',
        metrics: { memory: 1, bytesIn: { relay: 3 }, bytesOut: {} },
      }).ok,
    ).toBe(true);
  });

  it('refuses what the protocol does not have', () => {
    expect(checkWorkerMessage({ type: 'missing-module', url: 'file:///x.js' }).ok).toBe(false);
    const opWithoutName = { fn: { kind: 'op' }, args: [], marked: false };
    expect(checkClientMessage(submit([opWithoutName])).ok).toBe(false);
    const refused = checkHello({ type: 'hello', version: 1, role: 'admin' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/^role: /);
  });
});
