// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.6, §3.8, §3.11, §3.12: suspend.rs, desync_background_blocking.rs, the
// SchedulerFuture unit tests and the doc-tests.
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { Desync, Scheduler, WouldBlockError } from "../../mod.ts";
import { desync, futureDesync, futureSync, queue, suspend, sync } from "../../scheduler.ts";

import { deferred, delay, manualScheduler, tick, withTimeout } from "./_port.ts";

// ----------------------------------------------------------- §3.6 tests/scheduler/suspend.rs

Deno.test("§3.6 tests/scheduler/suspend.rs", async (t) => {
  await t.step("suspend_queue_with_background_thread (×1000)", async () => {
    for (let i = 0; i < 1000; i++) {
      const q = queue();
      let value = 0;
      const log: string[] = [];
      desync(q, () => log.push(`A saw ${value}`));
      const suspension = suspend(q);
      desync(q, () => log.push(`B saw ${value}`));

      const resumer = await suspension;
      assert.deepEqual(log, ["A saw 0"], `iteration ${i}`);
      assert.equal(q.suspended, true);
      assert.equal(q.queued, 1);
      await Promise.resolve();
      assert.deepEqual(log, ["A saw 0"], `iteration ${i}`);

      value = 1;
      resumer.resume();
      await futureSync(q, () => {});
      assert.deepEqual(log, ["A saw 0", "B saw 1"], `iteration ${i}`);
      assert.equal(resumer.resumed, true);
    }
  });

  await t.step("suspend_queue_with_local_drain", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    let value = 0;
    const log: string[] = [];
    desync(q, () => log.push("before suspend"));
    const suspension = suspend(q);
    desync(q, () => {
      log.push("after resume");
      value = 42;
    });

    // Awaiting drains locally up to the suspension.
    const resumer = await withTimeout(suspension, 1000, "manual suspension");
    assert.deepEqual(log, ["before suspend"]);
    assert.equal(q.suspended, true);
    assert.throws(() => sync(q, () => value), WouldBlockError);

    const timer = delay(10).then(() => {
      resumer.resume();
      manual.maxConcurrency = 1;
    });
    // Rust's blocked sync: the waiting form is futureSync.
    assert.equal(await withTimeout(futureSync(q, () => value), 1000, "resumed queue"), 42);
    await timer;
    assert.deepEqual(log, ["before suspend", "after resume"]);

    // After set_max_threads(1) the background runs the queue again.
    const backgroundRan = deferred();
    desync(q, () => backgroundRan.resolve());
    await withTimeout(backgroundRan.promise, 1000, "background job after maxConcurrency = 1");
  });

  await t.step("safe_to_drop_suspended_queue", async () => {
    const seen: number[] = [];
    const desync = new Desync(0);
    desync.desync((n) => {
      seen.push(++n.value);
    });
    const suspension = desync.suspend();
    desync.desync((n) => {
      seen.push(++n.value);
    });

    let closed = false;
    let closing: Promise<void> = Promise.resolve();
    {
      using _resumer = await suspension;
      assert.deepEqual(seen, [1]); // only the first increment while suspended
      assert.equal(desync.suspended, true);
      closing = desync.close().then(() => {
        closed = true;
      });
      await tick();
      assert.equal(closed, false); // "drop" waits for the suspension to end
      assert.deepEqual(seen, [1]);
    } // the resumer is disposed here: Rust's drop of the QueueResumer
    await withTimeout(closing, 1000, "close after the resumer was disposed");
    assert.equal(closed, true);
    assert.deepEqual(seen, [1, 2]);
  });
});

// ------------------------------------------------------ §3.8 desync_background_blocking.rs

/**
 * Saturates a `maxConcurrency: 4` scheduler with 100 async jobs that each wait for a job on W,
 * which is held by a suspension; then releases W and expects every job to complete.
 */
