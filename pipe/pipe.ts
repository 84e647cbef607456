// Copyright 2026 the desync authors. MIT license.
// The pipe functions: each item of a source becomes one job on a Desync.

import type { AnyFunction } from "../_engine/job.ts";
import type { QueueCore } from "../_engine/queue_core.ts";
import {
  assertCount,
  assertFunction,
  assertOptions,
  describe,
  optionalSignal,
} from "../_engine/validate.ts";
import { ClosedError } from "../_engine/errors.ts";
import { type Desync, desyncQueue, type Ref } from "../desync/desync.ts";
import { PipeRun } from "./_run.ts";
import { isSource, openSource } from "./_source.ts";

/** Options for the pipe functions. */
export interface PipeOptions {
  /**
   * How many items may be in flight (queued or being processed) or wait
   * unread as results before the pipe stops taking new ones: a positive
   * integer, or `Infinity` for no limit (memory then grows with a slow
   * consumer).
   *
   * @default {5}
   */
  backpressure?: number;
  /**
   * Stops the pipe: its source is cancelled, the running `process` call is
   * told, no further item is processed, and the pipe ends with
   * `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What a pipe can read from. */
export type PipeSource<I> = ReadableStream<I> | AsyncIterable<I> | Iterable<I>;

/**
 * The job a pipe runs for each item: it receives the data's {@linkcode Ref},
 * the item, and a signal that aborts if the pipe is stopped while it runs.
 * It may be async: the `Desync` is held until it settles.
 *
 * @typeParam T The data's type.
 * @typeParam I The item's type.
 * @typeParam O The result's type.
 */
export type PipeProcess<T, I, O> = (ref: Ref<T>, item: I, signal: AbortSignal) => O;

/** A writable side and a readable side, as `pipeThrough` takes them. */
export interface PipeTransform<I, O> {
  /** Where items go in. */
  writable: WritableStream<I>;
  /** Where results come out, one per item, in order. */
  readable: ReadableStream<O>;
}

const DEFAULT_BACKPRESSURE = 5;
const ignore = () => {};

interface Checked {
  queue: QueueCore;
  limit: number;
  signal: AbortSignal | undefined;
}

function check(method: string, desync: unknown, process: unknown, options: unknown): Checked {
  const queue = desyncQueue(desync, method, "desync");
  assertFunction(process, method, "process");
  assertOptions(options, method, ["backpressure", "signal"]);
  const signal = optionalSignal((options as PipeOptions | undefined)?.signal, method);
  const backpressure = (options as PipeOptions | undefined)?.backpressure;
  const limit = backpressure === undefined ? DEFAULT_BACKPRESSURE : backpressure;
  assertCount(limit, method, "options.backpressure");
  if (queue.closed) throw new ClosedError(`${method}(): the Desync is closed`);
  return { queue, limit, signal };
}

function openChecked(method: string, source: unknown) {
  if (!isSource(source)) {
    throw new TypeError(
      `${method}(): "source" must be a ReadableStream, an AsyncIterable or an Iterable, got ${
        describe(source)
      }`,
    );
  }
  return openSource(source, method);
}

/**
 * Feeds every item of `source` to `process(ref, item, signal)` as a job on
 * `desync`: one at a time, in the source's order, interleaved in FIFO order
 * with the `Desync`'s other jobs. `process` may be async; the next item is
 * not processed before the previous one settled.
 *
 * @typeParam T The data's type.
 * @typeParam I The item's type.
 * @param desync Where the items go.
 * @param source A `ReadableStream`, `AsyncIterable` or `Iterable`.
 * @param process The job run for each item.
 * @param options See {@linkcode PipeOptions}.
 * @returns A promise that resolves once the source is exhausted and every
 * item has been processed, and rejects as described in the module docs.
 * @throws {TypeError} If an argument has the wrong type, or the stream is locked.
 * @throws {RangeError} If `options.backpressure` is not a positive integer or `Infinity`.
 * @throws {ClosedError} If `desync` is closed.
 *
 * @example Storing the values of a live stream in a set
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipeIn } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const seen = new Desync(new Set<string>());
 * const channel = new TransformStream<string, string>();
 * const sender = channel.writable.getWriter();
 * const piped = pipeIn(seen, channel.readable, (set, value) => void set.value.add(value));
 *
 * await sender.write("Test"); // resolves once the pipe's read has taken it
 * await sender.write("Another value");
 * // A value joins the Desync's queue only once the pipe's read of it has
 * // resolved, microtasks later: wait a macrotask rather than count them.
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assert.ok(seen.sync((set) => set.value.has("Test"))); // the source is still open
 *
 * await sender.close();
 * await piped;
 * assert.deepEqual(seen.sync((set) => [...set.value]), ["Test", "Another value"]);
 * ```
 */
export function pipeIn<T, I>(
  desync: Desync<T>,
  source: PipeSource<I>,
  process: PipeProcess<T, I, unknown>,
  options?: PipeOptions,
): Promise<void> {
  const { queue, limit, signal } = check("pipeIn", desync, process, options);
  const reader = openChecked("pipeIn", source);
  const run = new PipeRun(queue, process as AnyFunction, limit, false, signal);
  void run.pump(reader);
  return run.outcome!;
}

/**
 * Like {@linkcode pipeIn}, and each call's result becomes one item of the
 * returned `ReadableStream`, in order. Back-pressure: the pipe takes items
 * from `source` only while fewer than `options.backpressure` (default 5) are
 * in flight or wait unread, so a slow consumer slows the source down.
 * Cancelling the stream cancels the source.
 *
 * @typeParam T The data's type.
 * @typeParam I The item's type.
 * @typeParam O The result's type.
 * @param desync Where the items are processed.
 * @param source A `ReadableStream`, `AsyncIterable` or `Iterable`.
 * @param process The job run for each item; its result is the output item.
 * @param options See {@linkcode PipeOptions}.
 * @returns The stream of results.
 * @throws {TypeError} If an argument has the wrong type, or the stream is locked.
 * @throws {RangeError} If `options.backpressure` is not a positive integer or `Infinity`.
 * @throws {ClosedError} If `desync` is closed.
 *
 * @example Reporting whether each value was new
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipe } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const seen = new Desync(new Set<string>());
 * const added = pipe(seen, ["Test", "Another value", "Test"], (set, word) => {
 *   const isNew = !set.value.has(word);
 *   set.value.add(word);
 *   return [word, isNew] as const;
 * });
 * assert.deepEqual(await Array.fromAsync(added), [
 *   ["Test", true],
 *   ["Another value", true],
 *   ["Test", false],
 * ]);
 * ```
 */
export function pipe<T, I, O>(
  desync: Desync<T>,
  source: PipeSource<I>,
  process: PipeProcess<T, I, O>,
  options?: PipeOptions,
): ReadableStream<Awaited<O>> {
  const { queue, limit, signal } = check("pipe", desync, process, options);
  const reader = openChecked("pipe", source);
  const run = new PipeRun(queue, process as AnyFunction, limit, true, signal);
  const output = run.readable();
  void run.pump(reader);
  return output as ReadableStream<Awaited<O>>;
}

/**
 * A `WritableStream` whose chunks are processed by `process(ref, chunk,
 * signal)` as jobs on `desync`, one at a time and in order:
 * `readable.pipeTo(sink(desync, process))`. Writes wait while
 * `options.backpressure` chunks are in flight. `close()` (and so `pipeTo`)
 * resolves once every chunk has been processed; if `process` fails, the
 * stream errors with that error (and `pipeTo` cancels its source).
 *
 * @typeParam T The data's type.
 * @typeParam I The chunk's type.
 * @param desync Where the chunks are processed.
 * @param process The job run for each chunk.
 * @param options See {@linkcode PipeOptions}.
 * @returns The writable stream.
 * @throws {TypeError} If an argument has the wrong type.
 * @throws {RangeError} If `options.backpressure` is not a positive integer or `Infinity`.
 * @throws {ClosedError} If `desync` is closed.
 *
 * @example
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { sink } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const total = new Desync(0);
 * await ReadableStream.from([1, 2, 3]).pipeTo(sink(total, (t, n) => void (t.value += n)));
 * assert.equal(total.sync((t) => t.value), 6);
 * ```
 */
export function sink<T, I>(
  desync: Desync<T>,
  process: PipeProcess<T, I, unknown>,
  options?: PipeOptions,
): WritableStream<I> {
  const { queue, limit, signal } = check("sink", desync, process, options);
  const run = new PipeRun(queue, process as AnyFunction, limit, false, signal);
  run.outcome!.catch(ignore); // its failures reach the writer through the stream
  return run.writable(true) as WritableStream<I>;
}

/**
 * A `{ writable, readable }` pair for `readable.pipeThrough(...)`: each chunk
 * written is processed by `process(ref, chunk, signal)` on `desync`, one at a
 * time and in order, and its result comes out of `readable`, with the same
 * back-pressure and endings as {@linkcode pipe}.
 *
 * @typeParam T The data's type.
 * @typeParam I The chunk's type.
 * @typeParam O The result's type.
 * @param desync Where the chunks are processed.
 * @param process The job run for each chunk; its result is the output chunk.
 * @param options See {@linkcode PipeOptions}.
 * @returns The writable and readable sides.
 * @throws {TypeError} If an argument has the wrong type.
 * @throws {RangeError} If `options.backpressure` is not a positive integer or `Infinity`.
 * @throws {ClosedError} If `desync` is closed.
 *
 * @example A running total
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { transform } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const total = new Desync(0);
 * const totals = ReadableStream.from([1, 2, 3])
 *   .pipeThrough(transform(total, (t, n: number) => (t.value += n)));
 * assert.deepEqual(await Array.fromAsync(totals), [1, 3, 6]);
 * ```
 */
export function transform<T, I, O>(
  desync: Desync<T>,
  process: PipeProcess<T, I, O>,
  options?: PipeOptions,
): PipeTransform<I, Awaited<O>> {
  const { queue, limit, signal } = check("transform", desync, process, options);
  const run = new PipeRun(queue, process as AnyFunction, limit, true, signal);
  const readable = run.readable() as ReadableStream<Awaited<O>>;
  return { writable: run.writable(false) as WritableStream<I>, readable };
}
