// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.1: tests/desync.rs (the Desync API).
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { ClosedError, Desync, TrySyncError, WouldBlockError } from "../../mod.ts";

import { deferred, delay, waitFor } from "./_port.ts";

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
      desync.desync((data) => {
        data.value.val = 43;
      });
      // Odd iterations give the background a microtask to run the writes first; even ones
      // leave both queued, so awaiting the future pulls them ahead of it.
      if (i % 2 === 1) await Promise.resolve();
      // A ready future of the value read when the job starts: Rust's `future::ready(data.val)`.
      const future = desync.futureDesync((data) => Promise.resolve(data.value.val));
      // The future runs after both earlier writes, in order: it sees the last one.
      assert.equal(await future, 43, `iteration ${i}`);
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
      desync.desync((data) => {
        data.value.val = 43;
      });
      if (i % 2 === 1) await Promise.resolve();
      // futureSync is eager: with the writes still queued it drives the queue through them
      // first; after they ran it starts at once on an idle object. Either way it sees 43.
      const future = desync.futureSync((data) => Promise.resolve(data.value.val));
      assert.equal(await future, 43, `iteration ${i}`);
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
    // The `after` job reaches its turn in the first job's drain, or in a later one when the
    // scheduler is due to give the event loop a turn: wait until it has left the queue.
    await waitFor(() => desync.queued === 1, "the after() job reaches its turn");
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
