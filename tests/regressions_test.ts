// Copyright 2026 the desync authors. MIT license.
// One focused test per bug found in review, named after what it guards.

import assert from "node:assert/strict";
import { Desync, Scheduler, WouldBlockError } from "../mod.ts";
import { pipeIn } from "../pipe.ts";
import { desync, futureSync } from "../scheduler.ts";
import { deferred, delay, errorSink, flushMicrotasks } from "./_helpers.ts";

/** Busy-waits, so that jobs take real time and use up the scheduler's time budget. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* work */ }
}

Deno.test("a time-budget yield while serving pulls does not strand queues made ready meanwhile", async () => {
  const s = new Scheduler();
  const a = new Desync(0, { scheduler: s });
  const b = new Desync(0, { scheduler: s });
  const gate = deferred();
  a.desync(() => gate.promise); // holds a
  await delay(1);
  for (let i = 0; i < 127; i++) a.desync(() => spin(0.1)); // ~13 ms of pulled work
  const foreground = a.futureSync(() => {
    b.desync((n) => void n.value++); // b becomes ready while the pull pass runs
    return "done";
  });
  gate.resolve();
  assert.equal(await foreground, "done");
  await delay(20);
  assert.equal(b.queued, 0, "b's background job ran without anyone pulling it");
});

Deno.test("idle time does not count against the time budget", async () => {
  const s = new Scheduler();
  const data = new Desync(0, { scheduler: s });
  for (let i = 0; i < 200; i++) data.desync(() => spin(0.03)); // 6 ms: a window expires
  await data.futureDesync(() => {});
  await delay(20); // idle: more than the budget, but no work
  let ran = 0;
  for (let i = 0; i < 100; i++) data.desync(() => void ran++);
  await flushMicrotasks(5);
  // A fresh window starts with the burst. (Only its start is asserted: on a
  // loaded machine, preemption may use up even a fresh window mid-burst.)
  assert.ok(ran > 0, "a burst after an idle gap starts within microtasks");
  await data.futureSync(() => {});
  for (let i = 0; i < 200; i++) data.desync(() => spin(0.03));
  await data.futureSync(() => {});
  await delay(20);
  let now = false;
  const done = data.futureSync(() => void (now = true));
  assert.equal(now, true, "futureSync on an idle object starts at once after an idle gap");
  await done;
});

Deno.test("detach() twice reports a failure once", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const future = data.futureDesync(() => {
    throw new Error("once");
  });
  future.detach();
  future.detach();
  await data.close();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["once"]);
});

Deno.test("detach() after the job already failed still reports it", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const future = data.futureDesync(() => {
    throw new Error("early");
  });
  await data.futureDesync(() => {}); // the failing job has run
  future.detach();
  await flushMicrotasks();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["early"]);
});

Deno.test("a job result whose then getter throws is the job's error, and the queue stays usable", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const hostile = {
    get then() {
      throw new Error("then getter");
    },
  };
  assert.throws(() => data.sync(() => hostile), /then getter/);
  await assert.rejects(data.futureSync(() => hostile), /then getter/);
  data.desync(() => hostile as never);
  assert.equal(await data.futureSync((n) => ++n.value), 1);
  assert.equal(data.running, false);
  await data.close();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["then getter"]);
});

Deno.test("SchedulerFuture.sync ignores async work queued behind its own job", () => {
  const data = new Desync(0);
  const future = data.futureDesync((n) => (n.value = 42));
  data.after(new Promise(() => {}), () => {}).detach(); // async, but after the future
  assert.equal(future.sync(), 42);
});

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

Deno.test("runReady sees a queue that a caller waits for, as soon as it is released", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const q = manual.queue();
  const gate = deferred();
  const first = futureSync(q, () => gate.promise); // inline: holds q
  const log: string[] = [];
  const second = futureSync(q, () => void log.push("foreground")); // queued and pulled
  desync(q, () => void log.push("background"));
  gate.resolve();
  await first;
  // Right after the release, before the pull's drain: runReady must see both jobs.
  assert.equal(manual.runReady(), 2);
  assert.deepEqual(log, ["foreground", "background"]);
  await second;
});

Deno.test("runUntilIdle waits for foreground work whose drain is a macrotask away", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const q = manual.queue();
  for (let i = 0; i < 64; i++) await futureSync(q, () => spin(0.1)); // a window of work
  let ran = false;
  let pending: Promise<unknown> | undefined;
  for (let i = 0; i < 200 && pending === undefined; i++) {
    let inline = false;
    const p = futureSync(q, () => {
      spin(0.1);
      inline = ran = true;
    });
    if (inline) await p;
    else {
      ran = false;
      pending = p; // the window expired: queued and pulled, drained in a macrotask
    }
  }
  assert.ok(pending !== undefined, "the time window should have expired");
  await manual.runUntilIdle();
  assert.equal(ran, true, "runUntilIdle returned before the waiting job ran");
  await pending;
});

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