async function fillBudgetWithWaitInBackground(sameScheduler: boolean): Promise<void> {
  const budget = 4;
  const pool = new Scheduler({ maxConcurrency: budget });
  const w = new Desync(1000, sameScheduler ? { scheduler: pool } : {});
  const resumer = await w.suspend(); // Rust: a thread holds W in a blocking sync

  let started = 0;
  let active = 0;
  let peak = 0;
  const allStarted = deferred();
  const desyncs = Array.from({ length: 100 }, (_, index) => {
    const desync = new Desync(-1, { scheduler: pool });
    desync.desync(async (value) => {
      started++;
      peak = Math.max(peak, ++active);
      if (started === budget) allStarted.resolve();
      try {
        value.value = await w.futureSync((wv) => wv.value + index);
      } finally {
        active--;
      }
    });
    return desync;
  });

  try {
    await withTimeout(allStarted.promise, 1000, "the budget filling up");
    await tick();
    assert.equal(started, budget); // the budget is saturated; the others wait
    assert.equal(pool.inFlight, budget);

    // While saturated, sync still claims and drains a queue itself (Rust: blocked waiters
    // drain queues on their own thread).
    const bystander = new Desync<string[]>([], { scheduler: pool });
    bystander.desync((list) => void list.value.push("queued while saturated"));
    await tick();
    assert.equal(bystander.queued, 1);
    assert.deepEqual(bystander.sync((list) => [...list.value]), ["queued while saturated"]);

    resumer.resume();
    // Wait for the background to finish on its own, within the budget:
    // awaiting the objects' futures (or futureSync) would drive each queue on
    // the caller's behalf, past the budget, as Rust's sync drains on the
    // calling thread.
    const values = await withTimeout(
      pool.runUntilIdle().then(() => desyncs.map((desync) => desync.sync((value) => value.value))),
      1000,
      () =>
        `all 100 jobs after W was released (W on ${sameScheduler ? "the same" : "another"} ` +
        `scheduler). At the timeout: ${started} jobs started, ${pool.inFlight} in flight, ` +
        `W has ${w.queued} queued job(s), W running: ${w.running}`,
    );
    assert.deepEqual(values, desyncs.map((_, index) => 1000 + index));
    assert.equal(await w.futureSync((wv) => wv.value), 1000);
    assert.ok(peak <= budget, `peak ${peak} exceeded the budget ${budget}`);
    assert.equal(started, 100);
  } finally {
    // Cleanup if the assertions failed: make sure nothing is left waiting.
    resumer.resume();
    pool.maxConcurrency = Infinity;
    await Promise.all(desyncs.map((desync) => desync.futureSync(() => {})));
  }
}

Deno.test("§3.8 desync_background_blocking.rs", async (t) => {
  await t.step("fill_thread_pool_with_wait_in_background (W on another scheduler)", async () => {
    await fillBudgetWithWaitInBackground(false);
  });

  await t.step("fill_thread_pool_with_wait_in_background (W on the same scheduler)", async () => {
    await fillBudgetWithWaitInBackground(true);
  });
});

// ------------------------------------------------ §3.11 src/scheduler/scheduler_future.rs

Deno.test("§3.11 scheduler_future.rs unit tests", async (t) => {
  await t.step("returns_immediately_if_signaled", async () => {
    const q = queue();
    const future = futureDesync(q, () => 42);
    sync(q, () => {}); // the job has run before anyone looks at the future
    assert.equal(future.done, true);
    assert.equal(future.sync(), 42);
    assert.equal(await future, 42);

    // In manual mode, awaiting a signalled future does not drive its queue any further.
    const manual = manualScheduler();
    const mq = manual.queue();
    const signalled = futureDesync(mq, () => 43);
    assert.equal(signalled.sync(), 43);
    let later = false;
    desync(mq, () => {
      later = true;
    });
    assert.equal(await withTimeout(signalled, 1000, "a signalled future"), 43);
    await tick();
    assert.equal(later, false);
    assert.equal(mq.queued, 1);
  });

  await t.step("cancels_when_dropped", async () => {
    const q = queue();
    const controller = new AbortController();
    let ran = false;
    const future = futureDesync(q, () => {
      ran = true;
    }, { signal: controller.signal });
    const reason = new Error("dropped before it ran");
    controller.abort(reason);
    await assert.rejects(async () => await future, (error: unknown) => error === reason);
    assert.equal(future.done, true);
    assert.equal(ran, false);
    assert.equal(q.queued, 0);
    assert.equal(await futureSync(q, () => "queue carries on"), "queue carries on");
    assert.equal(ran, false);
  });

  await t.step("signals_from_another_thread", async () => {
    const q = queue();
    const fromOtherThread = deferred<number>();
    const future = futureDesync(q, async () => await fromOtherThread.promise);
    await tick();
    assert.equal(future.done, false);
    const timer = delay(10).then(() => fromOtherThread.resolve(42));
    assert.equal(await withTimeout(future, 1000, "signalled future"), 42);
    await timer;
  });

  await t.step("forces_queue_drain", async () => {
    const manual = manualScheduler(); // Rust sets the global scheduler to 0 threads
    const q = manual.queue();
    let value = 0;
    desync(q, () => {
      value = 42;
    });
    const future = futureDesync(q, () => value);
    await tick();
    assert.equal(value, 0);
    assert.equal(future.done, false);
    assert.equal(await withTimeout(future, 1000, "awaiting drains the queue"), 42);
  });
});

// ------------------------------------------------------------------------ §3.12 doc-tests

Deno.test("§3.12 doc-tests", async (t) => {
  await t.step("src/lib.rs", async () => {
    const number = new Desync(0);
    number.desync((n) => {
      n.value = 42; // the Rust doc sleeps 100 ms here; sync cannot drain an async job
    });
    assert.equal(number.sync((n) => n.value), 42);
    const futureNumber = number.futureSync(async (n) => {
      await Promise.resolve();
      return n.value;
    });
    assert.equal(await futureNumber, 42);
  });

  await t.step("src/scheduler/mod.rs", () => {
    const q = queue();
    const log: string[] = [];
    desync(q, () => log.push("First job"));
    desync(q, () => log.push("Second job"));
    desync(q, () => log.push("Third job"));
    const result = sync(q, () => 42);
    assert.equal(result, 42);
    assert.deepEqual(log, ["First job", "Second job", "Third job"]);
  });
});
