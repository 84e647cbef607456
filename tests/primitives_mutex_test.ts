// Copyright 2026 the desync authors. MIT license.
// Mutex<T> and MutexGuard<T>: the futures-intrusive mutex checklist (tests/mutex.rs,
// fair mode; waker counts become promise states and ordering), the pitfalls of
// reference §4.3 (lost wake-ups, abort after grant, double release), withLock's
// failure paths, guards used after release, bad input, select cases, and
// contended scenarios with thousands of tasks and with Desync jobs.

import assert from "node:assert/strict";
import { Desync, DesyncError, type Ref } from "../mod.ts";
import { Mutex, MutexGuard, ReleasedError, select } from "../primitives.ts";
import { flushMicrotasks } from "./_helpers.ts";
import { assertAbortTime, bareAborts, settled, state, timeAborts } from "./_primitives.ts";

Deno.test("mutex: the futures-intrusive checklist (fair mode)", async (t) => {
  // FI uncontended_lock
  await t.step("uncontended lock: ready at once, the guard mutates the value", async () => {
    const mutex = new Mutex(5);
    assert.equal(mutex.locked, false);
    const guard = await settled(mutex.lock());
    assert.equal(mutex.locked, true);
    assert.equal(guard.value, 5);
    guard.value = 12;
    guard.release();
    assert.equal(mutex.locked, false);
    const again = await settled(mutex.lock());
    assert.equal(again.value, 12);
    again.release();
    assert.equal(mutex.locked, false);
  });

  // FI poll_after_completion_should_panic: a promise cannot be polled again; the
  // JS counterpart is awaiting the settled promise again, which must not lock twice.
  await t.step("awaiting a granted lock again gives the same guard, no second lock", async () => {
    const mutex = new Mutex(0);
    const locking = mutex.lock();
    const first = await locking;
    const second = await locking;
    assert.equal(first, second);
    first.release();
    assert.equal(mutex.locked, false);
  });

  // FI contended_lock
  await t.step("contended lock: one hand-off per release, oldest first", async () => {
    const mutex = new Mutex(5);
    const guard1 = await mutex.lock();
    const fut2 = mutex.lock();
    const fut3 = mutex.lock();
    assert.equal(await state(fut2), "pending");
    assert.equal(await state(fut3), "pending");
    guard1.value = 27;
    guard1.release();
    const guard2 = await settled(fut2);
    assert.equal(guard2.value, 27);
    assert.equal(await state(fut3), "pending", "exactly one waiter got the lock");
    guard2.value = 72;
    guard2.release();
    const guard3 = await settled(fut3);
    assert.equal(guard3.value, 72);
    guard3.release();
    assert.equal(mutex.locked, false, "the last release wakes nobody and unlocks");
    assert.equal(mutex.waiting, 0);
  });

  // FI lock_synchronously (fair only). Adapted: with direct hand-off the release
  // gives the lock to the waiter at once, so `locked` stays true (FI: false but
  // try_lock fails); what is ported is that tryLock never overtakes a waiter.
  await t.step("tryLock fails while locked and while anyone waits", async () => {
    const mutex = new Mutex(0);
    const guard1 = mutex.tryLock();
    assert.ok(guard1);
    assert.equal(mutex.tryLock(), undefined);
    const controller = new AbortController();
    const waiter = mutex.lock({ signal: controller.signal });
    guard1.release();
    assert.equal(mutex.locked, true, "handed to the waiter");
    assert.equal(mutex.tryLock(), undefined, "the waiter is not overtaken");
    const guard2 = await waiter;
    guard2.release();
    const guard3 = mutex.tryLock();
    assert.ok(guard3, "free again once the waiter released");
    // The waiter leaves before the release: tryLock then succeeds.
    const controller2 = new AbortController();
    const leaving = mutex.lock({ signal: controller2.signal });
    controller2.abort();
    await assert.rejects(leaving);
    guard3.release();
    const guard4 = mutex.tryLock();
    assert.ok(guard4);
    guard4.release();
  });

  // FI cancel_wait_for_mutex
  await t.step("cancel while waiting: the remaining waiter gets the lock", async () => {
    const mutex = new Mutex(0);
    const guard1 = await mutex.lock();
    const controller = new AbortController();
    const fut2 = mutex.lock({ signal: controller.signal });
    const fut3 = mutex.lock();
    const reason = new Error("gave up");
    controller.abort(reason);
    assert.deepEqual(await state(fut2), { error: reason });
    assert.equal(mutex.waiting, 1);
    guard1.release();
    const guard3 = await settled(fut3);
    guard3.release();
    assert.equal(mutex.locked, false);
  });

  // FI unlock_next_when_notification_is_not_used. Adapted: there is no "notified
  // but not yet run" state to lose (direct hand-off); the grant is the commit, so
  // an abort after it is a no-op and the holder's release passes the lock on.
  await t.step("a waiter granted but never used: its release passes the lock on", async () => {
    const mutex = new Mutex(0);
    const guard1 = await mutex.lock();
    const controller = new AbortController();
    const fut2 = mutex.lock({ signal: controller.signal });
    const fut3 = mutex.lock();
    guard1.release(); // fut2 now holds the lock, before any of its code ran
    controller.abort(); // too late: no effect
    const guard2 = await settled(fut2);
    assert.equal(guard2.released, false);
    assert.equal(await state(fut3), "pending");
    guard2.release();
    (await settled(fut3)).release();
  });

  // FI new_waiters_on_unfair_mutex_can_acquire_future_while_one_task_is_notified and
  // FI waiters_on_unfair_mutex_can_acquire_future_through_repolling_if_one_task_is_notified:
  // dropped, there is no unfair mode (see primitives/mutex.ts); the next two steps
  // assert the opposite, fair behaviour.

  // FI new_waiters_on_fair_mutex_cant_acquire_future_while_one_task_is_notified
  await t.step("a newcomer cannot take the lock handed to a waiter that has not run", async () => {
    const mutex = new Mutex(0);
    const guard1 = await mutex.lock();
    const fut2 = mutex.lock();
    guard1.release();
    const fut3 = mutex.lock(); // new, after the release
    assert.equal(mutex.tryLock(), undefined);
    const guard2 = await settled(fut2);
    assert.equal(await state(fut3), "pending");
    guard2.release();
    (await settled(fut3)).release();
  });

  // FI waiters_on_fair_mutex_cant_acquire_future_through_repolling_if_one_task_is_notified
  await t.step("a waiter queued later cannot overtake the one handed the lock", async () => {
    const mutex = new Mutex(0);
    const guard1 = await mutex.lock();
    const order: number[] = [];
    const fut2 = mutex.lock().then((guard) => (order.push(2), guard));
    const fut3 = mutex.lock().then((guard) => (order.push(3), guard));
    guard1.release();
    await flushMicrotasks();
    assert.deepEqual(order, [2]);
    (await fut2).release();
    (await fut3).release();
    assert.deepEqual(order, [2, 3]);
  });

  // FI poll_from_multiple_executors. Adapted: no wakers in JS; several consumers
  // of one lock() promise share its one grant.
  await t.step("several consumers of one lock() share its single grant", async () => {
    const mutex = new Mutex("x");
    const held = await mutex.lock();
    const locking = mutex.lock();
    const a = locking.then((guard) => guard);
    const b = locking.then((guard) => guard);
    held.release();
    assert.equal(await a, await b);
    assert.equal(mutex.waiting, 0);
    (await a).release();
    assert.equal(mutex.locked, false);
  });
});

