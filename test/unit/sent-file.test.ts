/** Files that came over the wire keep their bytes (src/wire/clone.ts remembers them, src/wire/blob-bytes.ts `blobBytes` hands them back once). */
import { describe, expect, it } from 'vitest';
import { CloneDecoder, CloneEncoder, MARK } from '../../src/wire/clone.js';
import { blobBytes } from '../../src/wire/blob-bytes.js';
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
    const loaded = await loadCsvSource(file);
    expect(loaded.name).toBe('a.csv');
    // The reader took the sent bytes themselves, not a copy read back from the File.
    expect(loaded.data).toBe(bytes);
  });

  it('is the only kind of Blob with sent bytes: others are read', async () => {
    const local = new File([CSV], 'b.csv');
    const encoded = new CloneEncoder(false, undefined, new Map([[local, new Uint8Array(3)]]));
    encoded.encode(local);
    const read = blobBytes(local);
    expect(read).toBeInstanceOf(Promise);
    expect(new TextDecoder().decode(await read)).toBe(CSV);
  });
});
