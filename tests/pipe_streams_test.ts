// Copyright 2026 the desync authors. MIT license.
// The Web Streams forms of pipes, sink() (pipeTo) and transform()
// (pipeThrough): order and interleaving with other jobs, back-pressure that
// counts unread results, and every ending: a source error or an aborted
// writer is a soft ending (chunks already delivered are processed and
// readable, then the error), a failing process, a close, a cancelled output or
// an aborted signal is a hard stop (chunks not yet started are skipped, the
// running one is told).

import assert from "node:assert/strict";
import { ClosedError, Desync } from "../mod.ts";
import { sink, transform } from "../pipe.ts";
import {
  collect,
  deferred,
  delay,
  errorSink,
  streamFrom,
  waitFor,
  withTimeout,
} from "./_helpers.ts";
import { counter } from "./_streams.ts";

/**
 * A source that delivers 1, 2, ... `count` on demand, then errors with
 * `error`: through `pipeTo` / `pipeThrough`, the destination sees `count`
 * writes, then an abort with `error`.
 */
function failingAfter(count: number, error: Error) {
  let delivered = 0;
  const errored = deferred();
  const stream = new ReadableStream<number>({
    pull: (controller) => {
      if (delivered < count) {
        controller.enqueue(++delivered);
      } else {
        controller.error(error);
        errored.resolve();
      }
    },
  }, { highWaterMark: 0 });
  return { stream, errored: errored.promise };
}

/** Reads `stream` to its end; an error ends the list as `{ error }`. */
async function readAll(stream: ReadableStream<unknown>): Promise<unknown[]> {
  const reader = stream.getReader();
  const seen: unknown[] = [];
  try {
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      seen.push(step.value);
    }
  } catch (error) {
    seen.push({ error });
  }
  return seen;
}

Deno.test("sink: pipeTo resolves once every chunk was processed, in order", async () => {
  const log = new Desync<number[]>([]);
  await streamFrom([1, 2, 3, 4]).pipeTo(sink(log, async (l, n) => {
    await delay(n % 2);
    l.value.push(n);
  }));
  assert.deepEqual(log.sync((l) => l.value), [1, 2, 3, 4], "all processed when pipeTo resolved");
});

Deno.test("sink: chunks interleave with other jobs in FIFO order", async () => {
  const log = new Desync<string[]>([]);
  const writer = sink(log, (l, item: string) => void l.value.push(item)).getWriter();
  await writer.write("first");
  log.desync((l) => void l.value.push("job in between"));
  await writer.write("second");
  await writer.close();
  assert.deepEqual(log.sync((l) => l.value), ["first", "job in between", "second"]);
});

Deno.test("sink: writes wait while `backpressure` chunks are in flight", async () => {
  const source = counter();
  const gate = deferred();
  const data = new Desync(0);
  const stop = new AbortController();
  const piping = source.stream.pipeTo(
    sink(data, async (d, n: number) => {
      await gate.promise;
      d.value = n;
    }, { backpressure: 2 }),
    { signal: stop.signal },
  );
  await delay(5);
  // 2 in flight, plus what the streams themselves hold (the writable's high-water mark of 1).
  assert.ok(source.pulled >= 2 && source.pulled <= 4, `pulled ${source.pulled}`);
  stop.abort(new Error("done testing"));
  gate.resolve();
  await assert.rejects(piping, /done testing/);
  assert.ok(source.cancelled, "pipeTo cancelled the source");
});

Deno.test("sink: a failing process errors the stream, and pipeTo cancels its source", async () => {
  const source = counter();
  const data = new Desync<number[]>([]);
  await assert.rejects(
    source.stream.pipeTo(sink(data, (d, n: number) => {
      if (n === 3) throw new Error("cannot store 3");
      d.value.push(n);
    })),
    /cannot store 3/,
  );
  assert.ok(source.cancelled);
  await delay(2);
  assert.deepEqual(data.sync((d) => d.value), [1, 2]);
});

Deno.test("sink: closing the Desync errors the stream with ClosedError", async () => {
  const data = new Desync(0);
  const seen: number[] = [];
  const writer = sink(data, (_, n: number) => void seen.push(n)).getWriter();
  await writer.write(1);
  await data.close();
  await assert.rejects(writer.write(2), (e: unknown) => e instanceof ClosedError);
  assert.deepEqual(seen, [1], "the chunk written before the close was processed; none after");
});

Deno.test("sink: aborting the writer lets the chunks already written finish, then settles", async () => {
  const data = new Desync<number[]>([]);
  const gate = deferred();
  const writer = sink(data, async (d, n: number) => {
    await gate.promise;
    d.value.push(n);
  }).getWriter();
  void writer.write(1);
  void writer.write(2);
  await delay(1);
  let aborted = false;
  const aborting = writer.abort(new Error("no more input")).then(() => void (aborted = true));
  await delay(5);
  assert.equal(aborted, false, "abort waits for the chunks already written");
  gate.resolve();
  await aborting;
  assert.deepEqual(data.sync((d) => d.value), [1, 2], "both written chunks were processed");
  await assert.rejects(writer.write(3), /no more input/, "and the stream takes no more");
});

