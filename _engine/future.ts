// Copyright 2026 the desync authors. MIT license.
/**
 * {@linkcode SchedulerFuture}, the awaitable handed out by `futureDesync` and
 * `after`, and {@linkcode QueueResumer}, handed out by `suspend`.
 *
 * @module
 */

import { FULFILLED, type Job, PENDING, REJECTED } from "./job.ts";
import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "./platform.ts";
import type { QueueCore } from "./queue_core.ts";
import { WouldBlockError } from "./errors.ts";

const ignore = () => {};

// The engine's access to these classes' private state, filled in by their
// static blocks below (private names can only be read inside the class body).
let newFuture: <T>(queue: QueueCore, job: Job, promise: Promise<T>) => SchedulerFuture<T>;
let futureParts: (value: unknown) => SchedulerFuture<unknown> | undefined;
let queueOfFuture: (future: SchedulerFuture<unknown>) => QueueCore;
let promiseOfFuture: (future: SchedulerFuture<unknown>) => Promise<unknown>;
let pullFuture: (future: SchedulerFuture<unknown>) => void;
let newResumer: (resume: () => boolean) => QueueResumer;

/** Wraps a job's promise in the SchedulerFuture handed to the caller. */
export function createFuture<T>(
  queue: QueueCore,
  job: Job,
  promise: Promise<T>,
): SchedulerFuture<T> {
  return newFuture(queue, job, promise);
}

/** The value as a SchedulerFuture, or undefined for anything else. */
export function asFuture(value: unknown): SchedulerFuture<unknown> | undefined {
  return futureParts(value);
}

/** The queue a SchedulerFuture's job runs on. */
export function futureQueue(future: SchedulerFuture<unknown>): QueueCore {
  return queueOfFuture(future);
}

/** The promise inside a SchedulerFuture: observing it does not pull its queue. */
export function futurePromise(future: SchedulerFuture<unknown>): Promise<unknown> {
  return promiseOfFuture(future);
}

/** Drives a SchedulerFuture's queue up to its job, as awaiting it does. */
export function pull(future: SchedulerFuture<unknown>): void {
  pullFuture(future);
}

/** Creates the QueueResumer that `suspend` resolves with. */
export function createResumer(resume: () => boolean): QueueResumer {
  return newResumer(resume);
}
/** Proves that a construction comes from this module, not from user code. */
const INTERNAL = Symbol("desync internal");

/**
 * The result of a job scheduled with `futureDesync` or `after`: awaitable
 * like a promise, and the job runs whether or not anyone awaits it.
 *
 * - `await future` (or `then`, `catch`, `finally`) gives the job's result or
 *   its error.
 * - {@linkcode SchedulerFuture.detach} says "I will not look at the result":
 *   no unhandled rejection is raised, and an error goes to the error handler
 *   of the `Desync` or scheduler instead.
 * - A future that is neither awaited nor detached and whose job fails raises
 *   an unhandled rejection, as a forgotten promise would: errors are never
 *   silent.
 * - The job is background work: left alone, it starts when the scheduler's
 *   concurrency budget allows. Awaiting it (`await`, `then`, `catch`,
 *   `finally`) makes it foreground work, as polling a Rust `SchedulerFuture`
 *   does: its queue is pulled up to this job (the jobs ahead first) whatever
 *   the budget, in every mode including manual mode (`maxConcurrency: 0`),
 *   so a job can await another object's future without deadlock. A detached
 *   future in manual mode waits until the scheduler is stepped or its queue
 *   is pulled.
 * - {@linkcode SchedulerFuture.sync} gets the result synchronously when the
 *   job can run to completion on the caller's stack.
 *
 * SchedulerFutures are created by desync; they cannot be constructed directly.
 *
 * @typeParam T The job's result.
 *
 * @example Awaiting and detaching
 * ```ts
 * import { Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const log = new Desync<string[]>([]);
 * const length = log.futureDesync((lines) => lines.value.push("started"));
 * assert.equal(await length, 1);
 *
 * log.futureDesync((lines) => lines.value.push("in the background")).detach();
 * assert.deepEqual(log.sync((lines) => lines.value), ["started", "in the background"]);
 * ```
 */
export class SchedulerFuture<T> implements PromiseLike<T> {
  #queue: QueueCore;
  #job: Job;
  #promise: Promise<T>;

