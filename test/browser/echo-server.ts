/**
 * Global setup of the browser project: a WebSocket server on 127.0.0.1 (port 0) that echoes
 * every binary message back, for tests of the browser's socket path (`inject('echoAddress')`).
 */
import type { TestProject } from 'vitest/node';
import { WebSocketServer } from 'ws';

declare module 'vitest' {
  export interface ProvidedContext {
    echoAddress: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error(`unexpected address ${String(address)}`);
  project.provide('echoAddress', `ws://127.0.0.1:${String(address.port)}`);
  return () =>
    new Promise<void>((resolve) => {
      // A test that failed may have left its socket open: the server waits for none.
      for (const client of server.clients) client.terminate();
      server.close(() => resolve());
    });
}
