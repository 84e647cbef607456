// Copyright 2026 the desync authors. MIT license.
// pipeIn() and pipe(): order, interleaving with other jobs, back-pressure,
// the concurrency budget, and every ending (the source ends or fails, the
// process fails, the output is cancelled, the Desync closes, the signal
// aborts), each error delivered once. Argument checks are in
// bad_input_test.ts; sink() and transform() in pipe_streams_test.ts.

import assert from "node:assert/strict";
import { ClosedError, Desync, Scheduler } from "../mod.ts";
import { pipe, pipeIn } from "../pipe.ts";
import {
  collect,
  deferred,
  delay,
  errorSink,
  flushMicrotasks,
  OverlapDetector,
  streamFrom,
} from "./_helpers.ts";
import { channel, counter } from "./_streams.ts";

async function* generate<T>(items: T[], onFinally?: () => void): AsyncGenerator<T> {
  try {
    for (const item of items) {
      await Promise.resolve();
      yield item;
    }
  } finally {
    onFinally?.();
  }
}

Deno.test("pipeIn reads arrays, iterables, ReadableStreams and async iterables in order", async () => {
  const sources = [
    () => [1, 2, 3],
    () => new Set([1, 2, 3]),
    () => streamFrom([1, 2, 3]),
    () => generate([1, 2, 3]),
  ];
  for (const source of sources) {
    const list = new Desync<number[]>([]);
    await pipeIn(list, source(), (l, n) => void l.value.push(n));
    assert.deepEqual(list.sync((l) => l.value), [1, 2, 3]);
  }
});

Deno.test("items interleave in FIFO order with the Desync's other jobs", async () => {
  const log = new Desync<string[]>([]);
  const input = channel<string>();
  const done = pipeIn(log, input.stream, (l, item) => void l.value.push(item));
  input.send("item 1");
  await delay(1);
  log.desync((l) => void l.value.push("job scheduled between items"));
  input.send("item 2");
  input.close();
  await done;
  assert.deepEqual(log.sync((l) => l.value), [
    "item 1",
    "job scheduled between items",
    "item 2",
  ]);
});

Deno.test("a synchronous source's first items are ordered before later jobs", async () => {
  const log = new Desync<string[]>([]);
  const done = pipeIn(log, ["a", "b"], (l, item) => void l.value.push(item));
  log.desync((l) => void l.value.push("after the pipeIn call"));
  await done;
  assert.deepEqual(log.sync((l) => l.value), ["a", "b", "after the pipeIn call"]);
});