Deno.test("sink: a source error still processes every chunk it delivered; pipeTo rejects with it", async () => {
  const broke = new Error("source broke");
  const source = failingAfter(3, broke);
  const processed: number[] = [];
  const data = new Desync(0);
  await assert.rejects(
    source.stream.pipeTo(sink(data, async (_, n: number) => {
      await delay(1); // so the chunks are still queued when the abort comes
      processed.push(n);
    })),
    (error) => error === broke,
  );
  assert.deepEqual(processed, [1, 2, 3], "all processed when pipeTo rejected");
});

Deno.test("sink: a chunk failing after the source error rejects pipeTo with its error, once", async () => {
  const handler = errorSink();
  const data = new Desync(0, { onError: handler.handler });
  const source = failingAfter(3, new Error("source broke"));
  const gate = deferred();
  const processed: number[] = [];
  const piping = source.stream.pipeTo(sink(data, async (_, n: number) => {
    await gate.promise;
    if (n === 2) throw new Error("cannot store 2");
    processed.push(n);
  }));
  piping.catch(() => {}); // checked below (it must not settle before, but if it does...)
  await source.errored;
  await delay(1); // pipeTo has aborted the sink
  gate.resolve();
  await assert.rejects(piping, /cannot store 2/);
  await delay(2);
  assert.deepEqual(processed, [1], "a failing process stops the pipe at once: 3 is skipped");
  assert.deepEqual(handler.errors, [], "reported through pipeTo only");
});

Deno.test("sink: options.signal still stops at once after a source error", async () => {
  const source = failingAfter(3, new Error("source broke"));
  const gate = deferred();
  const started: number[] = [];
  const firstRunning = deferred();
  let told = false;
  const stop = new AbortController();
  const piping = source.stream.pipeTo(
    sink(new Desync(0), async (_, n: number, signal) => {
      started.push(n);
      firstRunning.resolve();
      await gate.promise;
      told = signal.aborted;
    }, { signal: stop.signal }),
  );
  piping.catch(() => {}); // checked below (it must not settle before, but if it does...)
  await source.errored;
  await firstRunning.promise; // chunk 1 runs (a background job: it may wait for the loop's turn)
  await delay(1); // pipeTo has aborted the sink
  stop.abort(new Error("stopped"));
  gate.resolve();
  await assert.rejects(piping, /stopped/, "a hard stop replaces the source's error");
  await delay(2);
  assert.deepEqual(started, [1], "the chunks not yet started are skipped");
  assert.ok(told, "the running one was told");
});

Deno.test("transform: pipeThrough yields one result per chunk, in order", async () => {
  const total = new Desync(0);
  const running = streamFrom([5, 10, 20])
    .pipeThrough(transform(total, async (t, n: number) => {
      await Promise.resolve();
      return (t.value += n);
    }));
  assert.deepEqual(await collect(running), [5, 15, 35]);
});

Deno.test("transform: cancelling the output cancels the upstream source", async () => {
  const source = counter();
  const data = new Desync(0);
  const reader = source.stream.pipeThrough(transform(data, (_, n: number) => n * 2)).getReader();
  assert.equal((await reader.read()).value, 2);
  await reader.cancel(new Error("enough"));
  await delay(2);
  assert.ok(source.cancelled, "pipeThrough propagated the cancel upstream");
});

Deno.test("transform: a failing process errors the output and cancels upstream", async () => {
  const source = counter();
  const reader = source.stream
    .pipeThrough(transform(new Desync(0), (_, n: number) => {
      if (n === 2) throw new Error("transform failed");
      return n;
    }))
    .getReader();
  assert.equal((await reader.read()).value, 1);
  await assert.rejects(reader.read(), /transform failed/);
  await delay(2);
  assert.ok(source.cancelled);
});

Deno.test("transform: an upstream error reaches the output after the chunks before it", async () => {
  let controller!: ReadableStreamDefaultController<number>;
  const upstream = new ReadableStream<number>({ start: (c) => void (controller = c) });
  const reader = upstream.pipeThrough(transform(new Desync(0), (_, n: number) => n + 1))
    .getReader();
  controller.enqueue(1);
  assert.equal((await reader.read()).value, 2);
  controller.error(new Error("upstream broke"));
  await assert.rejects(reader.read(), /upstream broke/);
});

