/**
 * Cache tokens: what a result is, independent of its graph key. A task's token is the
 * `tokenize` of its spec with every `Ref` replaced by its dependency's token and every File or
 * Blob by a SHA-256 of its bytes, so equal computations over equal inputs get equal tokens in
 * any session (graph keys of impure calls are random; Files all tokenize alike by fields).
 *
 * Tokens are computed bottom-up over the culled graph, iteratively (a 100k-long chain is
 * fine). A key outside the graph (a Future's) stands for itself. Blob hashes are remembered
 * per Blob object, so computing over the same Files again does not read them again.
 */
import type { GraphView } from '../graph/analyze.js';
import { Alias, Ref, Task, isPlainObject } from '../graph/spec.js';
import { tokenize } from '../graph/tokenize.js';
import { findBlobs } from '../wire/clone.js';

const VERSION = 'bask-cache/1';
const BLOB = '\u0000blob';
const hashes = new WeakMap<Blob, Promise<string>>();

/** The cache token of each of `keys` (and of what they need), by graph key. */
export async function cacheTokens(
  graph: GraphView,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const order = postOrder(graph, keys);
  const blobs = new Set<Blob>();
  for (const key of order) findBlobs(graph.get(key), blobs);
  const blobTokens = new Map<Blob, string>();
  await Promise.all([...blobs].map(async (b) => blobTokens.set(b, await hashBlob(b))));
  const tokens = new Map<string, string>();
  const tokenOf = (key: string): string => tokens.get(key) ?? `external:${key}`;
  for (const key of order) {
    const node = graph.get(key);
    tokens.set(
      key,
      node instanceof Alias
        ? tokenOf(node.key)
        : tokenize(VERSION, substitute(node, tokenOf, blobTokens)),
    );
  }
  return tokens;
}

/** Keys reachable from `keys`, each after its dependencies. */
function postOrder(graph: GraphView, keys: readonly string[]): string[] {
  const out: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: { key: string; deps: readonly string[]; next: number }[] = [];
  const enter = (key: string): void => {
    if (state.has(key) || !graph.has(key)) return;
    state.set(key, 'open');
    stack.push({ key, deps: graph.deps(key, graph.get(key)), next: 0 });
  };
  for (const root of keys) {
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number];
      if (top.next < top.deps.length) enter(top.deps[top.next++] as string);
      else {
        stack.pop();
        state.set(top.key, 'done');
        out.push(top.key);
      }
    }
  }
  return out;
}

/** The spec with dependencies and Blobs replaced by their tokens (nothing else copied). */
function substitute(
  value: unknown,
  tokenOf: (key: string) => string,
  blobs: ReadonlyMap<Blob, string>,
): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Ref) return new Ref(tokenOf(value.key));
  if (value instanceof Task)
    return new Task(
      value.fn,
      value.args.map((a) => substitute(a, tokenOf, blobs)),
    );
  if (typeof Blob !== 'undefined' && value instanceof Blob)
    return { [BLOB]: blobs.get(value) ?? '' };
  if (Array.isArray(value)) return value.map((v) => substitute(v, tokenOf, blobs));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = substitute(value[k], tokenOf, blobs);
    return out;
  }
  return value;
}

/** SHA-256 of a Blob's bytes, with its type and a File's name (results may carry it). */
function hashBlob(blob: Blob): Promise<string> {
  let pending = hashes.get(blob);
  if (pending === undefined) {
    pending = blob.arrayBuffer().then(async (bytes) => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      const name = (blob as Blob & { name?: unknown }).name;
      return `${typeof name === 'string' ? name : ''};${blob.type};${blob.size};${hex}`;
    });
    hashes.set(blob, pending);
  }
  return pending;
}
