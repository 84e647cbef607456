// Copyright 2026 the desync authors. MIT license.
// Pipes into worker objects: the local pipes' endings across a thread,
// back-pressure bounds, FIFO with the object's other jobs, transfers, crashes
// and bad input. Every test that starts a worker is named "worker: ..."
// (skipped on workerd, which has no workers).

import assert from "node:assert/strict";
import { ClosedError } from "../mod.ts";
import { pipe, pipeIn, sink, transform } from "../pipe.ts";
import { RemoteError, transfer, WorkerCrashedError, type WorkerPool } from "../worker.ts";
import { collect, delay, streamFrom, waitFor, withTimeout } from "./_helpers.ts";
import { withEntryPool } from "./_worker_helpers.ts";
import type { Api } from "./fixtures/pipe.worker.ts";

const PIPE_ENTRY = new URL("./fixtures/pipe.worker.ts", import.meta.url);
const LONG = 30_000; // generous: only a hang reaches it

function withPipes(body: (pool: WorkerPool<Api>) => Promise<void>): Promise<void> {
  return withEntryPool<Api>(PIPE_ENTRY, { size: 1, onError: () => {} }, body);
}

/** A source of 1..count (sync), recording how far it was read and whether it was cancelled. */
function numbers(count = Infinity, options: { failAfter?: number; values?: number[] } = {}) {
  const state = { pulled: 0, cancelled: false, onPull: (_pulled: number) => {} };
  function* generate() {
    let over = false;
    try {
      for (let n = 1; n <= count; n++) {
        if (n - 1 === options.failAfter) {
          over = true;
          throw new Error("source broke");
        }
        state.pulled++;
        state.onPull(state.pulled);
        yield options.values?.[n - 1] ?? n;
      }
      over = true;
    } finally {
      if (!over) state.cancelled = true;
    }
  }
  return { state, source: generate() };
}

const sab = typeof SharedArrayBuffer === "function";

Deno.test("worker: a 1,000,000-item pipeIn is summed correctly, and pipe() keeps the order", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    await withTimeout(pipeIn(total, numbers(1_000_000).source, "add"), LONG, "pipeIn");
    assert.equal(await total.futureSync("get"), 500_000_500_000);
    const results = await collect(pipe(total, numbers(10_000).source, "addAndGet"));
    let expected = 500_000_500_000;
    assert.deepEqual(results, Array.from({ length: 10_000 }, (_, i) => (expected += i + 1)));
    const later = await collect(pipe(total, [1, 2, 3], "addLater", { batch: 2 }));
    assert.deepEqual(later, [expected + 1, expected + 3, expected + 6]);
  });
});

Deno.test("worker: a failing source ends the pipe after the items it delivered ran", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    await assert.rejects(
      pipeIn(total, numbers(10, { failAfter: 3 }).source, "add"),
      /source broke/,
    );
    assert.equal(await total.futureSync("get"), 6);
    const reader = pipe(total, numbers(10, { failAfter: 3 }).source, "addAndGet").getReader();
    for (const expected of [7, 9, 12]) assert.equal((await reader.read()).value, expected);
    await assert.rejects(reader.read(), /source broke/);
  });
});

Deno.test("worker: a failing method stops the pipe; later items are skipped in the worker", async (t) => {
  for (const method of ["checked", "checkedLater"] as const) {
    await t.step(method, async () => {
      await withPipes(async (pool) => {
        const total = pool.create("Total");
        // Small batches and a wide window: several batches are in the worker when item 3 fails.
        const { state, source } = numbers(200, { values: [1, 2, -1] });
        const reader = pipe(total, source, method, { batch: 2, backpressure: 32 }).getReader();
        assert.equal((await reader.read()).value, 1);
        assert.equal((await reader.read()).value, 3);
        const error = await reader.read().catch((e) => e);
        assert.ok(error instanceof RemoteError, String(error));
        assert.equal(error.name, "RangeError");
        assert.match(error.message, /negative item -1/);
        assert.ok(state.cancelled, "the source was cancelled");
        assert.deepEqual(await total.futureSync("entries"), ["checked 1", "checked 2"]);
        assert.equal(await total.futureSync("addAndGet", 10), 13, "the object carries on");
        await assert.rejects(pipeIn(total, [4, -2, 5], method), /negative item -2/);
        assert.equal(await total.futureSync("get"), 17);
      });
    });
  }
});

