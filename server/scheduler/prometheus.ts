/**
 * `/metrics` in the Prometheus text exposition format: tasks by state, workers, clients,
 * counters (tasks sent and finished, bytes, malformed messages), verification and deadlines
 * (replicas, wrong results caught, quarantined workers, timeouts), per worker process memory,
 * spilled bytes and pause (memory thresholds), and the task latency histogram.
 */
import type { Cluster, WorkerProcessRecord } from './cluster.js';

/** The metrics page. */
export function metricsText(cluster: Cluster): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const states = cluster.engine.countStates();
  const all = ['released', 'waiting', 'queued', 'processing', 'memory', 'erred'];
  gauge(
    'bask_tasks',
    'Tasks known to the scheduler, by state.',
    all.map((s) => [`{state="${s}"}`, states[s] ?? 0]),
  );
  gauge('bask_workers', 'Worker threads connected.', [['', cluster.engine.workers.size]]);
  gauge('bask_worker_processes', 'Worker processes connected.', [['', cluster.processes.size]]);
  gauge('bask_clients', 'Clients connected.', [['', cluster.clients.size]]);
  let bytes = 0;
  for (const w of cluster.engine.workers.values()) bytes += w.nbytes;
  gauge('bask_bytes_held', 'Bytes of results held by workers (estimated).', [['', bytes]]);
  let spilled = 0;
  for (const p of cluster.processes.values()) spilled += p.spilled ?? 0;
  gauge('bask_spilled_bytes', 'Bytes of results workers spilled to disk.', [['', spilled]]);
  const byProcess = (value: (p: WorkerProcessRecord) => number): [string, number][] =>
    [...cluster.processes.values()].map((p) => [`{worker="${escapeLabel(p.name)}"}`, value(p)]);
  gauge(
    'bask_worker_memory_bytes',
    'Resident memory of each worker process (browsers: held results), as last reported.',
    byProcess((p) => p.memory),
  );
  gauge(
    'bask_worker_spilled_bytes',
    'Bytes of results each worker process spilled to disk, as last reported.',
    byProcess((p) => p.spilled ?? 0),
  );
  gauge(
    'bask_worker_paused',
    'Worker processes past their memory pause threshold (1: no new tasks).',
    byProcess((p) => (p.paused === true ? 1 : 0)),
  );
  const transport = new Map<string, number>();
  for (const p of cluster.processes.values()) {
    for (const [path, n] of Object.entries(p.bytesOut))
      transport.set(path, (transport.get(path) ?? 0) + n);
  }
  lines.push(
    '# HELP bask_transfer_bytes_total Bytes moved between workers, by path.',
    '# TYPE bask_transfer_bytes_total counter',
  );
  for (const [path, n] of transport) lines.push(`bask_transfer_bytes_total{path="${path}"} ${n}`);
  lines.push(
    '# HELP bask_events_total Scheduler event counters.',
    '# TYPE bask_events_total counter',
  );
  for (const [name, value] of cluster.metrics.counters)
    lines.push(`bask_events_total{event="${name}"} ${value}`);
  const labelled = (name: string, help: string, counter: Map<string, number>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [reason, value] of counter) lines.push(`${name}{reason="${reason}"} ${value}`);
  };
  labelled(
    'bask_connections_refused_total',
    'Connections refused at the door (bad token, remote peer without a token, foreign Origin, bad hello), by reason.',
    cluster.metrics.refused,
  );
  labelled(
    'bask_connections_closed_total',
    'Connections closed for breaking a rule (invalid message, rate or size limit, missed heartbeats), by reason.',
    cluster.metrics.closed,
  );
  let quarantined = 0;
  for (const p of cluster.processes.values()) if (p.quarantined !== undefined) quarantined++;
  gauge(
    'bask_quarantined_workers',
    'Worker processes connected but quarantined (a result disagreed with the majority).',
    [['', quarantined]],
  );
  const checks = cluster.engine.counters;
  const counter = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
  };
  counter(
    'bask_verify_replicas_total',
    'Replica runs sent for tasks with verify.',
    checks.replicas,
  );
  counter('bask_verify_agreed_total', 'Tasks whose replicas agreed on a result.', checks.verified);
  counter(
    'bask_verify_mismatches_total',
    'Results that disagreed with the majority (wrong results caught).',
    checks.mismatches,
  );
  counter(
    'bask_verify_failed_total',
    'Tasks that failed with ERR_VERIFY_FAILED (no majority).',
    checks.verifyFailed,
  );
  counter(
    'bask_verify_forged_total',
    'Fetched data that did not match its verified hash (its holder quarantined).',
    checks.forged,
  );
  counter('bask_quarantined_total', 'Worker processes quarantined.', checks.quarantined);
  counter('bask_task_timeouts_total', 'Runs that went past their timeout.', checks.timeouts);
  lines.push(...cluster.metrics.histogramText('bask_task_duration_seconds'));
  const memory = process.memoryUsage();
  gauge('bask_scheduler_heap_bytes', 'JavaScript heap used by the scheduler process.', [
    ['', memory.heapUsed],
  ]);
  gauge('bask_scheduler_rss_bytes', 'Resident memory of the scheduler process.', [
    ['', memory.rss],
  ]);
  const cpu = process.cpuUsage();
  lines.push(
    '# HELP bask_scheduler_cpu_seconds_total CPU time of the scheduler process (user + system).',
    '# TYPE bask_scheduler_cpu_seconds_total counter',
    `bask_scheduler_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
  );
  return lines.join('\n') + '\n';
}

/** A Prometheus label value: backslash, quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
