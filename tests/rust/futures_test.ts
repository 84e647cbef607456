// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.4 and §3.5: tests/scheduler/future_desync.rs and future_sync.rs.
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { Scheduler, type SchedulerFuture, WouldBlockError } from "../../mod.ts";
import {
  after,
  desync,
  futureDesync,
  futureSync,
  type JobQueue,
  queue,
  sync,
} from "../../scheduler.ts";

import { deferred, delay, manualScheduler, tick, withTimeout } from "./_port.ts";

// ----------------------------------------------------- §3.4 tests/scheduler/future_desync.rs

type Nested = "desync from desync" | "sync from desync" | "desync from sync" | "sync from sync";

/** The ×1000 nested-future tests of §3.4/§3.5: an outer job on q2 awaits an inner one on q1. */
async function nestedFutures(
  kind: Nested,
  makeQueue: () => JobQueue,
  awaitOuter: boolean,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const q1 = makeQueue();
    const q2 = makeQueue();
    const inner = async () => {
      await Promise.resolve();
      return 42;
    };
    // "<inner> from <outer>": the outer job on q2 awaits the inner future on q1.
    const outerJob = async () =>
      await (kind.startsWith("desync") ? futureDesync(q1, inner) : futureSync(q1, inner));
    if (kind.endsWith("from desync")) {
      const outer: SchedulerFuture<number> = futureDesync(q2, outerJob);
      if (awaitOuter) {
        assert.equal(await outer, 42, `iteration ${i}`);
      } else {
        // Never awaited: the outer job runs on its own. Rust's waiting syncs become futureSyncs.
        await withTimeout(futureSync(q1, () => {}), 1000, `q1, iteration ${i}`);
        await withTimeout(futureSync(q2, () => {}), 1000, `q2, iteration ${i}`);
        assert.equal(outer.done, true, `iteration ${i}`);
      }
    } else {
      assert.equal(await futureSync(q2, outerJob), 42, `iteration ${i}`);
    }
    // No deadlock, and both queues are idle again.
    assert.equal(sync(q1, () => 1), 1);
    assert.equal(sync(q2, () => 2), 2);
  }
}

