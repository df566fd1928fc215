/**
 * Small helpers the test files share: the error a call throws or a promise rejects with, failing
 * the test when there is none. The `Bask` variants also check that it is a BaskError.
 */
import { expect } from 'vitest';
import { BaskError } from '../src/errors.js';

/** An error as tests read it: maybe with a `code`. */
export type CaughtError = Error & { code?: string };

/** The error `fn` throws (fails the test when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The BaskError `fn` throws (fails the test when it returns or throws something else). */
export function thrownBask(fn: () => unknown): BaskError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(BaskError);
  return error as BaskError;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: PromiseLike<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (error) {
    return error as CaughtError;
  }
  throw new Error('expected a rejection');
}

/** The BaskError a promise rejects with (fails the test when it resolves or rejects otherwise). */
export async function rejectionBask(promise: PromiseLike<unknown>): Promise<BaskError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(BaskError);
  return error as BaskError;
}
