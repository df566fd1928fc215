/**
 * The scheduler's side of the first message on a connection: the hello checked (protocol
 * version, shape, the token its role needs), the peer added to the cluster as what it says it
 * is, and its welcome sent (a worker's with its threads and where it fetches task modules, a
 * client's with where it uploads Files). A peer that fails a check is refused through `refuse`,
 * which tells it why and closes it.
 */
import { PROTOCOL_VERSION, type Hello, type Welcome } from '../../src/wire/protocol.js';
import type { Cluster, Conn } from './cluster.js';
import { CLOSE, admit, type AccessPolicy, type Refusal } from './guard.js';
import { checkHello } from './validate.js';

/** What a handshake needs from the scheduler. */
export interface HandshakeContext {
  readonly cluster: Cluster;
  readonly policy: AccessPolicy;
  /** Where admitted workers fetch task modules (`http(s)://host:port/w/<secret>`). */
  readonly workerHttp: string;
}

/** Refuses the peer: `reason` is counted, `code` closes it, `text` is what it is told. */
export type Refuse = (
  reason: Refusal,
  code: number,
  text: { code: string; message: string },
  role?: string,
) => void;

/**
 * Answers `message`, the first on a connection (`local`: from this machine); the role it was
 * welcomed in, or undefined once refused. `openUploads` opens a client connection's uploads
 * and gives their path.
 */
export function handshake(
  ctx: HandshakeContext,
  conn: Conn,
  message: unknown,
  local: boolean,
  openUploads: () => string,
  refuse: Refuse,
): Hello['role'] | undefined {
  const claimed = message as { type?: unknown; version?: unknown } | null;
  if (
    claimed !== null &&
    typeof claimed === 'object' &&
    claimed.type === 'hello' &&
    claimed.version !== PROTOCOL_VERSION
  ) {
    refuse('version', CLOSE.version, {
      code: 'ERR_PROTOCOL_VERSION',
      message: `Protocol version mismatch: this scheduler speaks version ${PROTOCOL_VERSION}, the peer speaks ${String(claimed.version)}. Use the same bask version on every machine.`,
    });
    return undefined;
  }
  const checked = checkHello(message);
  if (!checked.ok) {
    refuse('invalid', CLOSE.invalid, {
      code: 'ERR_PROTOCOL',
      message: `The first message must be a valid hello (${checked.reason})`,
    });
    return undefined;
  }
  const hello = checked.message;
  const denied = admit(ctx.policy, hello.role, hello.token, local);
  if (denied !== undefined) {
    refuse(denied.reason, CLOSE.auth, { code: 'ERR_AUTH', message: denied.message }, hello.role);
    return undefined;
  }
  if (hello.role === 'worker') {
    if (hello.worker === undefined) {
      refuse('invalid', CLOSE.invalid, {
        code: 'ERR_PROTOCOL',
        message: 'A worker hello needs worker information',
      });
      return undefined;
    }
    const threads = ctx.cluster.addWorkerProcess(conn, hello);
    conn.send({
      type: 'welcome',
      version: PROTOCOL_VERSION,
      id: conn.id,
      threads,
      http: ctx.workerHttp,
    } satisfies Welcome);
  } else {
    const upload = hello.role === 'client' ? openUploads() : undefined;
    if (hello.role === 'client') ctx.cluster.addClient(conn, hello);
    conn.send({
      type: 'welcome',
      version: PROTOCOL_VERSION,
      id: conn.id,
      ...(upload === undefined ? {} : { upload }),
    } satisfies Welcome);
  }
  return hello.role;
}
