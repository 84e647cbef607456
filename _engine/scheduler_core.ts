// Copyright 2026 the desync authors. MIT license.
// The scheduler's event-loop policy: which queue runs next and when to give
// the event loop a turn.
//
// - Background jobs start in a microtask, so `desync` latency is a microtask.
// - Queues are served round-robin, SLICE jobs at a time, so a job on one
//   queue never waits behind all of another queue's backlog.
// - Work happens in windows. A window starts when work starts after the event
//   loop had a turn (a macrotask probe tells), so idle time never counts; once
//   it has lasted BUDGET_MS, the next drain is a macrotask, so timers and I/O
//   get a turn every few milliseconds however long the backlog (or a chain of
//   awaited jobs) is.
// - The clock is read after every job at the start of a window, then after
//   every 2, 4, ... up to CLOCK_EVERY_MAX jobs while the reads show the jobs
//   to be short, and after every job again as soon as one shows a long
//   stretch. A read costs as much as several small jobs (45-170 ns measured
//   here, a `clock_gettime` alone 32 ns), so reading after each one would
//   cost trivial jobs three quarters of their speed. The price is one blind
//   spot: when, within one window, short jobs give way to long ones, up to
//   CLOCK_EVERY_MAX long jobs may run before the scheduler notices. (Staying
//   cautious for a while after noticing was tried: on a loaded machine, the
//   operating system's preemptions look exactly like such a switch, and the
//   caution cost short jobs three quarters of their speed.)
// - Background work (desync, futureDesync, after) starts only while fewer
//   than `maxConcurrency` queues have an async job in flight; at 0 (manual
//   mode) it never starts on its own.
// - Foreground work (futureSync, an awaited SchedulerFuture, close, suspend)
//   has a caller waiting: its queue is *pulled* up to it, regardless of the
//   budget, as Rust's future_sync and an awaited future run in the caller's
//   context. So a job that waits for another queue can never deadlock the
//   scheduler.

import { reportLoudly, scheduleMacrotask } from "./platform.ts";
import type { ErrorHandler } from "./types.ts";
import { ASYNC, type HeldState, IDLE, INPUT, type QueueMachine } from "./queue_machine.ts";
import { Ring } from "./ring.ts";

/** Jobs one queue may run before the next ready queue gets a turn. */
const SLICE = 64;
/** The most jobs between two reads of the clock. */
const CLOCK_EVERY_MAX = 64;
/** Reads closer than this (ms) mean the jobs between them were short: read half as often. */
const QUICK_MS = 0.1;
/** How long (ms) work may keep the event loop before yielding to it. */
const BUDGET_MS = 4;
/**
 * Jobs after which a window ends if the clock did not move at all meanwhile:
 * deployed Cloudflare Workers freeze `performance.now()` during computation,
 * which would otherwise make a CPU-bound backlog never yield. (A clock that
 * moves, even coarsened to 100 us as in browsers, moves within 10,000 jobs.)
 */
const FROZEN_CLOCK_JOBS = 10_000;

