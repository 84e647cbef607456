// Copyright 2026 the desync authors. MIT license.
// TimerService: delays, deadlines, select cases and timeout signals on an
// injectable clock, all waiting in one min-heap (_timer_heap.ts).
//
// Who fires the timers:
// - a ManualClock, when the service uses one: the service tells the clock of
//   every change of its heap, and the clock's advance() fires them;
// - otherwise, by default, ONE host setTimeout armed for the earliest
//   deadline: re-armed when an earlier deadline comes in (futures-intrusive
//   #6 had no such hook), left as is when the earliest leaves (it wakes
//   early, finds nothing due and re-arms: cheaper than re-arming on every
//   abort), cleared when no timer with a finite deadline is left, so that
//   nothing keeps Node alive or trips Deno's test sanitizers;
// - otherwise (`hostTimer: false`), whoever calls checkExpirations().
//
// Firing a timer is `waiter.grant()`, which unlinks it from the heap before
// anything else runs: a promise resolves (its continuation runs later, as a
// microtask), a select decides, or a timeout's controller aborts (its
// listeners run now, and may make or cancel timers; one that throws is
// reported, never thrown into the loop). The heap is sound at every one of
// those points, so user code can never corrupt it (futures-intrusive #73),
// and the expiry loop reads the heap afresh each time round.
//
// Invariants:
// - Every timer in the heap has a deadline after the time it was made (one
//   due at once never enters it), so an expiry loop cannot feed itself.
// - With a host timer: `#hostTimer` is set iff the heap has a finite
//   deadline, and it fires at or before `#armedFor`, which is at or before
//   the earliest deadline.

import { reportLoudly } from "../_engine/platform.ts";
import { Waiter } from "../_engine/waiters.ts";
import { assertOptions, describe, readSignal } from "../_engine/validate.ts";
import { TimerHeap } from "./_timer_heap.ts";
import { type Clock, ManualClock, noteTimers, systemClock } from "./clock.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

/** The longest delay setTimeout takes everywhere (2^31 - 1 ms, ~24.8 days); longer ones fire at once. */
const MAX_HOST_DELAY = 2 ** 31 - 1;

/** Lets a host timer not keep the process alive: Node and Bun's `unref()`, Deno's `unrefTimer`. */
function unref(timer: unknown): void {
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof (timer as { unref?: unknown })?.unref === "function") {
    (timer as { unref(): void }).unref();
  } else if (typeof timer === "number" && typeof deno?.unrefTimer === "function") {
    deno.unrefTimer(timer);
  }
}

/** Shared by every service: equal deadlines on one ManualClock fire in the order made, across services. */
let sequence = 0;

/**
 * Options of {@linkcode TimerService}.
 *
 * @example A service on a manual clock
 * ```ts
 * import { ManualClock, TimerService, type TimerServiceOptions } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const options: TimerServiceOptions = { clock: new ManualClock() };
 * const timers = new TimerService(options);
 * assert.equal(timers.clock, options.clock);
 * ```
 */
export interface TimerServiceOptions {
  /**
   * Where time comes from: {@linkcode systemClock}, a
   * {@linkcode ManualClock} for tests, or a {@linkcode Clock} of your own.
   *
   * @default {systemClock}
   *
   * @example Simulated time
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const nap = timers.delay(1_000);
   * await clock.advance(1_000);
   * await nap;
   * assert.equal(timers.clock.now(), 1_000);
   * ```
   */
  clock?: Clock;
  /**
   * Whether the service fires its timers itself, with one host `setTimeout`
   * armed for the earliest deadline. Set it to `false` for a clock that you
   * drive by hand (call {@linkcode TimerService.checkExpirations} when it
   * moves). A {@linkcode ManualClock} always drives its services, so it
   * cannot be `true` with one.
   *
   * @default {true} (false with a ManualClock)
   *
   * @example Firing timers from your own loop
   * ```ts
   * import { TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let tick = 0;
   * const timers = new TimerService({ clock: { now: () => tick }, hostTimer: false });
   * const fired = timers.delay(2);
   * tick = 2;
   * assert.equal(timers.checkExpirations(), 1);
   * await fired;
   * ```
   */
  hostTimer?: boolean;
}

