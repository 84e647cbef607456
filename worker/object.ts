// Copyright 2026 the desync authors. MIT license.
// WorkerDesync<T>: the main thread's handle on an object hosted in a worker.
//
// Object lifecycle and its invariants (ObjectState.status):
// - live: accepts jobs. Construction was its first job; if it failed,
//   `failed` is set and every job fails with that error.
// - closing: close() was called; new jobs throw ClosedError; the worker
//   drains the object's jobs, disposes the instance and frees it.
// - closed: the worker freed it, or the pool stopped its worker.
// - crashed: its worker died; every pending job rejected with the
//   WorkerCrashedError, which every later operation throws.
// Every promise handed out is settled by the job's reply or by the worker's
// end (connection.ts), never left waiting.

import { ClosedError } from "../_engine/errors.ts";
import type { ErrorHandler, JobOptions } from "../_engine/types.ts";
import { assertFunction, assertOptions, describe, optionalSignal } from "../_engine/validate.ts";
import type { Job, ObjectState } from "./connection.ts";
import { AFTER, CALL, CANCELLABLE, CLOSE, REFERENCES, SETTLE } from "./protocol.ts";
import { DeadlockError, serializeError, WorkerCrashedError } from "./errors.ts";
import { cannotBlock, wouldBlock } from "./blocking.ts";
import type { Method, MethodArgs, MethodResult } from "./types.ts";
import { TOKEN, WorkerFuture } from "./future.ts";
import { refuseFull } from "./queue_full.ts";
import { encodeReferences } from "./refs.ts";

let stateOf: (value: unknown) => ObjectState | undefined;

/** The object behind a WorkerDesync handle; `undefined` for anything else. @internal */
export function handleState(value: unknown): ObjectState | undefined {
  return stateOf(value);
}

/** Whether a WorkerDesync is among `args` (references travel encoded, see refs.ts). */
function hasReference(args: readonly unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === "object" && arg instanceof WorkerDesync) return true;
  }
  return false;
}
import { type PipePlan, REMOTE_PIPE } from "../_engine/remote_pipe.ts";
import { planRemotePipe } from "./pipe.ts";
import { takeTransfer } from "./transfer.ts";

/** What an object needs from its pool. @internal */
export interface PoolLink {
  /** An error with no caller: the object's onError, else the pool's, else reportError. */
  report(error: unknown, object: ObjectState | undefined): void;
  /** The method names of a class, once a worker has said. */
  methods(className: string): readonly string[] | undefined;
  /** The object was freed in its worker. */
  released(object: ObjectState): void;
}

const ignore = () => {};
/** Objects whose crash has gone to the error handlers (once per object). */
const crashReported = new WeakSet<ObjectState>();
let nextJob = 1;
/** Job.what for each scheduling method, made once rather than per job (bursts are the hot path). */
const WHAT: Record<string, string> = {
  desync: "WorkerDesync.desync",
  futureSync: "WorkerDesync.futureSync",
  after: "WorkerDesync.after",
};

/** A fresh job id (unique in this thread). @internal */
export function jobId(): number {
  return nextJob++;
}

/** A promise with its settlers (Node 20 has no Promise.withResolvers). */
function resolvers<T>(): [Promise<T>, (value: T) => void, (error: unknown) => void] {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return [promise, resolve, reject];
}

/** Closes an object: drains it in its worker, disposes and frees the instance. @internal */
export function closeObject(state: ObjectState & { closing?: Promise<void> }, link: PoolLink) {
  if (state.closing !== undefined) return state.closing;
  if (state.status !== "live") return (state.closing = Promise.resolve());
  state.status = "closing";
  // The pipes into it stop reading and send what they took, ahead of the CLOSE.
  if (state.closeListeners !== undefined) {
    for (const listener of state.closeListeners) {
      listener();
    }
  }
  const [promise, resolve, reject] = resolvers<void>();
  const done = () => {
    if (state.status === "closing") state.status = "closed";
    link.released(state);
  };
  const job: Job = {
    id: jobId(),
    object: state,
    resolve: () => {
      done();
      resolve();
    },
    reject: (error) => {
      done();
      // A crash or a pool stop while closing still leaves it closed.
      if (error instanceof ClosedError || state.status === "crashed") resolve();
      else reject(error);
    },
    settled: false,
    op: -1,
    what: "WorkerDesync.close",
    method: undefined,
    cleanup: undefined,
  };
  state.conn.send(job, [CLOSE, state.id, job.id]);
  return (state.closing = promise);
}

