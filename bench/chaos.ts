/**
 * Issue 8's chaos figures (run from bench/faults.ts): runs of a tree reduction (512 busy
 * leaves combined pairwise: 1,023 tasks, so results move between workers while they die) on
 * `bask worker` processes and volunteer tabs in real Chromium, while worker processes, worker
 * threads and tabs are killed at random moments (bench/chaos-victims.ts).
 *
 * Each run's root is checked exactly (the combine step is not commutative, so a lost, doubled
 * or swapped input shows). A run that does not finish within the hang limit counts as hung:
 * it is reported with the cluster's task states, its client is closed and the next run starts
 * with a fresh one. Kill moments are uniform over 5-90% of an undisturbed run (timed by a
 * warm-up run without kills, and by later runs whose kills all came too late), so they land
 * mid-run; a kill whose moment comes after its run ended is not made.
 *
 * The tabs open the scheduler's `/worker` page, which must be built: `npm run build:volunteer`.
 * Chromium is Debian's (`/usr/bin/chromium`, or CHROMIUM_PATH). WebRTC between tabs uses this
 * machine's own interface addresses as host candidates (mDNS names are turned off).
 */
import { Client, get, ref, task } from 'bask';
import { launchBrowser, Victims, within, type VictimKind } from './chaos-victims.js';
import { rnd } from './fuzz.js';
import { summarize } from './lib.js';
import { scheduler } from './processes.js';

/** The chaos run's shape. */
export interface ChaosOptions {
  runs: number;
  /** Leaves of the tree: 2 * leaves - 1 tasks per run. */
  leaves: number;
  /** Busy milliseconds per leaf. */
  leafMs: number;
  /** `bask worker` processes, of `threads` threads each. */
  procs: number;
  threads: number;
  /** Volunteer tabs, of one thread each (0: no browser). */
  tabs: number;
  /** Kills per run, each of a random kind at a random moment. */
  kills: number;
  /** A run not done after this many milliseconds is hung. */
  hangMs: number;
}

/** A leaf: busy for `ms`, then a value that depends on its place and run. */
function leaf(i: number, run: number, ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy, so that kills land while tasks run
  }
  return (i * 7919 + run * 104_729) % 1_000_003;
}

/** Combines two children in order (a swap changes the result). */
function combine(a: number, b: number): number {
  return (a * 31 + b) % 2_147_483_647;
}

/** The run's graph, its root key and the root's value computed here. */
function chaosGraph(
  run: number,
  leaves: number,
  leafMs: number,
): { graph: Record<string, unknown>; root: string; expected: number; tasks: number } {
  const graph: Record<string, unknown> = {};
  let keys: string[] = [];
  let values: number[] = [];
  for (let i = 0; i < leaves; i++) {
    keys.push(`leaf-${run}-${i}`);
    graph[`leaf-${run}-${i}`] = task(leaf, i, run, leafMs);
    values.push(leaf(i, run, 0));
  }
  for (let level = 1; keys.length > 1; level++) {
    const next: string[] = [];
    const sums: number[] = [];
    for (let j = 0; j + 1 < keys.length; j += 2) {
      const key = `combine-${run}-${level}-${j / 2}`;
      graph[key] = task(combine, ref(keys[j] as string), ref(keys[j + 1] as string));
      next.push(key);
      sums.push(combine(values[j] as number, values[j + 1] as number));
    }
    if (keys.length % 2 === 1) {
      next.push(keys[keys.length - 1] as string);
      sums.push(values[values.length - 1] as number);
    }
    keys = next;
    values = sums;
  }
  return {
    graph,
    root: keys[0] as string,
    expected: values[0] as number,
    tasks: Object.keys(graph).length,
  };
}

