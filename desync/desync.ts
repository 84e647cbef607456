// Copyright 2026 the desync authors. MIT license.
// Desync<T>: data handed over, and the ordered jobs that use it.

import type { QueueResumer, SchedulerFuture } from "../_engine/future.ts";
import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "../_engine/platform.ts";
import { QueueCore } from "../_engine/queue_core.ts";
import type { ErrorHandler, JobOptions } from "../_engine/types.ts";
import { assertFunction, assertOptions } from "../_engine/validate.ts";
import { globalSchedulerCore, type Scheduler, schedulerCore } from "../scheduler/scheduler.ts";

/**
 * The cell through which a job sees a {@linkcode Desync}'s data: read
 * `ref.value`, mutate it in place, or assign a new value (primitives and
 * immutable values included). It is JavaScript's `&mut T`: only use it inside
 * the job it was passed to.
 *
 * @typeParam T The data's type.
 */
export interface Ref<T> {
  /** The data. Assign to replace it. */
  value: T;
}

/**
 * A job on a {@linkcode Desync}: it receives the data's {@linkcode Ref} and
 * the job's signal (when scheduled with one). It may return a promise; the
 * `Desync` is held until it settles.
 *
 * @typeParam T The data's type.
 * @typeParam R The job's result.
 */
export type DesyncJob<T, R> = (ref: Ref<T>, signal: AbortSignal | undefined) => R;

/** Options for {@linkcode Desync}. */
export interface DesyncOptions {
  /**
   * The scheduler that runs this object's jobs.
   *
   * @default {scheduler()}
   */
  scheduler?: Scheduler;
  /**
   * Receives errors of this object's fire-and-forget jobs (`desync`, detached
   * futures), instead of the scheduler's handler.
   *
   * @default {undefined}
   */
  onError?: ErrorHandler;
}

let queueOfDesync: (value: unknown) => QueueCore | undefined;

/**
 * The queue behind a Desync, or a TypeError naming the argument.
 * @internal Not re-exported: for the other areas of the package (pipes).
 */
export function desyncQueue(value: unknown, method: string, name: string): QueueCore {
  const queue = queueOfDesync(value);
  if (queue === undefined) throw new TypeError(`${method}(): "${name}" must be a Desync`);
  return queue;
}

/**
 * Data protected by ordering instead of locks. Hand the data to a `Desync`,
 * then schedule jobs on it: they run one at a time, in the order scheduled,
 * even when they are async and span many `await`s. Nothing else touches the
 * data, so there is nothing to lock.
 *
 * - {@linkcode Desync.desync}: run in the background, don't wait.
 * - {@linkcode Desync.sync}: run now (after the jobs ahead) and return the result.
 * - {@linkcode Desync.futureSync}, {@linkcode Desync.futureDesync},
 *   {@linkcode Desync.after}: promise forms.
 *
 * Every job receives a {@linkcode Ref} to the data: read or mutate
 * `ref.value`, or assign it to replace the data. A job's error goes to
 * whoever can observe it (its promise, `sync`'s throw); errors of
 * fire-and-forget jobs go to `onError` (default: `reportError`), and the
 * object carries on with its next job.
 *
 * @typeParam T The data's type.
 *
 * @example Quick start
 * ```ts
 * import { Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const number = new Desync(0);
 * number.desync((n) => {
 *   n.value = 42; // long update here; the caller carries on
 * });
 * assert.equal(number.sync((n) => n.value), 42);
 * ```
 *
 * @example Exclusive across awaits
 * ```ts
 * import { Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const account = new Desync({ balance: 100 });
 * const withdraw = (amount: number) =>
 *   account.futureSync(async (a) => {
 *     const balance = a.value.balance;
 *     await new Promise((resolve) => setTimeout(resolve, 1)); // e.g. a fraud check
 *     if (balance < amount) return false;
 *     a.value.balance = balance - amount;
 *     return true;
 *   });
 * const results = await Promise.all([withdraw(80), withdraw(80)]);
 * assert.deepEqual(results, [true, false]);
 * assert.equal(account.sync((a) => a.value.balance), 20);
 * ```
 */
