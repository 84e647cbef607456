// Copyright 2026 the desync authors. MIT license.
// A first measurement of the hot paths against the bare-promise baseline.
// The full comparison with other libraries lives in the benchmark suite.

import { Desync } from "../mod.ts";

const N = 10_000;

Deno.bench({
  name: "promise chain",
  group: "burst 10k",
  baseline: true,
  async fn() {
    let counter = 0;
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < N; i++) last = last.then(() => void counter++);
    await last;
  },
});

Deno.bench({
  name: "Desync.desync + futureSync",
  group: "burst 10k",
  async fn() {
    const data = new Desync(0);
    for (let i = 0; i < N - 1; i++) data.desync((n) => void n.value++);
    await data.futureSync((n) => n.value++);
  },
});

Deno.bench({
  name: "direct call",
  group: "sync on idle",
  baseline: true,
  fn() {
    const ref = { value: 0 };
    const job = (r: { value: number }) => r.value++;
    for (let i = 0; i < 1000; i++) job(ref);
  },
});

const idle = new Desync(0);
Deno.bench({
  name: "Desync.sync",
  group: "sync on idle",
  fn() {
    for (let i = 0; i < 1000; i++) idle.sync((n) => n.value++);
  },
});