Deno.test("mutex: releases and guards", async (t) => {
  await t.step("a second release never hands the lock to a third party", async () => {
    const mutex = new Mutex(0);
    const a = await mutex.lock();
    const bLocking = mutex.lock();
    const cLocking = mutex.lock();
    a.release();
    const b = await settled(bLocking);
    a.release(); // stale: must not unlock on b's behalf
    a[Symbol.dispose]();
    assert.equal(await state(cLocking), "pending", "c still waits: b holds the lock");
    assert.equal(mutex.locked, true);
    assert.equal(b.value, 0, "b's guard still works");
    b.release();
    (await settled(cLocking)).release();
    assert.equal(mutex.locked, false);
  });

  await t.step("using releases at the end of the block, also on a throw", async () => {
    const mutex = new Mutex(1);
    {
      using guard = await mutex.lock();
      guard.value++;
      assert.equal(mutex.locked, true);
    }
    assert.equal(mutex.locked, false);
    const fail = async () => {
      using guard = await mutex.lock();
      guard.value++;
      throw new Error("inside");
    };
    await assert.rejects(fail(), /inside/);
    assert.equal(mutex.locked, false);
    assert.equal(mutex.tryLock()?.value, 3);
  });

  await t.step("a released guard throws ReleasedError on read and on write", async () => {
    const mutex = new Mutex({ n: 1 });
    const guard = await mutex.lock();
    guard.release();
    assert.equal(guard.released, true);
    const read = () => guard.value;
    assert.throws(read, {
      name: "ReleasedError",
      message: "MutexGuard.value: the guard was released and cannot be read; lock the mutex again",
    });
    assert.throws(() => (guard.value = { n: 2 }), {
      name: "ReleasedError",
      message:
        "MutexGuard.value: the guard was released and cannot be assigned; lock the mutex again",
    });
    assert.throws(read, ReleasedError);
    assert.throws(read, DesyncError);
    const next = await mutex.lock();
    assert.deepEqual(next.value, { n: 1 }, "the failed write changed nothing");
    next.release();
  });

  await t.step("the guard has the shape of a Desync job's Ref", async () => {
    const increment = (ref: Ref<number>) => ref.value++;
    const mutex = new Mutex(41);
    assert.equal(await mutex.withLock(increment), 41);
    const data = new Desync(41);
    assert.equal(await data.futureSync(increment), 41);
    assert.equal(await mutex.withLock((ref) => ref.value), 42);
  });

  await t.step("each lock gets a fresh guard; an old one stays dead", () => {
    const mutex = new Mutex(0);
    const first = mutex.tryLock()!;
    first.release();
    const second = mutex.tryLock()!;
    assert.notEqual(first, second);
    assert.equal(first.released, true);
    assert.equal(second.released, false);
    second.release();
  });
});

