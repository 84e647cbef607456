// Copyright 2026 the desync authors. MIT license.
// Semaphore: weighted permits with direct hand-off, under one of two policies.
//
// Invariants, true whenever no serve loop runs:
// - "fifo": the queue is empty, or its head asks for more than `#available`
//   (head-of-line: the head blocks everyone behind it, nobody starves).
// - "first-fit": every waiter asks for more than `#available`.
// So a request that fits is never left waiting, and the fast paths need only
// compare with `#available` (and, for "fifo", check that nobody waits).
// - Waiters ask for at least 1: `acquire(0)` completes at once in both
//   policies, with waiters or not (as in futures-intrusive).
// - Permits are counted when granted (direct hand-off): the granted waiter's
//   promise resolves with permits already taken, so nobody can take them in
//   between, and an abort after the grant takes nothing back.
// - A waiter whose own signal has already aborted is never granted (a serve
//   run while that abort is being dispatched passes it by and rejects it).
// - Serving is re-entrancy safe: granting a select's case unlinks its other
//   cases, which may be in this queue; their removal asks for a serve, which
//   a running loop turns into one more pass (`#again`).

import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { assertOptions, describe, readSignal } from "../_engine/validate.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

/**
 * How a {@linkcode Semaphore} serves waiters when permits come back.
 *
 * - `"fifo"` (default): strictly in arrival order. A request that does not
 *   fit blocks the smaller ones behind it until it fits, so nobody starves,
 *   and a newcomer never overtakes a waiter (futures-intrusive's fair mode).
 * - `"first-fit"`: every waiter that fits is served, oldest first, and a
 *   newcomer that fits is served at once even if others wait. Smaller
 *   requests flow past a big one, which can starve while small ones keep
 *   coming; use it when requests have equal sizes or throughput matters more
 *   than fairness.
 *
 * @example Choosing a policy
 * ```ts
 * import { Semaphore, type SemaphorePolicy } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const policy: SemaphorePolicy = "first-fit";
 * assert.equal(new Semaphore(4, { policy }).policy, "first-fit");
 * ```
 */
export type SemaphorePolicy = "fifo" | "first-fit";

/**
 * Options of the {@linkcode Semaphore} constructor.
 *
 * @example A first-fit semaphore
 * ```ts
 * import { Semaphore, type SemaphoreOptions } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const options: SemaphoreOptions = { policy: "first-fit" };
 * const memory = new Semaphore(1024, options);
 * const big = memory.acquire(2048); // waits
 * assert.ok(memory.tryAcquire(512), "first-fit lets a small request pass the big one");
 * big.catch(() => {});
 * ```
 */
export interface SemaphoreOptions {
  /**
   * How waiters are served; see {@linkcode SemaphorePolicy}.
   *
   * @default {"fifo"}
   *
   * @example The default keeps strict order
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const memory = new Semaphore(1024);
   * assert.equal(memory.policy, "fifo");
   * const big = memory.acquire(2048); // waits, and heads the queue
   * assert.equal(memory.tryAcquire(512), undefined, "nobody passes the head");
   * memory.release(1024);
   * (await big).release();
   * ```
   */
  policy?: SemaphorePolicy;
}

/**
 * Options of {@linkcode Semaphore.acquire}.
 *
 * @example Giving up after a while
 * ```ts
 * import { type AcquireOptions, Semaphore } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(0);
 * const options: AcquireOptions = { signal: AbortSignal.timeout(10) };
 * await assert.rejects(slots.acquire(1, options), { name: "TimeoutError" });
 * assert.equal(slots.waiting, 0);
 * ```
 */
export interface AcquireOptions {
  /**
   * Gives up waiting: the call rejects with `signal.reason` and leaves the
   * queue, taking nothing (on a "fifo" semaphore, the requests behind it are
   * served if they now fit). An aborted signal rejects at once, even when
   * permits are free. An abort after the grant changes nothing: the caller
   * holds the permits and must release them.
   *
   * @default {undefined}
   *
   * @example Giving up on a semaphore that stays busy
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(1);
   * const busy = slots.tryAcquire()!;
   * await assert.rejects(slots.acquire(1, { signal: AbortSignal.timeout(5) }), {
   *   name: "TimeoutError",
   * });
   * assert.equal(slots.waiting, 0);
   * busy.release();
   * ```
   */
  signal?: AbortSignal;
}

const INTERNAL: unique symbol = Symbol("desync.Permit");

let newPermit: (semaphore: Semaphore, count: number) => Permit;
let giveBack: (semaphore: Semaphore, count: number) => void;

