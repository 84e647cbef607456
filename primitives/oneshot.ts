// Copyright 2026 the desync authors. MIT license.
// Oneshot<T>: one value, taken by one receiver (futures-intrusive's
// OneshotChannel, with direct hand-off and a close reason).
//
// States of the value (#state):
//   EMPTY --send, nobody waiting--> FULL --first receive--> TAKEN
//   EMPTY --send, receivers waiting (the oldest takes it)--> TAKEN
// close() is a separate flag: it stops sends and ends the waiting receivers,
// but a FULL value stays receivable (as in futures-intrusive: a value sent
// was accepted, and closing the sending side must not lose it).
//
// Invariants:
// - Receivers wait only while the state is EMPTY and the oneshot is open:
//   send() grants the oldest the value and ends the others; close() ends
//   them all.
// - #value holds the value only while FULL (a taken value is not retained).

import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { readSignal } from "../_engine/validate.ts";
import { ChannelClosedError } from "./errors.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

const EMPTY = 0;
const FULL = 1;
const TAKEN = 2;

function done<T>(): IteratorResult<T, undefined> {
  return { done: true, value: undefined };
}

/**
 * A channel for one value, taken by one receiver: a reply slot, a "the
 * result is ready" hand-off between two tasks.
 *
 * `send(value)` is synchronous and succeeds once. The first receiver (the
 * oldest waiting, or the first to call `receive()` afterwards) gets
 * `{ done: false, value }`; every other receiver, waiting or later, gets
 * `{ done: true, value: undefined }`. `close(reason?)` refuses later sends
 * and ends the waiting receivers (rejecting them with `reason` when given and
 * no value was sent); a value sent but not yet taken is still delivered
 * after `close()`. `using` closes it at the end of the scope.
 *
 * @typeParam T The type of the value.
 *
 * @example A reply slot
 * ```ts
 * import { Oneshot } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const reply = new Oneshot<number>();
 * setTimeout(() => reply.send(42), 0);
 * assert.deepEqual(await reply.receive(), { done: false, value: 42 });
 * assert.deepEqual(await reply.receive(), { done: true, value: undefined });
 * ```
 */
export class Oneshot<T> {
  #state = EMPTY;
  #value: T | undefined = undefined;
  #closed = false;
  #reason: unknown = undefined;
  readonly #waiters = new WaitQueue<Waiter<IteratorResult<T, undefined>>>();

  /**
   * Whether `close()` was called (a sent value may still be receivable).
   *
   * @example Closing
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<string>();
   * assert.equal(slot.closed, false);
   * slot.close();
   * assert.equal(slot.closed, true);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether a value was sent (taken or not).
   *
   * @example After a send
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<string>();
   * assert.equal(slot.sent, false);
   * slot.send("hello");
   * assert.equal(slot.sent, true);
   * ```
   */
  get sent(): boolean {
    return this.#state !== EMPTY;
  }

  /**
   * How many receives are pending (ordinary receives and select cases).
   *
   * @example Counting receivers
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<string>();
   * const receiving = slot.receive();
   * assert.equal(slot.waiting, 1);
   * slot.send("x");
   * assert.equal(slot.waiting, 0);
   * await receiving;
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Sends the value: the oldest waiting receiver gets it (the others end
   * with `done`), or it is kept for the first receiver to come.
   *
   * @param value The value.
   * @throws {ChannelClosedError} Carrying `value`, when a value was already
   *   sent or the oneshot is closed (its `cause` is the close reason, if any).
   *
   * @example A second send gives its value back
   * ```ts
   * import { ChannelClosedError, Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<number>();
   * slot.send(1);
   * assert.throws(() => slot.send(2), (e) => e instanceof ChannelClosedError && e.value === 2);
   * ```
   */
  send(value: T): void {
    if (this.#closed) {
      throw new ChannelClosedError(
        "Oneshot.send(): the oneshot is closed",
        value,
        this.#reason === undefined ? undefined : { cause: this.#reason },
      );
    }
    if (this.#state !== EMPTY) {
      throw new ChannelClosedError("Oneshot.send(): a value was already sent", value);
    }
    const waiters = this.#waiters;
    const first = waiters.first;
    if (first === null) {
      this.#state = FULL;
      this.#value = value;
      return;
    }
    this.#state = TAKEN;
    first.grant({ done: false, value });
    // Nothing more will come for the others: they end now, as later receives
    // do. The head is read afresh (a select's cases unlink each other).
    for (let waiter = waiters.first; waiter !== null; waiter = waiters.first) waiter.grant(done());
  }

