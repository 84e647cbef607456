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
 * Base class of every error desync raises for a scheduling condition. It is
 * also what reaches `reportError` when a fire-and-forget job fails with
 * something that is not an `Error` (a string, `undefined`): a `DesyncError`
 * saying what failed, with the thrown value as its `cause`.
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
   *
   * @example Creating one, with a cause
   * ```ts
   * import { DesyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new DesyncError("a job failed", { cause: "not an Error" });
   * assert.equal(error.name, "DesyncError");
   * assert.equal(error.cause, "not an Error");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DesyncError";
  }
}

/**
 * Thrown by `sync` (and `SchedulerFuture.sync`) when the job cannot run to
 * completion right now without waiting: an async job is in flight, the queue
 * is suspended, an `after` job ahead waits for its promise, or a job drained
 * on the caller's stack turned out to be async. JavaScript cannot block, so
 * instead of waiting it fails; the caller's job is then neither run nor
 * queued. Use `futureSync` to wait.
 *
 * @example An async job in flight makes `sync` fail
 * ```ts
 * import { Desync, WouldBlockError } from "@desync/desync";
 * import assert from "node:assert/strict";
 *
 * const cache = new Desync(new Map<string, string>());
 * let release = () => {};
 * const gate = new Promise<void>((resolve) => (release = resolve));
 * let started = () => {};
 * const running = new Promise<void>((resolve) => (started = resolve));
 * const filled = cache.futureSync(async (map) => {
 *   started();
 *   await gate;
 *   map.value.set("a", "1");
 * });
 * await running; // the async job holds the queue
 * assert.throws(() => cache.sync((map) => map.value.size), WouldBlockError);
 * release();
 * await filled;
 * assert.equal(cache.sync((map) => map.value.size), 1);
 * ```
 */
export class WouldBlockError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message Why the call would have to wait.
   *
   * @example Creating one, e.g. in a test double
   * ```ts
   * import { DesyncError, WouldBlockError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new WouldBlockError("an async job is in flight");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "WouldBlockError");
   * ```
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
 * @example A queued job makes `trySync` decline
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
  /**
   * Always `"busy"`: the only reason `trySync` declines.
   *
   * @example Reading the reason
   * ```ts
   * import { Desync, TrySyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const counter = new Desync(0);
   * counter.desync((n) => void n.value++);
   * let reason: string | undefined;
   * try {
   *   counter.trySync((n) => n.value);
   * } catch (error) {
   *   if (error instanceof TrySyncError) reason = error.reason;
   * }
   * assert.equal(reason, "busy");
   * ```
   */
  readonly reason: "busy" = "busy";

  /**
   * Creates the error.
   *
   * @param message Why the queue is busy.
   *
   * @example Creating one
   * ```ts
   * import { TrySyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new TrySyncError("the queue is busy");
   * assert.equal(error.reason, "busy");
   * assert.equal(error.name, "TrySyncError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "TrySyncError";
  }
}

/**
 * Thrown when `sync`, `trySync`, `futureSync` or `SchedulerFuture.sync` is
 * called on a queue from inside one of that queue's own jobs. The call could
 * only complete after the current job, which is waiting for it, so it would
 * deadlock; desync detects this in the job's synchronous part and throws
 * instead. After the job's first `await` it can no longer tell: there `sync`
 * throws {@linkcode WouldBlockError}, and an awaited `futureSync` on the
 * job's own queue waits forever. Schedule follow-up work with `desync` or
 * `futureDesync` instead.
 *
 * @example Calling `sync` from inside a job of the same object
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
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, ReentrancyError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new ReentrancyError("sync() was called from inside its own job");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "ReentrancyError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "ReentrancyError";
  }
}

/**
 * Thrown by every scheduling operation on a queue or `Desync` after `close()`
 * was called, and by the pipe functions given a closed `Desync`. A pipe whose
 * `Desync` is closed while it runs ends with one.
 *
 * @example Using an object after closing it
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
   * @param options Standard error options, such as `cause` (why it was closed).
   *
   * @example Creating one
   * ```ts
   * import { ClosedError, DesyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new ClosedError("the Desync is closed");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "ClosedError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClosedError";
  }
}
