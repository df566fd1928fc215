/**
 * `validateState`: checks every invariant of the engine's state and throws on the first
 * broken one. Tests call it after every event (EngineOptions.validate); it is O(tasks + edges).
 */
import type { EngineRecords } from './records.js';
import type { TaskRecord } from './types.js';

const ACTIVE = new Set(['waiting', 'queued', 'processing']);

function fail(message: string): never {
  throw new Error(`Engine state invalid: ${message}`);
}

/** Throws when any invariant of the engine's state is broken. */
export function validateState(engine: EngineRecords): void {
  const queued = new Set(engine.queue.values());
  for (const [key, t] of engine.tasks) {
    if (t.key !== key) fail(`task stored under '${key}' has key '${t.key}'`);
    validateTask(engine, t, queued);
  }
  for (const [id, w] of engine.workers) {
    let occupancy = 0;
    let processing = 0;
    let keys = 0;
    let bytes = 0;
    const held = new Set(w.held.values());
    const runs = new Set(w.processing.values());
    // A result finds its task in this index (`near`): each entry must be the stored record.
    for (const t of runs)
      if (engine.tasks.get(t.key) !== t)
        fail(`worker ${id} runs '${t.key}', not the stored record`);
    for (const t of engine.tasks.values()) {
      if (t.processingOn === w || (t.processingOn === null && t.checks?.running.includes(w))) {
        processing++;
        occupancy += t.estimate;
        if (!runs.has(t)) fail(`worker ${id} runs '${t.key}' but its index misses it`);
      }
      if (t.holders !== null && t.holders.includes(w)) {
        keys++;
        bytes += t.nbytes;
        if (!held.has(t)) fail(`worker ${id} holds '${t.key}' but its index misses it`);
      }
    }
    if (processing !== w.nprocessing)
      fail(`worker ${id} nprocessing=${w.nprocessing}, counted ${processing}`);
    if (w.processing.size !== processing || runs.size !== processing)
      fail(`worker ${id} processing index has ${runs.size}, counted ${processing}`);
    if (occupancy !== w.occupancy) fail(`worker ${id} occupancy ${w.occupancy} != ${occupancy}`);
    if (keys !== w.nkeys) fail(`worker ${id} nkeys=${w.nkeys}, counted ${keys}`);
    if (held.size !== keys) fail(`worker ${id} held index has ${held.size}, counted ${keys}`);
    if (bytes !== w.nbytes) fail(`worker ${id} nbytes=${w.nbytes}, counted ${bytes}`);
    const isolating = w.isolating;
    if (
      isolating !== null &&
      isolating.processingOn !== w &&
      isolating.checks?.running.includes(w) !== true
    )
      fail(`worker ${id} isolates a task it does not process`);
  }
  validateCapacity(engine);
  const listed = new Map<string, Set<TaskRecord>>();
  for (const [client, wants] of engine.clientWants) {
    const live = new Set(wants.list.filter((t) => t.wantedBy?.includes(client) === true));
    if (live.size !== wants.live)
      fail(`client ${client} wants ${live.size} tasks, counted ${wants.live}`);
    listed.set(client, live);
  }
  for (const t of engine.tasks.values()) {
    for (const client of t.wantedBy ?? []) {
      if (listed.get(client)?.has(t) !== true)
        fail(`'${t.key}' is not listed by its wanter ${client}`);
    }
  }
}

/** The running totals (capacity.ts) against a recount over the workers. */
function validateCapacity(engine: EngineRecords): void {
  const capacity = engine.capacity;
  let threads = 0;
  let processing = 0;
  let open = 0;
  let joined = -1;
  for (const [id, w] of engine.workers) {
    threads += w.nthreads;
    processing += w.nprocessing;
    if (w.capacity !== capacity) fail(`worker ${id} is counted elsewhere`);
    if (w.joined <= joined) fail(`worker ${id} is out of join order`);
    joined = w.joined;
    if (capacity.isOpen(w)) open++;
    if (capacity.isOpen(w) !== capacity.open.has(w))
      fail(`worker ${id} is ${capacity.open.has(w) ? '' : 'not '}in the open set, wrongly`);
    if (w.nprocessing === 0 && !w.paused && !capacity.hasIdle(w))
      fail(`worker ${id} is idle but not in the idle heap`);
  }
  if (threads !== capacity.threads)
    fail(`capacity counts ${capacity.threads} threads, counted ${threads}`);
  if (processing !== capacity.processing)
    fail(`capacity counts ${capacity.processing} runs, counted ${processing}`);
  if (open !== capacity.open.size)
    fail(`capacity has ${capacity.open.size} open workers, counted ${open}`);
}

