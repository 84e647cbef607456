// Copyright 2026 the desync authors. MIT license.
// JobQueue, an ordered queue with no data of its own, and the free functions
// that schedule on it (Rust's `desync::scheduler` functions).

import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "../_engine/platform.ts";
import type { QueueCore } from "../_engine/queue_core.ts";
import type { QueueResumer, SchedulerFuture } from "../_engine/future.ts";
import type { ErrorHandler, JobOptions } from "../_engine/types.ts";
import { assertFunction } from "../_engine/validate.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * Options for {@linkcode queue} and {@linkcode Scheduler.queue}. An unknown
 * key throws a `TypeError`.
 *
 * @example A queue with its own error handler
 * ```ts
 * import { queue, type QueueOptions } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const options: QueueOptions = { onError: (error) => console.error(error) };
 * const q = queue(options);
 * assert.equal(q.onError, options.onError);
 * ```
 */
export interface QueueOptions {
  /**
   * Receives the errors of this queue's fire-and-forget jobs (`desync`,
   * detached futures), instead of its scheduler's handler. `undefined` defers
   * to the scheduler's; see {@linkcode ErrorHandler}.
   *
   * @default {undefined}
   *
   * @example Collecting the errors of background jobs
   * ```ts
   * import { desync, queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const errors: unknown[] = [];
   * const q = queue({ onError: (error) => errors.push(error) });
   * desync(q, () => {
   *   throw new Error("lost");
   * });
   * await q.close();
   * assert.equal((errors[0] as Error).message, "lost");
   * ```
   */
  onError?: ErrorHandler;
}

/**
 * A job on a bare {@linkcode JobQueue}. A queue owns no data, so the job
 * receives only its signal (`options.signal`, else `undefined`). It may
 * return a promise; the queue is held until it settles.
 *
 * @typeParam R The job's result.
 *
 * @example A job that stops when told
 * ```ts
 * import { futureSync, queue, type QueueJob } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const job: QueueJob<string> = (signal) => signal?.aborted ? "skipped" : "ran";
 * assert.equal(await futureSync(queue(), job), "ran");
 * ```
 */
export type QueueJob<R> = (signal: AbortSignal | undefined) => R;

let wrap: (core: QueueCore) => JobQueue;
/** Proves that a construction comes from this module, not from user code. */
const INTERNAL = Symbol("desync internal");
let unwrap: (value: unknown) => QueueCore | undefined;

/**
 * Wraps a queue core in its public handle.
 * @internal Not re-exported: for the other areas of the package.
 */
export function wrapQueue(core: QueueCore): JobQueue {
  return wrap(core);
}

/**
 * The core behind a JobQueue, or a TypeError naming the argument.
 * @internal Not re-exported: for the other areas of the package.
 */
export function queueCore(value: unknown, method: string): QueueCore {
  const core = unwrap(value);
  if (core === undefined) {
    throw new TypeError(
      `${method}(): "queue" must be a JobQueue (from queue() or scheduler.queue())`,
    );
  }
  return core;
}

/**
 * An ordered queue of jobs with no data of its own (Rust's `JobQueue`): a
 * {@linkcode Desync} without the data, for when there is only an order to
 * keep. Create one with {@linkcode queue} or {@linkcode Scheduler.queue}, and
 * schedule on it with the free functions of this module ({@linkcode desync},
 * {@linkcode sync}, {@linkcode futureSync}, ...), each the `JobQueue` form of
 * the `Desync` method of the same name. A queue belongs to the scheduler that
 * created it.
 *
 * JobQueues cannot be constructed directly.
 *
 * @example A queue's jobs run in order
 * ```ts
 * import { futureSync, queue } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * assert.equal(await futureSync(q, () => 42), 42);
 * assert.equal(q.queued, 0);
 * ```
 */
export class JobQueue {
  #core: QueueCore;

