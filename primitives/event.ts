// Copyright 2026 the desync authors. MIT license.
// ManualResetEvent: a flag that tasks wait on (futures-intrusive's
// ManualResetEvent).
//
// Invariants:
// - Waiters are queued only while the flag is clear: `set()` grants every
//   waiter before it returns, and `wait()` on a set event does not queue.
// - A waiter granted by `set()` has completed: `reset()` touches the flag
//   only, so it cannot take back a wake-up ("set, then reset before the
//   waiter ran" still wakes it).

import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { describe, readSignal } from "../_engine/validate.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

/**
 * An event that tasks wait on until it is set: `set()` releases every waiter
 * at once (oldest first) and lets later waits through, until `reset()` makes
 * waits wait again. "Wait until ready" for any number of tasks.
 *
 * Every waiter released by `set()` completes, even if `reset()` follows
 * before it runs: a wake-up is never taken back. There is no auto-reset and
 * no close: a waiter waits until the event is set or its signal aborts.
 *
 * @example Waiting until a service is ready
 * ```ts
 * import { ManualResetEvent } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const ready = new ManualResetEvent();
 * const log: string[] = [];
 * const workers = [1, 2, 3].map(async (id) => {
 *   await ready.wait();
 *   log.push(`worker ${id}`);
 * });
 * log.push("connected");
 * ready.set();
 * await Promise.all(workers);
 * assert.deepEqual(log, ["connected", "worker 1", "worker 2", "worker 3"]);
 * ```
 */
export class ManualResetEvent {
  #isSet: boolean;
  readonly #waiters = new WaitQueue<Waiter<void>>();

  /**
   * Creates an event, clear unless `isSet` is true.
   *
   * @param isSet Whether the event starts set.
   * @throws {TypeError} When `isSet` is not a boolean.
   *
   * @example An event that starts set
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const open = new ManualResetEvent(true);
   * assert.equal(open.isSet, true);
   * await open.wait(); // does not wait
   * ```
   */
  constructor(isSet: boolean = false) {
    if (typeof isSet !== "boolean") {
      throw new TypeError(
        `new ManualResetEvent(): "isSet" must be a boolean, got ${describe(isSet)}`,
      );
    }
    this.#isSet = isSet;
  }

  /**
   * Whether the event is set.
   *
   * @example Following the flag
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const event = new ManualResetEvent();
   * assert.equal(event.isSet, false);
   * event.set();
   * assert.equal(event.isSet, true);
   * event.reset();
   * assert.equal(event.isSet, false);
   * ```
   */
  get isSet(): boolean {
    return this.#isSet;
  }

  /**
   * How many waits are pending (ordinary waits and select cases).
   *
   * @example Counting waiters
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const event = new ManualResetEvent();
   * const waits = [event.wait(), event.wait()];
   * assert.equal(event.waiting, 2);
   * event.set();
   * assert.equal(event.waiting, 0);
   * await Promise.all(waits);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Sets the event: every pending wait completes, oldest first, and later
   * waits complete at once until `reset()`. Does nothing if already set.
   *
   * @example Releasing every waiter
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const start = new ManualResetEvent();
   * const order: number[] = [];
   * const runners = [1, 2].map((n) => start.wait().then(() => order.push(n)));
   * start.set();
   * await Promise.all(runners);
   * assert.deepEqual(order, [1, 2]);
   * ```
   */
  set(): void {
    if (this.#isSet) return;
    this.#isSet = true;
    // Read the head afresh: granting a select's case unlinks its other cases,
    // which may be queued here too.
    const waiters = this.#waiters;
    for (let waiter = waiters.first; waiter !== null; waiter = waiters.first) {
      waiter.grant(undefined);
    }
  }

  /**
   * Clears the event: later waits wait for the next `set()`. Waits already
   * released by `set()` still complete.
   *
   * @example A reset does not take back a wake-up
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const event = new ManualResetEvent();
   * const waiting = event.wait();
   * event.set();
   * event.reset(); // before the waiter ran
   * await waiting; // completes all the same
   * assert.equal(event.isSet, false);
   * ```
   */
  reset(): void {
    this.#isSet = false;
  }

  /**
   * Waits until the event is set; resolves at once if it is set now.
   *
   * @param options.signal Stops waiting: the promise rejects with
   *   `signal.reason` (at once if already aborted, even when the event is
   *   set). An abort after `set()` released the wait changes nothing.
   *   @default undefined
   * @returns A promise that resolves when the event is set.
   * @throws {TypeError} When `options` is not an object with an optional
   *   `signal` (an AbortSignal).
   *
   * @example Waiting with a timeout
   * ```ts
   * import { ManualResetEvent } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const event = new ManualResetEvent();
   * const controller = new AbortController();
   * const waiting = event.wait({ signal: controller.signal });
   * controller.abort(new Error("gave up"));
   * await assert.rejects(waiting, { message: "gave up" });
   * assert.equal(event.waiting, 0);
   * ```
   */
  wait(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = readSignal(options, "ManualResetEvent.wait");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#isSet) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter<void>(undefined, resolve, reject);
      this.#waiters.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * The wait as a case of `select()`: it completes (with `undefined`) when
   * the event is set. Losing the select consumes nothing.
   *
   * @returns A case that can be passed to several selects in turn.
   *
   * @example Waiting for whichever of two events is set first
   * ```ts
   * import { ManualResetEvent, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const done = new ManualResetEvent();
   * const cancelled = new ManualResetEvent();
   * const first = select({ done: done.waitCase(), cancelled: cancelled.waitCase() });
   * cancelled.set();
   * assert.equal((await first).key, "cancelled");
   * assert.equal(done.waiting, 0, "the losing case left the queue");
   * ```
   */
  waitCase(): SelectCase<void> {
    return makeCase<void>({
      poll: () => (this.#isSet ? undefined : NOT_READY),
      // select() enlists right after every poll said NOT_READY, in the same
      // synchronous block, so the event is still clear here.
      enlist: (waiter) => {
        waiter.request = undefined;
        this.#waiters.push(waiter);
      },
    });
  }
}
