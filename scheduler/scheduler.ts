// Copyright 2026 the desync authors. MIT license.
// Scheduler, scheduler() and queue(): what decides when queued jobs run.

import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "../_engine/platform.ts";
import { QueueCore } from "../_engine/queue_core.ts";
import { SchedulerCore } from "../_engine/scheduler_core.ts";
import type { ErrorHandler } from "../_engine/types.ts";
import { assertConcurrency, assertFunction, assertOptions } from "../_engine/validate.ts";
import { type JobQueue, type QueueOptions, wrapQueue } from "./job_queue.ts";

/**
 * Options for {@linkcode Scheduler}. An unknown key throws a `TypeError`.
 *
 * @example A scheduler for a group of objects
 * ```ts
 * import { Desync, Scheduler, type SchedulerOptions } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const options: SchedulerOptions = { maxConcurrency: 4, onError: (e) => console.error(e) };
 * const io = new Scheduler(options);
 * const cache = new Desync(new Map<string, string>(), { scheduler: io });
 * assert.equal(cache.scheduler.maxConcurrency, 4);
 * ```
 */
export interface SchedulerOptions {
  /**
   * How many queues may have an async job in flight at once before
   * background work (`desync`, `futureDesync`, `after`, pipe items) stops
   * starting: the JavaScript reading of Rust's `set_max_threads`. A
   * non-negative integer, or `Infinity`. Foreground work, where a caller
   * waits for the result (`sync`, `trySync`, `futureSync`, awaiting a
   * `SchedulerFuture`, `close`, `suspend`), is pulled on the caller's behalf,
   * with the jobs ahead of it, whatever the budget and in every mode, just as
   * Rust's `sync` and an awaited future run the queue on the calling thread.
   * That is what makes a job waiting for another object deadlock-free. So
   * the budget bounds the work nobody waits for; to wait for background work
   * without pulling it, use `runUntilIdle()`. `0` is manual mode: background
   * work never starts on its own; step it with `runReady()` or
   * `runUntilIdle()`, or pull it by awaiting.
   *
   * @default {Infinity}
   *
   * @example At most one async job in flight
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const oneAtATime = new Scheduler({ maxConcurrency: 1 });
   * const a = new Desync(0, { scheduler: oneAtATime });
   * const b = new Desync(0, { scheduler: oneAtATime });
   * let started = () => {};
   * const aStarted = new Promise<void>((resolve) => (started = resolve));
   * a.desync(() => {
   *   started();
   *   return new Promise((resolve) => setTimeout(resolve, 5));
   * });
   * b.desync((n) => void n.value++);
   * await aStarted; // a's job is in flight: the budget is full
   * assert.equal(b.queued, 1); // b waits for it to finish
   * await oneAtATime.runUntilIdle();
   * assert.equal(b.queued, 0);
   * ```
   */
  maxConcurrency?: number;
  /**
   * Receives the errors of fire-and-forget jobs (`desync`, detached futures)
   * of this scheduler's queues, unless the `Desync` or queue has its own
   * handler. Without one, they go to `reportError`, which ends the process on
   * Deno and Node like an uncaught exception. See {@linkcode ErrorHandler}.
   *
   * @default {reportError}
   *
   * @example Logging every background failure of a group of objects
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const errors: unknown[] = [];
   * const logged = new Scheduler({ onError: (error) => errors.push(error) });
   * const data = new Desync(0, { scheduler: logged });
   * data.desync(() => {
   *   throw new Error("lost");
   * });
   * await data.close();
   * assert.equal((errors[0] as Error).message, "lost");
   * ```
   */
  onError?: ErrorHandler;
}

let schedulerCoreOf: (value: unknown) => SchedulerCore | undefined;

/**
 * Decides when queued jobs run. Most programs use the global one
 * ({@linkcode scheduler}); create your own to give a group of queues its own
 * concurrency budget or error handler, or to test in manual mode.
 *
 * Everything runs on the caller's thread: "background" means later, not
 * elsewhere. A job's synchronous code blocks the event loop while it runs,
 * so a job that computes for 200 ms stalls timers and I/O for 200 ms; only
 * between jobs can the scheduler give the event loop a turn. Its policy:
 *
 * - Background jobs start in a microtask (or after the event loop's turn,
 *   when one is due), while the concurrency budget allows.
 * - Queues with work are served round-robin, up to 64 jobs at a time, so a
 *   backlog on one queue does not hold up another.
 * - The event loop gets a turn (a macrotask) at least every ~4 ms of work,
 *   plus the duration of the job running at that moment. To keep trivial
 *   jobs cheap, the clock is read after each of the first jobs of a window,
 *   then after every 2, 4, ... up to 64 jobs while they prove short. The one
 *   blind spot: if, within one window, many short jobs give way to long
 *   ones, up to 64 long jobs may run before the scheduler yields.
 * - Background work starts only while fewer than `maxConcurrency` queues
 *   have an async job in flight. Foreground work (a caller waiting in
 *   `sync`, `futureSync`, an awaited future, `close`, `suspend`) is never
 *   held back by that budget, so nested waits cannot deadlock (see
 *   {@linkcode SchedulerOptions.maxConcurrency}).
 *
 * @example Manual mode for deterministic tests
 * ```ts
 * import { Desync, Scheduler } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const manual = new Scheduler({ maxConcurrency: 0 });
 * const counter = new Desync(0, { scheduler: manual });
 * counter.desync((n) => void n.value++);
 * await Promise.resolve();
 * assert.equal(counter.queued, 1); // nothing runs in the background
 * assert.equal(manual.runReady(), 1);
 * assert.equal(counter.sync((n) => n.value), 1);
 * ```
 *
 * @example A concurrency budget across many objects
 * ```ts
 * import { Desync, Scheduler } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const twoAtATime = new Scheduler({ maxConcurrency: 2 });
 * let active = 0, peak = 0;
 * const accounts = Array.from({ length: 5 }, () => new Desync(0, { scheduler: twoAtATime }));
 * for (const account of accounts) {
 *   account.desync(async (balance) => {
 *     peak = Math.max(peak, ++active);
 *     await new Promise((resolve) => setTimeout(resolve, 1));
 *     balance.value += 10;
 *     active--;
 *   });
 * }
 * await twoAtATime.runUntilIdle(); // waits without pulling anything
 * assert.equal(peak, 2);
 * ```
 */
