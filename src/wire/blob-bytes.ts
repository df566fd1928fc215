/**
 * The bytes of Files and Blobs: read ahead in groups for a list of sources, or known already.
 *
 * Why: in Chromium each `blob.arrayBuffer()` is a round trip to the browser process, which
 * reads the file and streams it back; one read per small file, in turn, waits for every round
 * trip (2,000 files of 23 kB: ~1.4 s read one after another on an idle page, ~0.5 s as twelve
 * composed Blobs read at once), and a Blob made in a Web Worker is itself a synchronous round
 * trip (~0.3 ms). `FileReadAhead` reads a run's Files on the page as a few composed Blobs
 * (`new Blob([a, b, c])`), all in flight at once, and the tasks get bytes.
 *
 * Policy: reads go in input order, at most a budget of bytes read and not yet taken; each
 * file's bytes are taken once. A group that fails to read (a file changed or removed since it
 * was picked) makes its members' takes reject, and the caller then reads each of them on its
 * own, so that only the bad file fails, with its own error. `rememberBytes` records the bytes a
 * Blob was just made from (a File received over the network), so that `blobBytes` hands them
 * back once without reading the Blob; entries are weak (a Blob nobody holds takes them along).
 */

import { BaskError } from '../errors.js';
import { handOver } from './hand-over.js';

/** Files per composed read, by size: one round trip per this many bytes at most. */
const GROUP_BYTES = 4 << 20;

const known = new WeakMap<Blob, Uint8Array | Promise<Uint8Array>>();

/** Whether `value` is a Blob (a File included), where the runtime has Blobs. */
export function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

function readOne(blob: Blob): Promise<Uint8Array> {
  return blob.arrayBuffer().then((buffer) => new Uint8Array(buffer));
}

/**
 * A Blob's bytes: the ones read ahead or remembered (handed over once), else read now. Rejects
 * as `blob.arrayBuffer()` does when the Blob cannot be read.
 */
export function blobBytes(blob: Blob): Uint8Array | Promise<Uint8Array> {
  const ahead = known.get(blob);
  if (ahead === undefined) return readOne(blob);
  known.delete(blob);
  return ahead;
}

/**
 * A Blob's bytes as a task argument for a cluster client: the client uploads (or reads) the
 * Blob, and the task receives its bytes as a Uint8Array, not a Blob made again around them
 * (which copies them: ~140 ms per 48 MB in Node). `runSpreads` gives a cluster each group of
 * Files so (seed/run.ts).
 */
export class BytesOf {
  constructor(readonly blob: Blob) {}
}

/** Records that `blob` holds `bytes` (it was just made from them), for `blobBytes`. */
export function rememberBytes(blob: Blob, bytes: Uint8Array): void {
  known.set(blob, bytes);
}

/**
 * Composed reads in flight at once: two keep the browser's reading busy (one is read while the
 * other's bytes are handed over); with every group in flight at once, the first (small) group
 * came back only after ~0.3-1 s at 2,000 files, which held back the first results.
 */
const READS_IN_FLIGHT = 2;

/** First group's bytes at most in a `FileReadAhead`: the first results wait for little. */
const FIRST_GROUP_BYTES = 64 << 10;

/** A run of consecutive sources read as one composed Blob. */
export interface GroupPlan {
  /** Index of its first source. */
  readonly first: number;
  /** Each member's start in the group's bytes, and one past the last member's end. */
  readonly starts: readonly number[];
}

/** A group being read or read, until its members are taken. */
interface Reading {
  readonly buffer: Promise<ArrayBuffer>;
  /** Members not taken yet: at 0 the group (and its buffer) is dropped. */
  left: number;
}

/**
 * The groups `FileReadAhead` reads `sources` in: runs of consecutive Files and Blobs, the
 * first up to FIRST_GROUP_BYTES, each next one up to twice the last (GROUP_BYTES at most). A
 * source that is no Blob, or bigger than GROUP_BYTES, is in no group.
 */
export function planGroups(sources: readonly unknown[]): GroupPlan[] {
  const plan: GroupPlan[] = [];
  let limit = FIRST_GROUP_BYTES;
  let first = -1;
  let starts = [0];
  let bytes = 0;
  const close = (): void => {
    if (first >= 0) {
      plan.push({ first, starts });
      limit = Math.min(GROUP_BYTES, limit * 2);
    }
    first = -1;
    starts = [0];
    bytes = 0;
  };
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    if (!isBlob(source) || source.size > GROUP_BYTES) {
      close();
      continue;
    }
    if (first >= 0 && bytes + source.size > limit) close();
    if (first < 0) first = i;
    bytes += source.size;
    starts.push(bytes);
  }
  close();
  return plan;
}

/** Options of a {@link FileReadAhead}. */
export interface ReadAheadOptions {
  /** Bytes read and not taken yet, at most (default 32 MiB). */
  readonly budget?: number;
  /** Composed reads in flight at once (default 2). */
  readonly inFlight?: number;
  /**
   * Give views into the group's buffer instead of buffers of their own: for a caller that
   * keeps the bytes on this thread (the sync scheduler) or copies them anyway (a cluster client
   * encodes them into its frames), one buffer and one copy less per file. The default gives
   * each file a buffer of its own, handed over (hand-over.ts), that a pool moves to a worker.
   */
  readonly views?: boolean;
}

