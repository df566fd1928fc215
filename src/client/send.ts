/**
 * Sending a lifted graph (handles.ts) for a client: prepare the batch (cull, order, fuse),
 * hand out a future per wanted key right away, submit, and fail the keys the cluster refuses.
 *
 * A wanted key that needs a cancelled future is not sent: its future is cancelled at once
 * (Dask's "lost dependencies"), and the rest of the submission goes on without it.
 */
import { BaskError } from '../errors.js';
import type { GraphView } from '../graph/analyze.js';
import { SCHEDULER_FUSE, type FuseOptions } from '../graph/fuse.js';
import { prepareGraph, type GraphBatch } from '../graph/prepare.js';
import { Task } from '../graph/spec.js';
import type { SubmitOptions } from '../local/backend.js';
import type { ClientBackend } from './backend.js';
import { Future, type FutureOwner } from './future.js';
import type { LiftedGraph } from './handles.js';
import type { KeyStates } from './keys.js';

/** What the client's helpers (send, run, data) reach of it. */
export interface ClientCore {
  readonly states: KeyStates;
  readonly backend: ClientBackend;
  /** The client, as its futures' owner. */
  readonly owner: FutureOwner;
}

/** What `sendGraph` did: a future per wanted key, the batch sent, and its acceptance. */
export interface Sent {
  futures: Future[];
  batch: GraphBatch | undefined;
  accepted: Promise<void>;
}

/**
 * Sends what `wanted` needs of a lifted graph; returns a future per wanted key (in order).
 * Chains and narrow reductions fuse by default, as on a local pool (graph/fuse.ts).
 */
export function sendGraph(
  core: ClientCore,
  lifted: LiftedGraph,
  wanted: readonly string[],
  options: SubmitOptions,
  fuse: boolean | Readonly<FuseOptions> = SCHEDULER_FUSE,
): Sent {
  const prepare = (keys: readonly string[]): GraphBatch =>
    loneTask(lifted.view, keys) ??
    prepareGraph(lifted.view, keys, { fuse, isExternal: lifted.isExternal });
  let batch: GraphBatch | undefined = prepare(wanted);
  const doomed = lifted.cancelled.size === 0 ? undefined : doomedKeys(batch, wanted, lifted);
  let sent = wanted;
  if (doomed !== undefined && doomed.size > 0) {
    sent = wanted.filter((k) => !doomed.has(k));
    batch = sent.length === 0 ? undefined : prepare(sent);
  }
  const { states, owner } = core;
  const futures = wanted.map((key) =>
    doomed?.has(key) === true
      ? new Future(key, states.cancelledState(key, lostDependency(key)), owner)
      : new Future(key, states.stateOf(key), owner),
  );
  if (batch === undefined) return { futures, batch, accepted: Promise.resolve() };
  const accepted = core.backend.submit(batch, sent, options);
  accepted.catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const key of sent) {
      const state = states.get(key);
      if (state !== undefined && !state.isDone) state.fail(failure);
    }
  });
  return { futures, batch, accepted };
}

const NO_DEPS = new Int32Array(0);

/**
 * The batch of one task without dependencies (a plain `submit` of values), built directly:
 * culling, ordering and fusing have nothing to do there, and a loop of submits pays for them
 * on every call otherwise. Undefined for anything else.
 */
function loneTask(view: GraphView, keys: readonly string[]): GraphBatch | undefined {
  if (keys.length !== 1) return undefined;
  const key = keys[0] as string;
  const node = view.get(key);
  if (!(node instanceof Task) || view.deps(key, node).length > 0) return undefined;
  return {
    keys: [key],
    specs: [node],
    depStart: new Int32Array(2),
    depList: NO_DEPS,
    external: [],
  };
}

/** The error of a future whose task needs a cancelled future (Dask: "lost dependencies"). */
function lostDependency(key: string): BaskError {
  return new BaskError(
    'ERR_CANCELLED',
    `Future '${key}' was cancelled: it depends on a cancelled future`,
    { key },
  );
}

/** The wanted keys that need a cancelled future (directly, or through tasks of the batch). */
function doomedKeys(
  batch: GraphBatch,
  wanted: readonly string[],
  lifted: LiftedGraph,
): Set<string> {
  const { keys, depStart, depList, external } = batch;
  const tainted = new Uint8Array(keys.length);
  const doomed = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    for (let e = depStart[i] as number; e < (depStart[i + 1] as number); e++) {
      const d = depList[e] as number;
      if (d >= 0 ? tainted[d] === 1 : lifted.cancelled.has(external[-d - 1] as string)) {
        tainted[i] = 1;
        doomed.add(keys[i] as string);
        break;
      }
    }
  }
  for (const key of wanted) if (lifted.cancelled.has(key)) doomed.add(key);
  return new Set(wanted.filter((k) => doomed.has(k)));
}
