// Copyright 2026 the desync authors. MIT license.
// JobQueue, an ordered queue with no data of its own, and the free functions
// that schedule on it (Rust's `desync::scheduler` functions).

import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "../_engine/platform.ts";
import type { QueueCore } from "../_engine/queue_core.ts";
import type { QueueResumer, SchedulerFuture } from "../_engine/future.ts";
import type { ErrorHandler, JobOptions } from "../_engine/types.ts";
import { assertFunction } from "../_engine/validate.ts";
import type { Scheduler } from "./scheduler.ts";

/** Options for {@linkcode queue} and {@linkcode Scheduler.queue}. */
export interface QueueOptions {
  /**
   * Receives the errors of this queue's fire-and-forget jobs, instead of its
   * scheduler's handler.
   *
   * @default {undefined}
   */
  onError?: ErrorHandler;
}

/** A job on a bare {@linkcode JobQueue}: it receives the job's signal, if any. */
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
 * An ordered queue of jobs with no data of its own (Rust's `JobQueue`).
 * Create one with {@linkcode queue} or {@linkcode Scheduler.queue}, and
 * schedule on it with the free functions of this module. A queue belongs to
 * the scheduler that created it.
 *
 * @example
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

  /** The scheduler that runs this queue's jobs. */
  get scheduler(): Scheduler {
    return this.#core.scheduler.owner as Scheduler;
  }

  /** How many jobs are waiting to start (aborted jobs are not counted). */
  get queued(): number {
    return this.#core.size;
  }

  /** Whether a job is in progress (running, awaiting, or an `after` waiting for its promise). */
  get running(): boolean {
    return this.#core.running;
  }

  /** Whether the queue is held by a `suspend` until its resumer is called. */
  get suspended(): boolean {
    return this.#core.suspended;
  }

  /** Whether `close()` was called: no further jobs are accepted. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /**
   * This queue's handler for errors of fire-and-forget jobs; `undefined`
   * defers to the scheduler's.
   *
   * @throws {TypeError} If set to something other than a function or `undefined`.
   */
  get onError(): ErrorHandler | undefined {
    return this.#core.onError;
  }

  set onError(handler: ErrorHandler | undefined) {
    if (handler !== undefined) assertFunction(handler, "onError", "handler");
    this.#core.onError = handler;
  }

  /**
   * Stops accepting jobs and resolves once every job already scheduled has
   * finished. Afterwards every scheduling call throws `ClosedError`. Calling
   * it again returns the same promise. The caller waits, so the queue is
   * driven whatever the concurrency budget, in manual mode too.
   *
   * @returns A promise that resolves when the queue is drained.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Closes the queue and waits for it to drain; used by `await using`. */
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

  /** Custom output for Deno's `inspect`. */
  [DENO_INSPECT](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return inspectAs("JobQueue", this.#fields(), inspect, options);
  }

  /** Custom output for Node's `util.inspect`. */
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
 * Schedules `job` on `queue` and returns immediately. The job runs soon (a
 * microtask later, unless the queue has a backlog), after every job scheduled
 * before it. If it returns a promise, the queue is held until it settles. Its
 * errors go to the scheduler's error handler.
 *
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @throws {TypeError} If `queue` is not a queue or `job` not a function.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Runs `job` after every job already on `queue` and returns its result
 * synchronously. JavaScript cannot block, so this does what Rust's `sync`
 * does when it steals the calling thread: it runs the earlier jobs on the
 * caller's stack, then `job`. If the job itself returns a promise, the queue
 * is held until it settles and a promise of its result is returned.
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job.
 * @returns The job's result.
 * @throws {WouldBlockError} If it cannot finish without waiting (an async job
 * in flight, a suspension, or an earlier job that turned out to be async); the
 * job is then neither run nor queued.
 * @throws {ReentrancyError} If called from inside a job of `queue`.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Runs `job` now if `queue` is idle and has nothing queued; otherwise throws
 * {@linkcode TrySyncError} without running it (Rust's `try_sync`).
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job.
 * @returns The job's result.
 * @throws {TrySyncError} If the queue is busy.
 * @throws {ReentrancyError} If called from inside a job of `queue`.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Runs `job` as foreground work and returns a promise of its result. The job
 * may be async; while its promise is pending the queue is held, so later jobs
 * wait. On an idle queue it starts at once on the caller's stack, like calling
 * an async function (unless the scheduler is due to give the event loop a turn
 * first); otherwise the queue is driven up to it (the jobs ahead
 * first), whatever the concurrency budget and also in manual mode, as Rust's
 * `future_sync` runs in the caller's context. So a job on another queue can
 * await it without risk of deadlock.
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @returns The job's result.
 * @throws {ReentrancyError} If called from inside a job of `queue` (awaiting
 * it there would deadlock; use {@linkcode futureDesync} for follow-up work).
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Schedules `job` as background work and returns a
 * {@linkcode SchedulerFuture} for its result. The job runs whether or not the
 * future is awaited, when the scheduler's concurrency budget allows (even when
 * awaited); `detach()` it to route its errors to the error handler. Inside a
 * job, wait for another queue with {@linkcode futureSync} instead: background
 * work awaited by a job holding the last slot of the budget would wait forever.
 *
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param job The job; it receives `options.signal`.
 * @param options See {@linkcode JobOptions}.
 * @returns The job's future.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Schedules `job` to run with the value of `promise`. The job takes its place
 * in the order now; when its turn comes it waits for `promise` while holding
 * the queue (later jobs wait, but it does not count against the concurrency
 * budget), then runs with the value. If `promise` rejects, the job does not
 * run, the future rejects with the same reason, and the queue moves on.
 *
 * @typeParam V The promise's value.
 * @typeParam R The job's result.
 * @param queue The queue.
 * @param promise What the job waits for.
 * @param job The job; it receives the value and `options.signal`.
 * @param options See {@linkcode JobOptions}. Aborting while the job waits for
 * `promise` stops the wait and releases the queue.
 * @returns The job's future.
 * @throws {TypeError} If `promise` is not a thenable.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
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
 * Suspends `queue` once the jobs scheduled before this call have run: the
 * returned promise resolves with a {@linkcode QueueResumer} at that point, and
 * jobs scheduled after the call wait until it is resumed. Like `futureSync`,
 * the caller waits, so the queue is driven up to the suspension whatever the
 * budget; the suspension itself does not count against the budget.
 *
 * @param queue The queue.
 * @param options See {@linkcode JobOptions}. Aborting before the suspension is
 * reached cancels it.
 * @returns The resumer, once the queue is suspended.
 * @throws {ClosedError} If the queue is closed.
 *
 * @example
 * ```ts
 * import { desync, queue, suspend, sync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * let value = 0;
 * const suspended = suspend(q);
 * desync(q, () => void (value = 1));
 * const resumer = await suspended;
 * assert.equal(value, 0); // held until resumed
 * resumer.resume();
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assert.equal(sync(q, () => value), 1);
 * ```
 */
export function suspend(queue: JobQueue, options?: JobOptions): Promise<QueueResumer> {
  return queueCore(queue, "suspend").suspend(options) as Promise<QueueResumer>;
}
