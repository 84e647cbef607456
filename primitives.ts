// Copyright 2026 the desync authors. MIT license.
/**
 * Async primitives in the spirit of Rust's `futures-intrusive`, for the code
 * around your `Desync` objects: a lock owning its data, a job-count limiter,
 * "wait until ready", hand-off queues between tasks, timeouts on a clock
 * tests can drive, and an atomic `select` over all of them.
 *
 * - {@linkcode Mutex} owns a value; `lock()` gives a guard with `value` (the
 *   shape of a `Desync` job's `Ref`) and `[Symbol.dispose]`.
 * - {@linkcode Semaphore}: weighted permits, strict FIFO or first-fit.
 * - {@linkcode ManualResetEvent}: `set`, `reset`, `wait`.
 * - {@linkcode Channel}: bounded (capacity 0 is a rendezvous) or explicitly
 *   unbounded, with `try` forms, `close(reason)`, async iteration and web
 *   stream bridges; {@linkcode Oneshot} for one value and
 *   {@linkcode StateBroadcast} for a versioned latest value.
 * - {@linkcode TimerService} on an injectable {@linkcode Clock}; a
 *   {@linkcode ManualClock} moves time by hand, also stepping a manual
 *   `Scheduler`, for deterministic tests without patching globals.
 * - {@linkcode select} waits for the first of several operations of any of
 *   these and completes only that one: the others consume nothing.
 *
 * Shared rules. Waiters are served oldest first, by direct hand-off: what
 * they wait for (the lock, the permits, the value) is given to them at the
 * moment it becomes free, so nobody barges in and no wake-up is lost. Every
 * waiting operation takes `{ signal }`; an abort rejects with
 * `signal.reason` and unlinks the waiter in O(1), and an abort after the
 * grant changes nothing (the caller owns what it got). An abort takes effect
 * when the signal's listeners run: a value handed to a waiter by an earlier
 * listener of that same abort is delivered (a `Mutex` or `Semaphore` skips
 * such a waiter instead, so no lock or permit goes to a caller that gave up).
 * Releasing twice is a no-op. Every promise handed out settles: by a grant, an abort, or a close.
 * A producer and consumer that never wait (values always ready) run on
 * microtasks only and give timers and I/O no turn; to let them in, await a
 * host timer now and then (`setTimeout`; a `TimerService.delay(0)` is ready
 * at once and does not yield).
 *
 * @example A bounded hand-off between a producer and a consumer
 * ```ts
 * import { Channel } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const jobs = new Channel<number>(2); // the producer waits while 2 are unread
 * const producing = (async () => {
 *   for (let i = 1; i <= 5; i++) await jobs.send(i);
 *   jobs.close();
 * })();
 * let total = 0;
 * for await (const job of jobs) total += job;
 * await producing;
 * assert.equal(total, 15);
 * ```
 *
 * @module
 */

// == errors ==
export { ClosedError, DesyncError } from "./_engine/errors.ts";
export { ChannelClosedError } from "./primitives/errors.ts";
// == select ==
export {
  type CaseValue,
  select,
  type SelectCases,
  type Selected,
  type SelectOptions,
} from "./primitives/select.ts";
export { SelectCase } from "./primitives/select_case.ts";
// == mutex, semaphore ==
export { ReleasedError } from "./primitives/errors.ts";
export { type LockOptions, Mutex, MutexGuard } from "./primitives/mutex.ts";
export {
  type AcquireOptions,
  Permit,
  Semaphore,
  type SemaphoreOptions,
  type SemaphorePolicy,
} from "./primitives/semaphore.ts";
// == event, oneshot, state broadcast ==
export { ManualResetEvent } from "./primitives/event.ts";
export { Oneshot } from "./primitives/oneshot.ts";
export {
  StateBroadcast,
  type StateReceiveResult,
  type StateUpdate,
} from "./primitives/state_broadcast.ts";
// == channel ==
export {
  Channel,
  type ChannelFromOptions,
  type ChannelSource,
  type ChannelWritableOptions,
} from "./primitives/channel.ts";
// == timers ==
export {
  type AdvanceOptions,
  type Clock,
  ManualClock,
  type Steppable,
  systemClock,
} from "./primitives/clock.ts";
export { type TimerOptions, TimerService, type TimerServiceOptions } from "./primitives/timer.ts";
