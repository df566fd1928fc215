/**
 * Data between worker processes. Each process runs a small WebSocket server (port 0) that
 * answers fetches for data its threads hold; a process that needs such data fetches it from
 * the holder's server directly (where that is comes with the run that needs it, and the
 * connection opens on the first fetch) (src/worker/peer-client.ts, the client volunteer tabs use too),
 * and falls back to the scheduler relay when it cannot (no route, refused, timed out). Bytes
 * moved are counted per path ('peer' or 'relay') for the dashboard.
 *
 * Every request settles: a closed connection or a gone peer answers as missing data, and the
 * engine recomputes or re-fetches.
 *
 * With a certificate (`bask worker --tls-cert --tls-key`, as the scheduler's), the peer server
 * speaks wss:// and data between processes is encrypted; fetches trust `--tls-ca` besides the
 * system's authorities. A peer whose certificate is not trusted is unreachable: its data comes
 * through the relay.
 */
import { createServer, type Server } from 'node:http';
import { Server as TlsServer, createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame } from '../../src/wire/frame.js';
import {
  PROTOCOL_VERSION,
  type FromWorkerProcess,
  type PeerWireMessage,
  type WorkerInfo,
} from '../../src/wire/protocol.js';
import { openSocket } from '../../src/wire/socket.js';
import { KnownHolders } from '../../src/worker/known-holders.js';
import { PeerClient, decodePeerFrame } from '../../src/worker/peer-client.js';
import type { Got } from '../../src/worker/scheduler-dispatch.js';
import { sizeof } from '../../src/worker/sizeof.js';

type Serve = (thread: string, keys: string[], move: boolean[]) => Promise<Got>;

/** TLS of the peer network: the server's certificate and key, the authorities fetches trust. */
export interface PeerTls {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string;
}

/** The peer server of this process and its connections to other processes. */
export class PeerNetwork {
  readonly bytesOut: Record<string, number> = {};
  readonly bytesIn: Record<string, number> = {};
  private readonly client: PeerClient;
  /** Holders in other processes, as the runs that fetch from them said. */
  private readonly holders = new KnownHolders(
    () => this.self,
    (process) => this.client.forget(process),
  );
  private readonly relays = new Map<number, (got: Got) => void>();
  private nextId = 1;
  private serve: Serve = (_t, keys) =>
    Promise.resolve({ values: keys.map(() => undefined), missing: keys });
  private self = '';

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly address: string,
    private readonly token: string | undefined,
    ca: string | undefined,
  ) {
    wss.on('connection', (socket) => this.accept(socket));
    // Requests out are not counted here (the peer server counts what it sends back).
    this.client = new PeerClient(
      () => this.self,
      token,
      (bytes, out) => {
        if (!out) this.bytesIn['peer'] = (this.bytesIn['peer'] ?? 0) + bytes;
      },
      (url, timeoutMs) => openSocket(url, timeoutMs, ca === undefined ? {} : { ca }),
    );
  }

  /** Starts the peer server on `host`, port 0 (wss:// with `tls`). */
  static async listen(host: string, token?: string, tls?: PeerTls): Promise<PeerNetwork> {
    const refuse = (_req: unknown, res: { writeHead(code: number): { end(): void } }): void =>
      res.writeHead(426).end();
    const http =
      tls?.cert !== undefined && tls.key !== undefined
        ? createTlsServer({ cert: tls.cert, key: tls.key }, refuse)
        : createServer(refuse);
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, host, () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    const scheme = http instanceof TlsServer ? 'wss' : 'ws';
    return new PeerNetwork(
      http,
      wss,
      `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      token,
      tls?.ca,
    );
  }

  /** This process's id at the scheduler and how to read its threads' data. */
  setLocal(processId: string, serve: Serve): void {
    this.self = processId;
    this.serve = serve;
  }

  /** Notes where threads of other processes are (a run fetches from them). */
  learn(holders: readonly WorkerInfo[]): void {
    this.holders.learn(holders);
  }

  /** Fetches keys held by `thread` (in another process): direct when possible, else relayed. */
  async fetch(
    thread: string,
    keys: string[],
    move: boolean[],
    toScheduler: (m: FromWorkerProcess) => void,
  ): Promise<Got> {
    const info = this.holders.get(thread);
    if (info === undefined) return { values: keys.map(() => undefined), missing: keys };
    const direct =
      info.peerAddress === undefined
        ? undefined
        : await this.client.fetch(info.process, info.peerAddress, thread, keys, move);
    if (direct !== undefined) return direct;
    const id = this.nextId++;
    return new Promise<Got>((resolve) => {
      this.relays.set(id, resolve);
      toScheduler({ type: 'relay-fetch', id, to: thread, keys, move });
    });
  }

  /** The scheduler relayed the answer to a fetch. */
  relayed(id: number, values: unknown[], missing: string[]): void {
    this.bytesIn['relay'] = (this.bytesIn['relay'] ?? 0) + sizeof(values);
    const resolve = this.relays.get(id);
    this.relays.delete(id);
    resolve?.({ values, missing });
  }

  close(): void {
    for (const resolve of this.relays.values()) resolve({ values: [], missing: [] });
    this.relays.clear();
    this.client.close();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.close();
    this.http.closeAllConnections();
  }

  private accept(socket: WebSocket): void {
    let greeted = false;
    socket.on('message', (data: Buffer) => {
      const message = decodePeerFrame(data, socket);
      if (message === undefined) return;
      if (!greeted) {
        greeted =
          message.type === 'hello-peer' &&
          message.version === PROTOCOL_VERSION &&
          (this.token === undefined || message.token === this.token);
        if (!greeted) socket.close(1008, 'refused');
        return;
      }
      if (message.type !== 'fetch') return;
      void this.serve(message.worker, message.keys, message.move).then((got) => {
        const chunks = encodeFrame({
          type: 'data',
          id: message.id,
          values: got.values,
          missing: got.missing,
        } satisfies PeerWireMessage);
        let bytes = 0;
        chunks.forEach((chunk, i) => {
          bytes += chunk.byteLength;
          socket.send(chunk, { binary: true, fin: i === chunks.length - 1 });
        });
        this.bytesOut['peer'] = (this.bytesOut['peer'] ?? 0) + bytes;
      });
    });
    socket.on('error', () => socket.terminate());
  }
}
