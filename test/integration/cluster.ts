/**
 * Test helpers: real `bask scheduler` and `bask worker` processes on port 0, started from the
 * built CLI (bin/bask.js -> dist/), and stopped after each test file by pid (tinypool-style
 * cleanups: a failing test never leaks processes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const CLI = fileURLToPath(new URL('../../bin/bask.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/server/cli.js', import.meta.url));

/** A started process with its output so far. */
export interface Started {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code when it exits. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const cleanups: Started[] = [];
afterAll(async () => {
  for (const p of cleanups)
    if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
  await Promise.all(cleanups.map((p) => p.exited));
  cleanups.length = 0;
});

/**
 * Runs `bask ...args` as a real process: this checkout's CLI, or the one at `cli` (the `bask`
 * an app installed from the packed tarball).
 */
export function bask(args: string[], env: NodeJS.ProcessEnv = {}, cli?: string): Started {
  if (cli === undefined && !existsSync(BUILT))
    throw new Error(
      'dist/ is missing: run `npm run build` before the integration tests (npm test does)',
    );
  const child = spawn(process.execPath, [cli ?? CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started: Started = {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.pid !== undefined && child.exitCode === null) child.kill(signal);
    },
  };
  cleanups.push(started);
  return started;
}

/** Waits until the process printed a line matching `pattern`; returns the match. */
export async function waitFor(
  p: Started,
  pattern: RegExp,
  what: string,
): Promise<RegExpMatchArray> {
  for (;;) {
    const match = pattern.exec(p.output());
    if (match !== null) return match;
    if (p.child.exitCode !== null)
      throw new Error(
        `${what} exited (${p.child.exitCode}) before printing ${pattern}:\n${p.output()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a scheduler on free ports; resolves with it and its addresses. */
export async function startScheduler(
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  cli?: string,
): Promise<{ scheduler: Started; address: string; http: string }> {
  const scheduler = bask(['scheduler', '--port', '0', '--dashboard-port', '0', ...extra], env, cli);
  const [, address] = await waitFor(scheduler, /Scheduler at: (wss?:\/\/\S+)/, 'scheduler');
  const [, http] = await waitFor(scheduler, /Dashboard at: (https?:\/\/\S+)\/status/, 'scheduler');
  return { scheduler, address: address as string, http: http as string };
}

/** Starts a worker process (with extra environment variables) and waits until it registered. */
export async function startWorker(
  address: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  cli?: string,
): Promise<Started> {
  const worker = bask(['worker', address, ...extra], env, cli);
  await waitFor(worker, /registered at/, 'worker');
  return worker;
}

/** Waits until the scheduler reports `n` worker threads (via its HTTP API). */
export async function waitForWorkers(http: string, n: number): Promise<void> {
  for (;;) {
    const info = (await (await fetch(`${http}/api/info`)).json()) as { workers: unknown[] };
    if (info.workers.length === n) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on now (bound on port 0, then freed): to restart a scheduler at the same address. */
export async function freePort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return String(port);
}
