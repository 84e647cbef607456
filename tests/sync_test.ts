// Copyright 2026 the desync authors. MIT license.
// sync(), trySync() and SchedulerFuture.sync(): synchronous results, inline
// draining, and the cases where JavaScript cannot wait (WouldBlockError) or
// would deadlock (ReentrancyError), each leaving nothing half-done or
// reordered.

import assert from "node:assert/strict";
import { Desync, ReentrancyError, Scheduler, TrySyncError, WouldBlockError } from "../mod.ts";
import { desync, futureSync, queue, sync, trySync } from "../scheduler.ts";
import { deferred, errorSink } from "./_helpers.ts";

Deno.test("sync runs queued jobs on the caller's stack, then its own, in order", () => {
  const log = new Desync<string[]>([]);
  log.desync((l) => void l.value.push("a"));
  log.desync((l) => void l.value.push("b"));
  assert.equal(log.queued, 2);
  const seen = log.sync((l) => [...l.value]);
  assert.deepEqual(seen, ["a", "b"]);
  assert.equal(log.queued, 0);
});

Deno.test("jobs scheduled by earlier jobs during sync's drain run after sync's job", () => {
  const log = new Desync<string[]>([]);
  log.desync((l) => {
    l.value.push("first");
    log.desync((m) => void m.value.push("scheduled by first"));
  });
  const atSync = log.sync((l) => [...l.value]);
  assert.deepEqual(atSync, ["first"]);
  assert.deepEqual(log.sync((l) => l.value), ["first", "scheduled by first"]);
});

Deno.test("a job can mutate in place and replace primitives and frozen values", () => {
  const n = new Desync(0);
  n.desync((r) => void (r.value = 42));
  assert.equal(n.sync((r) => r.value), 42);
  const frozen = new Desync<Readonly<{ count: number }>>(Object.freeze({ count: 1 }));
  frozen.desync((r) => void (r.value = Object.freeze({ count: r.value.count + 1 })));
  assert.equal(frozen.sync((r) => r.value.count), 2);
  const list = new Desync([1]);
  list.desync((r) => void r.value.push(2));
  assert.deepEqual(list.sync((r) => r.value), [1, 2]);
});

Deno.test("sync throws WouldBlockError while an async job is in flight, without running or queueing", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const started = deferred();
  const held = data.futureSync(async (n) => {
    started.resolve();
    await gate.promise;
    n.value = 1;
  });
  // Inline on an idle object, unless the scheduler is due to give the event loop a turn
  // first: wait for the job itself rather than for a number of microtasks.
  await started.promise;
  assert.equal(data.running, true);
  let ran = false;
  assert.throws(
    () => data.sync(() => (ran = true)),
    (error: unknown) =>
      error instanceof WouldBlockError && /async job is in flight/.test(error.message),
  );
  assert.equal(ran, false);
  assert.equal(data.queued, 0, "the failed sync's job must not be queued");
  gate.resolve();
  await held;
  assert.equal(data.sync((n) => n.value), 1);
  assert.equal(ran, false);
});

Deno.test("sync throws WouldBlockError before running anything when an after() waits ahead", async () => {
  const data = new Desync<string[]>([]);
  const input = deferred<string>();
  data.desync((l) => void l.value.push("before"));
  const waiting = data.after(input.promise, (l, v) => void l.value.push(v));
  assert.throws(() => data.sync((l) => l.value.length), WouldBlockError);
  assert.equal(data.queued, 2, "nothing of the queue was run by the failed sync");
  input.resolve("input");
  await waiting;
  assert.deepEqual(data.sync((l) => l.value), ["before", "input"]);
});

Deno.test("an after() whose promise already settled can be drained by sync", async () => {
  const data = new Desync<string[]>([]);
  const ready = Promise.resolve("ready");
  const future = data.after(ready, (l, v) => l.value.push(v));
  await Promise.resolve(); // the input's settlement is observed
  await Promise.resolve();
  assert.deepEqual(data.sync((l) => [...l.value]), ["ready"]);
  assert.equal(await future, 1);
});

