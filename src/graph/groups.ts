/** A key's task group, as in Dask: the prefix before the last '-' (`inc-3f2a` -> `inc`). */
export function keyGroup(key: string): string {
  const dash = key.lastIndexOf('-');
  return dash > 0 ? key.slice(0, dash) : key;
}
