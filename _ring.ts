// Copyright 2026 the desync authors. MIT license.
// A growable circular buffer: O(1) push and shift at any size, no per-item
// allocation, and slots are cleared on shift so finished items can be collected.

const INITIAL_CAPACITY = 8;
/** Buffers larger than this are dropped when they empty, so a burst does not pin memory. */
const RETAIN_CAPACITY = 1024;

/** FIFO ring buffer used for job queues and the scheduler's ready list. */
export class Ring<T> {
  #items: (T | undefined)[] = [];
  #mask = -1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const head = this.#head;
    const item = items[head];
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    if (--this.#length === 0) this.#reset();
    return item;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const old = this.#items;
    const oldCapacity = this.#mask + 1;
    const capacity = oldCapacity === 0 ? INITIAL_CAPACITY : oldCapacity * 2;
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) {
      items[i] = old[(this.#head + i) & this.#mask];
    }
    this.#items = items;
    this.#mask = capacity - 1;
    this.#head = 0;
  }

  #reset(): void {
    this.#head = 0;
    if (this.#mask >= RETAIN_CAPACITY) {
      this.#items = [];
      this.#mask = -1;
    }
  }
}
