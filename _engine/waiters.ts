// Copyright 2026 the desync authors. MIT license.
// The one wait queue under every primitive (primitives/).
//
// - Oldest first: a primitive serves its queue from the head.
// - O(1) removal: each waiter is a node of a doubly linked list, so an abort,
//   or the end of a select, unlinks it without a scan.
// - Direct hand-off: a waiter is resolved with what it waited for (the lock,
//   the permits, the value) at release time, so "woken but not yet running"
//   cannot lose a wake-up, and nobody can barge in between.
// - The abort listener is taken only when an operation actually waits, and
//   through the signal's one hub (abort.ts): one listener per signal however
//   many waiters share it.
// - A waiter may be one case of a select: the first case granted wins its
//   group, which unlinks the other cases on the spot. A queue therefore never
//   holds a case of a select that is over: no value is taken twice, no permit
//   leaks, and a primitive may grant its head without checking.
//
// Invariant: a waiter is linked into at most one queue, and only while its
// operation is undecided; `grant` and `fail` unlink it first.

import { onAbort } from "./abort.ts";

/**
 * Where a waiter waits: a WaitQueue, or another structure that can unlink a
 * waiter in O(1) or O(log n) (the timers' heap).
 */
export interface WaiterHome {
  unlink(waiter: AnyWaiter): void;
  /** Told when a waiter leaves other than by being served (see WaitQueue.onRemoved). */
  onRemoved: (() => void) | null;
}

/** What a settled select resolves with: the key of the case that completed, and its value. */
export interface Decided {
  key: string;
  value: unknown;
}

/** A waiter of any value type (what queues and selects hold). */
// deno-lint-ignore no-explicit-any
export type AnyWaiter = Waiter<any>;

/** One waiting operation. */
export class Waiter<T = unknown> {
  prev: AnyWaiter | null = null;
  next: AnyWaiter | null = null;
  /** Where it is linked; null once decided or removed. */
  queue: WaiterHome | null = null;
  /**
   * What it asks for, as its primitive reads it: permits wanted, the value
   * to send, the version awaited, a deadline.
   */
  request: unknown;
  /** The select it is a case of (with its key), if any. */
  group: SelectGroup | null = null;
  key = "";
  #resolve: ((value: T) => void) | null;
  #reject: ((reason: unknown) => void) | null;
  #unsubscribe: (() => void) | null = null;
  #signal: AbortSignal | null = null;

  constructor(
    request: unknown,
    resolve: ((value: T) => void) | null,
    reject: ((reason: unknown) => void) | null,
  ) {
    this.request = request;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Whether it is still waiting (linked into its queue). */
  get waiting(): boolean {
    return this.queue !== null;
  }

  /**
   * The signal that gives this operation up (its own, or its select's) if
   * that signal has aborted, else null. An abort takes effect when the hub's
   * listener runs; until then, another listener of the same signal, or the
   * cascade an earlier waiter's removal starts (a fifo semaphore serving the
   * waiters behind an aborted head), could still grant the waiter. A
   * primitive that serves waiters on a release or a removal asks this first
   * and fails the waiter instead: an abort that has happened is never undone
   * by a grant.
   */
  get abortedBy(): AbortSignal | null {
    const signal = this.group !== null ? this.group.signal : this.#signal;
    return signal !== null && signal.aborted ? signal : null;
  }

  /**
   * Completes the operation with `value`: the commit point. Unlinks it,
   * drops its abort subscription (a later abort cannot take the value back),
   * and, for a select's case, decides the select.
   */
  grant(value: T): void {
    this.#detach();
    if (this.group !== null) this.group.decide(this, value);
    else this.#resolve?.(value);
    this.#resolve = this.#reject = null;
  }

  /** Fails the operation (its primitive closed, or its signal aborted). */
  fail(reason: unknown): void {
    this.#detach();
    if (this.group !== null) this.group.fail(reason);
    else this.#reject?.(reason);
    this.#resolve = this.#reject = null;
  }

  /**
   * Fails it with `signal.reason` when `signal` aborts, unless it was decided
   * first. `onCancel` runs after it was unlinked (a primitive may have to
   * serve the next waiter: a semaphore's head that stops waiting may let
   * smaller requests through).
   */
  watchAbort(signal: AbortSignal, onCancel?: () => void): void {
    this.#signal = signal;
    this.#unsubscribe = onAbort(signal, () => {
      this.#unsubscribe = null; // the hub forgets its callbacks as it calls them
      if (this.queue === null) return;
      const queue = this.queue;
      this.fail(signal.reason);
      queue.onRemoved?.();
      onCancel?.();
    });
  }

  /** Unlinks it without deciding it, and tells its queue. */
  remove(): void {
    const queue = this.queue;
    this.detachSilently();
    queue?.onRemoved?.();
  }

  /** Unlinks it without deciding it and without telling its queue (the caller does). */
  detachSilently(): void {
    this.#detach();
    this.#resolve = this.#reject = null;
  }

  #detach(): void {
    this.queue?.unlink(this);
    const unsubscribe = this.#unsubscribe;
    if (unsubscribe !== null) {
      this.#unsubscribe = null;
      unsubscribe();
    }
  }
}

