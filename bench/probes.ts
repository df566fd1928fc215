/**
 * Raw probes of a scheduler's door, shared by the fault benchmark (bench/faults.ts) and the
 * security tests: a connection that says hello (and more) and waits to be closed, and a
 * WebSocket upgrade as a browser page at some Origin would make it.
 */
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../src/wire/frame.js';
import { PROTOCOL_VERSION } from '../src/wire/protocol.js';
import { openSocket } from '../src/wire/socket.js';

/** Sends a hello (then `after`); resolves with the first reply and the close code. */
export async function speak(
  address: string,
  hello: Record<string, unknown>,
  after: object[] = [],
): Promise<{ reply: unknown; code: number }> {
  const socket = await openSocket(address);
  let reply: unknown;
  socket.onMessage((data) => {
    reply ??= decodeFrame(data);
  });
  const closed = new Promise<number>((resolve) => socket.onClose((code) => resolve(code)));
  socket.send(encodeFrame({ type: 'hello', version: PROTOCOL_VERSION, ...hello }));
  for (const message of after) socket.send(encodeFrame(message));
  return { code: await closed, reply };
}

/** Opens a WebSocket the way a page at `origin` would: 'open', or the refusal's HTTP status. */
export function upgradeFrom(address: string, origin: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(address, { headers: { origin } });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}
