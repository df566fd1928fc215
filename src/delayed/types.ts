/**
 * The public types of the lazy API: `Delayed<T>` (what a delayed call returns), the options of
 * `compute`, and `Computed<T>` (the concrete shape `compute` resolves to).
 *
 * `Delayed<T>` mirrors T: attributes are `Delayed` of their type, methods return `Delayed` of
 * their (awaited) result, numbers get arithmetic and comparison methods. Members of its own
 * (`key`, `compute`, `persist`, `visualize`) come first.
 */
import type { CacheOption } from '../cache/brand.js';
import type { SchedulerSpec } from '../config.js';
import type { KEY_HANDLE } from '../graph/spec.js';
import type { Callbacks } from '../hooks.js';

declare const DELAYED_VALUE: unique symbol;

/** Options of `compute`, `get`, `persist` and `Delayed.compute`. */
export interface ComputeOptions {
  /** 'sync' | 'threads' | 'processes' | 'distributed' | a Client (default: see config). */
  scheduler?: SchedulerSpec;
  /** Worker count of the pool for this call. */
  numWorkers?: number;
  /** Cancels the computation (rejects with ERR_ABORTED). */
  signal?: AbortSignal;
  /**
   * Per-task time limit in milliseconds: the pool fails a late task with ERR_TIMEOUT; a
   * cluster moves it to another worker first (ERR_TIMEOUT when there is nowhere left to try).
   */
  timeout?: number;
  /**
   * Run each task on this many distinct worker processes and accept its result only when
   * their hashes agree (cluster; the sync scheduler and the pool run each task once).
   */
  verify?: number;
  /** Hook consumers for this call only (ProgressBar, Profiler, ...). */
  callbacks?: readonly Callbacks[];
  /** Fuse linear chains (default: on for pool and cluster, off for sync). */
  fuse?: boolean;
  /**
   * Reuse results computed before, kept in IndexedDB (browsers): `'indexeddb'` (the default
   * cache, see `clearCache`), a `ResultCache` of your own, or `false` (not even the Client's
   * `cache` option). Opting in declares the computation deterministic: a result is found by
   * its function and the content of its inputs (Files by a hash of their bytes), not by its
   * key, so running the same functions over the same files again, even after a reload,
   * computes nothing. Only the results asked for are kept; bounded, least recently used first.
   */
  cache?: CacheOption;
}

/** Options of `visualize`. */
export interface VisualizeOptions {
  /** 'svg' (default) or 'dot'. */
  format?: 'svg' | 'dot';
  /** Top-to-bottom ('TB', default) or left-to-right ('LR'). */
  rankdir?: 'TB' | 'LR';
}

/** The members every Delayed has, whatever T is. */
export interface DelayedMembers<T> {
  /** The key of this value in the task graph. */
  readonly key: string;
  /** Computes this value (see `compute`). */
  compute(options?: ComputeOptions): Promise<T>;
  /** Computes it and returns a Delayed holding the result (same key). */
  persist(options?: ComputeOptions): Promise<Delayed<T>>;
  /** The graph of this value as SVG (default) or DOT text (see `visualize`). */
  visualize(options?: VisualizeOptions): Promise<string>;
  /** Phantom: the type of the value (never present at run time). */
  readonly [DELAYED_VALUE]: T;
}

/** A value, or a Delayed of it: what delayed functions accept. */
export type MaybeDelayed<T> = T | Delayed<T>;

/** Arguments of a delayed function: each may be delayed, also inside arrays and objects. */
export type DelayedArgs<A extends readonly unknown[]> = { [K in keyof A]: DeepMaybeDelayed<A[K]> };

/** A value where any part may be Delayed, or held by a cluster (a client's `Future`). */
export type DeepMaybeDelayed<T> =
  | T
  | Delayed<T>
  | HeldValue<T>
  | (T extends readonly (infer E)[] ? readonly DeepMaybeDelayed<E>[] : never)
  | (T extends Primitive | AnyFunction | Date
      ? never
      : T extends object
        ? { [K in keyof T]: DeepMaybeDelayed<T[K]> }
        : never);

/**
 * A value a cluster holds: a client's `Future<T>` (structurally, so that this layer needs no
 * client). Passed to a delayed call, it is a dependency on the future's key.
 */
export interface HeldValue<T> {
  readonly [KEY_HANDLE]: string;
  result(): Promise<T>;
}

type Primitive = string | number | bigint | boolean | symbol | null | undefined;
type AnyFunction = (...args: never[]) => unknown;

