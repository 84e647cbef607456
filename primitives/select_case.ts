// Copyright 2026 the desync authors. MIT license.
// A case of select(): one waiting operation of one primitive, described but
// not started. The primitive supplies two operations (CaseOps):
//
// - poll: complete now, without waiting, if possible; completing is the
//   commit (the value is taken, the lock held, the permits counted). Returns
//   NOT_READY otherwise. May throw (a send on a closed channel), which fails
//   the select.
// - enlist: link a waiter for the operation into the primitive's wait queue.
//   The primitive later grants it (the commit) or fails it, as it would any
//   waiter; the select's group then unlinks the other cases.
//
// select() polls every case first, in key order, and enlists them only if
// none was ready, all in one synchronous block: no case can be granted while
// another is still being polled.

import type { Waiter } from "../_engine/waiters.ts";

/** What `poll` returns when the operation would have to wait. */
export const NOT_READY: unique symbol = Symbol("desync.notReady");

/** The primitive's side of a case. */
export interface CaseOps<T> {
  /** Completes the operation now if it can, returning its value; else NOT_READY. */
  poll(): T | typeof NOT_READY;
  /** Links `waiter` (already part of the select's group) into the primitive's wait queue. */
  enlist(waiter: Waiter<T>): void;
}

const INTERNAL: unique symbol = Symbol("desync.SelectCase");

/** Makes a case from a primitive's operations (for the primitives only). */
export let makeCase: <T>(ops: CaseOps<T>) => SelectCase<T>;

/** The operations behind a case, or undefined for anything that is not a case (for select only). */
export let caseOps: <T>(selectCase: SelectCase<T>) => CaseOps<T> | undefined;

/**
 * One operation offered to {@linkcode select}: a channel's receive or send, a
 * mutex's lock, a semaphore's acquire, an event's wait, a timer's deadline.
 * Made by the primitive (`channel.receiveCase()`, `mutex.lockCase()`,
 * `semaphore.acquireCase(n)`, `event.waitCase()`, `timers.delayCase(ms)`
 * ...); creating one does nothing until `select` runs it, and a case may be
 * passed to several selects, one after the other.
 *
 * @typeParam T What the operation completes with.
 *
 * @example A receive or a timeout, whichever comes first
 * ```ts
 * import { Channel, ManualClock, select, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const timers = new TimerService({ clock });
 * const jobs = new Channel<string>(1);
 * const next = select({ job: jobs.receiveCase(), timeout: timers.delayCase(100) });
 * await clock.advance(100);
 * assert.equal((await next).key, "timeout");
 * assert.equal(jobs.trySend("late"), true, "the receive consumed nothing");
 * ```
 */
export class SelectCase<T> {
  readonly #ops: CaseOps<T>;

  /** @ignore Made by the primitives only. */
  private constructor(token: symbol, ops: CaseOps<T>) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "SelectCase cannot be constructed directly; ask a primitive for one (channel.receiveCase(), mutex.lockCase(), ...)",
      );
    }
    this.#ops = ops;
  }

  static {
    makeCase = (ops) => new SelectCase(INTERNAL, ops);
    caseOps = (selectCase) =>
      typeof selectCase === "object" && selectCase !== null && #ops in selectCase
        ? selectCase.#ops
        : undefined;
  }
}
