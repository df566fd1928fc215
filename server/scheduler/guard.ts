/**
 * Who may talk to the scheduler, and how much. Pure decisions, kept out of the socket code:
 *
 *  - roles: a role with a token (`--client-token`, `--worker-token`) needs it; a role without
 *    one is served to this machine only (loopback or one of its own interface addresses).
 *    Dashboards (read-only) take `--dashboard-token` or the client token, so an operator can
 *    share the dashboard without the right to submit code. Tokens are compared in constant time.
 *  - browsers: a WebSocket upgrade with an `Origin` must come from an allowed origin: the
 *    scheduler's own pages (the dashboard port on the host the browser used), localhost pages,
 *    or `--allow-origin` entries (`*` allows any). Programs without an Origin are not browsers.
 *  - rates: each connection has a budget of messages and bytes per second (token buckets with
 *    a burst); spending past it closes the connection.
 *
 * The close codes a peer can meet are in CLOSE (documented in the README).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { Hello } from '../../src/wire/protocol.js';

/** WebSocket close codes the scheduler uses: defined with the protocol. */
export { CLOSE } from '../../src/wire/protocol.js';

/** Why a peer was refused or closed (the label of the counters on /metrics). */
export type Refusal = 'auth' | 'local-only' | 'origin' | 'invalid' | 'rate' | 'version' | 'too-big';

/** What decides access. */
export interface AccessPolicy {
  clientToken?: string | undefined;
  workerToken?: string | undefined;
  /** A token that opens dashboards only (the client token opens them too). */
  dashboardToken?: string | undefined;
  /** Origins allowed besides the scheduler's own and localhost pages; `*` allows any. */
  allowOrigins?: readonly string[] | undefined;
  /** The dashboard (HTTP) port: pages served there are the scheduler's own. */
  httpPort: () => number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function sameSecret(given: unknown, expected: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected));
}

/** The tokens that let a role in (none: this machine only). */
export function tokensFor(policy: AccessPolicy, role: Hello['role']): string[] {
  const tokens =
    role === 'worker'
      ? [policy.workerToken]
      : role === 'dashboard'
        ? [policy.dashboardToken, policy.clientToken]
        : [policy.clientToken];
  return tokens.filter((t): t is string => t !== undefined);
}

/** The flag and environment variable that give `role` its token. */
function flagOf(role: Hello['role']): { flag: string; env: string; what: string } {
  if (role === 'worker')
    return { flag: '--worker-token', env: 'BASK_WORKER_TOKEN', what: 'worker' };
  if (role === 'dashboard')
    return {
      flag: '--dashboard-token',
      env: 'BASK_DASHBOARD_TOKEN',
      what: 'dashboard (or client)',
    };
  return { flag: '--client-token', env: 'BASK_CLIENT_TOKEN', what: 'client' };
}

/**
 * Whether a hello may in: undefined when yes, else the refusal and what to tell the peer.
 * `local` says whether the peer is on this machine.
 */
export function admit(
  policy: AccessPolicy,
  role: Hello['role'],
  token: unknown,
  local: boolean,
): { reason: Refusal; message: string } | undefined {
  const expected = tokensFor(policy, role);
  const { flag, env, what } = flagOf(role);
  if (expected.length === 0) {
    if (local) return undefined;
    return {
      reason: 'local-only',
      message: `This scheduler has no ${flag}, so it serves ${role}s on its own machine only. Start it with ${flag} (or ${env}) and connect with that token.`,
    };
  }
  if (token === undefined)
    return {
      reason: 'auth',
      message: `This scheduler needs a ${what} token: pass the one given to its ${flag}.`,
    };
  // Every candidate is compared, so the time taken does not say which one was close.
  let ok = false;
  for (const candidate of expected) ok = sameSecret(token, candidate) || ok;
  if (!ok)
    return {
      reason: 'auth',
      message: `Wrong ${what} token: use the one given to the scheduler's ${flag}.`,
    };
  return undefined;
}

/** The addresses of this machine (loopback and its interfaces), normalized. */
function ownAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces()))
    for (const info of list ?? []) out.add(normalizeAddress(info.address));
  return out;
}

let own: Set<string> | undefined;
let ownAt = 0;

/** `::ffff:1.2.3.4` as `1.2.3.4`; zone ids dropped. */
export function normalizeAddress(address: string): string {
  const plain = address.replace(/%.*$/, '');
  return plain.startsWith('::ffff:') && plain.includes('.') ? plain.slice(7) : plain;
}

/** Whether a peer's address is this machine's (loopback or one of its interfaces). */
export function isOwnAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = normalizeAddress(address);
  if (a.startsWith('127.') || a === '::1') return true;
  // Interfaces change rarely; refresh the list at most once a second.
  const now = Date.now();
  if (own === undefined || now - ownAt > 1000) {
    own = ownAddresses();
    ownAt = now;
  }
  return own.has(a);
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a browser page at `origin` may open a WebSocket to the scheduler, reached at
 * `hostHeader` (the upgrade request's Host). Requests without an Origin are not from browsers.
 */
export function originAllowed(
  policy: AccessPolicy,
  origin: string | undefined,
  hostHeader: string | undefined,
): boolean {
  if (origin === undefined) return true;
  const allow = policy.allowOrigins ?? [];
  if (allow.includes('*') || allow.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.toLowerCase();
  if (LOCAL_HOSTNAMES.has(host) || host.endsWith('.localhost')) return true;
  // The scheduler's own pages: the dashboard port, on the host the browser used to reach us.
  const reached = hostOf(hostHeader);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return reached !== undefined && host === reached && port === policy.httpPort();
}

function hostOf(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Per-connection budgets. */
export interface RateLimits {
  /** Messages per second, sustained (default 20,000). */
  messagesPerSecond: number;
  /** Messages in a burst (default 200,000). */
  messageBurst: number;
  /** Bytes per second, sustained (default 1 GiB). */
  bytesPerSecond: number;
  /** Bytes in a burst (default: twice the largest message). */
  byteBurst: number;
}

/** A token bucket: `rate` per second, up to `burst` saved. */
export class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Spends `n`; false when the budget is exhausted. */
  take(n: number, now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
    }
    this.tokens -= n;
    return this.tokens >= 0;
  }
}

/** The message and byte budgets of one connection. */
export class ConnectionBudget {
  private readonly messages: Bucket;
  private readonly bytes: Bucket;

  constructor(limits: RateLimits, now: number) {
    this.messages = new Bucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.bytes = new Bucket(limits.bytesPerSecond, limits.byteBurst, now);
  }

  /** Spends one message of `size` bytes; false when over either budget. */
  spend(size: number, now: number): boolean {
    const a = this.messages.take(1, now);
    const b = this.bytes.take(size, now);
    return a && b;
  }
}
