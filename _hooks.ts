// Copyright 2026 the desync authors. MIT license.
// Hooks through which the internal cores and the public classes reach each
// other without exposing internals: each public module registers its part
// when it is loaded (in a static block, where private fields are visible).

import type { Job } from "./_job.ts";
import type { QueueCore } from "./_queue_core.ts";
import type { SchedulerCore } from "./_scheduler_core.ts";

const notLoaded = (): never => {
  throw new Error("desync: a module of the package was not loaded");
};

/** Registered by scheduler_future.ts. */
export const futures: {
  /** Wraps a job's promise in a SchedulerFuture. */
  create<T>(queue: QueueCore, job: Job, promise: Promise<T>): PromiseLike<T>;
  /** The queue of a SchedulerFuture; undefined for any other value. */
  queueOf(value: unknown): QueueCore | undefined;
  /** The promise inside a SchedulerFuture (observing it does not pull); undefined otherwise. */
  promiseOf(value: unknown): Promise<unknown> | undefined;
  /** Drives a SchedulerFuture's queue up to its job, as awaiting it does. */
  pull(future: object): void;
  /** Creates the QueueResumer handed out by `suspend`. */
  resumer(resume: () => boolean): object;
} = {
  create: notLoaded,
  queueOf: notLoaded,
  promiseOf: notLoaded,
  pull: notLoaded,
  resumer: notLoaded,
};

/** Registered by scheduler.ts. */
export const schedulers: {
  /** The core of a Scheduler, or a TypeError naming the argument. */
  coreOf(value: unknown, method: string, name: string): SchedulerCore;
  /** The core of the global scheduler. */
  globalCore(): SchedulerCore;
} = { coreOf: notLoaded, globalCore: notLoaded };

/** Registered by desync.ts. */
export const desyncs: {
  /** The queue behind a Desync, or a TypeError naming the argument. */
  queueOf(value: unknown, method: string, name: string): QueueCore;
} = { queueOf: notLoaded };