  /**
   * Internal: `futureDesync` and `after` create futures.
   *
   * @ignore
   */
  private constructor(token: symbol, queue: QueueCore, job: Job, promise: Promise<T>) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "SchedulerFuture cannot be constructed directly: futureDesync() and after() return one",
      );
    }
    this.#queue = queue;
    this.#job = job;
    this.#promise = promise;
  }

  static {
    newFuture = (queue, job, promise) => new SchedulerFuture(INTERNAL, queue, job, promise);
    futureParts = (value) =>
      typeof value === "object" && value !== null && #queue in value
        ? value as SchedulerFuture<unknown>
        : undefined;
    queueOfFuture = (future) => future.#queue;
    promiseOfFuture = (future) => future.#promise;
    pullFuture = (future) => future.#pull();
  }

  /**
   * Whether the job has finished, successfully or not (or was cancelled).
   *
   * @returns `true` once the job's outcome is known.
   *
   * @example Before and after the job ran
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const counter = new Desync(1);
   * const doubled = counter.futureDesync((n) => (n.value *= 2));
   * assert.equal(doubled.done, false); // scheduled, not run yet
   * await doubled;
   * assert.equal(doubled.done, true);
   * ```
   */
  get done(): boolean {
    return this.#job.status !== PENDING;
  }

  /**
   * Attaches callbacks for the job's result, like `Promise.prototype.then`
   * (and so `await`). This makes the job foreground work: its queue is
   * pulled up to it at once, whatever the concurrency budget, in manual mode
   * too.
   *
   * @typeParam A Result of `onfulfilled`.
   * @typeParam B Result of `onrejected`.
   * @param onfulfilled Called with the job's result.
   * @param onrejected Called with the job's error.
   * @returns A promise for the callback's result.
   *
   * @example Awaiting pulls the job, even in manual mode
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const data = new Desync(20, { scheduler: manual });
   * const future = data.futureDesync((n) => n.value + 1);
   * // Nothing runs on its own in manual mode, but awaiting pulls the job:
   * assert.equal(await future.then((n) => n * 2), 42);
   * ```
   */
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#pull();
    return this.#promise.then(onfulfilled, onrejected);
  }

  /**
   * Attaches a callback for the job's error, like `Promise.prototype.catch`.
   * Like `then`, it pulls the job's queue up to the job.
   *
   * @typeParam B Result of `onrejected`.
   * @param onrejected Called with the job's error.
   * @returns A promise for the result or the callback's result.
   *
   * @example Recovering from a failed job
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const stock = new Desync(0);
   * const taken = await stock.futureDesync((s) => {
   *   if (s.value === 0) throw new Error("out of stock");
   *   return --s.value;
   * }).catch(() => -1);
   * assert.equal(taken, -1);
   * ```
   */
  catch<B = never>(
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<T | B> {
    return this.then(undefined, onrejected);
  }

  /**
   * Attaches a callback for when the job settles, like
   * `Promise.prototype.finally`. Like `then`, it pulls the job's queue up to
   * the job.
   *
   * @param onfinally Called when the job finished either way.
   * @returns A promise that settles like the job.
   *
   * @example Cleaning up whatever the outcome
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * let busy = true;
   * const result = await data.futureDesync((n) => ++n.value).finally(() => (busy = false));
   * assert.equal(result, 1);
   * assert.equal(busy, false);
   * ```
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    this.#pull();
    return this.#promise.finally(onfinally);
  }

  /**
   * Leaves the job to run in the background without observing its result.
   * If it fails, the error goes to the error handler (the `Desync`'s
   * `onError`, else the scheduler's, else `reportError`) instead of becoming an
   * unhandled rejection. A job cancelled through its signal is not an error
   * and is not reported. Calling it again has no further effect. It does not
   * pull the job: it runs as background work, when the scheduler's budget
   * allows.
   *
   * @example Sending a failure to the object's error handler
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const errors: unknown[] = [];
   * const data = new Desync(0, { onError: (error) => errors.push(error) });
   * data.futureDesync(() => {
   *   throw new Error("boom");
   * }).detach();
   * await data.close();
   * assert.equal((errors[0] as Error).message, "boom");
   * ```
   */
  detach(): void {
    const job = this.#job;
    if (job.detached) return;
    job.detached = true;
    this.#promise.catch(ignore); // observed from now on by the error handler instead
    if (job.status === REJECTED && !job.cancelled) {
      this.#queue.reportFailure(job, job.value);
    }
  }

  /**
   * Returns the job's result synchronously: at once if it has finished,
   * otherwise by running the jobs ahead of it and then the job itself on the
   * caller's stack (Rust's `SchedulerFuture::sync`, without waiting for jobs
   * scheduled after it).
   *
   * @returns The job's result.
   * @throws {WouldBlockError} If that needs waiting: an async job is in
   * flight or queued ahead, the queue is suspended, or this job is async.
   * @throws {ReentrancyError} If called from inside a job of the same queue.
   * @throws {unknown} The job's own error, if it failed.
   *
   * @example Reading the result without awaiting
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const number = new Desync(0);
   * const answer = number.futureDesync((n) => (n.value = 42));
   * assert.equal(answer.sync(), 42);
   * ```
   */
  sync(): T {
    const job = this.#job;
    if (job.status === PENDING) {
      const queue = this.#queue;
      try {
        queue.runThrough(job.seq, "SchedulerFuture.sync");
      } finally {
        queue.restoreInvariants();
      }
    }
    if (job.status === PENDING) {
      throw new WouldBlockError(
        "SchedulerFuture.sync(): the job is async and still running; await it instead",
      );
    }
    if (job.status === FULFILLED) return job.value as T;
    this.#promise.catch(ignore); // delivered by the throw below
    throw job.value;
  }

  /**
   * The string tag, `"SchedulerFuture"`, as `Object.prototype.toString` shows it.
   *
   * @returns `"SchedulerFuture"`.
   *
   * @example Telling a future from a promise
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const future = new Desync(0).futureDesync((n) => n.value);
   * assert.equal(Object.prototype.toString.call(future), "[object SchedulerFuture]");
   * assert.equal(await future, 0);
   * ```
   */
  get [Symbol.toStringTag](): string {
    return "SchedulerFuture";
  }

  /**
   * Awaiting makes the job foreground work, as polling a Rust SchedulerFuture
   * claims its queue: the queue is driven up to this job whatever the
   * concurrency budget (and in manual mode), so a job that holds the
   * budget's last slot can await another object's future without deadlock.
   */
  #pull(): void {
    const job = this.#job;
    if (job.status === PENDING) this.#queue.scheduler.pull(this.#queue, job.seq);
  }

  #fields(): Record<string, unknown> {
    const job = this.#job;
    const state = job.status === PENDING
      ? "pending"
      : job.status === FULFILLED
      ? "fulfilled"
      : "rejected";
    return job.status === PENDING ? { state } : { state, value: job.value };
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
    return inspectAs("SchedulerFuture", this.#fields(), inspect, options);
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
    return inspectAs("SchedulerFuture", this.#fields(), inspect, options);
  }
}