Deno.test("transform: unread, its writable takes exactly `backpressure` chunks", async (t) => {
  for (const backpressure of [1, 3, 5]) {
    await t.step(`backpressure ${backpressure}`, async () => {
      const source = counter();
      let processed = 0;
      const options = backpressure === 5 ? undefined : { backpressure };
      const output = source.stream.pipeThrough(transform(new Desync(0), (_, n: number) => {
        processed++;
        return n;
      }, options));
      // The chunks' jobs are background work: wait for them, then give the pipe time to
      // take more. Results waiting unread count against the limit: nobody reads, so it must not.
      await waitFor(() => processed >= backpressure, `${backpressure} chunks processed`);
      await delay(50);
      assert.equal(processed, backpressure, `${processed} chunks taken while nobody reads`);
      assert.ok(source.pulled <= backpressure + 1, `pulled ${source.pulled}`);
      const reader = output.getReader();
      assert.equal((await reader.read()).value, 1);
      await waitFor(() => processed >= backpressure + 1, "a chunk processed after the read");
      await delay(10);
      assert.equal(processed, backpressure + 1, "reading one result makes room for one chunk");
      await reader.cancel("enough");
      await delay(2); // pipeThrough cancels its source asynchronously
      assert.deepEqual(source.cancelled, { reason: "enough" });
    });
  }
});

Deno.test("transform: a source error reaches the output after the results of every chunk it delivered", async (t) => {
  for (const backpressure of [1, 5]) {
    await t.step(`backpressure ${backpressure}`, async () => {
      const broke = new Error("source broke");
      const source = failingAfter(3, broke);
      const options = backpressure === 5 ? undefined : { backpressure };
      const output = source.stream.pipeThrough(
        transform(new Desync(0), (_, n: number) => n * 10, options),
      );
      await delay(20); // nobody reads yet
      assert.deepEqual(await readAll(output), [10, 20, 30, { error: broke }]);
    });
  }
});

Deno.test("transform: a chunk failing after the source error errors the output with its error", async () => {
  const handler = errorSink();
  const source = failingAfter(3, new Error("source broke"));
  const gate = deferred();
  const processed: number[] = [];
  const output = source.stream.pipeThrough(
    transform(new Desync(0, { onError: handler.handler }), async (_, n: number) => {
      if (n > 1) await gate.promise;
      if (n === 2) throw new Error("cannot map 2");
      processed.push(n);
      return n;
    }),
  );
  await source.errored;
  await delay(1); // pipeThrough has aborted the writable
  gate.resolve();
  const [first, ending, ...more] = await readAll(output);
  assert.equal(first, 1, "the result produced before the failure is readable");
  assert.match((ending as { error: Error }).error.message, /cannot map 2/);
  assert.deepEqual(more, []);
  await delay(2);
  assert.deepEqual(processed, [1], "a failing process stops the pipe at once: 3 is skipped");
  assert.deepEqual(handler.errors, [], "reported through the output only");
});

Deno.test("transform: cancelling the output still stops at once: unstarted chunks are skipped", async () => {
  const source = counter();
  const first = deferred();
  const gate = deferred();
  const thirdRunning = deferred();
  const started: number[] = [];
  let told = false;
  const output = source.stream.pipeThrough(
    transform(new Desync(0), async (_, n: number, signal) => {
      started.push(n);
      if (n === 1) await first.promise;
      if (n === 2) await delay(1);
      if (n === 3) {
        thirdRunning.resolve();
        await gate.promise;
        told = signal.aborted;
      }
      return n;
    }, { backpressure: 4 }),
  );
  await delay(5);
  // 1 and 2 finish while the writer waits: their unread results free no room.
  first.resolve();
  await withTimeout(thirdRunning.promise, 5_000, "chunk 3 starts once 1 and 2 finished");
  assert.deepEqual(started, [1, 2, 3], "1 and 2 unread, 3 running, 4 queued");
  // The limit, plus at most the one chunk the streams themselves may hold.
  assert.ok(source.pulled <= 5, `pulled ${source.pulled}`);
  await output.cancel("enough");
  gate.resolve();
  await delay(2);
  assert.deepEqual(started, [1, 2, 3], "4 was skipped");
  assert.ok(told, "the running chunk was told");
  assert.deepEqual(source.cancelled, { reason: "enough" }, "pipeThrough cancelled the source");
});

Deno.test("transform: cancelling the output after a source error still stops at once", async () => {
  const source = failingAfter(3, new Error("source broke"));
  const gate = deferred();
  const secondRunning = deferred();
  const started: number[] = [];
  let told = false;
  const output = source.stream.pipeThrough(
    transform(new Desync(0), async (_, n: number, signal) => {
      started.push(n);
      if (n === 2) {
        secondRunning.resolve();
        await gate.promise;
        told = signal.aborted;
      }
      return n;
    }),
  );
  await source.errored;
  await delay(1);
  const reader = output.getReader();
  assert.equal((await reader.read()).value, 1, "the soft ending kept the result");
  // Chunk 2 follows chunk 1 in a microtask, or after the event loop's turn when the
  // scheduler is due to give it one: it must be running when the output is cancelled.
  await secondRunning.promise;
  await reader.cancel("enough");
  gate.resolve();
  await delay(2);
  assert.deepEqual(started, [1, 2], "3 was skipped");
  assert.ok(told, "the running chunk was told");
});
