// Copyright 2026 the desync authors. MIT license.
// Channel<T>: a multi-producer, multi-consumer FIFO channel with a fixed
// capacity (futures-intrusive's bounded and rendezvous channels), with the
// close semantics of its senders and receivers and the JS shapes around it
// (AbortSignal, IteratorResult, async iteration, streams, select cases: the
// last three in channel_streams.ts).
//
// Invariants, between any two calls:
// - buffer.length <= capacity.
// - A receiver waits only while nothing can be taken: the buffer is empty and
//   no sender waits. A send therefore hands its value straight to the oldest
//   waiting receiver, bypassing the (empty) buffer.
// - A sender waits only while the buffer is full (always, at capacity 0) and
//   no receiver waits. A receive that takes a value moves the oldest waiting
//   sender's value into the room it made and completes that send: senders
//   complete in FIFO order, without having to run first.
// - The one exception to "never both": a select with a receive case and a
//   send case on the same rendezvous channel enlists both; a select does not
//   meet itself, so they sit side by side until another party (or close)
//   decides the select, which unlinks them both. Nothing here ever matches a
//   queued sender with a queued receiver, only an arriving operation with the
//   head of the other queue, so this is safe.
// - closed => no sender waits (close fails them all) and no receiver waits
//   (close ends them, the buffer being empty when one waits), and none is
//   queued afterwards: sends fail at once, receives drain the buffer, then end.
// - Every grant updates the state first: granting a select's case unlinks its
//   other cases synchronously, possibly from these very queues, so loops read
//   the queue heads afresh after each grant.

import { Ring } from "../_engine/ring.ts";
import { Waiter, WaitQueue } from "../_engine/waiters.ts";
import { assertOptions, describe, optionalSignal, readSignal } from "../_engine/validate.ts";
import { onAbort } from "../_engine/abort.ts";
import { ChannelClosedError } from "./errors.ts";
import { makeCase, NOT_READY, type SelectCase } from "./select_case.ts";
import {
  type ChannelSource,
  feed,
  openChannelSource,
  receiveIterator,
  type ReceivePort,
  receiveStream,
  sendStream,
} from "./channel_streams.ts";
import type { ChannelFromOptions, ChannelWritableOptions } from "./channel_streams.ts";

export type { ChannelFromOptions, ChannelSource, ChannelWritableOptions };

/** A promise every send that did not wait returns: nothing to allocate. */
const SENT: Promise<void> = Promise.resolve();

/**
 * A channel between any number of senders and receivers: a FIFO of
 * `capacity` values. A send waits while the channel is full, a receive while
 * it is empty; both can be given up with a `signal`. At capacity 0 (a
 * rendezvous channel) a send completes only when a receiver takes its value.
 *
 * Order is first come, first served on both sides: values are received in
 * the order their sends were accepted, the oldest waiting receiver gets the
 * next value, and waiting senders complete oldest first. Values are handed
 * over directly (a waiting receiver is given the value by the send itself),
 * so no wake-up can be lost and nobody can barge in between.
 *
 * `close()` ends it: pending and later sends fail with a
 * {@linkcode ChannelClosedError} carrying their value, while the values already
 * accepted are still received; then receives report the end (`done: true`),
 * or reject with the reason given to `close(reason)`.
 *
 * A channel is async-iterable (`for await`), readable and writable as web
 * streams, offers select cases ({@linkcode Channel.receiveCase},
 * {@linkcode Channel.sendCase}) and closes on `using`. A producer and a
 * consumer that never wait for anything else run on microtasks only and
 * never yield to the event loop (timers, I/O): in a long loop, await a host
 * timer now and then (`await new Promise((r) => setTimeout(r, 0))`; a
 * `TimerService.delay(0)` is ready at once and does not yield).
 *
 * @typeParam T The type of the values.
 *
 * @example A bounded hand-off between a producer and a consumer
 * ```ts
 * import { Channel } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const jobs = new Channel<number>(2);
 * const producer = (async () => {
 *   for (let i = 1; i <= 5; i++) await jobs.send(i); // waits while 2 are unread
 *   jobs.close();
 * })();
 * const seen: number[] = [];
 * for await (const job of jobs) seen.push(job);
 * await producer;
 * assert.deepEqual(seen, [1, 2, 3, 4, 5]);
 * ```
 */
