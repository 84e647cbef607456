// Copyright 2026 the desync authors. MIT license.
// WorkerPool: starts workers lazily, places objects on them, reclaims idle
// ones, and stops them.
//
// Invariants:
// - A slot holds a live Connection or nothing; a dead connection is removed
//   from its slot at once (its objects are crashed or closed), so the next
//   create() starts a replacement.
// - A worker that hosts a live object is never reclaimed: it holds state.
//   One with no object and no pending job gets an idle timer (dedicated
//   workers stop at once).
// - Once closed, the pool creates nothing; close() drains every object then
//   stops every worker; terminate() stops them at once.

import { ClosedError } from "../_engine/errors.ts";
import { reportLoudly } from "../_engine/platform.ts";
import type { ErrorHandler } from "../_engine/types.ts";
import { assertCount, assertFunction, assertOptions, describe } from "../_engine/validate.ts";
import { Connection, type ObjectState, type PoolHooks } from "./connection.ts";
import { type Starter, starter, type WorkerLike } from "./endpoint.ts";
import {
  closeObject,
  handleState,
  jobId,
  makeWorkerDesync,
  type PoolLink,
  type WorkerDesync,
} from "./object.ts";
import { resourceLimits } from "./limits.ts";
import type { CreateOptions, WorkerPoolOptions } from "./options.ts";
import { CREATE } from "./protocol.ts";
import { nearConnection } from "./near.ts";
import type { ClassName, ConstructorArgs, HostedClass, InstanceOf, WorkerApi } from "./types.ts";

let nextObject = 1;

/**
 * A pool of workers hosting objects: each object created by
 * {@linkcode WorkerPool.create} lives in one worker for its whole life,
 * where its method calls run one at a time in order, in parallel with the
 * main thread and with objects on other workers. The worker entry is your
 * own module that calls {@linkcode serve}; type the pool with its API.
 *
 * Workers start when the first object needs one; a worker with no object
 * left stops after `idleTimeout`. On Node and Bun the pool does not keep the
 * process alive while no job is pending. On Deno it does (Deno's workers
 * cannot be unref'd): close the pool (`await using`).
 *
 * @typeParam A The worker entry's API (`typeof api`, where `api = serve(...)`).
 *
 * @example A pool and an object
 * ```ts
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 1);
 * counter.desync("add", 41);
 * assert.equal(await counter.futureSync("get"), 42);
 * ```
 */
export class WorkerPool<A extends WorkerApi<Record<string, HostedClass>> = WorkerApi<never>> {
  #start: Starter;
  #slots: (Connection | undefined)[];
  #dedicated = new Set<Connection>();
  #idleTimers = new Map<Connection, ReturnType<typeof setTimeout>>();
  #idleTimeout: number;
  #closeTimeout: number;
  #onError: ErrorHandler | undefined;
  #methods: Record<string, string[]> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #hooks: PoolHooks;
  #link: PoolLink;

