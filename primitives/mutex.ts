// Copyright 2026 the desync authors. MIT license.
// Mutex<T>: an async lock that owns its value, with FIFO direct hand-off.
//
// Invariants:
// - `#locked` is true from a grant until a holder releases with nobody
//   waiting. Waiters exist only while it is locked: a release with waiters
//   hands the lock to the oldest at once (`#locked` stays true), so nobody
//   can barge in between, and the fast paths (lock, tryLock, a select's
//   poll) need to check `#locked` only.
// - Every grant makes a fresh guard, and a guard releases at most once: a
//   second release of the same guard can never unlock on behalf of the next
//   holder.
// - A waiter whose own signal has already aborted is never granted: a
//   release made by another listener of that signal, before the waiter's
//   abort was dispatched, passes it by (its abort then rejects it).
//
// No unfair (barging) mode: in single-threaded JS there is no thread wake-up
// latency to hide, so letting a newcomer take the lock ahead of the woken
// waiter only adds a retry (one more promise per lost race). Measured
// (reference primitives.md §3.2): barging was 1.9-2.3x slower than direct
// hand-off, and starved: each task kept the lock for its whole loop.

import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { assertFunction, readSignal } from "../_engine/validate.ts";
import { ReleasedError } from "./errors.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

/**
 * Options of {@linkcode Mutex.lock} and {@linkcode Mutex.withLock}.
 *
 * @example Giving up on a lock after a while
 * ```ts
 * import { type LockOptions, Mutex } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const mutex = new Mutex("config");
 * const held = await mutex.lock();
 * const options: LockOptions = { signal: AbortSignal.timeout(10) };
 * await assert.rejects(mutex.lock(options), { name: "TimeoutError" });
 * held.release();
 * ```
 */
export interface LockOptions {
  /**
   * Gives up waiting: the call rejects with `signal.reason` and leaves the
   * queue. An aborted signal rejects at once, even when the lock is free. An
   * abort after the lock was granted changes nothing: the caller holds it.
   *
   * @default {undefined}
   *
   * @example Waiting at most 5 ms for the lock
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const config = new Mutex({ retries: 3 });
   * const held = config.tryLock()!;
   * await assert.rejects(config.lock({ signal: AbortSignal.timeout(5) }), { name: "TimeoutError" });
   * assert.equal(config.waiting, 0);
   * held.release();
   * ```
   */
  signal?: AbortSignal;
}

const INTERNAL: unique symbol = Symbol("desync.MutexGuard");

let newGuard: <T>(mutex: Mutex<T>) => MutexGuard<T>;
let valueOf: <T>(mutex: Mutex<T>) => T;
let setValue: <T>(mutex: Mutex<T>, value: T) => void;
let unlock: (mutex: Mutex<unknown>) => void;

/**
 * An async lock that owns a value: only the holder of the lock can reach the
 * value, through its {@linkcode MutexGuard}. Waiters get the lock one at a
 * time in the order they asked (FIFO), handed over directly at release, so a
 * waiter is never overtaken and waits at most for the holders ahead of it.
 *
 * The guard has the same `{ value }` shape as the `Ref` of a `Desync` job,
 * so a section under the lock reads like a job: `withLock((ref) =>
 * ref.value++)`. Unlike a `Desync`, which runs its jobs for you, a mutex lets
 * any code hold the value across awaits of its own.
 *
 * Not re-entrant: locking again from inside your own locked section waits
 * for yourself, forever. Use `tryLock()` where that can happen, or pass a
 * `{ signal }` so that the wait can end.
 *
 * @typeParam T The type of the value.
 *
 * @example Updating shared state across awaits, with no lost update
 * ```ts
 * import { Mutex } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const balance = new Mutex(100);
 * const withdraw = (amount: number) =>
 *   balance.withLock(async (ref) => {
 *     await new Promise((resolve) => setTimeout(resolve, 1)); // e.g. a database call
 *     if (ref.value < amount) return false;
 *     ref.value -= amount;
 *     return true;
 *   });
 * const results = await Promise.all([withdraw(60), withdraw(60)]);
 * assert.deepEqual(results, [true, false]);
 * assert.equal(await balance.withLock((ref) => ref.value), 40);
 * ```
 */
export class Mutex<T> {
  #value: T;
  #locked = false;
  readonly #queue = new WaitQueue<Waiter<MutexGuard<T>>>();

  /**
   * Creates an unlocked mutex owning `value`.
   *
   * @param value The value the lock protects.
   *
   * @example A mutex around a plain lock-only section
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const printer = new Mutex<string[]>([]);
   * assert.equal(printer.locked, false);
   * ```
   */
  constructor(value: T) {
    this.#value = value;
  }