Deno.test("async process: one item at a time, across awaits, in order", async () => {
  const detector = new OverlapDetector();
  const list = new Desync<number[]>([]);
  const results = pipe(list, generate([1, 2, 3, 4, 5, 6, 7, 8]), async (l, n) => {
    detector.enter();
    await delay(n % 3);
    l.value.push(n);
    detector.leave();
    return n * 10;
  });
  assert.deepEqual(await collect(results), [10, 20, 30, 40, 50, 60, 70, 80]);
  assert.equal(detector.overlaps, 0);
  assert.deepEqual(list.sync((l) => l.value), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("back-pressure: the pipe reads only while fewer than `backpressure` results wait", async (t) => {
  for (const backpressure of [1, 3, 5]) {
    await t.step(`backpressure ${backpressure}`, async () => {
      const source = counter();
      const data = new Desync(0);
      const options = backpressure === 5 ? undefined : { backpressure };
      const output = pipe(data, source.stream, (d, n) => (d.value = n), options);
      await delay(5);
      assert.equal(source.pulled, backpressure, "nobody reads: the source is not drained");
      const reader = output.getReader();
      for (let read = 1; read <= 20; read++) {
        assert.equal((await reader.read()).value, read);
        await delay(0);
        assert.ok(
          source.pulled <= read + backpressure,
          `${source.pulled} pulled after ${read} read`,
        );
      }
      await reader.cancel("enough");
      assert.deepEqual(source.cancelled, { reason: "enough" });
    });
  }
});

Deno.test("back-pressure for pipeIn: a slow process slows the source", async () => {
  const source = counter();
  const data = new Desync(0);
  const gate = deferred();
  const controller = new AbortController();
  const done = pipeIn(data, source.stream, async (d, n) => {
    await gate.promise;
    d.value = n;
  }, { backpressure: 2, signal: controller.signal });
  await delay(5);
  assert.equal(source.pulled, 2, "two in flight, then the pipe waits");
  controller.abort(new Error("stop"));
  gate.resolve();
  await assert.rejects(done, /stop/);
});

Deno.test("a pipe with backpressure: Infinity takes every item at once", async () => {
  const data = new Desync<number[]>([]);
  let pulled = 0;
  const source = {
    *[Symbol.iterator]() {
      for (let i = 0; i < 1000; i++) yield ++pulled;
    },
  };
  const results = pipe(data, source, (d, item) => d.value.push(item), { backpressure: Infinity });
  await flushMicrotasks();
  assert.equal(pulled, 1000, "no limit: the whole synchronous source was taken");
  assert.equal((await collect(results)).length, 1000);
});

Deno.test("cancelling the output cancels the source and processes nothing more", async () => {
  let finallyRan = false;
  const processed: number[] = [];
  const data = new Desync(0);
  const output = pipe(
    data,
    generate([1, 2, 3, 4, 5, 6, 7, 8, 9], () => (finallyRan = true)),
    (_, n) => {
      processed.push(n);
      return n;
    },
    { backpressure: 2 },
  );
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 1);
  await reader.cancel(new Error("consumer left"));
  const seen = processed.length;
  await delay(5);
  assert.equal(processed.length, seen, "no further item processed");
  assert.ok(seen <= 3, `processed ${seen} with backpressure 2`);
  assert.equal(finallyRan, true, "iterator.return() was called");
  assert.equal(await data.futureSync(() => "still serving"), "still serving");
});

Deno.test("a source error rejects pipeIn and errors pipe's output after the items read before it", async () => {
  const input = channel<number>();
  const list = new Desync<number[]>([]);
  const done = pipeIn(list, input.stream, (l, n) => void l.value.push(n));
  input.send(1);
  input.send(2);
  await delay(1);
  input.error(new Error("socket reset"));
  await assert.rejects(done, /socket reset/);
  assert.deepEqual(list.sync((l) => l.value), [1, 2]);

  const input2 = channel<number>();
  const output = pipe(new Desync(0), input2.stream, (_, n) => n * 2);
  input2.send(1);
  input2.send(2);
  await delay(1);
  input2.error(new Error("socket reset"));
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 2);
  assert.equal((await reader.read()).value, 4);
  await assert.rejects(reader.read(), /socket reset/);
});

// Regression (review): a pipe cancelled its source again after the source had
// failed (here on close), so the source's error reached onError besides the
// pipe's promise; the input is stopped at most once, never after it ended.
Deno.test("a failed pipe source is not cancelled again, so its error is delivered once", async () => {
  const { errors, handler } = errorSink();
  const manual = new Scheduler({ maxConcurrency: 0 }); // the items wait until stepped
  const data = new Desync<number[]>([], { scheduler: manual, onError: handler });
  const failure = new Error("source failed");
  let next = 0;
  const source = new ReadableStream<number>({
    pull: (c) => next === 2 ? c.error(failure) : c.enqueue(next++),
  }, { highWaterMark: 0 });
  const done = pipeIn(data, source, (d, n) => void d.value.push(n));
  await delay(2); // the source failed; two items are queued
  await data.close(); // runs them; the pipe ends
  await assert.rejects(done, (e: unknown) => e === failure);
  await flushMicrotasks();
  assert.deepEqual(errors, [], "the source's error went to pipeIn only");
});

// Regression (review): the same finding with a later item failure: the failed
// source was cancelled again and its error reported besides the item's.
Deno.test("a source failure, a close and a failing item: each error delivered once", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const sourceFailure = new Error("source failed");
  let next = 0;
  const source = new ReadableStream<number>({
    pull: (c) => next === 1 ? c.error(sourceFailure) : c.enqueue(next++),
  }, { highWaterMark: 0 });
  const running = deferred();
  const itemFailure = deferred();
  const done = pipeIn(data, source, () => {
    running.resolve();
    return itemFailure.promise;
  });
  await running.promise;
  await delay(2); // meanwhile the source failed
  const closed = data.close();
  itemFailure.reject(new Error("process failed"));
  await assert.rejects(done, /process failed/);
  await closed;
  await flushMicrotasks();
  assert.deepEqual(errors, []);
});

Deno.test("a throwing process stops the pipe, cancels the source, and the Desync carries on", async () => {
  const source = counter();
  const data = new Desync<number[]>([]);
  const done = pipeIn(data, source.stream, (d, n) => {
    if (n === 3) throw new Error(`bad item ${n}`);
    d.value.push(n);
  });
  await assert.rejects(done, /bad item 3/);
  assert.ok(source.cancelled, "the source was cancelled");
  assert.match(String((source.cancelled!.reason as Error).message), /bad item 3/);
  await delay(2);
  assert.deepEqual(data.sync((d) => d.value), [1, 2], "no item after the failure was processed");
  assert.equal(await data.futureSync((d) => d.value.length), 2, "the Desync still serves jobs");
});

