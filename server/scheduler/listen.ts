/**
 * Binding and closing the scheduler's HTTP servers (the WebSocket one and the dashboard's):
 * a port in use is reported as ERR_ADDRESS_IN_USE with what to do; closing ends open
 * connections too, so a shutdown never waits on an idle keep-alive socket.
 */
import type { Server as HttpServer } from 'node:http';
import { BaskError } from '../../src/errors.js';

/** Listens on `host:port`; rejects with ERR_ADDRESS_IN_USE when the port is taken. */
export function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new BaskError(
              'ERR_ADDRESS_IN_USE',
              `Port ${port} on ${host} is in use: pick another with --port/--dashboard-port (0 for any free port)`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
}

/** Closes a server and every connection it has. */
export function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
