// Copyright 2026 the desync authors. MIT license.
// Worker objects against the ways an adversarial review broke them: a worker
// that never says "ready", a close that would never end, errors that cannot
// be read or cloned, user code posting on the protocol's port, crash report
// floods, serve() called twice. Every test is named "worker: ..." (skipped on
// workerd, which has no workers); each fails on the code before the fixes.

import assert from "node:assert/strict";
import { ClosedError, DesyncError } from "../mod.ts";
import { RemoteError, WorkerCrashedError, WorkerPool } from "../worker.ts";
import { workersAlive } from "../worker/connection.ts";
import { withEntryPool } from "./_worker_helpers.ts";
import type { Api as CounterApi } from "./fixtures/counter.worker.ts";
import type { Api as HostileApi } from "./fixtures/hostile.worker.ts";
import type { Api as TwiceApi } from "./fixtures/twice.worker.ts";

const COUNTER = new URL("./fixtures/counter.worker.ts", import.meta.url);
const HOSTILE = new URL("./fixtures/hostile.worker.ts", import.meta.url);
const SILENT = new URL("./fixtures/silent.worker.ts", import.meta.url);
const CLOSES_EARLY = new URL("./fixtures/closes_early.worker.ts", import.meta.url);
const TWICE = new URL("./fixtures/twice.worker.ts", import.meta.url);

