// Copyright 2026 the desync authors. MIT license.
// The options of WorkerPool and of WorkerPool.createWith.

import type { ErrorHandler } from "../_engine/types.ts";
import type { WorkerDesync } from "./object.ts";
import type { WorkerResourceLimits } from "./limits.ts";

/**
 * Options for {@linkcode WorkerPool}. An unknown key throws a `TypeError`.
 *
 * @example A pool of two workers that logs background errors
 * ```ts
 * import { WorkerPool, type WorkerPoolOptions } from "@desync/desync/worker";
 * import assert from "node:assert/strict";
 *
 * const options: WorkerPoolOptions = { size: 2, idleTimeout: 1000, onError: console.error };
 * await using pool = new WorkerPool(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 *   options,
 * );
 * assert.equal(pool.size, 2);
 * ```
 */
export interface WorkerPoolOptions {
  /**
   * How many shared workers at most (dedicated workers come on top). More
   * workers than cores buys nothing for CPU-bound work.
   *
   * @default {navigator.hardwareConcurrency, or os.availableParallelism() on Node}
   *
   * @example One worker
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { size: 1 },
   * );
   * assert.equal(pool.size, 1);
   * ```
   */
  size?: number;
  /**
   * Milliseconds after which a worker hosting no object is stopped
   * (`Infinity`: never). A worker hosting an object is never stopped.
   *
   * @default {5000}
   *
   * @example Stopping idle workers at once
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { idleTimeout: 0 },
   * );
   * await pool.create("Counter", 0).close();
   * assert.equal(pool.workers, 0);
   * ```
   */
  idleTimeout?: number;
  /**
   * Milliseconds a started worker may take to say it is ready (its entry
   * calls `serve`, which says so at once) before it counts as crashed: every
   * pending promise of its objects, `ready` included, rejects with a
   * `WorkerCrashedError` saying it never became ready. This is how a wrong
   * entry file, an entry that does not call `serve()`, or one that ends
   * before `serve()` runs is noticed at all: no runtime reports those.
   * Thirty seconds leaves room for slow starts (a start takes tens of
   * milliseconds, but `deno test` type-checks a worker's entry as it
   * starts: 2 to 5 s for the test fixtures on a busy 2-core machine, and
   * past 10 s with that machine loaded three times over) and is still
   * short enough that a mistake shows up while someone watches.
   * `Infinity`: wait forever.
   *
   * @default {30000}
   *
   * @example An entry that never serves is noticed
   * ```ts
   * import { WorkerCrashedError, WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/silent.worker.ts", import.meta.url), // does not call serve()
   *   { startTimeout: 100 },
   * );
   * await assert.rejects(pool.create("Counter", 0).ready, WorkerCrashedError);
   * ```
   */
  startTimeout?: number;
  /**
   * Milliseconds `close()` (and `await using`) waits for the objects to
   * drain before it stops every worker anyway: what is still pending (a
   * method that never returns) then rejects with a `ClosedError` saying that
   * close timed out. `Infinity`: wait forever.
   *
   * @default {10000}
   *
   * @example Closing with a job that would run for ten seconds
   * ```ts
   * import { ClosedError } from "@desync/desync";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { closeTimeout: 50 },
   * );
   * const slow = pool.create("Counter", 0).futureSync("sleep", 10_000);
   * await pool.close(); // about 50 ms
   * await assert.rejects(slow, ClosedError);
   * ```
   */
  closeTimeout?: number;
  /**
   * Milliseconds {@linkcode WorkerDesync.sync} blocks, counted from the call
   * (jobs queued before it included), before it throws a
   * `SyncTimeoutError`. The job is then cancelled: dropped if it has not
   * started, its `jobSignal()` aborted if it runs, its late answer ignored;
   * the worker lives on. This is the only way out of a call whose worker
   * died with none of its code running where the runtime cannot tell: on
   * Node the blocked thread reads that the worker's thread stopped (out of
   * memory under `resourceLimits`, `terminate()`) and throws
   * `WorkerCrashedError` within ~10 ms, and a worker ended by its own code
   * (`process.exit`, `Deno.exit`, `self.close()`) is noticed at once
   * everywhere; on Deno a worker out of memory ends the whole process. A
   * pool-wide setting rather than a per-call option: `withOptions` takes the
   * options every kind of job shares. `Infinity`: wait forever.
   *
   * @default {Infinity}
   *
   * @example A blocking call that would wait ten seconds
   * ```ts
   * import { SyncTimeoutError, WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { syncTimeout: 100 },
   * );
   * const counter = pool.create("Counter", 0);
   * await counter.ready;
   * assert.throws(() => counter.sync("sleep", 10_000), SyncTimeoutError); // about 100 ms
   * assert.equal(counter.sync("addAndGet", 1), 1); // the object lives on
   * ```
   */
  syncTimeout?: number;
  /**
   * Heap and stack limits for each worker, where workers start through
   * `node:worker_threads` (Node): a worker past its heap limit stops (its
   * objects crash with a `WorkerCrashedError`; a `sync()` waiting on it
   * throws within ~10 ms) instead of growing until the system runs out of
   * memory. Ignored where workers are web Workers (Deno, Bun, browsers),
   * which have no such limits; on Deno a worker out of memory ends the
   * whole process.
   *
   * @default {undefined (Node's defaults)}
   *
   * @example Workers with a 64 MB heap
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { resourceLimits: { maxOldGenerationSizeMb: 64 } },
   * );
   * assert.equal(await pool.create("Counter", 1).futureSync("get"), 1);
   * ```
   */
  resourceLimits?: WorkerResourceLimits;
  /**
   * Receives errors nobody else can: fire-and-forget jobs of objects without
   * their own `onError`, and errors thrown in a worker outside any job (a
   * timer's callback, an unhandled rejection: the worker stays alive). With
   * no handler they go to `reportError`, which ends the process on Deno and
   * Node.
   *
   * @default {undefined}
   *
   * @example Collecting errors
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
   * counter.desync("fail", "oops");
   * await counter.close();
   * assert.equal((errors[0] as Error).message, "oops");
   * ```
   */
  onError?: ErrorHandler;
}

