// Copyright 2026 the desync authors. MIT license.
// Manual mode (maxConcurrency 0, Rust's zero-thread scheduler): nothing runs
// in the background; queues advance only when something pulls them (a waiting
// caller, runReady, runUntilIdle, close), and the steppers see every queue
// with work, pulled ones included.

import assert from "node:assert/strict";
import { Desync, Scheduler } from "../mod.ts";
import { after, desync, futureDesync, futureSync } from "../scheduler.ts";
import { deferred, delay, flushMicrotasks, nextMacrotask, spin, withTimeout } from "./_helpers.ts";

function manualPair() {
  const manual = new Scheduler({ maxConcurrency: 0 });
  return { manual, log: new Desync<string[]>([], { scheduler: manual }) };
}

Deno.test("nothing runs in the background, however long we wait", async () => {
  const { manual, log } = manualPair();
  log.desync((l) => void l.value.push("a"));
  log.futureDesync((l) => l.value.push("b")).detach();
  log.after(Promise.resolve("c"), (l, v) => l.value.push(v)).detach();
  await flushMicrotasks();
  await delay(5);
  assert.equal(log.queued, 3);
  assert.equal(manual.manual, true);
  assert.equal(manual.runReady(), 3);
  assert.deepEqual(log.sync((l) => l.value), ["a", "b", "c"]);
});

Deno.test("futureSync pulls its queue up to its own job, and no further", async () => {
  const { log } = manualPair();
  log.desync((l) => void l.value.push("before"));
  const result = log.futureSync((l) => [...l.value]);
  log.desync((l) => void l.value.push("after"));
  assert.deepEqual(await result, ["before"]);
  await delay(2);
  assert.equal(log.queued, 1, "the job after the pulled one still waits");
});

Deno.test("awaiting a SchedulerFuture pulls; a detached one waits", async () => {
  const { manual, log } = manualPair();
  log.futureDesync((l) => l.value.push("detached")).detach();
  await delay(2);
  assert.equal(log.queued, 1);
  const awaited = log.futureDesync((l) => l.value.push("awaited"));
  assert.equal(await awaited, 2, "awaiting drains everything ahead of it");
  assert.equal(manual.inFlight, 0);
});

Deno.test("a pull continues across earlier async jobs once they settle", async () => {
  const { log } = manualPair();
  const gate = deferred();
  const started = deferred();
  log.desync(async (l) => {
    started.resolve();
    await gate.promise;
    l.value.push("async");
  });
  log.desync((l) => void l.value.push("sync"));
  const result = log.futureSync((l) => [...l.value]);
  await started.promise; // the pull started it (in a microtask, or after the loop's turn)
  assert.equal(log.running, true);
  gate.resolve();
  assert.deepEqual(await result, ["async", "sync"]);
});

Deno.test("runReady steps all queues fairly and starts async jobs without awaiting them", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const a = manual.queue();
  const b = manual.queue();
  const order: string[] = [];
  desync(a, async () => {
    order.push("a1 start");
    await Promise.resolve();
    order.push("a1 end");
  });
  desync(a, () => void order.push("a2"));
  desync(b, () => void order.push("b1"));
  assert.equal(manual.runReady(), 2, "a1 starts (and holds a), b1 runs");
  assert.deepEqual(order, ["a1 start", "b1"]);
  await flushMicrotasks();
  assert.deepEqual(order, ["a1 start", "b1", "a1 end"], "a2 waits for the next step");
  assert.equal(manual.runReady(), 1);
  assert.deepEqual(order, ["a1 start", "b1", "a1 end", "a2"]);
});

Deno.test("runUntilIdle runs everything, waiting for async jobs, and resolves when idle", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const objects = Array.from({ length: 10 }, () => new Desync(0, { scheduler: manual }));
  for (const o of objects) {
    o.desync(async (n) => {
      await delay(1);
      n.value++;
      o.desync((m) => void m.value++); // follow-up scheduled by a job
    });
  }
  await manual.runUntilIdle();
  for (const o of objects) assert.equal(o.sync((n) => n.value), 2);
});

// Regression (review): a queue pulled by a waiting caller was not on the ready
// list, so runReady/runUntilIdle did not see its foreground work.
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

// Regression (review): the same finding, seen from runUntilIdle: it returned
// before foreground work whose drain was a macrotask away.
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

Deno.test("runUntilIdle does not wait for suspended queues", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync(0, { scheduler: manual });
  const resumer = await data.suspend();
  data.desync((n) => void n.value++);
  await manual.runUntilIdle();
  assert.equal(data.queued, 1);
  resumer.resume();
  await manual.runUntilIdle();
  assert.equal(data.sync((n) => n.value), 1);
});

Deno.test("switching to automatic mode at run time starts the waiting jobs", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const q = manual.queue();
  const ran = deferred<string>();
  desync(q, () => ran.resolve("ran in the background"));
  await nextMacrotask();
  assert.equal(q.queued, 1);
  manual.maxConcurrency = 1;
  assert.equal(manual.manual, false);
  assert.equal(await ran.promise, "ran in the background");
});

Deno.test("suspend in manual mode pulls up to the suspension; resume leaves the rest queued", async () => {
  const { log } = manualPair();
  log.desync((l) => void l.value.push("before"));
  const resumer = await log.suspend();
  assert.equal(log.suspended, true);
  log.desync((l) => void l.value.push("after"));
  resumer.resume();
  await delay(1);
  assert.equal(log.queued, 1);
  assert.deepEqual(log.sync((l) => l.value), ["before", "after"]);
});

Deno.test("free functions in manual mode: futureSync pulls, futureDesync pulls when awaited", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const q = manual.queue();
  const order: number[] = [];
  desync(q, () => void order.push(1));
  assert.equal(await futureSync(q, () => order.push(2)), 2);
  const f = futureDesync(q, () => order.push(3));
  await delay(1);
  assert.deepEqual(order, [1, 2]);
  assert.equal(await f, 3);
});

Deno.test("after() waiting for another queue's SchedulerFuture pulls it (Rust gives the value with zero threads)", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const q1 = manual.queue(), q2 = manual.queue();
  const result = after(q1, futureDesync(q2, () => 42), (v) => v + 1);
  assert.equal(await withTimeout(result, 1000, "after() on a future input"), 43);
  // The queue carries on: a later futureSync and close() settle too.
  assert.equal(await withTimeout(futureSync(q1, () => "later"), 1000, "futureSync"), "later");
  await withTimeout(q1.close(), 1000, "close()");
  assert.equal(q2.queued, 0);
});

Deno.test("after() pulls its future input only when its turn comes", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync<string[]>([], { scheduler: manual });
  const other = new Desync("input", { scheduler: manual });
  data.desync((d) => void d.value.push("first"));
  const input = other.futureDesync((o) => o.value);
  const later = data.after(input, (d, v) => d.value.push(v));
  await delay(2);
  assert.equal(other.queued, 1, "scheduling after() pulls nothing");
  assert.equal(await later, 2);
  assert.deepEqual(data.sync((d) => d.value), ["first", "input"]);
});