/**
 * A counter of permits that async code acquires before doing something and
 * releases afterwards: a limit on how many operations run at once (4
 * downloads, 10 database connections), or on how much of something is in
 * use (weighted: `acquire(n)` takes n permits at once).
 *
 * Waiters are served by direct hand-off: when permits come back, they are
 * counted to the waiters that now fit right away, under the
 * {@linkcode SemaphorePolicy} ("fifo" by default). Each acquire gives a
 * {@linkcode Permit}, disposable with `using`, that returns its permits once.
 *
 * A request for more permits than will ever be available waits forever (on
 * a "fifo" semaphore, blocking everyone behind it) unless its signal aborts:
 * the semaphore cannot know the future, as `release(n)` may add permits.
 *
 * @example At most two downloads at a time
 * ```ts
 * import { Semaphore } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * let running = 0;
 * let peak = 0;
 * async function download(url: string): Promise<string> {
 *   using _permit = await slots.acquire();
 *   peak = Math.max(peak, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   running--;
 *   return `contents of ${url}`;
 * }
 * const pages = await Promise.all(["a", "b", "c", "d", "e"].map(download));
 * assert.equal(pages.length, 5);
 * assert.equal(peak, 2);
 * ```
 */
export class Semaphore {
  #available: number;
  /**
   * "first-fit": no waiter asks for fewer permits than this (a lower bound,
   * exact after each full pass), so a release that leaves fewer free skips
   * the pass, and a pass stops when no permit is left: permits returned one
   * by one to a long queue of bigger requests cost O(1) each, not a scan.
   * (A pass that ends with a few permits free that nobody wants still walks
   * the queue: first-fit cannot know that without looking.)
   */
  #smallest = Infinity;
  readonly #fifo: boolean;
  readonly #queue = new WaitQueue<Waiter<Permit>>();
  #serving = false;
  #again = false;

