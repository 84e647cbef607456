// Copyright 2026 the desync authors. MIT license.
// Worker objects: ordering, batching, async methods, error fidelity, close and
// dispose, placement, bad input. Every test that starts a worker is named
// "worker: ..." (skipped on workerd, which has no workers).

import assert from "node:assert/strict";
import { ClosedError, DesyncError } from "../mod.ts";
import {
  type HostedClass,
  RemoteError,
  type WorkerApi,
  WorkerPool,
  WorkersUnavailableError,
} from "../worker.ts";
import { deserializeError, serializeError } from "../worker/errors.ts";
import { COUNTER_ENTRY, withPool } from "./_worker_helpers.ts";
import type { Api } from "./fixtures/counter.worker.ts";

Deno.test("worker: per-object FIFO across 1,000 objects, jobs batched per tick", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const objects = Array.from({ length: 1000 }, (_, i) => pool.create("Counter", i));
    for (let round = 0; round < 10; round++) {
      for (const [i, object] of objects.entries()) {
        object.desync("add", 1);
        if (round % 3 === 0) object.futureDesync("append", `${i}:${round}`).detach();
      }
    }
    const totals = await Promise.all(objects.map((o) => o.futureSync("get")));
    assert.deepEqual(totals, objects.map((_, i) => i + 10));
    const logs = await Promise.all(objects.map((o) => o.futureSync("entries")));
    for (const [i, log] of logs.entries()) {
      assert.deepEqual(log, [0, 3, 6, 9].map((round) => `${i}:${round}`));
    }
    assert.equal(pool.workers, 2);
    assert.equal(pool.objects, 1000);
    await Promise.all(objects.map((o) => o.close()));
    assert.equal(pool.objects, 0);
  });
});

Deno.test("worker: an async method holds its object across awaits", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    const results = await Promise.all([
      counter.futureSync("append", "slow", 20),
      counter.futureSync("append", "fast"),
      counter.futureSync("append", "slower", 10),
    ]);
    assert.deepEqual(results, [1, 2, 3]);
    assert.deepEqual(await counter.futureSync("entries"), ["slow", "fast", "slower"]);
  });
});

Deno.test("worker: a method's error keeps its name, message, stack, cause and own properties", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    const error = await counter.futureSync("fail", "nope").catch((e) => e);
    assert.ok(error instanceof RemoteError);
    assert.ok(error instanceof DesyncError);
    assert.equal(error.name, "CounterError");
    assert.equal(error.remoteName, "CounterError");
    assert.equal(error.message, "nope");
    assert.equal(error.code, "E_NOPE");
    assert.match(String(error.stack), /fail/);
    assert.ok(error.cause instanceof RemoteError);
    assert.equal(error.cause.name, "TypeError");
    assert.equal(error.cause.message, "inner");
    assert.equal(error.cause.cause, "root");
    const later = await counter.futureSync("failLater", "later").catch((e) => e);
    assert.equal(later.name, "CounterError");
    assert.equal(later.code, "E_LATER");
    // The object carries on after its errors.
    assert.equal(await counter.futureSync("addAndGet", 1), 1);
  });
});

Deno.test("worker error records: plain values pass, DOMExceptions and functions are described", () => {
  assert.equal(deserializeError(serializeError("text")), "text");
  const dom = deserializeError(serializeError(new DOMException("gone", "AbortError")));
  assert.ok(dom instanceof RemoteError);
  assert.equal((dom as RemoteError).name, "AbortError");
  const withFn = Object.assign(new Error("x"), { fn: () => 1 });
  const rebuilt = deserializeError(structuredClone(serializeError(withFn))) as RemoteError;
  assert.match(String(rebuilt.fn), /function/);
});

