// Copyright 2026 the desync authors. MIT license.
//
// Port of the Rust crate's behavioural test checklist
// (/work/shared/reference/desync-behaviour.md §3.1–§3.8, §3.11, §3.12; the pipe tests §3.9/§3.10
// are not ported because pipes are not implemented yet).
//
// Vocabulary of the adaptations (see §5 of the reference):
// - "busy" = an async job in flight (a job awaiting a deferred) instead of a thread blocked in a job.
// - "slow job" = an async job awaiting a short setTimeout delay instead of `thread::sleep`.
// - "parallel" = two queues interleaving at await points.
// - a blocking `sync` that waits for an async job becomes `await futureSync(...)`; where that
//   matters the test also checks that `sync` throws WouldBlockError and neither runs nor queues.
// - dropping a Desync/queue = `close()`; dropping a QueueResumer = `resume()` / `using`.
// - 0T (zero-thread scheduler) = `new Scheduler({ maxConcurrency: 0 })` (manual mode);
//   `set_max_threads(1)` = `scheduler.maxConcurrency = 1`.
// - channels/oneshots = deferred promises; `block_on` = `await`.
//
// | §    | Rust test                                              | Status  | Notes
// |------|--------------------------------------------------------|---------|------------------------
// | 3.1  | retrieve_data_synchronously                            | ported  |
// | 3.1  | retrieve_data_into_local_var                           | ported  |
// | 3.1  | update_data_asynchronously                             | adapted | slow job is async: sync
// |      |                                                        |         | throws WouldBlock, futureSync waits;
// |      |                                                        |         | plus the sync-job form (drained)
// | 3.1  | update_data_asynchronously_1000_times                  | ported  | ×1000
// | 3.1  | update_data_with_future                                | adapted | slow job = async delay
// | 3.1  | update_data_with_future_1000_times                     | ported  | ×1000
// | 3.1  | update_data_with_future_sync                           | adapted | slow job = async delay
// | 3.1  | update_data_with_future_sync_1000_times                | ported  | ×1000
// | 3.1  | dropping_while_running_isnt_obviously_bad              | adapted | drop = close() / await using
// | 3.1  | wait_for_future                                        | adapted | oneshot = deferred (Desync.after)
// | 3.1  | future_and_sync                                        | adapted | thread = timer; waiting sync =
// |      |                                                        |         | futureSync; 1 s sleep dropped
// | 3.1  | double_future_and_sync                                 | adapted | blocking sleeps = async delays in
// |      |                                                        |         | the shared core's jobs
// | 3.1  | try_sync_succeeds_on_idle_queue                        | ported  |
// | 3.1  | try_sync_succeeds_on_idle_queue_after_async_job        | ported  | + trySync never drains
// | 3.1  | try_sync_fails_on_busy_queue                           | adapted | busy = async job in flight
// | 3.2  | schedule_async                                         | ported  |
// | 3.2  | panicking_panics_with_future_queues                    | adapted | error policy differs: the queue
// |      |                                                        |         | carries on, the error goes to the
// |      |                                                        |         | handler (futures/sync: to caller)
// | 3.2  | async_only_runs_once                                   | ported  | ×1000
// | 3.2  | async_runs_in_order_1000_iter                          | ported  | ×1000
// | 3.2  | schedule_after_queue_released                          | adapted | release = close()
// | 3.2  | will_schedule_in_order                                 | adapted | slow job = async delay
// | 3.2  | will_schedule_separate_queues_in_parallel              | adapted | parallel = interleaving at await
// | 3.3  | schedule_sync                                          | ported  |
// | 3.3  | sync_has_synchronous_lifetime                          | ported  |
// | 3.3  | reschedule_after_immediate_sync                        | ported  |
// | 3.3  | schedule_sync_after_async                              | adapted | claimed slow job = async job in
// |      |                                                        |         | flight: sync throws, futureSync waits
// | 3.3  | sync_drains_with_no_threads                            | adapted | 0T; slow job made synchronous (sync
// |      |                                                        |         | cannot drain an async job)
// | 3.3  | try_sync_succeeds_on_idle_queue                        | ported  | private Scheduler methods
// | 3.3  | try_sync_succeeds_on_idle_queue_after_async_job        | ported  | private Scheduler methods
// | 3.3  | try_sync_fails_on_busy_queue                           | adapted | busy = async job in flight
// | 3.4  | schedule_future                                        | ported  |
// | 3.4  | read_sync_result                                       | adapted | SchedulerFuture.sync(); async job =
// |      |                                                        |         | WouldBlock (cannot block)
// | 3.4  | schedule_future_with_no_scheduler_threads              | ported  | 0T
// | 3.4  | wake_future_with_no_scheduler_threads                  | adapted | 0T; other thread = timer
// | 3.4  | wait_for_future                                        | adapted | Scheduler.after; oneshot = deferred
// | 3.4  | future_waits_for_us                                    | adapted | slow job = async delay
// | 3.4  | poll_two_futures_on_one_queue                          | adapted | 0T; awaiting = pulling; second not
// |      |                                                        |         | done before first; maxConcurrency=1
// |      |                                                        |         | completes the unpulled one
// | 3.4  | wait_for_desync_future_from_desync_future              | ported  | ×1000, global + 0T
// | 3.5  | schedule_future                                        | ported  |
// | 3.5  | schedule_future_with_no_scheduler_threads              | ported  | 0T
// | 3.5  | wake_future_with_no_scheduler_threads                  | adapted | 0T; other thread = timer
// | 3.5  | wait_for_future                                        | adapted | free after(); oneshot = deferred
// | 3.5  | future_waits_for_us                                    | adapted | free after(); slow job = delay
// | 3.5  | wait_for_sync_future_from_desync_future                | ported  | ×1000, global + 0T
// | 3.5  | wait_for_sync_future_from_desync_future_without_awaiting | adapted | ×1000; the waiting syncs are
// |      |                                                        |         | futureSyncs, then syncs succeed
// | 3.5  | wait_for_desync_future_from_sync_future                | ported  | ×1000, global + 0T
// | 3.5  | wait_for_sync_future_from_sync_future                  | ported  | ×1000, global + 0T
// | 3.5  | poll_two_futures_on_one_queue                          | adapted | 0T; futureSync pulls eagerly, so
// |      |                                                        |         | the second runs right after the
// |      |                                                        |         | first; a later unpulled job only
// |      |                                                        |         | runs after maxConcurrency = 1
// | 3.6  | suspend_queue_with_background_thread                   | ported  | ×1000
// | 3.6  | suspend_queue_with_local_drain                         | adapted | 0T; other thread = timer; blocked
// |      |                                                        |         | sync = futureSync
// | 3.6  | safe_to_drop_suspended_queue                           | adapted | drop = `using` resumer + close()
// | 3.7  | will_despawn_extra_threads                             | dropped | no threads to spawn, join or
// |      |                                                        |         | despawn on one event loop
// | 3.8  | fill_thread_pool_with_wait_in_background               | adapted | pool = maxConcurrency 4 saturated by
// |      |                                                        |         | async jobs awaiting a suspended
// |      |                                                        |         | Desync W; sync bypasses the budget;
// |      |                                                        |         | release completes all. Two variants:
// |      |                                                        |         | W on another scheduler / on the same
// | 3.11 | returns_immediately_if_signaled                        | adapted | job finished before the future is
// |      |                                                        |         | awaited / sync()ed
// | 3.11 | cancels_when_dropped                                   | adapted | dropped signaller = job aborted via
// |      |                                                        |         | AbortSignal before it started
// | 3.11 | signals_from_another_thread                            | adapted | other thread = timer
// | 3.11 | forces_queue_drain                                     | ported  | 0T private scheduler (not global)
// | 3.12 | doc-test src/lib.rs                                    | adapted | 100 ms sleep dropped (sync cannot
// |      |                                                        |         | drain an async job)
// | 3.12 | doc-test src/scheduler/mod.rs                          | ported  |
// | 3.12 | doc-test src/pipe.rs (module docs, pipe_in)            | dropped | pipes not implemented yet
// | 3.12 | doc-test src/pipe.rs (pipe docs)                       | dropped | pipes not implemented yet
//
// Totals: 61 checklist entries: 26 ported, 32 adapted, 3 dropped.

