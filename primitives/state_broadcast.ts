// Copyright 2026 the desync authors. MIT license.
// StateBroadcast<T>: a versioned latest-value cell (futures-intrusive's
// StateBroadcastChannel, tokio's watch).
//
// Each send replaces the value and increments the version (the first value is
// version 1; 0 means "nothing seen yet"). A receive names the version it has
// seen and completes as soon as the stored one is newer, with the latest
// value: intermediate values are skipped, never queued.
//
// Invariants:
// - A queued waiter's request is the version it has seen, and it is >= the
//   stored version: send() grants every waiter below the new version before
//   it returns, and receive() does not queue when the stored one is newer.
// - Once closed, nothing is queued: close() ends every waiter, and a receive
//   behind the last value still gets it (then the end).

import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { describe, readSignal } from "../_engine/validate.ts";
import { ChannelClosedError } from "./errors.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";

/**
 * One state of a {@linkcode StateBroadcast}, as its async iterator yields it:
 * its version and value.
 *
 * @typeParam T The type of the value.
 *
 * @example Reading the states of a loop
 * ```ts
 * import { StateBroadcast, type StateUpdate } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const mode = new StateBroadcast("idle");
 * mode.close();
 * const states: StateUpdate<string>[] = [];
 * for await (const update of mode) states.push(update);
 * assert.deepEqual(states, [{ version: 1, value: "idle" }]);
 * ```
 */
export interface StateUpdate<T> {
  /**
   * The version of this state: 1 for the first value, then one more per
   * send. Pass it to `receive(since)` to wait for a newer state.
   *
   * @example Waiting for the state after this one
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const mode = new StateBroadcast("idle");
   * const { value: first } = await mode[Symbol.asyncIterator]().next();
   * const next = mode.receive(first!.version);
   * mode.send("busy");
   * assert.deepEqual(await next, { done: false, version: 2, value: "busy" });
   * ```
   */
  version: number;
  /**
   * The value: shared with every receiver, not copied (treat it as immutable).
   *
   * @example Every receiver gets the same object
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const config = new StateBroadcast({ retries: 3 });
   * const a = await config[Symbol.asyncIterator]().next();
   * const b = await config[Symbol.asyncIterator]().next();
   * assert.strictEqual(a.value!.value, b.value!.value);
   * ```
   */
  value: T;
}

/**
 * What `StateBroadcast.receive()` resolves with: a newer state, or the end
 * (closed, with nothing newer than the caller's version); `version` is the
 * broadcast's version either way.
 *
 * @typeParam T The type of the value.
 *
 * @example Telling a state from the end
 * ```ts
 * import { StateBroadcast, type StateReceiveResult } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const level = new StateBroadcast(1);
 * level.close();
 * const results: StateReceiveResult<number>[] = [await level.receive(), await level.receive(1)];
 * assert.deepEqual(results.map((r) => (r.done ? "end" : r.value)), [1, "end"]);
 * ```
 */
export type StateReceiveResult<T> =
  | { done: false; version: number; value: T }
  | { done: true; version: number; value: undefined };

/** Checks a version argument: a non-negative safe integer. */
function assertVersion(since: unknown, method: string): asserts since is number {
  if (typeof since !== "number") {
    throw new TypeError(
      `${method}(): "since" must be a version (a non-negative integer), got ${describe(since)}`,
    );
  }
  if (!Number.isSafeInteger(since) || since < 0) {
    throw new RangeError(
      `${method}(): "since" must be a version (a non-negative integer), got ${describe(since)}`,
    );
  }
}

/**
 * A versioned latest value broadcast to any number of receivers: a config,
 * a connection state, a progress figure. Receivers that fall behind skip to
 * the latest value; nobody queues old values.
 *
 * `send(value)` replaces the value and returns its new version. A receiver
 * passes the version it has seen (0 at first) to `receive(since)`, which
 * resolves as soon as the stored version is newer, or iterates with
 * `for await`. After `close()`, a receiver behind the last value still gets
 * it, then the end. The value is shared with every receiver, not copied:
 * treat it as immutable.
 *
 * @typeParam T The type of the value.
 *
 * @example Following a setting
 * ```ts
 * import { StateBroadcast } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const theme = new StateBroadcast("light");
 * const seen: string[] = [];
 * const follower = (async () => {
 *   for await (const { value } of theme) seen.push(value);
 * })();
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * theme.send("dark");
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * theme.close();
 * await follower;
 * assert.deepEqual(seen, ["light", "dark"]);
 * ```
 */
