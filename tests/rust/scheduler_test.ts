// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.2 and §3.3: tests/scheduler/asynchronous.rs and sync.rs (raw queues).
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { ClosedError, Scheduler, TrySyncError, WouldBlockError } from "../../mod.ts";
import { desync, futureDesync, futureSync, queue, sync, trySync } from "../../scheduler.ts";

import { deferred, delay, manualScheduler, tick, withTimeout } from "./_port.ts";

// ----------------------------------------------------- §3.2 tests/scheduler/asynchronous.rs

Deno.test("§3.2 tests/scheduler/asynchronous.rs (raw queues, desync)", async (t) => {
  await t.step("schedule_async", async () => {
    const q = queue();
    const received = deferred<number>();
    desync(q, () => received.resolve(42));
    assert.equal(await withTimeout(received.promise, 1000, "the job never ran"), 42);
  });

  await t.step(
    "panicking_panics_with_future_queues (JS policy: the queue carries on)",
    async () => {
      const errors: unknown[] = [];
      const scheduler = new Scheduler({ onError: (error) => errors.push(error) });
      const q = scheduler.queue();

      const boom = new Error("boom");
      desync(q, () => {
        throw boom;
      });
      const nextRan = deferred<string>();
      desync(q, () => nextRan.resolve("the next job ran"));
      assert.equal(
        await withTimeout(nextRan.promise, 1000, "the job after the failing one"),
        "the next job ran",
      );
      assert.deepEqual(errors, [boom]);

      // An async job's rejection also goes to the handler, and the queue still carries on.
      const asyncBoom = new Error("async boom");
      desync(q, async () => {
        await Promise.resolve();
        throw asyncBoom;
      });
      assert.equal(await futureSync(q, () => "still running"), "still running");
      assert.deepEqual(errors, [boom, asyncBoom]);

      // Errors of observable jobs go to their observer, not to the handler.
      const futureBoom = new Error("future boom");
      await assert.rejects(
        async () =>
          await futureDesync(q, () => {
            throw futureBoom;
          }),
        (error: unknown) => error === futureBoom,
      );
      const syncBoom = new Error("sync boom");
      assert.throws(() =>
        sync(q, () => {
          throw syncBoom;
        }), (error: unknown) => error === syncBoom);
      assert.equal(sync(q, () => 42), 42);
      assert.deepEqual(errors, [boom, asyncBoom]);
    },
  );

  await t.step("async_only_runs_once", async () => {
    let total = 0;
    const runs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const q = queue();
      runs.push(0);
      desync(q, () => {
        runs[i]++;
        total++;
      });
      await futureSync(q, () => {});
      assert.equal(runs[i], 1, `iteration ${i}`);
    }
    await tick();
    assert.equal(total, 1000);
    assert.ok(runs.every((count) => count === 1));
  });

  await t.step("async_runs_in_order_1000_iter", async () => {
    for (let i = 0; i < 1000; i++) {
      const q = queue();
      const order: number[] = [];
      for (let job = 0; job < 10; job++) desync(q, () => order.push(job));
      // Odd iterations let the background start the jobs first; even ones drain them in sync.
      if (i % 2 === 1) await Promise.resolve();
      assert.equal(sync(q, () => 42), 42);
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `iteration ${i}`);
    }
  });

  await t.step("schedule_after_queue_released", async () => {
    const first = queue();
    const firstRan = deferred<number>();
    desync(first, () => firstRan.resolve(1));
    await first.close(); // Rust drops the queue
    assert.equal(await firstRan.promise, 1);
    assert.throws(() => desync(first, () => {}), ClosedError);

    const second = queue();
    const secondRan = deferred<number>();
    desync(second, () => secondRan.resolve(2));
    assert.equal(await withTimeout(secondRan.promise, 1000, "the new queue's job"), 2);
  });

  await t.step("will_schedule_in_order", async () => {
    const q = queue();
    const results: number[] = [];
    desync(q, async () => {
      await delay(10);
      results.push(1);
    });
    desync(q, () => {
      results.push(2);
    });
    await futureSync(q, () => {});
    assert.deepEqual(results, [1, 2]);
  });

  await t.step("will_schedule_separate_queues_in_parallel", async () => {
    const q1 = queue();
    const q2 = queue();
    const log: string[] = [];
    const q2Ran = deferred();
    desync(q1, async () => {
      log.push("q1 start");
      await delay(5);
      // Only completes if q2's job ran while this one was waiting.
      await q2Ran.promise;
      log.push("q1 end");
    });
    desync(q2, () => {
      log.push("q2");
      q2Ran.resolve();
    });
    await withTimeout(futureSync(q1, () => {}), 1000, "q1 waits for q2");
    assert.deepEqual(log, ["q1 start", "q2", "q1 end"]);
  });
});

