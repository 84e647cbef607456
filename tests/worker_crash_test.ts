// Copyright 2026 the desync authors. MIT license.
// Worker objects when things go wrong: the crash matrix (every promise
// settles, other workers are unaffected, the pool replaces the worker) and
// cancellation at each stage. Every test that starts a worker is named
// "worker: ..." (skipped on workerd, which has no workers).

import assert from "node:assert/strict";
import { WorkerCrashedError, type WorkerLike, WorkerPool } from "../worker.ts";
import { workersAlive } from "../worker/connection.ts";
import { COUNTER_ENTRY, withPool } from "./_worker_helpers.ts";
import type { Api } from "./fixtures/counter.worker.ts";
import type { Api as SyncApi } from "./fixtures/sync.worker.ts";

const isCrash = (e: unknown) => e instanceof WorkerCrashedError;

for (const how of ["exit", "close"] as const) {
  Deno.test(`worker: ${how} in a job crashes its worker's objects only, and the pool replaces it`, async () => {
    const errors: unknown[] = [];
    await withPool({ size: 2, onError: (e) => errors.push(e) }, async (pool) => {
      const doomed = pool.create("Counter", 1);
      const neighbour = pool.create("Counter", 2);
      const other = pool.create("Counter", 3); // placement: doomed and other share a worker
      await Promise.all([doomed.ready, neighbour.ready, other.ready]);
      const sent = doomed.futureSync("append", "before", 5);
      const exit = doomed.futureSync("exit", 7, how);
      const behind = doomed.futureSync("get");
      const behindOther = other.futureSync("sleep", 10_000); // pending when the worker dies
      doomed.desync("add", 1); // fire-and-forget: its crash goes to onError
      const results = await Promise.allSettled([sent, exit, behind, behindOther]);
      assert.equal(results[0].status, "fulfilled");
      for (const result of results.slice(1)) {
        assert.equal(result.status, "rejected");
        assert.ok(isCrash((result as PromiseRejectedResult).reason));
      }
      const crash = (results[1] as PromiseRejectedResult).reason as WorkerCrashedError;
      if (how === "exit") assert.equal(crash.exitCode, 7);
      assert.equal(doomed.crashed, true);
      assert.equal(other.crashed, true);
      assert.throws(() => doomed.desync("add", 1), WorkerCrashedError);
      assert.throws(() => doomed.futureSync("get"), WorkerCrashedError);
      await doomed.close(); // closing a crashed object is harmless
      assert.equal(await neighbour.futureSync("get"), 2); // the other worker is unaffected
      const replacement = pool.create("Counter", 4);
      assert.equal(await replacement.futureSync("get"), 4);
      assert.equal(pool.workers, 2);
      assert.ok(errors.some(isCrash), "the fire-and-forget job's crash was reported");
    });
  });
}

Deno.test("worker: an error thrown outside a job is reported, and the worker lives on", async () => {
  const errors: unknown[] = [];
  await withPool({ size: 1, onError: (e) => errors.push(e) }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.futureSync("throwLater", "timer");
    await counter.futureSync("rejectLater", "rejection");
    for (let i = 0; i < 100 && errors.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(errors.map((e) => (e as Error).name), ["CounterError", "CounterError"]);
    assert.deepEqual(errors.map((e) => (e as Error).message).sort(), ["rejection", "timer"]);
    assert.equal(await counter.futureSync("addAndGet", 1), 1);
    assert.equal(counter.crashed, false);
  });
});

Deno.test("worker: a worker terminated from outside mid-job rejects every pending promise", async () => {
  const started: WorkerLike[] = [];
  const before = workersAlive();
  const pool = new WorkerPool<Api>(() => {
    const worker = new Worker(COUNTER_ENTRY, { type: "module" });
    started.push(worker);
    return worker;
  }, { size: 1 });
  try {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    const running = counter.futureSync("sleep", 10_000);
    const queued = counter.futureSync("get");
    await new Promise((resolve) => setTimeout(resolve, 20));
    started[0].terminate();
    await assert.rejects(running, WorkerCrashedError);
    await assert.rejects(queued, WorkerCrashedError);
    assert.equal(counter.crashed, true);
    assert.equal(pool.workers, 0);
    assert.equal(await pool.create("Counter", 5).futureSync("get"), 5);
  } finally {
    await pool.close();
  }
  assert.equal(workersAlive(), before);
});

