// Copyright 2026 the desync authors. MIT license.
// The Web Streams forms of pipes: sink (pipeTo) and transform (pipeThrough).

import assert from "node:assert/strict";
import { ClosedError, Desync } from "../mod.ts";
import { sink, transform } from "../pipe.ts";
import { collect, deferred, delay, streamFrom } from "./_helpers.ts";
import { counter } from "./_streams.ts";

Deno.test("sink: pipeTo resolves once every chunk was processed, in order", async () => {
  const log = new Desync<number[]>([]);
  await streamFrom([1, 2, 3, 4]).pipeTo(log.sink(async (l, n) => {
    await delay(n % 2);
    l.value.push(n);
  }));
  assert.deepEqual(log.sync((l) => l.value), [1, 2, 3, 4], "all processed when pipeTo resolved");
});

Deno.test("sink: chunks interleave with other jobs in FIFO order", async () => {
  const log = new Desync<string[]>([]);
  const writer = log.sink((l, item: string) => void l.value.push(item)).getWriter();
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
  const writer = data.sink((_, n: number) => void seen.push(n)).getWriter();
  await writer.write(1);
  await data.close();
  await assert.rejects(writer.write(2), (e: unknown) => e instanceof ClosedError);
  assert.deepEqual(seen, [1], "the chunk written before the close was processed; none after");
});

Deno.test("sink: aborting the writer stops processing", async () => {
  const data = new Desync<number[]>([]);
  const gate = deferred();
  const writer = data.sink(async (d, n: number) => {
    await gate.promise;
    d.value.push(n);
  }).getWriter();
  void writer.write(1);
  void writer.write(2).catch(() => {});
  await delay(1);
  await writer.abort(new Error("abandoned"));
  gate.resolve();
  await delay(2);
  assert.deepEqual(
    await data.futureSync((d) => d.value),
    [1],
    "the running chunk finished; no more",
  );
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
  const reader = source.stream.pipeThrough(data.transform((_, n: number) => n * 2)).getReader();
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
