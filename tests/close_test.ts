// Copyright 2026 the desync authors. MIT license.
// close() and `await using`: drain everything scheduled (async jobs,
// suspensions, work started by error handlers), then refuse new work with
// ClosedError; in manual mode close() drives the queue itself.

import assert from "node:assert/strict";
import { ClosedError, Desync, Scheduler, WouldBlockError } from "../mod.ts";
import { desync, futureSync, queue } from "../scheduler.ts";
import { deferred, delay, errorSink } from "./_helpers.ts";

Deno.test("close resolves once every queued job, async ones included, has finished", async () => {
  const data = new Desync<string[]>([]);
  data.desync(async (l) => {
    await delay(5);
    l.value.push("slow async");
  });
  data.desync((l) => void l.value.push("sync"));
  const future = data.futureDesync(async (l) => {
    await Promise.resolve();
    l.value.push("future");
    return l.value.length;
  });
  let closed = false;
  const closing = data.close().then(() => (closed = true));
  assert.equal(data.closed, true);
  assert.equal(closed, false);
  await closing;
  assert.equal(await future, 3);
  assert.equal(data.queued, 0);
  assert.equal(data.running, false);
});

Deno.test("after close every operation throws ClosedError at the call site", async () => {
  const data = new Desync(0);
  const first = data.close();
  assert.equal(data.close(), first, "close() is idempotent");
  await first;
  const calls: [string, () => unknown][] = [
    ["desync", () => data.desync(() => {})],
    ["sync", () => data.sync(() => {})],
    ["trySync", () => data.trySync(() => {})],
    ["futureSync", () => data.futureSync(() => {})],
    ["futureDesync", () => data.futureDesync(() => {})],
    ["after", () => data.after(Promise.resolve(), () => {})],
    ["suspend", () => data.suspend()],
  ];
  for (const [method, call] of calls) {
    assert.throws(
      call,
      (error: unknown) =>
        error instanceof ClosedError &&
        error.message === `${method}(): the Desync is closed`,
      method,
    );
  }
});

Deno.test("a closing object refuses follow-up work scheduled by its remaining jobs", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  data.desync(() => {
    data.desync(() => {}); // scheduled after close() was called: refused
  });
  await data.close();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof ClosedError);
});

// Regression (review): an onError that started the next job let close()
// resolve while that job still ran; error handlers now run in a fresh
// microtask, never inside a state change.
Deno.test("an error handler that starts the next job does not let close() resolve early", async () => {
  const events: string[] = [];
  const data = new Desync(0, {
    onError: () => {
      try {
        futureB.sync(); // declared below; the handler runs later
      } catch (error) {
        events.push((error as Error).name);
      }
    },
  });
  data.desync(async () => {
    await delay(2);
    throw new Error("A failed");
  });
  const gate = deferred();
  const futureB = data.futureDesync(async () => {
    events.push("B started");
    await gate.promise;
    events.push("B finished");
  });
  let closed = false;
  const closing = data.close().then(() => (closed = true));
  await delay(10);
  assert.equal(closed, false, "B is still running");
  gate.resolve();
  await closing;
  assert.deepEqual(events, ["B started", WouldBlockError.name, "B finished"]);
});

Deno.test("close waits for a suspension to be resumed", async () => {
  const data = new Desync(0);
  const resumer = await data.suspend();
  data.desync((n) => void n.value++); // queued before close: still runs
  let closed = false;
  const closing = data.close().then(() => (closed = true));
  await delay(5);
  assert.equal(closed, false);
  resumer.resume();
  await closing;
  assert.equal(closed, true);
});

Deno.test("close on an idle object resolves at once", async () => {
  const data = new Desync("idle");
  await data.close();
  assert.equal(data.closed, true);
});

Deno.test("close called from inside a job resolves after that job", async () => {
  const data = new Desync(0);
  const closed = data.sync((n) => {
    n.value = 1;
    return data.close();
  });
  await closed;
  assert.equal(data.closed, true);
});

Deno.test("await using closes and drains at the end of the scope", async () => {
  const seen: number[] = [];
  {
    await using data = new Desync(0);
    data.desync(async (n) => {
      await delay(2);
      seen.push(++n.value);
    });
  }
  assert.deepEqual(seen, [1]);
  {
    await using q = queue();
    desync(q, () => void seen.push(2));
  }
  assert.deepEqual(seen, [1, 2]);
});

Deno.test("close in manual mode drives the queue itself", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync(0, { scheduler: manual });
  data.desync((n) => void n.value++);
  data.desync(async (n) => {
    await Promise.resolve();
    n.value++;
  });
  await data.close();
  assert.equal(data.queued, 0);
});

Deno.test("a raw queue closes too, and its free functions throw ClosedError afterwards", async () => {
  const q = queue();
  const gate = deferred();
  const held = futureSync(q, () => gate.promise);
  const closing = q.close();
  assert.throws(() => desync(q, () => {}), /desync\(\): the JobQueue is closed/);
  gate.resolve();
  await held;
  await closing;
  assert.equal(q.closed, true);
});

Deno.test("a job returning its own queue's future or close promise does not deadlock", async () => {
  const data = new Desync(0);
  // Holding the queue for these would wait for jobs that can only run after this one.
  const viaFuture = data.futureSync(() => data.futureDesync((n) => ++n.value));
  assert.equal(await viaFuture, 1);
  const inner = data.sync(() => data.futureDesync((n) => ++n.value));
  assert.equal(await inner, 2);
  const failing = data.futureSync(() =>
    data.futureDesync(() => {
      throw new Error("inner failed");
    })
  );
  await assert.rejects(failing, /inner failed/);
  const closing = data.futureSync(() => data.close());
  await closing;
  assert.equal(data.closed, true);
});
