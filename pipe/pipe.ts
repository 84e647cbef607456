// Copyright 2026 the desync authors. MIT license.
// The pipe functions: each item of a source becomes one job on a Desync.

import type { AnyFunction } from "../_engine/job.ts";
import {
  assertCount,
  assertFunction,
  assertOptions,
  describe,
  optionalSignal,
} from "../_engine/validate.ts";
import { ClosedError } from "../_engine/errors.ts";
import { type PipePlan, REMOTE_PIPE, remotePipeTarget } from "../_engine/remote_pipe.ts";
import { type Desync, desyncQueue, type Ref } from "../desync/desync.ts";
import type { WorkerDesync } from "../worker/object.ts";
import type { Method, MethodArgs, MethodResult } from "../worker/types.ts";
import { PipeRun } from "./_run.ts";
import { isSource, openSource } from "./_source.ts";
import type { WorkerPipeOptions } from "./worker_options.ts";

/**
 * Options for the pipe functions. An unknown key throws a `TypeError`.
 *
 * @example Passing options to a pipe
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipeIn, type PipeOptions } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const options: PipeOptions = { backpressure: 1, signal: new AbortController().signal };
 * const sum = new Desync(0);
 * await pipeIn(sum, [1, 2, 3], (s, n) => void (s.value += n), options);
 * assert.equal(sum.sync((s) => s.value), 6);
 * ```
 */
export interface PipeOptions {
  /**
   * How many items may be in flight (queued or being processed) or wait
   * unread as results before the pipe stops taking new ones: a positive
   * integer, or `Infinity` for no limit (memory then grows with a slow
   * consumer).
   *
   * @default {5}
   *
   * @example A slow consumer slows the source
   * ```ts
   * import { Desync } from "@desync/desync";
   * import { pipe } from "@desync/desync/pipe";
   * import assert from "node:assert/strict";
   *
   * let taken = 0;
   * function* numbers() {
   *   for (let n = 1; n <= 100; n++) {
   *     taken++;
   *     yield n;
   *   }
   * }
   * const results = pipe(new Desync(0), numbers(), (_, n) => n, { backpressure: 2 });
   * const reader = results.getReader();
   * assert.equal((await reader.read()).value, 1);
   * assert.ok(taken < 5); // nowhere near 100: the pipe waits for the reader
   * await reader.cancel();
   * ```
   */
  backpressure?: number;
  /**
   * Stops the pipe: its source is cancelled, the running `process` call is
   * told (through its own signal), no further item is processed, and the
   * pipe ends with `signal.reason`. This is the way to stop a
   * {@linkcode sink} at once: aborting its writable is a soft ending.
   *
   * @default {undefined}
   *
   * @example Stopping a pipe from outside
   * ```ts
   * import { Desync } from "@desync/desync";
   * import { pipeIn } from "@desync/desync/pipe";
   * import assert from "node:assert/strict";
   *
   * const controller = new AbortController();
   * const endless = (async function* () {
   *   for (let n = 0;; n++) yield n;
   * })();
   * const seen = new Desync(0);
   * const piped = pipeIn(seen, endless, (s) => {
   *   if (++s.value === 3) controller.abort(new Error("enough"));
   * }, { signal: controller.signal });
   * await assert.rejects(piped, /enough/);
   * assert.equal(seen.sync((s) => s.value), 3);
   * ```
   */
  signal?: AbortSignal;
}

/**
 * What a pipe can read from: a `ReadableStream`, any `AsyncIterable` (an
 * async generator, say) or any `Iterable` (an array, a generator). A
 * synchronous iterable is read without a microtask per item.
 *
 * @typeParam I The item's type.
 *
 * @example Three kinds of source
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipeIn, type PipeSource } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * async function* later() {
 *   yield 3;
 * }
 * const sources: PipeSource<number>[] = [[1], ReadableStream.from([2]), later()];
 * const seen = new Desync<number[]>([]);
 * for (const source of sources) await pipeIn(seen, source, (s, n) => void s.value.push(n));
 * assert.deepEqual(seen.sync((s) => s.value), [1, 2, 3]);
 * ```
 */
export type PipeSource<I> = ReadableStream<I> | AsyncIterable<I> | Iterable<I>;

/**
 * The job a pipe runs for each item: it receives the data's {@linkcode Ref},
 * the item, and a signal that aborts if the pipe is stopped while it runs.
 * It may be async: the `Desync` is held until it settles.
 *
 * @typeParam T The data's type.
 * @typeParam I The item's type.
 * @typeParam O The result's type.
 *
 * @example A reusable item job
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipe, type PipeProcess } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const count: PipeProcess<Map<string, number>, string, number> = (counts, word) => {
 *   const n = (counts.value.get(word) ?? 0) + 1;
 *   counts.value.set(word, n);
 *   return n;
 * };
 * const counts = new Desync(new Map<string, number>());
 * assert.deepEqual(await Array.fromAsync(pipe(counts, ["a", "b", "a"], count)), [1, 1, 2]);
 * ```
 */
