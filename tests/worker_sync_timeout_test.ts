// Copyright 2026 the desync authors. MIT license.
// Blocking sync() that cannot hang: the pool's syncTimeout, and a worker that
// dies with none of its code running (out of memory under Node's
// resourceLimits), which a blocked thread sees through no event. Every test
// that starts a worker is named "worker: ..." (skipped on workerd); on a
// browser page sync() throws WouldBlockError (tests/worker_sync_test.ts
// checks that), so the blocking parts are skipped there.

import assert from "node:assert/strict";
import { WouldBlockError } from "../mod.ts";
import { SyncTimeoutError, WorkerCrashedError, WorkerPool } from "../worker.ts";
import { workersAlive } from "../worker/connection.ts";
import { withPool } from "./_worker_helpers.ts";
import type { Api as SyncApi } from "./fixtures/sync.worker.ts";

/** A browser page: its main thread may not block. */
const page = "document" in globalThis;

/** Pools start node:worker_threads workers here (Node: no global Worker). */
const nodeThreads = typeof (globalThis as { Worker?: unknown }).Worker !== "function";

/** What `call` threw, and after how many milliseconds. */
function timed(call: () => unknown): { error: unknown; ms: number } {
  const start = performance.now();
  try {
    call();
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
  throw new Error("expected the call to throw");
}

Deno.test("worker: sync throws SyncTimeoutError at syncTimeout; the job is cancelled", async () => {
  await withPool({ size: 1, syncTimeout: 150 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    await counter.ready;
    if (page) {
      assert.throws(() => counter.sync("sleep", 10_000), WouldBlockError);
      return;
    }
    // sleep() watches its jobSignal: the timeout aborts it.
    const { error, ms } = timed(() => counter.sync("sleep", 10_000));
    assert.ok(error instanceof SyncTimeoutError, `got ${error}`);
    assert.match(
      error.message,
      /WorkerDesync\.sync\("sleep"\): no answer within syncTimeout \(150 ms\)/,
    );
    assert.ok(ms >= 140 && ms < 5000, `blocked for ${ms} ms`);
    assert.equal(counter.queued, 0);
    assert.deepEqual(counter.sync("entries"), ["aborted"]);
    assert.equal(counter.sync("addAndGet", 1), 2); // the object lives on
  });
});

Deno.test("worker: the late answer of a timed-out sync is skipped by the next one", async () => {
  await withPool({ size: 1, syncTimeout: 100 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    const other = pool.create("Counter", 10); // same worker
    await Promise.all([counter.ready, other.ready]);
    if (page) return void assert.throws(() => counter.sync("get"), WouldBlockError);
    // spin() does not watch its signal: it runs to the end and answers late.
    assert.throws(() => counter.sync("spin", 300), SyncTimeoutError);
    assert.equal(await counter.futureSync("get"), 1); // the late answer is on the port now
    assert.equal(counter.sync("addAndGet", 1), 2);
    assert.equal(other.sync("addAndGet", 1), 11);
    assert.equal(counter.queued + other.queued, 0);
    // The pool still sees the worker idle once nothing is pending.
    await counter.close();
    await other.close();
    assert.equal(pool.workers, 1);
  });
});

Deno.test("worker: a job behind a timed-out sync still runs after it, in order", async () => {
  await withPool({ size: 1, syncTimeout: 100 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    if (page) return;
    const appended = counter.futureSync("append", "first", 0);
    assert.throws(() => counter.sync("append", "slow", 400), SyncTimeoutError);
    counter.desync("append", "after", 0);
    assert.equal(await appended, 1);
    assert.equal(await counter.futureSync("get"), 0);
    assert.deepEqual(await counter.futureSync("entries"), ["first", "slow", "after"]);
  });
});

Deno.test({
  name: "worker: sync on a worker that runs out of memory throws WorkerCrashedError (Node)",
  ignore: !nodeThreads,
  fn: async () => {
    const before = workersAlive();
    const errors: unknown[] = [];
    const pool = new WorkerPool<SyncApi>(
      new URL("./fixtures/sync.worker.ts", import.meta.url),
      {
        size: 1,
        resourceLimits: { maxOldGenerationSizeMb: 32 },
        // Only so that a probe that misses the death fails the test (SyncTimeoutError)
        // rather than hang it: the stopped thread is seen within ~10 ms of stopping.
        syncTimeout: 20_000,
        onError: (e) => errors.push(e),
      },
    );
    try {
      const hog = pool.create("Hog");
      const counter = pool.create("Counter", 5); // same worker
      await Promise.all([hog.ready, counter.ready]);
      const pending = counter.futureSync("get").catch((e) => e); // behind the hog
      const { error, ms } = timed(() => hog.sync("hog"));
      assert.ok(error instanceof WorkerCrashedError, `got ${error}`);
      assert.match(error.message, /stopped while sync\(\) waited/);
      assert.ok(ms < 15_000, `blocked for ${ms} ms`);
      assert.equal(hog.crashed, true);
      assert.equal(counter.crashed, true);
      assert.ok(await pending instanceof WorkerCrashedError);
      const replacement = pool.create("Counter", 7);
      await replacement.ready;
      assert.equal(replacement.sync("get"), 7);
    } finally {
      await pool.terminate();
    }
    assert.equal(workersAlive(), before);
  },
});

Deno.test("worker: syncTimeout and resourceLimits are checked like the other options", () => {
  const entry = new URL("./fixtures/sync.worker.ts", import.meta.url);
  for (const bad of [-1, "10", Number.NaN]) {
    assert.throws(
      () => new WorkerPool(entry, { syncTimeout: bad as number }),
      (e: unknown) => e instanceof TypeError && /options\.syncTimeout/.test(e.message),
    );
  }
  for (const bad of [0, -5, "64", Infinity]) {
    assert.throws(
      () => new WorkerPool(entry, { resourceLimits: { maxOldGenerationSizeMb: bad as number } }),
      (e: unknown) =>
        e instanceof TypeError &&
        /options\.resourceLimits\.maxOldGenerationSizeMb.*megabytes/.test(e.message),
    );
  }
  assert.throws(
    // @ts-expect-error: not a limit
    () => new WorkerPool(entry, { resourceLimits: { maxHeap: 1 } }),
    (e: unknown) => e instanceof TypeError && /maxHeap/.test(e.message),
  );
});
