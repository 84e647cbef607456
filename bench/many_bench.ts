// Copyright 2026 the desync authors. MIT license.
// Scenario 4, many objects (the Desync-shaped workload no one publishes):
// M = 1,000 objects, K = 100 jobs each, scheduled round by round (job k of
// every object, then job k+1 of every object, as requests for different
// objects arrive interleaved); then await the last job of every object
// (`Promise.all` over M promises). One iteration = M × K jobs.
//
// Every case runs the same synchronous job (`work`, a counter increment):
// - promise chain per object (baseline): an array of M tails,
//   `tails[o] = tails[o].then(work)` — the hand-rolled per-key lock.
// - desync: M `Desync`s sharing one `new Scheduler()` · `desync(job)` for the
//   first K-1 rounds, `futureSync(job)` for the last.
// - p-queue: one `PQueue({ concurrency: 1 })` per object · `add(job)`.
// - async-mutex: one `Mutex` per object · `runExclusive(job)`.
// - async-lock (the keyed lock): one `AsyncLock`, key = object index ·
//   `acquire(key, job)`.
// - fastq: one `fastq.promise(worker, 1)` per object · `push(job)`.
// - p-limit: one `pLimit(1)` per object · `limit(job)`.
// - @henrygd/queue: one `newQueue(1)` per object · `add(workPromised)`.
// Objects (and serializers) are created once per case and reused by every
// iteration; each iteration checks that all M × K jobs ran.

import { newQueue } from "@henrygd/queue";
import AsyncLock from "async-lock";
import { Mutex } from "async-mutex";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Desync, Scheduler } from "../mod.ts";
import { count, expectRan, RUNS, runTask, size, state, work, workPromised } from "./_shared.ts";

const M = size(1_000, 100);
const K = size(100, 10);
const TOTAL = M * K;
const group = `many objects ${count(M)}×${count(K)}`;

function objects<T>(make: () => T): T[] {
  return Array.from({ length: M }, make);
}

/**
 * Schedules K rounds over `targets`: `fire` for the first K-1 jobs of each
 * object, `last` for the final one, whose promises are awaited together.
 */
async function rounds<T>(
  targets: T[],
  fire: (target: T, index: number) => unknown,
  last: (target: T, index: number) => Promise<unknown>,
): Promise<void> {
  const before = state.count;
  for (let k = 1; k < K; k++) {
    for (let o = 0; o < M; o++) fire(targets[o], o);
  }
  const pending: Promise<unknown>[] = new Array(M);
  for (let o = 0; o < M; o++) pending[o] = last(targets[o], o);
  await Promise.all(pending);
  expectRan(before, TOTAL, group);
}

const tails: Promise<void>[] = objects(() => Promise.resolve());
Deno.bench({
  name: "promise chain per object · tails[o] = tails[o].then(job)",
  group,
  baseline: true,
  ...RUNS,
  async fn() {
    await rounds(
      tails,
      (tail, o) => (tails[o] = tail.then(work)),
      (tail, o) => (tails[o] = tail.then(work)),
    );
  },
});

const shared = new Scheduler();
const desyncs = objects(() => new Desync(state, { scheduler: shared }));
Deno.bench({
  name: "desync: Desync per object, one Scheduler · desync(job), futureSync(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(desyncs, (d) => d.desync(work), (d) => d.futureSync(work));
  },
});

const pqueues = objects(() => new PQueue({ concurrency: 1 }));
Deno.bench({
  name: "p-queue per object · add(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(pqueues, (pq) => pq.add(work), (pq) => pq.add(work));
  },
});

const mutexes = objects(() => new Mutex());
Deno.bench({
  name: "async-mutex per object · runExclusive(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(mutexes, (m) => m.runExclusive(work), (m) => m.runExclusive(work));
  },
});

const lock = new AsyncLock();
const keys = objects(() => lock);
Deno.bench({
  name: "async-lock keyed lock · acquire(key, job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(
      keys,
      (l, o) => l.acquire(o, work),
      (l, o) => l.acquire(o, work),
    );
  },
});

const fastqs = objects(() => fastq.promise(runTask, 1));
Deno.bench({
  name: "fastq per object · promise(worker, 1).push(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(fastqs, (fq) => fq.push(work), (fq) => fq.push(work));
  },
});

const limits = objects(() => pLimit(1));
Deno.bench({
  name: "p-limit per object · limit(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(limits, (limit) => limit(work), (limit) => limit(work));
  },
});

const hqueues = objects(() => newQueue(1));
Deno.bench({
  name: "@henrygd/queue per object · add(job)",
  group,
  ...RUNS,
  async fn() {
    await rounds(hqueues, (hq) => hq.add(workPromised), (hq) => hq.add(workPromised));
  },
});
