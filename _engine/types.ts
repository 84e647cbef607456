// Copyright 2026 the desync authors. MIT license.
// Public types shared by every area: defined once, re-exported by the entries.

/**
 * Receives the errors that no caller can observe: those of fire-and-forget
 * jobs (`desync`, detached futures), of a job that failed in another way
 * after its abort had released its caller, and of a pipe source's clean-up
 * when the pipe cancels it.
 *
 * The first handler found is called: the `Desync`'s or queue's own
 * (`onError` option or setter), else its scheduler's; with none, the error
 * goes to `reportError`, which ends the process on Deno and Node like an
 * uncaught exception. It is called in a fresh microtask, so it may schedule,
 * `sync` or `close` freely; if it throws, both its error and the original one
 * go to `reportError`.
 *
 * @example Collecting the errors of background jobs
 * ```ts
 * import { Desync, type ErrorHandler } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const seen: unknown[] = [];
 * const log: ErrorHandler = (error) => seen.push(error);
 * const data = new Desync(0, { onError: log });
 * data.desync(() => {
 *   throw new Error("lost");
 * });
 * await data.close();
 * assert.equal((seen[0] as Error).message, "lost");
 * ```
 */
export type ErrorHandler = (error: unknown) => void;

/**
 * Options of a single scheduled job, taken by every scheduling call that can
 * be cancelled (`desync`, `futureSync`, `futureDesync`, `after`, `suspend`).
 * An unknown key throws a `TypeError`, and so does passing a bare
 * `AbortSignal` instead of `{ signal }`.
 *
 * @example Cancelling a job before it starts
 * ```ts
 * import { Desync, type JobOptions } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const data = new Desync(0);
 * const controller = new AbortController();
 * const options: JobOptions = { signal: controller.signal };
 * controller.abort(new Error("not needed"));
 * await assert.rejects(data.futureSync((n) => n.value, options), /not needed/);
 * ```
 */
export interface JobOptions {
  /**
   * Cancels the job. Aborted before it starts, the job never runs, stops
   * counting as queued at once, and its promise (if it has one) rejects with
   * `signal.reason`. Aborted while it runs, the job is told (it receives this
   * signal) and its promise rejects at once with `signal.reason`, but the job
   * keeps its queue until it settles: exclusivity is never broken. Ending
   * with `signal.reason` itself (as `signal.throwIfAborted()` does) is the
   * cancellation, not an error; any other error the job ends with after the
   * abort goes to the error handler ({@linkcode ErrorHandler}), since its
   * caller has moved on. An `after` job waiting for its promise stops waiting
   * and releases the queue at once; a `suspend` not yet reached is cancelled.
   *
   * @default {undefined}
   *
   * @example Aborting a job while it runs
   * ```ts
   * import { Desync } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const data = new Desync("idle");
   * const controller = new AbortController();
   * const job = data.futureSync(async (d, signal) => {
   *   await new Promise((resolve) => setTimeout(resolve, 5));
   *   d.value = signal?.aborted ? "stopped" : "done";
   * }, { signal: controller.signal });
   * controller.abort(new Error("too slow"));
   * await assert.rejects(job, /too slow/); // at once; the job still holds the object
   * assert.equal(await data.futureSync((d) => d.value), "stopped");
   * ```
   */
  signal?: AbortSignal;
}