Deno.test({
  name: "worker: a worker out of memory (Node resourceLimits) crashes its objects only",
  // Node's workers take resourceLimits; a web Worker has no memory limit (Deno ends the whole
  // process when a worker runs out of memory; Bun's workers just grow).
  ignore: typeof (globalThis as { Worker?: unknown }).Worker === "function",
  fn: async () => {
    const before = workersAlive();
    const errors: unknown[] = [];
    const pool = new WorkerPool<SyncApi>(new URL("./fixtures/sync.worker.ts", import.meta.url), {
      size: 2,
      resourceLimits: { maxOldGenerationSizeMb: 32 },
      onError: (e) => errors.push(e),
    });
    try {
      const hog = pool.create("Hog");
      const other = pool.create("Counter", 1); // the other worker: fewest objects
      const neighbour = pool.createWith({ near: hog }, "Counter", 2);
      await Promise.all([hog.ready, other.ready, neighbour.ready]);
      const queued = neighbour.futureSync("get"); // behind nothing: runs before the hog starts
      assert.equal(await queued, 2);
      const hogging = hog.futureSync("hog");
      const behind = neighbour.futureSync("get");
      await assert.rejects(hogging, isCrash);
      await assert.rejects(behind, isCrash);
      assert.equal(hog.crashed, true);
      assert.equal(neighbour.crashed, true);
      assert.throws(() => neighbour.desync("add", 1), isCrash);
      // The other worker carries on, and the pool replaces the dead one.
      other.desync("add", 1);
      assert.equal(await other.futureSync("get"), 2);
      assert.equal(await pool.create("Counter", 9).futureSync("get"), 9);
      assert.equal(errors.filter((e) => !isCrash(e)).length, 0, errors.map(String).join("; "));
    } finally {
      await pool.terminate();
    }
    assert.equal(workersAlive(), before);
  },
});

Deno.test("worker: a worker entry that fails to load crashes its objects, no promise hangs", async () => {
  const before = workersAlive();
  const pool = new WorkerPool<Api>(new URL("./fixtures/missing.worker.ts", import.meta.url));
  try {
    const counter = pool.create("Counter", 0);
    const get = counter.futureSync("get");
    counter.desync("add", 1);
    counter.onError = () => {};
    await assert.rejects(counter.ready, WorkerCrashedError);
    await assert.rejects(get, WorkerCrashedError);
    assert.equal(counter.crashed, true);
    assert.equal(pool.workers, 0);
  } finally {
    await pool.close();
  }
  assert.equal(workersAlive(), before);
});

Deno.test("worker: cancelling a job before it is sent: it never reaches the worker", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    const aborted = AbortSignal.abort(new Error("early"));
    await assert.rejects(
      counter.withOptions({ signal: aborted }).futureSync("addAndGet", 1),
      /early/,
    );
    counter.withOptions({ signal: aborted }).desync("add", 1); // dropped silently, like a local job
    const controller = new AbortController();
    const job = counter.withOptions({ signal: controller.signal }).futureSync("addAndGet", 10);
    assert.equal(counter.queued, 2); // construction, this job
    controller.abort(new Error("same tick"));
    assert.equal(counter.queued, 1);
    await assert.rejects(job, /same tick/);
    assert.equal(await counter.futureSync("get"), 0);
  });
});

Deno.test("worker: cancelling a sent job that waits in the worker removes it there", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    const busy = counter.futureSync("append", "busy", 50);
    const controller = new AbortController();
    const job = counter.withOptions({ signal: controller.signal }).futureSync("addAndGet", 10);
    await new Promise((resolve) => setTimeout(resolve, 10)); // sent, waiting behind busy
    controller.abort(new Error("late"));
    await assert.rejects(job, /late/); // at once, before busy ends
    assert.equal(counter.queued, 1);
    await busy;
    assert.equal(await counter.futureSync("get"), 0);
  });
});

Deno.test("worker: cancelling a running job aborts its signal; it keeps the object until it settles", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    const controller = new AbortController();
    const sleeping = counter.withOptions({ signal: controller.signal }).futureSync("sleep", 10_000);
    const after = counter.futureSync("entries");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const start = performance.now();
    controller.abort(new Error("stop"));
    await assert.rejects(sleeping, /stop/);
    assert.ok(performance.now() - start < 1000);
    assert.deepEqual(await after, ["aborted"]); // ran after the aborted job had settled
  });
});