Deno.test("worker: cancelling the output or aborting the signal stops at once", async (t) => {
  for (const how of ["cancel", "signal"] as const) {
    await t.step(how, async () => {
      await withPipes(async (pool) => {
        const total = pool.create("Total");
        await total.ready; // so that the first item has started when the pipe is stopped
        const { state, source } = numbers(Infinity, { values: [20_000, 20_000, 20_000] });
        const controller = new AbortController();
        const started = Date.now();
        if (how === "cancel") {
          const reader = pipe(total, source, "sleep").getReader();
          await delay(100);
          await reader.cancel(new Error("enough"));
        } else {
          const piped = pipeIn(total, source, "sleep", { signal: controller.signal });
          await delay(100);
          controller.abort(new Error("enough"));
          await assert.rejects(piped, /enough/);
        }
        assert.ok(state.cancelled, "the source was cancelled");
        assert.deepEqual(await total.futureSync("entries"), ["sleep 20000", "aborted"]);
        assert.ok(Date.now() - started < 15_000, "the running item was told");
      });
    });
  }
});

Deno.test("worker: a signal aborted before the pipe starts processes nothing", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    const { state, source } = numbers(10);
    const piped = pipeIn(total, source, "add", { signal: AbortSignal.abort(new Error("no")) });
    await assert.rejects(piped, /no/);
    assert.equal(state.pulled, 0);
    assert.equal(await total.futureSync("get"), 0);
    const stream = pipe(total, [1], "add", { signal: AbortSignal.abort(new Error("no")) });
    await assert.rejects(collect(stream), /no/);
  });
});

Deno.test("worker: closing the object ends the pipe with ClosedError after the taken items ran", async () => {
  await withPipes(async (pool) => {
    const finished = sab ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    const total = pool.create("Total", finished);
    const { state, source } = numbers(Infinity);
    const piped = pipeIn(total, source, "add", { backpressure: 100, batch: 7 });
    const ended = assert.rejects(piped, ClosedError);
    await total.futureSync("get"); // the pipe has started
    await total.close();
    await withTimeout(ended, LONG, "the pipe to end");
    assert.ok(state.cancelled, "the source was cancelled");
    assert.ok(state.pulled >= 100, `${state.pulled} pulled`);
    if (finished !== undefined) assert.equal(Atomics.load(finished, 0), state.pulled);
    assert.throws(() => pipeIn(total, [1], "add"), ClosedError);
  });
});

Deno.test("worker: a worker that dies mid-pipe settles every pipe with WorkerCrashedError", async () => {
  await withPipes(async (pool) => {
    const doomed = pool.create("Total");
    const { state, source } = numbers(Infinity, { values: [1, 2, 0] });
    const piped = pipeIn(doomed, source, "exitAt");
    const output = pipe(doomed, numbers(Infinity).source, "exitAt");
    const written = streamFrom(numbers(Infinity).source).pipeTo(sink(doomed, "exitAt"));
    await withTimeout(assert.rejects(piped, WorkerCrashedError), LONG, "pipeIn");
    await withTimeout(assert.rejects(collect(output), WorkerCrashedError), LONG, "pipe");
    await withTimeout(assert.rejects(written, WorkerCrashedError), LONG, "sink");
    assert.ok(state.cancelled);
    assert.ok(doomed.crashed);
    assert.throws(() => pipeIn(doomed, [1], "add"), WorkerCrashedError);
  });
});