export class SchedulerCore {
  /** The public Scheduler this core belongs to. */
  readonly owner: object;
  maxConcurrency: number;
  onError: ErrorHandler | undefined;
  /** Queues whose job returned a promise that is still pending (ASYNC); see `held`. */
  inFlight = 0;
  /** Queues whose `after` job waits for its input promise (INPUT); see `held`. */
  waiting = 0;
  /** IDLE queues with work (entries may be stale: the queue was served meanwhile). */
  readonly ready: Ring<QueueMachine> = new Ring();
  /** Queues with foreground work, served first and regardless of the budget. */
  readonly pulls: Ring<QueueMachine> = new Ring();
  #drainRequested = false;
  #draining = false;
  /** Jobs run since the clock was last read. */
  #ticks = 0;
  /** Jobs to run between two reads of the clock: 1 at the start of a window, up to CLOCK_EVERY_MAX. */
  #clockEvery = 1;
  #lastClockRead = 0;
  /** When the current window of work started; -1 when none has. */
  #windowStart = -1;
  /** Jobs run since the clock last moved, in this window. */
  #jobsOnStillClock = 0;
  #windowExpired = false;
  /** The event loop had a full turn since the window started (the probe below fired twice). */
  #loopTurned = false;
  #probePending = false;
  /**
   * A macrotask hop that hops once more: work that began in a timer or I/O
   * callback yields to a `setImmediate` in the same turn of the loop, before
   * the next timers run; only the second hop comes after them.
   */
  readonly #probeFirstHop = () => scheduleMacrotask(this.#probeSecondHop);
  readonly #probeSecondHop = () => {
    this.#probePending = false;
    this.#loopTurned = true;
  };
  #progressWaiters: (() => void)[] = [];
  readonly #drainSoon = () => this.#drain(false);
  readonly #drainLater = () => {
    // Not before the loop's full turn: drain again only once the probe says so.
    if (this.#mustYield()) scheduleMacrotask(this.#drainLater);
    else this.#drain(true);
  };

  constructor(owner: object, maxConcurrency: number, onError: ErrorHandler | undefined) {
    this.owner = owner;
    this.maxConcurrency = maxConcurrency;
    this.onError = onError;
  }

  /** A queue entered a held state: the one place the counts go up. */
  held(state: HeldState): void {
    if (state === ASYNC) this.inFlight++;
    else if (state === INPUT) this.waiting++;
  }

  /** A queue left a held state: the one place the counts go down. */
  released(state: HeldState): void {
    if (state === ASYNC) this.inFlight--;
    else if (state === INPUT) this.waiting--;
  }

  /** Puts an IDLE queue with work on the ready list. */
  markReady(queue: QueueMachine): void {
    queue.scheduled = true;
    this.ready.push(queue);
    if (this.maxConcurrency > 0) this.requestDrain();
  }

  /** Foreground work: serve `queue` up to job `seq` (0 keeps its target), whatever the budget. */
  pull(queue: QueueMachine, seq: number): void {
    if (seq > queue.pullTo) queue.pullTo = seq;
    if (!queue.pullQueued && queue.state === IDLE && queue.isPulled()) {
      queue.pullQueued = true;
      this.pulls.push(queue);
      this.requestDrain();
    }
  }

  requestDrain(): void {
    if (this.#drainRequested || this.#draining) return;
    this.#drainRequested = true;
    if (this.#mustYield()) scheduleMacrotask(this.#drainLater);
    else queueMicrotask(this.#drainSoon);
  }

  /**
   * Whether foreground work may run on the caller's stack now, rather than
   * through a drain. Counts towards the time window, so that a chain of
   * awaited jobs also gives the event loop a turn every few milliseconds.
   */
  mayRunInline(): boolean {
    if (this.#mustYield()) return false;
    // A fresh window runs its first job whatever the clock says: starting it
    // (which schedules the probe) must not count as work.
    if (this.#beginWork()) return ++this.#ticks > 0;
    return ++this.#ticks < this.#clockEvery || !this.#budgetSpent();
  }

  /**
   * Runs up to a slice of `queue`'s background jobs right now, from the
   * microtask that released it, unless a drain is running (it will get
   * there), the concurrency budget is full, this is manual mode, or the time
   * window says the event loop is due a turn. The caller settles the queue.
   */
  continueQueue(queue: QueueMachine): void {
    if (this.#draining || this.inFlight >= this.maxConcurrency || this.#mustYield()) return;
    this.#beginWork();
    let ran = 0;
    while (queue.state === IDLE && queue.hasWork()) {
      queue.runNext();
      if (++this.#ticks >= this.#clockEvery && this.#budgetSpent()) return;
      if (++ran === SLICE) return;
    }
  }

  /** A held queue was released: others may have waited for budget, runUntilIdle for progress. */
  progressed(): void {
    if (this.ready.length > 0 && this.inFlight < this.maxConcurrency) this.requestDrain();
    const waiters = this.#progressWaiters;
    if (waiters.length > 0) {
      this.#progressWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Hands a fire-and-forget error to the queue's handler, else the
   * scheduler's, else `reportError`. Delivered in a fresh microtask, so that
   * a handler never runs in the middle of a queue's state change (and may
   * itself schedule, sync or close freely). `what` names what failed, for the
   * default report (see `reportLoudly`).
   */
  report(queue: QueueMachine, error: unknown, what: string): void {
    const handler = queue.onError ?? this.onError;
    queueMicrotask(() => {
      if (handler === undefined) {
        reportLoudly(error, what);
        return;
      }
      try {
        handler(error);
      } catch (handlerError) {
        // A failing handler must not hide either error.
        reportLoudly(error, what);
        reportLoudly(handlerError, `the onError handler called for ${what}`);
      }
    });
  }

  /** Runs every ready job now, ignoring the budgets. Returns how many jobs started. */
  runReady(): number {
    let started = 0;
    const ready = this.ready;
    while (ready.length > 0) {
      const queue = ready.shift()!;
      queue.scheduled = false;
      let ran = 0;
      while (queue.state === IDLE && queue.hasWork() && ran < SLICE) {
        if (queue.runNext()) started++;
        ran++;
      }
      queue.restoreInvariants();
    }
    return started;
  }

  /** No job ready to run, none in flight, no `after` waiting for its input. */
  get idle(): boolean {
    return this.inFlight === 0 && this.waiting === 0 &&
      !this.#hasLiveEntry(this.pulls, true) && !this.#hasLiveEntry(this.ready, false);
  }

  /** Resolves the next time a held queue is released or a drain leaves nothing to do. */
  nextProgress(): Promise<void> {
    return new Promise((resolve) => this.#progressWaiters.push(resolve));
  }

  /** Whether `list` has a queue with work for it, dropping stale entries on the way. */
  #hasLiveEntry(list: Ring<QueueMachine>, pulling: boolean): boolean {
    while (list.length > 0) {
      const queue = list.peek()!;
      if (queue.state === IDLE && (pulling ? queue.isPulled() : queue.hasWork())) return true;
      list.shift();
      if (pulling) queue.pullQueued = false;
      else queue.scheduled = false;
      queue.restoreInvariants();
    }
    return false;
  }

  #drain(afterYield: boolean): void {
    this.#drainRequested = false;
    if (afterYield) this.#windowStart = -1; // the event loop had its turn
    this.#draining = true;
    try {
      this.#beginWork();
      // Alternate one round of each list, so that a caller waiting behind a
      // long backlog does not keep the other queues from their turn; loop
      // until neither has work, since requestDrain() is a no-op in here.
      do {
        if (this.pulls.length > 0 && !this.#serveRound(this.pulls, true)) break;
        if (this.#readyServable() && !this.#serveRound(this.ready, false)) break;
      } while (this.pulls.length > 0 || this.#readyServable());
    } finally {
      this.#draining = false;
    }
    // Also after a drain that stopped on its time budget: if it left nothing
    // to do, no later drain will come to tell runUntilIdle().
    if (this.#progressWaiters.length > 0 && this.idle) this.progressed();
  }

  /** Background work can start now. */
  #readyServable(): boolean {
    return this.maxConcurrency > 0 && this.ready.length > 0 && this.inFlight < this.maxConcurrency;
  }

  /**
   * Serves one round of `list`: each queue on it (when the round began) runs
   * up to a slice, stopping early if the time budget is spent or, for
   * background work, the concurrency budget is full.
   * @returns false when it stopped to yield to the event loop
   */
  #serveRound(list: Ring<QueueMachine>, pulling: boolean): boolean {
    for (let turns = list.length; turns > 0 && list.length > 0; turns--) {
      if (!pulling && this.inFlight >= this.maxConcurrency) return true;
      const queue = list.shift()!;
      if (pulling) queue.pullQueued = false;
      else queue.scheduled = false;
      let ran = 0;
      let spent = false;
      let untilRead = this.#clockEvery - this.#ticks; // counted in a local: the hot loop
      while (queue.state === IDLE && (pulling ? queue.isPulled() : queue.hasWork())) {
        // Plain jobs in a row take the fast path, as many as the slice, the
        // next clock read and (when pulling) the caller's target allow.
        const room = Math.min(
          SLICE - ran,
          untilRead,
          pulling ? queue.pullTo - queue.dequeued : SLICE,
        );
        let count = room > 1 ? queue.runPlainJobs(room) : 0;
        if (count === 0) {
          queue.runNext();
          count = 1;
        }
        ran += count;
        if ((untilRead -= count) <= 0) {
          if (this.#budgetSpent()) {
            spent = true;
            break;
          }
          untilRead = this.#clockEvery;
        }
        if (ran >= SLICE) break;
      }
      if (!spent) this.#ticks = this.#clockEvery - untilRead;
      if (pulling && queue.state === IDLE && queue.isPulled()) {
        queue.pullQueued = true;
        list.push(queue);
      }
      queue.restoreInvariants();
      if (spent) {
        // Anything left, on either list, continues after the event loop's turn.
        if (this.pulls.length > 0 || this.ready.length > 0) {
          this.#drainRequested = true;
          scheduleMacrotask(this.#drainLater);
        }
        return false;
      }
    }
    return true;
  }

  /** The window expired, and the event loop has not had a turn since. */
  #mustYield(): boolean {
    return this.#windowExpired && !this.#loopTurned;
  }

  /** Work is about to run: start a window unless one is running. */
  /** @returns whether it started a window */
  #beginWork(): boolean {
    if (this.#windowStart >= 0 && !this.#loopTurned) return false;
    const now = performance.now();
    this.#windowStart = this.#lastClockRead = now;
    this.#windowExpired = false;
    this.#loopTurned = false;
    this.#ticks = 0;
    this.#jobsOnStillClock = 0;
    this.#clockEvery = 1; // time the first jobs of a window one by one
    if (!this.#probePending) {
      this.#probePending = true;
      scheduleMacrotask(this.#probeFirstHop);
    }
    return true;
  }

  /**
   * Reads the clock: has the current window of work used up the budget?
   * Also adapts how many jobs run before the next read (see the header).
   */
  #budgetSpent(): boolean {
    this.#ticks = 0;
    const jobs = this.#clockEvery; // reads happen every `#clockEvery` jobs
    const now = performance.now();
    const sinceLastRead = now - this.#lastClockRead;
    this.#lastClockRead = now;
    if (sinceLastRead > QUICK_MS) {
      this.#clockEvery = 1; // long jobs (or a pause): time each job again
    } else if (this.#clockEvery < CLOCK_EVERY_MAX) {
      this.#clockEvery *= 2;
    }
    if (now - this.#windowStart >= BUDGET_MS) this.#windowExpired = true;
    if (sinceLastRead !== 0) this.#jobsOnStillClock = 0;
    else if ((this.#jobsOnStillClock += jobs) >= FROZEN_CLOCK_JOBS) {
      this.#windowExpired = true;
    }
    return this.#windowExpired;
  }
}