function validateTask(engine: EngineRecords, t: TaskRecord, queued: Set<TaskRecord>): void {
  const key = t.key;
  if (t.state === 'forgotten') fail(`'${key}' is forgotten but still stored`);
  let waiters = 0;
  let live = 0;
  for (const d of t.dependents) {
    if (d.state === 'forgotten') continue;
    live++;
    if (ACTIVE.has(d.state)) waiters++;
    if (!d.dependencies.includes(t))
      fail(`'${d.key}' is a dependent of '${key}' but does not depend on it`);
  }
  if (waiters !== t.waiters) fail(`'${key}' has waiters=${t.waiters}, counted ${waiters}`);
  if (live !== t.liveDependents)
    fail(`'${key}' has liveDependents=${t.liveDependents}, counted ${live}`);
  for (const dep of t.dependencies) {
    if (dep.state === 'forgotten') fail(`'${key}' depends on forgotten '${dep.key}'`);
    if (engine.tasks.get(dep.key) !== dep)
      fail(`'${key}' depends on a stale record of '${dep.key}'`);
  }
  const notInMemory = t.dependencies.filter((d) => d.state !== 'memory').length;
  switch (t.state) {
    case 'waiting':
      if (t.waitingOn !== notInMemory || notInMemory === 0)
        fail(`'${key}' waits on ${t.waitingOn}, counted ${notInMemory}`);
      break;
    case 'queued':
      if (notInMemory !== 0)
        fail(`'${key}' is queued with ${notInMemory} dependencies not in memory`);
      if (!queued.has(t)) fail(`'${key}' is queued but not in the queue`);
      break;
    case 'processing': {
      // Pipelined: inputs not in memory yet must be running before it on the same worker.
      if (notInMemory !== t.waitingOn)
        fail(`'${key}' processing waits on ${t.waitingOn}, counted ${notInMemory}`);
      for (const dep of t.dependencies) {
        if (
          dep.state !== 'memory' &&
          (dep.state !== 'processing' || dep.processingOn !== t.processingOn)
        ) {
          fail(`'${key}' is processing but input '${dep.key}' is ${dep.state} elsewhere`);
        }
      }
      if (t.processingOn === null) validateReplicas(engine, t);
      else if (!engine.workers.has(t.processingOn.id))
        fail(`'${key}' processing on removed worker`);
      break;
    }
    case 'memory':
      if (t.holders === null || t.holders.length === 0) fail(`'${key}' in memory without holders`);
      for (const w of t.holders)
        if (!engine.workers.has(w.id)) fail(`'${key}' held by removed worker ${w.id}`);
      if (t.waiters === 0 && t.wantedBy === null) fail(`'${key}' in memory but nobody needs it`);
      break;
    case 'released':
    case 'erred':
      if (t.holders !== null) fail(`'${key}' is ${t.state} but has holders`);
      if (t.wantedBy === null && t.liveDependents === 0)
        fail(`'${key}' should have been forgotten`);
      break;
  }
  if (t.state !== 'processing' && t.processingOn !== null)
    fail(`'${key}' is ${t.state} but on a worker`);
  if (
    t.state !== 'processing' &&
    t.checks !== null &&
    (t.checks.running.length > 0 || t.checks.votes.length > 0)
  )
    fail(`'${key}' is ${t.state} but has replicas or votes`);
  if (engine.needRuns.has(t) && (t.state !== 'processing' || t.processingOn !== null))
    fail(`'${key}' needs replicas but is ${t.state}`);
  if (
    !ACTIVE.has(t.state) &&
    t.state !== 'memory' &&
    t.state !== 'released' &&
    t.state !== 'erred'
  ) {
    fail(`'${key}' has unknown state ${String(t.state)}`);
  }
}

/** A verifying task: replicas on distinct live hosts, never pipelined, at most one vote a host. */
function validateReplicas(engine: EngineRecords, t: TaskRecord): void {
  const key = t.key;
  const checks = t.checks;
  if (checks === null) fail(`'${key}' processing on no worker`);
  if (t.waitingOn !== 0) fail(`'${key}' is a replicated task pipelined behind its inputs`);
  const hosts = new Set<string>();
  for (const w of checks.running) {
    if (!engine.workers.has(w.id)) fail(`'${key}' replica on removed worker ${w.id}`);
    if (hosts.has(w.host)) fail(`'${key}' has two replicas on host ${w.host}`);
    hosts.add(w.host);
    if (!checks.hosts.includes(w.host)) fail(`'${key}' replica host ${w.host} not recorded`);
  }
  const voted = new Set<string>();
  for (const v of checks.votes) {
    if (voted.has(v.worker.host)) fail(`'${key}' has two votes from host ${v.worker.host}`);
    voted.add(v.worker.host);
    if (hosts.has(v.worker.host)) fail(`'${key}' has a vote and a replica on ${v.worker.host}`);
  }
}