Deno.test("worker: a pipe into an object whose construction failed fails with that error", async () => {
  await withPipes(async (pool) => {
    const broken = pool.create("Broken");
    await assert.rejects(broken.ready, /cannot be built/);
    await assert.rejects(pipeIn(broken, [1, 2], "add"), /cannot be built/);
    await assert.rejects(collect(pipe(broken, [1], "add")), /cannot be built/);
  });
});

Deno.test("worker: pipe back-pressure never exceeds its bound", async (t) => {
  await t.step("pipe(): pulled minus read, with a slow reader", async () => {
    await withPipes(async (pool) => {
      const total = pool.create("Total");
      const { state, source } = numbers(2_000);
      const reader = pipe(total, source, "addAndGet", { backpressure: 32, batch: 8 }).getReader();
      let read = 0;
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        read++;
        assert.ok(state.pulled - read <= 32, `${state.pulled} pulled, ${read} read`);
        // Paused, the pipe runs ahead to within half a window (with a readable output, room is
        // freed half a window at a time, and at least a batch) of its bound.
        if (read % 500 === 0 && read < 1_900) {
          await waitFor(() => state.pulled - read > 32 - 16, "a full window");
        }
      }
      assert.equal(read, 2_000);
    });
  });
  await t.step("pipeIn: pulled minus finished in the worker", async () => {
    if (!sab) return; // the worker's count is read through a SharedArrayBuffer
    await withPipes(async (pool) => {
      const finished = new Int32Array(new SharedArrayBuffer(4));
      const total = pool.create("Total", finished);
      const { state, source } = numbers(20_000);
      let most = 0;
      state.onPull = (pulled) => (most = Math.max(most, pulled - Atomics.load(finished, 0)));
      await pipeIn(total, source, "add", { backpressure: 16, batch: 4 });
      assert.equal(Atomics.load(finished, 0), 20_000);
      assert.ok(most <= 16, `${most} ahead of the worker`);
    });
  });
});

Deno.test("worker: pipe items keep their place among the object's other jobs", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    total.desync("append", "a");
    const piped = pipeIn(total, ["b", "c"], "append");
    total.desync("append", "d");
    const results = pipe(total, ["e", "f"], "append");
    const last = total.futureSync("append", "g");
    await piped;
    assert.deepEqual(await collect(results), [5, 6]);
    assert.equal(await last, 7);
    assert.deepEqual(await total.futureSync("entries"), ["a", "b", "c", "d", "e", "f", "g"]);
  });
});

Deno.test("worker: sink and transform work with pipeTo and pipeThrough", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    await streamFrom([1, 2, 3]).pipeTo(sink(total, "add"));
    assert.equal(await total.futureSync("get"), 6);
    const totals = streamFrom([1, 2, 3]).pipeThrough(transform(total, "addAndGet", { batch: 2 }));
    assert.deepEqual(await collect(totals), [7, 9, 12]);
    // A source error is a soft ending: what was written runs first.
    const failing = streamFrom(numbers(10, { failAfter: 2 }).source);
    await assert.rejects(failing.pipeTo(sink(total, "add")), /source broke/);
    assert.equal(await total.futureSync("get"), 15);
    // The method fails: the writer's pipeTo rejects with its error.
    const bad = streamFrom([1, -5, 1]).pipeTo(sink(total, "checked"));
    await assert.rejects(bad, /negative item -5/);
    assert.equal(await total.futureSync("get"), 16);
  });
});