Deno.test("worker: fire-and-forget errors go to the object's onError, else the pool's", async () => {
  const poolErrors: unknown[] = [];
  await withPool({ size: 1, onError: (e) => poolErrors.push(e) }, async (pool) => {
    const objectErrors: unknown[] = [];
    const own = pool.createWith({ onError: (e) => objectErrors.push(e) }, "Counter", 0);
    const shared = pool.create("Counter", 0);
    own.desync("fail", "own");
    shared.desync("fail", "shared");
    shared.futureDesync("fail", "detached").detach();
    await Promise.all([own.close(), shared.close()]);
    assert.deepEqual(objectErrors.map((e) => (e as Error).message), ["own"]);
    assert.deepEqual(poolErrors.map((e) => (e as Error).message), ["shared", "detached"]);
  });
});

Deno.test("worker: a throwing constructor fails ready and every job of its object", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const bad = pool.create("Counter", -1);
    const queued = bad.futureSync("get");
    await assert.rejects(
      bad.ready,
      (e: Error) => e.name === "RangeError" && /negative/.test(e.message),
    );
    await assert.rejects(queued, /negative/);
    await assert.rejects(bad.futureSync("get"), /negative/);
    const good = pool.create("Counter", 1); // the worker is fine
    assert.equal(await good.futureSync("get"), 1);
    await bad.close();
  });
});

Deno.test("worker: close drains, disposes the instance and refuses new jobs", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const watcher = pool.create("Counter", 0);
    const counter = pool.create("Counter", 0);
    const results = [counter.futureSync("append", "a", 5), counter.futureSync("addAndGet", 2)];
    const closing = counter.close();
    assert.equal(counter.closed, true);
    assert.equal(counter.close(), closing);
    assert.throws(() => counter.desync("add", 1), ClosedError);
    assert.throws(() => counter.futureSync("get"), ClosedError);
    await closing;
    assert.deepEqual(await Promise.all(results), [1, 2]);
    assert.equal(await watcher.futureSync("disposals"), 1);
    assert.equal(pool.objects, 1);
  });
});

Deno.test("worker: pool close drains every object, then stops every worker", async () => {
  const pool = new WorkerPool<Api>(COUNTER_ENTRY, { size: 2 });
  const a = pool.create("Counter", 0);
  const b = pool.create("Counter", 0);
  const results = [a.futureSync("append", "x", 10), b.futureSync("addAndGet", 3)];
  await pool.close();
  assert.deepEqual(await Promise.all(results), [1, 3]);
  assert.equal(pool.workers, 0);
  assert.equal(a.closed && b.closed, true);
  assert.throws(() => pool.create("Counter", 0), ClosedError);
});

Deno.test("worker: terminate rejects every pending promise with ClosedError", async () => {
  const pool = new WorkerPool<Api>(COUNTER_ENTRY, { size: 1 });
  const counter = pool.create("Counter", 0);
  await counter.ready;
  // Observed at once: they reject while terminate() is awaited (Node reports a
  // rejection unhandled for that long).
  const pending = [counter.futureSync("sleep", 10_000), counter.futureSync("get")]
    .map((p) => p.then(() => "fulfilled", (e) => e));
  counter.desync("add", 1); // given up silently: the owner stopped the pool
  await pool.terminate();
  for (const p of pending) assert.ok(await p instanceof ClosedError);
  assert.equal(pool.workers, 0);
  assert.throws(() => counter.desync("add", 1), ClosedError);
});

Deno.test("worker: placement spreads objects, dedicated workers come on top, idle ones stop", async () => {
  await withPool({ size: 2, idleTimeout: 20 }, async (pool) => {
    const a = pool.create("Counter", 0);
    const b = pool.create("Counter", 0);
    assert.equal(pool.workers, 2);
    const c = pool.create("Counter", 0);
    assert.equal(pool.workers, 2);
    const d = pool.createWith({ worker: "dedicated" }, "Counter", 0);
    assert.equal(pool.workers, 3);
    await Promise.all([a, b, c, d].map((o) => o.ready));
    await d.close();
    assert.equal(pool.workers, 2); // a dedicated worker stops with its object
    await Promise.all([a.close(), c.close()]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(pool.workers, 1); // a and c shared a worker: it went idle and stopped
    assert.equal(await b.futureSync("addAndGet", 1), 1);
  });
});

Deno.test("worker: queued counts unanswered jobs", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    counter.desync("add", 1);
    const get = counter.futureSync("get");
    assert.equal(counter.queued, 3);
    assert.equal(await get, 1);
    assert.equal(counter.queued, 0); // sync(): tests/worker_sync_test.ts
  });
});

