/**
 * Buffers handed over: bytes that their maker gives to the one task that takes them and never
 * reads again (a page's read-ahead file bytes, wire/blob-bytes.ts). A pool moves them to the
 * worker that runs the task (transfer: no copy on either side) instead of copying them.
 *
 * Invariant: a handed-over buffer that was moved is detached here, so a task sent again
 * (its worker died) cannot carry it: `wasMoved` says so, and the pool fails that task with
 * ERR_DATA_LOST (runSpreads then reads the file again, on its own). Entries are weak.
 */
const handed = new WeakSet<ArrayBuffer>();
const moved = new WeakSet<ArrayBuffer>();

/** Marks `buffer` as given to the task that receives it (see the header). */
export function handOver(buffer: ArrayBuffer): void {
  handed.add(buffer);
}

/** Whether `buffer` was handed over and is still here to move. */
export function isHandedOver(buffer: ArrayBufferLike): boolean {
  return buffer instanceof ArrayBuffer && handed.has(buffer) && !moved.has(buffer);
}

/** Records that the handed-over buffers among `sent` were moved (those now detached). */
export function recordMoved(sent: readonly Transferable[]): void {
  for (const b of sent)
    if (b instanceof ArrayBuffer && b.byteLength === 0 && handed.has(b)) moved.add(b);
}

/** Whether `buffer` was handed over and moved away (it is detached). */
export function wasMoved(buffer: ArrayBufferLike): boolean {
  return buffer instanceof ArrayBuffer && moved.has(buffer);
}
