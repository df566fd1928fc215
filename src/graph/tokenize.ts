/**
 * Deterministic tokens: `tokenize(...values)` gives the same string for equal inputs, in every
 * run and every runtime, so that pure tasks get equal keys everywhere (Dask's `tokenize`).
 *
 * Functions (task functions and callbacks alike) are tokenized by their reference (op name,
 * task-module URL + export, or source hash: equal callbacks give equal tokens); bound
 * functions, which cannot ship, by identity. Refs and Tasks structurally, typed arrays by
 * their bytes, plain objects by sorted keys. Class instances with no registered encoding are
 * tokenized by their own enumerable fields and class name. Cycles are detected and named
 * instead of looping forever.
 *
 * `uniqueToken()` gives a short token unique within this process (for impure tasks): a random
 * session prefix and a counter, so that keys stay short and fast to make.
 */
import { Alias, Ref, Task } from './spec.js';
import { hashString } from './hash.js';
import { describeFunction } from './fnref.js';

/** Encodes a value as an instance of a registered type, for tokenizing; set by the codec. */
let encodeRegistered: ((value: object) => { name: string; data: unknown } | undefined) | undefined;

/** Lets the type registry take part in tokenizing (called once by the registry module). */
export function setTokenizeEncoder(encoder: typeof encodeRegistered): void {
  encodeRegistered = encoder;
}

/** A deterministic token for the given values: 16 hex digits. */
export function tokenize(...values: unknown[]): string {
  const parts: string[] = [];
  const seen = new Set<object>();
  for (const value of values) writeToken(value, parts, seen);
  return hashString(parts.join(''));
}

function writeToken(value: unknown, out: string[], seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      out.push('s', String(value.length), ':', value);
      return;
    case 'number':
      out.push('n', Object.is(value, -0) ? '-0' : String(value), ';');
      return;
    case 'bigint':
      out.push('B', value.toString(), ';');
      return;
    case 'boolean':
      out.push(value ? 'T' : 'F');
      return;
    case 'undefined':
      out.push('U');
      return;
    case 'symbol':
      out.push('y', value.description ?? '', ';');
      return;
    case 'function':
      writeFunction(value as (...args: never[]) => unknown, out);
      return;
  }
  if (value === null) {
    out.push('N');
    return;
  }
  const obj = value as object;
  if (seen.has(obj)) {
    out.push('C');
    return;
  }
  seen.add(obj);
  writeObject(obj, out, seen);
  seen.delete(obj);
}

function writeFunction(fn: (...args: never[]) => unknown, out: string[]): void {
  let ref;
  try {
    ref = describeFunction(fn);
  } catch {
    out.push('f?', fn.name, ':', localFunctionToken(fn), ';');
    return;
  }
  if (ref.kind === 'op') out.push('fo', ref.op, ';');
  else if (ref.kind === 'module') out.push('fm', ref.module, '#', ref.name, ';');
  else out.push('fs', ref.hash, ';');
}

const boundTokens = new WeakMap<object, string>();

/**
 * Unshippable functions still need a token for local use (the sync scheduler runs them). A
 * native function or a class is known by its name and text. A bound function's text says
 * nothing of what it binds (`add.bind(null, 10)` and `add.bind(null, 20)` read the same), so
 * it is known by identity: a token of its own, kept for its lifetime in this runtime.
 */
function localFunctionToken(fn: (...args: never[]) => unknown): string {
  if (!fn.name.startsWith('bound ')) return hashString(Function.prototype.toString.call(fn));
  let token = boundTokens.get(fn);
  if (token === undefined) {
    token = uniqueToken();
    boundTokens.set(fn, token);
  }
  return token;
}

function writeObject(obj: object, out: string[], seen: Set<object>): void {
  if (obj instanceof Ref) {
    out.push('r', obj.key.length.toString(), ':', obj.key);
    return;
  }
  if (obj instanceof Alias) {
    out.push('a', obj.key.length.toString(), ':', obj.key);
    return;
  }
  if (obj instanceof Task) {
    out.push('t(');
    writeFunction(obj.fn, out);
    for (const arg of obj.args) writeToken(arg, out, seen);
    out.push(')');
    return;
  }
  if (Array.isArray(obj)) {
    out.push('[', String(obj.length), ':');
    for (const item of obj) writeToken(item, out, seen);
    out.push(']');
    return;
  }
  if (ArrayBuffer.isView(obj)) {
    const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
    out.push('v', obj.constructor.name, ':', hashBytes(bytes), ';');
    return;
  }
  if (obj instanceof ArrayBuffer) {
    out.push('b', hashBytes(new Uint8Array(obj)), ';');
    return;
  }
  if (typeof Blob !== 'undefined' && obj instanceof Blob) {
    // Contents are not readable synchronously: a file is known by its name, size, type and date.
    const file = obj as Blob & { name?: string; lastModified?: number };
    out.push(
      'F',
      file.name ?? '',
      ':',
      String(obj.size),
      ':',
      obj.type,
      ':',
      String(file.lastModified ?? ''),
      ';',
    );
    return;
  }
  if (obj instanceof Date) {
    out.push('d', String(obj.getTime()), ';');
    return;
  }
  if (obj instanceof Map) {
    out.push('M{');
    for (const [k, v] of obj) {
      writeToken(k, out, seen);
      writeToken(v, out, seen);
    }
    out.push('}');
    return;
  }
  if (obj instanceof Set) {
    out.push('S{');
    for (const v of obj) writeToken(v, out, seen);
    out.push('}');
    return;
  }
  const registered = encodeRegistered?.(obj);
  if (registered !== undefined) {
    out.push('R', registered.name, '(');
    writeToken(registered.data, out, seen);
    out.push(')');
    return;
  }
  const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'null';
  out.push('o', name, '{');
  for (const k of Object.keys(obj).sort()) {
    out.push(k, '=');
    writeToken((obj as Record<string, unknown>)[k], out, seen);
  }
  out.push('}');
}

function hashBytes(bytes: Uint8Array): string {
  // Hash 32-bit lanes of the bytes; string building for large buffers would be slow.
  let h1 = 0x811c9dc5 ^ bytes.length;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 + b, 0x5bd1e995) ^ (h1 >>> 13);
  }
  return hashString(`${h1}:${h2}:${bytes.length}`);
}

const SESSION = randomPrefix();
let counter = 0;

function randomPrefix(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}

/** A short token unique to this process and call: a random session prefix plus a counter. */
export function uniqueToken(): string {
  return SESSION + (counter++).toString(36);
}