  /**
   * Creates a semaphore with `permits` free permits.
   *
   * @param permits How many permits are free at first: a non-negative
   * safe integer (0 is allowed: `release(n)` adds permits later).
   * @param options The serving `policy`.
   * @throws {TypeError} When `permits` is not a number, or the options are
   * not `{ policy }` with "fifo" or "first-fit".
   * @throws {RangeError} When `permits` is negative, fractional or above
   * `Number.MAX_SAFE_INTEGER`.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const pool = new Semaphore(10);
   * assert.equal(pool.available, 10);
   * assert.equal(pool.policy, "fifo");
   * ```
   */
  constructor(permits: number, options?: SemaphoreOptions) {
    assertPermits(permits, "new Semaphore", "permits");
    assertOptions(options, "new Semaphore", ["policy"]);
    const policy = options?.policy ?? "fifo";
    if (policy !== "fifo" && policy !== "first-fit") {
      throw new TypeError(
        `new Semaphore(): "options.policy" must be "fifo" or "first-fit", got ${describe(policy)}`,
      );
    }
    this.#available = permits;
    this.#fifo = policy === "fifo";
    // Only a fifo head blocks others: when it leaves (abort, a lost select),
    // the requests behind it may fit. Under first-fit, a leaving waiter never
    // lets another one in (none fits).
    if (this.#fifo) this.#queue.onRemoved = () => this.#serve();
  }

  /**
   * Waits for `n` permits and resolves with a {@linkcode Permit} holding
   * them. Permits that are free are taken at once (on a "fifo" semaphore,
   * only if nobody waits); otherwise the call queues. `acquire(0)` completes
   * at once.
   *
   * @param n How many permits: a non-negative safe integer (default 1).
   * @param options A `signal` to give up waiting.
   * @returns A promise of the permit. It rejects with `signal.reason` if the
   * signal aborts before the permits were granted.
   * @throws {TypeError} When `n` is not a number, or the options are not
   * `{ signal }` with an AbortSignal.
   * @throws {RangeError} When `n` is negative, fractional or unsafe.
   *
   * @example A weighted request
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const memory = new Semaphore(100);
   * const small = await memory.acquire(30);
   * const large = memory.acquire(80); // waits for 10 more
   * assert.equal(memory.waiting, 1);
   * small.release();
   * const permit = await large;
   * assert.equal(permit.count, 80);
   * assert.equal(memory.available, 20);
   * permit.release();
   * ```
   */
  acquire(n: number = 1, options?: AcquireOptions): Promise<Permit> {
    assertPermits(n, "Semaphore.acquire", "n");
    const signal = readSignal(options, "Semaphore.acquire");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const permit = this.#take(n);
    if (permit !== undefined) return Promise.resolve(permit);
    return new Promise((resolve, reject) => {
      const waiter = new Waiter<Permit>(n, resolve, reject);
      this.#enqueue(waiter, n);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * Takes `n` permits now if they are free, without waiting. On a "fifo"
   * semaphore it also fails while anyone waits (it would overtake them),
   * except for `n = 0`, which always succeeds.
   *
   * @param n How many permits: a non-negative safe integer (default 1).
   * @returns The permit, or `undefined`.
   * @throws {TypeError} When `n` is not a number.
   * @throws {RangeError} When `n` is negative, fractional or unsafe.
   *
   * @example Shedding load instead of queueing
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(1);
   * const first = slots.tryAcquire();
   * assert.ok(first);
   * assert.equal(slots.tryAcquire(), undefined, "busy: reply 503");
   * first.release();
   * ```
   */
  tryAcquire(n: number = 1): Permit | undefined {
    assertPermits(n, "Semaphore.tryAcquire", "n");
    return this.#take(n);
  }

  /**
   * Adds `n` permits to the semaphore and serves the waiters that now fit.
   * This grows the semaphore: use it to return permits that a
   * {@linkcode Permit.forget} kept, or to raise the limit. (To give back a
   * permit you hold, call its own `release()`.)
   *
   * @param n How many permits to add: a non-negative safe integer.
   * @throws {TypeError} When `n` is not a number.
   * @throws {RangeError} When `n` is negative, fractional or unsafe, or the
   * free permits would exceed `Number.MAX_SAFE_INTEGER`.
   *
   * @example Raising a limit at run time
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const workers = new Semaphore(0);
   * const job = workers.acquire();
   * workers.release(4);
   * (await job).release();
   * assert.equal(workers.available, 4);
   * ```
   */
  release(n: number): void {
    assertPermits(n, "Semaphore.release", "n");
    if (n > Number.MAX_SAFE_INTEGER - this.#available) {
      throw new RangeError(
        `Semaphore.release(): "n" (${n}) would make the free permits (${this.#available}) ` +
          `exceed Number.MAX_SAFE_INTEGER`,
      );
    }
    this.#available += n;
    this.#serve();
  }

  /**
   * How many permits are free now.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(3);
   * using _permit = slots.tryAcquire(2)!;
   * assert.equal(slots.available, 1);
   * ```
   */
  get available(): number {
    return this.#available;
  }

  /**
   * How many acquires wait (`acquire` calls and the acquire cases of
   * pending selects).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(0);
   * const pending = slots.acquire();
   * assert.equal(slots.waiting, 1);
   * slots.release(1);
   * assert.equal(slots.waiting, 0);
   * (await pending).release();
   * ```
   */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * The serving policy, as given to the constructor.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(1).policy, "fifo");
   * ```
   */
  get policy(): SemaphorePolicy {
    return this.#fifo ? "fifo" : "first-fit";
  }

  /**
   * An acquire as a case of `select`: it completes with a {@linkcode Permit}
   * of `n` permits, and if another case wins, it counts nothing. While
   * waiting it queues in the same queue as `acquire()`, under the same policy.
   *
   * @param n How many permits: a non-negative safe integer (default 1).
   * @returns A reusable case.
   * @throws {TypeError} When `n` is not a number.
   * @throws {RangeError} When `n` is negative, fractional or unsafe.
   *
   * @example A permit or a stop message, whichever comes first
   * ```ts
   * import { Channel, select, Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(0);
   * const stop = new Channel<string>(1);
   * const next = select({ slot: slots.acquireCase(), stop: stop.receiveCase() });
   * await stop.send("shutdown");
   * assert.equal((await next).key, "stop");
   * slots.release(1);
   * assert.equal(slots.available, 1, "the lost case took nothing");
   * ```
   */
  acquireCase(n: number = 1): SelectCase<Permit> {
    assertPermits(n, "Semaphore.acquireCase", "n");
    return makeCase<Permit>({
      poll: () => this.#take(n) ?? NOT_READY,
      enlist: (waiter) => {
        waiter.request = n;
        this.#enqueue(waiter, n);
      },
    });
  }

  /** Takes `n` permits if the policy lets a newcomer have them now. */
  #take(n: number): Permit | undefined {
    if (n === 0) return newPermit(this, 0);
    if (n > this.#available || (this.#fifo && this.#queue.length > 0)) return undefined;
    this.#available -= n;
    return newPermit(this, n);
  }

  #enqueue(waiter: Waiter<Permit>, n: number): void {
    this.#queue.push(waiter);
    if (n < this.#smallest) this.#smallest = n;
  }

  /** Grants the waiters that fit, under the policy; re-entrant calls become another pass. */
  #serve(): void {
    if (this.#serving) {
      this.#again = true;
      return;
    }
    this.#serving = true;
    try {
      do {
        this.#again = false;
        if (this.#fifo) this.#serveHead();
        else this.#serveFirstFit();
      } while (this.#again);
    } finally {
      this.#serving = false;
    }
  }

  #serveHead(): void {
    const queue = this.#queue;
    for (let head = queue.first; head !== null; head = queue.first) {
      if ((head.request as number) > this.#available) return;
      this.#grant(head);
    }
  }

  #serveFirstFit(): void {
    if (this.#available < this.#smallest) return; // nobody fits
    const queue = this.#queue;
    let smallest = Infinity; // of the waiters that stay
    let waiter = queue.first;
    while (waiter !== null) {
      if (this.#available === 0) return; // nobody fits; #smallest stays a lower bound
      let next = waiter.next;
      const n = waiter.request as number;
      if (n <= this.#available) {
        this.#grant(waiter);
        // The grant may have unlinked `next` (a case of the same select): start over.
        if (next !== null && next.queue !== queue) {
          next = queue.first;
          smallest = Infinity;
        }
      } else if (n < smallest) smallest = n;
      waiter = next;
    }
    this.#smallest = smallest;
  }

  #grant(waiter: Waiter<Permit>): void {
    const aborted = waiter.abortedBy;
    if (aborted !== null) {
      waiter.fail(aborted.reason); // its abort is being dispatched: do not grant it
      return;
    }
    const n = waiter.request as number;
    this.#available -= n;
    waiter.grant(newPermit(this, n));
  }

  static {
    giveBack = (semaphore, count) => {
      semaphore.#available += count;
      semaphore.#serve();
    };
  }
}

/**
 * Permits held from a {@linkcode Semaphore}: `release()` (or the end of a
 * `using` block) returns them, once; later calls do nothing, so a double
 * release never hands somebody else's permits out. `forget()` keeps them
 * out of the semaphore for good (or until `semaphore.release(n)`).
 *
 * A permit is not tied to the code that acquired it: any code may release it.
 *
 * @example Returning permits with `using`
 * ```ts
 * import { Semaphore } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(3);
 * {
 *   using permit = await slots.acquire(2);
 *   assert.equal(permit.count, 2);
 *   assert.equal(slots.available, 1);
 * }
 * assert.equal(slots.available, 3);
 * ```
 */
export class Permit {
  /**
   * How many permits it was granted (it does not change on release).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore(5).tryAcquire(3)?.count, 3);
   * ```
   */
  readonly count: number;
  #semaphore: Semaphore | null;

  /** @ignore Made by Semaphore only. */
  private constructor(token: symbol, semaphore: Semaphore, count: number) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "Permit cannot be constructed directly; acquire one from a Semaphore (acquire(), tryAcquire())",
      );
    }
    this.#semaphore = semaphore;
    this.count = count;
  }

  /**
   * Whether it no longer holds its permits: released, disposed or forgotten.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const permit = new Semaphore(1).tryAcquire()!;
   * assert.equal(permit.released, false);
   * permit.release();
   * assert.equal(permit.released, true);
   * ```
   */
  get released(): boolean {
    return this.#semaphore === null;
  }

  /**
   * Returns the permits to the semaphore, which serves its waiters at once.
   * Idempotent: only the first call (of release, dispose and forget) counts.
   *
   * @example A second release returns nothing
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(2);
   * const permit = slots.tryAcquire(2)!;
   * permit.release();
   * permit.release();
   * assert.equal(slots.available, 2);
   * ```
   */
  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === null) return;
    this.#semaphore = null;
    if (this.count > 0) giveBack(semaphore, this.count);
  }

  /**
   * Gives up the permit without returning its permits to the semaphore (they
   * stay taken until someone calls `semaphore.release(n)`): the semaphore
   * shrinks. This is futures-intrusive's `disarm`.
   *
   * @returns How many permits it kept out: its `count`, or 0 if it was
   * already released or forgotten.
   *
   * @example Handing permits over to a manual release
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(2);
   * const kept = slots.tryAcquire(2)!.forget();
   * assert.equal(kept, 2);
   * assert.equal(slots.available, 0);
   * slots.release(kept);
   * assert.equal(slots.available, 2);
   * ```
   */
  forget(): number {
    if (this.#semaphore === null) return 0;
    this.#semaphore = null;
    return this.count;
  }

  /**
   * Releases the permit (for `using`); same as {@linkcode Permit.release}.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(1);
   * {
   *   using _permit = await slots.acquire();
   *   assert.equal(slots.available, 0);
   * }
   * assert.equal(slots.available, 1);
   * ```
   */
  [Symbol.dispose](): void {
    this.release();
  }

  static {
    newPermit = (semaphore, count) => new Permit(INTERNAL, semaphore, count);
  }
}

/** Checks a permit count: a non-negative safe integer. */
function assertPermits(value: unknown, method: string, name: string): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${method}(): "${name}" must be a non-negative safe integer, got ${describe(value)}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${method}(): "${name}" must be a non-negative safe integer, got ${describe(value)}`,
    );
  }
}