  /**
   * Makes a pool; no worker starts until an object needs one.
   *
   * @param entry The worker entry: a `URL` (or absolute URL string) of your
   * module that calls `serve`, or a function returning a started web
   * `Worker` (the form bundlers recognize).
   * @param options See {@linkcode WorkerPoolOptions}.
   * @throws {TypeError} For a relative URL string, a bad option or an unknown option.
   * @throws {WorkersUnavailableError} Where the runtime cannot start workers.
   *
   * @example The bundler-friendly factory form
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(() =>
   *   new Worker(new URL("../tests/fixtures/counter.worker.ts", import.meta.url), {
   *     type: "module",
   *   })
   * );
   * assert.equal(await pool.create("Counter", 7).futureSync("get"), 7);
   * ```
   */
  constructor(entry: URL | string | (() => WorkerLike), options?: WorkerPoolOptions) {
    assertOptions(options, "new WorkerPool", [
      "size",
      "idleTimeout",
      "startTimeout",
      "closeTimeout",
      "syncTimeout",
      "resourceLimits",
      "onError",
    ]);
    const size = options?.size ?? defaultSize();
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
      throw new TypeError(
        `new WorkerPool(): "options.size" must be a positive integer, got ${describe(size)}`,
      );
    }
    const idle = options?.idleTimeout ?? 5000;
    if (typeof idle !== "number" || !(idle >= 0)) {
      throw new TypeError(
        `new WorkerPool(): "options.idleTimeout" must be a number of milliseconds >= 0 or ` +
          `Infinity, got ${describe(idle)}`,
      );
    }
    const startTimeout = milliseconds(options?.startTimeout, "startTimeout", 30_000);
    this.#closeTimeout = milliseconds(options?.closeTimeout, "closeTimeout", 10_000);
    const syncTimeout = milliseconds(options?.syncTimeout, "syncTimeout", Infinity);
    if (options?.onError !== undefined) {
      assertFunction(options.onError, "new WorkerPool", "options.onError");
    }
    this.#start = starter(entryOf(entry), resourceLimits(options?.resourceLimits));
    this.#slots = new Array(size).fill(undefined);
    this.#idleTimeout = idle;
    this.#onError = options?.onError;
    this.#link = {
      report: (error, object) => this.#report(error, object),
      methods: (className) => this.#methods?.[className],
      released: (object) => {
        const conn = object.conn;
        conn.objects.delete(object);
        if (conn.objects.size === 0 && conn.pending.size === 0) this.#idle(conn);
      },
    };
    this.#hooks = {
      report: (error) => this.#report(error, undefined),
      notice: (error) => {
        if (this.#onError !== undefined) this.#report(error, undefined);
        else console.warn(error);
      },
      dead: (conn) => this.#forget(conn),
      idle: (conn) => this.#idle(conn),
      classes: (methods) => void (this.#methods ??= methods),
      startTimeout,
      syncTimeout,
    };
  }

  /**
   * Creates an instance of the worker entry's class `name` in a worker, with
   * `args` for its constructor, and returns its handle at once: construction
   * is the object's first job (see {@linkcode WorkerDesync.ready}).
   *
   * @typeParam N The class's name.
   * @param name The name the class was served under.
   * @param args The constructor's arguments (structured-cloned).
   * @returns The object's handle.
   * @throws {TypeError} If `name` is not a string, or (once a worker has
   * started) not a class the entry serves.
   * @throws {ClosedError} If the pool is closed.
   *
   * @example Two objects, on two workers
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   { size: 2 },
   * );
   * const a = pool.create("Counter", 1);
   * const b = pool.create("Counter", 2);
   * assert.deepEqual(await Promise.all([a.futureSync("get"), b.futureSync("get")]), [1, 2]);
   * assert.equal(pool.workers, 2);
   * ```
   */
  create<N extends ClassName<A>>(
    name: N,
    ...args: ConstructorArgs<A, N>
  ): WorkerDesync<InstanceOf<A, N>> {
    return this.#create("create", undefined, name, args);
  }

  /**
   * {@linkcode WorkerPool.create} with options. Options come first because
   * the constructor's arguments are variadic.
   *
   * @typeParam N The class's name.
   * @param options See {@linkcode CreateOptions}.
   * @param name The name the class was served under.
   * @param args The constructor's arguments.
   * @returns The object's handle.
   * @throws {TypeError} For bad options or name.
   * @throws {ClosedError} If the pool is closed.
   *
   * @example A dedicated worker
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.createWith({ worker: "dedicated" }, "Counter", 2);
   * assert.equal(await counter.futureSync("get"), 2);
   * ```
   */
  createWith<N extends ClassName<A>>(
    options: CreateOptions,
    name: N,
    ...args: ConstructorArgs<A, N>
  ): WorkerDesync<InstanceOf<A, N>> {
    assertOptions(options, "WorkerPool.createWith", ["worker", "near", "maxQueued", "onError"]);
    const worker = options?.worker;
    if (worker !== undefined && worker !== "shared" && worker !== "dedicated") {
      throw new TypeError(
        `WorkerPool.createWith(): "options.worker" must be "shared" or "dedicated", got ` +
          describe(worker),
      );
    }
    if (options?.onError !== undefined) {
      assertFunction(options.onError, "WorkerPool.createWith", "options.onError");
    }
    if (options?.maxQueued !== undefined) {
      assertCount(options.maxQueued, "WorkerPool.createWith", "options.maxQueued");
    }
    if (options?.near !== undefined && worker === "dedicated") {
      throw new TypeError(
        `WorkerPool.createWith(): "options.near" and worker: "dedicated" contradict each ` +
          `other (a dedicated worker is one of its own); to share the worker of a dedicated ` +
          `object, give only near`,
      );
    }
    return this.#create("createWith", options, name, args);
  }

  #create<T>(
    method: string,
    options: CreateOptions | undefined,
    name: unknown,
    args: unknown[],
  ): WorkerDesync<T> {
    if (typeof name !== "string") {
      throw new TypeError(
        `WorkerPool.${method}(): "name" must be the name of a served class, got ${describe(name)}`,
      );
    }
    if (this.#methods !== undefined && !Object.hasOwn(this.#methods, name)) {
      throw new TypeError(
        `WorkerPool.${method}(): "${name}" is not a class the worker entry serves; it serves: ` +
          Object.keys(this.#methods).join(", "),
      );
    }
    if (this.#closed) throw new ClosedError(`WorkerPool.${method}(): the pool is closed`);
    const near = options?.near;
    const conn = near === undefined
      ? this.#place(options?.worker === "dedicated")
      : this.#keep(nearConnection(near, handleState(near), (conn) => this.#owns(conn)));
    const state: ObjectState = {
      id: nextObject++,
      className: name,
      conn,
      status: "live",
      crash: undefined,
      failed: undefined,
      onError: options?.onError,
      queued: 0,
      maxQueued: options?.maxQueued ?? Infinity,
    };
    conn.objects.add(state);
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const ready = new Promise<void>((a, b) => {
      resolve = a;
      reject = b;
    });
    ready.catch(() => {}); // its error is every job's error too: not unhandled on its own
    const id = jobId();
    conn.send(
      {
        id,
        object: state,
        resolve: () => resolve(),
        reject: (error) => {
          state.failed ??= { error };
          reject(error);
        },
        settled: false,
        op: -1,
        what: `WorkerPool.${method}`,
        method: name,
        cleanup: undefined,
      },
      [CREATE, state.id, id, name],
      args,
    );
    return makeWorkerDesync<T>(state, this.#link, ready);
  }

  #place(dedicated: boolean): Connection {
    if (dedicated) {
      const conn = new Connection(this.#start, this.#hooks, true);
      this.#dedicated.add(conn);
      return conn;
    }
    let best = 0;
    for (let i = 1; i < this.#slots.length; i++) {
      if (this.#better(this.#slots[i], this.#slots[best])) best = i;
    }
    let conn = this.#slots[best];
    if (conn === undefined) {
      conn = this.#slots[best] = new Connection(this.#start, this.#hooks, false);
    }
    return this.#keep(conn);
  }

  /** `conn` is about to host an object: it is no longer idle. */
  #keep(conn: Connection): Connection {
    const timer = this.#idleTimers.get(conn);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#idleTimers.delete(conn);
    }
    return conn;
  }

  #owns(conn: Connection): boolean {
    return this.#dedicated.has(conn) || this.#slots.includes(conn);
  }

  /** Fewest live objects; then a started worker over a new one; then fewest pending jobs. */
  #better(a: Connection | undefined, b: Connection | undefined): boolean {
    const objectsA = a?.objects.size ?? 0;
    const objectsB = b?.objects.size ?? 0;
    if (objectsA !== objectsB) return objectsA < objectsB;
    if ((a === undefined) !== (b === undefined)) return a !== undefined;
    return (a?.owed ?? 0) < (b?.owed ?? 0);
  }

  #idle(conn: Connection): void {
    if (conn.state === "dead" || this.#idleTimers.has(conn)) return;
    if (conn.dedicated || this.#idleTimeout === 0) {
      void this.#stop(conn, "the worker was idle");
      return;
    }
    if (this.#idleTimeout === Infinity) return;
    const timer = setTimeout(() => {
      this.#idleTimers.delete(conn);
      if (conn.objects.size === 0 && conn.pending.size === 0) {
        void this.#stop(conn, "the worker was idle");
      }
    }, this.#idleTimeout);
    unrefTimer(timer);
    this.#idleTimers.set(conn, timer);
  }

  #stop(conn: Connection, why: string): Promise<void> {
    return conn.stop(new ClosedError(`the pool stopped the worker: ${why}`));
  }

  #forget(conn: Connection): void {
    const timer = this.#idleTimers.get(conn);
    if (timer !== undefined) clearTimeout(timer);
    this.#idleTimers.delete(conn);
    this.#dedicated.delete(conn);
    const slot = this.#slots.indexOf(conn);
    if (slot >= 0) this.#slots[slot] = undefined;
  }

  #report(error: unknown, object: ObjectState | undefined): void {
    const handler = object?.onError ?? this.#onError;
    if (handler === undefined) {
      reportLoudly(error, object === undefined ? "code in a worker" : "a job on a WorkerDesync");
      return;
    }
    try {
      handler(error);
    } catch (thrown) {
      reportLoudly(thrown, "an onError handler");
    }
  }

  #connections(): Connection[] {
    return [...this.#slots.filter((c) => c !== undefined), ...this.#dedicated];
  }

  /**
   * Closes the pool: creates nothing more, closes every object (each drains
   * its jobs, then is disposed and freed), then stops every worker. Calling
   * it again returns the same promise. If the objects have not drained
   * within `closeTimeout` (a method that never returns, a worker that died
   * without a word), the pool stops every worker as
   * {@linkcode WorkerPool.terminate} does: whatever is still pending rejects
   * with a {@linkcode ClosedError} saying that close timed out.
   *
   * On Deno, a worker busy in synchronous code (a loop that never yields)
   * is not stopped by terminate (denoland/deno#35657): its promises settle,
   * but the thread keeps running and the process does not exit.
   *
   * @returns Resolves once every worker has stopped (or was told to).
   *
   * @example Draining
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const result = counter.futureSync("addAndGet", 5);
   * await pool.close();
   * assert.equal(await result, 5);
   * assert.equal(pool.workers, 0);
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    return this.#closing ??= (async () => {
      const objects = this.#connections().flatMap((conn) => [...conn.objects]);
      const drained = Promise.allSettled(objects.map((object) => closeObject(object, this.#link)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = this.#closeTimeout;
      const late = timeout === Infinity ? undefined : new Promise<undefined>((resolve) => {
        // Not unref'd: whoever awaits close() is owed its end.
        timer = setTimeout(() => resolve(undefined), timeout);
      });
      const results = await (late === undefined ? drained : Promise.race([drained, late]));
      clearTimeout(timer);
      if (results === undefined) {
        await this.#stopAll(
          `close() timed out: the objects had not drained within closeTimeout (${timeout} ms)`,
        );
        return;
      }
      for (const result of results) {
        if (result.status === "rejected") this.#report(result.reason, undefined);
      }
      await this.#stopAll("the pool was closed");
    })();
  }

  /**
   * Stops every worker at once: every pending promise rejects with
   * {@linkcode ClosedError} and every object is closed (its state is lost).
   *
   * On Deno, a worker busy in synchronous code (a loop that never yields)
   * keeps running after terminate (denoland/deno#35657): its promises have
   * settled, but the process does not exit until that code returns.
   *
   * @returns Resolves once every worker has stopped.
   *
   * @example Giving up on pending work
   * ```ts
   * import { ClosedError } from "@desync/desync";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * const slow = counter.futureSync("sleep", 10_000);
   * await pool.terminate();
   * await assert.rejects(slow, ClosedError);
   * ```
   */
  async terminate(): Promise<void> {
    this.#closed = true;
    await this.#stopAll("the pool was terminated");
  }

  async #stopAll(why: string): Promise<void> {
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    await Promise.all(this.#connections().map((conn) => this.#stop(conn, why)));
  }

  /**
   * Closes the pool (`await using`).
   *
   * @returns See {@linkcode WorkerPool.close}.
   *
   * @example Scoped pool
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * let seen = 0;
   * {
   *   await using pool = new WorkerPool<Api>(
   *     new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   *   );
   *   seen = await pool.create("Counter", 9).futureSync("get");
   * }
   * assert.equal(seen, 9);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The most shared workers this pool runs at once.
   *
   * @returns The pool's size.
   *
   * @example Default size: the core count
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * assert.ok(pool.size >= 1);
   * ```
   */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * How many workers run now (shared and dedicated).
   *
   * @returns The number of started, not yet stopped workers.
   *
   * @example Lazy start
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * assert.equal(pool.workers, 0);
   * await pool.create("Counter", 0).ready;
   * assert.equal(pool.workers, 1);
   * ```
   */
  get workers(): number {
    return this.#connections().length;
  }

  /**
   * How many objects are hosted now (not yet freed).
   *
   * @returns The number of objects.
   *
   * @example Counting objects
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/counter.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * const counter = pool.create("Counter", 0);
   * assert.equal(pool.objects, 1);
   * await counter.close();
   * assert.equal(pool.objects, 0);
   * ```
   */
  get objects(): number {
    let count = 0;
    for (const conn of this.#connections()) count += conn.objects.size;
    return count;
  }

  /**
   * Whether `close()` or `terminate()` was called.
   *
   * @returns `true` once the pool refuses new objects.
   *
   * @example Closed at once
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool(new URL("../tests/fixtures/counter.worker.ts", import.meta.url));
   * const closing = pool.close();
   * assert.equal(pool.closed, true);
   * await closing;
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The pool's error handler (see {@linkcode WorkerPoolOptions.onError}).
   *
   * @returns The handler, if any.
   * @throws {TypeError} If set to something other than a function or `undefined`.
   *
   * @example Setting it later
   * ```ts
   * import { WorkerPool } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool(
   *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
   * );
   * pool.onError = console.error;
   * assert.equal(pool.onError, console.error);
   * ```
   */
  get onError(): ErrorHandler | undefined {
    return this.#onError;
  }

  set onError(handler: ErrorHandler | undefined) {
    if (handler !== undefined) assertFunction(handler, "onError", "handler");
    this.#onError = handler;
  }
}

