// Copyright 2026 the desync authors. MIT license.
// Scenarios 1 (burst) and 5 (async jobs): the cases, shared by burst_bench.ts
// (N = 10,000), burst_100k_bench.ts (N = 100,000) and async_bench.ts (jobs
// that await), which are separate files so that each runs in its own isolate
// (deno bench runs every file in a fresh one): the garbage the slow
// comparators leave in one group must not be collected during another's cases.
//
// Schedule N jobs fire-and-forget on one serializer, then await the last one.
// One iteration = N jobs.
//
// Every case runs the same synchronous job (`work`, a counter increment) N
// times in scheduling order and awaits the N-th, through the thinnest use of
// each library's API for "run this later, in order, one at a time":
// - promise chain (baseline): `last = last.then(work)`, await `last`.
// - desync: `Desync.desync` — `d.desync(work)` N-1 times (no promise, no
//   allocation), then `await d.futureSync(work)` for the last job.
// - desync: `JobQueue` — the same through the free functions `desync(q, job)`
//   and `futureSync(q, job)` of `@desync/desync/scheduler`.
// - fastq: `fastq.promise(worker, 1)`, worker `async (task) => task()`;
//   `push(work)` N times (each returns a promise), await the last. (fastq's
//   callback API with a synchronous worker would run every job inside `push`,
//   which is not deferral, so it is not used.)
// - p-queue: `new PQueue({ concurrency: 1 })`, `add(work)`, await the last.
// - p-limit: `pLimit(1)`, `limit(work)`, await the last.
// - async-mutex: `new Mutex()`, `runExclusive(work)`, await the last.
// - @henrygd/queue: `newQueue(1)`, `add(workPromised)` (its `add` needs a
//   function that returns a promise, so the job is the same increment in an
//   async function), await the last.
// Each serializer is created once per case and reused by every iteration, as
// an application would; each iteration checks that all N jobs ran.

import { newQueue } from "@henrygd/queue";
import { Mutex } from "async-mutex";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Desync } from "../mod.ts";
import { desync, futureSync, queue } from "../scheduler.ts";
import { count, expectRan, RUNS, runTask, state, work, workPromised } from "./_shared.ts";

/** The job a group runs, in the shapes the libraries need. */
export interface GroupJobs {
  /** What every serializer runs. */
  job: () => void | Promise<void>;
  /** The same job for APIs that need a function returning a promise (@henrygd/queue). */
  promisedJob: () => Promise<void>;
  /** fastq's promise worker: it must return a promise of running the task. */
  fastqWorker: (task: () => void | Promise<void>) => Promise<void>;
}

const SYNC_JOBS: GroupJobs = { job: work, promisedJob: workPromised, fastqWorker: runTask };

/** Registers the burst group for N = `n`. */
export function burstGroup(n: number): void {
  fireAndAwaitGroup(`burst N=${count(n)}`, n, SYNC_JOBS);
}

/**
 * Registers a group that schedules N jobs fire-and-forget on one serializer
 * and awaits the last one, with every library.
 */
export function fireAndAwaitGroup(group: string, n: number, jobs: GroupJobs): void {
  const { job, promisedJob, fastqWorker } = jobs;

  Deno.bench({
    name: "promise chain · last = last.then(job)",
    group,
    baseline: true,
    ...RUNS,
    async fn() {
      const before = state.count;
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < n; i++) last = last.then(job);
      await last;
      expectRan(before, n, group);
    },
  });

  const d = new Desync(state);
  Deno.bench({
    name: "desync: Desync · desync(job), await futureSync(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) d.desync(job);
      await d.futureSync(job);
      expectRan(before, n, group);
    },
  });

  const q = queue();
  Deno.bench({
    name: "desync: JobQueue · desync(q, job), await futureSync(q, job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) desync(q, job);
      await futureSync(q, job);
      expectRan(before, n, group);
    },
  });

  const fq = fastq.promise(fastqWorker, 1);
  Deno.bench({
    name: "fastq · promise(worker, 1).push(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) fq.push(job);
      await fq.push(job);
      expectRan(before, n, group);
    },
  });

  const pq = new PQueue({ concurrency: 1 });
  Deno.bench({
    name: "p-queue · add(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) pq.add(job);
      await pq.add(job);
      expectRan(before, n, group);
    },
  });

  const limit = pLimit(1);
  Deno.bench({
    name: "p-limit · limit(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) limit(job);
      await limit(job);
      expectRan(before, n, group);
    },
  });

  const mutex = new Mutex();
  Deno.bench({
    name: "async-mutex · runExclusive(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) mutex.runExclusive(job);
      await mutex.runExclusive(job);
      expectRan(before, n, group);
    },
  });

  const hq = newQueue(1);
  Deno.bench({
    name: "@henrygd/queue · add(job)",
    group,
    ...RUNS,
    async fn() {
      const before = state.count;
      for (let i = 1; i < n; i++) hq.add(promisedJob);
      await hq.add(promisedJob);
      expectRan(before, n, group);
    },
  });
}
