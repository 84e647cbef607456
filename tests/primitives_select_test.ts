// Copyright 2026 the desync authors. MIT license.
// select(): exactly one case completes, the others consume nothing, across
// every primitive; its signal; its failures; bad input.

import assert from "node:assert/strict";
import { Desync } from "../mod.ts";
import {
  Channel,
  ChannelClosedError,
  ManualClock,
  ManualResetEvent,
  Mutex,
  Oneshot,
  select,
  SelectCase,
  Semaphore,
  StateBroadcast,
  TimerService,
} from "../primitives.ts";
import { flushMicrotasks } from "./_helpers.ts";
import { state } from "./_primitives.ts";

Deno.test("select: a case that can complete at once", async (t) => {
  await t.step(
    "the first ready case in key order wins; the later ones are not touched",
    async () => {
      const a = new Channel<number>(4);
      const b = new Channel<number>(4);
      await a.send(1);
      await b.send(2);
      const result = await select({ b: b.receiveCase(), a: a.receiveCase() });
      assert.deepEqual(result, { key: "b", value: { done: false, value: 2 } });
      assert.equal(a.size, 1, "a kept its value");
      assert.deepEqual(a.tryReceive(), { ok: true, value: 1 });
    },
  );

  await t.step("a send case on a channel with room completes at once", async () => {
    const out = new Channel<string>(1);
    const result = await select({ put: out.sendCase("x") });
    assert.deepEqual(result, { key: "put", value: undefined });
    assert.deepEqual(out.tryReceive(), { ok: true, value: "x" });
  });

  await t.step("a rendezvous send case completes at once when a receiver waits", async () => {
    const meet = new Channel<string>(0);
    const receiving = meet.receive();
    const result = await select({ put: meet.sendCase("hello") });
    assert.equal(result.key, "put");
    assert.deepEqual(await receiving, { done: false, value: "hello" });
  });

  await t.step("a free lock, free permits, a set event, a past deadline", async () => {
    const mutex = new Mutex(5);
    const got = await select({ lock: mutex.lockCase() });
    assert.equal(got.value.value, 5);
    assert.equal(mutex.locked, true);
    got.value.release();

    const semaphore = new Semaphore(3);
    const permit = await select({ two: semaphore.acquireCase(2) });
    assert.equal(semaphore.available, 1);
    permit.value.release();
    assert.equal(semaphore.available, 3);

    const event = new ManualResetEvent(true);
    assert.deepEqual(await select({ ready: event.waitCase() }), { key: "ready", value: undefined });

    const clock = new ManualClock(500);
    const timers = new TimerService({ clock });
    assert.equal((await select({ late: timers.deadlineCase(400) })).key, "late");
    assert.equal(timers.pending, 0);
  });
});