export class StateBroadcast<T> {
  #version = 0;
  #value: T | undefined = undefined;
  #closed = false;
  #reason: unknown = undefined;
  /** Waiters; each one's request is the version it has seen. */
  readonly #waiters = new WaitQueue<Waiter<StateReceiveResult<T>>>();

  /**
   * Creates a broadcast, empty (version 0) or holding `initial` as version 1.
   *
   * @param initial The first value, if any (passing `undefined` explicitly
   *   makes version 1 hold `undefined`).
   *
   * @example With and without a first value
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new StateBroadcast<number>().version, 0);
   * const config = new StateBroadcast({ retries: 3 });
   * assert.equal(config.version, 1);
   * assert.deepEqual(config.value, { retries: 3 });
   * ```
   */
  constructor(...initial: [initial?: T]) {
    if (initial.length > 0) {
      this.#version = 1;
      this.#value = initial[0];
    }
  }

  /**
   * The current version: 0 before the first value, then one more per send.
   *
   * @example Counting sends
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const progress = new StateBroadcast<number>();
   * progress.send(10);
   * progress.send(20);
   * assert.equal(progress.version, 2);
   * ```
   */
  get version(): number {
    return this.#version;
  }

  /**
   * The latest value, or `undefined` before the first one.
   *
   * @example Reading the latest value
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const status = new StateBroadcast<string>();
   * assert.equal(status.value, undefined);
   * status.send("online");
   * assert.equal(status.value, "online");
   * ```
   */
  get value(): T | undefined {
    return this.#value;
  }

  /**
   * Whether `close()` was called.
   *
   * @example Closing
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const status = new StateBroadcast<string>();
   * status.close();
   * assert.equal(status.closed, true);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * How many receives are pending (receives, iterators waiting in `next()`,
   * select cases).
   *
   * @example Counting receivers
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const status = new StateBroadcast<string>();
   * const receiving = status.receive();
   * assert.equal(status.waiting, 1);
   * status.send("up");
   * assert.equal(status.waiting, 0);
   * await receiving;
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Replaces the value and increments the version; every receive waiting on
   * an older version completes with this state.
   *
   * @param value The new value.
   * @returns The new version.
   * @throws {ChannelClosedError} Carrying `value` when the broadcast is
   *   closed (its `cause` is the close reason, if any).
   * @throws {RangeError} When the version would pass
   *   `Number.MAX_SAFE_INTEGER` (after 2^53 sends: unreachable in practice).
   *
   * @example Waking the receivers
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const level = new StateBroadcast<number>();
   * const a = level.receive();
   * const b = level.receive();
   * assert.equal(level.send(5), 1);
   * assert.deepEqual(await a, { done: false, version: 1, value: 5 });
   * assert.deepEqual(await b, { done: false, version: 1, value: 5 });
   * ```
   */
  send(value: T): number {
    if (this.#closed) {
      throw new ChannelClosedError(
        "StateBroadcast.send(): the broadcast is closed",
        value,
        this.#reason === undefined ? undefined : { cause: this.#reason },
      );
    }
    if (this.#version === Number.MAX_SAFE_INTEGER) {
      throw new RangeError("StateBroadcast.send(): the version cannot grow any further");
    }
    const version = ++this.#version;
    this.#value = value;
    // Grant every waiter behind the new version, oldest first, keeping the
    // ones that named a later version. Granting a select's case unlinks its
    // other cases, which may be queued here: `kept` (the last waiter kept) is
    // still linked unless that happened to it, and then the walk restarts
    // from the head (nobody is granted twice: granted waiters leave).
    const waiters = this.#waiters;
    let kept: Waiter<StateReceiveResult<T>> | null = null;
    let waiter = waiters.first;
    while (waiter !== null) {
      if ((waiter.request as number) < version) {
        waiter.grant({ done: false, version, value });
        if (kept !== null && kept.queue !== waiters) kept = null;
        waiter = kept === null ? waiters.first : kept.next as Waiter<StateReceiveResult<T>> | null;
      } else {
        kept = waiter;
        waiter = waiter.next as Waiter<StateReceiveResult<T>> | null;
      }
    }
    return version;
  }

