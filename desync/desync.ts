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
 *
 * @example A reusable job
 * ```ts
 * import { Desync, type Ref } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const double = (ref: Ref<number>) => void (ref.value *= 2);
 * const score = new Desync(21);
 * score.desync(double);
 * assert.equal(score.sync((ref) => ref.value), 42);
 * ```
 */
export interface Ref<T> {
  /**
   * The data. Assign to replace it.
   *
   * @example Replacing an immutable value
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const name = new Desync("ada");
   * name.desync((ref) => void (ref.value = ref.value.toUpperCase()));
   * assert.equal(name.sync((ref) => ref.value), "ADA");
   * ```
   */
  value: T;
}

/**
 * A job on a {@linkcode Desync}: it receives the data's {@linkcode Ref} and
 * the job's signal (when scheduled with one). It may return a promise; the
 * `Desync` is held until it settles.
 *
 * @typeParam T The data's type.
 * @typeParam R The job's result.
 *
 * @example A typed job
 * ```ts
 * import { Desync, type DesyncJob } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const increment: DesyncJob<number, number> = (ref) => ++ref.value;
 * const counter = new Desync(0);
 * assert.equal(await counter.futureSync(increment), 1);
 * ```
 */
export type DesyncJob<T, R> = (ref: Ref<T>, signal: AbortSignal | undefined) => R;

/**
 * Options for {@linkcode Desync}. An unknown key throws a `TypeError`, so a
 * misspelt option is never silently ignored.
 *
 * @example Options are checked
 * ```ts
 * import { Desync, type DesyncOptions, Scheduler } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const options: DesyncOptions = { scheduler: new Scheduler(), onError: console.error };
 * assert.equal(new Desync(0, options).scheduler, options.scheduler);
 * const fromConfig = JSON.parse('{ "onerror": null }'); // a misspelt key
 * assert.throws(() => new Desync(0, fromConfig), TypeError);
 * ```
 */
export interface DesyncOptions {
  /**
   * The scheduler that runs this object's jobs.
   *
   * @default {scheduler()}
   *
   * @example A Desync on a manual scheduler
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const counter = new Desync(0, { scheduler: manual });
   * counter.desync((n) => void n.value++);
   * assert.equal(manual.runReady(), 1);
   * assert.equal(counter.sync((n) => n.value), 1);
   * ```
   */
  scheduler?: Scheduler;
  /**
   * Receives errors of this object's fire-and-forget jobs (`desync`, detached
   * futures), instead of the scheduler's handler. `undefined` defers to the
   * scheduler's, and with no handler anywhere errors go to `reportError`,
   * which ends the process on Deno and Node. See {@linkcode ErrorHandler}.
   *
   * @default {undefined}
   *
   * @example Logging background errors instead of ending the process
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const errors: unknown[] = [];
   * const data = new Desync(0, { onError: (error) => errors.push(error) });
   * data.desync(() => {
   *   throw new Error("lost");
   * });
   * await data.close();
   * assert.equal((errors[0] as Error).message, "lost");
   * ```
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
 * - {@linkcode Desync.desync}: run later (on the same thread), don't wait.
 * - {@linkcode Desync.sync}: run now (after the jobs ahead) and return the result;
 *   {@linkcode Desync.trySync}: only if nothing is ahead.
 * - {@linkcode Desync.futureSync}, {@linkcode Desync.futureDesync},
 *   {@linkcode Desync.after}: promise forms.
 * - {@linkcode Desync.suspend} and {@linkcode Desync.close}: hold the object,
 *   or drain it and stop. The pipe functions ({@linkcode pipeIn},
 *   {@linkcode pipe}, {@linkcode sink}, {@linkcode transform}) feed it
 *   streams of items.
 *
 * Every job receives a {@linkcode Ref} to the data: read or mutate
 * `ref.value`, or assign it to replace the data. A job's error goes to
 * whoever can observe it (its promise, `sync`'s throw), and the object
 * carries on with its next job. Errors of fire-and-forget jobs go to the
 * object's `onError`, else its scheduler's, else `reportError`, which ends
 * the process on Deno and Node (see {@linkcode Desync.desync}).
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
   * Takes ownership of `initial`: from now on, only this object's jobs
   * should touch it. Nothing is scheduled yet.
   *
   * @param initial The data.
   * @param options See {@linkcode DesyncOptions}.
   * @throws {TypeError} If an option has the wrong type, or is not one of these options.
   *
   * @example Handing data over
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const stock = new Desync(new Map([["apples", 3]]));
   * assert.equal(stock.queued, 0); // nothing scheduled yet
   * assert.equal(stock.sync((s) => s.value.get("apples")), 3);
   * ```
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
   * Schedules `job` and returns at once, without waiting for it (Rust's
   * `desync`). The job runs after every job scheduled before it, as
   * background work: a microtask later if the object is idle; later if a
   * backlog is ahead, the event loop is due a turn, or the scheduler's
   * concurrency budget is full; in manual mode, when the scheduler is stepped.
   * If it returns a promise, the object is held until the promise settles.
   *
   * "Background" means later on the same thread, not on another thread: a
   * job's synchronous code blocks the event loop while it runs, so a job that
   * computes for 200 ms stalls timers and I/O for 200 ms. (The
   * {@linkcode Scheduler} gives the event loop a turn between jobs.)
   *
   * Nobody awaits the job, so an error it throws or rejects with goes to the
   * object's `onError`, else its scheduler's `onError`. **With no handler
   * anywhere, it goes to `reportError`, which on Deno and Node ends the
   * process like an uncaught exception.** To log it instead, create the
   * object with `new Desync(data, { onError: (e) => console.error(e) })`, or
   * give its scheduler an `onError`. Either way the object carries on with
   * its next job.
   *
   * @param job The job; it receives the data and `options.signal`.
   * @param options See {@linkcode JobOptions}. Aborting before the job starts
   * means it never runs.
   * @throws {TypeError} If `job` is not a function or `options` is malformed.
   * @throws {ClosedError} If the object is closed.
   *
   * @example Jobs run in order, later
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
   *
   * @example Logging errors instead of ending the process
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const failures: unknown[] = [];
   * const cache = new Desync(new Map<string, number>(), {
   *   onError: (error) => failures.push(error), // e.g. console.error
   * });
   * cache.desync(() => {
   *   throw new Error("disk full");
   * });
   * cache.desync((c) => void c.value.set("still", 1)); // the object carries on
   * assert.equal(await cache.futureSync((c) => c.value.size), 1);
   * await cache.close();
   * assert.equal(failures.length, 1);
   * ```
   */
  desync(job: DesyncJob<T, unknown>, options?: JobOptions): void {
    Desync.#queueOf(this, "desync").desync(job, options);
  }

