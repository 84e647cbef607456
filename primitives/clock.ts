// Copyright 2026 the desync authors. MIT license.
// Clocks for the timer service: the system clock (performance.now) and a
// manual clock that tests move by hand.
//
// A ManualClock drives the TimerServices that use it: it knows their heaps
// while they hold timers (a service tells it on every change; an empty heap
// is forgotten, so a clock keeps no service alive), and `advance` walks time
// forward one due deadline at a time:
//
//   settle; loop { next = earliest deadline of every heap; stop if > target;
//                  now = next; fire what is due, in (deadline, sequence)
//                  order across heaps; settle }; now = target
//
// "Settle" lets the continuations of what fired run, so that the timers they
// make before the target fire in the same advance, in order. It never gives
// the event loop a turn (no macrotask: no host timer or I/O can slip in, so
// the run is the same every time); instead it hops through the microtask
// queue one generation at a time, stepping the manual scheduler if one was
// given, until SETTLE_TURNS hops in a row saw no progress: no job started,
// no timer of this clock made, removed or fired.

import { DesyncError } from "../_engine/errors.ts";
import { assertOptions, describe } from "../_engine/validate.ts";
import type { TimerHeap } from "./_timer_heap.ts";

/**
 * Microtask hops without progress after which a settle ends: a continuation
 * may take this many promise turns between two timer or scheduler events.
 * An `await` of a promise takes one; an async function's return, up to three.
 */
const SETTLE_TURNS = 64;

/**
 * A source of time for a {@linkcode TimerService}: milliseconds, never
 * decreasing. The origin is the clock's own (only differences and
 * comparisons with deadlines on the same clock matter).
 *
 * @example A clock of your own, driven by hand
 * ```ts
 * import { type Clock, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * let frame = 0;
 * const frames: Clock = { now: () => frame * 16 }; // a game loop's clock
 * const timers = new TimerService({ clock: frames, hostTimer: false });
 * const fired = timers.delay(40);
 * frame = 3; // the loop moves time, then checks the timers
 * assert.equal(timers.checkExpirations(), 1);
 * await fired;
 * ```
 */
export interface Clock {
  /**
   * The current time in milliseconds; never less than a value returned before.
   *
   * @returns The time.
   *
   * @example Reading a clock
   * ```ts
   * import { ManualClock } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new ManualClock(5).now(), 5);
   * ```
   */
  now(): number;
}

/**
 * The system's monotonic clock, `performance.now()`: milliseconds since the
 * program (page, worker) started, with sub-millisecond precision where the
 * platform gives it. Wall-clock changes do not move it. The default clock of
 * {@linkcode TimerService}.
 *
 * @example Measuring with it
 * ```ts
 * import { systemClock } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const start = systemClock.now();
 * await new Promise((resolve) => setTimeout(resolve, 5));
 * assert.ok(systemClock.now() >= start);
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: () => performance.now() });

/**
 * What {@linkcode ManualClock.advance} steps between time steps: anything
 * with a `runReady()` that starts every job ready to run and says how many
 * it started, such as a desync `Scheduler` in manual mode
 * (`new Scheduler({ maxConcurrency: 0 })`).
 *
 * @example A scheduler in manual mode is steppable
 * ```ts
 * import { Scheduler } from "@desync/desync";
 * import type { Steppable } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const manual: Steppable = new Scheduler({ maxConcurrency: 0 });
 * assert.equal(manual.runReady(), 0);
 * ```
 */
export interface Steppable {
  /**
   * Starts every job that is ready now (async jobs are started, not
   * awaited), including the ones those jobs queue.
   *
   * @returns How many jobs started.
   *
   * @example Stepping a manual scheduler
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * new Desync(0, { scheduler: manual }).desync((n) => void n.value++);
   * assert.equal(manual.runReady(), 1);
   * ```
   */
  runReady(): number;
}