/** A FIFO of waiters with O(1) push, shift and removal anywhere. */
export class WaitQueue<W extends AnyWaiter = AnyWaiter> implements WaiterHome {
  #head: W | null = null;
  #tail: W | null = null;
  #length = 0;
  /**
   * Told when a waiter leaves other than by being served (an abort, a lost
   * select): a primitive whose head blocked others (a semaphore's big
   * request) may serve the rest now.
   */
  onRemoved: (() => void) | null = null;

  get length(): number {
    return this.#length;
  }

  /** The oldest waiter, or null. */
  get first(): W | null {
    return this.#head;
  }

  /** Appends `waiter` (the newest). */
  push(waiter: W): void {
    waiter.queue = this;
    waiter.prev = this.#tail;
    waiter.next = null;
    if (this.#tail === null) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#length++;
  }

  /** Removes `waiter`, wherever it is (called by the waiter itself). */
  unlink(waiter: AnyWaiter): void {
    const prev = waiter.prev as W | null;
    const next = waiter.next as W | null;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = null;
    waiter.queue = null;
    this.#length--;
  }

  /** Fails every waiter with `reason`, oldest first. */
  failAll(reason: unknown): void {
    for (let waiter = this.#head; waiter !== null; waiter = this.#head) waiter.fail(reason);
  }

  /** The waiters, oldest first (a snapshot: granting or removing while iterating is safe). */
  toArray(): W[] {
    const all: W[] = [];
    for (let waiter = this.#head; waiter !== null; waiter = waiter.next as W | null) {
      all.push(waiter);
    }
    return all;
  }
}

/**
 * The cases of one select: the first case granted decides it, and the
 * others are unlinked at once, consuming nothing.
 */
export class SelectGroup {
  readonly members: AnyWaiter[] = [];
  decided = false;
  #resolve: (decided: Decided) => void;
  #reject: (reason: unknown) => void;
  #unsubscribe: (() => void) | null = null;
  /** The select's own signal, if it has one. */
  signal: AbortSignal | null = null;

  constructor(resolve: (decided: Decided) => void, reject: (reason: unknown) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Adds a case's waiter (before it is linked into its primitive's queue). */
  add(waiter: AnyWaiter, key: string): void {
    waiter.group = this;
    waiter.key = key;
    this.members.push(waiter);
  }

  /** The select's own signal: an abort fails the whole select. */
  watchAbort(signal: AbortSignal): void {
    this.signal = signal;
    this.#unsubscribe = onAbort(signal, () => {
      this.#unsubscribe = null;
      if (!this.decided) this.fail(signal.reason);
    });
  }

  /** `winner` was granted `value`: it decides the select. */
  decide(winner: AnyWaiter, value: unknown): void {
    if (this.decided) {
      // Cannot happen: every case leaves its queue before any queue is told
      // (#finish). If it did, what the primitive granted would be lost.
      throw new Error("desync internal error: a case of a decided select was granted");
    }
    this.#finish(winner);
    this.#resolve({ key: winner.key, value });
  }

  /** A case failed (its primitive closed, its own abort): the select fails with it. */
  fail(reason: unknown): void {
    if (this.decided) return;
    this.#finish(null);
    this.#reject(reason);
  }

  #finish(winner: AnyWaiter | null): void {
    this.decided = true;
    // First unlink every losing case, then tell their queues. Telling a queue
    // may make it serve (a fifo semaphore whose head left), and a case of
    // this select still linked there would be granted, for nobody.
    const homes: WaiterHome[] = [];
    for (const member of this.members) {
      if (member === winner) continue;
      const home = member.queue;
      member.detachSilently();
      if (home !== null && !homes.includes(home)) homes.push(home);
    }
    for (const home of homes) home.onRemoved?.();
    const unsubscribe = this.#unsubscribe;
    if (unsubscribe !== null) {
      this.#unsubscribe = null;
      unsubscribe();
    }
  }
}
