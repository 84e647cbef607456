// Copyright 2026 the desync authors. MIT license.
// Scenario 2, roundtrip: await each job before scheduling the next, N = 10,000
// jobs per iteration on one serializer (the queue is never more than one job
// deep, so one promise per job is unavoidable, except with `sync`).
//
// Every case runs the same synchronous job (`work`, a counter increment):
// - promise chain (baseline): `last = last.then(work); await last` per job.
// - desync: `Desync` · `await d.futureSync(work)` per job: foreground work,
//   which on an idle object runs at once on the caller's stack and returns a
//   settled promise.
// - desync: `Desync` · `await d.futureDesync(work)` per job: background work,
//   started by the scheduler a microtask later; returns a SchedulerFuture.
// - desync: `JobQueue` · `await futureSync(q, work)` (free function).
// - desync: `Desync` · `d.sync(work)` per job, nothing to await: the result is
//   returned synchronously. Shown for reference; the roundtrip target is
//   measured with `futureSync`.
// - fastq (`promise(worker, 1)`, worker `async (task) => task()`) · `await push(work)`;
//   p-queue (`concurrency: 1`) · `await add(work)`; p-limit(1) · `await limit(work)`;
//   async-mutex · `await runExclusive(work)`; @henrygd/queue(1) · `await add(workPromised)`
//   (its `add` needs a promise-returning function: the same increment in an async function).
// Serializers are created once per case and reused; each iteration checks that
// all N jobs ran.

import { newQueue } from "@henrygd/queue";
import { Mutex } from "async-mutex";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Desync } from "../mod.ts";
import { futureSync, queue } from "../scheduler.ts";
import { count, expectRan, RUNS, runTask, size, state, work, workPromised } from "./_shared.ts";

function roundtripGroup(n: number): void {
  const group = `roundtrip N=${count(n)}`;

  Deno.bench({
    name: "promise chain · last = last.then(job); await last",
    group,
    baseline: true,
    ...RUNS,
    async fn() {
      const before = state.count;
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < n; i++) {
        last = last.then(work);
        await last;
      }
      expectRan(before, n, group);
    },
  });

  const d = new Desync(state);
  Deno.bench({
    name: "desync: Desync · await futureSync(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await d.futureSync(work);
      expectRan(before, n, group);
    },
  });

  const background = new Desync(state);
  Deno.bench({
    name: "desync: Desync · await futureDesync(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await background.futureDesync(work);
      expectRan(before, n, group);
    },
  });

  const q = queue();
  Deno.bench({
    name: "desync: JobQueue · await futureSync(q, job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await futureSync(q, work);
      expectRan(before, n, group);
    },
  });

  const inline = new Desync(state);
  Deno.bench({
    name: "desync: Desync · sync(job) (no promise)",
    group,
    ...RUNS,
    fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) inline.sync(work);
      expectRan(before, n, group);
    },
  });

  const fq = fastq.promise(runTask, 1);
  Deno.bench({
    name: "fastq · await promise(worker, 1).push(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await fq.push(work);
      expectRan(before, n, group);
    },
  });

  const pq = new PQueue({ concurrency: 1 });
  Deno.bench({
    name: "p-queue · await add(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await pq.add(work);
      expectRan(before, n, group);
    },
  });

  const limit = pLimit(1);
  Deno.bench({
    name: "p-limit · await limit(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await limit(work);
      expectRan(before, n, group);
    },
  });

  const mutex = new Mutex();
  Deno.bench({
    name: "async-mutex · await runExclusive(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await mutex.runExclusive(work);
      expectRan(before, n, group);
    },
  });

  const hq = newQueue(1);
  Deno.bench({
    name: "@henrygd/queue · await add(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 0; i < n; i++) await hq.add(workPromised);
      expectRan(before, n, group);
    },
  });
}

roundtripGroup(size(10_000, 1_000));
