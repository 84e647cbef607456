// Copyright 2026 the desync authors. MIT license.
// Public types shared by every area: defined once, re-exported by the entries.

/**
 * Receives the errors that nobody else can observe: those of fire-and-forget
 * jobs (`desync`, detached futures), and of a job that failed after its abort
 * released its caller.
 *
 * @example
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

/** Options of a single scheduled job. */
export interface JobOptions {
  /**
   * Cancels the job. Aborted before it starts, the job never runs, stops
   * counting as queued at once, and its promise rejects with
   * `signal.reason`. Aborted while it runs, the job is told (it receives this
   * signal) and its promise rejects at once with `signal.reason`, but the job
   * keeps its queue until it settles: exclusivity is never broken.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}