export type PipeProcess<T, I, O> = (ref: Ref<T>, item: I, signal: AbortSignal) => O;

/**
 * A writable side and a readable side, as `pipeThrough` takes them; what
 * {@linkcode transform} returns.
 *
 * @typeParam I The type of the items written.
 * @typeParam O The type of the results read.
 *
 * @example Writing and reading by hand
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { type PipeTransform, transform } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const ids = new Desync(0);
 * const label: PipeTransform<string, string> = transform(ids, (n, name: string) => {
 *   return `${++n.value}:${name}`;
 * });
 * const writer = label.writable.getWriter();
 * void writer.write("ada");
 * const reader = label.readable.getReader();
 * assert.equal((await reader.read()).value, "1:ada");
 * await writer.close();
 * ```
 */
export interface PipeTransform<I, O> {
  /**
   * Where items go in. Closing it ends `readable` once every item was
   * processed; aborting it is a soft ending (the items already written are
   * processed, then `readable` errors with the reason).
   *
   * @example Closing the input ends the output
   * ```ts
   * import { Desync } from "@desync/desync";
   * import { transform } from "@desync/desync/pipe";
   * import assert from "node:assert/strict";
   *
   * const { writable, readable } = transform(new Desync(0), (_, n: number) => n * 10);
   * const writer = writable.getWriter();
   * void writer.write(1);
   * void writer.write(2);
   * void writer.close();
   * assert.deepEqual(await Array.fromAsync(readable), [10, 20]);
   * ```
   */
  writable: WritableStream<I>;
  /**
   * Where results come out, one per item, in order. Cancelling it stops the
   * pipe at once.
   *
   * @example Results in the order of the items
   * ```ts
   * import { Desync } from "@desync/desync";
   * import { transform } from "@desync/desync/pipe";
   * import assert from "node:assert/strict";
   *
   * const { writable, readable } = transform(new Desync(0), async (_, ms: number) => {
   *   await new Promise((resolve) => setTimeout(resolve, ms));
   *   return ms;
   * });
   * void ReadableStream.from([3, 1, 2]).pipeTo(writable);
   * assert.deepEqual(await Array.fromAsync(readable), [3, 1, 2]);
   * ```
   */
  readable: ReadableStream<O>;
}

const DEFAULT_BACKPRESSURE = 5;
const ignore = () => {};

type Checked = Omit<PipePlan, "attach"> & { attach?: PipePlan["attach"] };

function check(
  method: string,
  desync: unknown,
  process: unknown,
  options: unknown,
  collect: boolean,
): Checked {
  const remote = remotePipeTarget(desync);
  if (remote !== undefined) return remote[REMOTE_PIPE](method, process, options, collect);
  const queue = desyncQueue(desync, method, "desync");
  assertFunction(process, method, "process");
  assertOptions(options, method, ["backpressure", "signal"]);
  const signal = optionalSignal((options as PipeOptions | undefined)?.signal, method);
  const backpressure = (options as PipeOptions | undefined)?.backpressure;
  const limit = backpressure === undefined ? DEFAULT_BACKPRESSURE : backpressure;
  assertCount(limit, method, "options.backpressure");
  if (queue.closed) throw new ClosedError(`${method}(): the Desync is closed`);
  return { queue, process: process as AnyFunction, limit, chunk: 1, signal };
}

