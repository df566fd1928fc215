/**
 * The chaos benchmark's cluster (bench/chaos.ts): `bask worker` processes and volunteer tabs
 * in named slots, and the three ways to kill one of them at a random moment:
 *  - 'process': SIGKILL a `bask worker` process; a replacement starts under the slot's name;
 *  - 'thread': submit a task that ends its own worker_thread (`process.exit` in a worker_thread
 *    ends only that thread) on one worker process, which replaces the thread. The task should
 *    be blamed for each thread it ends and fail with ERR_KILLED_WORKER after three: that is
 *    its expected outcome (more than three deaths per killer means the blame went to another
 *    task). Each thread it ends appends a byte to a marker file first, which counts them;
 *  - 'tab': close a volunteer tab (`page.close()`); a replacement tab joins under its name.
 *
 * Invariant: a slot being replaced is no victim until its replacement has joined, so every
 * kill hits something alive. `settle()` waits for the replacements and for the thread
 * killers' own outcomes, and `heal()` restarts a process whose dead thread never came back
 * (the caller reports it), so each run starts on a whole cluster.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright';
import { isBaskError, type Client, type Future } from 'bask';
import { rnd } from './fuzz.js';
import { bask } from './processes.js';
import { launchChromium } from '../test/chromium.js';

/** What chaos kills. */
export type VictimKind = 'process' | 'thread' | 'tab';

/** How the thread killers ended: ERR_KILLED_WORKER is expected. */
export interface KillerOutcomes {
  killedWorker: number;
  /** Other errors, or a value (neither should happen), by code or message. */
  other: string[];
  /** Still pending at the limit: cancelled and counted here. */
  stuck: number;
}

interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
}

/** Chromium for the tabs, once the scheduler at `http` serves the volunteer page. */
export async function launchBrowser(http: string): Promise<Browser> {
  const page = await fetch(`${http}/worker`);
  if (page.status !== 200)
    throw new Error(
      `chaos: the scheduler does not serve the volunteer page (${page.status}): ` +
        'run `npm run build:volunteer` first, or pass --tabs 0',
    );
  return launchChromium();
}

/** Ends the worker_thread it runs in, after counting itself in `marker` (Node workers only). */
function exitThread(marker: string): never {
  process.getBuiltinModule('node:fs').appendFileSync(marker, 'x');
  process.exit(70);
}

