// Copyright 2026 the desync authors. MIT license.
// The scheduler's event-loop policy: which queue runs next and when to give
// the event loop a turn.
//
// - Background jobs start in a microtask, so `desync` latency is a microtask.
// - Queues are served round-robin, SLICE jobs at a time, so a job on one
//   queue never waits behind all of another queue's backlog.
// - Every CLOCK_EVERY jobs the clock is read; once the current window has
//   lasted BUDGET_MS, the next drain is a macrotask, so timers and I/O get a
//   turn every few milliseconds however long the backlog (or a chain of
//   promise-driven jobs) is.
// - Background work (desync, futureDesync, after) starts only while fewer
//   than `maxConcurrency` queues have an async job in flight; at 0 (manual
//   mode) it never starts on its own.
// - Foreground work (futureSync, close, suspend) has a caller waiting: its
//   queue is *pulled* up to it, regardless of the budget, as Rust's
//   future_sync and sync run in the caller's context. So a job that waits for
//   another queue's futureSync can never deadlock the scheduler.

import { type ErrorHandler, reportLoudly, scheduleMacrotask } from "./_platform.ts";
import { IDLE, type QueueCore } from "./_queue_core.ts";
import { Ring } from "./_ring.ts";

/** Jobs one queue may run before the next ready queue gets a turn. */
export const SLICE = 64;
/** How many jobs run between two reads of the clock. */
const CLOCK_EVERY = 64;
/** How long background work may keep the event loop before yielding to it. */
export const BUDGET_MS = 4;

export class SchedulerCore {
  /** The public Scheduler this core belongs to. */
  readonly owner: object;
  maxConcurrency: number;
  onError: ErrorHandler | undefined;
  /** Queues whose job returned a promise that is still pending (bounded by maxConcurrency). */
  inFlight = 0;
  /** Queues whose `after` job waits for its input promise. */
  waiting = 0;
  readonly ready: Ring<QueueCore> = new Ring();
  readonly pulls: Ring<QueueCore> = new Ring();
  #drainRequested = false;
  #draining = false;
  #ticks = 0;
  #windowStart = -1;
  #windowExpired = false;
  #progressWaiters: (() => void)[] = [];
  readonly #drainSoon = () => this.#drain(false);
  readonly #drainLater = () => this.#drain(true);

  constructor(owner: object, maxConcurrency: number, onError: ErrorHandler | undefined) {
    this.owner = owner;
    this.maxConcurrency = maxConcurrency;
    this.onError = onError;
  }

  /** Puts an IDLE queue with work on the ready list. */
  markReady(queue: QueueCore): void {
    queue.scheduled = true;
    this.ready.push(queue);
    if (this.maxConcurrency > 0) this.requestDrain();
  }

  /**
   * Manual mode: drive `queue` up to job `seq` (0 keeps the current target)
   * without waiting for `runReady`.
   */
  pull(queue: QueueCore, seq: number): void {
    if (seq > queue.pullTo) queue.pullTo = seq;
    if (!queue.pullQueued && queue.state === IDLE && queue.isPulled()) {
      queue.pullQueued = true;
      this.pulls.push(queue);
      this.requestDrain();
    }
  }

  /**
   * Whether foreground work may run on the caller's stack now, rather than
   * through a drain. Counts towards the time window, so that a chain of
   * awaited jobs also gives the event loop a turn every few milliseconds.
   */
  mayRunInline(): boolean {
    if (this.#windowExpired) return false;
    return ++this.#ticks < CLOCK_EVERY || !this.#budgetSpent();
  }

  requestDrain(): void {
    if (this.#drainRequested || this.#draining) return;
    this.#drainRequested = true;
    if (this.#windowExpired) scheduleMacrotask(this.#drainLater);
    else queueMicrotask(this.#drainSoon);
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

  report(queue: QueueCore, error: unknown): void {
    const handler = queue.onError ?? this.onError;
    if (handler === undefined) {
      reportLoudly(error);
      return;
    }
    try {
      handler(error);
    } catch (handlerError) {
      // A failing handler must not hide either error.
      reportLoudly(error);
      reportLoudly(handlerError);
    }
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
      if (queue.state === IDLE) queue.settleIdle();
    }
    return started;
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.waiting === 0 && !this.#hasReadyWork();
  }

  /** Resolves the next time a held queue is released. */
  nextProgress(): Promise<void> {
    return new Promise((resolve) => this.#progressWaiters.push(resolve));
  }

  #hasReadyWork(): boolean {
    const ready = this.ready;
    // Entries can be stale (a `sync` may have emptied the queue); drop those.
    while (ready.length > 0) {
      const queue = ready.peek()!;
      if (queue.state === IDLE && queue.hasWork()) return true;
      ready.shift();
      queue.scheduled = false;
      if (queue.state === IDLE) queue.settleIdle();
    }
    return false;
  }

  #drain(afterYield: boolean): void {
    this.#drainRequested = false;
    if (afterYield) {
      this.#windowStart = -1;
      this.#windowExpired = false;
    }
    this.#draining = true;
    try {
      // Jobs of the ready pass can pull other queues (a futureSync inside a
      // job); serve those before leaving, since requestDrain() is a no-op here.
      do {
        if (!this.#serve(this.pulls, true)) return;
        if (this.maxConcurrency > 0 && !this.#serve(this.ready, false)) return;
      } while (this.pulls.length > 0);
    } finally {
      this.#draining = false;
    }
    if (this.#progressWaiters.length > 0 && this.idle) this.progressed();
  }

  /**
   * Serves `list` round-robin until it is empty, the budget is spent or the
   * concurrency budget is full.
   * @returns false when it stopped to yield to the event loop
   */
  #serve(list: Ring<QueueCore>, pulling: boolean): boolean {
    while (list.length > 0) {
      if (!pulling && this.inFlight >= this.maxConcurrency) return true;
      const queue = list.shift()!;
      if (pulling) queue.pullQueued = false;
      else queue.scheduled = false;
      let ran = 0;
      while (queue.state === IDLE && (pulling ? queue.isPulled() : queue.hasWork())) {
        queue.runNext();
        if (++ran === SLICE) break;
      }
      if (queue.state === IDLE) {
        if (pulling && queue.isPulled()) {
          queue.pullQueued = true;
          list.push(queue);
        } else {
          queue.settleIdle();
        }
      }
      if ((this.#ticks += ran) >= CLOCK_EVERY && this.#budgetSpent()) {
        if (list.length > 0 || this.pulls.length > 0) {
          this.#drainRequested = true;
          scheduleMacrotask(this.#drainLater);
        }
        return false;
      }
    }
    return true;
  }

  #budgetSpent(): boolean {
    this.#ticks = 0;
    const now = performance.now();
    if (this.#windowStart < 0) this.#windowStart = now;
    else if (now - this.#windowStart >= BUDGET_MS) this.#windowExpired = true;
    return this.#windowExpired;
  }
}
