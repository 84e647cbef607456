// Copyright 2026 the desync authors. MIT license.
// Introspection: queued, running, suspended and closed over an object's life,
// SchedulerFuture.done and QueueResumer.resumed, and readable inspect output
// in Deno and through node:util.

import assert from "node:assert/strict";
import { inspect as nodeInspect } from "node:util";
import { Desync, Scheduler } from "../mod.ts";
import { futureDesync, queue, scheduler } from "../scheduler.ts";
import { deferred, waitFor } from "./_helpers.ts";

/** The inspectors wrap long output over lines; compare it on one. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");

Deno.test("queued, running, suspended and closed follow the object's life", async () => {
  const data = new Desync(0);
  const state = () => [data.queued, data.running, data.suspended, data.closed];
  assert.deepEqual(state(), [0, false, false, false]);
  const gate = deferred();
  const started = deferred();
  const held = data.futureDesync(() => {
    started.resolve();
    return gate.promise;
  });
  data.desync((n) => void n.value++);
  assert.deepEqual(state(), [2, false, false, false]);
  // Background work starts in a microtask, or after the event loop's turn when the scheduler
  // is due to give it one: wait for the job itself.
  await started.promise;
  assert.deepEqual(state(), [1, true, false, false]);
  gate.resolve();
  await held;
  await data.futureSync(() => {}); // and the job queued behind it has run
  assert.deepEqual(state(), [0, false, false, false]);
  const resumer = await data.suspend();
  assert.deepEqual(state(), [0, false, true, false]);
  resumer.resume();
  const input = deferred<number>();
  const waiting = data.after(input.promise, () => {});
  assert.deepEqual(state(), [1, false, false, false]);
  await waitFor(() => data.queued === 0, "the after() job reaches its turn");
  assert.deepEqual(state(), [0, true, false, false], "an after() waiting for its input is running");
  input.resolve(1);
  await waiting;
  const closing = data.close();
  assert.deepEqual(state(), [0, false, false, true]);
  await closing;
});

Deno.test("Desync.scheduler and JobQueue.scheduler name the scheduler that runs them", () => {
  const own = new Scheduler();
  assert.equal(new Desync(0, { scheduler: own }).scheduler, own);
  assert.equal(new Desync(0).scheduler, scheduler());
  assert.equal(own.queue().scheduler, own);
  assert.equal(queue().scheduler, scheduler());
});

Deno.test("SchedulerFuture.done and QueueResumer.resumed", async () => {
  const q = queue();
  const future = futureDesync(q, () => 1);
  assert.equal(future.done, false);
  await future;
  assert.equal(future.done, true);
  assert.equal(Object.prototype.toString.call(future), "[object SchedulerFuture]");
  const resumer = await new Desync(0).suspend();
  assert.equal(resumer.resumed, false);
  resumer.resume();
  resumer.resume(); // idempotent
  assert.equal(resumer.resumed, true);
});

Deno.test("Deno.inspect shows the data and state", async () => {
  const data = new Desync({ answer: 42 });
  assert.equal(
    oneLine(Deno.inspect(data)),
    "Desync { value: { answer: 42 }, queued: 0, running: false, suspended: false, closed: false }",
  );
  const q = queue();
  assert.equal(
    oneLine(Deno.inspect(q)),
    "JobQueue { queued: 0, running: false, suspended: false, closed: false }",
  );
  assert.equal(
    Deno.inspect(new Scheduler({ maxConcurrency: 0 })),
    "Scheduler { maxConcurrency: 0, inFlight: 0, manual: true }",
  );
  const future = futureDesync(q, () => "value");
  assert.equal(Deno.inspect(future), 'SchedulerFuture { state: "pending" }');
  await future;
  assert.equal(Deno.inspect(future), 'SchedulerFuture { state: "fulfilled", value: "value" }');
  const resumer = await data.suspend();
  assert.equal(Deno.inspect(resumer), "QueueResumer { resumed: false }");
  resumer.resume();
});

Deno.test("node:util inspect shows the same", () => {
  const data = new Desync([1, 2]);
  data.desync(() => {});
  assert.equal(
    oneLine(nodeInspect(data)),
    "Desync { value: [ 1, 2 ], queued: 1, running: false, suspended: false, closed: false }",
  );
  assert.match(nodeInspect(new Scheduler()), /^Scheduler \{ maxConcurrency: Infinity/);
  data.sync(() => {});
});
