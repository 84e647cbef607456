// Copyright 2026 the desync authors. MIT license.
/**
 * Worker objects: `Desync`-like objects whose state lives in a worker thread,
 * so their jobs run in parallel with the main thread and with each other.
 *
 * - In your worker entry file, {@linkcode serve} the classes whose instances
 *   may live there: `export const api = serve({ Counter })`.
 * - On the main thread, a {@linkcode WorkerPool} typed with that API starts
 *   workers lazily and places objects on them; {@linkcode WorkerPool.create}
 *   returns a {@linkcode WorkerDesync} at once.
 * - Jobs are method calls by name: `desync("add", 1)`, `await
 *   futureSync("get")`, `futureDesync`, `after`. They run one at a time per
 *   object, in order, in its worker; async methods hold the object until they
 *   settle. Arguments and results are structured-cloned; errors keep their
 *   name, message, stack, cause and own properties ({@linkcode RemoteError}).
 * - A worker that dies rejects every pending promise of its objects with
 *   {@linkcode WorkerCrashedError}; those objects refuse further work.
 *
 * - `sync("get")` blocks until the job ran, on Deno, Node and Bun (main
 *   thread or worker) and in a cross-origin isolated page's workers; a
 *   browser's main thread, or a page without `SharedArrayBuffer`, gets
 *   `WouldBlockError` ({@linkcode DeadlockError} where blocking could never
 *   end). The pool's `syncTimeout` bounds the wait
 *   ({@linkcode SyncTimeoutError}).
 * - Objects that call each other share a worker: `pool.createWith({ near:
 *   other }, ...)`; a `WorkerDesync` passed to a method of an object on the
 *   same worker arrives as that object's own local `Desync`.
 * - `createWith({ maxQueued })` bounds an object's unanswered jobs; past it,
 *   scheduling throws {@linkcode QueueFullError}.
 * - Pipes: the functions of `@desync/desync/pipe` take a `WorkerDesync` and
 *   a method name, `pipeIn(counter, source, "add")`: items travel batched,
 *   with a back-pressure window sized for a thread hop.
 * - {@linkcode transfer}`(value, [buffer])` moves buffers instead of copying
 *   them, as an argument or as a hosted method's result.
 *
 * @example A counter in a worker
 * ```ts
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "./tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("./tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 0);
 * counter.desync("add", 2);
 * assert.equal(await counter.futureSync("get"), 2);
 * ```
 *
 * @module
 */

export { DesyncError } from "./_engine/errors.ts";
export { type WorkerLike, WorkersUnavailableError } from "./worker/endpoint.ts";
export {
  DeadlockError,
  RemoteError,
  SyncTimeoutError,
  WorkerCrashedError,
} from "./worker/errors.ts";
export { WorkerFuture } from "./worker/future.ts";
export { WorkerDesync } from "./worker/object.ts";
export { QueueFullError } from "./worker/queue_full.ts";
export type { WorkerResourceLimits } from "./worker/limits.ts";
export type { CreateOptions, WorkerPoolOptions } from "./worker/options.ts";
export { WorkerPool } from "./worker/pool.ts";
export { jobSignal } from "./worker/job_signal.ts";
export { serve } from "./worker/serve.ts";
export { transfer } from "./worker/transfer.ts";
export type {
  ClassName,
  ConstructorArgs,
  HostedClass,
  InstanceOf,
  Method,
  MethodArgs,
  MethodResult,
  Reference,
  Sent,
  Uncloneable,
  WorkerApi,
} from "./worker/types.ts";