Deno.test("select: waiting cases, and the losers consume nothing", async (t) => {
  await t.step("a receive wins; the other channel's later value stays for others", async () => {
    const a = new Channel<number>(4);
    const b = new Channel<number>(4);
    const selecting = select({ a: a.receiveCase(), b: b.receiveCase() });
    assert.equal(a.waitingReceivers, 1);
    assert.equal(b.waitingReceivers, 1);
    await b.send(20);
    assert.deepEqual(await selecting, { key: "b", value: { done: false, value: 20 } });
    assert.equal(a.waitingReceivers, 0, "the losing case left a's queue at once");
    await a.send(10);
    assert.deepEqual(a.tryReceive(), { ok: true, value: 10 }, "nothing took a's value");
  });

  await t.step("a lock case that loses never holds the lock", async () => {
    const mutex = new Mutex("data");
    const holder = mutex.tryLock()!;
    const event = new ManualResetEvent();
    const selecting = select({ lock: mutex.lockCase(), event: event.waitCase() });
    assert.equal(mutex.waiting, 1);
    event.set();
    assert.equal((await selecting).key, "event");
    assert.equal(mutex.waiting, 0);
    holder.release();
    assert.equal(mutex.locked, false, "the lost case was not handed the lock");
  });

  await t.step("a lock case that wins holds the lock, handed over directly", async () => {
    const mutex = new Mutex(0);
    const holder = mutex.tryLock()!;
    const never = new Channel<number>(1);
    const selecting = select({ nothing: never.receiveCase(), lock: mutex.lockCase() });
    holder.release();
    const result = await selecting;
    assert.equal(result.key, "lock");
    if (result.key !== "lock") return;
    assert.equal(mutex.locked, true);
    assert.equal(never.waitingReceivers, 0);
    result.value.value = 1;
    result.value.release();
    assert.equal(mutex.tryLock()?.value, 1);
  });

  await t.step(
    "an acquire case that loses leaves the permits; a big head leaving lets others in",
    async () => {
      const semaphore = new Semaphore(1);
      const timersClock = new ManualClock();
      const timers = new TimerService({ clock: timersClock });
      // A fifo semaphore: the select's acquire(2) heads the queue and blocks acquire(1).
      const selecting = select({ big: semaphore.acquireCase(2), timeout: timers.delayCase(50) });
      const small = semaphore.acquire(1);
      assert.equal(await state(small), "pending", "head-of-line: the big request blocks it");
      await timersClock.advance(50);
      assert.equal((await selecting).key, "timeout");
      const permit = await small;
      assert.equal(permit.count, 1, "the big case left and the small request got through");
      permit.release();
      assert.equal(semaphore.available, 1, "the lost case counted nothing");
    },
  );

  await t.step("two cases on the same semaphore: one wins, the other leaves", async () => {
    const semaphore = new Semaphore(0);
    const selecting = select({ one: semaphore.acquireCase(1), two: semaphore.acquireCase(2) });
    assert.equal(semaphore.waiting, 2);
    semaphore.release(2);
    const result = await selecting;
    assert.equal(result.key, "one", "the oldest waiter that fits is served first");
    assert.equal(semaphore.waiting, 0);
    assert.equal(semaphore.available, 1);
    result.value.release();
    assert.equal(semaphore.available, 2);
  });

  await t.step("a send case that loses delivers nothing", async () => {
    const full = new Channel<string>(1);
    await full.send("first");
    const other = new Channel<string>(1);
    const selecting = select({ put: full.sendCase("second"), get: other.receiveCase() });
    assert.equal(full.waitingSenders, 1);
    await other.send("x");
    assert.equal((await selecting).key, "get");
    assert.equal(full.waitingSenders, 0);
    assert.deepEqual(full.tryReceive(), { ok: true, value: "first" });
    assert.deepEqual(full.tryReceive(), { ok: false, closed: false }, "'second' was never sent");
  });

  await t.step("a waiting send case wins when a receive makes room", async () => {
    const full = new Channel<string>(1);
    await full.send("first");
    const never = new Channel<string>(1);
    const selecting = select({ get: never.receiveCase(), put: full.sendCase("second") });
    assert.deepEqual(await full.receive(), { done: false, value: "first" });
    assert.deepEqual(await selecting, { key: "put", value: undefined });
    assert.deepEqual(full.tryReceive(), { ok: true, value: "second" });
  });

  await t.step("oneshot and state broadcast cases", async () => {
    const answer = new Oneshot<number>();
    const config = new StateBroadcast<string>();
    const selecting = select({ answer: answer.receiveCase(), config: config.receiveCase(0) });
    config.send("v1");
    const result = await selecting;
    assert.equal(result.key, "config");
    answer.send(42);
    assert.deepEqual(
      await answer.receive(),
      { done: false, value: 42 },
      "the lost case took nothing",
    );
  });

  await t.step("a case object can serve several selects, one after the other", async () => {
    const jobs = new Channel<number>(8);
    const next = jobs.receiveCase();
    for (const n of [1, 2, 3]) await jobs.send(n);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await select({ next });
      if (!result.value.done) seen.push(result.value.value);
    }
    assert.deepEqual(seen, [1, 2, 3]);
  });
});

Deno.test("select: every value delivered exactly once under contention", async () => {
  // 8 selecting consumers over 3 channels, 3 producers: no value lost, none doubled.
  const channels = [new Channel<number>(0), new Channel<number>(2), new Channel<number>(5)];
  const perProducer = 2_000;
  const received: number[] = [];
  let open = channels.length;
  const consumers = Array.from({ length: 8 }, async () => {
    while (open > 0) {
      const result = await select({
        zero: channels[0].receiveCase(),
        one: channels[1].receiveCase(),
        two: channels[2].receiveCase(),
      });
      if (result.value.done) return; // a channel closed: stop (the others drain below)
      received.push(result.value.value);
    }
  });
  const producers = channels.map(async (channel, index) => {
    for (let i = 0; i < perProducer; i++) await channel.send(index * perProducer + i);
  });
  await Promise.all(producers);
  for (const channel of channels) channel.close();
  open = 0;
  await Promise.all(consumers);
  for (const channel of channels) {
    for (let r = channel.tryReceive(); r.ok; r = channel.tryReceive()) received.push(r.value);
  }
  assert.equal(received.length, channels.length * perProducer);
  assert.equal(new Set(received).size, received.length, "no value twice");
  for (const channel of channels) assert.equal(channel.waitingReceivers, 0);
});

