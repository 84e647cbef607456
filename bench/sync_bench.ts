// Copyright 2026 the desync authors. MIT license.
// Scenario 3, the synchronous fast path: 1,000 calls per iteration on an idle
// object (nothing queued, nothing in flight), each running the same job
// (`work`, a counter increment) and returning its result synchronously.
// - direct call (baseline): `work()` — what the job costs with no library.
// - desync: `Desync` · `d.sync(work)` — checks, runs any queued jobs first
//   (none here), runs the job on the caller's stack.
// - desync: `Desync` · `d.trySync(work)` — runs only if idle and empty.
// - desync: `JobQueue` · `sync(q, work)` / `trySync(q, work)` — the free
//   functions of `@desync/desync/scheduler`.
// No comparator has a synchronous path: they all return promises. Each
// iteration checks that all 1,000 jobs ran.

import { Desync } from "../mod.ts";
import { queue, sync, trySync } from "../scheduler.ts";
import { count, expectRan, RUNS, size, state, work } from "./_shared.ts";

const CALLS = size(1_000, 1_000);
const group = `sync on idle (${count(CALLS)} calls)`;

Deno.bench({
  name: "direct call · job()",
  group,
  baseline: true,
  ...RUNS,
  fn() {
    const before = state.count;
    for (let i = 0; i < CALLS; i++) work();
    expectRan(before, CALLS, group);
  },
});

const d = new Desync(state);
Deno.bench({
  name: "desync: Desync · sync(job)",
  group,
  ...RUNS,
  fn() {
    const before = state.count;
    for (let i = 0; i < CALLS; i++) d.sync(work);
    expectRan(before, CALLS, group);
  },
});

Deno.bench({
  name: "desync: Desync · trySync(job)",
  group,
  ...RUNS,
  fn() {
    const before = state.count;
    for (let i = 0; i < CALLS; i++) d.trySync(work);
    expectRan(before, CALLS, group);
  },
});

const q = queue();
Deno.bench({
  name: "desync: JobQueue · sync(q, job)",
  group,
  ...RUNS,
  fn() {
    const before = state.count;
    for (let i = 0; i < CALLS; i++) sync(q, work);
    expectRan(before, CALLS, group);
  },
});

Deno.bench({
  name: "desync: JobQueue · trySync(q, job)",
  group,
  ...RUNS,
  fn() {
    const before = state.count;
    for (let i = 0; i < CALLS; i++) trySync(q, work);
    expectRan(before, CALLS, group);
  },
});
