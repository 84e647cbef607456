// Copyright 2026 the desync authors. MIT license.
// WorkerFuture: the awaitable result of a background job on a worker object.

/** Proves that a construction comes from this area, not from user code. @internal */
export const TOKEN: unique symbol = Symbol("desync worker internal");

/**
 * The result of a job scheduled with {@linkcode WorkerDesync.futureDesync}
 * or {@linkcode WorkerDesync.after}: awaitable like a promise, and the job
 * runs whether or not anyone awaits it. {@linkcode WorkerFuture.detach} says
 * "I will not look at the result": an error then goes to the object's
 * `onError` (else the pool's, else `reportError`) instead of becoming an
 * unhandled rejection.
 *
 * @typeParam T The method's result.
 *
 * @example Awaiting and detaching
 * ```ts
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 1);
 * counter.futureDesync("add", 1).detach();
 * assert.equal(await counter.futureDesync("get"), 2);
 * ```
 */
export class WorkerFuture<T> implements PromiseLike<T> {
  #promise: Promise<T>;
  #report: (error: unknown) => void;

  /**
   * Internal: `futureDesync` and `after` create futures.
   *
   * @ignore
   */
  constructor(token: symbol, promise: Promise<T>, report: (error: unknown) => void) {
    if (token !== TOKEN) throw new TypeError("WorkerFuture cannot be constructed directly");
    this.#promise = promise;
    this.#report = report;
  }

  /**
   * Attaches callbacks, as `Promise.prototype.then` does.
   *
   * @typeParam A The fulfilled callback's result.
   * @typeParam B The rejected callback's result.
   * @param onfulfilled Called with the result.
   * @param onrejected Called with the error.
   * @returns A promise of the callback's result.
   *
   * @example Chaining
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const doubled = await pool.create("Counter", 4).futureDesync("get").then((n) => n * 2);
   * assert.equal(doubled, 8);
   * ```
   */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onfulfilled, onrejected);
  }

  /**
   * Attaches an error callback, as `Promise.prototype.catch` does.
   *
   * @typeParam B The callback's result.
   * @param onrejected Called with the error.
   * @returns A promise of the result or the callback's result.
   *
   * @example Catching a method's error
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const error = await pool.create("Counter", 0).futureDesync("fail", "x").catch((e) => e as Error);
   * assert.equal(error.message, "x");
   * ```
   */
  catch<B = never>(
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<T | B> {
    return this.#promise.catch(onrejected);
  }

  /**
   * Attaches a callback run either way, as `Promise.prototype.finally` does.
   *
   * @param onfinally Called when the job settles.
   * @returns A promise settled like this future.
   *
   * @example Cleaning up
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * let done = false;
   * await pool.create("Counter", 0).futureDesync("get").finally(() => (done = true));
   * assert.ok(done);
   * ```
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#promise.finally(onfinally);
  }

  /**
   * Gives up on the result: an error goes to the error handlers instead of
   * becoming an unhandled rejection. The job still runs.
   *
   * @example Background work whose errors are logged
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * const errors: unknown[] = [];
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { onError: (error) => errors.push(error) },
   * );
   * const counter = pool.create("Counter", 0);
   * counter.futureDesync("fail", "lost").detach();
   * await counter.close();
   * assert.equal(errors.length, 1);
   * ```
   */
  detach(): void {
    this.#promise.catch(this.#report);
  }
}