Deno.test("worker: transfer moves buffers both ways, in pipes and in calls", async () => {
  await withPipes(async (pool) => {
    const bytes = pool.create("Bytes");
    const buffers = [new Uint8Array([1, 2, 3]).buffer, new Uint8Array([4]).buffer];
    const sums = pipe(bytes, buffers, "sum", { transfer: (buffer) => [buffer] });
    assert.deepEqual(await collect(sums), [6, 4]);
    assert.deepEqual(buffers.map((b) => b.byteLength), [0, 0], "detached on the sender");
    const copied = new Uint8Array([5]).buffer;
    assert.equal(await bytes.futureSync("sum", copied), 5);
    assert.equal(copied.byteLength, 1, "no transfer asked: copied");
    const moved = new Uint8Array([5, 5]).buffer;
    assert.equal(await bytes.futureSync("sum", transfer(moved, [moved])), 10);
    assert.equal(moved.byteLength, 0);
    const fired = new ArrayBuffer(3);
    bytes.desync("size", transfer(fired, [fired]));
    await bytes.futureSync("made"); // sent by now
    assert.equal(fired.byteLength, 0, "detached once sent (desync)");
    const later = new ArrayBuffer(4);
    assert.equal(await bytes.after(Promise.resolve(transfer(later, [later])), "size"), 4);
    assert.equal(later.byteLength, 0, "detached once sent (after)");
    // Results: the worker's buffer is moved back.
    const made = await bytes.futureSync("make", 16, 2);
    assert.equal(made.byteLength, 16);
    assert.equal(await bytes.futureSync("made"), 0, "detached in the worker");
    const piped = await collect(pipe(bytes, [3, 5], "make"));
    assert.deepEqual(piped.map((b) => b.byteLength), [3, 5]);
    assert.equal(await bytes.futureSync("made"), 0);
  });
});

Deno.test("worker: when a batch cannot be cloned, each operation is sent with its own transfers", async () => {
  await withPipes(async (pool) => {
    const bytes = pool.create("Bytes");
    await bytes.ready;
    const moved = new Uint8Array([1, 2]).buffer;
    const first = bytes.futureSync("sum", transfer(moved, [moved]));
    const bad = assert.rejects(
      bytes.futureSync("sum", (() => {}) as unknown as ArrayBuffer), // cannot be cloned
      /cannot be sent to the worker/,
    );
    const piped = collect(
      pipe(bytes, [new Uint8Array([7]).buffer], "sum", { transfer: (b) => [b] }),
    );
    assert.equal(await first, 3);
    assert.equal(moved.byteLength, 0, "transferred in the one-by-one resend");
    await bad;
    assert.deepEqual(await piped, [7]);
  });
});

Deno.test("worker: bad input fails at the call site, naming the function and the argument", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    await total.ready; // the worker has said the class's methods
    // @ts-expect-error: not a method of Total
    assert.throws(() => pipeIn(total, [1], "nope"), /pipeIn\(\): "nope" is not a method of Total/);
    // @ts-expect-error: a method name, not a function, for a worker object
    assert.throws(() => sink(total, (n: number) => n), /sink\(\): "method" must be the name/);
    // @ts-expect-error: "add" takes numbers
    assert.throws(() => pipeIn(total, 5, "add"), /pipeIn\(\): "source" must be/);
    // @ts-expect-error: an unknown option
    assert.throws(() => pipe(total, [1], "add", { bacth: 2 }), /pipe\(\).*"bacth"/);
    assert.throws(() => pipe(total, [1], "add", { batch: 0 }), RangeError);
    assert.throws(() => pipeIn(total, [1], "add", { backpressure: 1.5 }), /options.backpressure/);
    // @ts-expect-error: transfer is a function of the item
    assert.throws(() => transform(total, "add", { transfer: [] }), /"options.transfer"/);
    assert.throws(() => transfer(1, []), /transfer\(\): "value" must be an object/);
    // Type checks only (never run): items and results are typed by the method.
    const _typed = async (words: string[]) => {
      // @ts-expect-error: "add" takes numbers, not strings
      await pipeIn(total, words, "add");
      const sums: ReadableStream<number> = pipe(total, [1], "addAndGet");
      // @ts-expect-error: "addAndGet" gives numbers
      const _wrong: ReadableStream<string> = pipe(total, [1], "addAndGet");
      const writable: WritableStream<number> = sink(total, "add");
      return [sums, writable];
    };
  });
});
