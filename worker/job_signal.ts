// Copyright 2026 the desync authors. MIT license.
// jobSignal(): the signal of the job a worker's host is running now, and the
// cancellation state the host keeps for each job that can be cancelled.
//
// Invariants:
// - The current job is set only for the synchronous part of a hosted
//   method's run (host.ts, host_pipe.ts), and unset right after it, thrown
//   or not: outside that part jobSignal() returns a signal that never aborts.
// - A job's AbortController is made on the first jobSignal() of that job
//   (most jobs never ask); a signal read after the job was cancelled is
//   already aborted.
// - Nothing is made at load: workerd refuses an AbortController created in a
//   module's global scope.

/** A job that can be cancelled: told through its signal, made lazily. */
export interface Cancellable {
  cancelled: unknown; // the reason, or NOT_CANCELLED
  controller: AbortController | undefined;
}

/** `Cancellable.cancelled` of a job not cancelled. */
export const NOT_CANCELLED = Symbol("not cancelled");
let current: Cancellable | undefined;

/** Makes `job` the one jobSignal() answers for (undefined: none runs). */
export function setCurrent(job: Cancellable | undefined): void {
  current = job;
}

/**
 * The signal of the job running now, for the synchronous part of a method of
 * a hosted object: it is aborted when the caller cancels the job (the job
 * keeps its object until it settles). Read it before the method's first
 * `await`. Outside a job, or for a job scheduled without a signal, it is a
 * signal that never aborts.
 *
 * @returns The job's signal.
 *
 * @example A method that stops when cancelled (in a worker entry)
 * ```ts
 * import { jobSignal } from "@desync/desync/worker";
 * import assert from "node:assert/strict";
 *
 * class Search {
 *   async run(steps: number): Promise<number> {
 *     const signal = jobSignal(); // before the first await
 *     let done = 0;
 *     while (done < steps && !signal.aborted) {
 *       await new Promise((resolve) => setTimeout(resolve, 1));
 *       done++;
 *     }
 *     return done;
 *   }
 * }
 * assert.equal(await new Search().run(2), 2); // outside a worker: never aborted
 * ```
 */
export function jobSignal(): AbortSignal {
  if (current === undefined) return (never ??= new AbortController()).signal;
  current.controller ??= new AbortController();
  if (current.cancelled !== NOT_CANCELLED) current.controller.abort(current.cancelled);
  return current.controller.signal;
}

/**
 * The signal outside any job: never aborted. Made on first use, not at load:
 * workerd refuses an AbortController created in a module's global scope.
 */
let never: AbortController | undefined;
