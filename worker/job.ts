// Copyright 2026 the desync authors. MIT license.
// What the main thread keeps of a hosted object (ObjectState) and of a
// scheduled operation (Job). Connection (connection.ts) holds both: its
// objects, its pending jobs; the outbox (outbox.ts) holds the queued ones.
//
// Invariants:
// - A job settles its caller at most once: `settled` is set before resolve()
//   or reject() is called, and nothing calls either once it is set.
// - `object.queued` counts the object's jobs scheduled and not yet answered,
//   less those whose caller was settled early (a cancel, an after() whose
//   promise rejected); untracked jobs count too (untracked.ts).

import type { ErrorHandler } from "../_engine/types.ts";
import type { Connection } from "./connection.ts";
import type { WorkerCrashedError } from "./errors.ts";

/** An object hosted by a worker, seen from the main thread. */
export interface ObjectState {
  readonly id: number;
  readonly className: string;
  readonly conn: Connection;
  /** "closing" once close() was called; "closed" once the worker freed it. */
  status: "live" | "closing" | "closed" | "crashed";
  crash: WorkerCrashedError | undefined;
  /** Set when construction failed: every job fails with it. */
  failed: { error: unknown } | undefined;
  onError: ErrorHandler | undefined;
  /** Jobs scheduled and not yet answered (cancelled ones excluded). */
  queued: number;
  /** Past this many queued jobs, scheduling throws QueueFullError (CreateOptions.maxQueued). */
  readonly maxQueued: number;
  /** after() jobs whose promise's value is not yet on its way to the worker. */
  afters?: Set<Job>;
  /**
   * Fire-and-forget jobs sent untracked (see untracked.ts) and
   * not yet answered, and the one Job that stands for all of them.
   */
  untracked?: number;
  fireAndForget?: Job;
  /** Told before close() sends its CLOSE: the pipes into this object (worker/pipe.ts). */
  closeListeners?: Set<() => void>;
}

/** A scheduled operation that owes its caller an answer. */
export interface Job {
  readonly id: number;
  readonly object: ObjectState;
  /** Settles the caller; called at most once. */
  resolve(value: unknown): void;
  reject(error: unknown): void;
  settled: boolean;
  /** Where the operation starts in the outbox while it waits there; -1 once sent. */
  op: number;
  /** What the operation was, for messages: "WorkerDesync.futureSync", and its method. */
  readonly what: string;
  readonly method: string | undefined;
  cleanup: (() => void) | undefined;
}