// ------------------------------------------------------------- §3.3 tests/scheduler/sync.rs

Deno.test("§3.3 tests/scheduler/sync.rs", async (t) => {
  await t.step("schedule_sync", () => {
    assert.equal(sync(queue(), () => 42), 42);
  });

  await t.step("sync_has_synchronous_lifetime", () => {
    const q = queue();
    let val = 0;
    sync(q, () => {
      val = 42;
    });
    assert.equal(val, 42);
  });

  await t.step("reschedule_after_immediate_sync", async () => {
    const q = queue();
    const log: string[] = [];
    const innerRan = deferred();
    sync(q, () => {
      desync(q, () => {
        log.push("inner");
        innerRan.resolve();
      });
      log.push("outer");
    });
    assert.deepEqual(log, ["outer"]); // queued behind the sync, not run inside it
    await withTimeout(innerRan.promise, 1000, "the job queued inside sync");
    assert.deepEqual(log, ["outer", "inner"]);
  });

  await t.step("schedule_sync_after_async", async () => {
    const q = queue();
    let val = 0;
    const started = deferred();
    desync(q, async () => {
      started.resolve();
      await delay(10);
      val = 42;
    });
    await started.promise; // the background has claimed the slow job

    const queuedBefore = q.queued;
    let ran = false;
    assert.throws(() =>
      sync(q, () => {
        ran = true;
      }), WouldBlockError);
    assert.equal(ran, false);
    assert.equal(q.queued, queuedBefore); // the failed sync did not queue its job

    assert.equal(await futureSync(q, () => val), 42);
    assert.equal(sync(q, () => val), 42);
  });

  await t.step("sync_drains_with_no_threads", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const log: string[] = [];
    desync(q, () => log.push("queued job"));
    await tick();
    assert.equal(log.length, 0); // nothing runs in the background
    assert.equal(q.queued, 1);
    assert.equal(sync(q, () => log.push("sync job")), 2);
    assert.deepEqual(log, ["queued job", "sync job"]);
    assert.equal(q.queued, 0);

    // A pending async job cannot be drained synchronously: sync starts it and throws.
    desync(q, async () => {
      await Promise.resolve();
      log.push("async job");
    });
    assert.throws(() => sync(q, () => log.push("never")), WouldBlockError);
    await manual.runUntilIdle();
    assert.deepEqual(log, ["queued job", "sync job", "async job"]);
  });

  await t.step("try_sync_succeeds_on_idle_queue", () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    let val = 0;
    const result = trySync(q, () => {
      val = 1;
      return val;
    });
    assert.equal(result, 1);
    assert.equal(val, 1);
  });

  await t.step("try_sync_succeeds_on_idle_queue_after_async_job", () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    let val = 0;
    desync(q, () => {
      val = 1;
    });
    sync(q, () => {});
    assert.equal(trySync(q, () => val + 1), 2);
  });

  await t.step("try_sync_fails_on_busy_queue", async () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    const started = deferred();
    const gate = deferred();
    desync(q, async () => {
      started.resolve();
      await gate.promise;
    });
    await started.promise;

    let ran = false;
    assert.throws(() =>
      trySync(q, () => {
        ran = true;
      }), TrySyncError);
    assert.throws(() =>
      trySync(q, () => {
        ran = true;
      }), TrySyncError);
    gate.resolve();
    await futureSync(q, () => {});
    assert.equal(ran, false);
    assert.equal(trySync(q, () => "idle again"), "idle again");
  });
});
