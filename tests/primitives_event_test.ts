// Copyright 2026 the desync authors. MIT license.
// ManualResetEvent: the futures-intrusive checklist (tests/manual_reset_event.rs),
// waker counts turned into promise states and order; aborts; select cases;
// bad input; ten thousand waiters sharing one signal.

import assert from "node:assert/strict";
import { ManualResetEvent, select } from "../primitives.ts";
import { delay, flushMicrotasks } from "./_helpers.ts";
import { standing, standings } from "./_primitives.ts";

Deno.test("ManualResetEvent: the futures-intrusive checklist", async (t) => {
  // FI synchronous
  await t.step("set and reset change the flag", () => {
    const event = new ManualResetEvent(false);
    assert.equal(event.isSet, false);
    event.set();
    assert.equal(event.isSet, true);
    event.reset();
    assert.equal(event.isSet, false);
    assert.equal(new ManualResetEvent().isSet, false, "clear by default");
  });

  // FI immediately_ready_event
  await t.step("a wait on a set event is ready at once and queues nothing", async () => {
    const event = new ManualResetEvent(true);
    assert.equal(event.isSet, true);
    const waiting = event.wait();
    assert.equal(event.waiting, 0);
    assert.equal(await standing(waiting), "fulfilled");
    assert.equal(await standing(event.wait()), "fulfilled", "and again: set stays set");
  });

  // FI cancel_mid_wait
  await t.step("waiters aborted in the middle: set completes exactly the others", async () => {
    const event = new ManualResetEvent();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const waits = controllers.map((c) => event.wait({ signal: c.signal }));
    assert.deepEqual(await standings(waits), Array(5).fill("pending"));
    controllers[1].abort(new Error("drop 2"));
    controllers[3].abort(new Error("drop 4"));
    assert.equal(event.waiting, 3);
    assert.deepEqual(await standings([waits[0], waits[2], waits[4]]), Array(3).fill("pending"));
    const order: number[] = [];
    for (const i of [0, 2, 4]) void waits[i].then(() => order.push(i + 1));
    event.set();
    assert.deepEqual(await standings(waits), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    assert.deepEqual(order, [1, 3, 5], "exactly 3 wake-ups, oldest first");
    await assert.rejects(waits[1], { message: "drop 2" });
    await assert.rejects(waits[3], { message: "drop 4" });
  });

  // FI cancel_end_wait
  await t.step("waiters aborted at the end, before newer ones queue, break nothing", async () => {
    const event = new ManualResetEvent();
    const w1 = event.wait();
    const w2 = event.wait();
    const c5 = new AbortController();
    const c6 = new AbortController();
    const w5 = event.wait({ signal: c5.signal });
    const w6 = event.wait({ signal: c6.signal });
    c5.abort();
    c6.abort();
    const w3 = event.wait();
    const w4 = event.wait();
    assert.equal(event.waiting, 4);
    let wakes = 0;
    for (const w of [w1, w2, w3, w4]) void w.then(() => wakes++);
    event.set();
    assert.deepEqual(await standings([w1, w2, w3, w4]), Array(4).fill("fulfilled"));
    assert.equal(wakes, 4);
    assert.deepEqual(await standings([w5, w6]), ["rejected", "rejected"]);
  });

  // FI poll_from_multiple_executors (adapted: a promise has no waker to
  // replace; the nearest thing is one wait observed from two places, which
  // must complete once for both, and only on set)
  await t.step("one wait observed from two places completes once for both", async () => {
    const event = new ManualResetEvent();
    const waiting = event.wait();
    let a = 0;
    let b = 0;
    void waiting.then(() => a++);
    void waiting.then(() => b++);
    await flushMicrotasks();
    assert.deepEqual([a, b], [0, 0]);
    event.set();
    await flushMicrotasks();
    assert.deepEqual([a, b], [1, 1]);
  });

  // FI multithreaded_smoke (adapted: tasks instead of threads; a timer sets
  // the event later, and every task returns only after it)
  await t.step("tasks blocked on wait() all return after a later set()", async () => {
    const event = new ManualResetEvent();
    let setAt = -1;
    const returned: number[] = [];
    const tasks = [1, 2, 3].map(async () => {
      await delay(0); // each starts in its own macrotask
      await event.wait();
      returned.push(setAt);
    });
    await delay(20);
    assert.equal(event.waiting, 3);
    setAt = 1;
    event.set();
    await Promise.all(tasks);
    assert.deepEqual(returned, [1, 1, 1]);
  });
});

Deno.test("ManualResetEvent: no lost or stolen wake-ups", async (t) => {
  await t.step("set then reset before the waiters run: they still complete", async () => {
    const event = new ManualResetEvent();
    const waits = [event.wait(), event.wait(), event.wait()];
    event.set();
    event.reset();
    assert.equal(event.isSet, false);
    assert.deepEqual(await standings(waits), Array(3).fill("fulfilled"));
    const late = event.wait();
    assert.equal(await standing(late), "pending", "a wait after the reset waits");
    event.set();
    await late;
  });

  await t.step("set twice is a no-op; a reset event waits for the next set", async () => {
    const event = new ManualResetEvent();
    event.set();
    event.set();
    event.reset();
    const waiting = event.wait();
    assert.equal(await standing(waiting), "pending");
    event.reset();
    assert.equal(await standing(waiting), "pending", "reset does not touch waiters");
    event.set();
    assert.equal(await standing(waiting), "fulfilled");
  });

  await t.step("an abort of one waiter never rejects or wakes another", async () => {
    const event = new ManualResetEvent();
    const first = event.wait();
    const controller = new AbortController();
    const second = event.wait({ signal: controller.signal });
    const third = event.wait();
    controller.abort("stop");
    assert.deepEqual(await standings([first, second, third]), ["pending", "rejected", "pending"]);
    event.set();
    assert.deepEqual(await standings([first, third]), ["fulfilled", "fulfilled"]);
  });
});

Deno.test("ManualResetEvent: aborts", async (t) => {
  await t.step(
    "before the call: rejects with the reason, even when set; nothing queued",
    async () => {
      const reason = new Error("already aborted");
      const signal = AbortSignal.abort(reason);
      const clear = new ManualResetEvent();
      await assert.rejects(clear.wait({ signal }), (e) => e === reason);
      assert.equal(clear.waiting, 0);
      const set = new ManualResetEvent(true);
      await assert.rejects(set.wait({ signal }), (e) => e === reason);
    },
  );

  await t.step("while waiting: rejects with the reason and leaves the queue", async () => {
    const event = new ManualResetEvent();
    const controller = new AbortController();
    const waiting = event.wait({ signal: controller.signal });
    assert.equal(event.waiting, 1);
    const reason = new DOMException("timed out", "TimeoutError");
    controller.abort(reason);
    assert.equal(event.waiting, 0);
    await assert.rejects(waiting, (e) => e === reason);
  });

  await t.step("after the grant: the abort changes nothing", async () => {
    const event = new ManualResetEvent();
    const controller = new AbortController();
    const waiting = event.wait({ signal: controller.signal });
    event.set();
    controller.abort(new Error("too late"));
    assert.equal(await standing(waiting), "fulfilled");
  });

  await t.step("a fast-path wait does not touch the signal beyond `aborted`", async () => {
    const event = new ManualResetEvent(true);
    let touched = 0;
    const signal = new AbortController().signal;
    signal.addEventListener = () => void touched++;
    await event.wait({ signal });
    assert.equal(touched, 0);
  });
});

Deno.test("ManualResetEvent: select cases", async (t) => {
  await t.step("a set event's case completes at once", async () => {
    const event = new ManualResetEvent(true);
    assert.deepEqual(await select({ go: event.waitCase() }), { key: "go", value: undefined });
  });

  await t.step(
    "two cases of one select on the same event: set grants one, unlinks the other",
    async () => {
      const event = new ManualResetEvent();
      const before = event.wait();
      const selecting = select({ a: event.waitCase(), b: event.waitCase() });
      const after = event.wait();
      assert.equal(event.waiting, 4);
      event.set();
      assert.equal(event.waiting, 0);
      assert.deepEqual(await selecting, { key: "a", value: undefined });
      assert.deepEqual(await standings([before, after]), ["fulfilled", "fulfilled"]);
    },
  );

  await t.step("a case that loses leaves the queue; the case can be used again", async () => {
    const event = new ManualResetEvent();
    const other = new ManualResetEvent();
    const waitCase = event.waitCase();
    const first = select({ event: waitCase, other: other.waitCase() });
    other.set();
    assert.equal((await first).key, "other");
    assert.equal(event.waiting, 0);
    const second = select({ event: waitCase });
    event.set();
    assert.equal((await second).key, "event");
  });
});

Deno.test("ManualResetEvent: bad input throws at the call site", () => {
  const event = new ManualResetEvent();
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      "isSet not a boolean",
      () => new ManualResetEvent(1 as unknown as boolean),
      TypeError,
      'new ManualResetEvent(): "isSet" must be a boolean, got number 1',
    ],
    [
      "isSet a string",
      () => new ManualResetEvent("true" as unknown as boolean),
      TypeError,
      'new ManualResetEvent(): "isSet" must be a boolean, got a string ("true")',
    ],
    [
      "a bare signal as options",
      () => event.wait(new AbortController().signal as unknown as { signal: AbortSignal }),
      TypeError,
      'ManualResetEvent.wait(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "options not an object",
      () => event.wait(5 as unknown as { signal: AbortSignal }),
      TypeError,
      'ManualResetEvent.wait(): "options" must be an object, got number 5',
    ],
    [
      "an unknown option",
      () => event.wait({ signl: undefined } as unknown as { signal: AbortSignal }),
      TypeError,
      'ManualResetEvent.wait(): unknown option "signl" (did you mean "signal"?); accepted: signal',
    ],
    [
      "a signal that is not an AbortSignal",
      () => event.wait({ signal: {} as AbortSignal }),
      TypeError,
      'ManualResetEvent.wait(): "options.signal" must be an AbortSignal, got an object',
    ],
  ];
  for (const [what, call, type, message] of cases) {
    assert.throws(
      call,
      (e: unknown) => e instanceof type && (e as Error).message === message,
      what,
    );
  }
  assert.equal(event.waiting, 0, "nothing was queued by a bad call");
});

