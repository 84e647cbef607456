// Copyright 2026 the desync authors. MIT license.
// The options of a pipe into a worker object (the pipe functions given a
// WorkerDesync and a method name).

/**
 * Options for a pipe into a worker object: `pipeIn(counter, source, "add",
 * options)`. An unknown key throws a `TypeError`.
 *
 * @typeParam I The item's type.
 *
 * @example A pipe of buffers, moved rather than copied
 * ```ts
 * import { pipe, type WorkerPipeOptions } from "@desync/desync/pipe";
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const bytes = pool.create("Bytes");
 * const buffers = [new Uint8Array([1, 2]).buffer, new Uint8Array([3]).buffer];
 * const options: WorkerPipeOptions<ArrayBuffer> = { batch: 16, transfer: (b) => [b] };
 * assert.deepEqual(await Array.fromAsync(pipe(bytes, buffers, "sum", options)), [3, 3]);
 * assert.equal(buffers[0].byteLength, 0); // transferred
 * ```
 */
export interface WorkerPipeOptions<I> {
  /**
   * How many items may be on their way, in the worker, or wait unread as
   * results before the pipe stops taking new ones: a positive integer, or
   * `Infinity`. Larger than a local pipe's 5: a thread hop costs a round
   * trip of 10-70 us, and a window of 5 would cap a pipe near 250 k items/s.
   *
   * @default {256}
   *
   * @example A small window
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
   * await pipeIn(total, [1, 2, 3], "add", { backpressure: 2 });
   * assert.equal(await total.futureSync("get"), 6);
   * ```
   */
  backpressure?: number;
  /**
   * At most how many items travel as one operation (and run as one job in
   * the worker, back to back): a positive integer, or `Infinity` (then up to
   * `backpressure`). A message, not an item, is what costs: the operations
   * queued in one tick share a message, and the pipe takes items in runs of
   * at least a batch (half the window for `pipe` and `transform`, whose
   * reader frees room one result at a time).
   *
   * @default {64}
   *
   * @example One item per message
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
   * await pipeIn(total, [1, 2, 3], "add", { batch: 1 });
   * assert.equal(await total.futureSync("get"), 6);
   * ```
   */
  batch?: number;
  /**
   * What to transfer (not copy) with each item: `ArrayBuffer`s, say. The
   * sender's copies are detached once sent.
   *
   * @default {undefined}
   *
   * @example Moving buffers
   * ```ts
   * import { pipeIn } from "@desync/desync/pipe";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/pipe.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
   * );
   * const bytes = pool.create("Bytes");
   * const buffer = new ArrayBuffer(8);
   * await pipeIn(bytes, [buffer], "sum", { transfer: (b) => [b] });
   * assert.equal(buffer.byteLength, 0);
   * ```
   */
  transfer?: (item: I) => Transferable[];
  /**
   * Stops the pipe at once: the source is cancelled, the items not started
   * are skipped in the worker, the running method's `jobSignal()` aborts,
   * and the pipe ends with `signal.reason`.
   *
   * @default {undefined}
   *
   * @example Stopping a pipe from outside
   * ```ts
   * import { pipeIn } from "@desync/desync/pipe";
   * import { WorkerPool } from "@desync/desync/worker";
   * import type { Api } from "../tests/fixtures/pipe.worker.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPool<Api>(
   *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
   * );
   * const controller = new AbortController();
   * controller.abort(new Error("not now"));
   * const total = pool.create("Total");
   * await assert.rejects(pipeIn(total, [1], "add", { signal: controller.signal }), /not now/);
   * ```
   */
  signal?: AbortSignal;
}
