// Copyright 2026 the desync authors. MIT license.
// Cancellation with AbortSignal: before a job starts it never runs and stops
// counting at once; once it runs it is told, but keeps the queue until it settles.

import assert from "node:assert/strict";
import { Desync, Scheduler } from "../mod.ts";
import { after, futureDesync, futureSync, queue, suspend } from "../scheduler.ts";
import { deferred, errorSink, flushMicrotasks, OverlapDetector } from "./_helpers.ts";

Deno.test("a job aborted while queued never runs, rejects with signal.reason and stops counting at once", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const held = data.futureSync(() => gate.promise);
  await Promise.resolve();
  const controller = new AbortController();
  let ran = false;
  const cancelled = data.futureSync(() => (ran = true), { signal: controller.signal });
  const kept = data.futureSync((n) => ++n.value);
  assert.equal(data.queued, 2);
  const reason = new Error("user navigated away");
  controller.abort(reason);
  assert.equal(data.queued, 1, "an aborted job stops counting immediately");
  await assert.rejects(cancelled, (error) => error === reason);
  gate.resolve();
  await held;
  assert.equal(await kept, 1);
  assert.equal(ran, false);
});

Deno.test("an already-aborted signal rejects at once and nothing is queued", async () => {
  const data = new Desync(0);
  const signal = AbortSignal.abort(new Error("too late"));
  let ran = 0;
  await assert.rejects(data.futureSync(() => ran++, { signal }), /too late/);
  await assert.rejects(data.futureDesync(() => ran++, { signal }), /too late/);
  await assert.rejects(data.after(Promise.resolve(1), () => ran++, { signal }), /too late/);
  await assert.rejects(data.suspend({ signal }), /too late/);
  data.desync(() => void ran++, { signal });
  assert.equal(data.queued, 0);
  await data.close();
  assert.equal(ran, 0);
});

Deno.test("abort while running: the job receives the signal and keeps the queue until it settles", async () => {
  const data = new Desync<string[]>([]);
  const detector = new OverlapDetector();
  const controller = new AbortController();
  const started = deferred();
  const first = data.futureSync(async (log, signal) => {
    detector.enter();
    assert.equal(signal, controller.signal);
    started.resolve();
    await new Promise<void>((resolve) => signal!.addEventListener("abort", () => resolve()));
    await Promise.resolve(); // still cleaning up after the abort
    log.value.push("first cleaned up");
    detector.leave();
    throw signal!.reason;
  }, { signal: controller.signal });
  const second = data.futureSync((log) => {
    detector.enter();
    log.value.push("second");
    detector.leave();
    return [...log.value];
  });
  await started.promise;
  controller.abort(new Error("stop"));
  await assert.rejects(first, /stop/);
  assert.deepEqual(await second, ["first cleaned up", "second"]);
  assert.equal(detector.overlaps, 0);
});

Deno.test("a running job that ignores the abort settles with its own result", async () => {
  const data = new Desync(0);
  const controller = new AbortController();
  const result = data.futureSync(async (n) => {
    controller.abort();
    await Promise.resolve();
    return ++n.value;
  }, { signal: controller.signal });
  assert.equal(await result, 1);
});

Deno.test("fire-and-forget desync with a signal: aborted while queued it never runs and reports nothing", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const gate = deferred();
  data.desync(() => gate.promise);
  const controller = new AbortController();
  data.desync((n, signal) => {
    assert.equal(signal, controller.signal);
    n.value = 99;
  }, { signal: controller.signal });
  await Promise.resolve();
  controller.abort();
  gate.resolve();
  assert.equal(await data.futureSync((n) => n.value), 0);
  assert.deepEqual(errors, []);
});

Deno.test("an after() aborted while waiting for its promise stops waiting and releases the queue", async () => {
  const data = new Desync<string[]>([]);
  const never = new Promise<string>(() => {});
  const controller = new AbortController();
  let called = false;
  const waiting = data.after(never, () => {
    called = true;
  }, { signal: controller.signal });
  const next = data.futureSync((l) => l.value.push("next"));
  await Promise.resolve();
  assert.equal(data.running, true);
  controller.abort(new Error("gave up waiting"));
  await assert.rejects(waiting, /gave up waiting/);
  assert.equal(await next, 1);
  assert.equal(called, false);
});

Deno.test("an after() aborted after its input settled but before its function ran does not run", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const data = new Desync(0, { scheduler: manual });
  const controller = new AbortController();
  const input = deferred<number>();
  let called = false;
  const future = data.after(input.promise, () => {
    called = true;
  }, { signal: controller.signal });
  // Step the after job by hand: it starts waiting, then its input settles; in
  // manual mode its function waits for the next pull.
  assert.equal(manual.runReady(), 1);
  input.resolve(5);
  await flushMicrotasks();
  assert.equal(data.running, true);
  controller.abort(new Error("aborted between the phases"));
  await assert.rejects(future, /between the phases/);
  assert.equal(manual.runReady(), 0);
  assert.equal(called, false);
});

Deno.test("a suspension aborted before it is reached is skipped", async () => {
  const q = queue();
  const order: string[] = [];
  const gate = deferred();
  const held = futureSync(q, () => gate.promise);
  const controller = new AbortController();
  const suspension = suspend(q, { signal: controller.signal });
  const afterwards = futureSync(q, () => order.push("after the skipped suspension"));
  controller.abort(new Error("no pause needed"));
  await assert.rejects(suspension, /no pause needed/);
  gate.resolve();
  await held;
  assert.equal(await afterwards, 1);
  assert.equal(q.suspended, false);
});

Deno.test("aborts on raw queues: futureDesync and after", async () => {
  const q = queue();
  const gate = deferred();
  const held = futureSync(q, () => gate.promise);
  await Promise.resolve();
  const controller = new AbortController();
  const f1 = futureDesync(q, () => "never", { signal: controller.signal });
  const f2 = after(q, Promise.resolve(1), () => "never", { signal: controller.signal });
  assert.equal(q.queued, 2);
  controller.abort();
  assert.equal(q.queued, 0);
  await assert.rejects(f1, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
  await assert.rejects(f2, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
  assert.equal(f1.done, true);
  gate.resolve();
  await held;
});

Deno.test("aborting every queued job of a closing queue lets close resolve", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const held = data.futureSync(() => gate.promise);
  const controller = new AbortController();
  const jobs = Array.from(
    { length: 100 },
    () => data.futureSync((n) => ++n.value, { signal: controller.signal }),
  );
  const closed = data.close();
  controller.abort();
  gate.resolve();
  await held;
  await closed;
  const results = await Promise.allSettled(jobs);
  assert.ok(results.every((r) => r.status === "rejected"));
});

Deno.test("abort listeners are removed once a job starts (no leak on long-lived signals)", async () => {
  const data = new Desync(0);
  const controller = new AbortController();
  let added = 0, removed = 0;
  const signal = controller.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    added++;
    return add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    removed++;
    return remove(...args);
  }) as typeof signal.removeEventListener;
  const gate = deferred();
  const held = data.futureSync(() => gate.promise);
  const jobs = Array.from({ length: 10 }, () => data.futureSync((n) => ++n.value, { signal }));
  assert.equal(added, 10, "queued jobs listen for the abort");
  gate.resolve();
  await held;
  await Promise.all(jobs);
  assert.equal(removed, 10, "and stop listening once they start");
});