Deno.test("§3.4 tests/scheduler/future_desync.rs", async (t) => {
  await t.step("schedule_future", async () => {
    const future = futureDesync(queue(), async () => {
      await Promise.resolve();
      return 42;
    });
    assert.equal(await future, 42);
  });

  await t.step("read_sync_result", async () => {
    const q = queue();
    assert.equal(futureDesync(q, () => 42).sync(), 42);

    // Unlike Rust's TODO, sync() does not wait for (run) jobs scheduled after the future.
    let later = false;
    const future = futureDesync(q, () => 43);
    desync(q, () => {
      later = true;
    });
    assert.equal(future.sync(), 43);
    assert.equal(later, false);

    // An async job cannot be waited for synchronously.
    const gate = deferred();
    const slow = futureDesync(q, async () => {
      await gate.promise;
      return 44;
    });
    assert.throws(() => slow.sync(), WouldBlockError);
    gate.resolve();
    assert.equal(await slow, 44);
    assert.equal(slow.sync(), 44); // settled: returned at once
    assert.equal(later, true);
  });

  await t.step("schedule_future_with_no_scheduler_threads", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const future = futureDesync(q, async () => {
      await Promise.resolve();
      return 42;
    });
    await tick();
    assert.equal(future.done, false); // nothing runs in the background
    assert.equal(q.queued, 1);
    assert.equal(await withTimeout(future, 1000, "awaiting drains the queue"), 42);
  });

  await t.step("wake_future_with_no_scheduler_threads", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const fromOtherThread = deferred<number>();
    const future = futureDesync(q, async () => await fromOtherThread.promise);
    const timer = delay(10).then(() => fromOtherThread.resolve(42));
    assert.equal(await withTimeout(future, 1000, "woken future"), 42);
    await timer;
  });

  await t.step("wait_for_future", async () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    const log: number[] = [];
    const input = deferred<number>();
    const firstDone = deferred();
    scheduler.desync(q, () => {
      log.push(1);
      firstDone.resolve();
    });
    const future = scheduler.after(q, input.promise, (value) => {
      log.push(value);
      return value * 2;
    });
    scheduler.desync(q, () => {
      log.push(3);
    });

    await firstDone.promise;
    await delay(10);
    assert.deepEqual(log, [1]); // the queue is held by the pending `after`
    assert.equal(q.running, true);
    assert.equal(q.queued, 1);

    input.resolve(2);
    assert.equal(await future, 4);
    await scheduler.futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("future_waits_for_us", async () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    const log: number[] = [];
    const input = deferred<number>();
    const started = deferred();
    scheduler.desync(q, async () => {
      started.resolve();
      await delay(10);
      log.push(1);
    });
    const future = scheduler.after(q, input.promise, (value) => {
      log.push(value);
      return value * 2;
    });
    scheduler.desync(q, () => {
      log.push(3);
    });

    await started.promise;
    input.resolve(2); // before the slow first job finished
    await Promise.resolve();
    assert.equal(log.length, 0);
    assert.equal(await future, 4);
    await scheduler.futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("poll_two_futures_on_one_queue", async (t) => {
    await t.step("only the first is awaited; maxConcurrency = 1 completes the second", async () => {
      const manual = manualScheduler();
      const q = manual.queue();
      const dependency = deferred();
      const order: string[] = [];
      const first = futureDesync(q, async () => {
        order.push("first start");
        await dependency.promise;
        order.push("first end");
        return 1;
      });
      const second = futureDesync(q, () => {
        order.push("second");
        return 2;
      });

      // "Poll" the first: drives the queue up to it.
      const firstResult = first.then((value) => value);
      await tick();
      assert.deepEqual(order, ["first start"]);
      assert.equal(second.done, false);

      dependency.resolve(); // only the first's dependency fires
      assert.equal(await withTimeout(firstResult, 1000, "the first future"), 1);
      await tick();
      assert.deepEqual(order, ["first start", "first end"]);
      assert.equal(second.done, false); // not pulled: manual mode leaves it queued
      assert.equal(q.queued, 1);

      manual.maxConcurrency = 1; // set_max_threads(1)
      await tick();
      assert.equal(second.done, true);
      assert.equal(await second, 2);
      assert.deepEqual(order, ["first start", "first end", "second"]);
    });

    await t.step("both awaited: the second cannot complete before the first", async () => {
      const manual = manualScheduler();
      const q = manual.queue();
      const dependency = deferred();
      const completed: number[] = [];
      const first = futureDesync(q, async () => {
        await dependency.promise;
        return 1;
      });
      const second = futureDesync(q, () => 2);
      const both = Promise.all([
        second.then((value) => completed.push(value)),
        first.then((value) => completed.push(value)),
      ]);
      await tick();
      assert.equal(completed.length, 0);
      assert.equal(second.done, false);
      assert.equal(first.done, false);
      dependency.resolve();
      await withTimeout(both, 1000, "both futures");
      assert.deepEqual(completed, [1, 2]);
    });
  });

  await t.step("wait_for_desync_future_from_desync_future (global, ×1000)", async () => {
    await nestedFutures("desync from desync", queue, true);
  });

  await t.step("wait_for_desync_future_from_desync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("desync from desync", () => manual.queue(), true);
  });
});

// ------------------------------------------------------- §3.5 tests/scheduler/future_sync.rs

