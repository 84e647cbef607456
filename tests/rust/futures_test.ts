// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.4 and §3.5: tests/scheduler/future_desync.rs and future_sync.rs.
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { Scheduler, WouldBlockError } from "../../mod.ts";
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

/** Whether the queue has a job in progress or waiting: a check on it has to wait. */
function busy(q: JobQueue): boolean {
  return q.running || q.queued > 0;
}

/**
 * Creates the inner future of the nested-future tests, in the Rust shape: at top level, on
 * q1, waiting for the oneshot `done1`, and before the outer future exists.
 */
function innerFuture(
  kind: Nested,
  q1: JobQueue,
  done1: Promise<void>,
  log?: string[],
): PromiseLike<number> {
  const innerJob = async () => {
    await done1;
    log?.push("inner done");
    return 42;
  };
  if (kind.startsWith("sync")) {
    const inner = futureSync(q1, innerJob);
    // Rust's lazy future_sync queues a placeholder on q1 here. The eager futureSync has already
    // started its job, which now holds q1 while it waits for the oneshot (or, when the scheduler
    // is due to give the event loop a turn, it is queued on q1 and pulled). Either way q1 is
    // busy with it before the outer future is created.
    assert.ok(busy(q1), "the inner futureSync holds q1");
    return inner;
  }
  const inner = futureDesync(q1, innerJob);
  assert.equal(q1.queued, 1); // background work: queued, not yet started
  return inner;
}

/**
 * The ×1000 nested-future tests of §3.4/§3.5 ("<inner> from <outer>"): the inner future is
 * created first, then the outer one on q2 that awaits it, and the oneshot fires once both
 * are scheduled. Awaiting the outer must not deadlock, and both queues are idle afterwards.
 */
async function nestedFutures(kind: Nested, makeQueue: () => JobQueue): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const q1 = makeQueue();
    const q2 = makeQueue();
    const done1 = deferred();
    const inner = innerFuture(kind, q1, done1.promise);
    const outerJob = async () => await inner;
    const outer: PromiseLike<number> = kind.endsWith("from desync")
      ? futureDesync(q2, outerJob)
      : futureSync(q2, outerJob);
    done1.resolve(); // signal, once both futures are scheduled
    assert.equal(await withTimeout(outer, 1000, `outer, iteration ${i}`), 42, `iteration ${i}`);
    // Rust's sync on both queues: they are idle, so sync runs at once (no WouldBlock).
    assert.equal(sync(q1, () => 1), 1);
    assert.equal(sync(q2, () => 2), 2);
  }
}

/**
 * wait_for_sync_future_from_desync_future_without_awaiting, ×1000: as above with a futureSync
 * inside a futureDesync, but the outer future is never awaited. Rust's sync(q1) must wait for
 * the inner's placeholder, which completes only because the un-awaited outer job polls the
 * inner future_sync; then sync(q2) waits for the outer. Here sync cannot wait, so both checks
 * are futureSyncs, and the one on q1 really waits: q1 is still held by the inner's job. The
 * eager futureSync runs the inner job without being polled, so the outer does not drive it
 * (the one difference, see README.md); what the test still shows is that the un-awaited
 * outer job runs (in the background, or in manual mode when the check on q2 drives q2),
 * sees the inner's result and releases q2.
 */
