// Copyright 2026 the desync authors. MIT license.
// The primitives' named errors. They extend the package's ClosedError (and so
// DesyncError): `catch (e) { if (e instanceof ClosedError) ... }` covers a
// closed Desync and a closed channel alike.

import { ClosedError, DesyncError } from "../_engine/errors.ts";

/**
 * A send that did not happen because its channel is closed: `send` on a
 * closed channel, a send still waiting when the channel closed, and a
 * oneshot's second send. It carries the value that was not delivered, so
 * nothing is lost; when the channel was closed with a reason, the reason is
 * its `cause`.
 *
 * @typeParam T The type of the value that was not sent.
 *
 * @example Getting the value back from a send that failed
 * ```ts
 * import { Channel, ChannelClosedError } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const orders = new Channel<string>(0);
 * const sending = orders.send("order 1"); // waits: nobody receives
 * orders.close(new Error("shop closed"));
 * const error = await sending.catch((e) => e);
 * assert.ok(error instanceof ChannelClosedError);
 * assert.equal(error.value, "order 1");
 * assert.equal((error.cause as Error).message, "shop closed");
 * ```
 */
export class ChannelClosedError<T = unknown> extends ClosedError {
  /**
   * The value that was not sent.
   *
   * @example Retrying the value elsewhere
   * ```ts
   * import { Channel, ChannelClosedError } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const primary = new Channel<string>(1);
   * const fallback = new Channel<string>(1);
   * primary.close();
   * await primary.send("job 1").catch(async (error) => {
   *   if (error instanceof ChannelClosedError) await fallback.send(error.value);
   * });
   * assert.deepEqual(fallback.tryReceive(), { ok: true, value: "job 1" });
   * ```
   */
  readonly value: T;

  /**
   * Creates the error.
   *
   * @param message What was closed, and which operation failed.
   * @param value The value that was not sent.
   * @param options Standard error options: `cause` is the close reason, if any.
   *
   * @example Creating one
   * ```ts
   * import { ChannelClosedError } from "@desync/desync/primitives";
   * import { ClosedError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new ChannelClosedError("Channel.send(): the channel is closed", 42);
   * assert.ok(error instanceof ClosedError);
   * assert.equal(error.name, "ChannelClosedError");
   * assert.equal(error.value, 42);
   * ```
   */
  constructor(message: string, value: T, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChannelClosedError";
    this.value = value;
  }
}

// == ReleasedError (mutex) ==

/**
 * Thrown when a {@linkcode MutexGuard} is used after it was released: reading
 * or assigning its `value` once `release()` (or the end of its `using` block,
 * or of its `withLock` callback) gave the lock up. The data may be another
 * holder's by then, so touching it through the old guard would be a data race;
 * lock the mutex again instead.
 *
 * @example A guard kept past its release
 * ```ts
 * import { Mutex, ReleasedError } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const counter = new Mutex(0);
 * const guard = await counter.lock();
 * guard.value++;
 * guard.release();
 * assert.throws(() => guard.value, ReleasedError);
 * assert.equal(await counter.withLock((ref) => ref.value), 1);
 * ```
 */
export class ReleasedError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message What was used after its release.
   *
   * @example Creating one
   * ```ts
   * import { ReleasedError } from "@desync/desync/primitives";
   * import { DesyncError } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const error = new ReleasedError("MutexGuard.value: the guard was released");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "ReleasedError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "ReleasedError";
  }
}