  /**
   * Runs `job` after every job already scheduled and returns its result
   * synchronously (Rust's `sync`). Earlier jobs that are still queued run
   * first, on the caller's stack, whatever the concurrency budget and in
   * manual mode too: what Rust's `sync` does when it steals the thread. Jobs
   * that they schedule run after `job`. If `job` returns a promise, the
   * object is held until it settles and a promise of its result is returned.
   *
   * JavaScript cannot block, so where Rust's `sync` would wait, this throws
   * {@linkcode WouldBlockError} instead; `futureSync` is the form that waits.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @returns The job's result.
   * @throws {WouldBlockError} If that needs waiting: an async job is in
   * flight, the object is suspended, an `after` job ahead waits for its
   * promise, or an earlier job turned out to be async. `job` is then neither
   * run nor queued; use `futureSync`.
   * @throws {ReentrancyError} If called from the synchronous part of one of
   * this object's jobs.
   * @throws {ClosedError} If the object is closed.
   * @throws {TypeError} If `job` is not a function.
   * @throws {unknown} Whatever `job` throws.
   *
   * @example Reading after background work
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
   * throws {@linkcode TrySyncError} without running it (Rust's `try_sync`).
   * Never runs other jobs.
   *
   * @typeParam R The job's result.
   * @param job The job.
   * @returns The job's result.
   * @throws {TrySyncError} If the object is busy: a job is in progress or
   * queued, or it is suspended.
   * @throws {ReentrancyError} If called from the synchronous part of one of
   * this object's jobs.
   * @throws {ClosedError} If the object is closed.
   * @throws {TypeError} If `job` is not a function.
   * @throws {unknown} Whatever `job` throws.
   *
   * @example Only when nothing is ahead
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
   * Runs `job` as foreground work and returns a promise of its result
   * (Rust's `future_sync`). The job may be async; while it is pending the
   * object is held, so later jobs wait. If the object is idle, the job starts
   * at once on the caller's stack, like calling an async function (unless
   * the scheduler is due to give the event loop a turn first); otherwise the
   * object's queue is pulled up to it (the jobs ahead first), whatever the
   * scheduler's concurrency budget and in manual mode too, as Rust's
   * `future_sync` runs in the caller's context. So jobs on other objects can
   * await it without deadlock.
   *
   * Aborting `options.signal` while the job is queued drops it; while it
   * runs, the promise rejects at once with `signal.reason` and the job keeps
   * the object until it settles (see {@linkcode JobOptions.signal}).
   *
   * @typeParam R The job's result.
   * @param job The job; it receives the data and `options.signal`.
   * @param options See {@linkcode JobOptions}.
   * @returns The job's result.
   * @throws {ReentrancyError} If called from the synchronous part of one of
   * this object's jobs: awaiting it there would deadlock. (After the job's
   * first `await` this cannot be detected, and the promise would never
   * settle.) Use `futureDesync` or `desync` for follow-up work.
   * @throws {ClosedError} If the object is closed.
   * @throws {TypeError} If `job` is not a function or `options` is malformed.
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
   * {@linkcode SchedulerFuture} for its result (Rust's `future_desync`). The
   * job runs whether or not the future is awaited: left alone, when the
   * scheduler's concurrency budget allows. Awaiting the future (`await`,
   * `then`, `catch`, `finally`) makes it foreground work: the object is
   * pulled up to the job whatever the budget, in every mode including manual
   * mode, as with `futureSync`, so a job can await another object's future
   * without deadlock. Call `detach()` when you don't need the result, so that
   * its errors go to the error handler; a future neither awaited nor
   * detached whose job fails raises an unhandled rejection.
   *
   * @typeParam R The job's result.
   * @param job The job; it receives the data and `options.signal`.
   * @param options See {@linkcode JobOptions}.
   * @returns The job's future.
   * @throws {ClosedError} If the object is closed.
   * @throws {TypeError} If `job` is not a function or `options` is malformed.
   *
   * @example Awaiting a background job
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
   * Schedules `job` to run with the value of `promise` (Rust's `after`). The
   * job's place in the order is fixed now; when its turn comes it waits for
   * `promise` while holding the object (later jobs wait, but the wait does
   * not count against the concurrency budget), then runs with the data and
   * the value. If `promise` is a {@linkcode SchedulerFuture}, its job is
   * pulled once the wait begins. If `promise` rejects, the job does not run
   * and the future rejects with that reason (or, if detached, the reason
   * goes to the error handler); the object carries on. `promise` is observed
   * at once, so its rejection is not reported as unhandled while the job
   * waits for its turn.
   *
   * @typeParam V The promise's value.
   * @typeParam R The job's result.
   * @param promise What the job waits for.
   * @param job The job; it receives the data, the value and the signal.
   * @param options See {@linkcode JobOptions}. Aborting while the job waits
   * for `promise` stops the wait and releases the object.
   * @returns The job's future.
   * @throws {TypeError} If `promise` is not a thenable, `job` not a function,
   * or `options` is malformed.
   * @throws {ClosedError} If the object is closed.
   *
   * @example Later jobs wait for the promise
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
   * Suspends the object once the jobs scheduled before this call have run
   * (Rust's `suspend`). The promise resolves with a {@linkcode QueueResumer}
   * at that point; jobs scheduled after the call wait until it is resumed
   * (`using` resumes at the end of the scope). The caller waits, so, as with
   * `futureSync`, the object is pulled up to the suspension whatever the
   * concurrency budget, in manual mode too; the suspension itself does not
   * count against the budget. While suspended, `sync` throws
   * {@linkcode WouldBlockError}, `futureSync` waits, and `close` waits for
   * the resume.
   *
   * @param options See {@linkcode JobOptions}. Aborting before the suspension
   * is reached cancels it: the promise rejects with `signal.reason`.
   * @returns The resumer, once the object is suspended.
   * @throws {ClosedError} If the object is closed.
   * @throws {TypeError} If `options` is malformed.
   *
   * @example Holding jobs back while something else happens
   * ```ts
   * import { Desync, WouldBlockError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const account = new Desync(100);
   * const resumer = await account.suspend(); // e.g. during an audit
   * const withdrawal = account.futureSync((a) => (a.value -= 30)); // waits
   * assert.throws(() => account.sync((a) => a.value), WouldBlockError);
   * resumer.resume();
   * assert.equal(await withdrawal, 70);
   * ```
   */
  suspend(options?: JobOptions): Promise<QueueResumer> {
    return Desync.#queueOf(this, "suspend").suspend(options) as Promise<QueueResumer>;
  }

