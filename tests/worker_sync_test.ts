// Copyright 2026 the desync authors. MIT license.
// Blocking sync() on worker objects: it blocks where the runtime allows it
// (Deno, Node, Bun) and throws WouldBlockError where it cannot (a browser
// page's main thread, where these tests run on Chromium). Every test that
// starts a worker is named "worker: ..." (skipped on workerd).

import assert from "node:assert/strict";
import { WouldBlockError } from "../mod.ts";
import { DeadlockError, RemoteError, WorkerCrashedError, type WorkerDesync } from "../worker.ts";
import { withPool } from "./_worker_helpers.ts";
import type { Counter } from "./fixtures/counter.ts";

/** A browser page: its main thread may not block (and may lack SharedArrayBuffer). */
const page = "document" in globalThis;

/** Runs `call`; on a page, checks that it threw WouldBlockError saying why, and returns undefined. */
function blocking<R>(call: () => R): { value: R } | undefined {
  if (!page) return { value: call() };
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof WouldBlockError, `expected WouldBlockError, got ${error}`);
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  assert.match(error.message, isolated ? /Atomics\.wait/ : /SharedArrayBuffer/);
  assert.match(error.message, /futureSync/);
  return undefined;
}

/** What `call` threw (it must throw where it can block; WouldBlockError passes through). */
function caught(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    if (error instanceof WouldBlockError) throw error;
    return error;
  }
  throw new Error("expected the call to throw");
}

async function started(counter: WorkerDesync<Counter>): Promise<void> {
  await counter.ready;
}

Deno.test("worker: sync blocks until the job ran and returns its result", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 41);
    await started(counter);
    let timerRan = false;
    const timer = setTimeout(() => (timerRan = true), 0);
    const start = performance.now();
    const result = blocking(() => {
      const value = counter.sync("addAndGet", 1);
      counter.sync("spin", 60); // 60 ms of work in the worker
      return value;
    });
    const elapsed = performance.now() - start;
    if (result !== undefined) {
      assert.equal(result.value, 42);
      assert.ok(elapsed >= 55, `blocked for ${elapsed} ms`);
      assert.equal(timerRan, false, "a timer ran while the thread was blocked");
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
    clearTimeout(timer);
    assert.equal(timerRan, true);
    assert.equal(await counter.futureSync("get"), result === undefined ? 41 : 42);
  });
});

Deno.test("worker: sync runs after every job scheduled on the object before it", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    const other = pool.create("Counter", 0);
    await Promise.all([started(counter), started(other)]);
    const appended = counter.futureSync("append", "slow", 20);
    for (let i = 0; i < 100; i++) counter.desync("add", 1);
    other.desync("add", 5);
    const result = blocking(
      () => [counter.sync("get"), counter.sync("entries"), other.sync("get")],
    );
    if (result !== undefined) assert.deepEqual(result.value, [100, ["slow"], 5]);
    assert.equal(await appended, 1);
    counter.desync("add", 1);
    const after = blocking(() => counter.sync("get"));
    if (after !== undefined) assert.equal(after.value, 101);
    // The earlier jobs' replies are handled once this thread runs its event loop again.
    assert.equal(await counter.futureSync("get"), after === undefined ? 101 : 101);
    assert.equal(counter.queued, 0);
  });
});

Deno.test("worker: sync rethrows the method's error, rebuilt", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await started(counter);
    const result = blocking(() => caught(() => counter.sync("fail", "nope")));
    if (result === undefined) return;
    const error = result.value as RemoteError;
    assert.ok(error instanceof RemoteError);
    assert.equal(error.name, "CounterError");
    assert.equal(error.message, "nope");
    assert.equal(error.code, "E_NOPE");
    assert.match(String(error.stack), /fail/);
    assert.equal((error.cause as Error).name, "TypeError");
    // An async method's rejection too; the object lives on.
    assert.throws(() => counter.sync("failLater", "later"), { name: "CounterError" });
    assert.equal(counter.sync("addAndGet", 1), 1);
  });
});

Deno.test("worker: sync awaits an async method in the worker", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await started(counter);
    const result = blocking(() => [counter.sync("append", "a", 15), counter.sync("append", "b")]);
    if (result !== undefined) assert.deepEqual(result.value, [1, 2]);
  });
});

