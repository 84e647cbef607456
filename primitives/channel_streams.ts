// Copyright 2026 the desync authors. MIT license.
// The shapes of a Channel (channel.ts) that are not its own operations: an
// async iterator and a ReadableStream on its receiving side, a WritableStream
// on its sending side, and the pump behind Channel.from.
//
// The receiving shapes are receivers like any other: they receive only when
// asked (the stream has no read-ahead: highWaterMark 0), so values they never
// asked for stay for the channel's other receivers; and they withdraw their
// waiting receive when abandoned (iterator.return(), stream.cancel()), so a
// value sent later is not swallowed by a receiver nobody reads any more
// (futures-intrusive #12). A granted receive delivers synchronously (the
// waiter's callbacks run in the grant), so there is no window in which a
// value was taken but not yet delivered.

import { Waiter } from "../_engine/waiters.ts";
import { assertOptions, describe } from "../_engine/validate.ts";
import { NOT_READY } from "./select_case.ts";
import type { Channel } from "./channel.ts";

/** The receiving side of a channel, as its iterators and streams use it. */
export interface ReceivePort<T> {
  /** Receives now if possible: a result, or NOT_READY; throws the close reason. */
  poll(): IteratorResult<T, undefined> | typeof NOT_READY;
  /** Queues a receive (only right after poll returned NOT_READY). */
  enlist(waiter: Waiter<IteratorResult<T, undefined>>): void;
}

/**
 * Options of {@linkcode Channel.writable}.
 *
 * @example A producer that must not close a shared channel
 * ```ts
 * import { Channel, type ChannelWritableOptions } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const channel = new Channel<number>(4);
 * const options: ChannelWritableOptions = { preventClose: true };
 * await ReadableStream.from([1, 2]).pipeTo(channel.writable(options));
 * assert.equal(channel.closed, false);
 * assert.equal(channel.size, 2);
 * ```
 */
export interface ChannelWritableOptions {
  /**
   * Leave the channel open when the stream is closed or aborted (one
   * producer among several). An abort still fails the write that waits.
   *
   * @default {false}
   *
   * @example Two producers, and the channel closed once both are done
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = new Channel<string>(8);
   * await Promise.all([
   *   ReadableStream.from(["a"]).pipeTo(channel.writable({ preventClose: true })),
   *   ReadableStream.from(["b"]).pipeTo(channel.writable({ preventClose: true })),
   * ]);
   * channel.close();
   * const seen: string[] = [];
   * for await (const s of channel) seen.push(s);
   * assert.deepEqual(seen.sort(), ["a", "b"]);
   * ```
   */
  preventClose?: boolean;
}

/**
 * Options of {@linkcode Channel.from}.
 *
 * @example Stopping a feed
 * ```ts
 * import { Channel, type ChannelFromOptions } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const options: ChannelFromOptions = { capacity: 1, signal: stop.signal };
 * const channel = Channel.from([1, 2, 3], options);
 * stop.abort(new Error("enough"));
 * assert.deepEqual(await channel.receive(), { done: false, value: 1 });
 * await assert.rejects(channel.receive(), { message: "enough" });
 * ```
 */
export interface ChannelFromOptions {
  /**
   * The channel's capacity (see the `Channel` constructor): how many items
   * are read from the source ahead of the consumers, plus the one in hand
   * that waits to be sent (so capacity 0 still reads one item ahead). When
   * the feed stops early (an abort, or a close by someone else), that item
   * in hand is dropped, as `pipeTo` drops a chunk it read but could not
   * write. Required.
   *
   * @example Reading two items ahead
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * const channel = Channel.from([1, 2, 3, 4], { capacity: 2 });
   * assert.equal(channel.capacity, 2);
   * assert.deepEqual(await channel.receive(), { done: false, value: 1 });
   * ```
   */
  capacity: number;
  /**
   * Stops the feed: the channel closes with `signal.reason` (values already
   * accepted are still received) and the source is cancelled.
   *
   * @default {undefined}
   *
   * @example A feed that stops with its signal
   * ```ts
   * import { Channel } from "@desync/desync/primitives";
   * import assert from "node:assert/strict";
   *
   * let cancelled = false;
   * const source = new ReadableStream<number>({
   *   pull: (controller) => controller.enqueue(1),
   *   cancel: () => void (cancelled = true),
   * }, { highWaterMark: 0 });
   * const stop = new AbortController();
   * const channel = Channel.from(source, { capacity: 0, signal: stop.signal });
   * stop.abort("stopped");
   * await assert.rejects(channel.receive(), (reason) => reason === "stopped");
   * assert.equal(cancelled, true);
   * ```
   */
  signal?: AbortSignal;
}