  /**
   * Internal: `queue()` and `Scheduler.queue()` create queues.
   *
   * @ignore
   */
  private constructor(token: symbol, core: QueueCore) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "JobQueue cannot be constructed directly: use queue() or scheduler.queue()",
      );
    }
    this.#core = core;
  }

  static {
    wrap = (core) => new JobQueue(INTERNAL, core);
    unwrap = (value) =>
      typeof value === "object" && value !== null && #core in value
        ? (value as JobQueue).#core
        : undefined;
  }

  /**
   * The scheduler that runs this queue's jobs: the one that created it.
   *
   * @returns The queue's scheduler.
   *
   * @example A queue knows its scheduler
   * ```ts
   * import { queue, Scheduler, scheduler } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const mine = new Scheduler();
   * assert.equal(mine.queue().scheduler, mine);
   * assert.equal(queue().scheduler, scheduler()); // the global one
   * ```
   */
  get scheduler(): Scheduler {
    return this.#core.scheduler.owner as Scheduler;
  }

  /**
   * How many jobs are waiting to start (aborted jobs are not counted).
   *
   * @returns The number of queued jobs.
   *
   * @example Jobs waiting in manual mode
   * ```ts
   * import { desync, Scheduler } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const q = manual.queue();
   * desync(q, () => {});
   * desync(q, () => {});
   * assert.equal(q.queued, 2);
   * manual.runReady();
   * assert.equal(q.queued, 0);
   * ```
   */
  get queued(): number {
    return this.#core.size;
  }

  /**
   * Whether a job is in progress: running, awaiting (an async job whose
   * promise is pending), or an `after` job waiting for its promise. A
   * suspension is not counted (see `suspended`).
   *
   * @returns `true` while the queue is held by a job.
   *
   * @example An async job holds the queue
   * ```ts
   * import { futureSync, queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const q = queue();
   * let started = () => {};
   * const running = new Promise<void>((resolve) => (started = resolve));
   * const done = futureSync(q, () => {
   *   started();
   *   return new Promise((resolve) => setTimeout(resolve, 1));
   * });
   * await running;
   * assert.equal(q.running, true);
   * await done;
   * assert.equal(q.running, false);
   * ```
   */
  get running(): boolean {
    return this.#core.running;
  }

  /**
   * Whether the queue is held by a `suspend` until its resumer is called.
   *
   * @returns `true` while suspended.
   *
   * @example Suspending and resuming
   * ```ts
   * import { queue, suspend } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const q = queue();
   * const resumer = await suspend(q);
   * assert.equal(q.suspended, true);
   * resumer.resume();
   * assert.equal(q.suspended, false);
   * ```
   */
  get suspended(): boolean {
    return this.#core.suspended;
  }

  /**
   * Whether `close()` was called: no further jobs are accepted. It is `true`
   * at once, before the queue has drained.
   *
   * @returns `true` once closing has begun.
   *
   * @example Closed at once, drained later
   * ```ts
   * import { queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const q = queue();
   * assert.equal(q.closed, false);
   * const drained = q.close();
   * assert.equal(q.closed, true);
   * await drained;
   * ```
   */
  get closed(): boolean {
    return this.#core.closed;
  }

  /**
   * This queue's handler for errors of fire-and-forget jobs (set with
   * `queue({ onError })` or here); `undefined` defers to the scheduler's. See
   * {@linkcode ErrorHandler}.
   *
   * @returns The queue's own handler, if any.
   * @throws {TypeError} If set to something other than a function or `undefined`.
   *
   * @example Setting a handler later
   * ```ts
   * import { desync, queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const q = queue();
   * assert.equal(q.onError, undefined); // defers to the scheduler's
   * const errors: unknown[] = [];
   * q.onError = (error) => errors.push(error);
   * desync(q, () => {
   *   throw new Error("lost");
   * });
   * await q.close();
   * assert.equal(errors.length, 1);
   * ```
   */
  get onError(): ErrorHandler | undefined {
    return this.#core.onError;
  }

  set onError(handler: ErrorHandler | undefined) {
    if (handler !== undefined) assertFunction(handler, "onError", "handler");
    this.#core.onError = handler;
  }

  /**
   * The `JobQueue` form of {@linkcode Desync.close}: stops accepting jobs and
   * resolves once every job already scheduled has finished (the queue is
   * pulled, whatever the budget). Afterwards every scheduling call throws
   * {@linkcode ClosedError}. Calling it again returns the same promise.
   *
   * @returns A promise that resolves when the queue is drained.
   *
   * @example Waiting for the last jobs
   * ```ts
   * import { ClosedError } from "@desync/desync";
   * import { desync, queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const q = queue();
   * const log: string[] = [];
   * desync(q, async () => {
   *   await new Promise((resolve) => setTimeout(resolve, 1));
   *   log.push("saved");
   * });
   * await q.close();
   * assert.deepEqual(log, ["saved"]);
   * assert.throws(() => desync(q, () => {}), ClosedError);
   * ```
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /**
   * Closes the queue and waits for it to drain, as `close()` does; called by
   * `await using` at the end of the scope.
   *
   * @example Draining on scope exit
   * ```ts
   * import { desync, queue } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const log: string[] = [];
   * {
   *   await using q = queue();
   *   desync(q, () => void log.push("flushed"));
   * } // waits here for the job
   * assert.deepEqual(log, ["flushed"]);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#core.close();
  }

  #fields(): Record<string, unknown> {
    return {
      queued: this.queued,
      running: this.running,
      suspended: this.suspended,
      closed: this.closed,
    };
  }

  /**
   * Custom output for Deno's `inspect`.
   *
   * @ignore
   */
  [DENO_INSPECT](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return inspectAs("JobQueue", this.#fields(), inspect, options);
  }

  /**
   * Custom output for Node's `util.inspect`.
   *
   * @ignore
   */
  [NODE_INSPECT](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options?: unknown) => string,
  ): string {
    return inspectAs("JobQueue", this.#fields(), inspect, options);
  }
}