/** The scheduler's worker ids once there are `n`, or as they are after `ms`. */
async function waitWorkers(client: Client, n: number, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ids = (await client.info()).workers.map((w) => w.id);
    if (ids.length >= n || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Throws unless the scheduler has `n` workers within `ms`. */
async function requireWorkers(client: Client, n: number, ms: number): Promise<void> {
  const ids = await waitWorkers(client, n, ms);
  if (ids.length < n)
    throw new Error(`chaos: ${n} workers expected, ${ids.length} after ${ms} ms: ${ids.join()}`);
}

/** Bytes moved between workers so far, by path (webrtc, peer, relay), from /metrics. */
async function transferBytes(http: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const bytes: Record<string, number> = {};
  for (const m of text.matchAll(/^bask_transfer_bytes_total\{path="(\w+)"\} (\d+)/gm))
    bytes[m[1] as string] = Number(m[2]);
  return bytes;
}

/** A chaos session: one scheduler, its victims, and the tally of its runs. */
class Chaos {
  private readonly walls: number[] = [];
  private readonly failures: string[] = [];
  private readonly hung: { run: number; tasks: Record<string, number> }[] = [];
  private readonly notReplaced: string[] = [];
  private correct = 0;
  private tasks = 0;
  /** Milliseconds of a run without kills: kill moments fall within it. */
  private undisturbed = 0;
  private readonly workers: number;

  constructor(
    private readonly o: ChaosOptions,
    private readonly address: string,
    private readonly http: string,
    private readonly victims: Victims,
    private client: Client,
  ) {
    this.workers = o.procs * o.threads + o.tabs;
  }

  /** Starts the victims and times a run without kills (kills make runs longer). */
  async start(): Promise<void> {
    await this.victims.start(this.o.procs, this.o.tabs);
    await requireWorkers(this.client, this.workers, 60_000);
    const warm = chaosGraph(this.o.runs, this.o.leaves, this.o.leafMs);
    const t0 = performance.now();
    if ((await get(warm.graph, warm.root, { scheduler: this.client })) !== warm.expected)
      throw new Error('chaos: the warm-up run (no kills) gave a wrong result');
    this.undisturbed = performance.now() - t0;
  }

  /** One run while victims die at random moments; prints and tallies its verdict. */
  async run(run: number): Promise<void> {
    const g = chaosGraph(run, this.o.leaves, this.o.leafMs);
    this.tasks = g.tasks;
    const t0 = performance.now();
    const kills = this.killAtRandom(t0);
    const outcome = await within(
      get(g.graph, g.root, { scheduler: this.client }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      this.o.hangMs,
    );
    const wall = performance.now() - t0;
    kills.stop();
    if (kills.made.length === 0) this.undisturbed = Math.min(this.undisturbed, wall);
    let verdict: string;
    if (outcome === 'timeout') {
      const info = await this.client.info();
      this.hung.push({ run, tasks: info.tasks });
      verdict = `HUNG (tasks: ${JSON.stringify(info.tasks)})`;
      // Its futures go with its client; the next run starts clean.
      await this.client.close();
      this.client = await Client.connect(this.address, { setAsDefault: false });
    } else {
      this.walls.push(wall);
      if ('error' in outcome) {
        const e = outcome.error;
        verdict = `FAILED: ${e instanceof Error ? e.message : String(e)}`;
      } else if (outcome.value === g.expected) {
        verdict = 'ok';
        this.correct++;
      } else verdict = `WRONG: ${String(outcome.value)} instead of ${g.expected}`;
      if (verdict !== 'ok') this.failures.push(`run ${run}: ${verdict}`);
    }
    const made = kills.made.join(', ');
    console.error(`chaos run ${run}: ${(wall / 1000).toFixed(2)} s, kills [${made}]: ${verdict}`);
  }

  /** Waits until the cluster is whole again after a run. */
  async restore(run: number): Promise<void> {
    await this.victims.settle(this.o.hangMs);
    // A dead thread's replacement should join within seconds; one that never does is
    // reported, and its process restarted so that the next run has the whole cluster.
    const lost = await this.victims.heal(
      await waitWorkers(this.client, this.workers, 20_000),
      this.client,
    );
    if (lost.length > 0) {
      this.notReplaced.push(...lost.map((id) => `run ${run}: ${id}`));
      console.error(`chaos run ${run}: threads never replaced: ${lost.join(', ')}`);
    }
    await requireWorkers(this.client, this.workers, this.o.hangMs);
  }

  /** The result row. */
  async row(): Promise<Record<string, unknown>> {
    const o = this.o;
    const wall = this.walls.length > 0 ? summarize(this.walls) : undefined;
    return {
      kind: 'chaos',
      runs: o.runs,
      tasks_per_run: this.tasks,
      leaf_ms: o.leafMs,
      cluster: `${o.procs} bask worker x ${o.threads} threads + ${o.tabs} volunteer tabs x 1 thread`,
      kills_per_run: o.kills,
      process_kills: this.victims.kills.process,
      thread_killer_tasks: this.victims.kills.thread,
      threads_killed: this.victims.threadDeaths(),
      tab_kills: this.victims.kills.tab,
      threads_not_replaced: this.notReplaced,
      killers_failed_killed_worker: this.victims.killers.killedWorker,
      killers_other: this.victims.killers.other,
      killers_stuck: this.victims.killers.stuck,
      correct_runs: this.correct,
      failed_runs: this.failures.length,
      hung_runs: this.hung.length,
      // Wall times of the runs that ended (right or wrong); hung ones are apart.
      run_p50_s: wall === undefined ? null : Math.round(wall.median) / 1000,
      run_max_s: wall === undefined ? null : Math.round(wall.max) / 1000,
      transfer_bytes: await transferBytes(this.http),
      failures: this.failures,
      hung: this.hung,
      page_errors: this.victims.pageErrors,
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Schedules the run's kills at random moments; `stop()` drops those not made yet. */
  private killAtRandom(t0: number): { made: string[]; stop(): void } {
    const made: string[] = [];
    const client = this.client;
    const timers = Array.from({ length: this.o.kills }, () =>
      setTimeout(
        () => {
          const kinds = this.victims.available();
          if (kinds.length === 0) return;
          const kind = kinds[rnd(kinds.length)] as VictimKind;
          this.victims.kill(kind, client);
          made.push(`${kind}@${Math.round(performance.now() - t0)}ms`);
        },
        this.undisturbed * (0.05 + 0.85 * Math.random()),
      ),
    );
    return {
      made,
      stop: () => {
        for (const t of timers) clearTimeout(t);
      },
    };
  }
}

/** Runs chaos and returns its result row. */
export async function chaos(o: ChaosOptions): Promise<Record<string, unknown>> {
  const { address, http } = await scheduler();
  const browser = o.tabs > 0 ? await launchBrowser(http) : undefined;
  const victims = new Victims(address, http, o.threads, browser);
  const session = new Chaos(
    o,
    address,
    http,
    victims,
    await Client.connect(address, { setAsDefault: false }),
  );
  try {
    await session.start();
    for (let run = 0; run < o.runs; run++) {
      await session.run(run);
      await session.restore(run);
    }
    return await session.row();
  } finally {
    await session.close();
    await victims.close();
    await browser?.close();
  }
}