export class Channel<T> {
  readonly #capacity: number;
  readonly #buffer = new Ring<T>();
  /** Waiting sends; `request` is the value. */
  readonly #senders = new WaitQueue<Waiter<void>>();
  /** Waiting receives. */
  readonly #receivers = new WaitQueue<Waiter<IteratorResult<T, undefined>>>();
  #closed = false;
  #reason: unknown = undefined;
  /** Channel.from's pump: told when the channel closes (by anyone), to stop reading. */
  #onClose: ((reason: unknown) => void) | null = null;
  #port: ReceivePort<T> | null = null;

  /**
   * Creates an empty, open channel.
   *
   * @param capacity How many values it holds unread: a non-negative integer,
   * 0 for a rendezvous channel, or `Infinity` for an unbounded one (sends
   * never wait, so nothing slows a fast producer down: opt in knowingly).
   * @throws {TypeError} When `capacity` is not a number (it is required).
   * @throws {RangeError} When `capacity` is negative, fractional, NaN or above
   * `Number.MAX_SAFE_INTEGER` (but not `Infinity`).
   *
   * @example A rendezvous channel
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const meet = new Channel<string>(0);
   * assert.equal(meet.trySend("hi"), false, "nobody is receiving");
   * const receiving = meet.receive();
   * assert.equal(meet.trySend("hi"), true, "handed to the waiting receiver");
   * assert.deepEqual(await receiving, { done: false, value: "hi" });
   * ```
   */
  constructor(capacity: number) {
    assertCapacity(capacity, `new Channel(): "capacity"`);
    this.#capacity = capacity;
  }

  /**
   * How many values it holds unread (sends that wait are not counted: see
   * {@linkcode Channel.waitingSenders}).
   *
   * @example Counting buffered values
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(4);
   * await channel.send(1);
   * await channel.send(2);
   * assert.equal(channel.size, 2);
   * ```
   */
  get size(): number {
    return this.#buffer.length;
  }

  /**
   * The capacity it was created with (`Infinity` when unbounded).
   *
   * @example Reading it back
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Channel(8).capacity, 8);
   * assert.equal(new Channel(Infinity).capacity, Infinity);
   * ```
   */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Whether it was closed (values may still be buffered: see
   * {@linkcode Channel.size}).
   *
   * @example Closed, still holding a value
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(1);
   * await channel.send(1);
   * channel.close();
   * assert.equal(channel.closed, true);
   * assert.equal(channel.size, 1);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * How many sends wait for room (select cases included).
   *
   * @example A send waiting on a full channel
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(0);
   * const sending = channel.send(1);
   * assert.equal(channel.waitingSenders, 1);
   * await channel.receive();
   * await sending;
   * assert.equal(channel.waitingSenders, 0);
   * ```
   */
  get waitingSenders(): number {
    return this.#senders.length;
  }

  /**
   * How many receives wait for a value (select cases, iterators and readable
   * streams that wait included).
   *
   * @example A receive waiting on an empty channel
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(1);
   * const receiving = channel.receive();
   * assert.equal(channel.waitingReceivers, 1);
   * await channel.send(7);
   * assert.deepEqual(await receiving, { done: false, value: 7 });
   * ```
   */
  get waitingReceivers(): number {
    return this.#receivers.length;
  }

