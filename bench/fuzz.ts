/**
 * Hostile messages for the scheduler (bench/faults.ts's fuzz figures and the security tests):
 * garbage bytes, truncated and lying frames, valid frames with wrong fields and types, and
 * mutated real submissions, sent from connections claiming either role.
 */
import { encodeGraph } from '../src/client/remote.js';
import { viewGraph } from '../src/graph/analyze.js';
import { prepareGraph } from '../src/graph/prepare.js';
import { ref, task } from '../src/graph/spec.js';
import { encodeFrame, joinChunks } from '../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../src/wire/protocol.js';
import { openSocket } from '../src/wire/socket.js';

const inc = (x: number): number => x + 1;

/** A random integer in [0, n). */
export const rnd = (n: number): number => Math.floor(Math.random() * n);
const TYPES = [
  'submit',
  'release',
  'cancel',
  'gather',
  'scatter',
  'module',
  'who-has',
  'info',
  'ping',
  'keep',
  'results',
  'gathered',
  'relay-fetch',
  'relay-data',
  'heartbeat',
  'put-done',
  'thread-exit',
  'thread-ready',
  'hello',
  'batch',
  'nonsense',
];

export function junkValue(depth = 0): unknown {
  switch (rnd(depth > 2 ? 6 : 9)) {
    case 0:
      return rnd(2) === 0 ? -rnd(1e9) : rnd(1e12) * 1e6;
    case 1:
      return 'x'.repeat(rnd(3) === 0 ? 100_000 : rnd(20));
    case 2:
      return null;
    case 3:
      return rnd(2) === 0;
    case 4:
      return new Int32Array(rnd(20)).map(() => rnd(2e9) - 1e9);
    case 5:
      return undefined;
    case 6:
      return Array.from({ length: rnd(5) }, () => junkValue(depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: rnd(5) }, () => [
          TYPES[rnd(TYPES.length)] as string,
          junkValue(depth + 1),
        ]),
      );
    default:
      return {
        type: TYPES[rnd(TYPES.length)],
        id: junkValue(depth + 1),
        keys: junkValue(depth + 1),
        worker: junkValue(depth + 1),
      };
  }
}

/** A realistic submit message to mutate. */
export function realSubmit(): Record<string, unknown> {
  const graph = { a: task(inc, 1), b: task(inc, ref('a')) };
  return {
    type: 'submit',
    id: 1,
    graph: encodeGraph(prepareGraph(viewGraph(graph), ['b'])),
    wanted: ['b'],
  };
}

export function mutate(message: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(message);
  const graph = copy['graph'] as Record<string, unknown>;
  switch (rnd(6)) {
    case 0:
      delete copy[Object.keys(copy)[rnd(Object.keys(copy).length)] as string];
      break;
    case 1:
      graph['depList'] = new Int32Array([rnd(2e9), -rnd(2e9)]);
      break;
    case 2:
      graph['depStart'] = new Int32Array([0, 1e9]);
      break;
    case 3:
      graph['keys'] = junkValue();
      break;
    case 4:
      graph['specs'] = [
        { fn: { kind: 'module', url: 'file:///etc/passwd', name: 'x' }, args: [], marked: false },
      ];
      break;
    default:
      copy['wanted'] = Array.from({ length: 1000 }, (_, i) => `missing-${i}`);
  }
  return copy;
}

/**
 * A frame's bytes cut at random into 2-6 pieces, which a Node socket sends as the fragments of
 * one message: a browser's big messages arrive in fragments too, and the scheduler decodes
 * them where they lie (src/wire/frame-chunks.ts).
 */
function fragmented(chunks: readonly Uint8Array[]): Uint8Array[] {
  const whole = joinChunks(chunks);
  const cuts = Array.from({ length: 1 + rnd(5) }, () => rnd(whole.length + 1)).sort(
    (a, b) => a - b,
  );
  return [0, ...cuts].map((at, k) => whole.subarray(at, cuts[k] ?? whole.length));
}

/** A submit whose task carries a big buffer (its own chunk on the wire), maybe with flipped bytes. */
function bigSubmit(flips: number): Uint8Array[] {
  const graph = { a: task(inc, new Uint8Array(20_000 + rnd(60_000)).fill(rnd(256))) };
  const message = {
    type: 'submit',
    id: 2,
    graph: encodeGraph(prepareGraph(viewGraph(graph), ['a'])),
    wanted: ['a'],
  };
  const chunks = encodeFrame(message).map((c) => c.slice());
  const prefix = chunks[0] as Uint8Array;
  for (let i = 0; i < flips; i++) prefix[rnd(prefix.length)] = rnd(256);
  return chunks;
}

export function garbageFrame(): Uint8Array[] {
  switch (rnd(8)) {
    case 6:
      return fragmented(bigSubmit(0));
    case 7:
      return fragmented(bigSubmit(1 + rnd(4)));
    case 0:
      return [Uint8Array.from({ length: 1 + rnd(200) }, () => rnd(256))];
    case 1: {
      const whole = encodeFrame(realSubmit())[0] as Uint8Array;
      return [whole.slice(0, rnd(whole.length))];
    }
    case 2: {
      const f = new Uint8Array(16);
      new DataView(f.buffer).setUint32(0, 0x314b5342, true);
      new DataView(f.buffer).setUint32(4, 0xfffffff0, true);
      return [f];
    }
    case 3:
      return encodeFrame(mutate(realSubmit()));
    default:
      return encodeFrame(junkValue());
  }
}

/** Tallies of a fuzzing run: messages left to send, sent, and connections the scheduler closed. */
export interface FuzzBudget {
  left: number;
  sent: number;
  closes: number;
}

/**
 * One hostile connection: a hello as a client or a worker (with that role's token, if given;
 * sometimes junk instead), then up to 50 garbage frames until the scheduler closes it.
 */
export async function fuzzConnection(
  address: string,
  budget: FuzzBudget,
  tokens: { client?: string; worker?: string } = {},
): Promise<void> {
  const role = rnd(2) === 0 ? 'client' : 'worker';
  let socket;
  try {
    socket = await openSocket(address, 5000);
  } catch {
    return;
  }
  let open = true;
  socket.onClose(() => {
    open = false;
    budget.closes++;
  });
  const token = role === 'client' ? tokens.client : tokens.worker;
  const hello =
    role === 'client'
      ? { type: 'hello', version: PROTOCOL_VERSION, role, token }
      : {
          type: 'hello',
          version: PROTOCOL_VERSION,
          role,
          token,
          name: `fuzz-${rnd(1e6)}`,
          worker: { nthreads: 1, memoryLimit: 0, resources: {}, host: 'fuzz', kind: 'node' },
        };
  socket.send(encodeFrame(rnd(20) === 0 ? junkValue() : hello));
  for (let i = 0; i < 50 && open && budget.left > 0; i++) {
    budget.left--;
    budget.sent++;
    socket.send(garbageFrame());
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1));
  }
  socket.close(1000, 'fuzz done');
}