Deno.test("a rejecting async process errors pipe's output after the results already produced", async () => {
  const source = counter();
  const output = pipe(new Desync(0), source.stream, async (_, n) => {
    await Promise.resolve();
    if (n === 3) throw new Error("async failure");
    return n;
  });
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 1);
  assert.equal((await reader.read()).value, 2);
  await assert.rejects(reader.read(), /async failure/);
  assert.ok(source.cancelled);
});

Deno.test("closing the Desync stops its pipes and cancels their sources", async () => {
  const source = counter();
  const input = channel<number>();
  const data = new Desync<number[]>([]);
  const fed = pipeIn(data, source.stream, async (d, n) => {
    await delay(1);
    d.value.push(n);
  }, { backpressure: 2 });
  const output = pipe(data, input.stream, (_, n) => n);
  input.send(100);
  await delay(3);
  const closing = data.close();
  await assert.rejects(fed, (e: unknown) => e instanceof ClosedError);
  assert.ok(source.cancelled?.reason instanceof ClosedError);
  assert.ok(input.cancelled?.reason instanceof ClosedError);
  await closing;
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 100, "results already produced are delivered");
  await assert.rejects(reader.read(), (e: unknown) => e instanceof ClosedError);
  // Items taken before the close still ran (close waits for them).
  const taken = data.queued;
  assert.equal(taken, 0);
});

Deno.test("options.signal stops a pipe at any time; the running process is told", async () => {
  const source = counter();
  const controller = new AbortController();
  const started = deferred<AbortSignal>();
  const data = new Desync(0);
  const processed: number[] = [];
  const done = pipeIn(data, source.stream, async (_, n, signal) => {
    processed.push(n);
    if (n === 2) {
      started.resolve(signal);
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
    }
  }, { signal: controller.signal });
  const signal = await started.promise;
  controller.abort(new Error("user hit stop"));
  await assert.rejects(done, /user hit stop/);
  assert.equal(signal.aborted, true, "the running process saw the abort");
  assert.ok(source.cancelled);
  await delay(2);
  assert.deepEqual(processed, [1, 2]);
});

Deno.test("an already-aborted signal fails the pipe at once and cancels the source", async () => {
  const signal = AbortSignal.abort(new Error("too late"));
  const source = counter();
  await assert.rejects(pipeIn(new Desync(0), source.stream, () => {}, { signal }), /too late/);
  assert.ok(source.cancelled);
  assert.equal(source.pulled, 0);
  const source2 = counter();
  const output = pipe(new Desync(0), source2.stream, (_, n) => n, { signal });
  await assert.rejects(output.getReader().read(), /too late/);
  assert.ok(source2.cancelled);
});

Deno.test("an error from the source's own cleanup goes to the error handler", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const source: Iterable<number> = {
    [Symbol.iterator]: () => ({
      next: () => ({ done: false, value: 1 }),
      return: () => {
        throw new Error("cleanup failed");
      },
    }),
  };
  const output = pipe(data, source, (_, n) => n);
  const reader = output.getReader();
  await reader.read();
  await reader.cancel();
  await flushMicrotasks();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["cleanup failed"]);
});

Deno.test("100,000 items through an async process: none lost, none duplicated, in order", async () => {
  const data = new Desync(0);
  const total = 100_000;
  function* numbers() {
    for (let i = 0; i < total; i++) yield i;
  }
  const output = pipe(data, numbers(), (d, n) => {
    d.value++;
    return n % 7 === 0 ? Promise.resolve(n) : n;
  });
  let expected = 0;
  for await (const n of output) {
    if (n !== expected) assert.fail(`expected ${expected}, got ${n}`);
    expected++;
  }
  assert.equal(expected, total);
  assert.equal(data.sync((d) => d.value), total);
});

Deno.test("pipe jobs are background work: they respect the concurrency budget", async () => {
  const pool = new Scheduler({ maxConcurrency: 1 });
  const gate = deferred();
  const blocker = new Desync(0, { scheduler: pool });
  const started = deferred();
  const held = blocker.futureDesync(() => {
    started.resolve();
    return gate.promise;
  });
  await started.promise; // the budget's only slot is taken
  const data = new Desync(0, { scheduler: pool });
  const done = pipeIn(data, [1, 2, 3], async (d, n) => {
    await Promise.resolve();
    d.value += n;
  });
  await delay(5);
  assert.equal(data.queued, 3, "all three items wait for the budget");
  assert.equal(data.running, false);
  gate.resolve();
  await held;
  await done;
  assert.equal(data.sync((d) => d.value), 6);
});
