// Copyright 2026 the desync authors. MIT license.
// The timers' wait structure: a binary min-heap of waiters keyed by
// (deadline, sequence number), so that equal deadlines fire in the order the
// timers were made (FIFO). It is a WaiterHome: a waiter removes itself from
// it (an abort, a select it lost, its own grant) in O(log n), like it unlinks
// from a WaitQueue in O(1).
//
// Layout: three parallel arrays (waiter, deadline, sequence) indexed by heap
// position, and each waiter's `request` holds its current position, updated
// on every move. No node object per timer beyond the waiter itself.
//
// Invariants:
// - For every position i > 0, the entry at (i - 1) >> 1 is not after it.
// - `waiters[i].request === i` and `waiters[i].queue === this` for every i;
//   a waiter not in the heap has `queue === null` (Waiter.waiting is false).

import type { AnyWaiter, WaiterHome } from "../_engine/waiters.ts";

export class TimerHeap implements WaiterHome {
  readonly #waiters: AnyWaiter[] = [];
  readonly #deadlines: number[] = [];
  readonly #sequences: number[] = [];
  /** Told when a waiter leaves other than by being granted (see WaitQueue.onRemoved). */
  onRemoved: (() => void) | null = null;

  get length(): number {
    return this.#waiters.length;
  }

  /** The earliest waiter, or undefined when empty. */
  get first(): AnyWaiter | undefined {
    return this.#waiters[0];
  }

  /** The earliest deadline; only when not empty. */
  get firstDeadline(): number {
    return this.#deadlines[0];
  }

  /** The sequence number of the earliest waiter; only when not empty. */
  get firstSequence(): number {
    return this.#sequences[0];
  }

  /** Adds `waiter` with its key; the sequence number must be fresh (ever-increasing). */
  push(waiter: AnyWaiter, deadline: number, sequence: number): void {
    const i = this.#waiters.length;
    this.#waiters.push(waiter);
    this.#deadlines.push(deadline);
    this.#sequences.push(sequence);
    waiter.queue = this;
    waiter.request = i;
    this.#up(i);
  }

  /** Removes `waiter`, wherever it is (called by the waiter itself). */
  unlink(waiter: AnyWaiter): void {
    const i = waiter.request as number;
    const last = this.#waiters.length - 1;
    waiter.queue = null;
    waiter.request = undefined;
    const movedWaiter = this.#waiters.pop()!;
    const movedDeadline = this.#deadlines.pop()!;
    const movedSequence = this.#sequences.pop()!;
    if (i === last) return;
    // The last entry fills the hole, then moves up or down to its place.
    this.#set(i, movedWaiter, movedDeadline, movedSequence);
    if (i > 0 && this.#before(i, (i - 1) >> 1)) this.#up(i);
    else this.#down(i);
  }

  #set(i: number, waiter: AnyWaiter, deadline: number, sequence: number): void {
    this.#waiters[i] = waiter;
    this.#deadlines[i] = deadline;
    this.#sequences[i] = sequence;
    waiter.request = i;
  }

  /** Whether the entry at `a` comes before the one at `b`. */
  #before(a: number, b: number): boolean {
    const da = this.#deadlines[a];
    const db = this.#deadlines[b];
    return da < db || (da === db && this.#sequences[a] < this.#sequences[b]);
  }

  #swap(a: number, b: number): void {
    const waiter = this.#waiters[a];
    const deadline = this.#deadlines[a];
    const sequence = this.#sequences[a];
    this.#set(a, this.#waiters[b], this.#deadlines[b], this.#sequences[b]);
    this.#set(b, waiter, deadline, sequence);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const length = this.#waiters.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) return;
      const right = left + 1;
      const child = right < length && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}
