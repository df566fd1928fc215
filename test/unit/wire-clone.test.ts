/**
 * Views across worker boundaries (wire/clone.ts): a view of a small part of a large buffer goes
 * as a copy of its own bytes, so that posting it does not copy (or hold) the whole buffer; the
 * parser's frames, carved from shared slabs (frame/scan.ts), travel at their own size.
 */
import { describe, expect, it } from 'vitest';
import '../../src/frame/codec.js';
import { parseCsv } from '../../src/frame/csv.js';
import { DataFrame } from '../../src/frame/dataframe.js';
import { task } from '../../src/graph/spec.js';
import { CloneDecoder, CloneEncoder, MARK } from '../../src/wire/clone.js';
import { encodeSpec } from '../../src/wire/spec-codec.js';

/** What a receiving thread gets: encoded, structured-cloned (transferring), decoded. */
function post(value: unknown, move: boolean): { arrived: unknown; transfer: Transferable[] } {
  const encoder = new CloneEncoder(move);
  const encoded = encoder.encode(value);
  const cloned = structuredClone(encoded, { transfer: encoder.transfer });
  return { arrived: new CloneDecoder().decode(cloned), transfer: encoder.transfer };
}

describe('views of a small part of a large buffer', () => {
  it('arrive as copies of their own bytes, of the same kind', () => {
    const big = new ArrayBuffer(1 << 20);
    const floats = new Float64Array(big, 8 * 1000, 3);
    floats.set([1.5, -2, 3.25]);
    const bytes = new Uint8Array(big, 5, 4);
    bytes.set([1, 2, 3, 4]);
    const view = new DataView(big, 64, 8);
    view.setFloat64(0, 42);
    const { arrived } = post({ floats, bytes, view }, false);
    const got = arrived as { floats: Float64Array; bytes: Uint8Array; view: DataView };
    expect(got.floats).toBeInstanceOf(Float64Array);
    expect([...got.floats]).toEqual([1.5, -2, 3.25]);
    expect(got.floats.buffer.byteLength).toBe(24);
    expect([...got.bytes]).toEqual([1, 2, 3, 4]);
    expect(got.bytes.buffer.byteLength).toBe(4);
    expect(got.view.getFloat64(0)).toBe(42);
    expect(got.view.buffer.byteLength).toBe(8);
  });

  it('are moved as their copy: the large buffer stays usable where it was', () => {
    const big = new ArrayBuffer(1 << 20);
    const part = new Float64Array(big, 0, 4).fill(7);
    const { arrived, transfer } = post(part, true);
    expect([...(arrived as Float64Array)]).toEqual([7, 7, 7, 7]);
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).not.toBe(big);
    expect(big.byteLength).toBe(1 << 20);
    expect(part[0]).toBe(7);
  });

  it('while a view of most of its buffer goes as it is (moved whole when it owns it)', () => {
    const whole = new Float64Array(1000).fill(1);
    const { transfer } = post(whole, true);
    expect(transfer).toEqual([whole.buffer]);
    expect(whole.buffer.byteLength).toBe(0); // detached: it changed owner
    const most = new Float64Array(new ArrayBuffer(8 * 1000), 8, 900).fill(2);
    const { arrived } = post(most, false);
    expect((arrived as Float64Array).buffer.byteLength).toBe(8 * 1000);
  });

  it('a parsed frame travels at its own size, not with the slab it was carved from', () => {
    const rows = Array.from(
      { length: 50 },
      (_, i) => `2023-01-02 09:${String(i).padStart(2, '0')}:00,${i},${-i}`,
    );
    const text = `timestamp,high,low\n${rows.join('\n')}\n`;
    const options = { parseDates: ['timestamp'], indexCol: 'timestamp' };
    const first = parseCsv(text, options);
    const second = parseCsv(text.replace(/,(\d+),/g, ',1$1,'), options);
    const { arrived } = post(first, true);
    const frame = arrived as DataFrame;
    expect(DataFrame.toData(frame)).toEqual(DataFrame.toData(first));
    for (const name of frame.columns) expect(frame.col(name).values.buffer.byteLength).toBe(50 * 8);
    // Moving the first frame detached nothing of the second, carved from the same slab.
    expect(second.col('high').values[1]).toBe(11);
  });

  it('go as they are to the wire, whose codec copies only their bytes', () => {
    const inGroup = new Uint8Array(new ArrayBuffer(1 << 20), 4096, 100);
    const byteLength = (x: Uint8Array): number => x.byteLength;
    const local = encodeSpec(task(byteLength, inGroup), 'k');
    expect((local.args[0] as Uint8Array).buffer.byteLength).toBe(100);
    const wire = encodeSpec(task(byteLength, inGroup), 'k', { wire: true });
    expect(wire.args[0]).toBe(inGroup);
  });
});

describe('a File marker', () => {
  it('becomes a File with its bytes, and one without bytes fails with ERR_SERIALIZE', async () => {
    const bytes = new Uint8Array([104, 105]);
    const file = new CloneDecoder().decode({ [MARK]: 'file', name: 'a.csv', mime: '', bytes });
    expect((file as File).name).toBe('a.csv');
    expect(await (file as File).text()).toBe('hi');
    // Regression: a marker without its bytes (hostile or broken) made a File of 'undefined'.
    for (const broken of [undefined, 'hi', { pieces: [] }]) {
      const decode = (): unknown =>
        new CloneDecoder().decode({ [MARK]: 'file', name: 'a.csv', mime: '', bytes: broken });
      expect(decode).toThrow(expect.objectContaining({ code: 'ERR_SERIALIZE' }));
    }
  });
});