Deno.test("ManualResetEvent: 10,000 waiters released together, one listener for their shared signal", async () => {
  const event = new ManualResetEvent();
  const controller = new AbortController();
  const signal = controller.signal;
  let added = 0;
  let removed = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    added++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    removed++;
    remove(...args);
  }) as typeof signal.removeEventListener;

  const n = 10_000;
  const order: number[] = [];
  const tasks = Array.from({ length: n }, async (_, i) => {
    await event.wait({ signal });
    order.push(i);
  });
  assert.equal(event.waiting, n);
  assert.equal(added, 1, "one abort listener for all the waiters");
  event.set();
  assert.equal(event.waiting, 0);
  assert.equal(removed, 1, "the listener is dropped once no waiter needs it");
  await Promise.all(tasks);
  assert.equal(order.length, n);
  assert.ok(order.every((v, i) => v === i), "released oldest first");
  controller.abort(new Error("after the release")); // changes nothing now

  // The same, aborted instead: every waiter rejects, and the queue empties.
  const second = new ManualResetEvent();
  const abort = new AbortController();
  const waits = Array.from({ length: n }, () => second.wait({ signal: abort.signal }));
  assert.equal(second.waiting, n);
  // Handled before they reject, as awaiting tasks would (Deno's bookkeeping of
  // rejections without a handler yet costs ~40 us each).
  const settled = Promise.allSettled(waits);
  abort.abort(new Error("shutdown"));
  assert.equal(second.waiting, 0);
  const results = await settled;
  assert.ok(results.every((r) => r.status === "rejected" && r.reason.message === "shutdown"));
  second.set(); // nothing left to release
});