  /**
   * Receives the value: `{ done: false, value }` for the one receiver that
   * takes it, `{ done: true, value: undefined }` for every other one and
   * after a close without a value. Resolves at once if the value is there or
   * will never come.
   *
   * @param options.signal Stops waiting: the promise rejects with
   *   `signal.reason` (at once if already aborted). An abort after the value
   *   was handed over changes nothing: the caller owns it.
   *   @default undefined
   * @returns The value, or the end.
   * @throws {TypeError} When `options` is not an object with an optional
   *   `signal` (an AbortSignal).
   *
   * @example Closing with a reason fails the receivers
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const result = new Oneshot<string>();
   * const receiving = result.receive();
   * result.close(new Error("worker crashed"));
   * await assert.rejects(receiving, { message: "worker crashed" });
   * ```
   */
  receive(options?: { signal?: AbortSignal }): Promise<IteratorResult<T, undefined>> {
    const signal = readSignal(options, "Oneshot.receive");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#failed()) return Promise.reject(this.#reason);
    const now = this.#take();
    if (now !== NOT_READY) return Promise.resolve(now);
    return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
      const waiter = new Waiter<IteratorResult<T, undefined>>(undefined, resolve, reject);
      this.#waiters.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * Takes the value if it is there, without waiting.
   *
   * @returns `{ ok: true, value }` when this call took the value, else
   *   `{ ok: false, closed }` where `closed` tells that no value will ever
   *   come (it was taken, or the oneshot closed without one). It does not
   *   throw the close reason: a synchronous poll reports the state, and
   *   `receive()` reports the reason.
   *
   * @example Polling
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<number>();
   * assert.deepEqual(slot.tryReceive(), { ok: false, closed: false });
   * slot.send(7);
   * assert.deepEqual(slot.tryReceive(), { ok: true, value: 7 });
   * assert.deepEqual(slot.tryReceive(), { ok: false, closed: true });
   * ```
   */
  tryReceive(): { ok: true; value: T } | { ok: false; closed: boolean } {
    const now = this.#take();
    if (now === NOT_READY) return { ok: false, closed: false };
    return now.done ? { ok: false, closed: true } : { ok: true, value: now.value };
  }

  /**
   * Closes the oneshot: later sends throw, and the waiting receivers end
   * (with `done`, or rejected with `reason` when one is given). A value sent
   * but not yet taken stays receivable. Idempotent.
   *
   * @param reason Why it closed: waiting and later receivers reject with it
   *   when no value was sent, and failed sends carry it as their `cause`.
   *   `undefined` means no reason.
   * @returns Whether this call closed it (false if it was already closed).
   *
   * @example Closing twice
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slot = new Oneshot<number>();
   * const receiving = slot.receive();
   * assert.equal(slot.close(), true);
   * assert.equal(slot.close(), false);
   * assert.deepEqual(await receiving, { done: true, value: undefined });
   * ```
   */
  close(reason?: unknown): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#reason = reason;
    // Receivers wait only while nothing was sent: none of them gets a value.
    const waiters = this.#waiters;
    for (let waiter = waiters.first; waiter !== null; waiter = waiters.first) {
      if (reason === undefined) waiter.grant(done());
      else waiter.fail(reason);
    }
    return true;
  }

  /**
   * Closes the oneshot without a reason (`using slot = new Oneshot()`).
   *
   * @example Closed at the end of the scope
   * ```ts
   * import { Oneshot } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let escaped: Oneshot<number>;
   * {
   *   using slot = new Oneshot<number>();
   *   escaped = slot;
   * }
   * assert.equal(escaped.closed, true);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The receive as a case of `select()`: it completes with what `receive()`
   * would resolve with, and fails the select where `receive()` would reject.
   * Losing the select takes nothing.
   *
   * @returns A case that can be passed to several selects in turn.
   *
   * @example A reply or a cancellation
   * ```ts
   * import { ManualResetEvent, Oneshot, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const reply = new Oneshot<string>();
   * const cancel = new ManualResetEvent();
   * const first = select({ reply: reply.receiveCase(), cancel: cancel.waitCase() });
   * cancel.set();
   * assert.equal((await first).key, "cancel");
   * reply.send("late");
   * assert.deepEqual(reply.tryReceive(), { ok: true, value: "late" }, "nothing was taken");
   * ```
   */
  receiveCase(): SelectCase<IteratorResult<T, undefined>> {
    return makeCase<IteratorResult<T, undefined>>({
      poll: () => {
        if (this.#failed()) throw this.#reason;
        return this.#take();
      },
      enlist: (waiter) => {
        waiter.request = undefined;
        this.#waiters.push(waiter);
      },
    });
  }

  /** Whether a receive fails: closed with a reason before any value was sent. */
  #failed(): boolean {
    return this.#closed && this.#state === EMPTY && this.#reason !== undefined;
  }

  /** A receive that does not wait: takes the value, or tells the end, or NOT_READY. */
  #take(): IteratorResult<T, undefined> | typeof NOT_READY {
    if (this.#state === FULL) {
      const value = this.#value as T;
      this.#value = undefined;
      this.#state = TAKEN;
      return { done: false, value };
    }
    return this.#state === TAKEN || this.#closed ? done() : NOT_READY;
  }
}
