// Copyright 2026 the desync authors. MIT license.
// select(): wait for the first of several operations, atomically.
//
// Atomicity comes from the waiters, not from a race of promises: every case
// is a waiter in its primitive's own queue, and the commit (the value taken,
// the lock held, the permits counted) happens when a primitive grants one of
// them, synchronously, at which point the select's group unlinks the others
// before anything else can run. A case that lost therefore never took
// anything, and a primitive never meets a case of a select that is over.
//
// Order of events in one call, all synchronous:
//   1. check the arguments and the signal;
//   2. poll every case in key order; the first that completes wins, and the
//      later ones are not even polled (nothing was taken from them);
//   3. otherwise enlist every case, then watch the signal.

import { SelectGroup, Waiter } from "../_engine/waiters.ts";
import { describe, readSignal } from "../_engine/validate.ts";
import { type CaseOps, caseOps, NOT_READY, type SelectCase } from "./select_case.ts";

/**
 * The cases of a {@linkcode select}: an object whose keys name the cases and
 * whose values are {@linkcode SelectCase}s. Key order is priority order.
 *
 * @example Naming the cases
 * ```ts
 * import { Channel, type SelectCases } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const urgent = new Channel<string>(8);
 * const normal = new Channel<string>(8);
 * const cases: SelectCases = { urgent: urgent.receiveCase(), normal: normal.receiveCase() };
 * assert.deepEqual(Object.keys(cases), ["urgent", "normal"]);
 * ```
 */
export type SelectCases = Record<string, SelectCase<unknown>>;

/**
 * What a case completes with: `T` for a `SelectCase<T>`.
 *
 * @typeParam C A select case type.
 *
 * @example The value type of a lock case
 * ```ts
 * import { type CaseValue, Mutex, type MutexGuard } from "@desync/desync/primitives";
 *
 * const lock = new Mutex(0).lockCase();
 * const check: CaseValue<typeof lock> extends MutexGuard<number> ? true : false = true;
 * ```
 */
export type CaseValue<C> = C extends SelectCase<infer T> ? T : never;

/**
 * What {@linkcode select} resolves with: the key of the case that completed
 * and that case's value, as a union discriminated by `key`.
 *
 * @typeParam C The cases passed to `select`.
 *
 * @example Narrowing on the key
 * ```ts
 * import { Channel, select, type Selected } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const numbers = new Channel<number>(1);
 * const words = new Channel<string>(1);
 * await words.send("hi");
 * const cases = { number: numbers.receiveCase(), word: words.receiveCase() };
 * const result: Selected<typeof cases> = await select(cases);
 * if (result.key === "word") assert.equal(result.value.value, "hi"); // a string here
 * else assert.fail("no number was sent");
 * ```
 */
export type Selected<C extends SelectCases> = {
  [K in keyof C & string]: { key: K; value: CaseValue<C[K]> };
}[keyof C & string];

/**
 * Options of {@linkcode select}.
 *
 * @example Giving up after a while
 * ```ts
 * import { Channel, select, type SelectOptions } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const quiet = new Channel<string>(1);
 * const options: SelectOptions = { signal: AbortSignal.timeout(10) };
 * await assert.rejects(select({ message: quiet.receiveCase() }, options), { name: "TimeoutError" });
 * assert.equal(quiet.waitingReceivers, 0, "the case left the channel's queue");
 * ```
 */
export interface SelectOptions {
  /**
   * Gives up waiting: the select rejects with `signal.reason`, and every case
   * leaves its queue having consumed nothing. An abort after a case completed
   * changes nothing.
   *
   * @default {undefined}
   *
   * @example Cancelling a select from outside
   * ```ts
   * import { ManualResetEvent, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const ready = new ManualResetEvent();
   * const controller = new AbortController();
   * const waiting = select({ ready: ready.waitCase() }, { signal: controller.signal });
   * controller.abort(new Error("shutting down"));
   * await assert.rejects(waiting, { message: "shutting down" });
   * assert.equal(ready.waiting, 0);
   * ```
   */
  signal?: AbortSignal;
}

