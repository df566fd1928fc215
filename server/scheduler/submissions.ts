/**
 * What a client's `submit` and `keep` messages mean to the engine: a graph submission (the
 * wire's graph arrays handed over as they are, options by key, batch defaults), and keys the
 * scheduler itself holds on to for a moment (`keep`: a client passing futures to another
 * client) under the KEEPER client, which releases each as soon as it is reported.
 */
import type { GraphSubmitted, TaskOptions, TaskRecord } from '../../src/engine/types.js';
import type { GraphBatch } from '../../src/graph/prepare.js';
import type { ClientMessage } from '../../src/wire/protocol.js';
import { KEEPER } from './adapter.js';

/** The engine event of a client's submission. */
export function submittedEvent(
  client: string,
  message: Extract<ClientMessage, { type: 'submit' }>,
): GraphSubmitted {
  const g = message.graph;
  const batch: GraphBatch = {
    keys: g.keys,
    specs: g.specs,
    depStart: g.depStart,
    depList: g.depList,
    external: g.external,
  };
  const options =
    message.options === undefined
      ? undefined
      : new Map<string, TaskOptions>(Object.entries(message.options));
  return {
    type: 'graph-submitted',
    client,
    batch,
    wanted: message.wanted,
    ...(options !== undefined ? { options } : {}),
    ...(message.defaults !== undefined ? { defaults: message.defaults } : {}),
  };
}

/** The KEEPER's submission wanting the known ones of `keys`; undefined when none is known. */
export function keepEvent(
  tasks: ReadonlyMap<string, TaskRecord>,
  keys: readonly string[],
): GraphSubmitted | undefined {
  const known = keys.filter((k) => tasks.has(k));
  if (known.length === 0) return undefined;
  const empty: GraphBatch = {
    keys: [],
    specs: [],
    depStart: new Int32Array(1),
    depList: new Int32Array(0),
    external: [],
  };
  return { type: 'graph-submitted', client: KEEPER, batch: empty, wanted: known };
}