Deno.test("worker: bad input throws at the call site, naming the method and what is accepted", async () => {
  assert.throws(() => new WorkerPool("./fixtures/counter.worker.ts"), /absolute URL/);
  assert.throws(() => new WorkerPool(42 as never), /"entry" must be a URL/);
  assert.throws(() => new WorkerPool(COUNTER_ENTRY, { size: 0 }), /"options.size"/);
  assert.throws(() => new WorkerPool(COUNTER_ENTRY, { sise: 2 } as never), /did you mean "size"/);
  assert.throws(() => new WorkerPool(COUNTER_ENTRY, { idleTimeout: -1 }), /idleTimeout/);
  await withPool({ size: 1 }, async (pool) => {
    const loose = pool as unknown as WorkerPool<WorkerApi<Record<string, HostedClass>>>;
    assert.throws(() => loose.create(1 as unknown as string), /"name" must be the name/);
    const unknownEarly = loose.create("Nope");
    await assert.rejects(unknownEarly.ready, /unknown class "Nope"; this worker serves: Counter/);
    assert.throws(() => loose.create("Nope"), /"Nope" is not a class.*serves: Counter/);
    assert.throws(
      () => pool.createWith({ worker: "alone" as never }, "Counter", 0),
      /"shared" or "dedicated"/,
    );
    const counter = pool.create("Counter", 0);
    await counter.ready;
    assert.throws(() => counter.desync("nope" as never), /"nope" is not a method of Counter/);
    assert.throws(() => counter.futureSync(3 as never), /"method" must be the name/);
    assert.throws(() => counter.withOptions({ sigal: 1 } as never), /did you mean "signal"/);
    assert.throws(() => counter.withOptions({ signal: 1 } as never), /AbortSignal/);
    assert.throws(() => counter.after(1 as never, "add"), /must be a promise/);
    // A value structured clone refuses: a clear error at the call's promise, naming it.
    await assert.rejects(
      counter.futureSync("add", (() => 1) as never),
      /WorkerDesync\.futureSync\("add"\): a value cannot be sent to the worker/,
    );
    assert.equal(await counter.futureSync("addAndGet", 1), 1); // unaffected
    await unknownEarly.close();
  });
});

Deno.test("worker: after() waits for a main-thread promise, holding its object", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 1);
    let release!: (value: number) => void;
    const amount = new Promise<number>((resolve) => (release = resolve));
    const added = counter.after(amount, "addAndGet");
    const read = counter.futureSync("get");
    setTimeout(() => release(10), 10);
    assert.equal(await added, 11);
    assert.equal(await read, 11);
    const failed = counter.after(Promise.reject<number>(new Error("no amount")), "add");
    await assert.rejects(async () => await failed, /no amount/);
    assert.equal(await counter.futureSync("get"), 11);
  });
});

Deno.test("WorkerPool: without any way to start workers, fails with a named error", () => {
  const globals = globalThis as { Worker?: unknown; process?: unknown };
  const saved = { Worker: globals.Worker, process: globals.process };
  try {
    try {
      globals.Worker = undefined;
      globals.process = undefined;
    } catch {
      return; // not writable here; workerd runs the real case
    }
    assert.throws(
      () => new WorkerPool(COUNTER_ENTRY),
      (e: Error) => e instanceof WorkersUnavailableError && /cannot start workers/.test(e.message),
    );
  } finally {
    globals.Worker = saved.Worker;
    globals.process = saved.process;
  }
});
