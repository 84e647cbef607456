// Copyright 2026 the desync authors. MIT license.
// Soak and leak: 1,000,000 jobs over 10,000 Desyncs and queues, mixed sync
// and async, errors included; afterwards the heap returns near its baseline,
// and finished queues, closed Desyncs and finished pipes retain nothing
// (proved with WeakRef and FinalizationRegistry after gc(), across
// macrotasks). Needs `--v8-flags=--expose-gc`, as `deno task test` passes.

import assert from "node:assert/strict";
import { collect, deferred, streamFrom } from "./_helpers.ts";
import { Desync, type JobQueue, Scheduler } from "../mod.ts";
import { desync, futureDesync, futureSync } from "../scheduler.ts";
import { pipe, pipeIn, sink } from "../pipe.ts";

const gc = (globalThis as { gc?: () => void }).gc;

function requireGc(): () => void {
  if (typeof gc !== "function") throw new Error("run with --v8-flags=--expose-gc");
  return gc;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** heapUsed after full collections, across macrotasks (so that finalizers and KeepDuringJob clear). */
async function settledHeap(): Promise<number> {
  const collect = requireGc();
  for (let i = 0; i < 4; i++) {
    collect();
    await macrotask();
  }
  collect();
  return Deno.memoryUsage().heapUsed;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

const TARGETS = 10_000;
const WAVES = 10;
const JOBS_PER_TARGET_PER_WAVE = 10;
const TOTAL = TARGETS * WAVES * JOBS_PER_TARGET_PER_WAVE;

interface SoakResult {
  ran: number;
  asyncRan: number;
  reported: number;
  peak: number;
}

/**
 * The soak itself, in its own function: a suspended async function keeps its
 * whole register file alive, so the objects must not live in the test's frame
 * while the heap is measured afterwards.
 */
async function soak(baseline: number): Promise<SoakResult> {
  let peak = baseline;
  let ran = 0;
  let asyncRan = 0;
  let reported = 0;
  const auto = new Scheduler({ onError: () => void reported++ });
  const budget = new Scheduler({ maxConcurrency: 64, onError: () => void reported++ });
  const desyncs: Desync<{ count: number }>[] = [];
  const cells: { count: number }[] = [];
  const queues: JobQueue[] = [];
  for (let i = 0; i < TARGETS / 2; i++) {
    const cell = { count: 0 };
    cells.push(cell);
    desyncs.push(new Desync(cell, { scheduler: i % 2 === 0 ? auto : budget }));
    queues.push((i % 2 === 0 ? budget : auto).queue());
  }
  const perQueue = new Map<JobQueue, number>();
  const syncJob = (d: { value: { count: number } }) => {
    ran++;
    d.value.count++;
  };
  const asyncJob = async (d: { value: { count: number } }) => {
    await null;
    ran++;
    asyncRan++;
    d.value.count++;
  };
  const failing = () => {
    ran++;
    throw new Error("an expected failure");
  };
  for (let wave = 0; wave < WAVES; wave++) {
    const ends: Promise<unknown>[] = [];
    for (let i = 0; i < desyncs.length; i++) {
      const d = desyncs[i];
      // 10 jobs: 6 sync, 2 async, a detached future (failing on one wave in ten), a futureSync.
      for (let k = 0; k < 6; k++) d.desync(syncJob);
      d.desync(asyncJob);
      d.futureDesync(asyncJob).detach();
      if ((i + wave) % 10 === 0) d.futureDesync(failing).detach();
      else d.futureDesync(syncJob).detach();
      ends.push(d.futureSync(syncJob));
    }
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i];
      const bump = () => {
        ran++;
        perQueue.set(q, (perQueue.get(q) ?? 0) + 1);
      };
      const bumpLater = async () => {
        await null;
        asyncRan++;
        bump();
      };
      for (let k = 0; k < 6; k++) desync(q, bump);
      desync(q, bumpLater);
      futureDesync(q, bumpLater).detach();
      if ((i + wave) % 10 === 0) desync(q, failing);
      else desync(q, bump);
      ends.push(futureSync(q, bump));
    }
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
    await Promise.all(ends);
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  }
  await Promise.all([...desyncs.map((d) => d.close()), ...queues.map((q) => q.close())]);
  await auto.runUntilIdle();
  await budget.runUntilIdle();
  await macrotask(); // error reports arrive in microtasks
  // Every job but the failing ones counted, on every Desync and queue.
  const expected = WAVES * JOBS_PER_TARGET_PER_WAVE - WAVES / 10;
  assert.ok(desyncs.every((d) => d.closed && d.queued === 0 && !d.running));
  assert.deepEqual(new Set(cells.map((c) => c.count)), new Set([expected]));
  assert.ok(queues.every((q) => q.closed && q.queued === 0 && !q.running));
  assert.equal(perQueue.size, queues.length);
  assert.deepEqual(new Set(perQueue.values()), new Set([expected]));
  return { ran, asyncRan, reported, peak };
}

