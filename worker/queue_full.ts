// Copyright 2026 the desync authors. MIT license.
// Per-object back-pressure (CreateOptions.maxQueued): the error and the check.

import { DesyncError } from "../_engine/errors.ts";
import type { ObjectState } from "./connection.ts";

/**
 * Thrown at the call site by {@linkcode WorkerDesync.desync},
 * `futureSync`, `futureDesync`, `after` and `sync` when the object already
 * has `maxQueued` jobs scheduled and not yet answered (see
 * {@linkcode CreateOptions.maxQueued}): the job is not scheduled. Thrown,
 * not returned as a rejected promise, so that a burst stops at once and no
 * refused job costs memory; wait for an earlier job (or for `queued` to
 * fall) and schedule again.
 *
 * @example A full object
 * ```ts
 * import { QueueFullError, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.createWith({ maxQueued: 2 }, "Counter", 0); // construction is one
 * const last = counter.futureSync("addAndGet", 1);
 * assert.throws(() => counter.desync("add", 1), QueueFullError);
 * assert.equal(await last, 1); // room again
 * counter.desync("add", 1);
 * ```
 */
export class QueueFullError extends DesyncError {
  /**
   * The object's `maxQueued`.
   *
   * @example Reading it
   * ```ts
   * import { QueueFullError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new QueueFullError("full", 10).maxQueued, 10);
   * ```
   */
  readonly maxQueued: number;

  /**
   * Creates one; desync does this when an object is full.
   *
   * @param message What was refused.
   * @param maxQueued The object's limit.
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, QueueFullError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new QueueFullError("full", 1);
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "QueueFullError");
   * ```
   */
  constructor(message: string, maxQueued: number) {
    super(message);
    this.name = "QueueFullError";
    this.maxQueued = maxQueued;
  }
}

/** Throws if `state` has no room for one more job; `what` names the caller. */
export function refuseFull(state: ObjectState, what: string, method: string): never {
  throw new QueueFullError(
    `WorkerDesync.${what}("${method}"): this ${state.className} already has ${state.queued} ` +
      `jobs scheduled and not yet answered (maxQueued: ${state.maxQueued}); wait for an ` +
      `earlier job (or for queued to fall below ${state.maxQueued}), then schedule again`,
    state.maxQueued,
  );
}
