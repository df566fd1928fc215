/**
 * Files' bytes read ahead in groups (src/wire/blob-bytes.ts), and what uses them: runSpreads
 * hands its computations bytes read ahead (a group that cannot be read falls back to each
 * File on its own, so a bad file fails alone), readCsv names a File that cannot be read, and
 * a File decoded from the wire gives back the bytes it was made from without a read.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../../src/index.node.js';
import { readCsv } from '../../src/frame/index.js';
import { generateStocks, isSpreadFailure, runSpreads, spreadsPlain } from '../../src/seed/index.js';
import type { SerializedError } from '../../src/errors.js';
import { spreadsOfGroup } from '../../src/seed/group.js';
import { blobBytes, BytesOf, FileReadAhead, planGroups } from '../../src/wire/blob-bytes.js';
import { isHandedOver } from '../../src/wire/hand-over.js';
import { CloneDecoder, CloneEncoder, findBlobs, MARK } from '../../src/wire/clone.js';
import { UploadedBytes } from '../../src/wire/uploaded.js';
import { loadCsvSource } from '../../src/frame/read.js';
import { rejectionBask } from '../helpers.js';

const decoder = new TextDecoder();

function filesOf(sizes: readonly number[]): File[] {
  return sizes.map((n, i) => new File([String.fromCharCode(97 + i).repeat(n)], `f${i}.csv`));
}

async function textOf(bytes: Promise<Uint8Array> | undefined): Promise<string | undefined> {
  return bytes === undefined ? undefined : decoder.decode(await bytes);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('FileReadAhead', () => {
  it("gives each File's own bytes once, and nothing for other sources", async () => {
    const files = filesOf([3, 5, 1, 4]);
    const sources = [files[0], 'a/path.csv', files[1], files[2], new Uint8Array(2), files[3]];
    const ahead = new FileReadAhead(sources);
    const got = await Promise.all(sources.map((_, i) => textOf(ahead.take(i))));
    expect(got).toEqual(['aaa', undefined, 'bbbbb', 'c', undefined, 'dddd']);
    expect(ahead.take(0)).toBeUndefined();
    // Each one's buffer is its own: posting it does not carry its group's bytes along.
    const again = new FileReadAhead(files);
    expect((await again.take(1))?.buffer.byteLength).toBe(5);
  });

  it('gives views into its groups when asked, the same bytes', async () => {
    const files = filesOf([3, 5, 1]);
    const ahead = new FileReadAhead(files, { views: true });
    const got = await Promise.all(files.map((_, i) => ahead.take(i) as Promise<Uint8Array>));
    expect(got.map((b) => new TextDecoder().decode(b))).toEqual(['aaa', 'bbbbb', 'c']);
    // One composed read: the three views share its buffer.
    expect(got[1]?.buffer).toBe(got[0]?.buffer);
    expect(got[1]?.byteOffset).toBe(3);
  });

  it('reads in groups, and no further ahead than its budget until files are taken', async () => {
    const read = vi.spyOn(Blob.prototype, 'arrayBuffer');
    const files = filesOf([10, 10, 10, 10, 10, 10]);
    const ahead = new FileReadAhead(files, { budget: 20 });
    // Within the budget: one composed read of the first two files.
    expect(read).toHaveBeenCalledTimes(1);
    expect(await textOf(ahead.take(0))).toBe('a'.repeat(10));
    expect(await textOf(ahead.take(1))).toBe('b'.repeat(10));
    const got = await Promise.all([2, 3, 4, 5].map((i) => textOf(ahead.take(i))));
    expect(got).toEqual(['c', 'd', 'e', 'f'].map((c) => c.repeat(10)));
    expect(read.mock.calls.length).toBeLessThan(files.length);
  });

  it('reads few groups at once, and starts the group of a file wanted before its turn', async () => {
    const read = vi.spyOn(Blob.prototype, 'arrayBuffer');
    // 40 kB files: groups of 1 (64 kB at first), then 3, 6... files.
    const files = filesOf(Array.from({ length: 12 }, () => 40_000));
    const ahead = new FileReadAhead(files, { inFlight: 1 });
    expect(read).toHaveBeenCalledTimes(1);
    const last = ahead.take(11);
    expect(read.mock.calls.length).toBeGreaterThan(1);
    expect(await textOf(last)).toBe('l'.repeat(40_000));
    const got = await Promise.all(files.slice(0, 11).map((_, i) => textOf(ahead.take(i))));
    expect(got).toEqual(
      files.slice(0, 11).map((_, i) => String.fromCharCode(97 + i).repeat(40_000)),
    );
  });

  it("rejects a group's takes when the group cannot be read", async () => {
    vi.spyOn(Blob.prototype, 'arrayBuffer').mockRejectedValue(new Error('NotReadableError'));
    const ahead = new FileReadAhead(filesOf([2, 2]));
    await expect(ahead.take(0)).rejects.toThrow('NotReadableError');
    await expect(ahead.take(1)).rejects.toThrow('NotReadableError');
  });
});

describe('groups read ahead whole', () => {
  it('plans runs of consecutive Blobs, each up to twice the last; other sources in none', () => {
    const kb = (n: number): File => new File([new Uint8Array(n << 10)], `${n}.csv`);
    const big = new File([new Uint8Array((4 << 20) + 1)], 'big.csv');
    const sources = [kb(30), kb(30), kb(30), 'a/path.csv', kb(60), kb(60), kb(60), big, kb(1)];
    expect(planGroups(sources).map((g) => [g.first, g.starts.length - 1])).toEqual([
      [0, 2], // 64 kB at most
      [2, 1], // a path ends a group
      [4, 3], // up to 256 kB now; the big file (past 4 MiB) is in none
      [8, 1],
    ]);
    expect(planGroups(sources)[0]?.starts).toEqual([0, 30 << 10, 60 << 10]);
  });

  it("gives a group's bytes at once, its buffer handed over; not after a member was taken", async () => {
    const files = filesOf([3, 5, 1, 4]);
    const ahead = new FileReadAhead(files);
    expect(ahead.plan.map((g) => g.starts)).toEqual([[0, 3, 8, 9, 13]]);
    const bytes = await ahead.takeGroup(0);
    expect(decoder.decode(bytes)).toBe('aaabbbbbcdddd');
    expect(bytes?.byteOffset).toBe(0);
    expect(isHandedOver(bytes?.buffer as ArrayBuffer)).toBe(true);
    expect(ahead.take(1)).toBeUndefined();
    expect(ahead.takeGroup(0)).toBeUndefined();
    const again = new FileReadAhead(files);
    expect(await textOf(again.take(2))).toBe('c');
    expect(again.takeGroup(0)).toBeUndefined();
    expect(await textOf(again.take(0))).toBe('aaa');
  });
});

describe('spreadsOfGroup', () => {
  const day = generateStocks({ days: 2, minutes: 30 });
  const encoder = new TextEncoder();

  it("computes each file's spread and day, and each bad file's error, named", () => {
    const texts = [day[0]?.text ?? '', 'timestamp,high\n2023-01-02,1\n', day[1]?.text ?? ''];
    const parts = texts.map((t) => encoder.encode(t));
    const starts = [0];
    for (const p of parts) starts.push((starts.at(-1) ?? 0) + p.byteLength);
    const bytes = new Uint8Array(starts.at(-1) ?? 0);
    parts.forEach((p, k) => bytes.set(p, starts[k]));
    const out = spreadsOfGroup(bytes, starts, ['a.csv', 'nolow.csv', 'b.csv']);
    const plain = spreadsPlain(day);
    expect(out[0]).toEqual([plain.spreads[0], plain.days[0]]);
    expect(out[2]).toEqual([plain.spreads[1], plain.days[1]]);
    const error = (out[1] as { error: SerializedError }).error;
    expect(error).toMatchObject({ name: 'BaskError', code: 'ERR_CSV' });
    expect(error.message).toContain("'nolow.csv' has no 'low' column");
    expect(error.stack).toContain('BaskError');
  });

  it('refuses starts and names that do not match', () => {
    expect(() => spreadsOfGroup(new Uint8Array(4), [0, 2, 4], ['only.csv'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => spreadsOfGroup(new Uint8Array(4), [0, 8], ['past.csv'])).toThrow(
      /one start per file plus its end/,
    );
  });
});

describe('runSpreads over Files read ahead', () => {
  const GOOD = generateStocks({ days: 6, minutes: 20 });
  const BAD = 'timestamp,high,low\n2023-01-01 09:30,1,0.5\n2023-01-01 09:31,oops,0.4\n';

  it('computes every file when the group read fails, and a bad file fails alone by name', async () => {
    const real = (
      Object.getOwnPropertyDescriptor(Blob.prototype, 'arrayBuffer') as {
        value: (this: Blob) => Promise<ArrayBuffer>;
      }
    ).value;
    // Composed reads (several files at once) fail; each File read on its own works.
    vi.spyOn(Blob.prototype, 'arrayBuffer').mockImplementation(function (this: Blob) {
      return this instanceof File ? real.call(this) : Promise.reject(new Error('unreadable'));
    });
    const texts = [...GOOD.slice(0, 3), { name: 'bad.csv', text: BAD }, ...GOOD.slice(3)];
    const files = texts.map((f) => new File([f.text], f.name));
    const results = await runSpreads(files, { scheduler: 'sync' });
    const good = results.filter((r) => !isSpreadFailure(r));
    expect(good.map((r) => ('spread' in r ? r.spread : NaN))).toEqual(spreadsPlain(GOOD).spreads);
    const bad = results[3];
    expect(bad !== undefined && isSpreadFailure(bad) && bad.error.message).toContain(
      "'bad.csv', line 3:",
    );
  });

  it('names bytes read ahead by the names given', async () => {
    const files = [new File([BAD], 'upload.csv')];
    const [result] = await runSpreads(files, { scheduler: 'sync', names: ['monday.csv'] });
    expect(result !== undefined && isSpreadFailure(result) && result.error.message).toContain(
      "'monday.csv', line 3:",
    );
  });
});

describe('reading Blobs', () => {
  it('names a File that cannot be read in an ERR_CSV', async () => {
    class Gone extends File {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new Error('the file changed since it was picked'));
      }
    }
    const error = await rejectionBask(readCsv(new Gone(['a,b\n1,2\n'], 'moved.csv')));
    expect(error.code).toBe('ERR_CSV');
    expect(error.message).toContain('moved.csv');
    expect(error.message).toContain('cannot be read: the file changed since it was picked');
  });

  it('gives back the bytes a File from the wire was made from, once, without reading it', async () => {
    const bytes = new TextEncoder().encode('timestamp,high,low\n2023-01-02 09:30,2,1\n');
    const file = new CloneDecoder().decode({
      [MARK]: 'file',
      name: 'sent.csv',
      mime: 'text/csv',
      bytes,
    }) as File;
    expect(file).toBeInstanceOf(File);
    expect(file.name).toBe('sent.csv');
    const read = vi.spyOn(Blob.prototype, 'arrayBuffer');
    expect(blobBytes(file)).toBe(bytes);
    expect(read).not.toHaveBeenCalled();
    expect(decoder.decode(await blobBytes(file))).toBe(decoder.decode(bytes));
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('lets readCsv take the sent bytes themselves, and reads every other File', async () => {
    const csv = 'timestamp,high,low\n2024-01-02 09:30,2,1\n';
    const bytes = new TextEncoder().encode(csv);
    const sent = new CloneDecoder().decode({
      [MARK]: 'file',
      name: 'a.csv',
      mime: 'text/csv',
      bytes,
    });
    const loaded = await loadCsvSource(sent as File);
    expect(loaded.name).toBe('a.csv');
    expect(loaded.data).toBe(bytes);
    // A local File, even one encoded for sending, has no bytes to give back: it is read.
    const local = new File([csv], 'b.csv');
    new CloneEncoder(false, undefined, new Map([[local, new Uint8Array(3)]])).encode(local);
    const read = blobBytes(local);
    expect(read).toBeInstanceOf(Promise);
    expect(decoder.decode(await read)).toBe(csv);
  });
});

describe('BytesOf', () => {
  it('goes on the wire as the bytes of its Blob, uploaded or read, and nowhere else', () => {
    const blob = new Blob(['a,b\n1,2\n']);
    const wrapped = { group: new BytesOf(blob) };
    expect([...findBlobs(wrapped)]).toEqual([blob]);
    const read = new TextEncoder().encode('a,b\n1,2\n');
    const wire = new CloneEncoder(false, undefined, new Map([[blob, read]]));
    expect(wire.encode(wrapped)).toEqual({ group: read });
    const uploaded = new UploadedBytes('u1', blob.size);
    const up = new CloneEncoder(false, undefined, new Map([[blob, uploaded]]));
    expect((up.encode(wrapped) as { group: unknown }).group).toBe(uploaded);
    // Locally (no Blob contents) it has no meaning: refused, not posted as an empty object.
    const local = new CloneEncoder(false);
    expect(() => local.encode(wrapped)).toThrow(
      expect.objectContaining({ code: 'ERR_SERIALIZE' }) as Error,
    );
  });
});
