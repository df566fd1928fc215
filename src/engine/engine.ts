/**
 * The engine: bask's one scheduling state machine. Events in, instructions out; no I/O, no
 * timers, no clocks. The sync scheduler, the worker pool and the cluster scheduler all drive
 * one state machine, so they share one semantics and one place to make fast. The layers, each
 * a class the next extends:
 *
 *   state.ts     the transition table, `transition`, the books of runs and copies (no class)
 *   records.ts   the records, the ready queue; release and forget
 *   core.ts      the transitions that bring tasks into play (need, queue, run, fail, lose)
 *   faults.ts    workers joining and leaving, lost inputs
 *   submit.ts    graph batches turned into records; clients' wants
 *   base.ts      events turned into transitions; every task runs once (`BaseEngine`)
 *   timeouts.ts  runs past their timeout on a host move to another host
 *   replicas.ts  `verify`: runs on distinct hosts, votes, the majority's result (verify.ts),
 *                quarantine of hosts that disagree
 *
 * `Engine` is all of them: the cluster's. The local pool runs `BaseEngine`: it stops a worker
 * whose task runs too long itself, and on one machine replication costs work and catches
 * nothing; an app's bundle leaves the layers above it out.
 *
 * Task life cycle (the table of named transitions is TRANSITIONS, state.ts):
 *
 *   released ──> waiting ──> queued ──> processing ──> memory ──> released ──> forgotten
 *                   │           │           │  ▲          │
 *                   └───────────┴───────────┴──┴─> erred ─┘ (a failure, shared by dependents)
 *
 * Invariants (checked by `validateState`): a task counts toward `dep.waiters` exactly while it
 * is waiting, queued or processing; data is released as soon as no waiter and no client needs
 * it; a released task is forgotten once no live dependent can need it again.
 */
import type { EngineOptions } from './records.js';
import { ReplicaCore } from './replicas.js';

export { SCATTERED, type EngineOptions } from './records.js';
export { TRANSITIONS } from './state.js';
export { BaseEngine, type BaseEngineOptions } from './base.js';

/** The scheduling state machine, with replication where `replicate` is set (the cluster). */
export class Engine extends ReplicaCore {
  constructor(options: EngineOptions = {}) {
    super(options);
  }
}