Deno.test("sync stops at an earlier job that turns out to be async, with a clear error", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync<string[]>([], { onError: handler });
  const gate = deferred();
  data.desync((l) => void l.value.push("sync job"));
  data.desync(async (l) => {
    l.value.push("async job started");
    await gate.promise;
    l.value.push("async job finished");
  });
  data.desync((l) => void l.value.push("after the async job"));
  let ran = false;
  assert.throws(
    () => data.sync(() => (ran = true)),
    (error: unknown) =>
      error instanceof WouldBlockError && /returned a promise/.test(error.message),
  );
  assert.equal(ran, false);
  // The jobs before the async one ran (they were due); the async one holds the queue.
  assert.equal(data.running, true);
  assert.equal(data.queued, 1);
  gate.resolve();
  assert.deepEqual(await data.futureSync((l) => l.value), [
    "sync job",
    "async job started",
    "async job finished",
    "after the async job",
  ]);
  assert.deepEqual(errors, []);
});

Deno.test("sync on a suspended queue throws WouldBlockError naming the suspension", async () => {
  const data = new Desync(0);
  const resumer = await data.suspend();
  assert.throws(
    () => data.sync((n) => n.value),
    (error: unknown) => error instanceof WouldBlockError && /suspended/.test(error.message),
  );
  resumer.resume();
  assert.equal(data.sync((n) => n.value), 0);
});

Deno.test("a sync job that returns a promise holds the queue and hands the promise back", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const result = data.sync(async (n) => {
    await gate.promise;
    n.value = 5;
    return "done";
  });
  assert.ok(result instanceof Promise);
  const later = data.futureSync((n) => n.value);
  assert.throws(() => data.sync((n) => n.value), WouldBlockError);
  gate.resolve();
  assert.equal(await result, "done");
  assert.equal(await later, 5);
});

Deno.test("a rejected async sync job rejects the returned promise and releases the queue", async () => {
  const data = new Desync(0);
  const result = data.sync(async () => {
    await Promise.resolve();
    throw new Error("async failure");
  });
  await assert.rejects(result, /async failure/);
  assert.equal(data.sync((n) => n.value + 1), 1);
});

Deno.test("sync rethrows the job's error and the queue carries on", () => {
  const data = new Desync(1);
  data.desync((n) => void n.value++);
  assert.throws(() =>
    data.sync(() => {
      throw new RangeError("job failed");
    }), RangeError);
  assert.equal(data.sync((n) => n.value), 2);
  assert.equal(data.running, false);
});

Deno.test("sync and trySync inside the queue's own job throw ReentrancyError instead of deadlocking", async (t) => {
  await t.step("from a desync job", async () => {
    const data = new Desync(0);
    const caught = deferred<unknown[]>();
    data.desync(() => {
      const errors: unknown[] = [];
      for (const call of [() => data.sync(() => 1), () => data.trySync(() => 1)]) {
        try {
          call();
        } catch (error) {
          errors.push(error);
        }
      }
      caught.resolve(errors);
    });
    const errors = await caught.promise;
    assert.equal(errors.length, 2);
    for (const error of errors) assert.ok(error instanceof ReentrancyError);
  });

  await t.step("through another object's sync", () => {
    const a = new Desync("a");
    const b = new Desync("b");
    const error = a.sync(() => {
      try {
        return b.sync(() => a.sync((x) => x.value));
      } catch (e) {
        return e;
      }
    });
    assert.ok(error instanceof ReentrancyError, String(error));
  });

  await t.step("futureSync created in the job's synchronous part", async () => {
    const data = new Desync(0);
    const outcome = data.futureSync(async () => {
      try {
        await data.futureSync((n) => n.value);
        return "deadlocked?";
      } catch (e) {
        return e;
      }
    });
    const error = await outcome;
    assert.ok(error instanceof ReentrancyError);
    assert.match((error as Error).message, /futureSync\(\)/);
  });

  await t.step("while an inline sync drains an earlier job", () => {
    const data = new Desync(0);
    let error: unknown;
    data.desync(() => {
      try {
        data.sync(() => 0);
      } catch (e) {
        error = e;
      }
    });
    data.sync(() => {});
    assert.ok(error instanceof ReentrancyError);
  });

  await t.step(
    "futureDesync and desync from inside a job are allowed (follow-up work)",
    async () => {
      const data = new Desync<string[]>([]);
      await data.futureSync((l) => {
        l.value.push("job");
        data.desync((m) => void m.value.push("desync follow-up"));
        data.futureDesync((m) => m.value.push("future follow-up")).detach();
      });
      assert.deepEqual(await data.futureSync((l) => l.value), [
        "job",
        "desync follow-up",
        "future follow-up",
      ]);
    },
  );
});