import assert from "node:assert/strict";
import {
  ClosedError,
  Desync,
  Scheduler,
  type SchedulerFuture,
  TrySyncError,
  WouldBlockError,
} from "../mod.ts";
import {
  after,
  desync,
  futureDesync,
  futureSync,
  type JobQueue,
  queue,
  suspend,
  sync,
  trySync,
} from "../scheduler.ts";

// ------------------------------------------------------------------------------------ helpers

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A promise with its resolvers: the stand-in for Rust's oneshot channels. */
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An awaited timer: the stand-in for `thread::sleep` inside jobs. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One macrotask: every microtask (and so every microtask-started drain) has run. */
function tick(): Promise<void> {
  return delay(0);
}

/** Fails instead of hanging (Rust's `timeout` helper); the timer is always cleared. */
async function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    id = setTimeout(() => {
      const description = typeof what === "function" ? what() : what;
      reject(new Error(`Timeout after ${ms} ms: ${description}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(id);
  }
}

function manualScheduler(): Scheduler {
  return new Scheduler({ maxConcurrency: 0 });
}

// ------------------------------------------------------------------ §3.1 tests/desync.rs

Deno.test("§3.1 tests/desync.rs (Desync API)", async (t) => {
  await t.step("retrieve_data_synchronously", () => {
    const desync = new Desync({ val: 42 });
    assert.equal(desync.sync((data) => data.value.val), 42);
  });

  await t.step("retrieve_data_into_local_var", () => {
    const desync = new Desync({ val: 42 });
    let val = 0;
    desync.sync((data) => {
      val = data.value.val;
    });
    assert.equal(val, 42);
  });

  await t.step("update_data_asynchronously", async () => {
    // A synchronous background write is drained by the following sync.
    const quick = new Desync({ val: 0 });
    quick.desync((data) => {
      data.value.val = 42;
    });
    assert.equal(quick.sync((data) => data.value.val), 42);

    // The slow (async) write: sync cannot wait for it, so it throws and neither runs nor
    // queues its job; futureSync is the waiting form.
    const slow = new Desync({ val: 0 });
    slow.desync(async (data) => {
      await delay(10);
      data.value.val = 42;
    });
    let ran = false;
    assert.throws(() =>
      slow.sync(() => {
        ran = true;
      }), WouldBlockError);
    assert.equal(ran, false);
    assert.equal(slow.queued, 0);
    assert.equal(slow.running, true);
    assert.equal(await slow.futureSync((data) => data.value.val), 42);
    assert.equal(slow.sync((data) => data.value.val), 42);
  });

  await t.step("update_data_asynchronously_1000_times", async () => {
    for (let i = 0; i < 1000; i++) {
      const desync = new Desync({ val: 0 });
      desync.desync((data) => {
        data.value.val = 42;
      });
      desync.desync((data) => {
        data.value.val = 43;
      });
      // Odd iterations let the background run the jobs first; even ones drain them in sync.
      if (i % 2 === 1) await Promise.resolve();
      assert.equal(desync.sync((data) => data.value.val), 43, `iteration ${i}`);
    }
  });

  await t.step("update_data_with_future", async () => {
    const desync = new Desync({ val: 0 });
    desync.desync(async (data) => {
      await delay(10);
      data.value.val = 42;
    });
    const future = desync.futureDesync(async (data) => {
      await Promise.resolve();
      return data.value.val;
    });
    assert.equal(await future, 42);
  });

  await t.step("update_data_with_future_1000_times", async () => {
    for (let i = 0; i < 1000; i++) {
      const desync = new Desync({ val: 0 });
      desync.desync((data) => {
        data.value.val = 42;
      });
      const future = desync.futureDesync(async (data) => {
        await Promise.resolve();
        return data.value.val;
      });
      assert.equal(await future, 42, `iteration ${i}`);
    }
  });

  await t.step("update_data_with_future_sync", async () => {
    const desync = new Desync({ val: 0 });
    desync.desync(async (data) => {
      await delay(10);
      data.value.val = 42;
    });
    const future = desync.futureSync(async (data) => {
      await Promise.resolve();
      return data.value.val;
    });
    assert.equal(await future, 42);
  });

  await t.step("update_data_with_future_sync_1000_times", async () => {
    for (let i = 0; i < 1000; i++) {
      const desync = new Desync({ val: 0 });
      desync.desync((data) => {
        data.value.val = 42;
      });
      const future = desync.futureSync(async (data) => {
        await Promise.resolve();
        return data.value.val;
      });
      assert.equal(await future, 42, `iteration ${i}`);
    }
  });

  await t.step("dropping_while_running_isnt_obviously_bad", async () => {
    const log: string[] = [];
    const desync = new Desync(0);
    desync.desync(async (n) => {
      await delay(10);
      n.value++;
      log.push("first");
    });
    desync.desync(async (n) => {
      await delay(10);
      n.value++;
      log.push(`second sees ${n.value}`);
    });
    await desync.close(); // "drop" waits for both jobs
    assert.deepEqual(log, ["first", "second sees 2"]);
    assert.equal(desync.closed, true);
    assert.throws(() => desync.desync(() => {}), ClosedError);

    // The same with `await using`, the closest thing to Rust's scope-end drop.
    let saved = 0;
    {
      await using scoped = new Desync(0);
      scoped.desync(async (n) => {
        await delay(10);
        n.value = 41;
      });
      scoped.desync((n) => {
        saved = n.value + 1;
      });
    }
    assert.equal(saved, 42);
  });

  await t.step("wait_for_future", async () => {
    const desync = new Desync(0);
    const input = deferred<number>();
    const seen: number[] = [];
    const firstDone = deferred();
    desync.desync((n) => {
      n.value = 1;
      firstDone.resolve();
    });
    const future = desync.after(input.promise, (n, value) => {
      seen.push(n.value);
      n.value = value;
      return 4;
    });
    desync.desync((n) => {
      seen.push(n.value);
      n.value = 3;
    });
    await firstDone.promise;
    await tick();
    // The `after` job holds the object while it waits for its input.
    assert.equal(seen.length, 0);
    assert.equal(desync.running, true);
    assert.equal(desync.queued, 1);
    assert.throws(() => desync.sync((n) => n.value), WouldBlockError);

    const timer = delay(10).then(() => input.resolve(2));
    assert.equal(await future, 4);
    await timer;
    assert.equal(await desync.futureSync((n) => n.value), 3);
    assert.deepEqual(seen, [1, 2]);
  });

  await t.step("future_and_sync", async () => {
    const a = new Desync<number | null>(null);
    const b = new Desync(0);
    const fromOtherThread = deferred<number>();
    const timer = delay(10).then(() => fromOtherThread.resolve(42));

    // Discarded at once, like Rust's `let _ = desync.future_desync(...)`: it still runs.
    a.futureDesync(async (value) => {
      value.value = await b.futureDesync(async (bv) => {
        bv.value = await fromOtherThread.promise;
        return bv.value;
      });
    });

    // Rust's sync blocks until the future is done; here sync cannot wait...
    assert.throws(() => a.sync((value) => value.value), WouldBlockError);
    // ...and futureSync does.
    assert.equal(await a.futureSync((value) => value.value), 42);
    await timer;
    assert.equal(a.sync((value) => value.value), 42);
    assert.equal(b.sync((value) => value.value), 42);
  });

  await t.step("double_future_and_sync", async () => {
    const core = new Desync<string[]>([]);
    const initiators = [new Desync(0), new Desync(0), new Desync(0)];
    const delays = [30, 20, 10]; // the Rust test's blocking sleeps of 100–400 ms
    initiators.forEach((initiator, index) => {
      const id = index + 1;
      initiator.futureDesync(async (value) => {
        value.value = await core.futureDesync(async (log) => {
          log.value.push(`start ${id}`);
          await delay(delays[index]);
          log.value.push(`end ${id}`);
          return id;
        });
      }).detach();
    });

    assert.equal(await initiators[0].futureSync((v) => v.value), 1);
    assert.equal(await initiators[1].futureSync((v) => v.value), 2);
    assert.equal(await initiators[2].futureSync((v) => v.value), 3);
    assert.deepEqual(initiators.map((initiator) => initiator.sync((v) => v.value)), [1, 2, 3]);
    // The shared core ran the three futures one at a time, in order, across their awaits.
    assert.deepEqual(core.sync((log) => log.value), [
      "start 1",
      "end 1",
      "start 2",
      "end 2",
      "start 3",
      "end 3",
    ]);
  });

  await t.step("try_sync_succeeds_on_idle_queue", () => {
    const desync = new Desync(0);
    const result = desync.trySync((n) => {
      n.value = 1;
      return n.value;
    });
    assert.equal(result, 1);
    assert.equal(desync.sync((n) => n.value), 1);
  });

  await t.step("try_sync_succeeds_on_idle_queue_after_async_job", () => {
    const desync = new Desync(0);
    desync.desync((n) => {
      n.value = 1;
    });
    // trySync never drains: the queued job makes the object busy.
    assert.throws(() => desync.trySync((n) => n.value), TrySyncError);
    desync.sync(() => {});
    const result = desync.trySync((n) => {
      n.value++;
      return n.value;
    });
    assert.equal(result, 2);
  });

  await t.step("try_sync_fails_on_busy_queue", async () => {
    const desync = new Desync(0);
    const started = deferred();
    const gate = deferred();
    desync.desync(async () => {
      started.resolve();
      await gate.promise; // Rust: blocked on a channel receive
    });
    await started.promise;

    let ran = false;
    assert.throws(
      () =>
        desync.trySync((n) => {
          ran = true;
          n.value = 42;
        }),
      (error: unknown) => error instanceof TrySyncError && error.reason === "busy",
    );
    assert.equal(ran, false);

    gate.resolve();
    assert.equal(await desync.futureSync((n) => n.value), 0);
    assert.equal(ran, false);
    assert.equal(desync.trySync((n) => n.value), 0);
  });
});

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
    const result = scheduler.trySync(q, () => {
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
    scheduler.desync(q, () => {
      val = 1;
    });
    scheduler.sync(q, () => {});
    assert.equal(scheduler.trySync(q, () => val + 1), 2);
  });

  await t.step("try_sync_fails_on_busy_queue", async () => {
    const scheduler = new Scheduler();
    const q = scheduler.queue();
    const started = deferred();
    const gate = deferred();
    scheduler.desync(q, async () => {
      started.resolve();
      await gate.promise;
    });
    await started.promise;

    let ran = false;
    assert.throws(() =>
      scheduler.trySync(q, () => {
        ran = true;
      }), TrySyncError);
    assert.throws(() =>
      trySync(q, () => {
        ran = true;
      }), TrySyncError);
    gate.resolve();
    await scheduler.futureSync(q, () => {});
    assert.equal(ran, false);
    assert.equal(scheduler.trySync(q, () => "idle again"), "idle again");
  });
});

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
    // Collect with futureDesync: it is background work, so the budget still
    // holds. (futureSync would drive each queue on the caller's behalf, past
    // the budget, as Rust's sync drains on the calling thread.)
    const values = await withTimeout(
      Promise.all(desyncs.map((desync) => desync.futureDesync((value) => value.value))),
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