// ------------------------------------------------------------ free functions

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.desync}: schedules `job`
 * on `queue` and returns at once; see there for when it runs and where its
 * errors go (with no handler anywhere, `reportError` ends the process on
 * Deno and Node). The job receives no data, only its signal
 * ({@linkcode QueueJob}).
 *
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @throws {TypeError} If `queue` is not a queue, `job` not a function, or
 * `options` is malformed.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example An async job holds the queue
 * ```ts
 * import { desync, futureSync, queue } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * const order: string[] = [];
 * desync(q, async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 5));
 *   order.push("slow");
 * });
 * desync(q, () => void order.push("fast"));
 * await futureSync(q, () => {});
 * assert.deepEqual(order, ["slow", "fast"]);
 * ```
 */
export function desync(queue: JobQueue, job: QueueJob<unknown>, options?: JobOptions): void {
  queueCore(queue, "desync").desync(job, options);
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.sync}: runs the jobs
 * already on `queue`, then `job`, on the caller's stack, and returns its
 * result. The job receives no arguments.
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job.
 * @returns The job's result.
 * @throws {WouldBlockError} If it cannot finish without waiting (an async job
 * in flight, a suspension, or an earlier job that is or turned out to be
 * async); the job is then neither run nor queued.
 * @throws {ReentrancyError} If called from the synchronous part of a job of `queue`.
 * @throws {ClosedError} If the queue is closed.
 * @throws {TypeError} If `queue` is not a queue or `job` not a function.
 * @throws {unknown} Whatever `job` throws.
 *
 * @example Reading after background work
 * ```ts
 * import { desync, queue, sync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * let total = 0;
 * desync(q, () => void (total += 40));
 * assert.equal(sync(q, () => total + 2), 42);
 * ```
 */
export function sync<R>(queue: JobQueue, job: () => R): R {
  return queueCore(queue, "sync").sync(job) as R;
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.trySync} (Rust's
 * `try_sync`): runs `job` now if `queue` is idle and has nothing queued;
 * otherwise throws {@linkcode TrySyncError} without running it. The job
 * receives no arguments.
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job.
 * @returns The job's result.
 * @throws {TrySyncError} If the queue is busy.
 * @throws {ReentrancyError} If called from the synchronous part of a job of `queue`.
 * @throws {ClosedError} If the queue is closed.
 * @throws {TypeError} If `queue` is not a queue or `job` not a function.
 * @throws {unknown} Whatever `job` throws.
 *
 * @example Running only if the queue is idle
 * ```ts
 * import { queue, trySync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * assert.equal(trySync(queue(), () => "idle, so it ran"), "idle, so it ran");
 * ```
 */