export class Desync<T> {
  #queue: QueueCore;
  #ref: Ref<T>;

  /**
   * Takes ownership of `initial`. Nothing is scheduled yet.
   *
   * @param initial The data.
   * @param options See {@linkcode DesyncOptions}.
   * @throws {TypeError} If an option has the wrong type, or is not one of these options.
   */
  constructor(initial: T, options?: DesyncOptions) {
    assertOptions(options, "new Desync", ["scheduler", "onError"]);
    const core = options?.scheduler === undefined
      ? globalSchedulerCore()
      : schedulerCore(options.scheduler, "new Desync", "options.scheduler");
    const onError = options?.onError;
    if (onError !== undefined) assertFunction(onError, "new Desync", "options.onError");
    this.#ref = { value: initial };
    this.#queue = new QueueCore(core, this.#ref, onError);
  }

  /**
   * The queue of `self`, the receiver of a method: a method taken off its
   * object (`const { sync } = desync`) gets a clear error instead of V8's.
   * (A try around the field read costs nothing when it does not throw.)
   */
  static #queueOf(self: unknown, method: string): QueueCore {
    try {
      return (self as Desync<unknown>).#queue;
    } catch {
      throw new TypeError(
        `Desync.${method}() was called without its Desync (a method taken off its object?): ` +
          `call it as desync.${method}(...), or bind it`,
      );
    }
  }

  static {
    queueOfDesync = (value) =>
      typeof value === "object" && value !== null && #queue in value
        ? (value as Desync<unknown>).#queue
        : undefined;
  }

  /**
   * Schedules `job` and returns at once. It runs soon (a microtask later
   * unless a backlog is ahead), after every job scheduled before it. If it
   * returns a promise, the object is held until the promise settles. Errors
   * go to `onError`.
   *
   * @param job The job.
   * @param options See {@linkcode JobOptions}.
   * @throws {TypeError} If `job` is not a function or `options` is malformed.
   * @throws {ClosedError} If the object is closed.
   *
   * @example
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const list = new Desync<string[]>([]);
   * list.desync((l) => void l.value.push("a"));
   * list.desync((l) => {
   *   l.value = [...l.value, "b"]; // replacing works too
   * });
   * assert.deepEqual(list.sync((l) => l.value), ["a", "b"]);
   * ```
   */
  desync(job: DesyncJob<T, unknown>, options?: JobOptions): void {
    Desync.#queueOf(this, "desync").desync(job, options);
  }

  /**
   * Runs `job` after every job already scheduled and returns its result
   * synchronously. Earlier jobs that are still queued run first, on the
   * caller's stack (what Rust's `sync` does when it steals the thread). If
   * `job` returns a promise, the object is held until it settles and a
   * promise of its result is returned.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @returns The job's result.
   * @throws {WouldBlockError} If that needs waiting: an async job is in
   * flight, the object is suspended, or an earlier job turned out to be
   * async. `job` is then neither run nor queued; use `futureSync`.
   * @throws {ReentrancyError} If called from inside one of this object's jobs.
   * @throws {ClosedError} If the object is closed.
   * @throws {unknown} Whatever `job` throws.
   *
   * @example
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const words = new Desync(["b", "a"]);
   * words.desync((w) => void w.value.sort());
   * assert.equal(words.sync((w) => w.value.join()), "a,b");
   * ```
   */
  sync<R>(job: (ref: Ref<T>) => R): R {
    return Desync.#queueOf(this, "sync").sync(job) as R;
  }

  /**
   * Runs `job` now if the object is idle and nothing is queued; otherwise
   * throws {@linkcode TrySyncError} without running it. Never runs other jobs.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @returns The job's result.
   * @throws {TrySyncError} If the object is busy.
   * @throws {ReentrancyError} If called from inside one of this object's jobs.
   * @throws {ClosedError} If the object is closed.
   *
   * @example
   * ```ts
   * import { Desync, TrySyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const counter = new Desync(1);
   * assert.equal(counter.trySync((n) => n.value), 1);
   * counter.desync((n) => void n.value++);
   * assert.throws(() => counter.trySync((n) => n.value), TrySyncError);
   * ```
   */
  trySync<R>(job: (ref: Ref<T>) => R): R {
    return Desync.#queueOf(this, "trySync").trySync(job) as R;
  }

  /**
   * Runs `job` as foreground work and returns a promise of its result. The
   * job may be async; while it is pending the object is held, so later jobs
   * wait. If the object is idle, the job starts at once on the caller's
   * stack, like calling an async function (unless the scheduler is due to
   * give the event loop a turn first); otherwise the object's queue is driven
   * up to it, whatever the scheduler's concurrency budget (and also in manual
   * mode), so jobs on other objects can await it without deadlock.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @param options See {@linkcode JobOptions}.
   * @returns The job's result.
   * @throws {ReentrancyError} If called from inside one of this object's jobs:
   * awaiting it there would deadlock. Use `futureDesync` for follow-up work.
   * @throws {ClosedError} If the object is closed.
   *
   * @example Cancelling a queued job
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * const busy = data.futureSync(() => new Promise((resolve) => setTimeout(resolve, 5)));
   * const controller = new AbortController();
   * const cancelled = data.futureSync((n) => (n.value = 1), { signal: controller.signal });
   * controller.abort(new Error("not needed")); // still queued behind `busy`
   * await assert.rejects(cancelled, /not needed/);
   * await busy;
   * assert.equal(data.sync((n) => n.value), 0);
   * ```
   */
  futureSync<R>(job: DesyncJob<T, R>, options?: JobOptions): Promise<Awaited<R>> {
    return Desync.#queueOf(this, "futureSync").futureSync(job, options) as Promise<Awaited<R>>;
  }

  /**
   * Schedules `job` as background work and returns a
   * {@linkcode SchedulerFuture} for its result. The job runs whether or not
   * the future is awaited, when the scheduler's concurrency budget allows;
   * awaiting the future makes it foreground work (the object is driven up to
   * the job whatever the budget, as with `futureSync`), so a job can await
   * another object's future without deadlock. Call `detach()` when you don't
   * need the result, so errors go to `onError`.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @param options See {@linkcode JobOptions}.
   * @returns The job's future.
   * @throws {ClosedError} If the object is closed.
   *
   * @example
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const greeting = new Desync("hello");
   * const shout = greeting.futureDesync((g) => (g.value = g.value.toUpperCase()));
   * assert.equal(await shout, "HELLO");
   * ```
   */
  futureDesync<R>(job: DesyncJob<T, R>, options?: JobOptions): SchedulerFuture<Awaited<R>> {
    return Desync.#queueOf(this, "futureDesync").futureDesync(job, options) as SchedulerFuture<
      Awaited<R>
    >;
  }

  /**
   * Schedules `job` to run with the value of `promise`. The job's place in
   * the order is fixed now; when its turn comes it waits for `promise` while
   * holding the object (later jobs wait, the concurrency budget does not),
   * then runs with the data and the value. If `promise` rejects, the job does
   * not run and the future rejects with that reason; the object carries on.
   *
   * @typeParam V The promise's value.
   * @typeParam R The job's result.
   * @param promise What the job waits for.
   * @param job The job; it receives the data, the value and the signal.
   * @param options See {@linkcode JobOptions}. Aborting while the job waits
   * for `promise` stops the wait and releases the object.
   * @returns The job's future.
   * @throws {TypeError} If `promise` is not a thenable.
   * @throws {ClosedError} If the object is closed.
   *
   * @example
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const page = new Desync({ title: "", views: 0 });
   * const title = new Promise<string>((resolve) => setTimeout(() => resolve("Home"), 5));
   * page.after(title, (p, value) => {
   *   p.value.title = value;
   * }).detach();
   * page.desync((p) => void p.value.views++); // runs after the title arrived
   * assert.deepEqual(await page.futureSync((p) => p.value), { title: "Home", views: 1 });
   * ```
   */
  after<V, R>(
    promise: PromiseLike<V>,
    job: (ref: Ref<T>, value: V, signal: AbortSignal | undefined) => R,
    options?: JobOptions,
  ): SchedulerFuture<Awaited<R>> {
    return Desync.#queueOf(this, "after").after(promise, job, options) as SchedulerFuture<
      Awaited<R>
    >;
  }

  /**
   * Suspends the object once the jobs scheduled before this call have run.
   * The promise resolves with a {@linkcode QueueResumer} at that point; jobs
   * scheduled after the call wait until it is resumed (`using` resumes at
   * the end of the scope).
   *
   * @param options See {@linkcode JobOptions}. Aborting before the suspension
   * is reached cancels it.
   * @returns The resumer, once the object is suspended.
   * @throws {ClosedError} If the object is closed.
   */
  suspend(options?: JobOptions): Promise<QueueResumer> {
    return Desync.#queueOf(this, "suspend").suspend(options) as Promise<QueueResumer>;
  }

  /**
   * Stops accepting jobs and resolves once every job already scheduled has
   * finished (including async ones and suspensions, which must be resumed).
   * Like `futureSync`, the caller waits, so the queue is driven whatever the
   * concurrency budget. Afterwards every operation throws `ClosedError`.
   * Calling it again returns the same promise. Used by `await using`.
   *
   * @returns A promise that resolves when the object is drained.
   *
   * @example
   * ```ts
   * import { ClosedError, Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * let saved = 0;
   * {
   *   await using counter = new Desync(0);
   *   counter.desync((n) => void n.value++);
   *   counter.desync((n) => void (saved = n.value + 1));
   * } // waits here for both jobs
   * assert.equal(saved, 2);
   * ```
   */
  close(): Promise<void> {
    return Desync.#queueOf(this, "close").close();
  }

  /** Closes the object and waits for its jobs; used by `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return Desync.#queueOf(this, "[Symbol.asyncDispose]").close();
  }

  /** The scheduler that runs this object's jobs. */
  get scheduler(): Scheduler {
    return this.#queue.scheduler.owner as Scheduler;
  }

  /** How many jobs are waiting to start (aborted jobs are not counted). */
  get queued(): number {
    return this.#queue.size;
  }

  /** Whether a job is in progress (running, awaiting, or an `after` waiting for its promise). */
  get running(): boolean {
    return this.#queue.running;
  }

  /** Whether the object is held by a `suspend` until its resumer is called. */
  get suspended(): boolean {
    return this.#queue.suspended;
  }

  /** Whether `close()` was called: no further jobs are accepted. */
  get closed(): boolean {
    return this.#queue.closed;
  }

  /**
   * This object's handler for errors of fire-and-forget jobs; `undefined`
   * defers to the scheduler's.
   *
   * @throws {TypeError} If set to something other than a function or `undefined`.
   */
  get onError(): ErrorHandler | undefined {
    return this.#queue.onError;
  }

  set onError(handler: ErrorHandler | undefined) {
    if (handler !== undefined) assertFunction(handler, "onError", "handler");
    this.#queue.onError = handler;
  }

  #fields(): Record<string, unknown> {
    return {
      value: this.#ref.value,
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
    return inspectAs("Desync", this.#fields(), inspect, options);
  }

  /** Custom output for Node's `util.inspect`. */
  [NODE_INSPECT](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options?: unknown) => string,
  ): string {
    return inspectAs("Desync", this.#fields(), inspect, options);
  }
}