/**
 * An object whose state lives in a worker, made by
 * {@linkcode WorkerPool.create}. Its jobs are calls of the instance's methods,
 * by name: they run in the worker one at a time, in the order scheduled
 * (an async method holds the object until it settles), in parallel with the
 * main thread and with objects on other workers. Arguments and results cross
 * the thread by structured clone.
 *
 * - {@linkcode WorkerDesync.desync}: fire and forget.
 * - {@linkcode WorkerDesync.futureSync}, {@linkcode WorkerDesync.futureDesync},
 *   {@linkcode WorkerDesync.after}: promise forms.
 * - {@linkcode WorkerDesync.sync}: blocks until the job ran, on Deno, Node
 *   and Bun (a browser's main thread throws `WouldBlockError`).
 * - {@linkcode WorkerDesync.withOptions}: the same object with a `signal` for
 *   the jobs scheduled through it.
 * - {@linkcode WorkerDesync.close}, `await using`: drain, dispose, free.
 * - Passed as an argument to a method of an object on the same worker (see
 *   `near` in {@linkcode CreateOptions}), it arrives there as its object's
 *   own local `Desync` (see {@linkcode Reference}).
 *
 * @typeParam T The hosted instance's type.
 *
 * @example A counter in a worker
 * ```ts
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * await using counter = pool.create("Counter", 5);
 * counter.desync("add", 1);
 * assert.equal(await counter.futureSync("get"), 6);
 * ```
 */
export class WorkerDesync<T> {
  /**
   * Never set: it makes `T` part of the type, so that a `WorkerDesync<Bank>`
   * is not taken for a `WorkerDesync<Account>` (every other use of `T` is in
   * a generic method, which TypeScript does not compare).
   */
  #type?: T;
  #state: ObjectState & { closing?: Promise<void> };
  #link: PoolLink;
  #ready: Promise<void>;
  #signal: AbortSignal | undefined;

  static {
    stateOf = (value) =>
      typeof value === "object" && value !== null && #state in value
        ? (value as WorkerDesync<unknown>).#state
        : undefined;
  }

  /**
   * Internal: {@linkcode WorkerPool.create} makes these.
   *
   * @ignore
   */
  constructor(
    token: symbol,
    state: ObjectState,
    link: PoolLink,
    ready: Promise<void>,
    signal: AbortSignal | undefined,
  ) {
    if (token !== TOKEN) throw new TypeError("use WorkerPool.create() to make a WorkerDesync");
    this.#state = state;
    this.#link = link;
    this.#ready = ready;
    this.#signal = signal;
    // The stand-in for every untracked desync() job of the object (see desync()).
    if (signal === undefined) {
      state.fireAndForget ??= {
        id: -state.id,
        object: state,
        resolve: ignore,
        reject: this.#desyncFailed,
        settled: false,
        op: -1,
        what: WHAT.desync,
        method: undefined,
        cleanup: undefined,
      };
    }
  }