/**
 * Options of {@linkcode TimerService.delay} and
 * {@linkcode TimerService.deadline}.
 *
 * @example A delay that can be cut short
 * ```ts
 * import { type TimerOptions, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const timers = new TimerService();
 * const stop = new AbortController();
 * const options: TimerOptions = { signal: stop.signal };
 * const nap = timers.delay(60_000, options);
 * stop.abort(new Error("shutting down"));
 * await assert.rejects(nap, { message: "shutting down" });
 * assert.equal(timers.pending, 0);
 * ```
 */
export interface TimerOptions {
  /**
   * Stops waiting: the promise rejects with `signal.reason` and the timer
   * leaves the service. An aborted signal rejects at once, even for a
   * timer that is already due. An abort after the timer fired changes
   * nothing.
   *
   * @default {undefined}
   *
   * @example A pause that ends early on shutdown
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const timers = new TimerService({ clock: new ManualClock() });
   * const shutdown = new AbortController();
   * const pause = timers.delay(5_000, { signal: shutdown.signal });
   * shutdown.abort(new Error("shutdown"));
   * await assert.rejects(pause, { message: "shutdown" });
   * ```
   */
  signal?: AbortSignal;
}

/**
 * Delays, deadlines and timeouts on one clock, all in one min-heap: a timer
 * costs a promise and a heap entry, and cancelling it (an abort, a select it
 * lost) is O(log n). Equal deadlines fire in the order the timers were made.
 *
 * On the system clock (the default) the service fires its timers with a
 * single host `setTimeout` armed for the earliest deadline, re-armed when an
 * earlier one comes in and cleared when no timer is left: an idle service
 * holds no host timer. On a {@linkcode ManualClock} it holds none at all: the
 * clock's `advance()` fires the timers, which is how code that takes a
 * `TimerService` (instead of calling `setTimeout`) is tested in no time and
 * the same way every run. Times are milliseconds as the clock counts them;
 * a delay's deadline is `clock.now() + ms`, taken when it is called.
 *
 * Timers fire only when their deadline has passed on the clock, but a host
 * timer can fire late (a busy event loop, a throttled background tab).
 *
 * @example Waiting, with a deadline for a whole operation
 * ```ts
 * import { TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const timers = new TimerService();
 * const start = timers.clock.now();
 * await timers.delay(10);
 * assert.ok(timers.clock.now() - start >= 10);
 * assert.equal(timers.pending, 0); // and no host timer left behind
 * ```
 *
 * @example Testing time-dependent code with a manual clock
 * ```ts
 * import { ManualClock, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * // Code under test takes its timers as a parameter.
 * async function heartbeat(timers: TimerService, beats: number[], count: number) {
 *   for (let i = 0; i < count; i++) {
 *     await timers.delay(1_000);
 *     beats.push(timers.clock.now());
 *   }
 * }
 * const clock = new ManualClock();
 * const beats: number[] = [];
 * const done = heartbeat(new TimerService({ clock }), beats, 3);
 * await clock.advance(2_500);
 * assert.deepEqual(beats, [1_000, 2_000]);
 * await clock.advance(500);
 * await done;
 * assert.deepEqual(beats, [1_000, 2_000, 3_000]);
 * ```
 */
