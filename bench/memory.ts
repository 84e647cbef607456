// Copyright 2026 the desync authors. MIT license.
// Scenario 6, memory: V8 heap bytes per queued job and per idle serializer,
// for desync and the comparators.
//
//   deno run --allow-run bench/memory.ts [--json] [--smoke]
//
// Every case is measured in a fresh Deno process (started with
// `--v8-flags=--expose-gc`), so no case sees another's garbage, JIT state or
// still-draining queue. In that process: warm the case up on a throw-away
// instance, create what must exist before the items (the serializer; arrays
// are preallocated), force a full GC twice, read `Deno.memoryUsage().heapUsed`,
// add the N items synchronously (no microtask runs, so every job is still
// queued), force GC again, read again; bytes per item = delta / N. The process
// then exits without draining. N = 100,000 and 1,000,000 (smoke: 2,000).
//
// Queued jobs ("job" cases): N jobs scheduled on one serializer, each the
// same hoisted function `work` (so the caller allocates nothing per job),
// through the same API as the burst scenario; the promises that APIs return
// are dropped, as fire-and-forget callers do. Plus two desync cases with a
// fresh closure per job (a closure capturing the loop variable, as
// `d.desync((r) => r.value += i)` would), and the same closures merely
// stored in an array: their difference is desync's cost beyond the closure.
//
// Idle serializers ("object" cases): N instances ready to take jobs, kept in
// a preallocated array (so the array's slots are not counted). A `Desync`
// holds a shared small integer as its data, so the data costs nothing.

import { newQueue } from "@henrygd/queue";
import AsyncLock from "async-lock";
import { Mutex } from "async-mutex";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Desync } from "../mod.ts";
import { desync, queue } from "../scheduler.ts";
import { runTask, work, workPromised } from "./_shared.ts";

/** One measurement. */
export interface MemoryCase {
  id: string;
  /** "job": bytes per queued job; "object": bytes per idle serializer. */
  kind: "job" | "object";
  /** Library (npm name, or "desync", or "promise chain"/"closure"). */
  library: string;
  /** What is measured, for the report. */
  label: string;
  /** Whether this is the desync case that the targets are about. */
  target?: boolean;
  /**
   * Creates what exists before the items (the serializer, preallocated
   * arrays), and returns the function that adds `n` items to it.
   */
  prepare(n: number): (n: number) => unknown;
}

/** A measured case. */
export interface MemoryResult {
  id: string;
  kind: "job" | "object";
  library: string;
  label: string;
  target: boolean;
  n: number;
  bytesPerItem: number;
}

/** A sink that keeps everything created by a case reachable until the second reading. */
let keep: unknown;

export const CASES: MemoryCase[] = [
  {
    id: "desync-job",
    kind: "job",
    library: "desync",
    label: "Desync · desync(job), hoisted job",
    target: true,
    prepare() {
      const d = new Desync(0);
      return (n) => {
        for (let i = 0; i < n; i++) d.desync(work);
        return d;
      };
    },
  },
  {
    id: "desync-closure",
    kind: "job",
    library: "desync",
    label: "Desync · desync(job), a fresh closure per job",
    prepare() {
      const d = new Desync(0);
      return (n) => {
        for (let i = 0; i < n; i++) d.desync((r) => void (r.value += i));
        return d;
      };
    },
  },
  {
    id: "closure-alone",
    kind: "job",
    library: "closure",
    label: "the same closures, only stored in an array (reference)",
    prepare(n) {
      const closures: ((r: { value: number }) => void)[] = new Array(n).fill(undefined);
      return (n) => {
        for (let i = 0; i < n; i++) closures[i] = (r) => void (r.value += i);
        return closures;
      };
    },
  },
  {
    id: "jobqueue-job",
    kind: "job",
    library: "desync",
    label: "JobQueue · desync(q, job), hoisted job",
    prepare() {
      const q = queue();
      return (n) => {
        for (let i = 0; i < n; i++) desync(q, work);
        return q;
      };
    },
  },
  {
    id: "desync-future",
    kind: "job",
    library: "desync",
    label: "Desync · futureSync(job) on a busy object (promise dropped)",
    prepare() {
      const d = new Desync(0);
      return (n) => {
        d.desync(work); // the object is busy: every futureSync below is queued
        for (let i = 1; i < n; i++) d.futureSync(work);
        return d;
      };
    },
  },
  {
    id: "chain-job",
    kind: "job",
    library: "promise chain",
    label: "promise chain · last = last.then(job)",
    prepare() {
      return (n) => {
        let last: Promise<void> = Promise.resolve();
        for (let i = 0; i < n; i++) last = last.then(work);
        return last;
      };
    },
  },
  {
    id: "fastq-job",
    kind: "job",
    library: "fastq",
    label: "fastq · promise(worker, 1).push(job)",
    prepare() {
      const fq = fastq.promise(runTask, 1);
      return (n) => {
        for (let i = 0; i < n; i++) fq.push(work);
        return fq;
      };
    },
  },
  {
    id: "p-queue-job",
    kind: "job",
    library: "p-queue",
    label: "p-queue · add(job)",
    prepare() {
      const pq = new PQueue({ concurrency: 1 });
      return (n) => {
        for (let i = 0; i < n; i++) pq.add(work);
        return pq;
      };
    },
  },
  {
    id: "p-limit-job",
    kind: "job",
    library: "p-limit",
    label: "p-limit · limit(job)",
    prepare() {
      const limit = pLimit(1);
      return (n) => {
        for (let i = 0; i < n; i++) limit(work);
        return limit;
      };
    },
  },
  {
    id: "async-mutex-job",
    kind: "job",
    library: "async-mutex",
    label: "async-mutex · runExclusive(job)",
    prepare() {
      const mutex = new Mutex();
      return (n) => {
        for (let i = 0; i < n; i++) mutex.runExclusive(work);
        return mutex;
      };
    },
  },
  {
    id: "henrygd-job",
    kind: "job",
    library: "@henrygd/queue",
    label: "@henrygd/queue · add(job)",
    prepare() {
      const hq = newQueue(1);
      return (n) => {
        for (let i = 0; i < n; i++) hq.add(workPromised);
        return hq;
      };
    },
  },
  {
    id: "async-lock-job",
    kind: "job",
    library: "async-lock",
    label: "async-lock · acquire(key, job), one key",
    prepare() {
      const lock = new AsyncLock({ maxPending: Infinity });
      return (n) => {
        for (let i = 0; i < n; i++) lock.acquire("key", work);
        return lock;
      };
    },
  },
  {
    id: "desync-object",
    kind: "object",
    library: "desync",
    label: "new Desync(data)",
    target: true,
    prepare: (n) => fillWith(n, () => new Desync(0)),
  },
  {
    id: "jobqueue-object",
    kind: "object",
    library: "desync",
    label: "queue() (JobQueue)",
    prepare: (n) => fillWith(n, () => queue()),
  },
  {
    id: "chain-object",
    kind: "object",
    library: "promise chain",
    label: "a resolved promise as the chain's tail",
    prepare: (n) => fillWith(n, () => Promise.resolve()),
  },
  {
    id: "fastq-object",
    kind: "object",
    library: "fastq",
    label: "fastq.promise(worker, 1)",
    prepare: (n) => fillWith(n, () => fastq.promise(runTask, 1)),
  },
  {
    id: "p-queue-object",
    kind: "object",
    library: "p-queue",
    label: "new PQueue({ concurrency: 1 })",
    prepare: (n) => fillWith(n, () => new PQueue({ concurrency: 1 })),
  },
  {
    id: "p-limit-object",
    kind: "object",
    library: "p-limit",
    label: "pLimit(1)",
    prepare: (n) => fillWith(n, () => pLimit(1)),
  },
  {
    id: "async-mutex-object",
    kind: "object",
    library: "async-mutex",
    label: "new Mutex()",
    prepare: (n) => fillWith(n, () => new Mutex()),
  },
  {
    id: "henrygd-object",
    kind: "object",
    library: "@henrygd/queue",
    label: "newQueue(1)",
    prepare: (n) => fillWith(n, () => newQueue(1)),
  },
];

