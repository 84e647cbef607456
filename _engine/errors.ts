// Copyright 2026 the desync authors. MIT license.
/**
 * The named errors thrown or rejected by desync. Each one extends
 * {@linkcode DesyncError}, so `catch (e) { if (e instanceof DesyncError) … }`
 * catches all of them; bad arguments throw the standard `TypeError` and
 * `RangeError` instead, and aborted jobs reject with their `signal.reason`.
 *
 * @module
 */

/**
 * Base class of every error desync raises for a scheduling condition.
 *
 * @example Catching any desync error
 * ```ts
 * import { Desync, DesyncError } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const counter = new Desync(0);
 * await counter.close();
 * assert.throws(() => counter.desync(() => {}), DesyncError);
 * ```
 */
export class DesyncError extends Error {
  /**
   * Creates an error with the given message.
   *
   * @param message What went wrong.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DesyncError";
  }
}

/**
 * Thrown by `sync` (and `SchedulerFuture.sync`) when the job cannot run to
 * completion right now without waiting: an async job is in flight, the queue
 * is suspended, or a job drained on the caller's stack turned out to be async.
 * JavaScript cannot block, so instead of waiting it fails; the caller's job is
 * then neither run nor queued. Use `futureSync` to wait.
 *
 * @example An async job in flight makes `sync` fail
 * ```ts
 * import { Desync, WouldBlockError } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const cache = new Desync(new Map<string, string>());
 * const filled = cache.futureSync(async (map) => {
 *   await Promise.resolve();
 *   map.value.set("a", "1");
 * });
 * await Promise.resolve(); // the async job starts and holds the queue
 * assert.throws(() => cache.sync((map) => map.value.size), WouldBlockError);
 * await filled;
 * assert.equal(cache.sync((map) => map.value.size), 1);
 * ```
 */
export class WouldBlockError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message Why the call would have to wait.
   */
  constructor(message: string) {
    super(message);
    this.name = "WouldBlockError";
  }
}

/**
 * Thrown by `trySync` when the queue is not idle and empty: another job is
 * running, in flight or waiting. The job was not run. This is Rust's
 * `TrySyncError::Busy`.
 *
 * @example
 * ```ts
 * import { Desync, TrySyncError } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const counter = new Desync(0);
 * counter.desync((n) => {
 *   n.value++;
 * });
 * assert.throws(() => counter.trySync((n) => n.value), TrySyncError);
 * assert.equal(counter.sync((n) => n.value), 1);
 * ```
 */
export class TrySyncError extends DesyncError {
  /** Always `"busy"`: the only reason `trySync` declines. */
  readonly reason: "busy" = "busy";

  /**
   * Creates the error.
   *
   * @param message Why the queue is busy.
   */
  constructor(message: string) {
    super(message);
    this.name = "TrySyncError";
  }
}

/**
 * Thrown when `sync`, `trySync` or `futureSync` is called on a queue from
 * inside one of that queue's own jobs. The call could only complete after the
 * current job, which is waiting for it, so it would deadlock; desync detects
 * this in the job's synchronous part and throws instead.
 *
 * @example
 * ```ts
 * import { Desync, ReentrancyError } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const counter = new Desync(0);
 * const error = counter.sync(() => {
 *   try {
 *     return counter.sync((n) => n.value);
 *   } catch (e) {
 *     return e;
 *   }
 * });
 * assert.ok(error instanceof ReentrancyError);
 * ```
 */
export class ReentrancyError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message Which call was re-entrant.
   */
  constructor(message: string) {
    super(message);
    this.name = "ReentrancyError";
  }
}

/**
 * Thrown by every scheduling operation on a queue or `Desync` after `close()`
 * was called.
 *
 * @example
 * ```ts
 * import { ClosedError, Desync } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const counter = new Desync(0);
 * await counter.close();
 * assert.throws(() => counter.sync((n) => n.value), ClosedError);
 * ```
 */
export class ClosedError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message What was closed.
   */
  constructor(message: string) {
    super(message);
    this.name = "ClosedError";
  }
}
