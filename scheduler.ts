// Copyright 2026 the desync authors. MIT license.
/**
 * The scheduler underneath `Desync`: untyped job queues ({@linkcode JobQueue},
 * from {@linkcode queue}), the free functions that schedule on them (Rust's
 * `desync::scheduler` functions: {@linkcode desync}, {@linkcode sync},
 * {@linkcode trySync}, {@linkcode futureSync}, {@linkcode futureDesync},
 * {@linkcode after}, {@linkcode suspend}), and the {@linkcode Scheduler} that
 * decides when queued jobs run. `Desync` is a queue plus the data its jobs
 * receive; use this module directly when there is no data to own, only an
 * order to keep. Each free function is the `JobQueue` form of the `Desync`
 * method of the same name, documented there.
 *
 * Jobs on one queue run one at a time in the order they were scheduled, also
 * when they are async: a job that returns a promise holds its queue until the
 * promise settles. Background jobs run later on the same thread, not on
 * another one; the {@linkcode Scheduler} docs give its event-loop policy.
 *
 * @example Three background jobs, then a synchronous read
 * ```ts
 * import { desync, queue, sync } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * const log: number[] = [];
 * desync(q, () => log.push(1));
 * desync(q, () => log.push(2));
 * desync(q, () => log.push(3));
 * assert.deepEqual(sync(q, () => log), [1, 2, 3]);
 * ```
 *
 * @module
 */

export { QueueResumer, SchedulerFuture } from "./_engine/future.ts";
export type { ErrorHandler, JobOptions } from "./_engine/types.ts";
export {
  after,
  desync,
  futureDesync,
  futureSync,
  JobQueue,
  type QueueJob,
  type QueueOptions,
  suspend,
  sync,
  trySync,
} from "./scheduler/job_queue.ts";
export { queue, Scheduler, scheduler, type SchedulerOptions } from "./scheduler/scheduler.ts";
