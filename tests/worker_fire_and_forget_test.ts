// Copyright 2026 the desync authors. MIT license.
// desync() on a worker object without a signal is sent untracked (one count
// per object on the main side, not a job per call): what a tracked job did,
// it must still do.

import assert from "node:assert/strict";
import { withPool } from "./_worker_helpers.ts";

Deno.test("worker: desync() jobs count in queued until answered, and the pool keeps them apart per object", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const a = pool.create("Counter", 0);
    const b = pool.create("Counter", 100);
    await Promise.all([a.ready, b.ready]);
    for (let i = 0; i < 500; i++) a.desync("add", 1);
    for (let i = 0; i < 300; i++) b.desync("add", 2);
    assert.equal(a.queued, 500);
    assert.equal(b.queued, 300);
    assert.deepEqual(await Promise.all([a.futureSync("get"), b.futureSync("get")]), [500, 700]);
    assert.equal(a.queued, 0);
    assert.equal(b.queued, 0);
    // Again, after the counts went back to zero.
    a.desync("add", 1);
    assert.equal(await a.futureSync("get"), 501);
  });
});

Deno.test("worker: each failing desync() job reaches onError, in order, and the object goes on", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const errors: unknown[] = [];
    const counter = pool.createWith({ onError: (e) => errors.push(e) }, "Counter", 0);
    counter.desync("fail", "one");
    counter.desync("add", 1);
    counter.desync("fail", "two");
    assert.equal(await counter.futureSync("get"), 1);
    assert.deepEqual(errors.map((e) => (e as Error).message), ["one", "two"]);
    assert.equal(counter.queued, 0);
  });
});

Deno.test("worker: a desync() argument structured clone refuses reaches onError, naming the call", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const errors: unknown[] = [];
    const counter = pool.createWith({ onError: (e) => errors.push(e) }, "Counter", 0);
    await counter.ready;
    counter.desync("add", 1);
    counter.desync("add", (() => 1) as never);
    counter.desync("add", 2);
    assert.equal(await counter.futureSync("get"), 3); // the others ran
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TypeError);
    assert.match(
      (errors[0] as Error).message,
      /WorkerDesync\.desync\("add"\): a value cannot be sent to the worker/,
    );
    assert.equal(counter.queued, 0);
  });
});

Deno.test("worker: desync() jobs behind a construction that cannot be sent each fail with its error", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const errors: unknown[] = [];
    const counter = pool.createWith(
      { onError: (e) => errors.push(e) },
      "Counter",
      (() => 1) as never,
    );
    counter.desync("add", 1);
    counter.desync("add", 2);
    const error = await counter.ready.catch((e) => e);
    assert.match(error.message, /cannot be sent/);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the handlers run in a microtask
    assert.deepEqual(errors, [error, error]);
    assert.equal(counter.queued, 0);
  });
});