/**
 * What {@linkcode Channel.from} reads: a `ReadableStream`, an async iterable or
 * an iterable.
 *
 * @typeParam T The type of the items.
 *
 * @example Each kind of source
 * ```ts
 * import { Channel, type ChannelSource } from "@desync/desync/primitives";
 * import assert from "node:assert/strict";
 *
 * async function* generated() {
 *   yield 3;
 * }
 * const sources: ChannelSource<number>[] = [[1], ReadableStream.from([2]), generated()];
 * const seen: number[] = [];
 * for (const source of sources) {
 *   for await (const n of Channel.from(source, { capacity: 1 })) seen.push(n);
 * }
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export type ChannelSource<T> = ReadableStream<T> | AsyncIterable<T> | Iterable<T>;

/** The async iterator of a channel (one more receiver). */
class ChannelIterator<T> implements AsyncIterableIterator<T> {
  readonly #port: ReceivePort<T>;
  #finished = false;
  /** The receives of this iterator that wait (usually none or one). */
  readonly #waiting: Waiter<IteratorResult<T, undefined>>[] = [];

  constructor(port: ReceivePort<T>) {
    this.#port = port;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    let result: IteratorResult<T, undefined> | typeof NOT_READY;
    try {
      result = this.#port.poll();
    } catch (reason) {
      this.#finished = true;
      return Promise.reject(reason);
    }
    if (result !== NOT_READY) {
      if (result.done) this.#finished = true;
      return Promise.resolve(result);
    }
    return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
      const waiter = new Waiter<IteratorResult<T, undefined>>(undefined, (result) => {
        this.#forget(waiter);
        if (result.done) this.#finished = true;
        resolve(result);
      }, (reason) => {
        this.#forget(waiter);
        this.#finished = true;
        reject(reason);
      });
      this.#waiting.push(waiter);
      this.#port.enlist(waiter);
    });
  }

  /** Ends the iteration: withdraws the waiting receives (they report the end), takes nothing. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#finished = true;
    for (const waiter of this.#waiting.slice()) waiter.grant({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #forget(waiter: Waiter<IteratorResult<T, undefined>>): void {
    const waiting = this.#waiting;
    waiting.splice(waiting.indexOf(waiter), 1);
  }
}

export function receiveIterator<T>(port: ReceivePort<T>): AsyncIterableIterator<T> {
  return new ChannelIterator(port);
}

export function receiveStream<T>(port: ReceivePort<T>): ReadableStream<T> {
  let waiting: Waiter<IteratorResult<T, undefined>> | null = null;
  let cancelled = false;
  const deliver = (
    controller: ReadableStreamDefaultController<T>,
    result: IteratorResult<T, undefined>,
  ) => {
    if (result.done) controller.close();
    else controller.enqueue(result.value);
  };
  return new ReadableStream<T>({
    pull(controller) {
      let result: IteratorResult<T, undefined> | typeof NOT_READY;
      try {
        result = port.poll();
      } catch (reason) {
        controller.error(reason);
        return;
      }
      if (result !== NOT_READY) return deliver(controller, result);
      // The pull's promise settles with the receive, so the stream asks for
      // no second value meanwhile.
      return new Promise<void>((resolve) => {
        const waiter = new Waiter<IteratorResult<T, undefined>>(undefined, (result) => {
          waiting = null;
          if (!cancelled) deliver(controller, result);
          resolve();
        }, (reason) => {
          waiting = null;
          if (!cancelled) controller.error(reason);
          resolve();
        });
        waiting = waiter;
        port.enlist(waiter);
      });
    },
    cancel() {
      cancelled = true;
      waiting?.grant({ done: true, value: undefined }); // withdrawn: settles the pull, takes nothing
    },
  }, { highWaterMark: 0 });
}

export function sendStream<T>(
  channel: Channel<T>,
  options: ChannelWritableOptions | undefined,
): WritableStream<T> {
  assertOptions(options, "Channel.writable", ["preventClose"]);
  const preventClose = options?.preventClose ?? false;
  if (typeof preventClose !== "boolean") {
    throw new TypeError(
      `Channel.writable(): "options.preventClose" must be a boolean, got ${describe(preventClose)}`,
    );
  }
  return new WritableStream<T>({
    write(chunk, controller) {
      // The controller's signal aborts at once on writer.abort(), which fails
      // a send waiting for room (the stream would otherwise wait for it before
      // calling abort below). Runtimes without it fall back to that wait.
      const signal = (controller as { signal?: AbortSignal }).signal;
      return channel.send(chunk, signal === undefined ? undefined : { signal });
    },
    close() {
      if (!preventClose) channel.close();
    },
    abort(reason) {
      if (!preventClose) channel.close(reason);
    },
  });
}

/** Reads a source for Channel.from. */
export interface SourceReader<T> {
  next(): IteratorResult<T, undefined> | PromiseLike<IteratorResult<T, undefined>>;
  /** Stops the source; errors of its own cleanup are dropped (nobody is left to tell). */
  cancel(reason: unknown): void;
}