/**
 * Options for {@linkcode WorkerPool.createWith}.
 *
 * @example A dedicated worker for a heavy object
 * ```ts
 * import { type CreateOptions, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 *   { size: 1 },
 * );
 * const options: CreateOptions = { worker: "dedicated" };
 * const heavy = pool.createWith(options, "Counter", 0);
 * const light = pool.create("Counter", 0);
 * await Promise.all([heavy.ready, light.ready]);
 * assert.equal(pool.workers, 2);
 * ```
 */
export interface CreateOptions {
  /**
   * `"shared"`: placed on the pool's worker with the fewest live objects
   * (ties: the fewest unanswered jobs). `"dedicated"`: a worker of its own,
   * outside `size`, stopped when the object closes.
   *
   * @default {"shared"}
   *
   * @example Dedicated
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.createWith({ worker: "dedicated" }, "Counter", 3);
   * assert.equal(await counter.futureSync("get"), 3);
   * ```
   */
  worker?: "shared" | "dedicated";
  /**
   * Another object of this pool: the new one is placed on the same worker,
   * whatever that worker's load, so that the two can call each other there
   * (pass one's `WorkerDesync` as an argument to the other's method: the
   * method receives that object's own local `Desync`, see
   * {@linkcode Reference}). Near an object on a dedicated worker, the new
   * object shares that worker, which then stops when its last object closes
   * (co-location is the point of `near`; giving `worker: "dedicated"` as
   * well is a `TypeError`, the two contradict each other). An object still
   * starting is fine (its worker is chosen already); a closed one throws
   * `ClosedError`, a crashed one `WorkerCrashedError`, one of another pool
   * a `TypeError`.
   *
   * @default {undefined}
   *
   * @example Two counters on one worker
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { size: 4 },
   * );
   * const a = pool.create("Counter", 1);
   * const b = pool.createWith({ near: a }, "Counter", 2);
   * await Promise.all([a.ready, b.ready]);
   * assert.equal(pool.workers, 1); // b did not go to an empty worker
   * ```
   */
  // deno-lint-ignore no-explicit-any
  near?: WorkerDesync<any>;
  /**
   * The most jobs the object may have scheduled and not yet answered (its
   * {@linkcode WorkerDesync.queued}, construction included): one more makes
   * `desync`, `futureSync`, `futureDesync`, `after` and `sync` throw a
   * {@linkcode QueueFullError} at the call site, without scheduling it. A
   * positive integer, or `Infinity` (no limit). This bounds the memory a
   * burst into a slow object can take; `close()` is never refused.
   *
   * @default {Infinity}
   *
   * @example Back-pressure on a burst
   * ```ts
   * import { QueueFullError, WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.createWith({ maxQueued: 100 }, "Counter", 0);
   * let sent = 0;
   * while (sent < 1000) {
   *   try {
   *     counter.desync("add", 1);
   *     sent++;
   *   } catch (error) {
   *     if (!(error instanceof QueueFullError)) throw error;
   *     await new Promise((resolve) => setTimeout(resolve, 1)); // let replies come in
   *   }
   *   assert.ok(counter.queued <= 100);
   * }
   * await new Promise((resolve) => setTimeout(resolve, 1));
   * while (counter.queued > 0) await new Promise((resolve) => setTimeout(resolve, 1));
   * assert.equal(await counter.futureSync("get"), 1000);
   * ```
   */
  maxQueued?: number;
  /**
   * The object's `onError` (see {@linkcode WorkerDesync.onError}).
   *
   * @default {undefined}
   *
   * @example Per-object error handler
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const errors: unknown[] = [];
   * const counter = pool.createWith({ onError: (e) => errors.push(e) }, "Counter", 0);
   * counter.desync("fail", "x");
   * await counter.close();
   * assert.equal(errors.length, 1);
   * ```
   */
  onError?: ErrorHandler;
}
