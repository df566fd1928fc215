/**
 * The spill store of a `bask worker` process: one file per value in a directory of its own
 * under the system's temp directory (`bask-spill-<pid>-XXXXXX`). A typed array is written as its
 * bytes (no copy on the way out, none but the read on the way in); anything else as V8's
 * structured clone (what IndexedDB keeps for volunteer tabs: plain data, typed arrays, markers
 * for registered types). The directory goes when the process stops; one left by a process
 * that was killed is removed by its supervisor (`removeSpillDirs`).
 *
 * After each write the store asks for a garbage collection (`collect`): the values written are
 * garbage then, and large buffers barely move V8's own heuristics.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { SpillStore } from '../../src/worker/spiller.js';

const PREFIX = 'bask-spill-';

/** A process's spill directory. */
export class FileSpillStore implements SpillStore {
  private readonly files = new Map<string, SpillFile>();
  private next = 0;
  private removed = false;

  private constructor(
    readonly dir: string,
    private readonly collect: (() => void) | undefined,
  ) {}

  /** Creates this process's directory (removed again at exit, whatever ends the process). */
  static create(collect?: () => void): FileSpillStore {
    const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    const store = new FileSpillStore(dir, collect);
    process.once('exit', store.onExit);
    return store;
  }

  async put(entries: [string, unknown][]): Promise<void> {
    await Promise.all(
      entries.map(([key, value]) => {
        const file: SpillFile = { name: String(this.next++), view: viewType(value) };
        this.files.set(key, file);
        const bytes = file.view === undefined ? serialize(value) : bytesOf(value as View);
        return writeFile(join(this.dir, file.name), bytes);
      }),
    );
    if (this.collect !== undefined) setImmediate(this.collect);
  }

  async get(keys: string[]): Promise<unknown[]> {
    return Promise.all(
      keys.map(async (key) => {
        const file = this.files.get(key);
        if (file === undefined) return undefined;
        try {
          const bytes = await readFile(join(this.dir, file.name));
          return file.view === undefined
            ? (deserialize(bytes) as unknown)
            : viewOf(file.view, bytes);
        } catch {
          return undefined;
        }
      }),
    );
  }

  async del(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((key) => {
        const file = this.files.get(key);
        this.files.delete(key);
        return file === undefined
          ? Promise.resolve()
          : rm(join(this.dir, file.name), { force: true });
      }),
    );
  }

  destroy(): Promise<void> {
    this.removeNow();
    return Promise.resolve();
  }

  private readonly onExit = (): void => this.removeNow();

  private removeNow(): void {
    if (this.removed) return;
    this.removed = true;
    process.off('exit', this.onExit);
    this.files.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A typed array stored as its bytes. */
type View = Exclude<ArrayBufferView, DataView>;

/** One spilled value's file; `view` names its typed array type when it is one. */
interface SpillFile {
  readonly name: string;
  readonly view: string | undefined;
}

const VIEWS: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => View> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** The typed array type of `value` when it is a plain one (a Buffer is not: it is cloned). */
function viewType(value: unknown): string | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView || Buffer.isBuffer(value))
    return undefined;
  const name = value.constructor.name;
  return VIEWS[name] === value.constructor && !(value.buffer instanceof SharedArrayBuffer)
    ? name
    : undefined;
}

function bytesOf(view: View): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function viewOf(type: string, bytes: Buffer): View {
  const View = VIEWS[type] as (typeof VIEWS)[string];
  const width = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  // A Buffer may sit at any offset in a shared pool: copy when it is not aligned for `type`.
  const aligned = bytes.byteOffset % width === 0 ? bytes : Buffer.from(bytes);
  return new View(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / width);
}

/** Removes the spill directories a process `pid` left behind (it was killed). */
export function removeSpillDirs(pid: number): void {
  const mine = `${PREFIX}${pid}-`;
  try {
    for (const name of readdirSync(tmpdir()))
      if (name.startsWith(mine)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  } catch {
    // Best effort: the temp directory may be unreadable.
  }
}
