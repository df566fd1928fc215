/**
 * A bare Chrome DevTools Protocol driver for page benchmarks: Chromium started by hand with
 * `--remote-debugging-port`, one page (and its workers, through flat sessions), and only the Page, Runtime, DOM, Target and
 * Profiler domains.
 *
 * Why not Playwright here: Playwright enables the Network domain on every page it drives, and
 * then Chromium copies every WebSocket frame the page sends or receives (base64, through
 * DevTools) to the driver. A cluster run moves each file's bytes over a WebSocket, so under
 * Playwright it paid ~2 s of extra CPU per 47 MB (renderer and browser process) that no user
 * pays. Tests keep Playwright; benchmarks that time WebSocket traffic use this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

/** One page of a Chromium driven over CDP. */
export class CdpPage {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: CdpReply) => void>();
  private readonly listeners = new Map<string, ((params: unknown, sessionId?: string) => void)[]>();

  private constructor(
    private readonly socket: WebSocket,
    /** The Chromium process (its pid roots the CPU accounting). */
    readonly browser: ChildProcess,
    private readonly profileDir: string,
  ) {
    socket.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as CdpReply;
      if (m.id === undefined) {
        if (m.method !== undefined)
          for (const l of this.listeners.get(m.method) ?? []) l(m.params, m.sessionId);
        return;
      }
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  /** Starts Chromium at `executable` with `args` and connects to its first page. */
  static async launch(executable: string, args: readonly string[]): Promise<CdpPage> {
    const profileDir = mkdtempSync(join(tmpdir(), 'bask-cdp-'));
    const browser = spawn(
      executable,
      [
        ...args,
        '--headless=new',
        '--remote-debugging-port=0',
        `--user-data-dir=${profileDir}`,
        '--window-size=1280,900',
        'about:blank',
      ],
      { stdio: 'ignore' },
    );
    const port = await readDevToolsPort(join(profileDir, 'DevToolsActivePort'));
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = list.find((t) => t.type === 'page');
    if (target === undefined) throw new Error('Chromium started without a page');
    const socket = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new CdpPage(socket, browser, profileDir);
  }

  /** Calls `listener` on every event `method` (with the session it came from, if not the page's). */
  on(method: string, listener: (params: unknown, sessionId?: string) => void): void {
    const list = this.listeners.get(method) ?? [];
    list.push(listener);
    this.listeners.set(method, list);
  }

  /**
   * Sends one CDP command (to an attached target's `sessionId`, such as a worker's after
   * `Target.setAutoAttach` with `flatten: true`); rejects with the protocol's error.
   */
  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, (m) =>
        m.error === undefined
          ? resolve(m.result as T)
          : reject(new Error(`${method}: ${JSON.stringify(m.error)}`)),
      );
      this.socket.send(
        JSON.stringify(
          sessionId === undefined ? { id, method, params } : { id, method, params, sessionId },
        ),
      );
    });
  }

  /** The value of `expression` in the page (promises awaited), as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.send<{
      result: { value?: unknown };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (reply.exceptionDetails !== undefined) {
      const { text, exception } = reply.exceptionDetails;
      throw new Error(`in the page: ${exception?.description ?? text}`);
    }
    return reply.result.value as T;
  }

  /** Polls `expression` every `everyMs` until it is truthy. */
  async waitFor(expression: string, timeoutMs: number, everyMs = 100): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`!!(${expression})`))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await sleep(everyMs);
    }
  }

  /** Chooses `paths` in the file input matched by `selector`. */
  async setInputFiles(selector: string, paths: readonly string[]): Promise<void> {
    const { root } = await this.send<{ root: { nodeId: number } }>('DOM.getDocument');
    const { nodeId } = await this.send<{ nodeId: number }>('DOM.querySelector', {
      nodeId: root.nodeId,
      selector,
    });
    await this.send('DOM.setFileInputFiles', { nodeId, files: paths });
  }

  /** Closes the connection and Chromium, and removes its profile. */
  async close(): Promise<void> {
    this.socket.close();
    if (this.browser.exitCode === null && this.browser.signalCode === null) {
      const exited = new Promise((resolve) => this.browser.once('exit', resolve));
      this.browser.kill();
      await exited;
    }
    await removeProfile(this.profileDir);
  }
}

interface CdpReply {
  id?: number;
  result?: unknown;
  error?: unknown;
  method?: string;
  params?: unknown;
  sessionId?: string;
}

/**
 * The port in Chromium's DevToolsActivePort file (its first line). The file appears before
 * its text is complete, so it is read until it holds a port and the browser's path after it.
 */
async function readDevToolsPort(portFile: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const lines = existsSync(portFile) ? readFileSync(portFile, 'utf8').split('\n') : [];
    if (/^\d+$/.test(lines[0] ?? '') && (lines[1] ?? '') !== '') return Number(lines[0]);
    await sleep(100);
  }
  throw new Error(`Chromium wrote no DevTools port in ${portFile} within 30 s`);
}

/**
 * Removes a profile folder. Chromium's helper processes outlive the main one by a moment and
 * may still write there, so removal is retried for a few seconds; a folder that still will
 * not go is left in the temporary directory (a warning says so) rather than failing the run.
 */
async function removeProfile(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      if (attempt >= 50) {
        console.warn(`left Chromium's profile ${dir} behind: ${String(error)}`);
        return;
      }
      await sleep(100);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU seconds (user + system) used so far by process `root` and all its descendants. */
export function cpuSeconds(root: number): number {
  const parents = new Map<number, number>();
  const used = new Map<number, number>();
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, ppid, ... utime, stime.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(rest[1]));
      used.set(Number(entry), Number(rest[11]) + Number(rest[12]));
    } catch {
      // The process ended meanwhile.
    }
  }
  let ticks = 0;
  for (const [pid, cpu] of used) {
    let p: number | undefined = pid;
    for (let hops = 0; p !== undefined && p !== root && p > 1 && hops < 32; hops++)
      p = parents.get(p);
    if (p === root) ticks += cpu;
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds so far per thread of process `root` and its descendants, keyed
 * `<process type>/<thread name>` (type from Chromium's `--type=` flag: browser, renderer,
 * utility...; threads of one name summed: every `DedicatedWorker` thread is one key). Subtract
 * two snapshots (`cpuDelta`) to see where a run's CPU went without a profiler's overhead.
 */
export function cpuByThread(root: number): Map<string, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const out = new Map<string, number>();
  for (const pid of parents.keys()) {
    let p: number | undefined = pid;
    for (let hops = 0; p !== undefined && p !== root && p > 1 && hops < 32; hops++)
      p = parents.get(p);
    if (p !== root) continue;
    let type = 'browser';
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
      if (type === 'utility')
        type = /--utility-sub-type=[a-z_]*\.?([a-zA-Z_]+)/.exec(cmd)?.[1] ?? type;
    } catch {
      continue;
    }
    for (const tid of readdirSafe(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${type}/${name}`;
        out.set(key, (out.get(key) ?? 0) + (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS);
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return out;
}

/** `after - before` per key, keys above `minS` seconds only, largest first. */
export function cpuDelta(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  minS = 0.02,
): [string, number][] {
  return [...after]
    .map(([k, v]): [string, number] => [k, Math.round((v - (before.get(k) ?? 0)) * 100) / 100])
    .filter(([, v]) => v >= minS)
    .sort((a, b) => b[1] - a[1]);
}

/** Linux's USER_HZ (100 on every common configuration). */
const CLOCK_TICKS = 100;

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return []; // no /proc: no CPU figures
  }
}
