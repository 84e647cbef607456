// Copyright 2026 the desync authors. MIT license.
/**
 * Pipes connect streams of items to a {@linkcode Desync}: every item becomes
 * one job `process(ref, item, signal)` on it, processed one at a time, in the
 * source's order, interleaved in FIFO order with everything else scheduled on
 * that `Desync`. A source is a `ReadableStream`, any `AsyncIterable` or any
 * `Iterable`.
 *
 * - {@linkcode pipeIn}: feed a `Desync`; a promise tells when all is done.
 * - {@linkcode pipe}: also turn each result into an item of a `ReadableStream`.
 * - {@linkcode sink} and {@linkcode transform}: the same as a `WritableStream`
 *   and as a `{ writable, readable }` pair, for
 *   `readable.pipeTo(sink(desync, process))` and
 *   `readable.pipeThrough(transform(desync, process))`.
 *
 * **Back-pressure.** A pipe takes a new item only while fewer than
 * `options.backpressure` items (default 5, as in Rust) are in flight or wait
 * unread as results, so a slow consumer slows the source and memory stays
 * bounded. The source is read outside the `Desync`'s queue: a slow source
 * never holds the `Desync`.
 *
 * **Endings.**
 * - The source ends: the items it delivered are processed, then the promise
 *   resolves / the output closes.
 * - The source errors: the items it delivered before are processed, then the
 *   promise rejects / the output errors with that error. For `sink` and
 *   `transform`, an abort of the writable (how `pipeTo` and `pipeThrough`
 *   report a source error) is this same soft ending: the chunks already
 *   written are processed, then the pipe ends with the abort's reason.
 * - `process` throws or rejects: the pipe stops at once (the items not yet
 *   started are skipped), the source is cancelled, and the error goes to the
 *   promise / the output (after the results already produced). The `Desync`
 *   carries on serving its other jobs.
 * - The output is cancelled, or `options.signal` aborts: the pipe stops at
 *   once, the source is cancelled (`reader.cancel` / `iterator.return`), the
 *   running `process` call is told through its signal, and no further item is
 *   processed. (So `options.signal` is the way to stop a `sink` at once.)
 * - The `Desync` is closed: the pipe stops reading and cancels its source;
 *   the items already taken still run (close waits for them); then the pipe
 *   ends with a `ClosedError`.
 *
 * Pipe jobs are background work: they respect the scheduler's concurrency
 * budget, and in manual mode they run when the scheduler is stepped.
 *
 * **Into worker objects.** The same functions take a
 * {@linkcode WorkerDesync} (from `@desync/desync/worker`) and a method name in
 * place of `process`: `pipeIn(counter, source, "add")`, `pipe(...)`,
 * `sink(counter, "add")`, `transform(...)`. Each item becomes one call
 * `method(item)` in the object's worker (typed: the item is the method's
 * first parameter, the result its awaited return). The source is read on
 * this thread; items travel in batches (`batch`, default 64), each batch run
 * as one job of the object, and results come back batched, in order. The
 * window is wider than a local pipe's (`backpressure`, default 256: a
 * thread hop's round trip would cap a window of 5 near 250 k items/s);
 * `transfer` moves `ArrayBuffer`s instead of copying them. The endings above
 * hold across the thread: a failing method skips the items not started in
 * the worker too, a stop aborts the running call's `jobSignal()`, and a
 * dying worker ends the pipe with a `WorkerCrashedError`. See
 * {@linkcode WorkerPipeOptions}.
 *
 * @example An order book fed by a stream of orders
 * ```ts
 * import { Desync } from "@desync/desync";
 * import { pipe } from "@desync/desync/pipe";
 * import assert from "node:assert/strict";
 *
 * interface Order { side: "buy" | "sell"; price: number; qty: number }
 * const book = new Desync({ bids: [] as Order[], asks: [] as Order[] });
 *
 * const orders = ReadableStream.from<Order>([
 *   { side: "sell", price: 101, qty: 5 },
 *   { side: "sell", price: 100, qty: 3 },
 *   { side: "buy", price: 100, qty: 4 },
 * ]);
 * const fills = pipe(book, orders, (b, order) => {
 *   const asks = b.value.asks;
 *   if (order.side === "sell") {
 *     asks.push(order);
 *     asks.sort((x, y) => x.price - y.price);
 *     return 0;
 *   }
 *   let filled = 0;
 *   while (asks.length > 0 && asks[0].price <= order.price && filled < order.qty) {
 *     const take = Math.min(asks[0].qty, order.qty - filled);
 *     asks[0].qty -= take;
 *     filled += take;
 *     if (asks[0].qty === 0) asks.shift();
 *   }
 *   return filled;
 * });
 * assert.deepEqual(await Array.fromAsync(fills), [0, 0, 3]);
 * ```
 *
 * @example Summing a stream in a worker
 * ```ts
 * import { pipe, pipeIn } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "./tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("./tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const total = pool.create("Total");
 * await pipeIn(total, ReadableStream.from([1, 2, 3]), "add", { backpressure: 1024 });
 * assert.equal(await total.futureSync("get"), 6);
 * const totals = pipe(total, [10, 20], "addAndGet");
 * assert.deepEqual(await Array.fromAsync(totals), [16, 36]);
 * ```
 *
 * @module
 */

export {
  pipe,
  pipeIn,
  type PipeOptions,
  type PipeProcess,
  type PipeSource,
  type PipeTransform,
  sink,
  transform,
} from "./pipe/pipe.ts";
export type { WorkerPipeOptions } from "./pipe/worker_options.ts";
