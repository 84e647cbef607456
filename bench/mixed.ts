// Copyright 2026 the desync authors. MIT license.
// The headline benchmark: every library in ONE process, case after case,
// with long samples; the figures docs/benchmarks.md leads with.
//
//   deno run bench/mixed.ts           # a readable table (deno task bench:mixed)
//   deno run bench/mixed.ts --json    # for bench/report.ts (the table goes to stderr)
//   options: --smoke          tiny sizes, 3 rounds of 2 runs: seconds, for CI
//            --rounds=11 --runs=40 --sample-ms=250 --min-sample-ms=50 --warmup=1
//            --slow-ms=1000 --slow-rounds=3
//            --only=burst-10k,sync   some scenarios (ids: burst-10k, burst-100k,
//                                    roundtrip, sync, many, async)
//            --gc             a full GC before each sample (a diagnostic; needs
//                             --v8-flags=--expose-gc; see "Method")
//
// No permission is needed: it reads nothing and writes only to stdout
// (results) and stderr (progress).
//
// Why one process: users run many libraries in one process, so V8's inline
// caches and optimized code see everyone's code, and a library's call sites
// see every job of the application. `deno bench` gives each bench file a
// fresh isolate, in which a library's hot paths see only its own calls; that
// flatters whoever benefits most from monomorphic call sites, and is not what
// an application sees. Here every library, and every job shape (`work`,
// `workAsync`, `workPromised`), has run through the same isolate before the
// first measured round.
//
// Why alternating, long samples: the machine (2 shared cores, other
// processes) drifts by tens of percent within seconds, and a sample of one
// 0.5 ms run lands on a GC or a stolen time slice often enough that burst
// ratios swung from 0.55× to 1.35× between runs. So every case is sampled
// once per round, right after the others (drift hits all alike), a sample is
// 40 consecutive runs, and a figure is the median of 11 rounds.
//
// Method:
// - Calibration: each case runs once (which compiles it), then once timed.
//   Runs per sample = 40 (`--runs`); fewer for a case so slow that 40 runs
//   would last over `--sample-ms` (250 ms; one run of those lasts
//   milliseconds already, which is what long samples are for; at least one);
//   more for a case so fast that 40 runs would last under `--min-sample-ms`
//   (50 ms: the floors, `sync`). Samples of similar length matter on a
//   shared machine: a 3 ms sample often fits between two preemptions and a
//   50 ms one never does, so the median of short samples is flattered. The
//   count is the same in every round, and reported.
// - Warm-up: `--warmup` rounds (1), not recorded; the runs per sample are
//   recalibrated from them (the first timed run is cold).
// - Slow cases: a case whose one run lasts over `--slow-ms` (1 s: async-lock
//   and async-mutex at N=100,000, whose cost grows faster than N, take 10–15
//   s) is sampled in `--slow-rounds` (3) of the rounds, spread over the run,
//   and skips the warm-up; its ratios pair it with the floor and the chain of
//   those rounds. Such cases are hundreds of times the floor: three samples
//   are enough to say so, and sampling them every round would triple the
//   run's length.
// - Rounds: `--rounds` (11). In each, every scenario in turn; within a
//   scenario, every case in turn, one sample each, starting one case later in
//   each round so that no case always follows the same one.
// - Before each sample, untimed: a turn of the event loop, so that whatever
//   the case before left pending (a scheduler's macrotask) is not timed. No
//   GC is forced: the garbage of one case may be collected during the next
//   one's sample, as in an application, and the rotation spreads that over
//   all cases. (Forcing a full GC before every sample, `--gc`, was tried: it
//   left desync's burst 2–4× and its `sync` 2× slower for the whole run, the
//   promise chain barely slower; V8 drops optimized code and inline-cache
//   state at full GCs, which at one GC per sample is no application's
//   steady state.)
// - A sample = its runs timed together; ns/job = time ÷ (runs × jobs per run).
// - Per case: the median ns/job over the rounds and its interquartile range,
//   and the ratio to the floor (and to the promise chain) taken round by
//   round (this case's sample ÷ the floor's sample of the same round), whose
//   median and interquartile range are reported.
// - Every run checks that all its jobs ran (`expectRan`), so a case that
//   silently measures nothing fails the run.
//
// Scenarios and cases. Every case runs the same job (`work`, a counter
// increment; `workAsync` in the async scenario), through the thinnest use of
// each library's API, as in the per-file suite (_burst.ts and the
// *_bench.ts files say the same). Serializers are created once, before the
// rounds, and reused by every run. No measured loop allocates anything beyond
// what the library needs (fire-and-forget promises that APIs return are
// dropped); the floors' arrays are preallocated.
// - burst N=10,000 and N=100,000: schedule N jobs fire-and-forget on one
//   serializer, await the last.
//   - floor: `slots[i] = job` into a preallocated array N times, then
//     `slots[i]()` for each: storing and calling the same closures, the least
//     any queue must do (no library, no promise).
//   - promise chain (baseline): `last = last.then(job)`, await `last`.
//   - desync: `Desync` · `d.desync(job)` N-1 times, `await d.futureSync(job)`;
//     `JobQueue` · the same with `desync(q, job)`, `futureSync(q, job)`.
//   - fastq: `fastq.promise(worker, 1)`, worker `async (task) => task()`;
//     `push(job)`, await the last. p-queue: `new PQueue({ concurrency: 1 })`
//     · `add(job)`. p-limit: `pLimit(1)` · `limit(job)`. async-mutex:
//     `new Mutex()` · `runExclusive(job)`. async-lock: `new AsyncLock({
//     maxPending: Infinity })` (its default refuses more than 1,000 waiting
//     jobs) · `acquire(key, job)`, one key. @henrygd/queue: `newQueue(1)` ·
//     `add(workPromised)` (it needs a promise-returning job: the same
//     increment in an async function).
// - roundtrip N=10,000: await each job before scheduling the next.
//   - floor: `await job()`: the job called directly and its result awaited,
//     one microtask turn per job, no queue.
//   - promise chain (baseline): `last = last.then(job); await last`.
//   - desync: `await d.futureSync(job)`; `await d.futureDesync(job)`;
//     `JobQueue` · `await futureSync(q, job)`.
//   - the comparators as in burst, each call awaited.
// - sync on idle, 10,000 calls per run: the job run synchronously on an
//   object with nothing queued or in flight.
//   - floor: a direct call, `job()`.
//   - desync: `Desync` · `d.sync(job)`, `d.trySync(job)`; `JobQueue` ·
//     `sync(q, job)`, `trySync(q, job)`. No comparator has a synchronous path.
// - many objects 1,000 × 100: M objects, K jobs each, scheduled round by
//   round (job k of every object, then job k+1 of every object), then the
//   last job of every object awaited together (`Promise.all`, over an array
//   preallocated per case).
//   - floor: one preallocated array of K slots per object, filled round by
//     round, then each object's slots called in order.
//   - promise chain per object (baseline): `tails[o] = tails[o].then(job)`.
//   - desync: a `Desync` per object, sharing one `new Scheduler()` ·
//     `desync(job)`, `futureSync(job)` for the last round.
//   - one serializer per object of each comparator, as in burst; async-lock:
//     one lock, key = the object's index.
// - async jobs N=10,000: jobs that await a resolved promise, then increment;
//   each holds its serializer until its promise settles. As burst, with:
//   - floor: the closures stored as in burst, then `await slots[i]()` for
//     each in turn.
//   - fastq's worker `(task) => Promise.resolve(task())` (it must wait for the
//     job), @henrygd/queue's job `workAsync` itself.