/** Resolves with `promise`'s value, or 'timeout' after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Worker processes and tabs that chaos kills and replaces. */
export class Victims {
  /** Kills done, by kind ('thread' counts killer tasks submitted; see `threadDeaths`). */
  readonly kills: Record<VictimKind, number> = { process: 0, thread: 0, tab: 0 };
  readonly killers: KillerOutcomes = { killedWorker: 0, other: [], stuck: 0 };
  /** Uncaught errors in volunteer pages. */
  readonly pageErrors: string[] = [];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly tabs = new Map<string, Tab>();
  private replacing: Promise<void>[] = [];
  private pendingKillers: Future<never>[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'bask-chaos-'));
  private readonly marker = join(this.dir, 'thread-deaths');

  constructor(
    private readonly address: string,
    private readonly http: string,
    private readonly threads: number,
    private readonly browser: Browser | undefined,
  ) {
    writeFileSync(this.marker, '');
  }

  /** Starts `procs` worker processes (slots p0...) and `tabs` volunteer tabs (t0...). */
  async start(procs: number, tabs: number): Promise<void> {
    await Promise.all([
      ...Array.from({ length: procs }, (_, i) => this.startProcess(`p${i}`)),
      ...Array.from({ length: tabs }, (_, i) => this.openTab(`t${i}`)),
    ]);
  }

  /** The kinds that have a victim now. */
  available(): VictimKind[] {
    const kinds: VictimKind[] = [];
    if (this.processes.size > 0) kinds.push('process', 'thread');
    if (this.tabs.size > 0) kinds.push('tab');
    return kinds;
  }

  /** Kills one victim of `kind` now; its replacement starts at once. */
  kill(kind: VictimKind, client: Client): void {
    if (kind === 'process') {
      const [slot, child] = pick(this.processes);
      this.processes.delete(slot);
      child.kill('SIGKILL');
      this.replacing.push(this.replaceProcess(slot, child, client));
    } else if (kind === 'tab') {
      const [slot, tab] = pick(this.tabs);
      this.tabs.delete(slot);
      this.replacing.push(
        tab.page
          .close()
          .then(() => tab.context.close())
          .then(() => this.openTab(slot)),
      );
    } else {
      const [slot] = pick(this.processes);
      this.pendingKillers.push(
        client.submit(exitThread, this.marker, { workers: [slot], pure: false }),
      );
    }
    this.kills[kind]++;
  }

  /** Threads ended by killer tasks so far. */
  threadDeaths(): number {
    return readFileSync(this.marker).length;
  }

  /**
   * Waits (up to `ms` in all) for replacements to join and killer tasks to end. Throws if a
   * replacement cannot start: the cluster would shrink run after run.
   */
  async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    const replacing = this.replacing;
    this.replacing = [];
    if ((await within(Promise.all(replacing), ms)) === 'timeout')
      throw new Error(`chaos: replacements did not join within ${ms} ms`);
    for (const killer of this.pendingKillers) {
      const outcome = await within(
        killer.result().then(
          (value: unknown) => `returned ${String(value)}`,
          (error: unknown) =>
            isBaskError(error, 'ERR_KILLED_WORKER')
              ? 'killed-worker'
              : `failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
        Math.max(0, deadline - Date.now()),
      );
      if (outcome === 'killed-worker') this.killers.killedWorker++;
      else if (outcome === 'timeout') {
        this.killers.stuck++;
        killer.cancel();
      } else this.killers.other.push(outcome);
      killer.release();
    }
    this.pendingKillers = [];
  }

  /**
   * Restarts the worker processes with threads missing from `ids` (the scheduler's workers):
   * a thread that died and whose replacement never joined. Returns the missing threads.
   */
  async heal(ids: readonly string[], client: Client): Promise<string[]> {
    const present = new Set(ids);
    const missing: string[] = [];
    const restarts: Promise<void>[] = [];
    for (const [slot, child] of this.processes) {
      const gone = Array.from({ length: this.threads }, (_, i) => `${slot}/${i}`).filter(
        (id) => !present.has(id),
      );
      if (gone.length === 0) continue;
      missing.push(...gone);
      this.processes.delete(slot);
      child.kill('SIGKILL');
      restarts.push(this.replaceProcess(slot, child, client));
    }
    await Promise.all(restarts);
    return missing;
  }

  /** Closes the tabs and removes the marker file (processes are killed by the caller). */
  async close(): Promise<void> {
    await Promise.all([...this.tabs.values()].map((t) => t.context.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Starts the replacement of a killed process once the scheduler has let go of its name (a
   * worker that joins under a name still in use gets a suffixed one, `p1-1`).
   */
  private async replaceProcess(slot: string, killed: ChildProcess, client: Client): Promise<void> {
    if (killed.exitCode === null && killed.signalCode === null)
      await new Promise((resolve) => killed.once('exit', resolve));
    const threads = `${slot}/`;
    while ((await client.info()).workers.some((w) => w.id.startsWith(threads)))
      await new Promise((resolve) => setTimeout(resolve, 10));
    await this.startProcess(slot);
  }

  private async startProcess(slot: string): Promise<void> {
    const { child, match } = await bask(
      ['worker', this.address, '--nthreads', String(this.threads), '--name', slot],
      /Worker '([^']+)' registered/,
    );
    if (match[1] !== slot)
      throw new Error(`chaos: a replacement for '${slot}' joined as '${match[1]}'`);
    this.processes.set(slot, child);
  }

  private async openTab(slot: string): Promise<void> {
    const browser = this.browser as Browser;
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => this.pageErrors.push(`${slot}: ${error.message}`));
    await page.goto(`${this.http}/worker?${new URLSearchParams({ name: slot, threads: '1' })}`);
    await page.waitForSelector('#status[data-state="running"]', { timeout: 60_000 });
    this.tabs.set(slot, { context, page });
  }
}

function pick<V>(map: Map<string, V>): [string, V] {
  return [...map][rnd(map.size)] as [string, V];
}