/** `promise`, or a rejection after `ms`: a hang fails the test instead of stalling the run. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

for (
  const [name, entry] of [["never calls serve()", SILENT], [
    "closes itself first",
    CLOSES_EARLY,
  ]] as const
) {
  Deno.test(`worker: an entry that ${name} crashes its objects; nothing hangs`, async () => {
    const errors: unknown[] = [];
    const before = workersAlive();
    const pool = new WorkerPool<CounterApi>(entry, {
      startTimeout: 300,
      onError: (e) => errors.push(e),
    });
    const counter = pool.create("Counter", 0);
    const get = counter.futureSync("get");
    counter.desync("add", 1);
    const error = await within(counter.ready.catch((e) => e), 10_000, "ready");
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.match(error.message, /ready/);
    assert.match(error.message, /serve\(\)/);
    await assert.rejects(within(get, 5000, "futureSync"), WorkerCrashedError);
    assert.equal(counter.crashed, true);
    await within(pool.close(), 5000, "pool.close()");
    assert.equal(errors.length, 1, "the desync job's crash was reported once");
    assert.equal(workersAlive(), before);
  });
}

Deno.test("worker: startTimeout and closeTimeout are checked like the other options", () => {
  for (const key of ["startTimeout", "closeTimeout"]) {
    assert.throws(
      () => new WorkerPool(COUNTER, { [key]: -1 }),
      (e: unknown) => e instanceof TypeError && e.message.includes(`options.${key}`),
    );
  }
});

Deno.test("worker: close() is bounded by closeTimeout; what is pending rejects with ClosedError", async () => {
  await withEntryPool<CounterApi>(COUNTER, { size: 1, closeTimeout: 100 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    // Handled now: Node fails a test on a rejection handled a tick late.
    const slow = counter.futureSync("sleep", 10_000).catch((e) => e);
    const behind = counter.futureSync("get").catch((e) => e);
    const started = Date.now();
    await within(pool.close(), 10_000, "pool.close()");
    assert.ok(Date.now() - started < 5000); // 100 ms, on a busy machine
    const error = await slow;
    assert.ok(error instanceof ClosedError && /timed out/.test(error.message), String(error));
    assert.ok(await behind instanceof ClosedError);
    assert.equal(pool.workers, 0);
  });
});

Deno.test("worker: close() ends even with a worker that never became ready and no startTimeout", async () => {
  await withEntryPool<CounterApi>(
    SILENT,
    { startTimeout: Infinity, closeTimeout: 100 },
    async (pool) => {
      const counter = pool.create("Counter", 0);
      const ready = counter.ready.catch((e) => e);
      await within(pool.close(), 10_000, "pool.close()");
      // ClosedError where nothing reports the silent worker (Deno, browsers); a
      // node:worker_threads or Bun worker with nothing to do exits, which is reported.
      const error = await ready;
      assert.ok(error instanceof ClosedError || error instanceof WorkerCrashedError, String(error));
    },
  );
});

Deno.test("worker: an error that cannot be read or cloned still rejects its promise", async () => {
  await withEntryPool<HostileApi>(HOSTILE, { size: 1 }, async (pool) => {
    const hostile = pool.create("Hostile");
    await hostile.ready; // its start may take seconds (deno test type-checks the entry)
    const getter = await within(
      hostile.futureSync("throwGetter").catch((e) => e),
      10_000,
      "getter",
    );
    assert.ok(getter instanceof RemoteError);
    assert.match(getter.message, /could not be serialized/);
    assert.match(getter.message, /getter/); // the message, where it could be read
    const revoked = await within(
      hostile.futureSync("throwRevoked").catch((e) => e),
      10_000,
      "proxy",
    );
    assert.match((revoked as Error).message, /could not be serialized/);
    const cycle = await within(hostile.futureSync("throwCycle").catch((e) => e), 10_000, "cycle");
    assert.equal((cycle as Error).message, "cycle");
    const loop = (cycle as RemoteError).loop as { self: unknown };
    assert.equal(loop.self, loop);
    assert.equal(await hostile.futureSync("push", 1), 1); // the object lives on
  });
});

Deno.test("worker: after() and cancel with a reason that cannot be serialized still settle", async () => {
  await withEntryPool<HostileApi>(HOSTILE, { size: 1 }, async (pool) => {
    const hostile = pool.create("Hostile");
    await hostile.ready;
    const reason = new Error("bad reason");
    Object.defineProperty(reason, "bad", {
      enumerable: true,
      get() {
        throw new Error("you may not read this");
      },
    });
    const after = hostile.after(Promise.reject(reason), "take");
    assert.equal(await within(after.catch((e) => e), 10_000, "after()"), reason);
    assert.equal(await within(hostile.futureSync("push", 1), 10_000, "the job behind"), 1);
    const controller = new AbortController();
    const slow = hostile.withOptions({ signal: controller.signal }).futureSync("sleep", 50);
    await new Promise((resolve) => setTimeout(resolve, 10)); // sent
    controller.abort(reason);
    assert.equal(await slow.catch((e) => e), reason);
    assert.equal(await within(hostile.futureSync("push", 2), 10_000, "after the cancel"), 2);
  });
});

Deno.test("worker: error fidelity: nested uncloneable props, AggregateError, record-shaped throws", async () => {
  await withEntryPool<HostileApi>(HOSTILE, { size: 1 }, async (pool) => {
    const hostile = pool.create("Hostile");
    const nested = await hostile.futureSync("throwNested").catch((e) => e) as RemoteError;
    assert.equal(nested.name, "RangeError");
    assert.equal(nested.message, "nested");
    assert.equal(nested.code, "E_NESTED");
    assert.match(String(nested.data), /could not be sent/);
    const aggregate = await hostile.futureSync("throwAggregate").catch((e) => e) as RemoteError;
    assert.equal(aggregate.name, "AggregateError");
    const errors = aggregate.errors as unknown[];
    assert.equal(errors.length, 2);
    assert.equal((errors[0] as Error).name, "TypeError");
    assert.equal(errors[1], "two");
    const forged = await hostile.futureSync("throwRecordLike").catch((e) => e);
    assert.ok(!(forged instanceof Error));
    assert.equal((forged as { name: string }).name, "Forged");
  });
});

Deno.test("worker: cancelling with a reason that cannot be cloned still tells the worker", async () => {
  await withEntryPool<CounterApi>(COUNTER, { size: 1 }, async (pool) => {
    const counter = pool.create("Counter", 0);
    await counter.ready;
    const controller = new AbortController();
    const slow = counter.withOptions({ signal: controller.signal }).futureSync("sleep", 10_000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // running in the worker
    const reason = { f() {} };
    controller.abort(reason);
    assert.equal(await slow.catch((e) => e), reason);
    // The sleep ends when its signal aborts; without the CANCEL it would hold the object 10 s.
    assert.deepEqual(await within(counter.futureSync("entries"), 10_000, "entries"), ["aborted"]);
  });
});

Deno.test("worker: messages user code posts on the worker's port are ignored and reported once", async () => {
  const errors: unknown[] = [];
  await withEntryPool<HostileApi>(
    HOSTILE,
    { size: 1, onError: (e) => errors.push(e) },
    async (pool) => {
      const poster = pool.create("Hostile");
      const other = pool.create("Hostile");
      await Promise.all([poster.ready, other.ready]);
      const pending = other.futureSync("sleep", 200);
      await poster.futureSync("post", null);
      await poster.futureSync("post", "hello");
      for (let id = 0; id < 2000; id += 100) {
        await poster.futureSync(
          "post",
          Array.from({ length: 100 }, (_, k) => [1, id + k, "forged"]).flat(),
        );
        await poster.futureSync("post", [1, id, "forged"]);
      }
      assert.equal(await pending, true);
      assert.equal(await poster.futureSync("push", 1), 1);
      assert.equal(errors.length, 1, "one report per worker");
      assert.ok(errors[0] instanceof DesyncError);
      assert.match((errors[0] as Error).message, /worker #\d+/);
      assert.match((errors[0] as Error).message, /not desync's/);
    },
  );
});

Deno.test("worker: a crash is reported once per object, not once per queued job", async () => {
  const errors: unknown[] = [];
  await withEntryPool<CounterApi>(
    COUNTER,
    { size: 1, onError: (e) => errors.push(e) },
    async (pool) => {
      const counter = pool.create("Counter", 0);
      await counter.ready;
      // A browser's workers have no process exit; node:worker_threads ones have no close().
      const exit = counter.futureSync("exit", 3, "document" in globalThis ? "close" : "exit");
      for (let i = 0; i < 1000; i++) counter.desync("add", 1);
      await assert.rejects(exit, WorkerCrashedError);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(errors.filter((e) => e instanceof WorkerCrashedError).length, 1);
    },
  );
});

Deno.test("worker: jobs behind a construction whose arguments cannot be cloned fail with its error", async () => {
  await withEntryPool<CounterApi>(COUNTER, { size: 1 }, async (pool) => {
    const counter = pool.create("Counter", (() => 1) as unknown as number);
    const get = counter.futureSync("get");
    const error = await counter.ready.catch((e) => e);
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /cannot be sent/);
    assert.equal(await get.catch((e) => e), error);
  });
});

Deno.test("worker: serve() called twice in one worker throws, and every job runs once", async () => {
  await withEntryPool<TwiceApi>(TWICE, { size: 1 }, async (pool) => {
    const twice = pool.create("Twice");
    assert.match(await twice.futureSync("second"), /^TypeError: serve\(\): called twice/);
    await twice.futureSync("bump");
    await twice.futureSync("bump");
    assert.equal(await twice.futureSync("bump"), 3);
  });
});