function fillWith(n: number, make: () => unknown): (n: number) => unknown {
  const items: unknown[] = new Array(n).fill(undefined);
  return (n) => {
    for (let i = 0; i < n; i++) items[i] = make();
    return items;
  };
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  gc();
}

/** Measures one case in this process (which must have `gc`). */
export function measure(memoryCase: MemoryCase, n: number): MemoryResult {
  // Warm-up on a throw-away instance: compiles the code and creates the
  // hidden classes, so the reading below sees only the items.
  const warmN = Math.min(n, 1_000);
  keep = memoryCase.prepare(warmN)(warmN);
  keep = undefined;
  const add = memoryCase.prepare(n);
  collect();
  const before = Deno.memoryUsage().heapUsed;
  keep = add(n);
  collect();
  const after = Deno.memoryUsage().heapUsed;
  if (keep === undefined) throw new Error("unreachable"); // keeps `keep` read after the GC
  return {
    id: memoryCase.id,
    kind: memoryCase.kind,
    library: memoryCase.library,
    label: memoryCase.label,
    target: memoryCase.target ?? false,
    n,
    bytesPerItem: (after - before) / n,
  };
}

/** Measures every case at every size, each in its own Deno process. */
export async function measureAll(sizes: number[]): Promise<MemoryResult[]> {
  const script = new URL(import.meta.url).pathname;
  const cwd = new URL("..", import.meta.url).pathname;
  const results: MemoryResult[] = [];
  for (const n of sizes) {
    for (const memoryCase of CASES) {
      const child = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--v8-flags=--expose-gc",
          script,
          "--child",
          memoryCase.id,
          `${n}`,
        ],
        cwd,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(child.stdout).trim();
      if (!child.success) {
        throw new Error(
          `memory case ${memoryCase.id} (N=${n}) failed:\n${
            new TextDecoder().decode(child.stderr)
          }`,
        );
      }
      results.push(JSON.parse(stdout) as MemoryResult);
    }
  }
  return results;
}

/** The sizes measured: N = 100,000 and 1,000,000, or 2,000 in smoke mode. */
export function memorySizes(smoke: boolean): number[] {
  return smoke ? [2_000] : [100_000, 1_000_000];
}

function formatTable(results: MemoryResult[]): string {
  const lines = ["| kind | case | N | bytes per item |", "| --- | --- | ---: | ---: |"];
  for (const r of results) {
    lines.push(
      `| ${r.kind} | ${r.label} | ${r.n.toLocaleString("en-US")} | ${r.bytesPerItem.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const args = Deno.args;
  const childAt = args.indexOf("--child");
  if (childAt >= 0) {
    const id = args[childAt + 1];
    const memoryCase = CASES.find((c) => c.id === id);
    if (memoryCase === undefined) throw new Error(`no memory case "${id}"`);
    const result = measure(memoryCase, Number(args[childAt + 2]));
    console.log(JSON.stringify(result));
    Deno.exit(0); // don't drain the queued jobs
  }
  const results = await measureAll(memorySizes(args.includes("--smoke")));
  console.log(args.includes("--json") ? JSON.stringify(results, null, 2) : formatTable(results));
}