  /**
   * Waits for a state newer than `since` and resolves with the latest one
   * (`{ done: false, version, value }`); at once if the stored version is
   * newer. After `close()`: the last state if it is newer than `since`, else
   * `{ done: true, version, value: undefined }`, or a rejection with the
   * close reason when one was given.
   *
   * @param since The version already seen (0: any value will do).
   *   @default 0
   * @param options.signal Stops waiting: the promise rejects with
   *   `signal.reason` (at once if already aborted).
   *   @default undefined
   * @returns The newer state, or the end.
   * @throws {TypeError} When `since` is not a number, or `options` is not an
   *   object with an optional `signal` (an AbortSignal).
   * @throws {RangeError} When `since` is not a non-negative integer.
   *
   * @example Following the versions by hand
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const counter = new StateBroadcast(0);
   * const first = await counter.receive();
   * assert.deepEqual(first, { done: false, version: 1, value: 0 });
   * const next = counter.receive(first.version); // waits for version 2
   * counter.send(1);
   * counter.send(2); // skips 1: the receive sees the latest
   * assert.deepEqual(await next, { done: false, version: 2, value: 1 });
   * assert.equal(counter.version, 3);
   * ```
   */
  receive(since: number = 0, options?: { signal?: AbortSignal }): Promise<StateReceiveResult<T>> {
    assertVersion(since, "StateBroadcast.receive");
    const signal = readSignal(options, "StateBroadcast.receive");
    if (signal?.aborted) return Promise.reject(signal.reason);
    let now: StateReceiveResult<T> | typeof NOT_READY;
    try {
      now = this.#poll(since);
    } catch (reason) {
      return Promise.reject(reason);
    }
    if (now !== NOT_READY) return Promise.resolve(now);
    return new Promise<StateReceiveResult<T>>((resolve, reject) => {
      const waiter = new Waiter<StateReceiveResult<T>>(since, resolve, reject);
      this.#waiters.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * The state newer than `since`, without waiting.
   *
   * @param since The version already seen (0: any value will do).
   *   @default 0
   * @returns The latest state if newer than `since`; else, once closed,
   *   `{ done: true, version, value: undefined }` (also when closed with a
   *   reason: a synchronous poll reports the state, `receive()` the reason);
   *   else `undefined`.
   * @throws {TypeError} When `since` is not a number.
   * @throws {RangeError} When `since` is not a non-negative integer.
   *
   * @example Polling
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const status = new StateBroadcast<string>();
   * assert.equal(status.tryReceive(), undefined);
   * status.send("up");
   * assert.deepEqual(status.tryReceive(), { done: false, version: 1, value: "up" });
   * assert.equal(status.tryReceive(1), undefined);
   * ```
   */
  tryReceive(since: number = 0): StateReceiveResult<T> | undefined {
    assertVersion(since, "StateBroadcast.tryReceive");
    if (this.#version > since) {
      return { done: false, version: this.#version, value: this.#value as T };
    }
    return this.#closed ? { done: true, version: this.#version, value: undefined } : undefined;
  }

  /**
   * Closes the broadcast: later sends throw, and receives waiting on the
   * last version end (with `done`, or rejected with `reason` when one is
   * given). A receive behind the last value still gets it. Idempotent.
   *
   * @param reason Why it closed: receives with nothing newer reject with it,
   *   and failed sends carry it as their `cause`. `undefined` means no reason.
   * @returns Whether this call closed it (false if it was already closed).
   *
   * @example The last value outlives the close
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const result = new StateBroadcast<string>();
   * result.send("final");
   * assert.equal(result.close(), true);
   * assert.equal(result.close(), false);
   * assert.deepEqual(await result.receive(), { done: false, version: 1, value: "final" });
   * assert.deepEqual(await result.receive(1), { done: true, version: 1, value: undefined });
   * ```
   */
  close(reason?: unknown): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#reason = reason;
    // Every waiter has seen the stored version (invariant): none gets a value.
    const waiters = this.#waiters;
    const version = this.#version;
    for (let waiter = waiters.first; waiter !== null; waiter = waiters.first) {
      if (reason === undefined) waiter.grant({ done: true, version, value: undefined });
      else waiter.fail(reason);
    }
    return true;
  }

  /**
   * Closes the broadcast without a reason (`using status = new StateBroadcast()`).
   *
   * @example Closed at the end of the scope
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let escaped: StateBroadcast<number>;
   * {
   *   using status = new StateBroadcast(1);
   *   escaped = status;
   * }
   * assert.equal(escaped.closed, true);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The receive as a case of `select()`: it completes with what
   * `receive(since)` would resolve with, and fails the select where it would
   * reject. Losing the select consumes nothing.
   *
   * @param since The version already seen (0: any value will do).
   *   @default 0
   * @returns A case that can be passed to several selects in turn.
   * @throws {TypeError} When `since` is not a number.
   * @throws {RangeError} When `since` is not a non-negative integer.
   *
   * @example A new config or a shutdown
   * ```ts
   * import { ManualResetEvent, select, StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const config = new StateBroadcast({ level: 1 });
   * const shutdown = new ManualResetEvent();
   * const next = select({ config: config.receiveCase(1), shutdown: shutdown.waitCase() });
   * config.send({ level: 2 });
   * const { key, value } = await next;
   * assert.equal(key, "config");
   * assert.deepEqual(value, { done: false, version: 2, value: { level: 2 } });
   * ```
   */
  receiveCase(since: number = 0): SelectCase<StateReceiveResult<T>> {
    assertVersion(since, "StateBroadcast.receiveCase");
    return makeCase<StateReceiveResult<T>>({
      poll: () => this.#poll(since),
      enlist: (waiter) => {
        waiter.request = since;
        this.#waiters.push(waiter);
      },
    });
  }

  /**
   * Iterates the states: the current one first (if there is a value), then
   * each newer state it sees (a slow consumer skips to the latest). Ends
   * after `close()` once it has seen the last value; throws the close reason
   * instead when one was given. `return()` (a `break` out of `for await`)
   * ends a pending `next()` with `done` and leaves the queue.
   *
   * @returns An async iterator of `{ version, value }`.
   *
   * @example Stopping early
   * ```ts
   * import { StateBroadcast } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const temperature = new StateBroadcast(20);
   * for await (const { version, value } of temperature) {
   *   assert.equal(version, 1);
   *   assert.equal(value, 20);
   *   break;
   * }
   * assert.equal(temperature.waiting, 0);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<StateUpdate<T>> {
    type Step = IteratorResult<StateUpdate<T>, undefined>;
    let seen = 0;
    let finished = false;
    let waiter: Waiter<StateReceiveResult<T>> | null = null;
    // next() calls made while one waits run after it, in order (`queued` of
    // them, the last one being `last`), so that no state is yielded twice.
    let queued = 0;
    let last: Promise<Step> | null = null;
    const end = (): Step => ({ done: true, value: undefined });
    const step = (): Promise<Step> => {
      if (finished) return Promise.resolve(end());
      if (this.#version > seen) {
        seen = this.#version;
        return Promise.resolve({ done: false, value: { version: seen, value: this.#value as T } });
      }
      if (this.#closed) {
        finished = true;
        return this.#reason === undefined ? Promise.resolve(end()) : Promise.reject(this.#reason);
      }
      return new Promise<Step>((resolve, reject) => {
        waiter = new Waiter<StateReceiveResult<T>>(seen, (result) => {
          waiter = null;
          if (result.done) {
            finished = true;
            resolve(end());
          } else {
            seen = result.version;
            resolve({ done: false, value: { version: result.version, value: result.value } });
          }
        }, (reason) => {
          waiter = null;
          finished = true;
          reject(reason);
        });
        this.#waiters.push(waiter);
      });
    };
    const queuedStep = (): Promise<Step> => {
      queued--;
      return step();
    };
    const iterator: AsyncIterableIterator<StateUpdate<T>> = {
      next: (): Promise<Step> => {
        if (waiter === null && queued === 0) return last = step();
        queued++;
        return last = last!.then(queuedStep, queuedStep);
      },
      return: (): Promise<Step> => {
        finished = true;
        // A next() still waiting ends now and leaves the queue.
        waiter?.grant({ done: true, version: this.#version, value: undefined });
        return Promise.resolve(end());
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** A receive that does not wait: the newer state, the end, or NOT_READY; throws the close reason. */
  #poll(since: number): StateReceiveResult<T> | typeof NOT_READY {
    if (this.#version > since) {
      return { done: false, version: this.#version, value: this.#value as T };
    }
    if (!this.#closed) return NOT_READY;
    if (this.#reason !== undefined) throw this.#reason;
    return { done: true, version: this.#version, value: undefined };
  }
}