/**
 * Options of {@linkcode ManualClock.advance} and
 * {@linkcode ManualClock.advanceTo}.
 *
 * @example Stepping a manual scheduler while time moves
 * ```ts
 * import { Desync, Scheduler } from "@desync/desync";
 * import { type AdvanceOptions, ManualClock, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const manual = new Scheduler({ maxConcurrency: 0 });
 * const clock = new ManualClock();
 * const timers = new TimerService({ clock });
 * const log = new Desync<string[]>([], { scheduler: manual });
 * log.desync(async (lines) => {
 *   await timers.delay(10);
 *   lines.value.push("after 10 ms");
 * });
 * const options: AdvanceOptions = { scheduler: manual };
 * await clock.advance(10, options);
 * assert.deepEqual(log.sync((lines) => lines.value), ["after 10 ms"]);
 * ```
 */
export interface AdvanceOptions {
  /**
   * The scheduler of the `Desync` objects (and queues) that the code under
   * test uses, to step with `runReady()` before the first time step and
   * while each one settles: their jobs run, including those queued by timer
   * continuations, and the timers those jobs make fire in the same advance.
   * Meant for a scheduler in manual mode, whose background jobs run only
   * when stepped. Pass it for any other scheduler too (the global
   * `scheduler` included): after ~4 ms of work a scheduler puts further work
   * off until the event loop's next turn, which `advance` never gives, so
   * without this option how far such work gets would depend on the speed of
   * the machine. Anything {@linkcode Steppable} will do.
   *
   * @default {undefined}
   *
   * @example A job that waits on a timer, under a manual scheduler
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const scheduler = new Scheduler({ maxConcurrency: 0 });
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const cache = new Desync(new Map<string, number>(), { scheduler });
   * cache.desync(async (map) => {
   *   await timers.delay(60_000); // expire the entries after a minute
   *   map.value.clear();
   * });
   * cache.desync((map) => void map.value.set("late", 1)); // runs after the expiry
   * await clock.advance(60_000, { scheduler });
   * assert.deepEqual([...cache.sync((map) => map.value.keys())], ["late"]);
   * ```
   */
  scheduler?: Steppable;
}

let noteHeap: (clock: ManualClock, heap: TimerHeap) => void;

/**
 * Tells `clock` that a heap of timers on it changed (a timer made, removed or
 * fired): it tracks the heap while it has timers, and counts the change as
 * progress for the settle loop. For TimerService only.
 */
export function noteTimers(clock: ManualClock, heap: TimerHeap): void {
  noteHeap(clock, heap);
}