  /**
   * Waits for the lock and resolves with its guard; release the guard (or
   * let `using` dispose it) to hand the lock to the next waiter. A free
   * lock is taken at once (the promise is already resolved); otherwise the
   * call queues behind the current waiters.
   *
   * @param options A `signal` to give up waiting.
   * @returns A promise of the guard. It rejects with `signal.reason` if the
   * signal aborts before the lock was granted.
   * @throws {TypeError} When the options are not `{ signal }` with an AbortSignal.
   *
   * @example Holding the lock for a scope
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const log = new Mutex<string[]>([]);
   * {
   *   using guard = await log.lock();
   *   guard.value.push("written under the lock");
   *   assert.equal(log.locked, true);
   * }
   * assert.equal(log.locked, false, "the guard was disposed at the end of the block");
   * ```
   */
  lock(options?: LockOptions): Promise<MutexGuard<T>> {
    return this.#lock(options, "Mutex.lock");
  }

  /**
   * Takes the lock now if it is free, without waiting. It fails when the
   * lock is held, and therefore also whenever anyone waits (a waiter exists
   * only while the lock is held, and gets it directly at release).
   *
   * @returns The guard, or `undefined` when the lock is held.
   *
   * @example Skipping work that someone else is already doing
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const refresh = new Mutex(0);
   * const first = refresh.tryLock();
   * assert.ok(first);
   * assert.equal(refresh.tryLock(), undefined, "already being refreshed");
   * first.value++;
   * first.release();
   * assert.equal(refresh.tryLock()?.value, 1);
   * ```
   */
  tryLock(): MutexGuard<T> | undefined {
    if (this.#locked) return undefined;
    this.#locked = true;
    return newGuard(this);
  }

  /**
   * Runs `fn` with the lock held and releases it when `fn` returns, throws,
   * or its promise settles. `fn` always runs after `withLock` returned (in a
   * later microtask), even when the lock is free. Its guard is released
   * afterwards: keeping it and using it later throws a
   * {@linkcode ReleasedError}.
   *
   * @typeParam R What `fn` returns.
   * @param fn The section to run under the lock; it gets the guard, whose
   * `value` it may read and assign.
   * @param options A `signal` to give up waiting for the lock (it does not
   * interrupt `fn` once it runs).
   * @returns A promise of what `fn` returned (awaited). It rejects with what
   * `fn` threw or rejected with, or with `signal.reason` if the wait was
   * aborted (`fn` then never runs).
   * @throws {TypeError} When `fn` is not a function, or the options are not
   * `{ signal }` with an AbortSignal.
   *
   * @example Reads like a Desync job
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const counter = new Mutex(0);
   * await Promise.all([1, 2, 3].map(() => counter.withLock((ref) => ref.value++)));
   * assert.equal(await counter.withLock((ref) => ref.value), 3);
   * await assert.rejects(counter.withLock(() => Promise.reject(new Error("boom"))), /boom/);
   * assert.equal(counter.locked, false, "released after the failure too");
   * ```
   */
  withLock<R>(
    fn: (guard: MutexGuard<T>) => R | PromiseLike<R>,
    options?: LockOptions,
  ): Promise<Awaited<R>> {
    assertFunction(fn, "Mutex.withLock", "fn");
    return runLocked(this.#lock(options, "Mutex.withLock"), fn);
  }

  /**
   * Whether the lock is held. Also true from the moment a release handed it
   * to a waiter that has not run yet.
   *
   * @example
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex(null);
   * const guard = mutex.tryLock()!;
   * assert.equal(mutex.locked, true);
   * guard.release();
   * assert.equal(mutex.locked, false);
   * ```
   */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * How many operations wait for the lock (`lock`, `withLock`, and the lock
   * cases of pending selects).
   *
   * @example
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex(0);
   * const held = mutex.tryLock()!;
   * const next = mutex.lock();
   * assert.equal(mutex.waiting, 1);
   * held.release();
   * assert.equal(mutex.waiting, 0, "handed over at the release");
   * (await next).release();
   * ```
   */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * The lock as a case of `select`: it completes with a guard, and if
   * another case wins, it takes nothing (the lock is never held on its
   * behalf). While waiting it queues in the same FIFO as `lock()`.
   *
   * @returns A reusable case.
   *
   * @example Whichever comes first: the lock or a message
   * ```ts
   * import { Channel, Mutex, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const state = new Mutex({ ready: false });
   * const held = state.tryLock()!;
   * const stop = new Channel<string>(1);
   * const next = select({ lock: state.lockCase(), stop: stop.receiveCase() });
   * await stop.send("shutdown");
   * assert.equal((await next).key, "stop");
   * held.release();
   * assert.equal(state.locked, false, "the lost case did not take the lock");
   * ```
   */
  lockCase(): SelectCase<MutexGuard<T>> {
    return makeCase<MutexGuard<T>>({
      poll: () => this.tryLock() ?? NOT_READY,
      enlist: (waiter) => {
        waiter.request = undefined; // no signal of its own: its select's group has it
        this.#queue.push(waiter);
      },
    });
  }

  #lock(options: LockOptions | undefined, method: string): Promise<MutexGuard<T>> {
    const signal = readSignal(options, method);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(newGuard(this));
    }
    return new Promise((resolve, reject) => {
      // The waiter's request is its signal (a select's case has none: its group has it).
      const waiter = new Waiter<MutexGuard<T>>(signal, resolve, reject);
      this.#queue.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /** A guard released: hand the lock to the oldest waiter, or unlock. */
  #unlock(): void {
    for (let next = this.#queue.first; next !== null; next = this.#queue.first) {
      const aborted = next.abortedBy;
      if (aborted !== null) {
        next.fail(aborted.reason); // its abort is being dispatched: do not grant it
        continue;
      }
      next.grant(newGuard(this));
      return;
    }
    this.#locked = false;
  }

  static {
    valueOf = (mutex) => mutex.#value;
    setValue = (mutex, value) => void (mutex.#value = value);
    unlock = (mutex) => mutex.#unlock();
  }
}

async function runLocked<T, R>(
  locking: Promise<MutexGuard<T>>,
  fn: (guard: MutexGuard<T>) => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  const guard = await locking;
  try {
    const result = fn(guard);
    // A plain value is returned without a tick of its own: the lock is
    // released (and handed on) as soon as fn returns.
    return (isThenable(result) ? await result : result) as Awaited<R>;
  } finally {
    guard.release();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * The proof of holding a {@linkcode Mutex}'s lock, and the only way to its
 * value while held: read or assign `guard.value`. Release it with
 * `release()`, or hold it in a `using` declaration. Each lock gets its own
 * guard; once released, the guard is dead: its `value` throws a
 * {@linkcode ReleasedError}, and releasing again does nothing (it can never
 * unlock on behalf of the lock's next holder).
 *
 * @typeParam T The type of the value.
 *
 * @example The value is reached through the guard
 * ```ts
 * import { Mutex } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const name = new Mutex("ada");
 * const guard = await name.lock();
 * guard.value = guard.value.toUpperCase();
 * guard.release();
 * assert.equal(await name.withLock((ref) => ref.value), "ADA");
 * ```
 */
export class MutexGuard<T> {
  #mutex: Mutex<T> | null;

  /** @ignore Made by Mutex only. */
  private constructor(token: symbol, mutex: Mutex<T>) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "MutexGuard cannot be constructed directly; lock a Mutex (mutex.lock(), tryLock(), withLock())",
      );
    }
    this.#mutex = mutex;
  }

  /**
   * The mutex's value. Assign to replace it (the mutex keeps the new value).
   *
   * @throws {ReleasedError} When the guard was released.
   *
   * @example Replacing the value
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const list = new Mutex([3, 1, 2]);
   * await list.withLock((ref) => void (ref.value = ref.value.toSorted()));
   * assert.deepEqual(await list.withLock((ref) => ref.value), [1, 2, 3]);
   * ```
   */
  get value(): T {
    if (this.#mutex === null) throw released("read");
    return valueOf(this.#mutex);
  }

  set value(value: T) {
    if (this.#mutex === null) throw released("assigned");
    setValue(this.#mutex, value);
  }

  /**
   * Whether the guard was released (it no longer holds the lock).
   *
   * @example
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const guard = new Mutex(0).tryLock()!;
   * assert.equal(guard.released, false);
   * guard.release();
   * assert.equal(guard.released, true);
   * ```
   */
  get released(): boolean {
    return this.#mutex === null;
  }

  /**
   * Gives the lock up: the oldest waiter gets it at once, or the mutex
   * unlocks. Idempotent: a second call does nothing.
   *
   * @example The next waiter gets the lock
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex(0);
   * const first = await mutex.lock();
   * const second = mutex.lock();
   * first.release();
   * first.release(); // no effect
   * const guard = await second;
   * assert.equal(mutex.tryLock(), undefined, "the second holder still has it");
   * guard.release();
   * ```
   */
  release(): void {
    const mutex = this.#mutex;
    if (mutex === null) return;
    this.#mutex = null;
    unlock(mutex as Mutex<unknown>);
  }

  /**
   * Releases the guard (for `using`); same as {@linkcode MutexGuard.release}.
   *
   * @example
   * ```ts
   * import { Mutex } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex(1);
   * {
   *   using guard = await mutex.lock();
   *   guard.value *= 10;
   * }
   * assert.equal(mutex.tryLock()?.value, 10);
   * ```
   */
  [Symbol.dispose](): void {
    this.release();
  }

  static {
    newGuard = (mutex) => new MutexGuard(INTERNAL, mutex);
  }
}

function released(what: string): ReleasedError {
  return new ReleasedError(
    `MutexGuard.value: the guard was released and cannot be ${what}; lock the mutex again`,
  );
}