/**
 * Reads a list of sources' Files and Blobs ahead of their use, in input order, in the groups
 * of `planGroups` (each a composed Blob: `new Blob([a, b, c])`), `inFlight` groups at a time,
 * up to `budget` bytes read and not yet taken. For a page that hands a worker pool many Files:
 * one round trip per group on the page's side instead of one per file in each worker, and the
 * workers receive bytes (a Blob made in a worker is itself a round trip).
 *
 * `take(i)` gives source i's bytes as a buffer of its own (to post without copying its
 * group's; a view with `views`), once; undefined for a source that is no Blob, or already
 * taken, or too big to group. `takeGroup(g)` gives a whole group's bytes at once, its buffer
 * handed over. A group that fails to read makes its members' `take` reject: the caller reads
 * those files again on their own, so that a bad file fails alone.
 */
export class FileReadAhead {
  /** The groups, in source order. */
  readonly plan: readonly GroupPlan[];
  /** Group of each source (index into `plan`), -1 when none or taken. */
  private readonly groupOf: Int32Array;
  private readonly reads: (Reading | undefined)[] = [];
  /** Groups started so far (the next one to read is `plan[started]`). */
  private started = 0;
  /** Bytes read ahead and not taken yet. */
  private pending = 0;
  /** Groups being read now. */
  private reading = 0;

  private readonly budget: number;
  private readonly inFlight: number;
  private readonly views: boolean;

  constructor(
    private readonly sources: readonly unknown[],
    options: ReadAheadOptions = {},
  ) {
    this.budget = options.budget ?? 32 << 20;
    this.inFlight = options.inFlight ?? READS_IN_FLIGHT;
    this.views = options.views ?? false;
    this.plan = planGroups(sources);
    this.groupOf = new Int32Array(sources.length).fill(-1);
    this.plan.forEach((p, g) => this.groupOf.fill(g, p.first, p.first + p.starts.length - 1));
    this.fill();
  }

  /** Source i's bytes, if it was read ahead; starts further reads as room frees up. */
  take(i: number): Promise<Uint8Array> | undefined {
    const g = this.groupOf[i] ?? -1;
    if (g === -1) return undefined;
    // Wanted before its turn (the caller outpaces the reads): its group starts now.
    while (this.started <= g) this.startGroup();
    this.groupOf[i] = -1;
    const read = this.reads[g] as Reading;
    if (--read.left === 0) this.reads[g] = undefined;
    const plan = this.plan[g] as GroupPlan;
    const k = i - plan.first;
    const start = plan.starts[k] as number;
    const end = plan.starts[k + 1] as number;
    this.pending -= end - start;
    this.fill();
    return read.buffer.then((buffer) => {
      if (this.views) return new Uint8Array(buffer, start, end - start);
      const own = buffer.slice(start, end);
      // Read for its task alone: a pool of threads moves it to the worker (hand-over.ts).
      handOver(own);
      return new Uint8Array(own);
    });
  }

  /**
   * Group g's bytes (its members' bytes one after another, at `plan[g].starts`), its buffer
   * handed over; undefined once any member was taken.
   */
  takeGroup(g: number): Promise<Uint8Array> | undefined {
    const plan = this.plan[g];
    if (plan === undefined) return undefined;
    const count = plan.starts.length - 1;
    for (let i = plan.first; i < plan.first + count; i++)
      if (this.groupOf[i] !== g) return undefined;
    while (this.started <= g) this.startGroup();
    this.groupOf.fill(-1, plan.first, plan.first + count);
    const read = this.reads[g] as Reading;
    this.reads[g] = undefined;
    this.pending -= plan.starts[count] as number;
    this.fill();
    return read.buffer.then((buffer) => {
      handOver(buffer);
      return new Uint8Array(buffer);
    });
  }

  /** Starts groups while the budget and the reads in flight allow. */
  private fill(): void {
    while (this.pending < this.budget && this.reading < this.inFlight && this.startGroup());
  }

  /** Starts the read of the next group; false when every group has started. */
  private startGroup(): boolean {
    const plan = this.plan[this.started];
    if (plan === undefined) return false;
    const count = plan.starts.length - 1;
    const members = this.sources.slice(plan.first, plan.first + count) as Blob[];
    const buffer = new Blob(members).arrayBuffer();
    this.reading++;
    const done = (): void => {
      this.reading--;
      this.fill();
    };
    buffer.then(done, done);
    this.reads[this.started++] = { buffer, left: count };
    this.pending += plan.starts[count] as number;
    return true;
  }
}

/** A Blob's bytes to send; ERR_SERIALIZE, naming the file, when it cannot be read. */
async function readToSend(blob: Blob): Promise<Uint8Array> {
  try {
    return new Uint8Array(await blob.arrayBuffer());
  } catch (error) {
    const name = (blob as Blob & { name?: unknown }).name;
    const what = typeof name === 'string' ? `the file '${name}'` : 'a Blob';
    throw new BaskError(
      'ERR_SERIALIZE',
      `Could not read ${what} to send it (${error instanceof Error ? error.message : String(error)}): it was changed or removed since it was chosen. Choose it again`,
      { cause: error },
    );
  }
}

/** Blob reads in flight at once while a submission's files are read. */
const SUBMISSION_READS = 8;

/**
 * The bytes of a submission's Files and Blobs (for a cluster client, or a pool of processes:
 * where Blobs cannot travel as they are), read a few at a time: thousands of reads
 * started at once all land on the page's thread together (one long task) and hold every
 * buffer at the same moment. A caller that wants files to stream sends them in several
 * submissions (runSpreads keeps a window of files in flight), so each read here is small.
 */
export async function readBlobs(blobs: ReadonlySet<Blob>): Promise<Map<Blob, Uint8Array>> {
  const queue = [...blobs];
  const out = new Map<Blob, Uint8Array>();
  const lane = async (): Promise<void> => {
    for (let b = queue.pop(); b !== undefined; b = queue.pop()) out.set(b, await readToSend(b));
  };
  await Promise.all(Array.from({ length: Math.min(SUBMISSION_READS, queue.length) }, lane));
  return out;
}