// Safety net: a resumer that is garbage-collected without being called resumes
// its queue, as dropping Rust's QueueResumer does. Call resume() or `using`;
// collection may come late or never.
const abandoned = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<() => boolean>((resume) => resume())
  : undefined;

/**
 * Hands control of a suspended queue back: returned (in a promise) by
 * `suspend`, once every job scheduled before the suspension has run. Jobs
 * scheduled after it wait until {@linkcode QueueResumer.resume} is called.
 * It is `Disposable`, so `using` resumes at the end of the scope. As a safety
 * net, a resumer that is garbage-collected without being called resumes its
 * queue (as dropping Rust's `QueueResumer` does), but collection may come
 * late or never: call `resume()` or use `using`.
 *
 * QueueResumers are created by desync; they cannot be constructed directly.
 *
 * @example Suspend while preparing something, resume on scope exit
 * ```ts
 * import { Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const state = new Desync("initial");
 * {
 *   using _paused = await state.suspend();
 *   state.desync((s) => {
 *     s.value += " then resumed";
 *   });
 *   assert.equal(state.queued, 1); // waits for the resume
 * }
 * assert.equal(await state.futureSync((s) => s.value), "initial then resumed");
 * ```
 */
export class QueueResumer implements Disposable {
  #resume: (() => boolean) | null;

  /**
   * Internal: `suspend` creates resumers.
   *
   * @ignore
   */
  private constructor(token: symbol, resume: () => boolean) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "QueueResumer cannot be constructed directly: suspend() resolves with one",
      );
    }
    this.#resume = resume;
  }

  static {
    newResumer = (resume) => {
      const resumer = new QueueResumer(INTERNAL, resume);
      abandoned?.register(resumer, resume, resumer);
      return resumer;
    };
  }

  /**
   * Whether {@linkcode QueueResumer.resume} was called.
   *
   * @returns `true` once the queue was handed back.
   *
   * @example Before and after resuming
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * const resumer = await data.suspend();
   * assert.equal(resumer.resumed, false);
   * resumer.resume();
   * assert.equal(resumer.resumed, true);
   * ```
   */
  get resumed(): boolean {
    return this.#resume === null;
  }

  /**
   * Lets the queue run the jobs scheduled after the suspension. Calling it
   * again has no effect.
   *
   * @example Holding jobs back while something is prepared
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const door = new Desync("closed");
   * const resumer = await door.suspend();
   * door.desync((d) => void (d.value = "open"));
   * assert.equal(door.suspended, true); // the job waits
   * resumer.resume();
   * assert.equal(await door.futureSync((d) => d.value), "open");
   * ```
   */
  resume(): void {
    const resume = this.#resume;
    if (resume === null) return;
    this.#resume = null;
    abandoned?.unregister(this);
    resume();
  }

  /**
   * Resumes the queue; called by `using` at the end of the scope.
   *
   * @example Resuming on scope exit
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync(0);
   * {
   *   using _resumer = await data.suspend();
   *   assert.equal(data.suspended, true);
   * }
   * assert.equal(data.suspended, false);
   * ```
   */
  [Symbol.dispose](): void {
    this.resume();
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
    return inspectAs("QueueResumer", { resumed: this.resumed }, inspect, options);
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
    return inspectAs("QueueResumer", { resumed: this.resumed }, inspect, options);
  }
}
