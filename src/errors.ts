/**
 * Errors: every error a user can meet is a `BaskError` with a stable string `code`.
 *
 * Policy: the message says what went wrong and what to do; `cause` keeps the original error
 * (a task's own exception, a socket error); `key` names the task when there is one. Errors
 * cross worker and network boundaries as plain `SerializedError` data and come back as
 * `BaskError`s (or as `Error`s of the original name) with the remote stack kept.
 */

/** The stable codes, documented in the README's "Error codes" table. */
export type ErrorCode =
  | 'ERR_MISSING_KEY'
  | 'ERR_GRAPH_CYCLE'
  | 'ERR_INVALID_GRAPH'
  | 'ERR_TASK_FAILED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_UNKNOWN_SCHEDULER'
  | 'ERR_UNSHIPPABLE_FUNCTION'
  | 'ERR_FUNCTION_NOT_FOUND'
  | 'ERR_KILLED_WORKER'
  | 'ERR_WORKER_CRASHED'
  | 'ERR_ABORTED'
  | 'ERR_TIMEOUT'
  | 'ERR_VERIFY_FAILED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_DATA_LOST'
  | 'ERR_NO_WORKERS'
  | 'ERR_CONNECTION'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_PROTOCOL_VERSION'
  | 'ERR_PROTOCOL'
  | 'ERR_AUTH'
  | 'ERR_LIMIT'
  | 'ERR_CLIENT_CLOSED'
  | 'ERR_CANCELLED'
  | 'ERR_SERIALIZE'
  | 'ERR_CSV';

/** Options for {@link BaskError}. */
export interface BaskErrorOptions {
  /** The error that caused this one (a task's own exception, a socket error, ...). */
  cause?: unknown;
  /** The task key the error belongs to, when there is one. */
  key?: string;
  /** A stack to use instead of this error's own (the remote stack of a worker's error). */
  stack?: string;
}

/** The one error class of bask: a stable `code`, a helpful message, the original `cause`. */
export class BaskError extends Error {
  /** A stable identifier, documented in the README; match on it, not on the message. */
  readonly code: ErrorCode;
  /** The task key this error belongs to, if any. */
  readonly key: string | undefined;

  constructor(code: ErrorCode, message: string, options: BaskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BaskError';
    this.code = code;
    this.key = options.key;
    if (options.stack !== undefined) this.stack = options.stack;
  }
}

/** The ERR_ABORTED error of a run whose `signal` aborted (`reason`: the signal's reason). */
export function abortedError(reason: unknown, message = 'The computation was aborted'): BaskError {
  return new BaskError('ERR_ABORTED', message, { cause: reason });
}

/** True when `error` is a BaskError, optionally with the given code. */
export function isBaskError(error: unknown, code?: ErrorCode): error is BaskError {
  return error instanceof BaskError && (code === undefined || error.code === code);
}

/** An error as plain data, to cross a worker or network boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  key?: string | undefined;
  cause?: SerializedError | undefined;
}

const MAX_CAUSE_DEPTH = 8;

/** Turns any thrown value into plain data, keeping name, message, stack, code and causes. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; key?: unknown };
    const out: SerializedError = { name: error.name, message: error.message, stack: error.stack };
    if (typeof withCode.code === 'string') out.code = withCode.code;
    if (typeof withCode.key === 'string') out.key = withCode.key;
    if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      out.cause = serializeError(error.cause, depth + 1);
    }
    return out;
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { name: 'Error', message: `Non-error value thrown: ${message}` };
}

/**
 * Rebuilds an error from plain data: a `BaskError` when it carried a bask code, otherwise an
 * `Error` with the original name, message and stack (the remote stack, not this process's).
 */
export function deserializeError(data: SerializedError): Error {
  const cause = data.cause === undefined ? undefined : deserializeError(data.cause);
  let error: Error;
  if (data.code !== undefined && data.code.startsWith('ERR_') && data.name === 'BaskError') {
    error = new BaskError(data.code as ErrorCode, data.message, { cause, key: data.key });
  } else {
    error = cause === undefined ? new Error(data.message) : new Error(data.message, { cause });
    error.name = data.name;
    if (data.code !== undefined) (error as Error & { code?: string }).code = data.code;
  }
  error.stack = data.stack ?? `${data.name}: ${data.message}`;
  return error;
}

/** Wraps a task's own exception: `ERR_TASK_FAILED`, naming the key, the original as `cause`. */
export function taskFailed(key: string, error: unknown): BaskError {
  if (error instanceof BaskError) {
    // Already blamed on a task (itself, or a task fused into it): keep that key.
    if (error.key === key || (error.code === 'ERR_TASK_FAILED' && error.key !== undefined))
      return error;
    // bask's own failures (unshippable function, timeout, killed worker) keep their code.
    const own = new BaskError(error.code, error.message, { cause: error.cause, key });
    if (error.stack !== undefined) own.stack = error.stack;
    return own;
  }
  const inner = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const wrapped = new BaskError('ERR_TASK_FAILED', `Task '${key}' failed: ${inner}`, {
    cause: error,
    key,
  });
  // Keep the user's stack first: it is the one that points at their code.
  if (error instanceof Error && error.stack !== undefined) {
    wrapped.stack = `BaskError: Task '${key}' failed: ${inner}\n    caused by ${error.stack}`;
  }
  return wrapped;
}