/** A timeout option: milliseconds >= 0, or Infinity (never). */
function milliseconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0)) {
    throw new TypeError(
      `new WorkerPool(): "options.${name}" must be a number of milliseconds >= 0 or ` +
        `Infinity, got ${describe(value)}`,
    );
  }
  return value;
}

function entryOf(entry: unknown): URL | (() => WorkerLike) {
  if (typeof entry === "function") return entry as () => WorkerLike;
  if (entry instanceof URL) return entry;
  if (typeof entry === "string") {
    try {
      return new URL(entry);
    } catch {
      throw new TypeError(
        `new WorkerPool(): "entry" must be an absolute URL; got the relative ${
          describe(entry)
        }: use new URL("./x.worker.ts", import.meta.url)`,
      );
    }
  }
  throw new TypeError(
    `new WorkerPool(): "entry" must be a URL of the worker entry or a function returning a ` +
      `Worker, got ${describe(entry)}`,
  );
}

/** The core count: navigator.hardwareConcurrency, or os.availableParallelism() on Node. */
function defaultSize(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  if (typeof cores === "number" && cores >= 1) return cores;
  const process = (globalThis as { process?: { getBuiltinModule?(name: string): unknown } })
    .process;
  const os = process?.getBuiltinModule?.("node:os") as
    | { availableParallelism?(): number; cpus(): unknown[] }
    | undefined;
  return Math.max(1, os?.availableParallelism?.() ?? os?.cpus().length ?? 1);
}

/** Lets the process exit while an idle timer waits (Node, Bun: unref; Deno: Deno.unrefTimer). */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
}