import { newQueue } from "@henrygd/queue";
import AsyncLock from "async-lock";
import { Mutex } from "async-mutex";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Desync, Scheduler } from "../mod.ts";
import { desync, futureSync, queue, sync, trySync } from "../scheduler.ts";
import type { GroupJobs } from "./_burst.ts";
import {
  type Case,
  formatText,
  measureRounds,
  parseOptions,
  progress,
  type Scenario,
} from "./_rounds.ts";
import { expectRan, runTask, state, work, workAsync, workPromised } from "./_shared.ts";

export type { MixedCase, MixedResults, MixedScenario, Role } from "./_rounds.ts";

// ---------------------------------------------------------------- scenarios

const SYNC_JOBS: GroupJobs = { job: work, promisedJob: workPromised, fastqWorker: runTask };
const ASYNC_JOBS: GroupJobs = {
  job: workAsync,
  promisedJob: workAsync,
  fastqWorker: (task) => Promise.resolve(task()),
};

/** A preallocated array of `n` slots, packed (filled), so storing into it never allocates. */
function slotsOf<T>(n: number, fill: T): T[] {
  return new Array<T>(n).fill(fill);
}

/** The burst floor: store the closures, then call each. */
function storeThenCall(title: string, n: number): Case {
  const slots = slotsOf<() => void>(n, work);
  return {
    name: "floor · slots[i] = job, then slots[i]() for each",
    library: "floor",
    role: "floor",
    run() {
      const before = state.count;
      for (let i = 0; i < n; i++) slots[i] = work;
      for (let i = 0; i < n; i++) slots[i]();
      expectRan(before, n, title);
    },
  };
}