/**
 * Waits for the first of several operations to complete, and completes only
 * that one: exactly one case happens, and the others consume nothing (no
 * value taken from a channel, no lock held, no permit counted, no deadline
 * used up). The cases are operations of any primitive of this module:
 * `channel.receiveCase()`, `channel.sendCase(value)`, `mutex.lockCase()`,
 * `semaphore.acquireCase(n)`, `event.waitCase()`, `oneshot.receiveCase()`,
 * `state.receiveCase(since)`, `timers.delayCase(ms)`, `timers.deadlineCase(t)`.
 *
 * If some cases can complete at once, the first of them in key order does
 * (key order is priority order, so a case that is always ready can starve
 * the cases after it: put it last, or rotate the keys). Otherwise every case
 * waits in its primitive's queue, in that queue's FIFO order like any other
 * waiter, and the first to be granted wins; the others leave their queues
 * in the same synchronous step.
 *
 * Unlike `Promise.race` over `receive()` calls, which leaves the losing
 * receives queued and loses the values they take later, nothing is lost.
 *
 * @typeParam C The cases.
 * @param cases An object of named cases; at least one.
 * @param options A `signal` to give up.
 * @returns A promise of `{ key, value }`: which case completed and with what
 * (a receive case gives `{ done, value }`, a lock case a guard, ...).
 * @throws {TypeError} When `cases` is not an object of {@linkcode SelectCase}s
 * or is empty, or the options are not `{ signal }`.
 * It rejects with `signal.reason` on abort, and with a case's error when that
 * case fails (a send case on a channel that is or gets closed rejects with a
 * `ChannelClosedError`); the other cases then consume nothing either.
 *
 * @example Serving two channels and a deadline
 * ```ts
 * import { Channel, ManualClock, select, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const timers = new TimerService({ clock });
 * const orders = new Channel<string>(4);
 * const refunds = new Channel<string>(4);
 * await refunds.send("refund 7");
 *
 * const first = await select({
 *   order: orders.receiveCase(),
 *   refund: refunds.receiveCase(),
 *   idle: timers.delayCase(1_000),
 * });
 * assert.deepEqual(first, { key: "refund", value: { done: false, value: "refund 7" } });
 *
 * const second = select({ order: orders.receiveCase(), idle: timers.delayCase(1_000) });
 * await clock.advance(1_000);
 * assert.equal((await second).key, "idle");
 * assert.equal(orders.waitingReceivers, 0, "the losing receive left the queue");
 * ```
 *
 * @example Taking whichever lock is free, without ever holding two
 * ```ts
 * import { Mutex, select } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const left = new Mutex("left printer");
 * const right = new Mutex("right printer");
 * const busy = left.tryLock()!;
 * const got = await select({ left: left.lockCase(), right: right.lockCase() });
 * assert.equal(got.key, "right");
 * assert.equal(got.value.value, "right printer");
 * busy.release();
 * assert.equal(left.locked, false, "the left case left the mutex's queue");
 * got.value.release();
 * ```
 */
export function select<C extends SelectCases>(
  cases: C,
  options?: SelectOptions,
): Promise<Selected<C>> {
  const signal = readSignal(options, "select");
  const keys = caseKeys(cases);
  const ops: CaseOps<unknown>[] = [];
  for (const key of keys) {
    const operations = caseOps(cases[key]);
    if (operations === undefined) {
      throw new TypeError(
        `select(): case "${key}" must be a SelectCase (from channel.receiveCase(), ` +
          `mutex.lockCase(), timers.delayCase(ms), ...), got ${describe(cases[key])}`,
      );
    }
    ops.push(operations);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);

  // 2. The first case that can complete now, in key order.
  for (let index = 0; index < ops.length; index++) {
    let value: unknown;
    try {
      value = ops[index].poll();
    } catch (error) {
      return Promise.reject(error);
    }
    if (value !== NOT_READY) {
      return Promise.resolve({ key: keys[index], value } as Selected<C>);
    }
  }

  // 3. Every case waits; the first granted decides.
  return new Promise<Selected<C>>((resolve, reject) => {
    const group = new SelectGroup(resolve as (decided: unknown) => void, reject);
    for (let index = 0; index < ops.length; index++) {
      const waiter = new Waiter<unknown>(undefined, null, null);
      group.add(waiter, keys[index]);
      ops[index].enlist(waiter);
    }
    if (signal !== undefined) group.watchAbort(signal);
  });
}

function caseKeys(cases: unknown): string[] {
  if (typeof cases !== "object" || cases === null || Array.isArray(cases)) {
    throw new TypeError(
      `select(): "cases" must be an object of named cases ({ name: channel.receiveCase(), ... }), ` +
        `got ${describe(cases)}`,
    );
  }
  const keys = Object.keys(cases);
  if (keys.length === 0) {
    throw new TypeError(`select(): "cases" has no case; a select of nothing would wait forever`);
  }
  return keys;
}