Deno.test("mutex: aborts", async (t) => {
  await t.step(
    "an aborted signal rejects at once, even on a free lock; nothing queued",
    async () => {
      const mutex = new Mutex(0);
      const controller = new AbortController();
      const reason = new Error("before");
      controller.abort(reason);
      assert.deepEqual(await state(mutex.lock({ signal: controller.signal })), { error: reason });
      assert.equal(mutex.locked, false);
      const held = mutex.tryLock()!;
      assert.deepEqual(await state(mutex.lock({ signal: controller.signal })), { error: reason });
      assert.equal(mutex.waiting, 0);
      let ran = false;
      await assert.rejects(mutex.withLock(() => (ran = true), { signal: controller.signal }));
      assert.equal(ran, false);
      held.release();
    },
  );

  await t.step("abort while waiting rejects with signal.reason and leaves the queue", async () => {
    const mutex = new Mutex(0);
    const held = await mutex.lock();
    const controller = new AbortController();
    const waiting = mutex.lock({ signal: controller.signal });
    assert.equal(mutex.waiting, 1);
    controller.abort();
    const result = await state(waiting);
    assert.ok(result !== "pending" && "error" in result);
    assert.equal((result.error as DOMException).name, "AbortError");
    assert.equal(mutex.waiting, 0);
    held.release();
    assert.equal(mutex.locked, false, "the aborted waiter was not handed the lock");
  });

  await t.step("abort after the grant is a no-op: the caller holds the lock", async () => {
    const mutex = new Mutex(0);
    const held = await mutex.lock();
    const controller = new AbortController();
    const waiting = mutex.lock({ signal: controller.signal });
    held.release();
    controller.abort();
    const guard = await settled(waiting);
    assert.equal(mutex.locked, true);
    guard.release();
    assert.equal(mutex.locked, false);
  });

  await t.step(
    "a release made by an earlier listener of the aborting signal passes the waiter by",
    async () => {
      const mutex = new Mutex(0);
      const held = await mutex.lock();
      const controller = new AbortController();
      // Registered before the waiter's own abort listener: runs first.
      controller.signal.addEventListener("abort", () => held.release(), { once: true });
      const aborted = mutex.lock({ signal: controller.signal });
      const next = mutex.lock();
      controller.abort();
      const result = await state(aborted);
      assert.ok(result !== "pending" && "error" in result, "rejected, not granted");
      const guard = await settled(next);
      guard.release();
      assert.equal(mutex.locked, false);
    },
  );

  await t.step("one signal shared by many waiters: all reject, none is granted", async () => {
    const mutex = new Mutex(0);
    const held = await mutex.lock();
    const controller = new AbortController();
    const waiters = Array.from({ length: 50 }, () => mutex.lock({ signal: controller.signal }));
    controller.abort();
    const results = await Promise.allSettled(waiters);
    assert.ok(results.every((result) => result.status === "rejected"));
    assert.equal(mutex.waiting, 0);
    held.release();
    assert.equal(mutex.locked, false);
  });

  await t.step(
    "self-deadlock: a nested lock waits until its signal aborts; tryLock fails",
    async () => {
      const mutex = new Mutex(0);
      const controller = new AbortController();
      const outcome = await mutex.withLock(async (ref) => {
        assert.equal(mutex.tryLock(), undefined, "tryLock does not re-enter");
        const nested = mutex.withLock((inner) => inner.value++, { signal: controller.signal });
        assert.equal(await state(nested), "pending", "waits for ourselves");
        controller.abort(new Error("deadlock avoided"));
        await assert.rejects(nested, /deadlock avoided/);
        return ref.value;
      });
      assert.equal(outcome, 0, "the nested section never ran");
      assert.equal(mutex.locked, false);
    },
  );

  await t.step("10,000 waiters aborted newest-first finish in well under a second", async () => {
    const mutex = new Mutex(0);
    const held = await mutex.lock();
    const bare = await bareAborts(10_000);
    const elapsed = await timeAborts(10_000, (signal) => mutex.lock({ signal }));
    assert.equal(mutex.waiting, 0);
    assertAbortTime(elapsed, bare);
    held.release();
    assert.equal(mutex.locked, false);
  });
});