export class Scheduler {
  #core: SchedulerCore;

  /**
   * Creates a scheduler with its own concurrency budget and error handler.
   *
   * @param options See {@linkcode SchedulerOptions}.
   * @throws {TypeError} If an option has the wrong type, or is not one of these options.
   * @throws {RangeError} If `maxConcurrency` is negative, NaN or not an integer.
   *
   * @example A scheduler for deterministic tests
   * ```ts
   * import { Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * assert.equal(manual.manual, true);
   * assert.throws(() => new Scheduler({ maxConcurrency: -1 }), RangeError);
   * ```
   */
  constructor(options?: SchedulerOptions) {
    assertOptions(options, "new Scheduler", ["maxConcurrency", "onError"]);
    const maxConcurrency = options?.maxConcurrency === undefined
      ? Infinity
      : options.maxConcurrency;
    assertConcurrency(maxConcurrency, "options.maxConcurrency", "new Scheduler");
    const onError = options?.onError;
    if (onError !== undefined) assertFunction(onError, "new Scheduler", "options.onError");
    this.#core = new SchedulerCore(this, maxConcurrency, onError);
  }

  static {
    schedulerCoreOf = (value) =>
      typeof value === "object" && value !== null && #core in value
        ? (value as Scheduler).#core
        : undefined;
  }

  /**
   * How many queues may have an async job in flight before background work
   * stops starting; `0` means manual mode (see
   * {@linkcode SchedulerOptions.maxConcurrency}). Can be changed at any time:
   * raising it starts waiting jobs at once.
   *
   * @returns The current budget.
   * @throws {TypeError} If set to a non-number.
   * @throws {RangeError} If set to a negative or fractional number, or NaN.
   *
   * @example Leaving manual mode
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ maxConcurrency: 0 });
   * const counter = new Desync(0, { scheduler });
   * counter.desync((n) => void n.value++);
   * scheduler.maxConcurrency = Infinity; // the waiting job starts on its own
   * await scheduler.runUntilIdle(); // waits without pulling anything
   * assert.equal(counter.sync((n) => n.value), 1);
   * ```
   */
  get maxConcurrency(): number {
    return this.#core.maxConcurrency;
  }

  set maxConcurrency(value: number) {
    assertConcurrency(value, "maxConcurrency");
    const core = this.#core;
    core.maxConcurrency = value;
    if (value > 0 && core.ready.length > 0) core.requestDrain();
  }

  /**
   * Whether this scheduler is in manual mode (`maxConcurrency === 0`).
   *
   * @returns `true` in manual mode.
   *
   * @example Manual mode is a budget of zero
   * ```ts
   * import { Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ maxConcurrency: 0 });
   * assert.equal(scheduler.manual, true);
   * scheduler.maxConcurrency = 2;
   * assert.equal(scheduler.manual, false);
   * ```
   */
  get manual(): boolean {
    return this.#core.maxConcurrency === 0;
  }

  /**
   * How many queues currently have an async job in flight (a job whose
   * promise is pending), background or foreground.
   *
   * @returns The number of queues held by an async job.
   *
   * @example Counting async jobs in flight
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler();
   * const data = new Desync(0, { scheduler });
   * let started = () => {};
   * const running = new Promise<void>((resolve) => (started = resolve));
   * const done = data.futureSync(() => {
   *   started();
   *   return new Promise((resolve) => setTimeout(resolve, 1));
   * });
   * await running;
   * assert.equal(scheduler.inFlight, 1);
   * await done;
   * assert.equal(scheduler.inFlight, 0);
   * ```
   */
  get inFlight(): number {
    return this.#core.inFlight;
  }