export function trySync<R>(queue: JobQueue, job: () => R): R {
  return queueCore(queue, "trySync").trySync(job) as R;
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.futureSync}: runs `job`
 * as foreground work (the queue is pulled up to it, whatever the concurrency
 * budget) and returns a promise of its result. The job receives no data,
 * only its signal ({@linkcode QueueJob}).
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @returns The job's result.
 * @throws {ReentrancyError} If called from the synchronous part of a job of
 * `queue` (awaiting it there would deadlock; use {@linkcode futureDesync} for
 * follow-up work).
 * @throws {ClosedError} If the queue is closed.
 * @throws {TypeError} If `queue` is not a queue, `job` not a function, or
 * `options` is malformed.
 *
 * @example Awaiting an async job
 * ```ts
 * import { futureSync, queue } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * const answer = await futureSync(q, async () => {
 *   await Promise.resolve();
 *   return 42;
 * });
 * assert.equal(answer, 42);
 * ```
 */
export function futureSync<R>(
  queue: JobQueue,
  job: QueueJob<R>,
  options?: JobOptions,
): Promise<Awaited<R>> {
  return queueCore(queue, "futureSync").futureSync(job, options) as Promise<Awaited<R>>;
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.futureDesync}: schedules
 * `job` as background work and returns a {@linkcode SchedulerFuture} for its
 * result (awaiting the future pulls the queue up to the job). The job
 * receives no data, only its signal ({@linkcode QueueJob}).
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @returns The job's future.
 * @throws {ClosedError} If the queue is closed.
 * @throws {TypeError} If `queue` is not a queue, `job` not a function, or
 * `options` is malformed.
 *
 * @example Awaiting a background job
 * ```ts
 * import { futureDesync, queue } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * const future = futureDesync(q, () => "done");
 * assert.equal(await future, "done");
 * ```
 */
export function futureDesync<R>(
  queue: JobQueue,
  job: QueueJob<R>,
  options?: JobOptions,
): SchedulerFuture<Awaited<R>> {
  return queueCore(queue, "futureDesync").futureDesync(job, options) as SchedulerFuture<
    Awaited<R>
  >;
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.after}: takes the job's
 * place in `queue`'s order now, and when its turn comes waits for `promise`
 * while holding the queue, then runs `job`. The job receives no data: it
 * gets the promise's value and its signal, `(value, signal)`.
 *
 * @typeParam V The promise's value.
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param promise What the job waits for.
 * @param job The job; it receives the value and `options.signal`.
 * @param options See {@linkcode JobOptions}. Aborting while the job waits for
 * `promise` stops the wait and releases the queue.
 * @returns The job's future.
 * @throws {TypeError} If `queue` is not a queue, `promise` not a thenable,
 * `job` not a function, or `options` is malformed.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example Later jobs wait for the promise
 * ```ts
 * import { after, desync, queue, sync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * const seen: string[] = [];
 * const config = new Promise<string>((resolve) => setTimeout(() => resolve("config"), 5));
 * const loaded = after(q, config, (value) => seen.push(value));
 * desync(q, () => void seen.push("after the config"));
 * await loaded;
 * assert.deepEqual(sync(q, () => seen), ["config", "after the config"]);
 * ```
 */
export function after<V, R>(
  queue: JobQueue,
  promise: PromiseLike<V>,
  job: (value: V, signal: AbortSignal | undefined) => R,
  options?: JobOptions,
): SchedulerFuture<Awaited<R>> {
  return queueCore(queue, "after").after(promise, job, options) as SchedulerFuture<Awaited<R>>;
}

/**
 * The {@linkcode JobQueue} form of {@linkcode Desync.suspend}: once the jobs
 * scheduled before this call have run, the queue is suspended and the
 * promise resolves with a {@linkcode QueueResumer}; jobs scheduled after the
 * call wait until it is resumed.
 *
 * @param queue The queue.
 * @param options See {@linkcode JobOptions}. Aborting before the suspension is
 * reached cancels it.
 * @returns The resumer, once the queue is suspended.
 * @throws {ClosedError} If the queue is closed.
 * @throws {TypeError} If `queue` is not a queue or `options` is malformed.
 *
 * @example Holding later jobs back
 * ```ts
 * import { desync, futureSync, queue, suspend } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * let value = 0;
 * const suspended = suspend(q);
 * desync(q, () => void (value = 1));
 * const resumer = await suspended;
 * assert.equal(value, 0); // held until resumed
 * resumer.resume();
 * assert.equal(await futureSync(q, () => value), 1);
 * ```
 */
export function suspend(queue: JobQueue, options?: JobOptions): Promise<QueueResumer> {
  return queueCore(queue, "suspend").suspend(options) as Promise<QueueResumer>;
}