  /**
   * Sends a value: hands it to the oldest waiting receiver, or buffers it if
   * there is room; otherwise waits, holding the value, until a receive makes
   * room (waiting sends complete oldest first).
   *
   * @param value The value to send.
   * @param options A `signal` to give up waiting.
   * @returns A promise that resolves once the value was accepted (buffered or
   * received). It rejects with a {@linkcode ChannelClosedError} carrying the
   * value when the channel is closed or closes while the send waits, and with
   * `signal.reason` when the signal aborts before the value was accepted; in
   * both cases the value is never delivered.
   * @throws {TypeError} When `options` is not `{ signal }`.
   *
   * @example Giving up when nobody receives in time
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<string>(0);
   * const sending = channel.send("late", { signal: AbortSignal.timeout(10) });
   * await assert.rejects(sending, { name: "TimeoutError" });
   * assert.equal(channel.waitingSenders, 0);
   * ```
   */
  send(value: T, options?: { signal?: AbortSignal }): Promise<void> {
    const signal = options === undefined ? undefined : readSignal(options, "Channel.send");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#closedError("Channel.send", value, false));
    if (this.#offer(value)) return SENT;
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter<void>(value, resolve, reject);
      this.#senders.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * Receives the next value: from the buffer, or from the oldest waiting
   * sender; otherwise waits for one.
   *
   * @param options A `signal` to give up waiting.
   * @returns A promise of `{ done: false, value }`, or of
   * `{ done: true, value: undefined }` once the channel is closed and every
   * accepted value was received (the shape of a stream reader's `read()`).
   * After `close(reason)` with a reason, it rejects with `reason` instead of
   * reporting the end. It rejects with `signal.reason` when the signal aborts
   * first; nothing is taken then.
   * @throws {TypeError} When `options` is not `{ signal }`.
   *
   * @example Receiving until the end
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(2);
   * await channel.send(1);
   * channel.close();
   * assert.deepEqual(await channel.receive(), { done: false, value: 1 });
   * assert.deepEqual(await channel.receive(), { done: true, value: undefined });
   * ```
   */
  receive(options?: { signal?: AbortSignal }): Promise<IteratorResult<T, undefined>> {
    const signal = options === undefined ? undefined : readSignal(options, "Channel.receive");
    if (signal?.aborted) return Promise.reject(signal.reason);
    let result: IteratorResult<T, undefined> | typeof NOT_READY;
    try {
      result = this.#poll();
    } catch (reason) {
      return Promise.reject(reason);
    }
    if (result !== NOT_READY) return Promise.resolve(result);
    return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
      const waiter = new Waiter<IteratorResult<T, undefined>>(undefined, resolve, reject);
      this.#receivers.push(waiter);
      if (signal !== undefined) waiter.watchAbort(signal);
    });
  }

  /**
   * Sends a value without waiting: hands it to the oldest waiting receiver
   * (also on a rendezvous channel), or buffers it if there is room.
   *
   * @param value The value to send.
   * @returns Whether it was accepted; `false` if the send would have to wait
   * (the value then stays with the caller).
   * @throws {ChannelClosedError} When the channel is closed (carrying the value).
   *
   * @example Dropping what does not fit
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(2);
   * const accepted = [1, 2, 3].map((n) => channel.trySend(n));
   * assert.deepEqual(accepted, [true, true, false]);
   * ```
   */
  trySend(value: T): boolean {
    if (this.#closed) throw this.#closedError("Channel.trySend", value, false);
    return this.#offer(value);
  }

  /**
   * Receives a value without waiting: from the buffer, or from the oldest
   * waiting sender (which completes).
   *
   * @returns `{ ok: true, value }`, or `{ ok: false, closed }` when there is
   * nothing to take, `closed` telling whether there never will be.
   * @throws {unknown} The close reason, once the channel was closed with one
   * and every accepted value was received.
   *
   * @example Taking what is there
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<string>(2);
   * channel.trySend("a");
   * channel.close();
   * assert.deepEqual(channel.tryReceive(), { ok: true, value: "a" });
   * assert.deepEqual(channel.tryReceive(), { ok: false, closed: true });
   * ```
   */
  tryReceive(): { ok: true; value: T } | { ok: false; closed: boolean } {
    const value = this.#take();
    if (value !== NOT_READY) return { ok: true, value };
    if (!this.#closed) return { ok: false, closed: false };
    if (this.#reason !== undefined) throw this.#reason;
    return { ok: false, closed: true };
  }

  /**
   * Closes the channel: waiting sends reject with a
   * {@linkcode ChannelClosedError} carrying their value, later sends too;
   * the values already accepted are still received; once they are, receives
   * report the end, or reject with `reason` if one is given (like an errored
   * stream). Idempotent: a second call changes nothing (not even the reason).
   *
   * @param reason Why: given as `cause` to the send errors and, if not
   * `undefined`, to every receive after the last value.
   * @returns Whether this call closed it (`false` if it was already closed).
   *
   * @example Failing the consumer with a reason
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(4);
   * await channel.send(1);
   * assert.equal(channel.close(new Error("producer failed")), true);
   * assert.equal(channel.close(), false);
   * assert.deepEqual(await channel.receive(), { done: false, value: 1 });
   * await assert.rejects(channel.receive(), { message: "producer failed" });
   * ```
   */
  close(reason?: unknown): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#reason = reason;
    const senders = this.#senders;
    for (let sender = senders.first; sender !== null; sender = senders.first) {
      sender.fail(this.#closedError("Channel.send", sender.request as T, true));
    }
    // A receiver waits only on an empty buffer: each one gets the end now.
    const receivers = this.#receivers;
    for (let receiver = receivers.first; receiver !== null; receiver = receivers.first) {
      if (reason === undefined) receiver.grant({ done: true, value: undefined });
      else receiver.fail(reason);
    }
    const onClose = this.#onClose;
    this.#onClose = null;
    onClose?.(reason);
    return true;
  }

  /**
   * Closes the channel, as `close()` does (for `using`).
   *
   * @example Closing at the end of a scope
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let outer: Channel<number>;
   * {
   *   using channel = new Channel<number>(1);
   *   outer = channel;
   * }
   * assert.equal(outer.closed, true);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * A receive as a case of `select()`: it takes a value only if it is the
   * case that completes. Like {@linkcode Channel.receive}, it completes with
   * `{ done: true, value: undefined }` on a closed, drained channel, and
   * fails the select with the close reason if there is one.
   *
   * @returns The case (reusable: pass it to several selects in turn).
   *
   * @example Receiving from whichever channel has a value
   * ```ts
   * import { Channel, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const fast = new Channel<string>(1);
   * const slow = new Channel<string>(1);
   * const next = select({ fast: fast.receiveCase(), slow: slow.receiveCase() });
   * await slow.send("from slow");
   * assert.deepEqual(await next, { key: "slow", value: { done: false, value: "from slow" } });
   * assert.equal(fast.waitingReceivers, 0, "the other case left");
   * ```
   */
  receiveCase(): SelectCase<IteratorResult<T, undefined>> {
    return makeCase<IteratorResult<T, undefined>>({
      poll: () => this.#poll(),
      enlist: (waiter) => this.#enlistReceiver(waiter),
    });
  }

  /**
   * A send as a case of `select()`: the value is accepted only if this is the
   * case that completes; otherwise it stays with the caller. On a closed
   * channel (or one that closes while the select waits) it fails the select
   * with a {@linkcode ChannelClosedError} carrying the value.
   *
   * @param value The value to send.
   * @returns The case (reusable: pass it to several selects in turn).
   *
   * @example Sending to whichever channel has room
   * ```ts
   * import { Channel, select } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const a = new Channel<string>(1);
   * const b = new Channel<string>(1);
   * a.trySend("busy");
   * const sent = await select({ a: a.sendCase("job"), b: b.sendCase("job") });
   * assert.equal(sent.key, "b");
   * assert.deepEqual(b.tryReceive(), { ok: true, value: "job" });
   * assert.equal(a.size, 1, "nothing more was sent to a");
   * ```
   */
  sendCase(value: T): SelectCase<void> {
    return makeCase<void>({
      poll: () => {
        if (this.#closed) throw this.#closedError("Channel.sendCase", value, false);
        return this.#offer(value) ? undefined : NOT_READY;
      },
      enlist: (waiter) => {
        if (this.#closed) return waiter.fail(this.#closedError("Channel.sendCase", value, false));
        waiter.request = value;
        this.#senders.push(waiter);
      },
    });
  }

  /**
   * Iterates over the values received until the channel is closed and
   * drained; after `close(reason)` the loop throws `reason`. Each iterator is
   * one more receiver: several loops over one channel share its values.
   * Leaving the loop (`break`, `return()`) does not close the channel, and an
   * iterator whose `return()` is called while a `next()` waits withdraws that
   * receive (the pending `next()` reports the end) without taking a value.
   *
   * @returns An async iterator of the values.
   *
   * @example Two workers sharing one queue of jobs
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const jobs = new Channel<number>(10);
   * for (let i = 1; i <= 6; i++) await jobs.send(i);
   * jobs.close();
   * const worker = async () => {
   *   const done: number[] = [];
   *   for await (const job of jobs) done.push(job);
   *   return done;
   * };
   * const [a, b] = await Promise.all([worker(), worker()]);
   * assert.deepEqual([...a, ...b].sort(), [1, 2, 3, 4, 5, 6]);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return receiveIterator(this.#receivePort());
  }

  /**
   * A `ReadableStream` of the values received from the channel: one more
   * receiver, which receives only when its reader reads (it does not read
   * ahead, so values it never asked for stay for the channel's other
   * receivers). The stream closes when the channel is closed and drained,
   * and errors with the close reason if there is one. Cancelling the stream
   * withdraws its pending receive without taking a value and leaves the
   * channel open.
   *
   * To stop reading, cancel the stream (`reader.cancel()`, or let `pipeTo`
   * cancel it): the Streams API tells a source about a cancel, but not about
   * a reader that released its lock with a read pending, nor about a
   * `pipeTo(..., { preventCancel: true })` that was aborted. Such a stream
   * still waits in the channel's queue, and the next value it is given stays
   * in the stream (readable by its next reader), not in the channel.
   *
   * @returns The stream.
   *
   * @example Reading a channel as a stream
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const lines = new Channel<string>(4);
   * await lines.send("a");
   * await lines.send("b");
   * lines.close();
   * const text = await new Response(
   *   lines.readable().pipeThrough(new TextEncoderStream()),
   * ).text();
   * assert.equal(text, "ab");
   * ```
   */
  readable(): ReadableStream<T> {
    return receiveStream(this.#receivePort());
  }

  /**
   * A `WritableStream` whose writes are sends, with their back-pressure: a
   * write completes when the channel accepted the value, so a producer that
   * awaits its writes (or `writer.ready`, or uses `pipeTo`) runs no faster
   * than the consumers. Closing the stream closes the channel, aborting it
   * closes the channel with the abort reason (and fails the write that
   * waits), unless `preventClose` is set.
   *
   * @param options See {@linkcode ChannelWritableOptions}.
   * @returns The stream.
   * @throws {TypeError} When `options` is not `{ preventClose }` with a boolean.
   *
   * @example Piping a stream into a channel
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<number>(1);
   * const piping = ReadableStream.from([1, 2, 3]).pipeTo(channel.writable());
   * const seen: number[] = [];
   * for await (const n of channel) seen.push(n);
   * await piping;
   * assert.deepEqual(seen, [1, 2, 3]);
   * ```
   */
  writable(options?: ChannelWritableOptions): WritableStream<T> {
    return sendStream(this, options);
  }

  /**
   * A channel fed by `source`: its items are sent in order (waiting for room,
   * so a slow consumer slows the reading of the source down). The channel
   * closes when the source ends, and closes with the source's error when it
   * fails. When the channel is closed by anyone else, or `signal` aborts
   * (which closes the channel with `signal.reason`), reading stops and the
   * source is cancelled (`reader.cancel` / `iterator.return`); an item read
   * but not yet accepted is then dropped. A synchronous iterable is read
   * synchronously while the channel has room: an endless one with capacity
   * `Infinity` would never let `from` return.
   *
   * @typeParam T The type of the items.
   * @param source A `ReadableStream`, an async iterable or an iterable.
   * @param options The `capacity` (required) and a `signal`; see
   * {@linkcode ChannelFromOptions}.
   * @returns The channel.
   * @throws {TypeError} When `source` is none of those or is a locked stream,
   * or `options` is not `{ capacity, signal? }`.
   * @throws {RangeError} When `capacity` is not a non-negative integer or `Infinity`.
   *
   * @example Consuming an async generator through a channel
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * async function* numbers() {
   *   yield* [1, 2, 3];
   * }
   * const channel = Channel.from(numbers(), { capacity: 1 });
   * const seen: number[] = [];
   * for await (const n of channel) seen.push(n);
   * assert.deepEqual(seen, [1, 2, 3]);
   * assert.equal(channel.closed, true);
   * ```
   */
  static from<T>(source: ChannelSource<T>, options: ChannelFromOptions): Channel<T> {
    assertOptions(options, "Channel.from", ["capacity", "signal"]);
    const { capacity, signal: given } = (options ?? {}) as { capacity?: unknown; signal?: unknown };
    assertCapacity(capacity, `Channel.from(): "options.capacity"`);
    const signal = optionalSignal(given, "Channel.from");
    const reader = openChannelSource<T>(source);
    const channel = new Channel<T>(capacity);
    if (signal?.aborted) {
      reader.cancel(signal.reason);
      channel.close(signal.reason);
      return channel;
    }
    let unsubscribe = signal === undefined ? null : onAbort(signal, () => {
      unsubscribe = null; // the hub forgets its callbacks as it calls them
      channel.close(signal.reason);
    });
    channel.#onClose = (reason) => {
      // Closed by anyone: stop the source, and let go of the signal at once
      // (a source whose next() never settles must not keep the channel
      // reachable from a long-lived signal).
      unsubscribe?.();
      unsubscribe = null;
      reader.cancel(reason);
    };
    void feed(channel, reader, () => {
      channel.#onClose = null; // the source ended by itself: nothing to cancel
      unsubscribe?.();
      unsubscribe = null;
    });
    return channel;
  }

  /** Offers `value` without waiting (the channel is open): true if it was accepted. */
  #offer(value: T): boolean {
    const receiver = this.#receivers.first;
    if (receiver !== null) {
      receiver.grant({ done: false, value }); // the buffer is empty when a receiver waits
      return true;
    }
    if (this.#buffer.length < this.#capacity) {
      this.#buffer.push(value);
      return true;
    }
    return false;
  }

  /** Takes the next value now (from the buffer, else the oldest sender), or NOT_READY. */
  #take(): T | typeof NOT_READY {
    const buffer = this.#buffer;
    const sender = this.#senders.first;
    if (buffer.length > 0) {
      const value = buffer.shift() as T;
      if (sender !== null) {
        buffer.push(sender.request as T); // the room just made goes to the oldest sender
        sender.grant();
      }
      return value;
    }
    if (sender === null) return NOT_READY;
    const value = sender.request as T; // rendezvous: straight from the sender
    sender.grant();
    return value;
  }

  /** A receive's outcome now: a result, or NOT_READY; throws the close reason. */
  #poll(): IteratorResult<T, undefined> | typeof NOT_READY {
    const value = this.#take();
    if (value !== NOT_READY) return { done: false, value };
    if (!this.#closed) return NOT_READY;
    if (this.#reason !== undefined) throw this.#reason;
    return { done: true, value: undefined };
  }

  /** Queues a receive's waiter (right after #poll found nothing). */
  #enlistReceiver(waiter: Waiter<IteratorResult<T, undefined>>): void {
    if (!this.#closed) this.#receivers.push(waiter);
    else if (this.#reason !== undefined) waiter.fail(this.#reason);
    else waiter.grant({ done: true, value: undefined });
  }

  #receivePort(): ReceivePort<T> {
    return this.#port ??= {
      poll: () => this.#poll(),
      enlist: (waiter) => this.#enlistReceiver(waiter),
    };
  }

  #closedError(method: string, value: T, waited: boolean): ChannelClosedError<T> {
    const message = waited
      ? `${method}(): the channel was closed while the send waited`
      : `${method}(): the channel is closed`;
    const reason = this.#reason;
    return new ChannelClosedError(
      message,
      value,
      reason === undefined ? undefined : {
        cause: reason,
      },
    );
  }
}

/** Checks a capacity: a non-negative safe integer, or Infinity. `what` names the call and argument. */
function assertCapacity(capacity: unknown, what: string): asserts capacity is number {
  if (
    typeof capacity === "number" && capacity >= 0 &&
    (capacity === Infinity || Number.isSafeInteger(capacity))
  ) return;
  const message = `${what} must be a non-negative integer, or Infinity for an unbounded channel, ` +
    `got ${describe(capacity)}`;
  throw typeof capacity === "number" ? new RangeError(message) : new TypeError(message);
}
