/**
 * The type registry: `registerType(Class, { encode, decode })` makes instances of a class arrive
 * in another worker (or machine) as instances, not plain objects. One registry serves both
 * codecs: structured clone between local workers and msgpackr on the wire.
 *
 * Invariants: a name maps to one class in a runtime; the registry lives on `globalThis` under
 * a `Symbol.for` key, so that several copies of bask loaded in one runtime (a worker's entry
 * and a task module that imports 'bask') share it. A type registered with `moduleUrl` can be
 * decoded by a worker that has not imported it yet: the worker imports that module first.
 */
import { BaskError } from '../errors.js';
import { setTokenizeEncoder } from '../graph/tokenize.js';

/** How to turn instances of a class into plain data and back. */
export interface TypeCodec<T, D = unknown> {
  /** A stable name, the same in every runtime (default: the class name). */
  name?: string;
  /** Plain, cloneable data (typed arrays welcome) for an instance. */
  encode(value: T): D;
  /** The instance for data made by `encode`. */
  decode(data: D): T;
  /** The module that registers this type (usually `import.meta.url`), for workers to import. */
  moduleUrl?: string;
}

/** A registered type. */
export interface RegisteredType {
  readonly name: string;
  readonly type: abstract new (...args: never[]) => unknown;
  readonly encode: (value: unknown) => unknown;
  readonly decode: (data: unknown) => unknown;
  readonly moduleUrl: string | undefined;
}

interface Registry {
  byName: Map<string, RegisteredType>;
  byClass: Map<unknown, RegisteredType>;
}

const KEY = Symbol.for('bask.typeRegistry');

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = holder[KEY];
  if (r === undefined) {
    r = { byName: new Map(), byClass: new Map() };
    holder[KEY] = r;
  }
  return r;
}

/**
 * Registers a class so that its instances cross worker and network boundaries as instances.
 *
 * ```ts
 * registerType(Point, { encode: (p) => [p.x, p.y], decode: ([x, y]) => new Point(x, y) });
 * ```
 */
export function registerType<T, D>(
  type: abstract new (...args: never[]) => T,
  codec: TypeCodec<T, D>,
): void {
  if (typeof type !== 'function') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'registerType(Class, codec): Class must be a class',
    );
  }
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `registerType(${type.name}): codec needs encode and decode functions`,
    );
  }
  const name = codec.name ?? type.name;
  if (name === '')
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      'registerType: an anonymous class needs codec.name',
    );
  const r = registry();
  const existing = r.byName.get(name);
  if (existing !== undefined && existing.type !== type && existing.type.name !== type.name) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `registerType: the name '${name}' is already used by class ${existing.type.name}`,
    );
  }
  const entry: RegisteredType = {
    name,
    type,
    encode: (value) => codec.encode(value as T),
    decode: (data) => codec.decode(data as D),
    moduleUrl: codec.moduleUrl,
  };
  r.byName.set(name, entry);
  r.byClass.set(type, entry);
}

/** The registered type of a value (by its exact class), if any. */
export function typeOf(value: object): RegisteredType | undefined {
  const r = registry();
  if (r.byClass.size === 0) return undefined;
  return r.byClass.get((value as { constructor?: unknown }).constructor);
}

/** The registered type with this name, if any. */
export function typeNamed(name: string): RegisteredType | undefined {
  return registry().byName.get(name);
}

setTokenizeEncoder((value) => {
  const t = typeOf(value);
  return t === undefined ? undefined : { name: t.name, data: t.encode(value) };
});