Deno.test(`soak: ${TOTAL} mixed jobs over ${TARGETS} Desyncs and queues; the heap returns to its baseline`, async () => {
  const baseline = await settledHeap();
  const started = performance.now();
  const { ran, asyncRan, reported, peak } = await soak(baseline);
  const seconds = (performance.now() - started) / 1000;
  const after = await settledHeap();
  const expectedFailures = TARGETS * WAVES / 10;
  console.log(
    [
      `soak: ${ran} jobs (${asyncRan} async) over ${TARGETS} Desyncs and queues in ${
        seconds.toFixed(1)
      } s`,
      `  heap: baseline ${mb(baseline)}, peak ${mb(peak)} (+${mb(peak - baseline)}), ` +
      `after ${mb(after)} (${after >= baseline ? "+" : ""}${mb(after - baseline)})`,
      `  fire-and-forget errors reported: ${reported} of ${expectedFailures}`,
    ].join("\n"),
  );
  assert.equal(ran, TOTAL);
  assert.equal(reported, expectedFailures);
  assert.ok(peak - baseline > 1024 * 1024, "the soak did allocate (the measurement works)");
  assert.ok(
    after - baseline < 2 * 1024 * 1024,
    `the heap stayed ${mb(after - baseline)} above its baseline`,
  );
});

interface Watch {
  refs: [string, WeakRef<object>][];
  finalized: Set<string>;
  registry: FinalizationRegistry<string>;
}

function watch(): Watch {
  const finalized = new Set<string>();
  return {
    refs: [],
    finalized,
    registry: new FinalizationRegistry((label) => void finalized.add(label)),
  };
}

function track(w: Watch, label: string, value: object): void {
  w.refs.push([label, new WeakRef(value)]);
  w.registry.register(value, label);
}

/** Collects garbage across macrotasks until every watched object is gone (or gives up). */
async function survivors(w: Watch): Promise<string[]> {
  const collect = requireGc();
  for (let round = 0; round < 20; round++) {
    // deref() keeps its target alive until the end of the current job, so
    // never collect in the same job as a deref().
    await macrotask();
    collect();
    await macrotask();
    const alive = w.refs.filter(([, ref]) => ref.deref() !== undefined).map(([label]) => label);
    if (alive.length === 0 && w.finalized.size === w.refs.length) return [];
  }
  return w.refs.filter(([label, ref]) => ref.deref() !== undefined || !w.finalized.has(label))
    .map(([label]) => label);
}