  /**
   * Stops accepting jobs and resolves once every job already scheduled has
   * finished (including async ones and suspensions, which must be resumed).
   * Like `futureSync`, the caller waits, so the queue is pulled whatever the
   * concurrency budget, in manual mode too. Pipes feeding the object stop
   * reading, let the items they took run, and end with a
   * {@linkcode ClosedError}. Afterwards every scheduling call throws
   * `ClosedError`. Calling it again returns the same promise. Used by
   * `await using`.
   *
   * @returns A promise that resolves when the object is drained.
   *
   * @example Draining, then refusing new jobs
   * ```ts
   * import { ClosedError, Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const counter = new Desync(0);
   * counter.desync(async (n) => {
   *   await new Promise((resolve) => setTimeout(resolve, 1));
   *   n.value++;
   * });
   * await counter.close(); // waits for the job
   * assert.throws(() => counter.sync((n) => n.value), ClosedError);
   * ```
   */
  close(): Promise<void> {
    return Desync.#queueOf(this, "close").close();
  }

  /**
   * Closes the object and waits for its jobs, as `close()` does; called by
   * `await using` at the end of the scope.
   *
   * @example Draining on scope exit
   * ```ts
   * import { Desync } from "@desync/desync";
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
  [Symbol.asyncDispose](): Promise<void> {
    return Desync.#queueOf(this, "[Symbol.asyncDispose]").close();
  }

  /**
   * The scheduler that runs this object's jobs: `options.scheduler`, else the
   * global one.
   *
   * @returns The object's scheduler.
   *
   * @example The global scheduler by default
   * ```ts
   * import { Desync, Scheduler, scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Desync(0).scheduler, scheduler());
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * assert.equal(new Desync(0, { scheduler: manual }).scheduler, manual);
   * ```
   */
  get scheduler(): Scheduler {
    return this.#queue.scheduler.owner as Scheduler;
  }