for (const how of ["exit", "close"] as const) {
  Deno.test(`worker: a worker ended (${how}) while sync waits throws WorkerCrashedError`, async () => {
    const errors: unknown[] = [];
    await withPool({ size: 2, onError: (e) => errors.push(e) }, async (pool) => {
      const doomed = pool.create("Counter", 1);
      const neighbour = pool.create("Counter", 2);
      const sibling = pool.create("Counter", 3); // on doomed's worker
      await Promise.all([started(doomed), started(neighbour), started(sibling)]);
      const queued = sibling.futureSync("sleep", 10_000); // pending when the worker dies
      queued.catch(() => {});
      const result = blocking(() => caught(() => doomed.sync("exit", 3, how)));
      if (result === undefined) {
        doomed.desync("exit", 3, how);
        await assert.rejects(queued, WorkerCrashedError);
        assert.equal(errors.length, 1);
        return;
      }
      const error = result.value as WorkerCrashedError;
      assert.ok(error instanceof WorkerCrashedError, `got ${error}`);
      if (how === "exit") assert.equal(error.exitCode, 3);
      assert.equal(doomed.crashed, true);
      assert.equal(sibling.crashed, true);
      await assert.rejects(queued, WorkerCrashedError);
      assert.throws(() => doomed.sync("get"), WorkerCrashedError);
      assert.equal(neighbour.sync("get"), 2); // the other worker is unaffected
      const replacement = pool.create("Counter", 4);
      await started(replacement);
      assert.equal(replacement.sync("get"), 4);
    });
  });
}

Deno.test("worker: sync behind an after() job still waiting for its promise is DeadlockError", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    await started(counter);
    let deliver = (_: number) => {};
    const amount = new Promise<number>((resolve) => (deliver = resolve));
    const added = counter.after(amount, "add");
    const result = blocking(() => caught(() => counter.sync("get")));
    if (result !== undefined) {
      assert.ok(result.value instanceof DeadlockError, `got ${result.value}`);
      assert.match((result.value as Error).message, /after\(promise, "add"\)/);
    }
    deliver(2);
    await added;
    const after = blocking(() => counter.sync("get"));
    if (after !== undefined) assert.equal(after.value, 3);
    // A cancelled after() job no longer counts.
    const controller = new AbortController();
    const cancelled = counter.withOptions({ signal: controller.signal }).after(
      new Promise<number>(() => {}),
      "add",
    );
    controller.abort(new Error("no"));
    await assert.rejects(Promise.resolve(cancelled), /no/);
    const last = blocking(() => counter.sync("get"));
    if (last !== undefined) assert.equal(last.value, 3);
  });
});

Deno.test("worker: sync before the worker has started throws WouldBlockError", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    assert.throws(() => counter.sync("get"), (error: unknown) => {
      assert.ok(error instanceof WouldBlockError);
      assert.match(error.message, page ? /futureSync/ : /not started yet/);
      return true;
    });
    assert.equal(await counter.futureSync("get"), 1);
  });
});

Deno.test("worker: sync refuses bad input, closed objects and aborted signals", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    await started(counter);
    // @ts-expect-error: not a method name
    assert.throws(() => counter.sync(42), /"method" must be the name of a method of Counter/);
    // @ts-expect-error: not a method of Counter
    assert.throws(() => counter.sync("nope"), /"nope" is not a method of Counter/);
    if (!page) {
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      assert.throws(() => counter.withOptions({ signal: controller.signal }).sync("get"), /stop/);
      assert.throws(
        // @ts-expect-error: a function cannot be cloned
        () => counter.sync("add", () => 1),
        /cannot be sent to the worker/,
      );
      assert.equal(counter.sync("get"), 1);
    }
    await counter.close();
    assert.throws(() => counter.sync("get"), { name: "ClosedError" });
  });
});

Deno.test("worker: sync round trip (figure; generous bound)", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await started(counter);
    if (blocking(() => counter.sync("get")) === undefined) return;
    const rounds: number[] = [];
    for (let round = 0; round < 7; round++) {
      const start = performance.now();
      for (let i = 0; i < 200; i++) counter.sync("get");
      rounds.push(((performance.now() - start) / 200) * 1000);
    }
    rounds.sort((a, b) => a - b);
    const median = rounds[3];
    console.log(`sync round trip: median ${median.toFixed(1)} us per call`);
    assert.ok(median < 5000, `median ${median} us`);
  });
});
