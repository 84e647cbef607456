// Copyright 2026 the desync authors. MIT license.
// A growable circular buffer: O(1) push and shift at any size, no per-item
// allocation, and slots are cleared on shift so finished items can be collected.

const MIN_CAPACITY = 8;
/** Buffers up to this size are always kept (larger ones shrink to fit the last burst). */
const RETAIN_CAPACITY = 16;
/**
 * The buffer of every empty ring: never written (capacity 0 forces a grow
 * first), so idle queues share it instead of holding an array each.
 */
const NO_ITEMS: never[] = [];

/**
 * FIFO ring buffer: the scheduler's lists, and (as their base class) the job
 * queues themselves, which saves an object and a pointer hop per job.
 */
export class Ring<T> {
  #items: (T | undefined)[] = NO_ITEMS;
  #mask = -1;
  #head = 0;
  #length = 0;
  /** The largest length since the ring was last empty. */
  #peak = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    const length = this.#length;
    if (length > this.#mask) this.#grow();
    this.#items[(this.#head + length) & this.#mask] = item;
    this.#length = length + 1;
    if (length >= this.#peak) this.#peak = length + 1;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const head = this.#head;
    const item = items[head];
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    if (--this.#length === 0) this.#emptied();
    return item;
  }

  /**
   * Removes and returns the oldest item if it is a function; otherwise
   * leaves it and returns `undefined`. (The job queues' fast path for runs of
   * plain jobs: one look at the head instead of a peek and a shift.)
   */
  shiftFunction(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const head = this.#head;
    const item = items[head];
    if (typeof item !== "function") return undefined;
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    if (--this.#length === 0) this.#emptied();
    return item;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The item `index` places from the oldest (0 is the oldest). */
  at(index: number): T | undefined {
    return index < this.#length ? this.#items[(this.#head + index) & this.#mask] : undefined;
  }

  /** Removes every item. */
  clear(): void {
    this.#items = NO_ITEMS;
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
    this.#peak = 0;
  }

  #grow(): void {
    const old = this.#items;
    const oldCapacity = this.#mask + 1;
    const capacity = oldCapacity === 0 ? MIN_CAPACITY : oldCapacity * 2;
    this.#items = this.#copy(old, capacity);
    this.#mask = capacity - 1;
    this.#head = 0;
  }

  #copy(old: (T | undefined)[], capacity: number): (T | undefined)[] {
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask];
    return items;
  }

  /**
   * Keeps the buffer for the next burst of the same size (regrowing it every
   * time is the dominant cost of repeated bursts), but gives a large buffer
   * back once a whole burst used less than a quarter of it.
   */
  #emptied(): void {
    this.#head = 0;
    const capacity = this.#mask + 1;
    if (capacity > RETAIN_CAPACITY && this.#peak * 4 <= capacity) {
      let target = MIN_CAPACITY;
      while (target < this.#peak * 2) target *= 2;
      this.#items = new Array<T | undefined>(target);
      this.#mask = target - 1;
    }
    this.#peak = 0;
  }
}