/** The async floor: store the closures, then await each in turn. */
function storeThenAwait(title: string, n: number): Case {
  const slots = slotsOf<() => Promise<void>>(n, workAsync);
  return {
    name: "floor · slots[i] = job, then await slots[i]() for each",
    library: "floor",
    role: "floor",
    async run() {
      const before = state.count;
      for (let i = 0; i < n; i++) slots[i] = workAsync;
      for (let i = 0; i < n; i++) await slots[i]();
      expectRan(before, n, title);
    },
  };
}

/** Schedules N jobs fire-and-forget on one serializer and awaits the last, with every library. */
function fireAndAwait(
  id: string,
  title: string,
  n: number,
  jobs: GroupJobs,
  floor: Case,
): Scenario {
  const { job, promisedJob, fastqWorker } = jobs;
  const d = new Desync(state);
  const q = queue();
  const fq = fastq.promise(fastqWorker, 1);
  const pq = new PQueue({ concurrency: 1 });
  const limit = pLimit(1);
  const mutex = new Mutex();
  const lock = new AsyncLock({ maxPending: Infinity });
  const hq = newQueue(1);
  return {
    id,
    title,
    jobs: n,
    cases: [
      floor,
      {
        name: "promise chain · last = last.then(job)",
        library: "promise chain",
        role: "baseline",
        async run() {
          const before = state.count;
          let last: Promise<void> = Promise.resolve();
          for (let i = 0; i < n; i++) last = last.then(job);
          await last;
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: Desync · desync(job), await futureSync(job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) d.desync(job);
          await d.futureSync(job);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: JobQueue · desync(q, job), await futureSync(q, job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) desync(q, job);
          await futureSync(q, job);
          expectRan(before, n, title);
        },
      },
      {
        name: "fastq · promise(worker, 1).push(job)",
        library: "fastq",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) fq.push(job);
          await fq.push(job);
          expectRan(before, n, title);
        },
      },
      {
        name: "p-queue · add(job)",
        library: "p-queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) pq.add(job);
          await pq.add(job);
          expectRan(before, n, title);
        },
      },
      {
        name: "p-limit · limit(job)",
        library: "p-limit",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) limit(job);
          await limit(job);
          expectRan(before, n, title);
        },
      },
      {
        name: "async-mutex · runExclusive(job)",
        library: "async-mutex",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) mutex.runExclusive(job);
          await mutex.runExclusive(job);
          expectRan(before, n, title);
        },
      },
      {
        name: "async-lock · acquire(key, job), one key",
        library: "async-lock",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) lock.acquire("key", job);
          await lock.acquire("key", job);
          expectRan(before, n, title);
        },
      },
      {
        name: "@henrygd/queue · add(job)",
        library: "@henrygd/queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 1; i < n; i++) hq.add(promisedJob);
          await hq.add(promisedJob);
          expectRan(before, n, title);
        },
      },
    ],
  };
}

