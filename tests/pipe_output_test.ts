// Copyright 2026 the desync authors. MIT license.
// How a pipe's readable output hands its results to its stream: in slices
// (one call back from the stream per slice, not per read), ending exactly
// where the waiting input may go on; what a slice still in the stream's queue
// means for the endings; and, for a pipe into a worker object, room freed
// half a window at a time. The output's order, back-pressure bound and
// endings in general are in pipe_test.ts, pipe_streams_test.ts and
// worker_pipe_test.ts.

import assert from "node:assert/strict";
import { Desync } from "../mod.ts";
import { pipe } from "../pipe.ts";
import type { WorkerPool } from "../worker.ts";
import { deferred, delay, waitFor } from "./_helpers.ts";
import { withEntryPool } from "./_worker_helpers.ts";
import type { Api } from "./fixtures/pipe.worker.ts";

const PIPE_ENTRY = new URL("./fixtures/pipe.worker.ts", import.meta.url);

/**
 * Counts the results handed to any ReadableStream (its controller's
 * `enqueue`), while `body` runs.
 */
async function countingEnqueues(body: (count: () => number) => Promise<void>): Promise<void> {
  let proto!: { enqueue(chunk: unknown): void };
  new ReadableStream({ start: (c) => void (proto = Object.getPrototypeOf(c)) });
  const enqueue = proto.enqueue;
  let count = 0;
  proto.enqueue = function (this: unknown, chunk: unknown) {
    count++;
    return enqueue.call(this, chunk);
  };
  try {
    await body(() => count);
  } finally {
    proto.enqueue = enqueue;
  }
}

/** A local pipe of 1..4 whose item 4 waits for `gate`, then fails or returns. */
function gatedPipe(options: { fail: boolean; signal?: AbortSignal }) {
  const gate = deferred();
  let processed = 0;
  const output = pipe(new Desync(0), [1, 2, 3, 4], async (_, n) => {
    if (n === 4) {
      await gate.promise;
      if (options.fail) throw new Error("item 4 failed");
    }
    processed++;
    return n * 10;
  }, { backpressure: 10, signal: options.signal });
  return { gate, output, processed: () => processed };
}

Deno.test("pipe: once its source is over, one read hands the stream every result waiting", async () => {
  await countingEnqueues(async (enqueued) => {
    let processed = 0;
    const items = Array.from({ length: 10 }, (_, i) => i + 1);
    const output = pipe(new Desync(0), items, (_, n) => {
      processed++;
      return n * 2;
    }, { backpressure: 20 }); // room for all: the pipe has read the source's end
    await waitFor(() => processed === 10, "every item processed");
    const reader = output.getReader();
    assert.equal((await reader.read()).value, 2);
    assert.equal(enqueued(), 10, "the nine others wait in the stream's queue");
    const rest = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    assert.deepEqual(rest, [4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });
});

Deno.test("pipe: a failure reaches the output after the results already in the stream's queue", async () => {
  const { gate, output, processed } = gatedPipe({ fail: true });
  await waitFor(() => processed() === 3, "items 1 to 3 processed");
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 10); // 20 and 30 are now in the stream's queue
  gate.resolve();
  await delay(5); // item 4 has failed
  assert.equal((await reader.read()).value, 20);
  assert.equal((await reader.read()).value, 30);
  await assert.rejects(reader.read(), /item 4 failed/);
});

Deno.test("pipe: an aborted signal stops the output at once, results in the stream's queue included", async () => {
  const controller = new AbortController();
  const { gate, output, processed } = gatedPipe({ fail: false, signal: controller.signal });
  await waitFor(() => processed() === 3, "items 1 to 3 processed");
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 10); // 20 and 30 are now in the stream's queue
  controller.abort(new Error("stop now"));
  await assert.rejects(reader.read(), /stop now/);
  gate.resolve();
});

function withPipes(body: (pool: WorkerPool<Api>) => Promise<void>): Promise<void> {
  return withEntryPool<Api>(PIPE_ENTRY, { size: 1, onError: () => {} }, body);
}

/** 1, 2, 3, ... (sync), counting how far it was read. */
function counted() {
  const state = { pulled: 0 };
  function* generate() {
    for (let n = 1;; n++) {
      state.pulled++;
      yield n;
    }
  }
  return { state, source: generate() };
}

Deno.test("worker: a pipe() into a worker object frees room half a window at a time, in slices", async () => {
  await withPipes(async (pool) => {
    await countingEnqueues(async (enqueued) => {
      const total = pool.create("Total");
      const { state, source } = counted();
      const reader = pipe(total, source, "addAndGet", { backpressure: 32, batch: 4 }).getReader();
      await waitFor(() => state.pulled === 32, "a full window");
      await total.futureSync("get"); // answered after the pipe's results: all are back
      // The first read takes one result and hands the stream the 14 more that the input must
      // wait for (room for 16 of a window of 32): those 15 reads need no call back.
      let expected = 0;
      for (let n = 1; n <= 15; n++) {
        assert.equal((await reader.read()).value, expected += n);
        if (n === 1) assert.equal(enqueued(), 15, "a slice of 15 results");
      }
      assert.equal(enqueued(), 15);
      await delay(50);
      assert.equal(state.pulled, 32, "15 reads free no room for half a window");
      assert.equal((await reader.read()).value, expected += 16);
      await waitFor(() => state.pulled === 48, "the 16th read frees room for 16 items");
      await delay(20);
      assert.equal(state.pulled, 48);
      await reader.cancel();
    });
  });
});

Deno.test("worker: results handed to the stream but not yet read still count against the bound", async () => {
  await withPipes(async (pool) => {
    const total = pool.create("Total");
    const gate = deferred();
    const state = { pulled: 0 };
    async function* source() {
      for (let n = 1;; n++) {
        if (n === 41) await gate.promise; // the pipe waits for the source, with room left
        state.pulled++;
        yield n;
      }
    }
    const reader = pipe(total, source(), "addAndGet", { backpressure: 32, batch: 8 }).getReader();
    const sum = (n: number) => n * (n + 1) / 2;
    await waitFor(() => state.pulled === 32, "a full window");
    await total.futureSync("get"); // answered after the pipe's results: all are back
    for (let n = 1; n <= 16; n++) assert.equal((await reader.read()).value, sum(n));
    await waitFor(() => state.pulled === 40, "room for 16, the source stops at 40");
    await total.futureSync("get"); // results 17 to 40 are back
    // Nothing waits for room: this read hands the stream a slice of results 17 to 32.
    assert.equal((await reader.read()).value, sum(17));
    gate.resolve();
    await waitFor(() => state.pulled >= 17 + 32, "the window full again");
    await delay(50);
    assert.equal(state.pulled, 17 + 32, "15 results in the stream's queue are not read yet");
    for (let n = 18; n <= 49; n++) assert.equal((await reader.read()).value, sum(n));
    await reader.cancel();
  });
});