/**
 * A clock that moves only when told to: the mock clock for deterministic
 * tests. Every {@linkcode TimerService} made with it is driven by it, without
 * host timers: `advance` moves time forward one due deadline at a time,
 * fires the timers due then, and lets their continuations run (and make new
 * timers, which fire too if they are due before the target) before the next
 * step, like tokio's `time::advance` or Effect's `TestClock.adjust`. Nothing
 * global is patched, so real timers and I/O keep working beside it.
 *
 * Settling between steps never yields to the event loop, so a run is the
 * same every time; it runs continuations chained through promises (up to 64
 * promise turns in a row without touching a timer or a job) and, with the
 * `scheduler` option, the jobs of that scheduler (pass it whenever the code
 * under test uses `Desync` objects). Work waiting for real I/O or a host
 * timer does not complete inside `advance`. Without `advance`, time stands
 * still: a delay on a ManualClock that nobody advances waits forever.
 *
 * @example Testing a retry loop without waiting
 * ```ts
 * import { ManualClock, TimerService } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const timers = new TimerService({ clock });
 * const attempts: number[] = [];
 * const retry = (async () => {
 *   for (let backoff = 100; backoff <= 400; backoff *= 2) {
 *     attempts.push(clock.now());
 *     await timers.delay(backoff);
 *   }
 * })();
 * await clock.advance(10_000); // instant
 * await retry;
 * assert.deepEqual(attempts, [0, 100, 300]);
 * assert.equal(clock.now(), 10_000);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  /** The heaps of the services on this clock that have timers. */
  readonly #heaps = new Set<TimerHeap>();
  /** Timer events so far (made, removed, fired): the settle loop's measure of progress. */
  #changes = 0;
  #advancing = false;

  /**
   * Creates a clock showing `start`.
   *
   * @param start The time to start at, in milliseconds.
   * @throws {TypeError} If `start` is not a number.
   * @throws {RangeError} If `start` is NaN or infinite.
   *
   * @example Starting at a given time
   * ```ts
   * import { ManualClock } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock(1_000);
   * assert.equal(clock.now(), 1_000);
   * ```
   */
  constructor(start: number = 0) {
    assertFinite(start, "new ManualClock", "start", "a finite number");
    this.#now = start;
  }

  /**
   * The time the clock shows, in milliseconds. During `advance`, the time
   * step being run: the continuation of a timer sees its deadline.
   *
   * @returns The current time.
   *
   * @example Time moves only with advance
   * ```ts
   * import { ManualClock } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock();
   * await new Promise((resolve) => setTimeout(resolve, 2));
   * assert.equal(clock.now(), 0);
   * await clock.advance(2);
   * assert.equal(clock.now(), 2);
   * ```
   */
  now(): number {
    return this.#now;
  }

  /**
   * Moves time forward by `ms`, firing the timers due on the way in order of
   * deadline (equal deadlines in the order the timers were made), and lets
   * the program react at each step; see {@linkcode ManualClock}. Resolves
   * once the clock shows the target time and the last step has settled.
   * `advance(0)` only settles: it runs what is pending (with `scheduler`,
   * the ready jobs) and fires nothing new.
   *
   * @param ms How far to move, in milliseconds: a finite number, 0 or more.
   * @param options A manual `scheduler` to step as well.
   * @returns A promise that resolves when the advance is done.
   * @throws {TypeError} If `ms` is not a number, or an option is unknown or
   * `scheduler` has no `runReady` method.
   * @throws {RangeError} If `ms` is negative, NaN or infinite: time never
   * goes back.
   * @throws {DesyncError} If another `advance` or `advanceTo` of this clock
   * is still running (await it first).
   *
   * @example A Desync object, a manual scheduler and timeouts, tested without real time
   * ```ts
   * import { Desync, Scheduler } from "@desync/desync";
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const manual = new Scheduler({ maxConcurrency: 0 });
   * const clock = new ManualClock();
   * const timers = new TimerService({ clock });
   * const sensor = new Desync({ readings: [] as number[] }, { scheduler: manual });
   * // A job that polls every 100 ms, and one queued behind it.
   * sensor.desync(async (state) => {
   *   for (let i = 0; i < 3; i++) {
   *     await timers.delay(100);
   *     state.value.readings.push(clock.now());
   *   }
   * });
   * sensor.desync((state) => void state.value.readings.push(-1));
   *
   * await clock.advance(250, { scheduler: manual });
   * assert.equal(sensor.queued, 1); // the poller is still at it
   * await clock.advance(50, { scheduler: manual });
   * assert.deepEqual(sensor.sync((state) => state.value.readings), [100, 200, 300, -1]);
   * ```
   */
  advance(ms: number, options?: AdvanceOptions): Promise<void> {
    const scheduler = this.#check("advance", options);
    if (typeof ms !== "number") {
      throw new TypeError(
        `ManualClock.advance(): "ms" must be a finite number, 0 or more, got ${describe(ms)}`,
      );
    }
    if (!(ms >= 0) || ms === Infinity) {
      throw new RangeError(
        `ManualClock.advance(): "ms" must be a finite number, 0 or more (time never goes back), ` +
          `got ${describe(ms)}`,
      );
    }
    return this.#start("advance", this.#now + ms, scheduler);
  }

  /**
   * Moves time forward to `time`, as {@linkcode ManualClock.advance} does.
   *
   * @param time The time to reach, in milliseconds: finite, not before `now()`.
   * @param options A manual `scheduler` to step as well.
   * @returns A promise that resolves when the advance is done.
   * @throws {TypeError} If `time` is not a number, or an option is unknown or
   * `scheduler` has no `runReady` method.
   * @throws {RangeError} If `time` is NaN, infinite or before `now()`.
   * @throws {DesyncError} If another `advance` or `advanceTo` of this clock
   * is still running.
   *
   * @example Jumping to a deadline
   * ```ts
   * import { ManualClock, TimerService } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const clock = new ManualClock(1_000);
   * const timers = new TimerService({ clock });
   * let expired = false;
   * timers.deadline(5_000).then(() => (expired = true));
   * await clock.advanceTo(4_999);
   * assert.equal(expired, false);
   * await clock.advanceTo(5_000);
   * assert.equal(expired, true);
   * ```
   */
  advanceTo(time: number, options?: AdvanceOptions): Promise<void> {
    const scheduler = this.#check("advanceTo", options);
    assertFinite(time, "ManualClock.advanceTo", "time", "a finite number");
    if (time < this.#now) {
      throw new RangeError(
        `ManualClock.advanceTo(): "time" (${time}) is before now (${this.#now}); ` +
          `time never goes back`,
      );
    }
    return this.#start("advanceTo", time, scheduler);
  }

  #check(method: string, options: AdvanceOptions | undefined): Steppable | undefined {
    assertOptions(options, `ManualClock.${method}`, ["scheduler"]);
    const scheduler = options?.scheduler;
    if (
      scheduler !== undefined &&
      (typeof scheduler !== "object" || scheduler === null ||
        typeof scheduler.runReady !== "function")
    ) {
      throw new TypeError(
        `ManualClock.${method}(): "options.scheduler" must have a runReady() method ` +
          `(a Scheduler in manual mode), got ${describe(scheduler)}`,
      );
    }
    return scheduler;
  }

  #start(method: string, target: number, scheduler: Steppable | undefined): Promise<void> {
    if (this.#advancing) {
      throw new DesyncError(
        `ManualClock.${method}(): another advance of this clock is still running; await it first`,
      );
    }
    this.#advancing = true;
    return this.#run(target, scheduler);
  }

  async #run(target: number, scheduler: Steppable | undefined): Promise<void> {
    try {
      await this.#settle(scheduler); // work queued before the call may make timers first
      for (;;) {
        const next = this.#earliest();
        if (!(next <= target)) break;
        if (next > this.#now) this.#now = next;
        this.#fireDue();
        await this.#settle(scheduler);
      }
      this.#now = target;
    } finally {
      this.#advancing = false;
    }
  }

  /** The earliest deadline on this clock (Infinity when none). */
  #earliest(): number {
    let earliest = Infinity;
    for (const heap of this.#heaps) {
      if (heap.firstDeadline < earliest) earliest = heap.firstDeadline;
    }
    return earliest;
  }

  /** Fires every timer due now, one at a time, earliest (deadline, sequence) first across heaps. */
  #fireDue(): void {
    const now = this.#now;
    for (;;) {
      let due: TimerHeap | undefined;
      for (const heap of this.#heaps) {
        if (
          heap.firstDeadline <= now &&
          (due === undefined || heap.firstDeadline < due.firstDeadline ||
            (heap.firstDeadline === due.firstDeadline &&
              heap.firstSequence < due.firstSequence))
        ) due = heap;
      }
      if (due === undefined) return;
      // Granting unlinks the waiter first: whatever its settling runs (a
      // select's other cases leaving, an abort listener), the heap is sound.
      due.first!.grant(undefined);
      noteHeap(this, due);
    }
  }

  async #settle(scheduler: Steppable | undefined): Promise<void> {
    for (let quiet = 0; quiet < SETTLE_TURNS;) {
      const changes = this.#changes;
      const started = scheduler === undefined ? 0 : scheduler.runReady();
      await undefined; // one generation of the microtask queue
      quiet = started > 0 || this.#changes !== changes ? 0 : quiet + 1;
    }
  }

  static {
    noteHeap = (clock, heap) => {
      clock.#changes++;
      if (heap.length > 0) clock.#heaps.add(heap);
      else clock.#heaps.delete(heap);
    };
  }
}

/** Checks a finite number: TypeError for another type, RangeError for NaN and ±Infinity. */
function assertFinite(value: unknown, method: string, name: string, what: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`${method}(): "${name}" must be ${what}, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${method}(): "${name}" must be ${what}, got ${describe(value)}`);
  }
}