function roundtrip(n: number): Scenario {
  const title = `roundtrip N=${count(n)}`;
  const d = new Desync(state);
  const background = new Desync(state);
  const q = queue();
  const fq = fastq.promise(runTask, 1);
  const pq = new PQueue({ concurrency: 1 });
  const limit = pLimit(1);
  const mutex = new Mutex();
  const lock = new AsyncLock();
  const hq = newQueue(1);
  return {
    id: "roundtrip",
    title,
    jobs: n,
    cases: [
      {
        name: "floor · await job()",
        library: "floor",
        role: "floor",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await work();
          expectRan(before, n, title);
        },
      },
      {
        name: "promise chain · last = last.then(job); await last",
        library: "promise chain",
        role: "baseline",
        async run() {
          const before = state.count;
          let last: Promise<void> = Promise.resolve();
          for (let i = 0; i < n; i++) {
            last = last.then(work);
            await last;
          }
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: Desync · await futureSync(job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await d.futureSync(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: Desync · await futureDesync(job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await background.futureDesync(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: JobQueue · await futureSync(q, job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await futureSync(q, work);
          expectRan(before, n, title);
        },
      },
      {
        name: "fastq · await promise(worker, 1).push(job)",
        library: "fastq",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await fq.push(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "p-queue · await add(job)",
        library: "p-queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await pq.add(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "p-limit · await limit(job)",
        library: "p-limit",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await limit(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "async-mutex · await runExclusive(job)",
        library: "async-mutex",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await mutex.runExclusive(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "async-lock · await acquire(key, job), one key",
        library: "async-lock",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await lock.acquire("key", work);
          expectRan(before, n, title);
        },
      },
      {
        name: "@henrygd/queue · await add(job)",
        library: "@henrygd/queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let i = 0; i < n; i++) await hq.add(workPromised);
          expectRan(before, n, title);
        },
      },
    ],
  };
}

function syncOnIdle(n: number): Scenario {
  const title = `sync on idle (${count(n)} calls)`;
  const d = new Desync(state);
  const q = queue();
  return {
    id: "sync",
    title,
    jobs: n,
    cases: [
      {
        name: "floor: direct call · job()",
        library: "floor",
        role: "floor",
        run() {
          const before = state.count;
          for (let i = 0; i < n; i++) work();
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: Desync · sync(job)",
        library: "desync",
        role: "desync",
        run() {
          const before = state.count;
          for (let i = 0; i < n; i++) d.sync(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: Desync · trySync(job)",
        library: "desync",
        role: "desync",
        run() {
          const before = state.count;
          for (let i = 0; i < n; i++) d.trySync(work);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: JobQueue · sync(q, job)",
        library: "desync",
        role: "desync",
        run() {
          const before = state.count;
          for (let i = 0; i < n; i++) sync(q, work);
          expectRan(before, n, title);
        },
      },
      {
        name: "desync: JobQueue · trySync(q, job)",
        library: "desync",
        role: "desync",
        run() {
          const before = state.count;
          for (let i = 0; i < n; i++) trySync(q, work);
          expectRan(before, n, title);
        },
      },
    ],
  };
}

function manyObjects(m: number, k: number): Scenario {
  const title = `many objects ${count(m)}×${count(k)}`;
  const total = m * k;
  const objects = <T>(make: (o: number) => T): T[] => Array.from({ length: m }, (_, o) => make(o));
  /** The promises of the last round, awaited together; one array per case, reused. */
  const pendingArray = () => slotsOf<Promise<unknown> | undefined>(m, undefined);

  const lanes = objects(() => slotsOf<() => void>(k, work));
  const tails = objects(() => Promise.resolve());
  const shared = new Scheduler();
  const desyncs = objects(() => new Desync(state, { scheduler: shared }));
  const fastqs = objects(() => fastq.promise(runTask, 1));
  const pqueues = objects(() => new PQueue({ concurrency: 1 }));
  const limits = objects(() => pLimit(1));
  const mutexes = objects(() => new Mutex());
  const lock = new AsyncLock({ maxPending: Infinity });
  const hqueues = objects(() => newQueue(1));
  const pending = {
    chain: pendingArray(),
    desync: pendingArray(),
    fastq: pendingArray(),
    pqueue: pendingArray(),
    limit: pendingArray(),
    mutex: pendingArray(),
    lock: pendingArray(),
    henrygd: pendingArray(),
  };

  return {
    id: "many",
    title,
    jobs: total,
    cases: [
      {
        name: "floor · lanes[o][k] = job round by round, then each lane's jobs called",
        library: "floor",
        role: "floor",
        run() {
          const before = state.count;
          for (let j = 0; j < k; j++) {
            for (let o = 0; o < m; o++) lanes[o][j] = work;
          }
          for (let o = 0; o < m; o++) {
            const lane = lanes[o];
            for (let j = 0; j < k; j++) lane[j]();
          }
          expectRan(before, total, title);
        },
      },
      {
        name: "promise chain per object · tails[o] = tails[o].then(job)",
        library: "promise chain",
        role: "baseline",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) tails[o] = tails[o].then(work);
          }
          const last = pending.chain;
          for (let o = 0; o < m; o++) last[o] = tails[o] = tails[o].then(work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "desync: Desync per object, one Scheduler · desync(job), futureSync(job)",
        library: "desync",
        role: "desync",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) desyncs[o].desync(work);
          }
          const last = pending.desync;
          for (let o = 0; o < m; o++) last[o] = desyncs[o].futureSync(work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "fastq per object · promise(worker, 1).push(job)",
        library: "fastq",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) fastqs[o].push(work);
          }
          const last = pending.fastq;
          for (let o = 0; o < m; o++) last[o] = fastqs[o].push(work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "p-queue per object · add(job)",
        library: "p-queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) pqueues[o].add(work);
          }
          const last = pending.pqueue;
          for (let o = 0; o < m; o++) last[o] = pqueues[o].add(work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "p-limit per object · limit(job)",
        library: "p-limit",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) limits[o](work);
          }
          const last = pending.limit;
          for (let o = 0; o < m; o++) last[o] = limits[o](work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "async-mutex per object · runExclusive(job)",
        library: "async-mutex",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) mutexes[o].runExclusive(work);
          }
          const last = pending.mutex;
          for (let o = 0; o < m; o++) last[o] = mutexes[o].runExclusive(work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "async-lock keyed lock · acquire(key, job)",
        library: "async-lock",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) lock.acquire(o, work);
          }
          const last = pending.lock;
          for (let o = 0; o < m; o++) last[o] = lock.acquire(o, work);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
      {
        name: "@henrygd/queue per object · add(job)",
        library: "@henrygd/queue",
        role: "comparator",
        async run() {
          const before = state.count;
          for (let j = 1; j < k; j++) {
            for (let o = 0; o < m; o++) hqueues[o].add(workPromised);
          }
          const last = pending.henrygd;
          for (let o = 0; o < m; o++) last[o] = hqueues[o].add(workPromised);
          await Promise.all(last);
          expectRan(before, total, title);
        },
      },
    ],
  };
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Every scenario, at full or smoke sizes. */
function scenarios(smoke: boolean): Scenario[] {
  const size = (full: number, tiny: number) => (smoke ? tiny : full);
  const burst = (n: number, id: string) => {
    const title = `burst N=${count(n)}`;
    return fireAndAwait(id, title, n, SYNC_JOBS, storeThenCall(title, n));
  };
  const asyncN = size(10_000, 200);
  const asyncTitle = `async jobs N=${count(asyncN)}`;
  return [
    burst(size(10_000, 500), "burst-10k"),
    burst(size(100_000, 5_000), "burst-100k"),
    roundtrip(size(10_000, 200)),
    syncOnIdle(size(10_000, 1_000)),
    manyObjects(size(1_000, 20), size(100, 10)),
    fireAndAwait("async", asyncTitle, asyncN, ASYNC_JOBS, storeThenAwait(asyncTitle, asyncN)),
  ];
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  const results = await measureRounds("mixed", scenarios(options.smoke), options);
  if (options.json) {
    progress(`${formatText(results)}\n`); // the readable table for whoever watches
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(formatText(results));
  }
}
