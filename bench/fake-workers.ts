/**
 * Many light worker connections in one process, for the load test: each connection is a
 * one-thread worker that speaks the real protocol (hello, thread-ready, heartbeats, results,
 * gathers, frees) and runs its tasks inline with bask's own evaluator. A thousand of them cost
 * a few MB, so the scheduler, not the workers, is what the test loads.
 */
import { serializeError } from '../src/errors.js';
import { Task } from '../src/graph/spec.js';
import { CloneDecoder, CloneEncoder } from '../src/wire/clone.js';
import { decodeFrame, encodeFrame, type FrameData } from '../src/wire/frame.js';
import { fetchesOf, type TaskResult, type WireTask } from '../src/wire/pool-protocol.js';
import {
  PROTOCOL_VERSION,
  type FromWorkerProcess,
  type ToWorkerProcess,
  type Welcome,
} from '../src/wire/protocol.js';
import { openSocket, type Socket } from '../src/wire/socket.js';
import { evaluate } from '../src/worker/execute.js';
import { FunctionCache } from '../src/worker/functions.js';
import { clusterImporter } from '../src/worker/cluster-importer.js';
import { importTaskModule } from '../src/worker/builtins.js';

/** One fake worker connection. */
export class FakeWorker {
  readonly store = new Map<string, unknown>();
  tasksDone = 0;
  /** The time between consecutive pings (ms), when tracked. */
  pingGaps: number[] | undefined;
  private lastPing = 0;
  /** How often the scheduler asks for heartbeats (ms). */
  private heartbeatEvery = 500;
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly thread: string,
    private readonly functions: FunctionCache,
  ) {
    socket.onMessage((data) => this.onMessage(data));
    let lastBeat = 0;
    this.timer = setInterval(() => {
      // As a real worker side: every 500 ms, or as rarely as the scheduler's pings ask.
      const now = Date.now();
      if (now - lastBeat < this.heartbeatEvery - 250) return;
      lastBeat = now;
      this.send({ type: 'heartbeat', metrics: { memory: 0, bytesIn: {}, bytesOut: {} } });
    }, 500);
    socket.onClose(() => clearInterval(this.timer));
  }

  /** Connects and registers one thread named `name/0`. */
  static async connect(
    address: string,
    name: string,
    functions: FunctionCache,
  ): Promise<FakeWorker> {
    const socket = await openSocket(address, 60_000);
    const welcome = await new Promise<Welcome>((resolve, reject) => {
      const off = socket.onMessage((data) => {
        off();
        resolve(decodeFrame(data) as Welcome);
      });
      socket.onClose((code, reason) => reject(new Error(`closed ${code} ${reason}`)));
      socket.send(
        encodeFrame({
          type: 'hello',
          version: PROTOCOL_VERSION,
          role: 'worker',
          name,
          worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'load', kind: 'node' },
        }),
      );
    });
    if (welcome.type !== 'welcome') throw new Error(`refused: ${welcome.message}`);
    const thread = welcome.threads?.[0] ?? `${name}/0`;
    const worker = new FakeWorker(socket, thread, functions);
    worker.send({ type: 'thread-ready', worker: thread });
    return worker;
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close(1000, 'done');
  }

  private send(message: FromWorkerProcess): void {
    this.socket.send(encodeFrame(message));
  }

  private onMessage(data: FrameData): void {
    const message = decodeFrame(data) as
      ToWorkerProcess | { type: 'batch'; messages: ToWorkerProcess[] };
    const messages =
      message.type === 'batch' ? (message as { messages: ToWorkerProcess[] }).messages : [message];
    for (const m of messages) this.handle(m);
  }

  private handle(message: ToWorkerProcess): void {
    switch (message.type) {
      case 'run':
        void this.run(message.tasks);
        return;
      case 'free':
        for (const k of message.keys) this.store.delete(k);
        return;
      case 'gather': {
        const encoder = new CloneEncoder(false);
        const missing = message.keys.filter((k) => !this.store.has(k));
        this.send({
          type: 'gathered',
          id: message.id,
          values: message.keys.map((k) => encoder.encode(this.store.get(k))),
          missing,
        });
        return;
      }
      case 'put':
        message.keys.forEach((k, i) =>
          this.store.set(k, new CloneDecoder().decode(message.values[i])),
        );
        this.send({ type: 'put-done', id: message.id });
        return;
      case 'relay-fetch': {
        const missing = message.keys.filter((k) => !this.store.has(k));
        this.send({
          type: 'relay-data',
          id: message.id,
          to: message.from,
          values: message.keys.map((k) => this.store.get(k)),
          missing,
        });
        return;
      }
      case 'ping': {
        if (message.heartbeat !== undefined) this.heartbeatEvery = message.heartbeat;
        const now = performance.now();
        if (this.pingGaps !== undefined && this.lastPing > 0)
          this.pingGaps.push(now - this.lastPing);
        this.lastPing = now;
        return;
      }
      default:
        return;
    }
  }

  private async run(tasks: WireTask[]): Promise<void> {
    const results: TaskResult[] = [];
    for (const t of tasks) {
      const start = Date.now();
      const missing = fetchesOf(t).filter((f) => !this.store.has(f.key));
      if (missing.length > 0) {
        results.push({
          key: t.key,
          start,
          end: Date.now(),
          missing: missing.map((f) => ({ key: f.key, from: f.from })),
        });
        continue;
      }
      try {
        if (t.fn !== null) await this.functions.prepare(t.fn);
        const decoder = new CloneDecoder((ref) => this.functions.resolve(ref));
        const args = t.marked ? t.args.map((a) => decoder.decode(a)) : t.args;
        const spec = t.fn === null ? args[0] : new Task(this.functions.resolve(t.fn), args);
        const value = await evaluate(spec, this.store);
        this.store.set(t.key, value);
        this.tasksDone++;
        results.push({
          key: t.key,
          start,
          end: Date.now(),
          nbytes: 8,
          ...(t.report === 1 ? { value, hasValue: true } : {}),
        });
      } catch (error) {
        results.push({ key: t.key, start, end: Date.now(), error: serializeError(error) });
      }
    }
    this.send({ type: 'results', worker: this.thread, results });
  }
}

/** Opens `n` fake workers against `address` (a few at a time). */
export async function fakeWorkers(
  address: string,
  http: string,
  n: number,
  prefix = 'load',
): Promise<FakeWorker[]> {
  const functions = new FunctionCache(clusterImporter(http, importTaskModule));
  const out: FakeWorker[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, j) =>
        FakeWorker.connect(address, `${prefix}-${i + j}`, functions),
      ),
    );
    out.push(...batch);
  }
  return out;
}