/** Arithmetic and comparisons, as methods (JavaScript has no operator overloading). */
export interface NumericMethods<T> {
  add(other: MaybeDelayed<T>): Delayed<T>;
  sub(other: MaybeDelayed<T>): Delayed<T>;
  mul(other: MaybeDelayed<T>): Delayed<T>;
  div(other: MaybeDelayed<T>): Delayed<T>;
  mod(other: MaybeDelayed<T>): Delayed<T>;
  pow(other: MaybeDelayed<T>): Delayed<T>;
  neg(): Delayed<T>;
  abs(): Delayed<T>;
  lt(other: MaybeDelayed<T>): Delayed<boolean>;
  le(other: MaybeDelayed<T>): Delayed<boolean>;
  gt(other: MaybeDelayed<T>): Delayed<boolean>;
  ge(other: MaybeDelayed<T>): Delayed<boolean>;
  eq(other: MaybeDelayed<T>): Delayed<boolean>;
  ne(other: MaybeDelayed<T>): Delayed<boolean>;
}

/** Logic methods of Delayed booleans. */
export interface LogicMethods {
  and(other: MaybeDelayed<boolean>): Delayed<boolean>;
  or(other: MaybeDelayed<boolean>): Delayed<boolean>;
  not(): Delayed<boolean>;
  eq(other: MaybeDelayed<boolean>): Delayed<boolean>;
  ne(other: MaybeDelayed<boolean>): Delayed<boolean>;
}

type OwnMember = keyof DelayedMembers<unknown> | 'then';

/**
 * A member of T seen through Delayed: methods return Delayed results. Every overload of a
 * method is kept (up to four: `split(separator)` and `split(splitter)` both), where plain
 * `infer` would see only the last one.
 */
export type DelayedMember<F> = F extends (...args: never[]) => unknown
  ? UnionToIntersection<DelayedSignature<Signatures<F>>>
  : Delayed<F>;

/** The signatures of a function type as [args, result] pairs (repeats when it has fewer). */
type Signatures<F> = F extends {
  (...args: infer A1): infer R1;
  (...args: infer A2): infer R2;
  (...args: infer A3): infer R3;
  (...args: infer A4): infer R4;
}
  ? [A1, R1] | [A2, R2] | [A3, R3] | [A4, R4]
  : never;

type DelayedSignature<S> = S extends [infer A extends unknown[], infer R]
  ? (...args: DelayedArgs<A>) => Delayed<Awaited<R>>
  : never;

/** An intersection of functions is an overloaded function. */
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;

type Attributes<T> = T extends Primitive
  ? T extends string
    ? { readonly [K in Exclude<keyof string, OwnMember | symbol>]: DelayedMember<string[K]> }
    : T extends number | bigint | boolean
      ? { readonly [K in Exclude<keyof T, OwnMember | symbol>]: DelayedMember<T[K]> }
      : unknown
  : { readonly [K in Exclude<keyof T, OwnMember | symbol>]: DelayedMember<T[K]> };

type Extras<T> = [T] extends [number]
  ? NumericMethods<number>
  : [T] extends [bigint]
    ? NumericMethods<bigint>
    : [T] extends [boolean]
      ? LogicMethods
      : [T] extends [Date]
        ? Pick<NumericMethods<Date>, 'lt' | 'le' | 'gt' | 'ge'>
        : unknown;

type Iteration<T> = T extends readonly unknown[]
  ? { [Symbol.iterator](): Iterator<Delayed<T[number]>> }
  : unknown;

/**
 * A lazy value of type T: attribute access, method calls, index access and arithmetic methods
 * record tasks; `compute()` runs them. Not thenable, not mutable.
 */
export type Delayed<T> = DelayedMembers<T> & Attributes<T> & Extras<T> & Iteration<T>;

/** The concrete value of T once computed (Delayed values replaced, in arrays and objects). */
export type Computed<T> = T extends { readonly [DELAYED_VALUE]: infer U }
  ? U
  : T extends
        | Primitive
        | AnyFunction
        | Date
        | RegExp
        | Map<unknown, unknown>
        | Set<unknown>
        | ArrayBufferView
        | ArrayBuffer
    ? T
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Computed<T[K]> }
      : T extends object
        ? { -readonly [K in keyof T]: Computed<T[K]> }
        : T;

/** The results of `compute(...args)`: one per argument (options excluded). */
export type ComputedArgs<A extends readonly unknown[]> = A extends readonly [...infer V, infer Last]
  ? [Last] extends [ComputeOptions]
    ? IsOptionsLike<Last> extends true
      ? { -readonly [K in keyof V]: Computed<V[K]> }
      : { -readonly [K in keyof A]: Computed<A[K]> }
    : { -readonly [K in keyof A]: Computed<A[K]> }
  : { -readonly [K in keyof A]: Computed<A[K]> };

type IsOptionsLike<T> = T extends { readonly [DELAYED_VALUE]: unknown }
  ? false
  : keyof T extends keyof ComputeOptions
    ? true
    : false;
