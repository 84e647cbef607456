// Copyright 2026 the desync authors. MIT license.
// Scenario 7, pipes: the per-item cost of moving N = 10,000 items from a
// ReadableStream through a Desync, against what the platform does without
// one. Every case sums the same items; the baselines have no ordering or
// exclusivity guarantees to keep, so the ratio is the price of those.
//
// - "async-iterator loop" (baseline): `for await` over the source, adding
//   each item to a local total.
// - "identity TransformStream": the source piped through `new
//   TransformStream()` and read to the end (the platform's own per-chunk cost).
// - desync: `pipeIn`, `pipe` (read to the end), `sink` (pipeTo), `transform`
//   (pipeThrough, read to the end), each adding the item to a Desync's total.

import { Desync } from "../mod.ts";
import { pipe, pipeIn, sink, transform } from "../pipe.ts";
import { count, RUNS, size } from "./_shared.ts";

const N = size(10_000, 500);
const group = `pipe N=${count(N)} items`;
const items = Array.from({ length: N }, (_, i) => i);
const source = () => ReadableStream.from(items);
const add = (total: { value: number }, item: number) => (total.value += item);

async function drain(stream: ReadableStream<unknown>): Promise<void> {
  for await (const _ of stream) { /* read to the end */ }
}

Deno.bench({
  name: "async-iterator loop · for await",
  group,
  baseline: true,
  ...RUNS,
  async fn() {
    let total = 0;
    for await (const item of source()) total += item;
    if (total < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "identity TransformStream · pipeThrough(new TransformStream())",
  group,
  ...RUNS,
  async fn() {
    await drain(source().pipeThrough(new TransformStream()));
  },
});

Deno.bench({
  name: "desync: pipeIn(desync, source, process)",
  group,
  ...RUNS,
  async fn() {
    await pipeIn(new Desync(0), source(), add);
  },
});

Deno.bench({
  name: "desync: pipe(desync, source, process)",
  group,
  ...RUNS,
  async fn() {
    await drain(pipe(new Desync(0), source(), add));
  },
});

Deno.bench({
  name: "desync: pipeTo(desync.sink(process))",
  group,
  ...RUNS,
  async fn() {
    await source().pipeTo(sink(new Desync(0), add));
  },
});

Deno.bench({
  name: "desync: pipeThrough(desync.transform(process))",
  group,
  ...RUNS,
  async fn() {
    await drain(source().pipeThrough(transform(new Desync(0), add)));
  },
});