Deno.test("mutex: withLock", async (t) => {
  await t.step("returns fn's result, awaited; releases after a sync or async return", async () => {
    const mutex = new Mutex(2);
    assert.equal(await mutex.withLock((ref) => ref.value * 10), 20);
    assert.equal(mutex.locked, false);
    assert.equal(
      await mutex.withLock(async (ref) => {
        await flushMicrotasks(3);
        return `${ref.value}!`;
      }),
      "2!",
    );
    assert.equal(mutex.locked, false);
    // A plain thenable is awaited too.
    const thenable: PromiseLike<string> = { then: (resolve) => resolve!("thenable") as never };
    assert.equal(await mutex.withLock(() => thenable), "thenable");
    assert.equal(mutex.locked, false);
  });

  await t.step("fn runs after withLock returned, even on a free lock", async () => {
    const mutex = new Mutex(0);
    let ran = false;
    const running = mutex.withLock(() => void (ran = true));
    assert.equal(ran, false);
    await running;
    assert.equal(ran, true);
  });

  await t.step("a throw or a rejection inside fn rejects and releases", async () => {
    const mutex = new Mutex(0);
    const next = () => mutex.withLock((ref) => ++ref.value);
    const error = new Error("sync throw");
    const throwing = mutex.withLock(() => {
      throw error;
    });
    const queued = next();
    await assert.rejects(throwing, (e) => e === error);
    assert.equal(await queued, 1, "the next waiter got the lock");
    await assert.rejects(
      mutex.withLock(() => Promise.reject("plain reason")),
      (e) => e === "plain reason",
    );
    assert.equal(mutex.locked, false);
    await assert.rejects(
      mutex.withLock(async (ref) => {
        ref.value = 100; // a write before the failure stays: the mutex does not roll back
        await flushMicrotasks(2);
        throw new RangeError("async throw");
      }),
      RangeError,
    );
    assert.equal(await next(), 101);
  });

  await t.step("a guard kept past withLock is dead", async () => {
    const mutex = new Mutex("secret");
    let kept: MutexGuard<string> | undefined;
    await mutex.withLock((guard) => void (kept = guard));
    assert.equal(kept!.released, true);
    assert.throws(() => kept!.value, ReleasedError);
    const later = await mutex.lock();
    kept!.release(); // no effect on the current holder
    assert.equal(later.released, false);
    assert.equal(mutex.locked, true);
    later.release();
  });

  await t.step("fn releasing its guard early: the final release is a no-op", async () => {
    const mutex = new Mutex(0);
    const order: string[] = [];
    const first = mutex.withLock(async (guard) => {
      guard.release();
      await flushMicrotasks(5);
      order.push("first ends");
    });
    const second = mutex.withLock(async () => {
      order.push("second runs");
      await flushMicrotasks(10);
      order.push("second ends");
    });
    const third = mutex.withLock(() => void order.push("third runs"));
    await Promise.all([first, second, third]);
    assert.deepEqual(order, ["second runs", "first ends", "second ends", "third runs"]);
  });

  await t.step("an aborted wait never runs fn", async () => {
    const mutex = new Mutex(0);
    const held = mutex.tryLock()!;
    const controller = new AbortController();
    let ran = false;
    const waiting = mutex.withLock(() => void (ran = true), { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(waiting, /stop/);
    held.release();
    await flushMicrotasks();
    assert.equal(ran, false);
    assert.equal(mutex.locked, false);
  });
});

Deno.test("mutex: select cases", async (t) => {
  await t.step(
    "a free lock case completes at once; a held one queues in the same FIFO",
    async () => {
      const mutex = new Mutex(0);
      const lockCase = mutex.lockCase();
      const first = await select({ lock: lockCase });
      const order: string[] = [];
      const plain = mutex.lock().then((guard) => (order.push("lock()"), guard));
      const viaSelect = select({ lock: lockCase }).then((got) => (order.push("select"), got.value));
      assert.equal(mutex.waiting, 2);
      first.value.release();
      (await plain).release();
      (await viaSelect).release();
      assert.deepEqual(order, ["lock()", "select"], "the case kept its place, and was reused");
      assert.equal(mutex.locked, false);
    },
  );

  await t.step("a lock case that loses never holds the lock", async () => {
    const mutex = new Mutex(0);
    const held = mutex.tryLock()!;
    const other = new Mutex(1);
    const otherHeld = other.tryLock()!;
    const selecting = select({ a: mutex.lockCase(), b: other.lockCase() });
    otherHeld.release();
    const got = await selecting;
    assert.equal(got.key, "b");
    assert.equal(mutex.waiting, 0, "the losing case left the queue");
    held.release();
    assert.equal(mutex.locked, false);
    got.value.release();
  });

  await t.step("two lock cases of one mutex: one wins, the other leaves", async () => {
    const mutex = new Mutex(0);
    const held = mutex.tryLock()!;
    const selecting = select({ a: mutex.lockCase(), b: mutex.lockCase() });
    const behind = mutex.lock();
    assert.equal(mutex.waiting, 3);
    held.release();
    const got = await selecting;
    assert.equal(got.key, "a");
    assert.equal(mutex.waiting, 1, "b left; the plain lock still waits");
    got.value.release();
    (await settled(behind)).release();
    assert.equal(mutex.locked, false);
  });
});

Deno.test("mutex: bad input throws at the call site", async (t) => {
  const mutex = new Mutex(0);
  const signal = new AbortController().signal;
  const rows: [string, () => unknown, typeof TypeError, string][] = [
    [
      "lock(signal)",
      () => mutex.lock(signal as never),
      TypeError,
      'Mutex.lock(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "lock(1)",
      () => mutex.lock(1 as never),
      TypeError,
      'Mutex.lock(): "options" must be an object, got number 1',
    ],
    [
      "lock({ signl })",
      () => mutex.lock({ signl: signal } as never),
      TypeError,
      'Mutex.lock(): unknown option "signl" (did you mean "signal"?); accepted: signal',
    ],
    [
      "lock({ signal: 1 })",
      () => mutex.lock({ signal: 1 } as never),
      TypeError,
      'Mutex.lock(): "options.signal" must be an AbortSignal, got number 1',
    ],
    [
      "withLock()",
      () => mutex.withLock(undefined as never),
      TypeError,
      'Mutex.withLock(): "fn" must be a function, got undefined',
    ],
    [
      "withLock('x')",
      () => mutex.withLock("x" as never),
      TypeError,
      'Mutex.withLock(): "fn" must be a function, got a string ("x")',
    ],
    [
      "withLock(fn, signal)",
      () => mutex.withLock(() => {}, signal as never),
      TypeError,
      'Mutex.withLock(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "withLock(fn, { timeout })",
      () => mutex.withLock(() => {}, { timeout: 5 } as never),
      TypeError,
      'Mutex.withLock(): unknown option "timeout"; accepted: signal',
    ],
    [
      "new MutexGuard()",
      () => new (MutexGuard as unknown as new (...args: unknown[]) => unknown)(Symbol(), mutex),
      TypeError,
      "MutexGuard cannot be constructed directly; lock a Mutex (mutex.lock(), tryLock(), withLock())",
    ],
  ];
  for (const [label, call, error, message] of rows) {
    await t.step(label, () => {
      assert.throws(
        call,
        (e: unknown) => e instanceof error && (e as Error).message === message,
        label,
      );
      assert.equal(mutex.locked, false, `${label}: nothing was locked`);
      assert.equal(mutex.waiting, 0, `${label}: nothing was queued`);
    });
  }
});

Deno.test("mutex: contended scenarios", async (t) => {
  await t.step(
    "1,000 tasks x 100 increments across awaits: no lost update, FIFO turns",
    async () => {
      const tasks = 1_000;
      const rounds = 100;
      const mutex = new Mutex(0);
      const turns: number[] = [];
      let inside = 0;
      const task = async (id: number) => {
        for (let round = 0; round < rounds; round++) {
          await mutex.withLock(async (ref) => {
            assert.equal(++inside, 1, "two tasks inside the section");
            turns.push(id);
            const read = ref.value; // read, await, write: a lost update if not exclusive
            await null;
            await Promise.resolve();
            ref.value = read + 1;
            inside--;
          });
        }
      };
      await Promise.all(Array.from({ length: tasks }, (_, id) => task(id)));
      assert.equal(await mutex.withLock((ref) => ref.value), tasks * rounds);
      assert.equal(turns.length, tasks * rounds);
      // Direct FIFO hand-off: each task queues again behind all the others, so the
      // turns go round robin and a task waits exactly tasks - 1 turns between two.
      let maxGap = 0;
      const last = new Map<number, number>();
      for (let i = 0; i < turns.length; i++) {
        if (turns[i] !== i % tasks) assert.fail(`turn ${i} went to task ${turns[i]}`);
        const previous = last.get(turns[i]);
        if (previous !== undefined) maxGap = Math.max(maxGap, i - previous - 1);
        last.set(turns[i], i);
      }
      assert.equal(maxGap, tasks - 1);
    },
  );

  await t.step("Desync jobs share a mutex and hold its guard across awaits", async () => {
    // Two accounts (Desync objects) post to one shared ledger (a Mutex) from
    // inside their async jobs; the ledger's entries of one posting stay together.
    const ledger = new Mutex<string[]>([]);
    const accounts = [new Desync(100), new Desync(100)];
    const post = (index: number, amount: number) =>
      accounts[index].futureDesync(async (balance) => {
        using entries = await ledger.lock();
        entries.value.push(`${index}: begin`);
        await flushMicrotasks(3); // the other account's job runs meanwhile
        balance.value -= amount;
        entries.value.push(`${index}: -${amount}`);
      });
    await Promise.all([post(0, 10), post(1, 20), post(0, 30), post(1, 40)]);
    const entries = await ledger.withLock((ref) => ref.value);
    assert.equal(entries.length, 8);
    for (let i = 0; i < entries.length; i += 2) {
      assert.equal(
        entries[i].split(":")[0],
        entries[i + 1].split(":")[0],
        "a posting was interleaved",
      );
    }
    assert.equal(await accounts[0].futureSync((b) => b.value), 60);
    assert.equal(await accounts[1].futureSync((b) => b.value), 40);
  });
});
