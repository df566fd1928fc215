/**
 * Issue 16 benchmark: the cluster scheduler's heap per task at 1M tasks, two builds side by side
 * in one run (this checkout and `--base`, alternated). Each rep runs in a fresh process with
 * --expose-gc: a tree of `--leaves` leaves (2N-1 tasks) is prepared and encoded as a client
 * sends it, then the scheduler's core (`Cluster`, no sockets) decodes, validates and takes the
 * submission. With no worker, every task stays in the engine with its spec: the state a
 * scheduler holds at the peak of a big graph. Heap after a forced GC, minus the heap before the
 * message arrived, per task. Goal: ≤ 500 B/task.
 *
 *   npm run build && node dist/bench/scheduler-heap.js --base /tmp/engine-base [--leaves 500000]
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternateBuilds, arg, record, save, summarize } from './lib.js';

const LEAVES = Number(arg('leaves', '500000'));
const REPS = Number(arg('reps', '3'));
const HERE = fileURLToPath(new URL('../../', import.meta.url));

interface ChildRow {
  tasks: number;
  bytes_per_task: number;
  submit_ms: number;
}

async function child(root: string): Promise<ChildRow> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const load = async <T>(path: string): Promise<T> =>
    (await import(pathToFileURL(join(root, 'dist', path)).href)) as T;
  const { treeGraph } = await load<typeof import('./graphs.js')>('bench/graphs.js');
  const { encodeGraph } =
    await load<typeof import('../src/client/remote.js')>('src/client/remote.js');
  const { viewGraph } =
    await load<typeof import('../src/graph/analyze.js')>('src/graph/analyze.js');
  const { prepareGraph } =
    await load<typeof import('../src/graph/prepare.js')>('src/graph/prepare.js');
  const { encodeFrame, decodeFrame } =
    await load<typeof import('../src/wire/frame.js')>('src/wire/frame.js');
  const { Cluster } = await load<typeof import('../server/scheduler/cluster.js')>(
    'server/scheduler/cluster.js',
  );
  const { checkClientMessage } = await load<typeof import('../server/scheduler/validate.js')>(
    'server/scheduler/validate.js',
  );
  let bytes: Uint8Array;
  let tasks: number;
  {
    const tree = treeGraph(LEAVES);
    tasks = tree.tasks;
    const graph = encodeGraph(prepareGraph(viewGraph(tree.graph), [tree.key]));
    const chunks = encodeFrame({ type: 'submit', id: 1, graph, wanted: [tree.key] });
    bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
  }
  const cluster = new Cluster();
  const conn = { id: 'c1', send: (): void => undefined, close: (): void => undefined };
  cluster.addClient(conn, { type: 'hello', version: 0, role: 'client' });
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  {
    const checked = checkClientMessage(decodeFrame(bytes));
    if (!checked.ok) throw new Error(checked.reason);
    cluster.onClientMessage(conn, checked.message);
  }
  const submitMs = performance.now() - t0;
  bytes = new Uint8Array(0);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (cluster.engine.tasks.size !== tasks) throw new Error('tasks missing');
  return {
    tasks,
    bytes_per_task: Math.round((after - before) / tasks),
    submit_ms: Math.round(submitMs),
  };
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await child(arg('child', HERE))));
} else {
  const samples = await alternateBuilds<ChildRow>(
    fileURLToPath(import.meta.url),
    REPS,
    ['--leaves', String(LEAVES)],
    ['--expose-gc'],
  );
  const rows: object[] = [];
  for (const [name, list] of samples)
    record(rows, {
      kind: 'scheduler-heap',
      build: name,
      tasks: list[0]?.tasks,
      bytes_per_task: Math.round(summarize(list.map((r) => r.bytes_per_task)).median),
      submit_ms: Math.round(summarize(list.map((r) => r.submit_ms)).median),
      reps: list.length,
    });
  save('scheduler-heap', rows);
}