  /**
   * The handler for errors of fire-and-forget jobs of this scheduler's
   * queues that have no handler of their own. `undefined` means
   * `reportError` (or an uncaught exception where there is none), which ends
   * the process on Deno and Node. See {@linkcode ErrorHandler}.
   *
   * @returns The scheduler's handler, if any.
   * @throws {TypeError} If set to something other than a function or `undefined`.
   *
   * @example Installing a handler on the global scheduler
   * ```ts
   * import { scheduler } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const shared = scheduler();
   * const previous = shared.onError;
   * shared.onError = (error) => console.error("background job failed:", error);
   * assert.equal(typeof shared.onError, "function");
   * shared.onError = previous;
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
   * Creates an empty job queue run by this scheduler (Rust's
   * `create_job_queue`).
   *
   * @param options See {@linkcode QueueOptions}.
   * @returns A new queue.
   * @throws {TypeError} If an option has the wrong type, or is not one of these options.
   *
   * @example A queue on a scheduler of its own
   * ```ts
   * import { Scheduler, sync } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const q = manual.queue();
   * assert.equal(q.scheduler, manual);
   * assert.equal(sync(q, () => "ran"), "ran");
   * ```
   */
  queue(options?: QueueOptions): JobQueue {
    assertOptions(options, "queue", ["onError"]);
    const onError = options?.onError;
    if (onError !== undefined) assertFunction(onError, "queue", "options.onError");
    return wrapQueue(new QueueCore(this.#core, undefined, onError));
  }

  /**
   * Runs every job that is ready now, on the caller's stack, ignoring the
   * concurrency and time budgets, until no queue of this scheduler has a job
   * that can start. Async jobs are started, not awaited. Meant for manual
   * mode, where it is how background work is stepped. Jobs scheduled by the
   * jobs it runs are run too, so a job that keeps scheduling another keeps it
   * running.
   *
   * @returns How many jobs started.
   *
   * @example Stepping background work in manual mode
   * ```ts
   * import { Scheduler } from "@desync/desync";
   * import { desync } from "@desync/desync/scheduler";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const q = manual.queue();
   * const seen: string[] = [];
   * desync(q, () => seen.push("a"));
   * desync(q, () => seen.push("b"));
   * assert.deepEqual(seen, []);
   * assert.equal(manual.runReady(), 2);
   * assert.deepEqual(seen, ["a", "b"]);
   * ```
   */
  runReady(): number {
    return this.#core.runReady();
  }

  /**
   * Resolves once no queue of this scheduler has a job ready to run or in
   * progress (an async job in flight, or an `after` waiting for its
   * promise). In manual mode it runs the ready jobs itself, waiting for async
   * jobs as needed, which makes it the way to settle everything in a test.
   * Suspended queues do not count: they wait for `resume()`.
   *
   * @returns A promise that resolves when the scheduler is idle.
   *
   * @example Settling everything in a test
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const data = new Desync<number[]>([], { scheduler: manual });
   * data.desync(async (list) => {
   *   await Promise.resolve();
   *   list.value.push(1);
   * });
   * data.desync((list) => void list.value.push(2));
   * await manual.runUntilIdle();
   * assert.deepEqual(data.sync((list) => list.value), [1, 2]);
   * ```
   */
  async runUntilIdle(): Promise<void> {
    const core = this.#core;
    for (;;) {
      if (core.maxConcurrency === 0) core.runReady();
      if (core.idle) return;
      await core.nextProgress();
    }
  }

  #fields(): Record<string, unknown> {
    const core = this.#core;
    return { maxConcurrency: core.maxConcurrency, inFlight: core.inFlight, manual: this.manual };
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
    return inspectAs("Scheduler", this.#fields(), inspect, options);
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
    return inspectAs("Scheduler", this.#fields(), inspect, options);
  }
}

let globalScheduler: Scheduler | undefined;

/**
 * The process-wide scheduler used by {@linkcode queue} and by `Desync`s
 * created without a `scheduler` option.
 *
 * @returns The global scheduler.
 *
 * @example The same scheduler every time
 * ```ts
 * import { scheduler } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scheduler(), scheduler());
 * assert.equal(scheduler().maxConcurrency, Infinity);
 * ```
 */
export function scheduler(): Scheduler {
  return globalScheduler ??= new Scheduler();
}

/**
 * The core of a Scheduler, or a TypeError naming the argument.
 * @internal Not re-exported: for the other areas of the package.
 */
export function schedulerCore(value: unknown, method: string, name: string): SchedulerCore {
  const core = schedulerCoreOf(value);
  if (core === undefined) throw new TypeError(`${method}(): "${name}" must be a Scheduler`);
  return core;
}

/**
 * The core of the global scheduler.
 * @internal Not re-exported: for the other areas of the package.
 */
export function globalSchedulerCore(): SchedulerCore {
  return schedulerCoreOf(scheduler())!;
}

/**
 * Creates an empty queue on the global scheduler.
 *
 * @param options See {@linkcode QueueOptions}.
 * @returns A new queue.
 * @throws {TypeError} If an option has the wrong type, or is not one of these options.
 *
 * @example A queue on the global scheduler
 * ```ts
 * import { queue, sync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sync(queue(), () => "ran"), "ran");
 * ```
 */
export function queue(options?: QueueOptions): JobQueue {
  return scheduler().queue(options);
}