  /**
   * Resolves once the instance is constructed in its worker; rejects with
   * the constructor's error (every job of the object fails with it too) or
   * with a `WorkerCrashedError`. Nobody needs to await it: jobs queue behind
   * the construction.
   *
   * @returns The construction's promise.
   *
   * @example A constructor that throws
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const bad = pool.create("Counter", -1); // the constructor refuses negatives
   * await assert.rejects(bad.ready, /negative/);
   * await assert.rejects(bad.futureSync("get"), /negative/);
   * ```
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Calls `method` in the worker and returns at once, without waiting for
   * it. An error it throws goes to this object's `onError`, else the pool's
   * `onError`, else `reportError` (which ends the process on Deno and Node).
   *
   * @typeParam K The method's name.
   * @param method The method's name.
   * @param args Its arguments (structured-cloned).
   * @throws {TypeError} If `method` is not a method of the class.
   * @throws {ClosedError} If the object is closed or its pool stopped.
   * @throws {WorkerCrashedError} If the object's worker died.
   * @throws {QueueFullError} If the object already has `maxQueued` unanswered
   * jobs (see {@linkcode CreateOptions.maxQueued}).
   * @throws {TypeError} If an argument is a `WorkerDesync` of an object on
   * another worker (a reference, see {@linkcode Reference}); `ClosedError`
   * if that object is closed.
   *
   * @example Fire and forget, then read
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * for (let i = 0; i < 100; i++) counter.desync("add", 1);
   * assert.equal(await counter.futureSync("get"), 100);
   * ```
   */
  desync<K extends Method<T>>(method: K, ...args: MethodArgs<T, K>): void {
    const state = this.#state;
    if (
      this.#signal !== undefined || state.failed !== undefined ||
      state.queued >= state.maxQueued || hasReference(args)
    ) {
      this.#schedule("desync", CALL, method, args, ignore, this.#desyncFailed);
      return;
    }
    // Nothing to cancel and no caller to settle: the job is sent untracked, as
    // `-objectId` (no Job, no entry in the connection's pending map; the
    // worker answers it like any other), which is most of what a burst costs.
    this.#check("desync", method);
    state.conn.outbox.call(state.fireAndForget!, CALL, state.id, this.#wire(method), 0, args);
  }

  /**
   * Where a desync() job's (or a detached future's) error goes; one per
   * handle, not per job (bursts are the hot path).
   */
  readonly #desyncFailed = (error: unknown): void => {
    // Cancelling is not an error, and a stopped pool's jobs were given up by its owner.
    const signal = this.#signal;
    if (error instanceof ClosedError || (signal !== undefined && error === signal.reason)) return;
    if (error instanceof WorkerCrashedError) {
      // One death is one event: not one report per queued job (a burst would flood the handlers).
      if (crashReported.has(this.#state)) return;
      crashReported.add(this.#state);
    }
    this.#link.report(error, this.#state);
  };

  /**
   * Calls `method` in the worker and returns a promise of its (awaited)
   * result.
   *
   * @typeParam K The method's name.
   * @param method The method's name.
   * @param args Its arguments (structured-cloned).
   * @returns The method's result, or its error rebuilt as a
   * {@linkcode RemoteError}.
   * @throws {TypeError} If `method` is not a method of the class.
   * @throws {ClosedError} If the object is closed or its pool stopped.
   * @throws {WorkerCrashedError} If the object's worker died.
   * @throws {QueueFullError} If the object already has `maxQueued` unanswered
   * jobs (see {@linkcode CreateOptions.maxQueued}).
   * @throws {TypeError} If an argument is a `WorkerDesync` of an object on
   * another worker (a reference, see {@linkcode Reference}); `ClosedError`
   * if that object is closed.
   *
   * @example Awaiting a result
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 40);
   * assert.equal(await counter.futureSync("addAndGet", 2), 42);
   * ```
   */
  futureSync<K extends Method<T>>(
    method: K,
    ...args: MethodArgs<T, K>
  ): Promise<MethodResult<T, K>> {
    const [promise, resolve, reject] = resolvers<MethodResult<T, K>>();
    this.#schedule("futureSync", CALL, method, args, resolve as (v: unknown) => void, reject);
    return promise;
  }

  /**
   * Calls `method` in the worker as background work and returns its
   * {@linkcode WorkerFuture}: await it, or `detach()` it to send its error to
   * the error handlers. (Across a thread, foreground and background jobs run
   * alike: the difference is only in where an error goes.)
   *
   * @typeParam K The method's name.
   * @param method The method's name.
   * @param args Its arguments (structured-cloned).
   * @returns The job's future.
   * @throws {TypeError} If `method` is not a method of the class.
   * @throws {ClosedError} If the object is closed or its pool stopped.
   * @throws {WorkerCrashedError} If the object's worker died.
   * @throws {QueueFullError} If the object already has `maxQueued` unanswered
   * jobs (see {@linkcode CreateOptions.maxQueued}).
   * @throws {TypeError} If an argument is a `WorkerDesync` of an object on
   * another worker (a reference, see {@linkcode Reference}); `ClosedError`
   * if that object is closed.
   *
   * @example A background job, awaited later
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const future = counter.futureDesync("addAndGet", 3);
   * assert.equal(await future, 3);
   * ```
   */
  futureDesync<K extends Method<T>>(
    method: K,
    ...args: MethodArgs<T, K>
  ): WorkerFuture<MethodResult<T, K>> {
    const [promise, resolve, reject] = resolvers<MethodResult<T, K>>();
    this.#schedule("futureDesync", CALL, method, args, resolve as (v: unknown) => void, reject);
    return new WorkerFuture(TOKEN, promise, this.#reporter());
  }

  /**
   * Schedules `method` to run once `promise` (a promise of the main thread)
   * resolves, with its value as the first argument, followed by `args`. The
   * object is held from now on, in order: jobs scheduled later wait for it.
   * If `promise` rejects, the method does not run and the future rejects
   * with that reason.
   *
   * @typeParam K The method's name.
   * @param promise What the job waits for; its value must be cloneable.
   * @param method The method's name.
   * @param args The arguments after the promise's value.
   * @returns The job's future.
   * @throws {TypeError} If `promise` is not a thenable or `method` is not a
   * method of the class.
   * @throws {ClosedError} If the object is closed or its pool stopped.
   * @throws {WorkerCrashedError} If the object's worker died.
   * @throws {QueueFullError} If the object already has `maxQueued` unanswered
   * jobs (see {@linkcode CreateOptions.maxQueued}).
   * @throws {TypeError} If an argument is a `WorkerDesync` of an object on
   * another worker (a reference, see {@linkcode Reference}); `ClosedError`
   * if that object is closed.
   *
   * @example Adding an amount that arrives later
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 1);
   * const amount = new Promise<number>((resolve) => setTimeout(() => resolve(10), 5));
   * counter.after(amount, "add");
   * assert.equal(await counter.futureSync("get"), 11); // waited for the after() job
   * ```
   */
  after<K extends Method<T>>(
    promise: PromiseLike<MethodArgs<T, K>[0]>,
    method: K,
    ...args: MethodArgs<T, K> extends [unknown, ...infer Rest] ? Rest : []
  ): WorkerFuture<MethodResult<T, K>> {
    if (
      promise === null || typeof promise !== "object" && typeof promise !== "function" ||
      typeof (promise as PromiseLike<unknown>).then !== "function"
    ) {
      throw new TypeError(
        `WorkerDesync.after(): "promise" must be a promise or thenable, got ${describe(promise)}`,
      );
    }
    const [result, resolve, reject] = resolvers<MethodResult<T, K>>();
    const job = this.#schedule("after", AFTER, method, args, resolve as never, reject);
    if (job !== undefined) {
      const conn = this.#state.conn;
      // Until its value is on its way, a sync() behind this job would deadlock.
      const afters = this.#state.afters ??= new Set();
      afters.add(job);
      const cleanup = job.cleanup;
      job.cleanup = () => {
        afters.delete(job);
        cleanup?.();
      };
      Promise.resolve(promise).then(
        (value) => {
          afters.delete(job);
          if (!job.settled && conn.state !== "dead") {
            conn.send(undefined, [SETTLE, job.id, 1, value], undefined, takeTransfer(value));
          }
        },
        (reason) => {
          afters.delete(job);
          if (job.settled || conn.state === "dead") return;
          conn.send(undefined, [SETTLE, job.id, 0, serializeError(reason)]);
          job.settled = true; // the caller gets the reason itself, not its copy
          job.object.queued--;
          reject(reason);
        },
      );
    }
    return new WorkerFuture(TOKEN, result, this.#reporter());
  }

  /**
   * Calls `method` in the worker and blocks this thread until it has run,
   * then returns its (awaited) result or throws its error (rebuilt as for
   * `futureSync`: a {@linkcode RemoteError} keeping name, message, stack,
   * cause and own properties). The call runs after every job scheduled on
   * the object before it; an async method is awaited in the worker. While
   * blocked, this thread runs nothing else: no timers, no promise callbacks,
   * no other object's replies (they are handled once it returns).
   *
   * Where it blocks and where it cannot:
   * - Deno, Node (20, 22) and Bun, on the main thread or in a worker: it
   *   blocks (`Atomics.wait` on a `SharedArrayBuffer` word that the object's
   *   worker notifies from its own thread; the result comes back through
   *   `receiveMessageOnPort` from `node:worker_threads`).
   * - A browser's worker, in a cross-origin isolated page: it blocks the
   *   same way, but the result comes back as bytes through the
   *   `SharedArrayBuffer` (browsers have no `receiveMessageOnPort`), in
   *   64 KiB chunks when it is longer. They carry primitives (bigint, -0,
   *   NaN and `undefined` included), plain objects (class instances become
   *   plain objects of their own fields, as structured clone makes them),
   *   arrays, `Date`, `Map`, `Set`, `RegExp`, `ArrayBuffer`, typed arrays,
   *   `DataView` and errors; a result with a cycle, a function, a symbol or
   *   a promise makes `sync` throw a `RemoteError` named `TypeError` saying
   *   so, after the job has run.
   * - A browser's main thread (`Atomics.wait` is not allowed there) or a page
   *   that is not cross-origin isolated (no `SharedArrayBuffer`, in its
   *   workers either): it throws `WouldBlockError`; use `await futureSync(...)`.
   *
   * The worker must have started: before the object's worker has said it is
   * ready (await the object's `ready`, or any earlier call, once), `sync`
   * throws `WouldBlockError` rather than wait for a start it could not see
   * fail. A `signal` given through `withOptions` is checked once, before
   * blocking: nothing can abort a blocked thread. A worker that user code
   * ends during the call (`process.exit`, `Deno.exit`, `self.close()`) is
   * noticed at once (`WorkerCrashedError`). One that stops with none of its
   * code running (out of memory under the pool's `resourceLimits`,
   * `terminate()`) is seen within ~10 ms on Node, which can read that its
   * thread stopped (`WorkerCrashedError` too); on Deno a worker out of memory
   * ends the whole process; elsewhere only the pool's `syncTimeout` (default
   * `Infinity`) ends such a wait: past it, `sync` throws `SyncTimeoutError`
   * and the job is cancelled (its late answer is ignored).
   *
   * @typeParam K The method's name.
   * @param method The method's name.
   * @param args Its arguments (structured-cloned).
   * @returns The method's result.
   * @throws {RemoteError} (or the method's non-error value) If the method threw.
   * @throws {WouldBlockError} Where this thread cannot block (see above), or
   * before the object's worker is ready.
   * @throws {DeadlockError} If an earlier `after()` job of this object still
   * waits for its promise: that promise could only settle on this thread.
   * @throws {WorkerCrashedError} If the object's worker died, before or during the call.
   * @throws {SyncTimeoutError} If no answer came within the pool's `syncTimeout`.
   * @throws {TypeError} If `method` is not a method of the class, or an
   * argument cannot be cloned.
   * @throws {ClosedError} If the object is closed or its pool stopped.
   * @throws {QueueFullError} If the object already has `maxQueued` unanswered
   * jobs. (A reference argument throws as for `futureSync`.)
   *
   * @example Blocking until the worker answers (Deno, Node, Bun)
   * ```ts
   * import { WouldBlockError } from "@desync/desync";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 1);
   * await counter.ready; // the worker has started
   * counter.desync("add", 1);
   * try {
   *   assert.equal(counter.sync("addAndGet", 1), 3); // after the desync job
   * } catch (error) {
   *   // a browser's main thread cannot block
   *   assert.ok(error instanceof WouldBlockError);
   *   assert.equal(await counter.futureSync("addAndGet", 1), 3);
   * }
   * ```
   */
  sync<K extends Method<T>>(method: K, ...args: MethodArgs<T, K>): MethodResult<T, K> {
    this.#check("sync", method);
    const state = this.#state;
    let flags = 0;
    if (hasReference(args)) {
      args = encodeReferences(state, "sync", method, args, 1, stateOf) as typeof args;
      flags = REFERENCES;
    }
    const why = cannotBlock();
    if (why !== undefined) throw wouldBlock(method, why);
    const signal = this.#signal;
    if (signal?.aborted) throw signal.reason;
    if (state.failed !== undefined) throw state.failed.error;
    if (state.conn.state !== "ready") {
      throw wouldBlock(
        method,
        `the worker hosting this ${state.className} has not started yet (await its ready, ` +
          `or any call, once; then sync blocks)`,
      );
    }
    if (state.afters !== undefined) {
      for (const job of state.afters) {
        if (job.settled) continue;
        throw new DeadlockError(
          `WorkerDesync.sync("${method}"): an earlier after(promise, "${job.method}") job of ` +
            `this ${state.className} waits for its promise, which can only settle on this ` +
            `thread: blocking would never end; await the after() job first, or use ` +
            `futureSync("${method}", ...)`,
        );
      }
    }
    if (state.queued >= state.maxQueued) refuseFull(state, "sync", method);
    return state.conn.syncCall(state, jobId(), method, args, flags) as MethodResult<T, K>;
  }

  /**
   * The same object, with `options` for every job scheduled through the
   * returned handle (the object itself is shared: closing either closes it).
   * Options travel this way because a method's arguments are variadic: a
   * trailing options bag could not be told apart from an argument.
   *
   * @param options `signal`: see {@linkcode JobOptions}. Aborted before the
   * job is sent, it is never sent; after, the worker drops it if it has not
   * started, or aborts {@linkcode jobSignal} if it runs (the job keeps its
   * object until it settles). The caller's promise rejects at once with
   * `signal.reason`.
   * @returns A handle on the same object.
   * @throws {TypeError} For an unknown option or a signal that is not an AbortSignal.
   *
   * @example Cancelling a slow job
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const controller = new AbortController();
   * const slow = counter.withOptions({ signal: controller.signal }).futureSync("sleep", 10_000);
   * controller.abort(new Error("too slow"));
   * await assert.rejects(slow, /too slow/);
   * assert.equal(await counter.futureSync("get"), 0);
   * ```
   */
  withOptions(options: JobOptions): WorkerDesync<T> {
    assertOptions(options, "WorkerDesync.withOptions", ["signal"]);
    const signal = optionalSignal(options?.signal, "WorkerDesync.withOptions");
    return new WorkerDesync(TOKEN, this.#state, this.#link, this.#ready, signal);
  }

  /**
   * Stops accepting jobs, lets the worker run every job already scheduled,
   * calls the instance's `[Symbol.asyncDispose]()` or `[Symbol.dispose]()` if
   * it has one, and frees it. Calling it again returns the same promise; on
   * a crashed object it resolves at once.
   *
   * @returns Resolves once the instance is freed; rejects with the dispose
   * method's error.
   *
   * @example Closing drains first
   * ```ts
   * import { ClosedError } from "@desync/desync";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const last = counter.futureSync("addAndGet", 1);
   * await counter.close();
   * assert.equal(await last, 1);
   * assert.throws(() => counter.desync("add", 1), ClosedError);
   * ```
   */
  close(): Promise<void> {
    return closeObject(this.#state, this.#link);
  }

  /**
   * Closes the object (`await using`).
   *
   * @returns See {@linkcode WorkerDesync.close}.
   *
   * @example Scoped object
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * {
   *   await using counter = pool.create("Counter", 0);
   *   counter.desync("add", 1);
   * }
   * assert.equal(pool.objects, 0);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Whether `close()` was called or the pool stopped (and not crashed).
   *
   * @returns `true` once closing has begun.
   *
   * @example Closed at once
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const closing = counter.close();
   * assert.equal(counter.closed, true);
   * await closing;
   * ```
   */
  get closed(): boolean {
    const status = this.#state.status;
    return status === "closing" || status === "closed";
  }

  /**
   * Whether the object's worker died (see {@linkcode WorkerCrashedError}).
   *
   * @returns `true` once crashed.
   *
   * @example A healthy object
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * assert.equal(pool.create("Counter", 0).crashed, false);
   * ```
   */
  get crashed(): boolean {
    return this.#state.status === "crashed";
  }

  /**
   * Jobs scheduled and not yet answered by the worker, as the main thread
   * sees them (waiting to be sent, sent, or running); cancelled jobs are not
   * counted.
   *
   * @returns The number of unanswered jobs.
   *
   * @example Counting
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * counter.desync("add", 1);
   * const get = counter.futureSync("get");
   * assert.equal(counter.queued, 3); // construction, add, get
   * await get;
   * assert.equal(counter.queued, 0);
   * ```
   */
  get queued(): number {
    return this.#state.queued;
  }

  /**
   * This object's handler for errors of fire-and-forget jobs; `undefined`
   * defers to the pool's.
   *
   * @returns The handler, if any.
   * @throws {TypeError} If set to something other than a function or `undefined`.
   *
   * @example Logging errors
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const errors: unknown[] = [];
   * counter.onError = (error) => errors.push(error);
   * counter.desync("fail", "lost");
   * await counter.close();
   * assert.equal(errors.length, 1);
   * ```
   */
  get onError(): ErrorHandler | undefined {
    return this.#state.onError;
  }

  set onError(handler: ErrorHandler | undefined) {
    if (handler !== undefined) assertFunction(handler, "onError", "handler");
    this.#state.onError = handler;
  }

  /**
   * Opens a pipe into this object: the pipe functions of
   * `@desync/desync/pipe` call it when given a `WorkerDesync`.
   *
   * @ignore
   */
  [REMOTE_PIPE](fn: string, method: unknown, options: unknown, collect: boolean): PipePlan {
    const state = this.#state;
    const report = (error: unknown) => this.#link.report(error, state);
    const methods = this.#link.methods(state.className);
    return planRemotePipe(state, methods, report, fn, method, options, collect);
  }

  #reporter(): (error: unknown) => void {
    // A detached future's error goes where a desync() job's would, with the
    // same exceptions: its own cancellation, a stopped pool, a crash already
    // reported for this object.
    return this.#desyncFailed;
  }

  /** Throws if `method` cannot be scheduled now; `what` names the caller. */
  #check(what: string, method: unknown): asserts method is string {
    const state = this.#state;
    if (typeof method !== "string") {
      throw new TypeError(
        `WorkerDesync.${what}(): "method" must be the name of a method of ${state.className}, ` +
          `got ${describe(method)}`,
      );
    }
    if (state.status === "crashed") throw state.crash;
    if (state.status !== "live") {
      throw new ClosedError(`WorkerDesync.${what}("${method}"): the ${state.className} is closed`);
    }
    const methods = this.#link.methods(state.className);
    if (methods !== undefined && !methods.includes(method)) {
      throw new TypeError(
        `WorkerDesync.${what}(): "${method}" is not a method of ${state.className}; ` +
          `its methods: ${methods.join(", ")}`,
      );
    }
  }

  /**
   * How a CALL or AFTER names `method` on the wire: its index in the class's
   * method names once the worker has listed them (the host maps it back),
   * else the name.
   */
  #wire(method: string): string | number {
    const index = this.#link.methods(this.#state.className)?.indexOf(method) ?? -1;
    return index < 0 ? method : index;
  }

  #schedule(
    what: string,
    kind: number,
    method: unknown,
    args: unknown[],
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): Job | undefined {
    const state = this.#state;
    this.#check(what, method);
    const signal = this.#signal;
    let flags = signal === undefined ? 0 : CANCELLABLE;
    if (hasReference(args)) {
      args = encodeReferences(state, what, method, args, kind === AFTER ? 2 : 1, stateOf);
      flags |= REFERENCES;
    }
    if (signal?.aborted) return void reject(signal.reason);
    if (state.failed !== undefined) return void reject(state.failed.error);
    if (state.queued >= state.maxQueued) refuseFull(state, what, method);
    const job: Job = {
      id: nextJob++,
      object: state,
      resolve,
      reject,
      settled: false,
      op: -1,
      what: WHAT[what] ?? `WorkerDesync.${what}`,
      method,
      cleanup: undefined,
    };
    state.conn.outbox.call(job, kind, state.id, this.#wire(method), flags, args);
    if (signal !== undefined) {
      const onAbort = () => state.conn.cancel(job, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      job.cleanup = () => signal.removeEventListener("abort", onAbort);
    }
    return job;
  }
}

/** How the pool makes one. @internal */
export function makeWorkerDesync<T>(
  state: ObjectState,
  link: PoolLink,
  ready: Promise<void>,
): WorkerDesync<T> {
  return new WorkerDesync<T>(TOKEN, state, link, ready, undefined);
}
