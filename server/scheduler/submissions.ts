/**
 * What a client's `submit`, `submits` and `keep` messages mean to the engine: graph
 * submissions (the wire's graph arrays handed over as they are, options by key, batch
 * defaults), and keys the scheduler itself holds on to for a moment (`keep`: a client passing
 * futures to another client) under the KEEPER client, which releases each as soon as it is
 * reported.
 *
 * Policy: the submissions of one message (a client's tick, `submits`) go to the engine in one
 * step, in order; each is admitted against the client's caps (limits.ts) alone and refused
 * alone, by the caps or by the engine, with the error a lone submission would get. The others
 * go on.
 */
import type {
  EngineEvent,
  GraphSubmitted,
  TaskOptions,
  TaskRecord,
} from '../../src/engine/types.js';
import type { GraphBatch } from '../../src/graph/prepare.js';
import { MARK } from '../../src/wire/clone.js';
import type { SubmitPart, WireGraph, WireSpec } from '../../src/wire/protocol.js';
import { KEEPER } from './adapter.js';
import type { ClientLimits } from './limits.js';
import type { Metrics } from './metrics.js';
import type { TaskWatchers } from './watchers.js';

/** The engine event of a client's submission (`onRefused` set: refused alone in its step). */
export function submittedEvent(
  client: string,
  part: SubmitPart,
  onRefused?: (error: unknown) => void,
): GraphSubmitted {
  const g = part.graph;
  shareRefKeys(g);
  const batch: GraphBatch = {
    keys: g.keys,
    specs: g.specs,
    depStart: g.depStart,
    depList: g.depList,
    external: g.external,
  };
  const options =
    part.options === undefined
      ? undefined
      : new Map<string, TaskOptions>(Object.entries(part.options));
  return {
    type: 'graph-submitted',
    client,
    batch,
    wanted: part.wanted,
    ...(options !== undefined ? { options } : {}),
    ...(part.defaults !== undefined ? { defaults: part.defaults } : {}),
    ...(onRefused !== undefined ? { onRefused } : {}),
  };
}

/**
 * Makes each ref among a spec's args (top level) name its dependency by the very string the
 * batch's keys hold: decoding gave every reference its own copy of the key (and of 'ref'),
 * which the engine would keep for the task's life (a 1M-task tree: ~60 bytes per task).
 */
function shareRefKeys(graph: WireGraph): void {
  const { keys, specs, depStart, depList } = graph;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as WireSpec;
    const from = depStart[i] as number;
    const to = depStart[i + 1] as number;
    if (!spec.marked || from === to) continue;
    for (const arg of spec.args) {
      if (arg === null || typeof arg !== 'object') continue;
      const marker = arg as { [MARK]?: unknown; key?: unknown };
      if (marker[MARK] !== 'ref') continue;
      // The decoder gave each marker its own 'ref' string too: the literal is one shared copy.
      marker[MARK] = 'ref';
      for (let e = from; e < to; e++) {
        const d = depList[e] as number;
        if (d >= 0 && keys[d] === marker.key) {
          marker.key = keys[d];
          break;
        }
      }
    }
  }
}

/** What `submitParts` uses of the cluster. */
export interface SubmitContext {
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  readonly limits: ClientLimits;
  readonly metrics: Metrics;
  readonly watchers: TaskWatchers;
  /** One engine step (the driver's drain). */
  step(events: EngineEvent[]): void;
}

/**
 * Admits and submits a message's submissions in one engine step, then keeps what they ask to
 * keep; returns each one's error (undefined where accepted), by index.
 */
export function submitParts(
  context: SubmitContext,
  client: string,
  parts: readonly SubmitPart[],
): unknown[] {
  const { limits, metrics, watchers } = context;
  const errors = new Array<unknown>(parts.length);
  const events: EngineEvent[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as SubmitPart;
    const refused = limits.admit(client, part.graph.keys.length, part.wanted);
    if (refused !== undefined) {
      metrics.count('submissionsRefused');
      errors[i] = refused;
    } else {
      events.push(submittedEvent(client, part, (error) => (errors[i] = error ?? 'refused')));
    }
  }
  try {
    if (events.length > 0) context.step(events);
  } catch (error) {
    // The engine failed the step itself (not one submission): none of them is in.
    for (let i = 0; i < parts.length; i++) errors[i] ??= error;
  }
  const kept: EngineEvent[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as SubmitPart;
    if (errors[i] !== undefined) continue;
    metrics.count('submissions');
    if (part.progress === true) watchers.watch(client, part.graph.keys);
    if (part.keep === undefined) continue;
    const event = keepEvent(context.tasks, part.keep);
    if (event !== undefined) kept.push(event);
  }
  if (kept.length > 0) context.step(kept);
  return errors;
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