export class TimerService {
  /**
   * The clock the service reads.
   *
   * @example The default clock
   * ```ts
   * import { systemClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new TimerService().clock, systemClock);
   * ```
   */
  readonly clock: Clock;
  readonly #heap = new TimerHeap();
  readonly #manual: ManualClock | undefined;
  readonly #hostDriven: boolean;
  #hostTimer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  readonly #onHostTimer = () => {
    this.#hostTimer = undefined;
    this.#armedFor = Infinity;
    this.checkExpirations();
  };

  /**
   * Creates a timer service.
   *
   * @param options The `clock`, and whether to fire timers with a `hostTimer`.
   * @throws {TypeError} If `options` is not an object, has an unknown key,
   * `clock` has no `now()` method, or `hostTimer` is not a boolean or is
   * `true` with a {@linkcode ManualClock}.
   *
   * @example One service per clock
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const real = new TimerService();
   * const simulated = new TimerService({ clock: new ManualClock() });
   * assert.notEqual(real.clock, simulated.clock);
   * ```
   */
  constructor(options?: TimerServiceOptions) {
    assertOptions(options, "new TimerService", ["clock", "hostTimer"]);
    const clock = options?.clock ?? systemClock;
    if (
      (typeof clock !== "object" && typeof clock !== "function") || clock === null ||
      typeof clock.now !== "function"
    ) {
      throw new TypeError(
        `new TimerService(): "options.clock" must be a Clock (an object with a now() method), ` +
          `got ${describe(clock)}`,
      );
    }
    const manual = clock instanceof ManualClock ? clock : undefined;
    const hostTimer = options?.hostTimer;
    if (hostTimer !== undefined && typeof hostTimer !== "boolean") {
      throw new TypeError(
        `new TimerService(): "options.hostTimer" must be a boolean, got ${describe(hostTimer)}`,
      );
    }
    if (hostTimer === true && manual !== undefined) {
      throw new TypeError(
        `new TimerService(): "options.hostTimer" cannot be true with a ManualClock, ` +
          `which fires the timers of its services itself (advance())`,
      );
    }
    this.clock = clock;
    this.#manual = manual;
    this.#hostDriven = manual === undefined && hostTimer !== false;
    this.#heap.onRemoved = () => this.#changed();
  }

  /**
   * Resolves after `ms` milliseconds on the service's clock: at the first
   * check at or after `clock.now() + ms`, the deadline being taken now,
   * when `delay` is called (not when the promise is awaited). A delay of 0
   * or less is due at once: the promise is already resolved.
   *
   * @param ms How long to wait, in milliseconds. `Infinity` waits until the
   * signal aborts (forever without one).
   * @param options A `signal` to stop waiting.
   * @returns A promise that resolves (with `undefined`) when the time has
   * passed, or rejects with `signal.reason` on abort.
   * @throws {TypeError} If `ms` is not a number, or the options are not
   * `{ signal }` with an AbortSignal.
   * @throws {RangeError} If `ms` is NaN.
   *
   * @example Pausing between attempts
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * let done = false;
   * timers.delay(300).then(() => (done = true));
   * await clock.advance(299);
   * assert.equal(done, false);
   * await clock.advance(1);
   * assert.equal(done, true);
   * ```
   */
  delay(ms: number, options?: TimerOptions): Promise<void> {
    assertMs(ms, "TimerService.delay");
    const signal = readSignal(options, "TimerService.delay");
    const now = this.#now("TimerService.delay");
    return this.#wait(now + ms, now, signal);
  }

  /**
   * Resolves when the service's clock reaches `time`; at once when it
   * already has.
   *
   * @param time The deadline, in the clock's milliseconds. `Infinity` waits
   * until the signal aborts (forever without one).
   * @param options A `signal` to stop waiting.
   * @returns A promise that resolves when the deadline has passed, or
   * rejects with `signal.reason` on abort.
   * @throws {TypeError} If `time` is not a number, or the options are not
   * `{ signal }` with an AbortSignal.
   * @throws {RangeError} If `time` is NaN.
   *
   * @example Several steps sharing one deadline
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const end = clock.now() + 1_000;
   * const fired: string[] = [];
   * timers.deadline(end).then(() => fired.push("first"));
   * await clock.advance(400);
   * timers.deadline(end).then(() => fired.push("second")); // same deadline, not 1,400
   * await clock.advance(600);
   * assert.deepEqual(fired, ["first", "second"]);
   * ```
   */
  deadline(time: number, options?: TimerOptions): Promise<void> {
    assertTime(time, "TimerService.deadline", "time");
    const signal = readSignal(options, "TimerService.deadline");
    return this.#wait(time, this.#now("TimerService.deadline"), signal);
  }

  /**
   * A {@linkcode select} case that completes `ms` milliseconds after the
   * select polls it: the deadline is taken each time a select runs the case
   * (so a loop that selects with the same case gets a fresh delay each turn:
   * an idle timeout). A select that another case wins removes the timer.
   *
   * @param ms How long the case waits, in milliseconds; 0 or less is ready
   * at once, `Infinity` never completes.
   * @returns The case, completing with `undefined`.
   * @throws {TypeError} If `ms` is not a number.
   * @throws {RangeError} If `ms` is NaN.
   *
   * @example Receiving with an idle timeout
   * ```ts
   * import { Channel, ManualClock, select, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const inbox = new Channel<string>(4);
   * const idle = timers.delayCase(5_000);
   * const next = select({ message: inbox.receiveCase(), idle });
   * await clock.advance(5_000);
   * assert.equal((await next).key, "idle");
   * assert.equal(timers.pending, 0);
   * ```
   */
  delayCase(ms: number): SelectCase<void> {
    assertMs(ms, "TimerService.delayCase");
    let deadline = 0; // taken by poll, used by the enlist that follows in the same select
    return makeCase<void>({
      poll: () => {
        const now = this.#now("TimerService.delayCase");
        deadline = now + ms;
        return deadline <= now ? undefined : NOT_READY;
      },
      enlist: (waiter) => this.#insert(waiter, deadline),
    });
  }

  /**
   * A {@linkcode select} case that completes when the service's clock
   * reaches `time` (ready at once if it has). A select that another case
   * wins removes the timer.
   *
   * @param time The deadline, in the clock's milliseconds; `Infinity` never
   * completes.
   * @returns The case, completing with `undefined`.
   * @throws {TypeError} If `time` is not a number.
   * @throws {RangeError} If `time` is NaN.
   *
   * @example A message or the end of the session, whichever comes first
   * ```ts
   * import { Channel, ManualClock, select, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const inbox = new Channel<string>(4);
   * const sessionEnd = timers.deadlineCase(60_000);
   * await inbox.send("hello");
   * const first = await select({ message: inbox.receiveCase(), end: sessionEnd });
   * assert.equal(first.key, "message");
   * const second = select({ message: inbox.receiveCase(), end: sessionEnd });
   * await clock.advanceTo(60_000);
   * assert.equal((await second).key, "end");
   * ```
   */
  deadlineCase(time: number): SelectCase<void> {
    assertTime(time, "TimerService.deadlineCase", "time");
    return makeCase<void>({
      poll: () => (time <= this.#now("TimerService.deadlineCase") ? undefined : NOT_READY),
      enlist: (waiter) => this.#insert(waiter, time),
    });
  }

  /**
   * An `AbortSignal` that aborts `ms` milliseconds from now on the service's
   * clock, with a `DOMException` named `"TimeoutError"` as its reason: a
   * deadline for any operation that takes a `{ signal }`. Unlike
   * `AbortSignal.timeout()`, it follows a {@linkcode ManualClock}.
   *
   * A deadline that has already passed (`ms` of 0 or less) gives a signal
   * that is already aborted, so the operation fails without trying (where
   * `AbortSignal.timeout(0)` would still let it start); `Infinity` gives one
   * that never aborts. On the {@linkcode systemClock} with its host timer,
   * the signal is the platform's own `AbortSignal.timeout(ms)` (for ms up to
   * ~24.8 days): it is not counted in `pending`, does not keep Node alive,
   * and Deno's test sanitizers ignore it. On any other clock it is a timer
   * of this service until it fires; it cannot be cancelled, so a test on a
   * clock with a host timer should advance past it or not use it.
   *
   * @param ms Milliseconds from now.
   * @returns The signal.
   * @throws {TypeError} If `ms` is not a number.
   * @throws {RangeError} If `ms` is NaN.
   *
   * @example A lock that is given up on after a second of simulated time
   * ```ts
   * import { ManualClock, Mutex, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const mutex = new Mutex("printer");
   * const held = await mutex.lock();
   * const waiting = mutex.lock({ signal: timers.timeout(1_000) });
   * await clock.advance(1_000);
   * await assert.rejects(waiting, { name: "TimeoutError" });
   * held.release();
   * ```
   */
  timeout(ms: number): AbortSignal {
    assertMs(ms, "TimerService.timeout");
    const now = this.#now("TimerService.timeout");
    const deadline = now + ms;
    if (deadline <= now) return AbortSignal.abort(timeoutError(ms));
    if (deadline === Infinity) return new AbortController().signal;
    const platform = this.clock === systemClock && this.#hostDriven &&
      typeof AbortSignal.timeout === "function";
    if (platform && ms <= MAX_HOST_DELAY) return AbortSignal.timeout(Math.ceil(ms));
    const controller = new AbortController();
    const abort = () => {
      try {
        controller.abort(timeoutError(ms));
      } catch (error) {
        // workerd lets a listener's exception out of abort() (Deno, Node and
        // browsers report it themselves): report it too, and go on firing.
        reportLoudly(error, "an abort listener of a TimerService.timeout() signal");
      }
    };
    if (platform) {
      // Longer than a host timer can wait (~24.8 days): host timers in a row,
      // unref'd where the runtime can, so that, like AbortSignal.timeout, the
      // signal does not keep the process alive by itself.
      const wait = () => {
        const left = deadline - systemClock.now();
        if (left <= 0) return abort();
        unref(setTimeout(wait, Math.min(MAX_HOST_DELAY, Math.ceil(left))));
      };
      wait();
      return controller.signal;
    }
    this.#insert(new Waiter<void>(undefined, abort, null), deadline);
    return controller.signal;
  }

  /**
   * The earliest deadline among the pending timers, or `undefined` when
   * there is none (`Infinity` when the only ones wait forever): when a loop
   * that drives the service itself should next call
   * {@linkcode TimerService.checkExpirations}.
   *
   * @returns The earliest deadline, in the clock's milliseconds.
   *
   * @example The next deadline
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const timers = new TimerService({ clock: new ManualClock(200) });
   * assert.equal(timers.nextExpiration(), undefined);
   * timers.deadline(999);
   * timers.delay(300);
   * assert.equal(timers.nextExpiration(), 500);
   * ```
   */
  nextExpiration(): number | undefined {
    return this.#heap.length > 0 ? this.#heap.firstDeadline : undefined;
  }

  /**
   * Fires every timer whose deadline has passed on the clock (in deadline
   * order, equal deadlines in the order made), and says how many it fired.
   * The host timer and a {@linkcode ManualClock} call it for you; call it
   * yourself for a clock you move by hand (with `hostTimer: false`). The
   * continuations of the delays it resolves run afterwards, as microtasks;
   * the listeners of the timeout signals it aborts run during the call.
   *
   * @returns How many timers fired.
   *
   * @example Driving a service from your own loop
   * ```ts
   * import { type Clock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let time = 0;
   * const clock: Clock = { now: () => time };
   * const timers = new TimerService({ clock, hostTimer: false });
   * const fired: number[] = [];
   * for (const ms of [30, 10, 20]) timers.delay(ms).then(() => fired.push(ms));
   * time = 20;
   * assert.equal(timers.checkExpirations(), 2);
   * time = 30;
   * assert.equal(timers.checkExpirations(), 1);
   * await Promise.resolve();
   * assert.deepEqual(fired, [10, 20, 30]);
   * ```
   */
  checkExpirations(): number {
    const heap = this.#heap;
    const now = this.#now("TimerService.checkExpirations");
    let fired = 0;
    try {
      // Read afresh each time: firing may run listeners that add or remove timers.
      while (heap.length > 0 && heap.firstDeadline <= now) {
        heap.first!.grant(undefined);
        fired++;
      }
    } finally {
      this.#changed(); // re-arm whatever happened
    }
    return fired;
  }

  /**
   * How many timers are waiting: delays, deadlines and select cases not yet
   * fired, aborted or decided, and timeout signals not yet aborted (except
   * the platform's own, see {@linkcode TimerService.timeout}).
   *
   * @returns The number of pending timers.
   *
   * @example Aborted timers leave at once
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const timers = new TimerService({ clock: new ManualClock() });
   * const stop = new AbortController();
   * const nap = timers.delay(100, { signal: stop.signal });
   * assert.equal(timers.pending, 1);
   * stop.abort();
   * assert.equal(timers.pending, 0);
   * await assert.rejects(nap, { name: "AbortError" });
   * ```
   */
  get pending(): number {
    return this.#heap.length;
  }

  #wait(deadline: number, now: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (deadline <= now) return Promise.resolve();
    let waiter!: Waiter<void>;
    const promise = new Promise<void>((resolve, reject) => {
      waiter = new Waiter<void>(undefined, resolve, reject);
    });
    this.#insert(waiter, deadline);
    if (signal !== undefined) waiter.watchAbort(signal);
    return promise;
  }

  /** The clock's time, checked: a clock that says NaN would make every deadline "not yet", forever. */
  #now(method: string): number {
    const now = this.clock.now();
    if (typeof now !== "number" || now !== now) {
      throw new TypeError(
        `${method}(): the clock's now() returned ${describe(now)}, not a number of milliseconds`,
      );
    }
    return now;
  }

  #insert(waiter: Waiter<void>, deadline: number): void {
    this.#heap.push(waiter, deadline, sequence++);
    this.#changed();
  }

  /** The heap changed: tell the manual clock, or (re-)arm the host timer. */
  #changed(): void {
    if (this.#manual !== undefined) noteTimers(this.#manual, this.#heap);
    else if (this.#hostDriven) this.#arm();
  }

  #arm(): void {
    const heap = this.#heap;
    const next = heap.length > 0 ? heap.firstDeadline : Infinity;
    if (next === Infinity) {
      if (this.#hostTimer !== undefined) {
        clearTimeout(this.#hostTimer);
        this.#hostTimer = undefined;
        this.#armedFor = Infinity;
      }
      return;
    }
    if (this.#hostTimer !== undefined) {
      if (this.#armedFor <= next) return; // it fires in time (perhaps early, then re-arms)
      clearTimeout(this.#hostTimer);
    }
    const now = this.#now("TimerService");
    // Rounded up: a host timer that fires a fraction early would only re-arm.
    const wait = Math.min(MAX_HOST_DELAY, Math.max(0, Math.ceil(next - now)));
    this.#armedFor = wait === MAX_HOST_DELAY ? now + wait : next;
    this.#hostTimer = setTimeout(this.#onHostTimer, wait);
  }
}

function assertMs(ms: unknown, method: string): asserts ms is number {
  assertTime(ms, method, "ms");
}

/** A time or a duration: any number but NaN (Infinity: never; 0 or less, or the past: now). */
function assertTime(value: unknown, method: string, name: string): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${method}(): "${name}" must be a number of milliseconds, got ${describe(value)}`,
    );
  }
  if (value !== value) {
    throw new RangeError(`${method}(): "${name}" must be a number of milliseconds, got NaN`);
  }
}

function timeoutError(ms: number): DOMException {
  return new DOMException(`TimerService.timeout(): ${ms} ms passed`, "TimeoutError");
}