async function nestedWithoutAwaiting(makeQueue: () => JobQueue): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const q1 = makeQueue();
    const q2 = makeQueue();
    const done1 = deferred();
    const order: string[] = [];
    const inner = innerFuture("sync from desync", q1, done1.promise, order);
    // Kept but never awaited (Rust's unused binding): no `then`, so nothing pulls it.
    const outer = futureDesync(q2, async () => {
      order.push(`outer saw ${await inner}`);
    });
    done1.resolve();

    // Not vacuous: q1 is still busy with the inner job, so the check is queued behind it.
    assert.ok(busy(q1), `q1 is busy, iteration ${i}`);
    await withTimeout(
      futureSync(q1, () => void order.push("q1 checked")),
      1000,
      `q1, iteration ${i}`,
    );
    await withTimeout(
      futureSync(q2, () => void order.push("q2 checked")),
      1000,
      `q2, iteration ${i}`,
    );
    // The check on q1 ran after the inner job; the check on q2 after the outer job.
    const at = (entry: string) => order.indexOf(entry);
    assert.ok(at("inner done") >= 0 && at("inner done") < at("q1 checked"), `iteration ${i}`);
    assert.ok(at("outer saw 42") >= 0 && at("outer saw 42") < at("q2 checked"), `iteration ${i}`);
    assert.equal(outer.done, true, `iteration ${i}`);
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
    assert.deepEqual(log, [1]); // the queue is held by the pending `after`
    assert.equal(q.running, true);
    assert.equal(q.queued, 1);

    input.resolve(2);
    assert.equal(await future, 4);
    await futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("future_waits_for_us", async () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
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
    input.resolve(2); // before the slow first job finished
    await Promise.resolve();
    assert.equal(log.length, 0);
    assert.equal(await future, 4);
    await futureSync(q, () => {});
    assert.deepEqual(log, [1, 2, 3]);
  });

  await t.step("poll_two_futures_on_one_queue", async (t) => {
    await t.step("Rust's shape: both polled, both dependencies fired", async () => {
      const manual = manualScheduler();
      const q = manual.queue();
      const done1 = deferred();
      const done2 = deferred();
      const order: string[] = [];
      const future1 = futureDesync(q, async () => {
        order.push("1 start");
        await done1.promise;
        order.push("1 end");
      });
      const future2 = futureDesync(q, async () => {
        order.push("2 start");
        await done2.promise;
        order.push("2 end");
      });
      let wake1 = false;
      let wake2 = false;
      let secondDoneWhenFirstCompleted: boolean | undefined;

      // Poll future_1: awaiting pulls the queue up to it; its job starts and waits for done1.
      const polled1 = future1.then(() => {
        wake1 = true;
        secondDoneWhenFirstCompleted = future2.done;
      });
      await tick();
      assert.deepEqual(order, ["1 start"]);

      // Poll future_2: pending, its job cannot start while the first holds the queue.
      const polled2 = future2.then(() => {
        wake2 = true;
      });
      await tick();
      assert.deepEqual(order, ["1 start"]);
      assert.equal(future2.done, false);

      done1.resolve();
      // Poll future_2 again (a SchedulerFuture can be awaited more than once): still pending.
      const repolled2 = future2.then(() => "second");
      assert.equal(future2.done, false);
      done2.resolve();
      assert.equal(wake2, false);

      // Rust's first future waits for a re-poll before it finishes; a JS job goes on by
      // itself once done1 fires. What carries over is the queue's order: when the first
      // completed, the second was not complete, although its own dependency had fired.
      await withTimeout(polled1, 1000, "the first future");
      assert.equal(wake1, true);
      assert.equal(secondDoneWhenFirstCompleted, false);

      // Rust's 0-thread drain does not go on to future_2 (a TODO in the Rust test), which
      // needs set_max_threads(1) to finish. Here future_2 was polled, so its queue is pulled
      // up to it: it completes in manual mode, without raising maxConcurrency.
      await withTimeout(polled2, 1000, "the polled second future");
      assert.equal(wake2, true);
      assert.equal(await repolled2, "second");
      assert.equal(manual.maxConcurrency, 0);
      assert.deepEqual(order, ["1 start", "1 end", "2 start", "2 end"]);
    });

    await t.step("the second's dependency fires first: it still waits for the first", async () => {
      const manual = manualScheduler();
      const q = manual.queue();
      const done1 = deferred();
      const done2 = deferred();
      const order: string[] = [];
      const future1 = futureDesync(q, async () => {
        await done1.promise;
        order.push("first");
      });
      const future2 = futureDesync(q, async () => {
        await done2.promise;
        order.push("second");
      });
      const both = Promise.all([future2.then(() => {}), future1.then(() => {})]);
      done2.resolve();
      await tick();
      assert.equal(future2.done, false); // behind the first on the queue
      assert.equal(future1.done, false);
      done1.resolve();
      await withTimeout(both, 1000, "both futures");
      assert.deepEqual(order, ["first", "second"]);
    });

    await t.step("only the first polled: maxConcurrency = 1 completes the second", async () => {
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

      const firstResult = first.then((value) => value);
      await tick();
      assert.deepEqual(order, ["first start"]);
      assert.equal(second.done, false);

      dependency.resolve();
      assert.equal(await withTimeout(firstResult, 1000, "the first future"), 1);
      await tick();
      assert.deepEqual(order, ["first start", "first end"]);
      assert.equal(second.done, false); // not polled: manual mode leaves it queued (Rust's TODO)
      assert.equal(q.queued, 1);

      manual.maxConcurrency = 1; // set_max_threads(1)
      await tick();
      assert.equal(second.done, true);
      assert.equal(await second, 2);
      assert.deepEqual(order, ["first start", "first end", "second"]);
    });
  });

  await t.step("wait_for_desync_future_from_desync_future (global, ×1000)", async () => {
    await nestedFutures("desync from desync", queue);
  });

  await t.step("wait_for_desync_future_from_desync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("desync from desync", () => manual.queue());
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
    await nestedFutures("sync from desync", queue);
  });

  await t.step("wait_for_sync_future_from_desync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("sync from desync", () => manual.queue());
  });

  await t.step(
    "wait_for_sync_future_from_desync_future_without_awaiting (global, ×1000)",
    async () => {
      await nestedWithoutAwaiting(queue);
    },
  );

  await t.step(
    "wait_for_sync_future_from_desync_future_without_awaiting (manual, ×1000)",
    async () => {
      const manual = manualScheduler();
      await nestedWithoutAwaiting(() => manual.queue());
    },
  );

  await t.step("wait_for_desync_future_from_sync_future (global, ×1000)", async () => {
    await nestedFutures("desync from sync", queue);
  });

  await t.step("wait_for_desync_future_from_sync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("desync from sync", () => manual.queue());
  });

  await t.step("wait_for_sync_future_from_sync_future (global, ×1000)", async () => {
    await nestedFutures("sync from sync", queue);
  });

  await t.step("wait_for_sync_future_from_sync_future (manual, ×1000)", async () => {
    const manual = manualScheduler();
    await nestedFutures("sync from sync", () => manual.queue());
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
