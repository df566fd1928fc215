/** Files that came over the wire keep their bytes (src/wire/clone.ts sentBytesOf, read by src/frame/read.ts). */
import { describe, expect, it } from 'vitest';
import { CloneDecoder, CloneEncoder, MARK, sentBytesOf } from '../../src/wire/clone.js';
import { loadCsvSource } from '../../src/frame/read.js';

const CSV = 'timestamp,high,low\n2024-01-02 09:30,2,1\n';

describe('a File sent over the wire', () => {
  it('is a File with the sent bytes, which readers take without reading it back', async () => {
    const bytes = new TextEncoder().encode(CSV);
    const file = new CloneDecoder().decode({
      [MARK]: 'file',
      name: 'a.csv',
      mime: 'text/csv',
      bytes,
    }) as File;
    expect(file).toBeInstanceOf(File);
    expect(file.name).toBe('a.csv');
    expect(await file.text()).toBe(CSV);
    expect(sentBytesOf(file)).toBe(bytes);
    const loaded = await loadCsvSource(file);
    expect(loaded.name).toBe('a.csv');
    expect(new TextDecoder().decode(loaded.data as Uint8Array)).toBe(CSV);
  });

  it('is the only kind of Blob with sent bytes', () => {
    const local = new File([CSV], 'b.csv');
    expect(sentBytesOf(local)).toBeUndefined();
    const encoded = new CloneEncoder(false, undefined, new Map([[local, new Uint8Array(3)]]));
    encoded.encode(local);
    expect(sentBytesOf(local)).toBeUndefined();
  });
});