  /**
   * How many jobs are waiting to start (aborted jobs are not counted).
   *
   * @returns The number of queued jobs.
   *
   * @example Queued jobs, before and after an abort
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const counter = new Desync(0, { scheduler: manual });
   * const controller = new AbortController();
   * counter.desync((n) => void n.value++);
   * counter.desync((n) => void n.value++, { signal: controller.signal });
   * assert.equal(counter.queued, 2);
   * controller.abort();
   * assert.equal(counter.queued, 1);
   * ```
   */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Whether a job is in progress: running, awaiting (an async job whose
   * promise is pending), or an `after` job waiting for its promise. A
   * suspension is not counted (see `suspended`).
   *
   * @returns `true` while the object is held by a job.
   *
   * @example An async job holds the object
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * let started = () => {};
   * const running = new Promise<void>((resolve) => (started = resolve));
   * const saved = data.futureSync(async (n) => {
   *   started();
   *   await new Promise((resolve) => setTimeout(resolve, 1));
   *   n.value++;
   * });
   * await running;
   * assert.equal(data.running, true);
   * await saved;
   * assert.equal(data.running, false);
   * ```
   */
  get running(): boolean {
    return this.#queue.running;
  }

  /**
   * Whether the object is held by a `suspend` until its resumer is called.
   *
   * @returns `true` while suspended.
   *
   * @example Suspended is not running
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * const resumer = await data.suspend();
   * assert.equal(data.suspended, true);
   * assert.equal(data.running, false);
   * resumer.resume();
   * assert.equal(data.suspended, false);
   * ```
   */
  get suspended(): boolean {
    return this.#queue.suspended;
  }

  /**
   * Whether `close()` was called: no further jobs are accepted. It is `true`
   * at once, before the jobs already scheduled have finished.
   *
   * @returns `true` once closing has begun.
   *
   * @example Closed at once, drained later
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * data.desync((n) => void n.value++);
   * const drained = data.close();
   * assert.equal(data.closed, true);
   * await drained;
   * ```
   */
  get closed(): boolean {
    return this.#queue.closed;
  }

  /**
   * This object's handler for errors of fire-and-forget jobs (set with the
   * `onError` option or here); `undefined` defers to the scheduler's. See
   * {@linkcode ErrorHandler}.
   *
   * @returns The object's own handler, if any.
   * @throws {TypeError} If set to something other than a function or `undefined`.
   *
   * @example Setting a handler later
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * assert.equal(data.onError, undefined); // defers to the scheduler's
   * const errors: unknown[] = [];
   * data.onError = (error) => errors.push(error);
   * data.desync(() => {
   *   throw new Error("lost");
   * });
   * await data.close();
   * assert.equal(errors.length, 1);
   * ```
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

  /**
   * Custom output for Deno's `inspect`.
   *
   * @ignore
   */
  [DENO_INSPECT](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return inspectAs("Desync", this.#fields(), inspect, options);
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
    return inspectAs("Desync", this.#fields(), inspect, options);
  }
}