/** Opens `source` for reading; throws for what is not a source, or a locked stream. */
export function openChannelSource<T>(source: ChannelSource<T>): SourceReader<T> {
  const object = source as unknown as Record<PropertyKey, unknown> | null | undefined;
  if (object === null || object === undefined) throw notASource(source);
  if (typeof object.getReader === "function") {
    let reader: ReadableStreamDefaultReader<T>;
    try {
      reader = (source as ReadableStream<T>).getReader();
    } catch (error) {
      throw new TypeError(`Channel.from(): "source" cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return {
      next: () => reader.read() as Promise<IteratorResult<T, undefined>>,
      cancel: (reason) => void reader.cancel(reason).catch(() => {}),
    };
  }
  let iterator: Iterator<T> | AsyncIterator<T>;
  if (typeof object[Symbol.asyncIterator] === "function") {
    iterator = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  } else if (typeof object[Symbol.iterator] === "function") {
    iterator = (source as Iterable<T>)[Symbol.iterator]();
  } else {
    throw notASource(source);
  }
  return {
    next: () =>
      iterator.next() as IteratorResult<T, undefined> | Promise<IteratorResult<T, undefined>>,
    cancel: () => {
      try {
        const ended = iterator.return?.();
        if (ended !== undefined && typeof (ended as Promise<unknown>).then === "function") {
          (ended as Promise<unknown>).then(undefined, () => {});
        }
      } catch {
        // The source's own cleanup failed: nobody is left to tell.
      }
    },
  };
}

function notASource(source: unknown): TypeError {
  return new TypeError(
    `Channel.from(): "source" must be a ReadableStream, an async iterable or an iterable, ` +
      `got ${describe(source)}`,
  );
}

/**
 * Sends the items of `reader` into `channel` until the source ends (close),
 * fails (close with its error) or the channel is closed by someone else (the
 * channel's close hook cancels the source then). `done` runs once reading
 * stopped for any reason.
 */
export async function feed<T>(
  channel: Channel<T>,
  reader: SourceReader<T>,
  done: () => void,
): Promise<void> {
  try {
    while (!channel.closed) {
      let step = reader.next();
      if (typeof (step as PromiseLike<IteratorResult<T, undefined>>).then === "function") {
        step = await step;
      }
      if (channel.closed) return; // closed while reading: the item has nowhere to go
      if (typeof step !== "object" || step === null) {
        // What for...of rejects too: an iterator must return result objects.
        throw new TypeError(
          `Channel.from(): the source's iterator returned ${
            step === null ? "null" : typeof step
          } instead of a { done, value } result`,
        );
      }
      if ((step as IteratorResult<T, undefined>).done) {
        done(); // before close, so that the close does not cancel the finished source
        channel.close();
        return;
      }
      const value = (step as IteratorResult<T, undefined>).value as T;
      if (!channel.trySend(value)) await channel.send(value);
    }
  } catch (error) {
    if (channel.closed) return; // the send failed on a close: the close cancelled the source
    done();
    channel.close(error);
  } finally {
    done();
  }
}