Deno.test("finished queues, closed Desyncs and finished pipes retain nothing", async () => {
  const w = watch();
  // Objects that must stay reachable for the duration, to prove that *they* do not retain.
  const keep: { desync: Desync<unknown>; queue: JobQueue; sched: Scheduler } = await (async () => {
    const sched = new Scheduler();
    const desyncKept = new Desync<unknown>({ kept: true }, { scheduler: sched, onError: () => {} });
    const queueKept = sched.queue();

    // 1. A closed Desync, dropped: it and its data go.
    {
      const data = { payload: new Uint8Array(1024) };
      const closed = new Desync(data, { scheduler: sched });
      closed.desync((d) => void d.value.payload.fill(1));
      await closed.futureSync(async () => await null);
      await closed.close();
      track(w, "a closed Desync", closed);
      track(w, "the data of a closed Desync", data);
    }
    // 2. A finished (not closed) JobQueue, dropped.
    {
      const q = sched.queue();
      for (let i = 0; i < 1000; i++) desync(q, () => {});
      await futureSync(q, () => {});
      track(w, "a finished JobQueue", q);
    }
    // 3. A closed JobQueue with a long, finished backlog, dropped.
    {
      const q = sched.queue();
      for (let i = 0; i < 100_000; i++) desync(q, () => {});
      await q.close();
      track(w, "a closed JobQueue after a 100,000-job backlog", q);
    }
    // 4. Jobs that ran on objects that stay alive: their closures and what they captured go.
    {
      const captured = { big: new Uint8Array(1024) };
      desyncKept.desync(() => void captured.big.fill(2));
      const future = desyncKept.futureDesync(async () => {
        await null;
        return captured.big.length;
      });
      await future;
      track(w, "what a finished job of a live Desync captured", captured);
      track(w, "an awaited SchedulerFuture", future);
      const capturedToo = { big: new Uint8Array(1024) };
      desync(queueKept, async () => {
        await null;
        capturedToo.big.fill(3);
      });
      await futureSync(queueKept, () => {});
      track(w, "what a finished job of a live queue captured", capturedToo);
    }
    // 5. Jobs that never ran (aborted while queued, input rejected, failed) on live objects.
    {
      const gate = deferred();
      desyncKept.desync(() => gate.promise);
      const aborted = { big: new Uint8Array(1024) };
      const controller = new AbortController();
      desyncKept.desync(() => void aborted.big.fill(4), { signal: controller.signal });
      controller.abort();
      const input = Promise.reject(new Error("input failed"));
      const afterCaptured = { big: new Uint8Array(1024) };
      const rejected = desyncKept.after(input, () => void afterCaptured.big.fill(5));
      rejected.catch(() => {});
      const failedCaptured = { big: new Uint8Array(1024) };
      desyncKept.futureDesync(() => {
        void failedCaptured;
        throw new Error("failed");
      }).detach();
      gate.resolve();
      await desyncKept.futureSync(() => {});
      track(w, "what an aborted job captured", aborted);
      track(w, "what an after() with a rejected input captured", afterCaptured);
      track(w, "a rejected after() future", rejected);
      track(w, "the rejected input of an after()", input);
      track(w, "what a failed detached job captured", failedCaptured);
    }
    // 6. An after() whose input never settles, aborted: the input does not keep the job alive.
    {
      const neverSettles = new Promise<void>(() => {});
      const captured = { big: new Uint8Array(1024) };
      const controller = new AbortController();
      const future = desyncKept.after(neverSettles, () => void captured.big.fill(6), {
        signal: controller.signal,
      });
      controller.abort();
      await future.catch(() => {});
      track(w, "what an aborted after() with a pending input captured", captured);
      // The pending input itself is held by nobody but this scope.
      track(w, "a pending after() input", neverSettles);
    }
    // 7. Finished pipes on a live Desync: source, process, items, outputs go.
    {
      const items = Array.from({ length: 20 }, (_, i) => ({ i }));
      const process = (_d: unknown, item: { i: number }) => item.i;
      await pipeIn(desyncKept as Desync<unknown>, items, process);
      track(w, "the source of a finished pipeIn", items);
      track(w, "the process function of a finished pipeIn", process);

      const stream = streamFrom(Array.from({ length: 20 }, (_, i) => ({ i })));
      const out = pipe(desyncKept, stream, (_d, item) => ({ out: item.i }));
      const results = await collect(out);
      track(w, "the source stream of a finished pipe", stream);
      track(w, "the output stream of a finished pipe", out);
      track(w, "the results of a finished pipe", results);

      const failing = { big: new Uint8Array(1024) };
      await pipeIn(desyncKept, [1, 2, 3], () => {
        void failing;
        throw new Error("process failed");
      }).catch(() => {});
      track(w, "what a failed pipe's process captured", failing);

      const cancelled = pipe(
        desyncKept,
        (function* () {
          for (let i = 0;; i++) yield i;
        })(),
        (_d, n) => n,
      );
      const reader = cancelled.getReader();
      await reader.read();
      await reader.cancel();
      reader.releaseLock();
      track(w, "a cancelled pipe's output", cancelled);

      const sinkProcess = () => {};
      await streamFrom([1, 2, 3]).pipeTo(sink(desyncKept, sinkProcess));
      track(w, "the process of a finished sink", sinkProcess);
    }
    // 8. A suspension that was resumed, and its resumer.
    {
      const resumer = await suspendAndResume(desyncKept);
      track(w, "a used QueueResumer", resumer);
    }
    // 9. A pipe on a Desync that was then closed: the pipe, its source and process go with it.
    {
      const closing = new Desync(0, { scheduler: sched });
      const source = new ReadableStream<number>({ pull: (c) => c.enqueue(1) }, {
        highWaterMark: 0,
      });
      const done = pipeIn(closing, source, () => {});
      await closing.close();
      await done.catch(() => {});
      track(w, "a closed Desync that had a pipe", closing);
      track(w, "the source of a pipe stopped by close()", source);
    }
    return { desync: desyncKept, queue: queueKept, sched };
  })();
  const left = await survivors(w);
  console.log(
    `leaks: ${w.refs.length} objects watched with WeakRef and FinalizationRegistry; ` +
      `${w.refs.length - left.length} collected${
        left.length > 0 ? `; still alive: ${left.join(", ")}` : ""
      }`,
  );
  assert.deepEqual(left, [], "retained after gc()");
  // The kept objects still work.
  assert.equal(await keep.desync.futureSync(() => "alive"), "alive");
  assert.equal(await futureSync(keep.queue, () => "alive"), "alive");
  await keep.desync.close();
  await keep.queue.close();
});