Deno.test("select: its signal", async (t) => {
  await t.step("an abort rejects with the reason, and every case leaves its queue", async () => {
    const channel = new Channel<number>(1);
    const mutex = new Mutex(0);
    const held = mutex.tryLock()!;
    const semaphore = new Semaphore(0);
    const event = new ManualResetEvent();
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const controller = new AbortController();
    const selecting = select({
      receive: channel.receiveCase(),
      lock: mutex.lockCase(),
      acquire: semaphore.acquireCase(1),
      event: event.waitCase(),
      timer: timers.delayCase(10),
    }, { signal: controller.signal });
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(selecting, (error) => error === reason);
    assert.equal(channel.waitingReceivers, 0);
    assert.equal(mutex.waiting, 0);
    assert.equal(semaphore.waiting, 0);
    assert.equal(event.waiting, 0);
    assert.equal(timers.pending, 0);
    // Nothing was consumed afterwards either.
    await channel.send(1);
    assert.deepEqual(channel.tryReceive(), { ok: true, value: 1 });
    held.release();
    assert.equal(mutex.locked, false);
    semaphore.release(1);
    assert.equal(semaphore.available, 1);
  });

  await t.step("an aborted signal rejects before any case is polled", async () => {
    const channel = new Channel<number>(1);
    await channel.send(7);
    const reason = new Error("already");
    await assert.rejects(
      select({ r: channel.receiveCase() }, { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.equal(channel.size, 1, "the ready value was not taken");
  });

  await t.step("an abort after a case won changes nothing", async () => {
    const channel = new Channel<number>(1);
    const controller = new AbortController();
    const selecting = select({ r: channel.receiveCase() }, { signal: controller.signal });
    await channel.send(3);
    controller.abort(new Error("late"));
    assert.deepEqual(await selecting, { key: "r", value: { done: false, value: 3 } });
  });

  await t.step("10,000 waiting selects aborted: linear time, nothing left queued", async () => {
    const channels = [new Channel<number>(0), new Channel<number>(0)];
    const controllers: AbortController[] = [];
    const selects: Promise<unknown>[] = [];
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      selects.push(
        select({ a: channels[0].receiveCase(), b: channels[1].receiveCase() }, {
          signal: controller.signal,
        }).catch(() => "aborted"),
      );
    }
    for (let i = controllers.length - 1; i >= 0; i--) controllers[i].abort();
    const results = await Promise.all(selects);
    const elapsed = performance.now() - start;
    assert.ok(results.every((r) => r === "aborted"));
    assert.equal(channels[0].waitingReceivers + channels[1].waitingReceivers, 0);
    assert.ok(elapsed < 5_000, `10,000 aborts took ${elapsed.toFixed(0)} ms`);
  });
});

Deno.test("select: failing cases", async (t) => {
  await t.step(
    "a send case on a closed channel rejects with ChannelClosedError and its value",
    async () => {
      const closed = new Channel<string>(1);
      closed.close();
      const other = new Channel<string>(1);
      await other.send("kept");
      // The send case comes first in key order, so it is polled first and fails.
      const error = await select({ put: closed.sendCase("lost?"), get: other.receiveCase() }).catch(
        (e) => e,
      );
      assert.ok(error instanceof ChannelClosedError);
      assert.equal(error.value, "lost?");
      assert.equal(other.size, 1, "the later case was not polled");
    },
  );

  await t.step(
    "a waiting send case fails when its channel closes; the other cases leave",
    async () => {
      const full = new Channel<string>(0);
      const other = new Channel<string>(0);
      const selecting = select({ put: full.sendCase("v"), get: other.receiveCase() });
      full.close(new Error("gone"));
      const error = await selecting.catch((e) => e);
      assert.ok(error instanceof ChannelClosedError);
      assert.equal((error.cause as Error).message, "gone");
      assert.equal(other.waitingReceivers, 0);
    },
  );

  await t.step("a receive case on a closed, drained channel completes with done", async () => {
    const channel = new Channel<number>(1);
    const selecting = select({ r: channel.receiveCase() });
    channel.close();
    assert.deepEqual(await selecting, { key: "r", value: { done: true, value: undefined } });
  });
});

Deno.test("select: inside a Desync job, the object waits for the select", async () => {
  const inbox = new Channel<string>(4);
  const log = new Desync<string[]>([]);
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const done = log.futureSync(async (ref) => {
    for (let i = 0; i < 3; i++) {
      const result = await select({ message: inbox.receiveCase(), tick: timers.delayCase(100) });
      ref.value.push(result.key === "message" && !result.value.done ? result.value.value : "tick");
    }
  });
  await inbox.send("a");
  await flushMicrotasks();
  await clock.advance(100);
  await inbox.send("b");
  await done;
  assert.deepEqual(log.sync((ref) => ref.value), ["a", "tick", "b"]);
  assert.equal(timers.pending, 0, "the losing timer cases left the heap");
});

Deno.test("select: bad input fails at the call site", () => {
  const channel = new Channel<number>(1);
  const rows: [unknown, unknown, RegExp][] = [
    [
      undefined,
      undefined,
      /^select\(\): "cases" must be an object of named cases .*got undefined$/,
    ],
    [null, undefined, /"cases" must be an object .*got null$/],
    [[channel.receiveCase()], undefined, /"cases" must be an object .*got an array$/],
    [{}, undefined, /^select\(\): "cases" has no case; a select of nothing would wait forever$/],
    [
      { a: Promise.resolve(1) },
      undefined,
      /^select\(\): case "a" must be a SelectCase .*got an object$/,
    ],
    [{ a: 1 }, undefined, /case "a" must be a SelectCase .*got number 1$/],
    [
      { a: channel.receiveCase() },
      AbortSignal.abort(),
      /"options" is an AbortSignal; pass it as \{ signal \}/,
    ],
    [
      { a: channel.receiveCase() },
      { signl: 1 },
      /unknown option "signl" \(did you mean "signal"\?\)/,
    ],
    [
      { a: channel.receiveCase() },
      { signal: 1 },
      /"options.signal" must be an AbortSignal, got number 1/,
    ],
  ];
  for (const [cases, options, message] of rows) {
    assert.throws(
      () => select(cases as never, options as never),
      (error: Error) => error instanceof TypeError && message.test(error.message),
      `${message}`,
    );
  }
  assert.equal(channel.waitingReceivers, 0, "a rejected call enlisted nothing");
  assert.throws(
    () => new (SelectCase as unknown as new () => unknown)(),
    /SelectCase cannot be constructed directly/,
  );
});

Deno.test("select: regressions found by the model test", async (t) => {
  await t.step(
    "a losing case is never granted while the select's losers leave their queues",
    async () => {
      // The select's cases "two" and "one" wait on a fifo semaphore behind a
      // big head. The head leaves (abort); then the select wins elsewhere.
      // Removing "two" used to serve the queue at once, granting "one" (still
      // linked) for a select that was over: a permit gone for good.
      const semaphore = new Semaphore(1);
      const channel = new Channel<number>(0);
      const stop = new AbortController();
      const big = semaphore.acquire(3, { signal: stop.signal }).catch((error) => error);
      const selecting = select({
        two: semaphore.acquireCase(2),
        one: semaphore.acquireCase(1),
        receive: channel.receiveCase(),
      });
      stop.abort();
      await big;
      channel.close();
      assert.equal((await selecting).key, "receive");
      assert.equal(semaphore.available, 1, "no permit leaked");
      assert.equal(semaphore.waiting, 0);
    },
  );

  await t.step(
    "a select whose signal aborted is not granted by the abort's own cascade",
    async () => {
      // One signal gives up three waiters; the first one's removal serves the
      // queue before the others' abort callbacks ran. None may be granted.
      const semaphore = new Semaphore(1);
      const stop = new AbortController();
      const head = semaphore.acquire(2, { signal: stop.signal });
      const selecting = select({ one: semaphore.acquireCase(1) }, { signal: stop.signal });
      const last = semaphore.acquire(1, { signal: stop.signal });
      const reason = new Error("stop");
      stop.abort(reason);
      for (const promise of [head, selecting, last]) {
        await assert.rejects(promise, (error) => error === reason);
      }
      assert.equal(semaphore.available, 1);
    },
  );

  await t.step(
    "the same for a mutex released by an earlier listener of the select's signal",
    async () => {
      const mutex = new Mutex(0);
      const holder = mutex.tryLock()!;
      const stop = new AbortController();
      stop.signal.addEventListener("abort", () => holder.release()); // runs before the select's
      const selecting = select({ lock: mutex.lockCase() }, { signal: stop.signal });
      const reason = new Error("stop");
      stop.abort(reason);
      await assert.rejects(selecting, (error) => error === reason);
      assert.equal(mutex.locked, false);
    },
  );
});