Deno.test("sync after an async job in a later await part gets WouldBlockError mentioning the deadlock risk", async () => {
  const data = new Desync(0);
  const error = await data.futureSync(async () => {
    await Promise.resolve();
    try {
      return data.sync(() => 0);
    } catch (e) {
      return e;
    }
  });
  assert.ok(error instanceof WouldBlockError);
  assert.match((error as Error).message, /deadlock/);
});

Deno.test("trySync runs only on an idle, empty queue and never drains", async () => {
  const data = new Desync(0);
  assert.equal(data.trySync((n) => ++n.value), 1);
  data.desync((n) => void (n.value += 10));
  let ran = false;
  assert.throws(
    () => data.trySync(() => (ran = true)),
    (error: unknown) =>
      error instanceof TrySyncError && error.reason === "busy" &&
      /1 job\(s\) queued/.test(error.message),
  );
  assert.equal(ran, false);
  assert.equal(data.queued, 1, "trySync must not drain");
  await data.futureSync(() => {});
  assert.equal(data.trySync((n) => n.value), 11);
});

Deno.test("trySync reports busy while an async job is in flight or the queue is suspended", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const started = deferred();
  const held = data.futureSync(() => {
    started.resolve();
    return gate.promise;
  });
  await started.promise; // in flight from here on
  assert.throws(() => data.trySync(() => 0), /async job is in flight/);
  gate.resolve();
  await held;
  const resumer = await data.suspend();
  assert.throws(() => data.trySync(() => 0), /suspended/);
  resumer.resume();
  assert.equal(data.trySync(() => "idle again"), "idle again");
});

Deno.test("free functions: sync drains a raw queue inline; trySync declines when jobs wait", async () => {
  const q = queue();
  const seen: number[] = [];
  desync(q, () => void seen.push(1));
  assert.throws(() => trySync(q, () => 0), TrySyncError);
  assert.equal(sync(q, () => seen.length), 1);
  assert.equal(trySync(q, () => "idle"), "idle");
  assert.equal(await futureSync(q, () => seen.length), 1);
});

Deno.test("sync on a manual-mode queue drains what the background never ran", () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync(0, { scheduler: manual });
  data.desync((n) => void n.value++);
  data.desync((n) => void n.value++);
  assert.equal(data.sync((n) => n.value), 2);
});

// Regression (review): SchedulerFuture.sync() refused for async work queued
// behind its own job; it now refuses only for async work ahead of it.
Deno.test("SchedulerFuture.sync ignores async work queued behind its own job", () => {
  const data = new Desync(0);
  const future = data.futureDesync((n) => (n.value = 42));
  data.after(new Promise(() => {}), () => {}).detach(); // async, but after the future
  assert.equal(future.sync(), 42);
});

// Regression (review): SchedulerFuture.sync() did not settle the queue as
// sync() does: an aborted entry stayed behind, and a wakeup was lost.
Deno.test("SchedulerFuture.sync settles the queue: no stale aborted entry, no lost wakeup", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync(0, { scheduler: manual });
  const future = data.futureDesync((n) => ++n.value);
  const controller = new AbortController();
  data.futureDesync(() => {}, { signal: controller.signal }).catch(() => {});
  controller.abort();
  assert.equal(future.sync(), 1);
  assert.equal(data.queued, 0);
  assert.equal(data.trySync((n) => n.value), 1, "not busy: only an aborted entry was left");

  const auto = new Desync(0);
  const first = auto.futureDesync((n) => ++n.value);
  const background = auto.futureDesync((n) => ++n.value);
  assert.equal(first.sync(), 1);
  assert.equal(await background, 2, "the rest of the queue still runs in the background");
});

Deno.test("sync after a nested desync inside an immediate sync still runs the nested job", async () => {
  const data = new Desync<string[]>([]);
  data.sync((l) => {
    l.value.push("sync");
    data.desync((m) => void m.value.push("nested desync"));
  });
  assert.deepEqual(await data.futureSync((l) => l.value), ["sync", "nested desync"]);
});