async function suspendAndResume(d: Desync<unknown>): Promise<object> {
  const resumer = await d.suspend();
  resumer.resume();
  await d.futureSync(() => {});
  return resumer;
}

Deno.test("a drained backlog does not keep its queue's memory", async () => {
  const before = await settledHeap();
  const q: JobQueue = new Scheduler().queue();
  for (let i = 0; i < 200_000; i++) desync(q, () => {});
  const full = Deno.memoryUsage().heapUsed;
  await futureSync(q, () => {});
  const drained = await settledHeap();
  // A second, small burst: the ring may then shrink to fit it.
  for (let i = 0; i < 10; i++) desync(q, () => {});
  await futureSync(q, () => {});
  const afterSmallBurst = await settledHeap();
  console.log(
    `a queue after a 200,000-job backlog: queued ${mb(full - before)}; ` +
      `drained but still referenced ${mb(drained - before)}; after a small burst ${
        mb(afterSmallBurst - before)
      }`,
  );
  assert.equal(q.queued, 0);
  // Slots are cleared when jobs leave, so what is left is at most the buffer itself (8 bytes a slot).
  assert.ok(drained - before < 3 * 1024 * 1024, `a drained queue kept ${mb(drained - before)}`);
  assert.ok(
    afterSmallBurst - before < 256 * 1024,
    `after a small burst the queue kept ${mb(afterSmallBurst - before)}`,
  );
  await q.close();
});