Deno.test("an error handler never runs inside another sync call on the same object", () => {
  const order: string[] = [];
  const data: Desync<number> = new Desync(0, {
    onError: () => void data.sync(() => order.push("handler's sync job")),
  });
  data.desync(() => {
    throw new Error("x");
  });
  data.desync(() => void order.push("queued job 2"));
  data.sync(() => order.push("outer sync job"));
  assert.deepEqual(order, ["queued job 2", "outer sync job"]);
});

Deno.test("an aborted after() waiting on a pending promise releases its job (and abort reason)", async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  const data = new Desync(0);
  const never = new Promise<void>(() => {});
  let reasonRef: WeakRef<object> | undefined;
  (() => {
    const controller = new AbortController();
    const reason = { large: new Uint8Array(1024) };
    reasonRef = new WeakRef(reason);
    data.after(never, () => {}, { signal: controller.signal }).catch(() => {});
    controller.abort(reason);
  })();
  await delay(0);
  if (gc === undefined) return; // run with --v8-flags=--expose-gc to check retention
  gc();
  await delay(0);
  gc();
  assert.equal(reasonRef!.deref(), undefined, "the pending input keeps nothing of the job alive");
  void never;
});

Deno.test("a cancelled detached future is never reported, whatever the order of abort and detach", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const busy = data.futureSync(() => delay(2)); // keeps the next jobs queued
  const first = new AbortController();
  const f1 = data.futureDesync(() => 1, { signal: first.signal });
  f1.detach();
  first.abort(new Error("detach, then abort"));
  const second = new AbortController();
  const f2 = data.futureDesync(() => 2, { signal: second.signal });
  second.abort(new Error("abort, then detach"));
  f2.detach();
  data.futureDesync(() => 3, { signal: AbortSignal.abort(new Error("already aborted")) }).detach();
  await busy;
  await data.close();
  await flushMicrotasks();
  assert.deepEqual(errors, []);
});

Deno.test("a failed pipe source is not cancelled again, so its error is delivered once", async () => {
  const { errors, handler } = errorSink();
  const manual = new Scheduler({ maxConcurrency: 0 }); // the items wait until stepped
  const data = new Desync<number[]>([], { scheduler: manual, onError: handler });
  const failure = new Error("source failed");
  let next = 0;
  const source = new ReadableStream<number>({
    pull: (c) => next === 2 ? c.error(failure) : c.enqueue(next++),
  }, { highWaterMark: 0 });
  const done = pipeIn(data, source, (d, n) => void d.value.push(n));
  await delay(2); // the source failed; two items are queued
  await data.close(); // runs them; the pipe ends
  await assert.rejects(done, (e: unknown) => e === failure);
  await flushMicrotasks();
  assert.deepEqual(errors, [], "the source's error went to pipeIn only");
});

Deno.test("a source failure, a close and a failing item: each error delivered once", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const sourceFailure = new Error("source failed");
  let next = 0;
  const source = new ReadableStream<number>({
    pull: (c) => next === 1 ? c.error(sourceFailure) : c.enqueue(next++),
  }, { highWaterMark: 0 });
  const running = deferred();
  const itemFailure = deferred();
  const done = pipeIn(data, source, () => {
    running.resolve();
    return itemFailure.promise;
  });
  await running.promise;
  await delay(2); // meanwhile the source failed
  const closed = data.close();
  itemFailure.reject(new Error("process failed"));
  await assert.rejects(done, /process failed/);
  await closed;
  await flushMicrotasks();
  assert.deepEqual(errors, []);
});

Deno.test("a caller waiting behind a backlog does not keep other queues from their turn", async () => {
  const sched = new Scheduler();
  const big = sched.queue();
  const small = sched.queue();
  const total = 100_000;
  let done = 0;
  for (let i = 0; i < total; i++) desync(big, () => void done++);
  let bigDoneWhenSmallRan = -1;
  desync(small, () => void (bigDoneWhenSmallRan = done));
  await futureSync(big, () => {}); // foreground: pulled through the whole backlog
  await futureSync(small, () => {});
  assert.ok(bigDoneWhenSmallRan < total / 10, `small ran after ${bigDoneWhenSmallRan} big jobs`);
});

Deno.test("option errors name the method, and null is not taken for the default", () => {
  assert.throws(
    () => new Scheduler({ maxConcurrency: null as never }),
    /^TypeError: new Scheduler\(\): "options.maxConcurrency" must be a non-negative integer or Infinity, got null$/,
  );
  assert.throws(
    () => pipeIn(new Desync(0), [], () => {}, { backpressure: null as never }),
    /^TypeError: pipeIn\(\): "options.backpressure" must be a positive integer or Infinity, got null$/,
  );
  assert.throws(
    () => pipeIn(new Desync(0), [], () => {}, { backpressure: "2" as never }),
    /got a string \("2"\)$/,
  );
});
