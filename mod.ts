// Copyright 2026 the desync authors. MIT license.
/**
 * Desync: protect data by ordering the operations on it instead of locking.
 *
 * Hand your data to a {@linkcode Desync} and schedule jobs on it. Jobs on one
 * `Desync` run one at a time, in the order they were scheduled, even when they
 * are async and span many `await`s, so concurrent callers cannot interleave
 * inside them. A port of the Rust crate
 * [`desync`](https://github.com/Logicalshift/desync) to the web platform: zero
 * dependencies, and the same module runs on Deno, Node, Bun, browsers and workerd.
 *
 * - `desync(job)` runs a job in the background (later, on the same thread);
 *   `sync(job)` runs it now and returns its result; `futureSync`,
 *   `futureDesync` and `after` return promises. The `Desync` methods carry
 *   the full documentation of each operation.
 * - The {@linkcode Scheduler} serves many objects fairly, bounds how many may
 *   have async work in flight, gives the event loop a turn every few
 *   milliseconds between jobs, and has a manual mode for deterministic tests.
 *   Untyped queues and the free functions that schedule on them are exported
 *   here and from `@desync/desync/scheduler`.
 * - Pipes ({@linkcode pipeIn}, {@linkcode pipe}, {@linkcode sink},
 *   {@linkcode transform}) feed `ReadableStream`s, async iterables and
 *   iterables into a `Desync` with back-pressure; also in
 *   `@desync/desync/pipe`.
 * - Worker objects ({@linkcode WorkerPool}, {@linkcode WorkerDesync},
 *   {@linkcode serve}) keep an object's state in a worker thread, so its jobs
 *   run in parallel with the main thread; also in `@desync/desync/worker`.
 *
 * A fire-and-forget job's error goes to the object's or scheduler's
 * `onError`; with no handler it goes to `reportError`, which ends the process
 * on Deno and Node like an uncaught exception. To log instead:
 * `new Desync(data, { onError: (e) => console.error(e) })`.
 *
 * @example Background work, then a synchronous read
 * ```ts
 * import { Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const number = new Desync(0);
 * number.desync((n) => {
 *   n.value = 42;
 * });
 * assert.equal(number.sync((n) => n.value), 42);
 * ```
 *
 * @module
 */

export { Desync, type DesyncJob, type DesyncOptions, type Ref } from "./desync/desync.ts";
export {
  after,
  desync,
  type ErrorHandler,
  futureDesync,
  futureSync,
  type JobOptions,
  JobQueue,
  queue,
  type QueueJob,
  type QueueOptions,
  QueueResumer,
  Scheduler,
  scheduler,
  SchedulerFuture,
  type SchedulerOptions,
  suspend,
  sync,
  trySync,
} from "./scheduler.ts";
export {
  pipe,
  pipeIn,
  type PipeOptions,
  type PipeProcess,
  type PipeSource,
  type PipeTransform,
  sink,
  transform,
  type WorkerPipeOptions,
} from "./pipe.ts";
export {
  ClosedError,
  DesyncError,
  ReentrancyError,
  TrySyncError,
  WouldBlockError,
} from "./_engine/errors.ts";
export {
  type AcquireOptions,
  type AdvanceOptions,
  type CaseValue,
  Channel,
  ChannelClosedError,
  type ChannelFromOptions,
  type ChannelSource,
  type ChannelWritableOptions,
  type Clock,
  type LockOptions,
  ManualClock,
  ManualResetEvent,
  Mutex,
  MutexGuard,
  Oneshot,
  Permit,
  ReleasedError,
  select,
  SelectCase,
  type SelectCases,
  type Selected,
  type SelectOptions,
  Semaphore,
  type SemaphoreOptions,
  type SemaphorePolicy,
  StateBroadcast,
  type StateReceiveResult,
  type StateUpdate,
  type Steppable,
  systemClock,
  type TimerOptions,
  TimerService,
  type TimerServiceOptions,
} from "./primitives.ts";
export {
  type ClassName,
  type ConstructorArgs,
  type CreateOptions,
  type HostedClass,
  type InstanceOf,
  jobSignal,
  type Method,
  type MethodArgs,
  type MethodResult,
  QueueFullError,
  type Reference,
  RemoteError,
  type Sent,
  serve,
  SyncTimeoutError,
  transfer,
  type Uncloneable,
  type WorkerApi,
  WorkerCrashedError,
  WorkerDesync,
  WorkerFuture,
  type WorkerLike,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerResourceLimits,
  WorkersUnavailableError,
} from "./worker.ts";
