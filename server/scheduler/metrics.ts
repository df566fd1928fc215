/**
 * The scheduler's counters and the task latency histogram, rendered as Prometheus text on
 * `/metrics`. Counting is cheap (numbers in a map); rendering happens only when scraped.
 */
import type { TaskResult } from '../../src/wire/pool-protocol.js';

const BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60];

/** Counters and a duration histogram. */
export class Metrics {
  readonly counters = new Map<string, number>();
  /** Connections refused at the door (upgrade or hello), by reason. */
  readonly refused = new Map<string, number>();
  /** Connections the scheduler closed for breaking a rule, by reason. */
  readonly closed = new Map<string, number>();
  private readonly histogram = new Array<number>(BUCKETS.length + 1).fill(0);
  private durationSum = 0;
  private durationCount = 0;

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** Counts `reason` in one of the labelled counters. */
  countIn(counter: Map<string, number>, reason: string): void {
    counter.set(reason, (counter.get(reason) ?? 0) + 1);
  }

  /** Folds task durations and outcomes of a results message in. */
  taskResults(results: readonly TaskResult[]): void {
    for (const r of results) {
      if (r.missing !== undefined) continue;
      const seconds = Math.max(0, (r.end - r.start) / 1000);
      let i = 0;
      while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
      this.histogram[i]!++;
      this.durationSum += seconds;
      this.durationCount++;
      this.count(r.error === undefined ? 'tasksFinished' : 'tasksErred');
    }
  }

  /** The task duration histogram in Prometheus text format. */
  histogramText(name: string): string[] {
    const lines = [
      `# HELP ${name} Task run time on workers, in seconds.`,
      `# TYPE ${name} histogram`,
    ];
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += this.histogram[i] as number;
      lines.push(`${name}_bucket{le="${le}"} ${cumulative}`);
    });
    cumulative += this.histogram[BUCKETS.length] as number;
    lines.push(
      `${name}_bucket{le="+Inf"} ${cumulative}`,
      `${name}_sum ${this.durationSum}`,
      `${name}_count ${this.durationCount}`,
    );
    return lines;
  }
}
