// Copyright 2026 the desync authors. MIT license.
// Small helpers shared by the tests.

/** A promise with its resolvers (Node 20 has no Promise.withResolvers). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets every pending microtask (and the ones they queue) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Waits one macrotask, so background drains that yielded get their turn. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Collects errors given to an error handler. */
export function errorSink(): { errors: unknown[]; handler: (error: unknown) => void } {
  const errors: unknown[] = [];
  return { errors, handler: (error: unknown) => void errors.push(error) };
}

/**
 * Tracks that jobs of one queue never overlap, including across awaits:
 * call `enter()` when a job starts and `leave()` when it ends.
 */
export class OverlapDetector {
  active = 0;
  overlaps = 0;
  enter(): void {
    if (++this.active > 1) this.overlaps++;
  }
  leave(): void {
    this.active--;
  }
}