Deno.test("§3.5 tests/scheduler/future_sync.rs", async (t) => {
  await t.step("schedule_future", async () => {
    const result = await futureSync(queue(), async () => {
      await Promise.resolve();
      return 42;
    });
    assert.equal(result, 42);
  });

  await t.step("schedule_future_with_no_scheduler_threads", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const log: string[] = [];
    desync(q, () => log.push("before"));
    const future = futureSync(q, async () => {
      await Promise.resolve();
      log.push("future");
      return 42;
    });
    desync(q, () => log.push("after"));
    // futureSync drives its queue up to itself.
    assert.equal(await withTimeout(future, 1000, "manual futureSync"), 42);
    await tick();
    assert.deepEqual(log, ["before", "future"]);
    assert.equal(q.queued, 1);
  });

  await t.step("wake_future_with_no_scheduler_threads", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const fromOtherThread = deferred<number>();
    const future = futureSync(q, async () => await fromOtherThread.promise);
    const timer = delay(10).then(() => fromOtherThread.resolve(42));
    assert.equal(await withTimeout(future, 1000, "woken future"), 42);
    await timer;
  });

  await t.step("wait_for_future (free after())", async () => {
    const q = queue();
    const log: number[] = [];
    const input = deferred<number>();
    const firstDone = deferred();
    desync(q, () => {
      log.push(1);
      firstDone.resolve();
    });
    const future = after(q, input.promise, (value) => {
      log.push(value);
      return value * 2;
    });
    desync(q, () => {
      log.push(3);
    });

    await firstDone.promise;
    await delay(10);
    assert.deepEqual(log, [1]);
    assert.equal(future.done, false);

    input.resolve(2);
    assert.equal(await future, 4);
    await futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("future_waits_for_us (free after())", async () => {
    const q = queue();
    const log: number[] = [];
    const input = deferred<number>();
    const started = deferred();
    desync(q, async () => {
      started.resolve();
      await delay(10);
      log.push(1);
    });
    const future = after(q, input.promise, (value) => {
      log.push(value);
      return value * 2;
    });
    desync(q, () => {
      log.push(3);
    });

    await started.promise;
    input.resolve(2);
    await Promise.resolve();
    assert.equal(log.length, 0);
    assert.equal(await future, 4);
    await futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("wait_for_sync_future_from_desync_future (global, ×1000)", async () => {
    await nestedFutures("sync from desync", queue, true);
  });

  await t.step("wait_for_sync_future_from_desync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("sync from desync", () => manual.queue(), true);
  });

  await t.step(
    "wait_for_sync_future_from_desync_future_without_awaiting (global, ×1000)",
    async () => {
      await nestedFutures("sync from desync", queue, false);
    },
  );

  await t.step(
    "wait_for_sync_future_from_desync_future_without_awaiting (manual, ×1000)",
    async () => {
      const manual = manualScheduler();
      await nestedFutures("sync from desync", () => manual.queue(), false);
    },
  );

  await t.step("wait_for_desync_future_from_sync_future (global, ×1000)", async () => {
    await nestedFutures("desync from sync", queue, true);
  });

  await t.step("wait_for_desync_future_from_sync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("desync from sync", () => manual.queue(), true);
  });

  await t.step("wait_for_sync_future_from_sync_future (global, ×1000)", async () => {
    await nestedFutures("sync from sync", queue, true);
  });

  await t.step("wait_for_sync_future_from_sync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("sync from sync", () => manual.queue(), true);
  });

  await t.step("poll_two_futures_on_one_queue", async () => {
    const manual = manualScheduler();
    const q = manual.queue();
    const dependency = deferred();
    const order: string[] = [];
    const first = futureSync(q, async () => {
      order.push("first start");
      await dependency.promise;
      order.push("first end");
      return 1;
    });
    const second = futureSync(q, () => {
      order.push("second");
      return 2;
    });
    const laterRan = deferred();
    desync(q, () => {
      order.push("later (not pulled)");
      laterRan.resolve();
    });

    await tick();
    assert.deepEqual(order, ["first start"]); // the second cannot start before the first ends

    dependency.resolve();
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    await tick();
    assert.deepEqual(order, ["first start", "first end", "second"]);
    assert.equal(q.queued, 1); // manual mode: the unpulled job waits

    manual.maxConcurrency = 1; // set_max_threads(1)
    await withTimeout(laterRan.promise, 1000, "job released by maxConcurrency = 1");
    assert.deepEqual(order, ["first start", "first end", "second", "later (not pulled)"]);
  });
});