/** The pipe's engine, handed to a remote target (which opens the pipe now). */
function start(checked: Checked, collect: boolean): PipeRun {
  const { queue, process, limit, chunk, signal } = checked;
  const run = new PipeRun(queue, process, limit, collect, signal, chunk);
  checked.attach?.(run);
  return run;
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
 * `desync` (Rust's `pipe_in`): one at a time, in the source's order,
 * interleaved in FIFO order with the `Desync`'s other jobs. `process` may be
 * async; the next item is not processed before the previous one settled. The
 * source is read outside the `Desync`'s queue, at most
 * `options.backpressure` items ahead.
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
): Promise<void>;
/**
 * Feeds every item of `source` to a worker object: each item becomes one
 * call `method(item)` of the instance, in its worker, in the source's order,
 * interleaved in FIFO order with the object's other jobs. Items travel in
 * batches (`options.batch`, default 64), at most `options.backpressure`
 * (default 256) ahead of the worker; the method may read `jobSignal()` to
 * learn that the pipe stopped. The endings are those of the local form (see
 * the module docs), across the thread; a dying worker ends the pipe with a
 * `WorkerCrashedError`.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 * @param target The worker object.
 * @param source A `ReadableStream`, `AsyncIterable` or `Iterable` of the method's first argument.
 * @param method The method called with each item.
 * @param options See {@linkcode WorkerPipeOptions}.
 * @returns A promise that resolves once every item has run in the worker.
 * @throws {TypeError} If an argument has the wrong type, `method` is not a
 * method of the class, or the stream is locked.
 * @throws {RangeError} If `options.backpressure` or `options.batch` is not a
 * positive integer or `Infinity`.
 * @throws {ClosedError} If the object is closed.
 * @throws {WorkerCrashedError} If the object's worker died.
 *
 * @example Summing a stream in a worker
 * ```ts
 * import { pipeIn } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const total = pool.create("Total");
 * await pipeIn(total, [1, 2, 3], "add");
 * assert.equal(await total.futureSync("get"), 6);
 * ```
 */
export function pipeIn<T, K extends Method<T>>(
  target: WorkerDesync<T>,
  source: PipeSource<MethodArgs<T, K>[0]>,
  method: K,
  options?: WorkerPipeOptions<MethodArgs<T, K>[0]>,
): Promise<void>;
export function pipeIn(
  desync: unknown,
  source: unknown,
  process: unknown,
  options?: unknown,
): Promise<void> {
  const checked = check("pipeIn", desync, process, options, false);
  const reader = openChecked("pipeIn", source);
  const run = start(checked, false);
  void run.pump(reader);
  return run.outcome!;
}

/**
 * Like {@linkcode pipeIn}, and each call's result becomes one item of the
 * returned `ReadableStream`, in order (Rust's `pipe`). Back-pressure: the
 * pipe takes items from `source` only while fewer than
 * `options.backpressure` (default 5) are in flight or wait unread, so a slow
 * consumer slows the source down. Cancelling the stream stops the pipe at
 * once and cancels the source.
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
): ReadableStream<Awaited<O>>;
/**
 * Like the worker form of {@linkcode pipeIn}, and each call's (awaited)
 * result becomes one item of the returned stream, in order. Results come
 * back batched; unread results count against `options.backpressure`.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 * @param target The worker object.
 * @param source A `ReadableStream`, `AsyncIterable` or `Iterable` of the method's first argument.
 * @param method The method called with each item; its result is the output item.
 * @param options See {@linkcode WorkerPipeOptions}.
 * @returns The stream of results.
 * @throws {TypeError} If an argument has the wrong type, `method` is not a
 * method of the class, or the stream is locked.
 * @throws {RangeError} If `options.backpressure` or `options.batch` is not a
 * positive integer or `Infinity`.
 * @throws {ClosedError} If the object is closed.
 * @throws {WorkerCrashedError} If the object's worker died.
 *
 * @example Running totals computed in a worker
 * ```ts
 * import { pipe } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const total = pool.create("Total");
 * assert.deepEqual(await Array.fromAsync(pipe(total, [1, 2, 3], "addAndGet")), [1, 3, 6]);
 * ```
 */
export function pipe<T, K extends Method<T>>(
  target: WorkerDesync<T>,
  source: PipeSource<MethodArgs<T, K>[0]>,
  method: K,
  options?: WorkerPipeOptions<MethodArgs<T, K>[0]>,
): ReadableStream<MethodResult<T, K>>;
export function pipe(
  desync: unknown,
  source: unknown,
  process: unknown,
  options?: unknown,
): ReadableStream<unknown> {
  const checked = check("pipe", desync, process, options, true);
  const reader = openChecked("pipe", source);
  const run = start(checked, true);
  const output = run.readable();
  void run.pump(reader);
  return output;
}

/**
 * A `WritableStream` whose chunks are processed by `process(ref, chunk,
 * signal)` as jobs on `desync`, one at a time and in order:
 * `readable.pipeTo(sink(desync, process))`. Writes wait while
 * `options.backpressure` chunks are in flight. `close()` (and so `pipeTo`)
 * resolves once every chunk has been processed; if `process` fails, the
 * stream errors with that error (and `pipeTo` cancels its source).
 *
 * Aborting the stream, which is how `pipeTo` reports an error of its
 * source, is a soft ending: the chunks already written are processed, then
 * the sink ends with the abort's reason (and `pipeTo` rejects with it). To
 * stop at once, skipping the chunks not yet started, abort
 * `options.signal`.
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
 * @example Summing a stream
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { sink } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * const total = new Desync(0);
 * await ReadableStream.from([1, 2, 3]).pipeTo(sink(total, (t, n) => void (t.value += n)));
 * assert.equal(total.sync((t) => t.value), 6);
 * ```
 *
 * @example A source error is a soft ending
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { sink } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * async function* readings() {
 *   yield 1;
 *   yield 2;
 *   throw new Error("sensor lost");
 * }
 * const total = new Desync(0);
 * const piped = ReadableStream.from(readings()).pipeTo(sink(total, (t, n) => void (t.value += n)));
 * await assert.rejects(piped, /sensor lost/);
 * assert.equal(total.sync((t) => t.value), 3); // what was written before is processed
 * ```
 */
export function sink<T, I>(
  desync: Desync<T>,
  process: PipeProcess<T, I, unknown>,
  options?: PipeOptions,
): WritableStream<I>;
/**
 * A `WritableStream` whose chunks each become one call `method(chunk)` of a
 * worker object, in order: `readable.pipeTo(sink(object, "add"))`. Batching,
 * back-pressure and endings as for the worker form of {@linkcode pipeIn};
 * aborting the stream is a soft ending, as for the local form.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 * @param target The worker object.
 * @param method The method called with each chunk.
 * @param options See {@linkcode WorkerPipeOptions}.
 * @returns The writable stream.
 * @throws {TypeError} If an argument has the wrong type or `method` is not a method of the class.
 * @throws {RangeError} If `options.backpressure` or `options.batch` is not a
 * positive integer or `Infinity`.
 * @throws {ClosedError} If the object is closed.
 * @throws {WorkerCrashedError} If the object's worker died.
 *
 * @example Writing a stream into a worker object
 * ```ts
 * import { sink } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const total = pool.create("Total");
 * await ReadableStream.from([1, 2, 3]).pipeTo(sink(total, "add"));
 * assert.equal(await total.futureSync("get"), 6);
 * ```
 */
export function sink<T, K extends Method<T>>(
  target: WorkerDesync<T>,
  method: K,
  options?: WorkerPipeOptions<MethodArgs<T, K>[0]>,
): WritableStream<MethodArgs<T, K>[0]>;
export function sink(
  desync: unknown,
  process: unknown,
  options?: unknown,
): WritableStream<unknown> {
  const run = start(check("sink", desync, process, options, false), false);
  run.outcome!.catch(ignore); // its failures reach the writer through the stream
  return run.writable(true);
}

/**
 * A `{ writable, readable }` pair for `readable.pipeThrough(...)`: each chunk
 * written is processed by `process(ref, chunk, signal)` on `desync`, one at a
 * time and in order, and its result comes out of `readable`, with the same
 * back-pressure and endings as {@linkcode pipe}. Aborting `writable` (how
 * `pipeThrough` reports an error of its source) is a soft ending: the chunks
 * already written are processed and their results stay readable, then
 * `readable` errors with the reason. To stop at once, cancel `readable` or
 * abort `options.signal`.
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
): PipeTransform<I, Awaited<O>>;
/**
 * A `{ writable, readable }` pair for `readable.pipeThrough(...)` through a
 * worker object: each chunk written becomes one call `method(chunk)` in its
 * worker, and its result comes out of `readable`, in order. Batching,
 * back-pressure and endings as for the worker form of {@linkcode pipe}.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 * @param target The worker object.
 * @param method The method called with each chunk; its result is the output chunk.
 * @param options See {@linkcode WorkerPipeOptions}.
 * @returns The writable and readable sides.
 * @throws {TypeError} If an argument has the wrong type or `method` is not a method of the class.
 * @throws {RangeError} If `options.backpressure` or `options.batch` is not a
 * positive integer or `Infinity`.
 * @throws {ClosedError} If the object is closed.
 * @throws {WorkerCrashedError} If the object's worker died.
 *
 * @example Running totals through a worker
 * ```ts
 * import { transform } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const total = pool.create("Total");
 * const totals = ReadableStream.from([1, 2, 3]).pipeThrough(transform(total, "addAndGet"));
 * assert.deepEqual(await Array.fromAsync(totals), [1, 3, 6]);
 * ```
 */
export function transform<T, K extends Method<T>>(
  target: WorkerDesync<T>,
  method: K,
  options?: WorkerPipeOptions<MethodArgs<T, K>[0]>,
): PipeTransform<MethodArgs<T, K>[0], MethodResult<T, K>>;
export function transform(
  desync: unknown,
  process: unknown,
  options?: unknown,
): PipeTransform<unknown, unknown> {
  const run = start(check("transform", desync, process, options, true), true);
  const readable = run.readable();
  return { writable: run.writable(false), readable };
}
