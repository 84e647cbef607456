// Copyright 2026 the desync authors. MIT license.
// The timer service and its clocks (primitives/timer.ts, clock.ts): the
// futures-intrusive timer checklist (reference primitives.md §1.7, ported in
// /tmp/prim_checklist_timer.md), the single host timer and its re-arming
// (§4.3 pitfall 8), aborts, the heap, select cases, timeout signals, the
// manual clock with a manual scheduler, and bad input.

import assert from "node:assert/strict";
import { Desync, DesyncError, Scheduler } from "../mod.ts";
import {
  Channel,
  type Clock,
  ManualClock,
  Mutex,
  select,
  Semaphore,
  systemClock,
  TimerService,
} from "../primitives.ts";
import { TimerHeap } from "../primitives/_timer_heap.ts";
import { Waiter } from "../_engine/waiters.ts";
import { flushMicrotasks, onReportedError, spin, withTimeout } from "./_helpers.ts";

type State = "pending" | "fulfilled" | "rejected";

/** A promise's state once the microtasks queued so far have run. */
async function state(promise: Promise<unknown>): Promise<State> {
  let seen: State = "pending";
  promise.then(() => (seen = "fulfilled"), () => (seen = "rejected"));
  await flushMicrotasks();
  return seen;
}

/** A clock moved by hand, with no ManualClock behind it (futures-intrusive's MockClock). */
function handClock(time = 0): Clock & { time: number } {
  return {
    time,
    now() {
      return this.time;
    },
  };
}

/**
 * Counts the host timers made through the global setTimeout while it runs,
 * and which are still live (neither fired nor cleared).
 */
async function withHostTimers(
  body: (host: { readonly live: number; readonly made: number }) => Promise<void> | void,
): Promise<void> {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<unknown>();
  let made = 0;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    made++;
    const id = realSet(() => {
      live.delete(id);
      callback();
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: ReturnType<typeof setTimeout> | undefined) => {
    live.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  try {
    await body({
      get live() {
        return live.size;
      },
      get made() {
        return made;
      },
    });
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

// ---------------------------------------------------------------------------
// The futures-intrusive checklist (tests/timer.rs)

Deno.test("timer checklist (futures-intrusive tests/timer.rs)", async (t) => {
  // start_and_expire_timers
  await t.step(
    "start_and_expire_timers: next expiration and wake counts at 200/500/699/700/1000",
    async () => {
      const clock = handClock(200);
      const timers = new TimerService({ clock, hostTimer: false });
      assert.equal(timers.nextExpiration(), undefined);
      const at999 = timers.deadline(999);
      assert.equal(timers.nextExpiration(), 999);
      const at500 = timers.delay(300);
      assert.equal(timers.nextExpiration(), 500);
      const at700 = timers.delay(500);
      assert.equal(timers.nextExpiration(), 500);
      assert.equal(timers.pending, 3);

      clock.time = 500;
      assert.equal(timers.checkExpirations(), 1);
      assert.equal(await state(at500), "fulfilled");
      assert.equal(await state(at700), "pending");
      assert.equal(timers.nextExpiration(), 700);

      clock.time = 699;
      assert.equal(timers.checkExpirations(), 0);
      assert.equal(await state(at700), "pending");

      clock.time = 700;
      assert.equal(timers.checkExpirations(), 1);
      assert.equal(await state(at700), "fulfilled");
      assert.equal(await state(at999), "pending");
      assert.equal(timers.nextExpiration(), 999);

      clock.time = 1000;
      assert.equal(timers.checkExpirations(), 1);
      assert.equal(await state(at999), "fulfilled");
      assert.equal(timers.nextExpiration(), undefined);
      assert.equal(timers.pending, 0);
    },
  );

  // start_and_expire_timers, driven by the ManualClock instead of by hand
  await t.step(
    "start_and_expire_timers on a ManualClock: advance fires the same timers",
    async () => {
      const clock = new ManualClock(200);
      const timers = new TimerService({ clock });
      const at999 = timers.deadline(999);
      const at500 = timers.delay(300);
      const at700 = timers.delay(500);
      await clock.advanceTo(500);
      assert.deepEqual(
        [await state(at500), await state(at700), await state(at999)],
        ["fulfilled", "pending", "pending"],
      );
      await clock.advanceTo(699);
      assert.equal(await state(at700), "pending");
      await clock.advanceTo(700);
      assert.equal(await state(at700), "fulfilled");
      assert.equal(timers.nextExpiration(), 999);
      await clock.advanceTo(1000);
      assert.equal(await state(at999), "fulfilled");
      assert.equal(timers.nextExpiration(), undefined);
    },
  );

  // immediately_ready_timer
  await t.step(
    "immediately_ready_timer: delay(0) and past deadlines are ready at once",
    async () => {
      const clock = handClock(100);
      const timers = new TimerService({ clock, hostTimer: false });
      const ready = [timers.delay(0), timers.deadline(100), timers.deadline(50), timers.delay(-5)];
      assert.equal(timers.pending, 0, "nothing waits");
      for (const promise of ready) {
        assert.ok(promise instanceof Promise);
        assert.equal(await state(promise), "fulfilled");
      }
      assert.equal(timers.checkExpirations(), 0);
    },
  );

  // can_use_timer_as_trait_object (adapted: a structural type instead of &dyn Timer)
  await t.step("can_use_timer_as_trait_object: delay(10) at 340 is ready at 350", async () => {
    const clock = handClock(340);
    const timer: Pick<TimerService, "delay" | "checkExpirations"> = new TimerService({
      clock,
      hostTimer: false,
    });
    const fired = timer.delay(10);
    assert.equal(await state(fired), "pending");
    clock.time = 350;
    assert.equal(timer.checkExpirations(), 1);
    assert.equal(await state(fired), "fulfilled");
  });

  // cancel_mid_wait
  await t.step("cancel_mid_wait: 5 deadlines, #2 and #4 aborted, 3 fire", async () => {
    const clock = handClock(0);
    const timers = new TimerService({ clock, hostTimer: false });
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const waits = controllers.map((c, i) => timers.deadline(100 + i, { signal: c.signal }));
    controllers[1].abort();
    controllers[3].abort();
    assert.equal(timers.pending, 3);
    clock.time = 1_000;
    assert.equal(timers.checkExpirations(), 3);
    assert.deepEqual(
      await Promise.all(waits.map(state)),
      ["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"],
    );
  });

  // cancel_end_wait
  await t.step(
    "cancel_end_wait: aborting registered timers, one the earliest, keeps the heap sound",
    async () => {
      const clock = handClock(0);
      const timers = new TimerService({ clock, hostTimer: false });
      const first = new AbortController();
      const last = new AbortController();
      const early = timers.deadline(10, { signal: first.signal }); // earlier than all others
      const others = [timers.deadline(300), timers.deadline(100), timers.deadline(200)];
      const late = timers.deadline(400, { signal: last.signal });
      const after = timers.deadline(500);
      first.abort();
      last.abort();
      assert.equal(timers.nextExpiration(), 100);
      clock.time = 1_000;
      assert.equal(timers.checkExpirations(), 4);
      assert.equal(await state(early), "rejected");
      assert.equal(await state(late), "rejected");
      for (const promise of [...others, after]) assert.equal(await state(promise), "fulfilled");
    },
  );

  // poll_from_multiple_executors (adapted: no wakers in JS; a promise wakes every awaiter once)
  await t.step(
    "poll_from_multiple_executors (adapted): every awaiter of a delay resumes once",
    async () => {
      const clock = new ManualClock();
      const timers = new TimerService({ clock });
      const fired = timers.delay(5);
      let resumed = 0;
      const a = fired.then(() => resumed++);
      const b = fired.then(() => resumed++);
      await clock.advance(5);
      await Promise.all([a, b]);
      assert.equal(resumed, 2);
    },
  );

  // pairing heap insert_and_remove / equal_values (in-crate; ours is a binary heap)
  await t.step("heap insert_and_remove and equal_values: a random mix against a model", () => {
    const heap = new TimerHeap();
    const model: { waiter: Waiter<void>; deadline: number; sequence: number }[] = [];
    let sequence = 0;
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let step = 0; step < 5_000; step++) {
      if (model.length === 0 || random() < 0.55) {
        const waiter = new Waiter<void>(undefined, null, null);
        const deadline = Math.floor(random() * 50); // many equal values
        heap.push(waiter, deadline, sequence);
        model.push({ waiter, deadline, sequence: sequence++ });
      } else {
        const entry = model.splice(Math.floor(random() * model.length), 1)[0];
        heap.unlink(entry.waiter);
        assert.equal(entry.waiter.waiting, false);
      }
      assert.equal(heap.length, model.length);
      if (model.length > 0) {
        const min = model.reduce((a, b) =>
          b.deadline < a.deadline || (b.deadline === a.deadline && b.sequence < a.sequence) ? b : a
        );
        assert.equal(heap.first, min.waiter);
        assert.equal(heap.firstDeadline, min.deadline);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// The host timer (system clock)

Deno.test("host timer: re-armed for an earlier deadline (futures-intrusive #6), cleared when idle", async () => {
  await withHostTimers(async (host) => {
    const timers = new TimerService();
    const stop = new AbortController();
    const start = systemClock.now();
    const long = timers.delay(30_000, { signal: stop.signal });
    assert.equal(host.live, 1);
    const short = timers.delay(20);
    assert.equal(host.made, 2, "armed again for the earlier deadline");
    assert.equal(host.live, 1, "still one host timer");
    await withTimeout(short, 10_000, "the 20 ms delay behind a 30 s one");
    const elapsed = systemClock.now() - start;
    assert.ok(elapsed >= 20, `fired after ${elapsed} ms, not before its deadline`);
    assert.equal(host.live, 1, "re-armed for the 30 s delay");
    stop.abort();
    await assert.rejects(long, { name: "AbortError" });
    assert.equal(host.live, 0, "no host timer left once the last timer is cancelled");
    assert.equal(timers.pending, 0);
  });
});

Deno.test("host timer: a later deadline does not re-arm; the earliest aborted, it wakes and re-arms", async () => {
  await withHostTimers(async (host) => {
    const timers = new TimerService();
    const stop = new AbortController();
    const start = systemClock.now();
    const first = timers.delay(10, { signal: stop.signal });
    const second = timers.delay(40);
    const third = timers.delay(40);
    assert.equal(host.made, 1, "one host timer for three delays");
    stop.abort();
    await assert.rejects(first);
    await withTimeout(Promise.all([second, third]), 10_000, "the 40 ms delays");
    assert.ok(systemClock.now() - start >= 40);
    assert.equal(host.live, 0);
  });
});

Deno.test("host timer: none for a timer that waits forever, nor for a hand-driven or manual clock", async () => {
  await withHostTimers(async (host) => {
    const timers = new TimerService();
    const stop = new AbortController();
    const forever = timers.delay(Infinity, { signal: stop.signal });
    assert.equal(timers.pending, 1);
    assert.equal(timers.nextExpiration(), Infinity);
    assert.equal(host.made, 0);
    stop.abort(new Error("enough"));
    await assert.rejects(forever, { message: "enough" });

    const clock = handClock();
    const byHand = new TimerService({ clock, hostTimer: false });
    const manual = new TimerService({ clock: new ManualClock(), hostTimer: false });
    const a = byHand.delay(5);
    const b = manual.delay(5);
    assert.equal(host.made, 0);
    clock.time = 5;
    byHand.checkExpirations();
    await a;
    await (manual.clock as ManualClock).advance(5);
    await b;
  });
});

Deno.test("host timer: a delay beyond setTimeout's range is not fired early", async () => {
  const timers = new TimerService();
  const stop = new AbortController();
  const far = timers.delay(2 ** 31 + 1_000, { signal: stop.signal });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(await state(far), "pending", "an overflowing setTimeout would have fired at once");
  assert.equal(timers.pending, 1);
  stop.abort();
  await assert.rejects(far);
});

Deno.test("host timer: a custom real-time clock drives itself too", async () => {
  const offset: Clock = { now: () => performance.now() + 1e9 };
  const timers = new TimerService({ clock: offset });
  const start = offset.now();
  await withTimeout(timers.delay(15), 10_000, "a delay on an offset clock");
  assert.ok(offset.now() - start >= 15);
  const signal = timers.timeout(10);
  assert.equal(timers.pending, 1, "on a clock that is not the system's, a timeout is a timer");
  await withTimeout(
    new Promise((resolve) => signal.addEventListener("abort", resolve)),
    10_000,
    "the timeout signal",
  );
  assert.equal((signal.reason as DOMException).name, "TimeoutError");
  assert.equal(timers.pending, 0);
});

// ---------------------------------------------------------------------------
// Aborts

Deno.test("aborts: before the call, while waiting, after expiry", async (t) => {
  await t.step("an aborted signal rejects at once with its reason, even when due", async () => {
    const timers = new TimerService({ clock: new ManualClock() });
    const reason = new Error("already");
    const signal = AbortSignal.abort(reason);
    for (const promise of [timers.delay(100, { signal }), timers.delay(0, { signal })]) {
      assert.equal(await promise.catch((e) => e), reason);
    }
    assert.equal(await timers.deadline(-1, { signal }).catch((e) => e), reason);
    assert.equal(timers.pending, 0, "nothing was queued");
  });

  await t.step("an abort while waiting rejects with the reason and leaves the others", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const stop = new AbortController();
    const aborted = timers.delay(100, { signal: stop.signal });
    const kept = timers.delay(100);
    stop.abort("stop");
    assert.equal(await aborted.catch((e) => e), "stop");
    assert.equal(timers.pending, 1);
    await clock.advance(100);
    assert.equal(await state(kept), "fulfilled");
  });

  await t.step("an abort after the timer fired changes nothing", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const stop = new AbortController();
    const fired = timers.delay(10, { signal: stop.signal });
    await clock.advance(10);
    stop.abort();
    assert.equal(await state(fired), "fulfilled");
    assert.equal(timers.pending, 0);
  });

  await t.step("one signal shared by 1,000 delays rejects them all and leaves none", async () => {
    const timers = new TimerService();
    const stop = new AbortController();
    const delays = Array.from(
      { length: 1_000 },
      (_, i) => timers.delay(60_000 + i, { signal: stop.signal }),
    );
    stop.abort();
    const states = await Promise.all(delays.map(state));
    assert.ok(states.every((s) => s === "rejected"));
    assert.equal(timers.pending, 0);
  });
});

// ---------------------------------------------------------------------------
// Order and cost

Deno.test("order: equal deadlines fire in the order made, also across services on one clock", async () => {
  const clock = new ManualClock();
  const a = new TimerService({ clock });
  const b = new TimerService({ clock });
  const order: string[] = [];
  const all = [
    a.delay(100).then(() => order.push("a1")),
    b.delay(100).then(() => order.push("b1")),
    a.deadline(100).then(() => order.push("a2")),
    b.delay(50).then(() => order.push("b0")),
    b.delay(100).then(() => order.push("b2")),
  ];
  await clock.advance(100);
  await Promise.all(all);
  assert.deepEqual(order, ["b0", "a1", "b1", "a2", "b2"]);
});

Deno.test("order: 10,000 timers with random deadlines fire in deadline order, ties FIFO", async () => {
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const fired: number[] = [];
  const deadlines: number[] = [];
  const stops: AbortController[] = [];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 10_000; i++) {
    deadlines.push(1 + Math.floor(random() * 2_000)); // about five timers per deadline
    stops.push(new AbortController());
    timers.deadline(deadlines[i], { signal: stops[i].signal }).then(
      () => fired.push(i),
      () => {},
    );
  }
  const aborted = new Set<number>();
  for (let i = 0; i < 10_000; i += 3) {
    stops[i].abort();
    aborted.add(i);
  }
  const expected = deadlines.map((_, i) => i).filter((i) => !aborted.has(i))
    .sort((x, y) => deadlines[x] - deadlines[y] || x - y);
  await clock.advance(2_000);
  assert.equal(fired.length, expected.length);
  assert.deepEqual(fired, expected);
  assert.equal(timers.pending, 0);
});

Deno.test("cost: 10,000 aborts take well under a second (O(log n) removal)", async () => {
  for (const timers of [new TimerService({ clock: new ManualClock() }), new TimerService()]) {
    // One signal for all, so that the time measured is the removals, not the
    // platform's dispatch of 10,000 abort events; deadlines scattered so that
    // removals (in insertion order) hit every part of the heap.
    const stop = new AbortController();
    const delays = Array.from(
      { length: 10_000 },
      (_, i) =>
        timers.delay(10_000 + ((i * 7919) % 10_000), { signal: stop.signal }).catch(() => {}),
    );
    assert.equal(timers.pending, 10_000);
    const start = performance.now();
    stop.abort();
    const elapsed = performance.now() - start;
    await Promise.all(delays);
    assert.equal(timers.pending, 0);
    assert.ok(elapsed < 1_000, `10,000 aborts took ${elapsed.toFixed(0)} ms`);
  }
});

// ---------------------------------------------------------------------------
// Firing: user code cannot corrupt the heap (futures-intrusive #73)

Deno.test("firing: a throwing abort listener of a timeout neither stops nor corrupts the expiry", async () => {
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const reported: unknown[] = [];
  const stopListening = onReportedError((error) => reported.push(error));
  try {
    const order: string[] = [];
    const before = timers.delay(100).then(() => order.push("before"));
    const signal = timers.timeout(100);
    signal.addEventListener("abort", () => {
      order.push("listener");
      throw new Error("listener failed");
    });
    const after = timers.delay(100).then(() => order.push("after"));
    const later = timers.delay(150).then(() => order.push("later"));
    await clock.advance(200);
    await Promise.all([before, after, later]);
    // The listener runs synchronously, as the timer fires; continuations, after.
    assert.deepEqual(order, ["listener", "before", "after", "later"]);
    assert.equal(timers.pending, 0);
    await flushMicrotasks();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(reported.length, 1);
    assert.equal((reported[0] as Error).message, "listener failed");
  } finally {
    stopListening();
  }
});

Deno.test("firing: a listener may add and cancel timers, and check expirations, while timers fire", async () => {
  let time = 0;
  const timers = new TimerService({ clock: { now: () => time }, hostTimer: false });
  const order: string[] = [];
  const stop = new AbortController();
  const signal = timers.timeout(10);
  const victim = timers.delay(10, { signal: stop.signal });
  const sibling = timers.delay(10).then(() => order.push("sibling"));
  let added: Promise<number> | undefined;
  signal.addEventListener("abort", () => {
    stop.abort(); // removes a due timer in the middle of the loop
    added = timers.delay(5).then(() => order.push("added"));
    assert.equal(timers.checkExpirations(), 1, "the nested check fires the sibling");
  });
  time = 10;
  assert.equal(timers.checkExpirations(), 1, "the timeout; the sibling went to the nested check");
  assert.equal(await state(victim), "rejected");
  await sibling;
  assert.equal(timers.nextExpiration(), 15);
  time = 15;
  assert.equal(timers.checkExpirations(), 1);
  await added;
  assert.deepEqual(order, ["sibling", "added"]);
});

// ---------------------------------------------------------------------------
// Select cases

Deno.test("select cases", async (t) => {
  await t.step("the earlier of two timer cases wins; the other leaves the heap", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const chosen = select({ late: timers.deadlineCase(500), soon: timers.delayCase(200) });
    assert.equal(timers.pending, 2);
    await clock.advance(200);
    assert.equal((await chosen).key, "soon");
    assert.equal(timers.pending, 0);
    assert.equal(timers.nextExpiration(), undefined);
  });

  await t.step("a delayCase's deadline is taken when the select polls it", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const idle = timers.delayCase(100);
    await clock.advance(500);
    const chosen = select({ idle });
    assert.equal(timers.nextExpiration(), 600);
    await clock.advance(100);
    assert.equal((await chosen).key, "idle");
  });

  await t.step("ready cases: delayCase(0) and a past deadlineCase, first key wins", async () => {
    const clock = new ManualClock(1_000);
    const timers = new TimerService({ clock });
    const chosen = await select({ past: timers.deadlineCase(10), now: timers.delayCase(0) });
    assert.deepEqual(chosen, { key: "past", value: undefined });
    assert.equal(timers.pending, 0);
  });

  await t.step("a case is reusable: an idle timeout renewed at every turn of a loop", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const inbox = new Channel<string>(4);
    const idle = timers.delayCase(100);
    const got: string[] = [];
    const loop = (async () => {
      for (;;) {
        const next = await select({ message: inbox.receiveCase(), idle });
        if (next.key === "idle") return clock.now();
        got.push(next.value.value!);
      }
    })();
    await clock.advance(60);
    await inbox.send("a");
    await clock.advance(60);
    await inbox.send("b");
    await clock.advance(99);
    assert.deepEqual(got, ["a", "b"]);
    await clock.advance(1);
    assert.equal(await loop, 220, "100 ms after the last message");
    assert.equal(timers.pending, 0);
    assert.equal(inbox.waitingReceivers, 0);
  });

  await t.step("a select's abort removes its timer case", async () => {
    const timers = new TimerService();
    const stop = new AbortController();
    const chosen = select({ wait: timers.delayCase(60_000) }, { signal: stop.signal });
    assert.equal(timers.pending, 1);
    stop.abort();
    await assert.rejects(chosen, { name: "AbortError" });
    assert.equal(timers.pending, 0);
  });

  await t.step(
    "a lock or a deadline: whichever comes first, the other consumes nothing",
    async () => {
      const clock = new ManualClock();
      const timers = new TimerService({ clock });
      const mutex = new Mutex(0);
      const held = await mutex.lock();
      const first = select({ lock: mutex.lockCase(), timeout: timers.delayCase(100) });
      await clock.advance(100);
      assert.equal((await first).key, "timeout");
      held.release();
      assert.equal(mutex.locked, false, "the lock case left the mutex's queue");

      const busy = await mutex.lock();
      const second = select({ lock: mutex.lockCase(), timeout: timers.delayCase(100) });
      await clock.advance(50);
      busy.release();
      const won = await second;
      assert.equal(won.key, "lock");
      assert.equal(timers.pending, 0, "the timer case left the heap");
      if (won.key === "lock") won.value.release();
    },
  );
});

// ---------------------------------------------------------------------------
// Timeout signals

Deno.test("timeout signals", async (t) => {
  await t.step("on a ManualClock: aborts exactly at the deadline with a TimeoutError", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const signal = timers.timeout(100);
    assert.equal(timers.pending, 1);
    await clock.advance(99);
    assert.equal(signal.aborted, false);
    await clock.advance(1);
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, "TimeoutError");
    assert.equal(timers.pending, 0);
  });

  await t.step("0 or less: already aborted; Infinity: never", () => {
    const timers = new TimerService({ clock: new ManualClock() });
    for (const ms of [0, -10]) {
      const signal = timers.timeout(ms);
      assert.equal(signal.aborted, true);
      assert.equal((signal.reason as DOMException).name, "TimeoutError");
    }
    const never = timers.timeout(Infinity);
    assert.equal(never.aborted, false);
    assert.equal(timers.pending, 0);
  });

  await t.step(
    "on the system clock: the platform's AbortSignal.timeout, not a timer of ours",
    async () => {
      const timers = new TimerService();
      const signal = timers.timeout(15);
      assert.equal(timers.pending, 0);
      await withTimeout(
        new Promise((resolve) => signal.addEventListener("abort", resolve)),
        10_000,
        "the system clock's timeout",
      );
      assert.equal((signal.reason as DOMException).name, "TimeoutError");
    },
  );

  await t.step(
    "bounding waits on other primitives; the timed-out waiters leave their queues",
    async () => {
      const clock = new ManualClock();
      const timers = new TimerService({ clock });
      const permits = new Semaphore(0);
      const inbox = new Channel<number>(0);
      const acquiring = permits.acquire(1, { signal: timers.timeout(50) });
      const receiving = inbox.receive({ signal: timers.timeout(80) });
      await clock.advance(50);
      await assert.rejects(acquiring, { name: "TimeoutError" });
      assert.equal(permits.waiting, 0);
      assert.equal(await state(receiving), "pending");
      await clock.advance(30);
      await assert.rejects(receiving, { name: "TimeoutError" });
      assert.equal(inbox.waitingReceivers, 0);
    },
  );
});

// ---------------------------------------------------------------------------
// The manual clock

Deno.test("ManualClock.advance", async (t) => {
  await t.step("steps to each deadline: a continuation sees its own deadline as now", async () => {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const seen: number[] = [];
    for (const ms of [250, 100, 175]) timers.delay(ms).then(() => seen.push(clock.now()));
    await clock.advance(300);
    assert.deepEqual(seen, [100, 175, 250]);
    assert.equal(clock.now(), 300);
  });

  await t.step(
    "timers made by continuations fire in the same advance, up to the target",
    async () => {
      const clock = new ManualClock();
      const timers = new TimerService({ clock });
      const ticks: number[] = [];
      const ticking = (async () => {
        for (let i = 0; i < 5; i++) {
          await timers.delay(100);
          // A few promise turns between the timer and the next one.
          for (let hop = 0; hop < 40; hop++) await Promise.resolve();
          ticks.push(clock.now());
        }
      })();
      await clock.advance(250);
      assert.deepEqual(ticks, [100, 200]);
      assert.equal(timers.nextExpiration(), 300);
      await clock.advance(250);
      await ticking;
      assert.deepEqual(ticks, [100, 200, 300, 400, 500]);
    },
  );

  await t.step("advance(0) fires nothing new; advanceTo(now) is allowed", async () => {
    const clock = new ManualClock(10);
    const timers = new TimerService({ clock });
    const later = timers.delay(1);
    await clock.advance(0);
    await clock.advanceTo(10);
    assert.equal(await state(later), "pending");
    await clock.advance(1);
    assert.equal(await state(later), "fulfilled");
  });

  await t.step("a second advance while one runs throws; the clock works again after", async () => {
    const clock = new ManualClock();
    const running = clock.advance(10);
    assert.throws(() => clock.advance(5), {
      name: "DesyncError",
      message: "ManualClock.advance(): another advance of this clock is still running; " +
        "await it first",
    });
    assert.throws(() => clock.advanceTo(50), DesyncError);
    await running;
    await clock.advanceTo(50);
    assert.equal(clock.now(), 50);
  });

  await t.step("a scheduler whose runReady throws fails the advance, not the clock", async () => {
    const clock = new ManualClock();
    const broken = {
      runReady(): number {
        throw new Error("broken scheduler");
      },
    };
    await assert.rejects(clock.advance(10, { scheduler: broken }), { message: "broken scheduler" });
    await clock.advance(10);
    assert.equal(clock.now(), 10);
  });

  await t.step("one clock drives several services, and keeps none once idle", async () => {
    const clock = new ManualClock();
    const services = Array.from({ length: 3 }, () => new TimerService({ clock }));
    const done: number[] = [];
    services.forEach((s, i) => s.delay(10 * (3 - i)).then(() => done.push(i)));
    await clock.advance(30);
    assert.deepEqual(done, [2, 1, 0]);
    for (const s of services) assert.equal(s.pending, 0);
    // A registration only while it has timers: a service made and dropped costs nothing.
    for (let i = 0; i < 1_000; i++) {
      const s = new TimerService({ clock });
      const stop = new AbortController();
      s.delay(5, { signal: stop.signal }).catch(() => {});
      stop.abort();
    }
    await clock.advance(10); // nothing left to drive
  });
});

// ---------------------------------------------------------------------------
// With a manual scheduler: Desync objects, channels and timeouts, no real time

Deno.test("manual scheduler: a Desync job with a timeout loop runs on clock.advance alone", async () => {
  const manual = new Scheduler({ maxConcurrency: 0 });
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const audit = new Desync<string[]>([], { scheduler: manual });
  const client = new Desync({ attempts: 0 }, { scheduler: manual });
  const latencies = [250, 150, 50]; // the server gets faster

  // Each attempt is bounded by a 100 ms timeout, with a 20 ms pause after a failure.
  client.desync(async (state) => {
    for (const latency of latencies) {
      state.value.attempts++;
      try {
        await timers.delay(latency, { signal: timers.timeout(100) }); // the "request"
        audit.desync((log) => void log.value.push(`ok at ${clock.now()}`));
        return;
      } catch (error) {
        assert.equal((error as DOMException).name, "TimeoutError");
        audit.desync((log) => void log.value.push(`timeout at ${clock.now()}`));
        await timers.delay(20);
      }
    }
  });
  client.desync((state) => void state.value.attempts++); // queued behind the loop

  await clock.advance(289, { scheduler: manual });
  assert.deepEqual(audit.sync((log) => log.value), ["timeout at 100", "timeout at 220"]);
  assert.equal(client.queued, 1);
  await clock.advance(1, { scheduler: manual });
  assert.deepEqual(audit.sync((log) => log.value), [
    "timeout at 100",
    "timeout at 220",
    "ok at 290",
  ]);
  assert.equal(client.sync((state) => state.value.attempts), 4, "the queued job ran too");
  await withTimeout(manual.runUntilIdle(), 1_000, "the manual scheduler to be idle");
  // The last attempt's timeout signal is still a timer until its deadline.
  assert.equal(timers.pending, 1);
  await clock.advance(50, { scheduler: manual });
  assert.equal(timers.pending, 0);
});

Deno.test("manual scheduler: a producer object, a channel and an idle timeout, deterministic", async () => {
  async function run(): Promise<string[]> {
    const manual = new Scheduler({ maxConcurrency: 0 });
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const readings = new Channel<number>(1);
    const sensor = new Desync(20, { scheduler: manual });
    const log: string[] = [];
    sensor.desync(async (temperature) => {
      for (let i = 0; i < 3; i++) {
        await timers.delay(100);
        await readings.send(temperature.value++);
      }
    });
    const consumer = (async () => {
      for (;;) {
        const next = await select({ reading: readings.receiveCase(), idle: timers.delayCase(250) });
        if (next.key === "idle") {
          log.push(`idle at ${clock.now()}`);
          return;
        }
        log.push(`${next.value.value} at ${clock.now()}`);
      }
    })();
    await clock.advance(1_000, { scheduler: manual });
    await consumer;
    return log;
  }
  const first = await run();
  assert.deepEqual(first, ["20 at 100", "21 at 200", "22 at 300", "idle at 550"]);
  assert.deepEqual(await run(), first);
});

Deno.test("scheduler option: work inside jobs still runs after the scheduler's time budget", async () => {
  // A scheduler gives the event loop a turn after ~4 ms of work, putting
  // further work off to a macrotask that advance() never gives; stepping it
  // with runReady() runs those jobs anyway, so the outcome does not depend on
  // the machine's speed. In manual mode and in the default mode alike.
  for (const scheduler of [new Scheduler({ maxConcurrency: 0 }), new Scheduler()]) {
    const clock = new ManualClock();
    const timers = new TimerService({ clock });
    const worker = new Desync(0, { scheduler });
    const counter = new Desync(0, { scheduler });
    const seen: number[] = [];
    worker.desync(async () => {
      for (let i = 0; i < 6; i++) {
        await timers.delay(10);
        spin(3); // real work: the budget runs out
        seen.push(await counter.futureSync((n) => ++n.value));
        counter.desync((n) => void (n.value += 100)); // background work too
      }
    });
    await clock.advance(60, { scheduler });
    assert.deepEqual(seen, [1, 102, 203, 304, 405, 506], `manual: ${scheduler.manual}`);
    await clock.advance(0, { scheduler });
    assert.equal(counter.sync((n) => n.value), 606);
  }
});

Deno.test("user scenario: 1,000 tasks through a 10-permit semaphore, each holding it 100 ms", async () => {
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const permits = new Semaphore(10);
  let active = 0;
  let peak = 0;
  const finished: number[] = [];
  const tasks = Array.from({ length: 1_000 }, async (_, i) => {
    using _permit = await permits.acquire();
    peak = Math.max(peak, ++active);
    await timers.delay(100);
    active--;
    finished[i] = clock.now();
  });
  await clock.advance(10_000);
  await Promise.all(tasks);
  assert.equal(peak, 10);
  // FIFO permits: task i runs in wave floor(i / 10).
  assert.deepEqual(
    finished,
    Array.from({ length: 1_000 }, (_, i) => (Math.floor(i / 10) + 1) * 100),
  );
  assert.equal(timers.pending, 0);
});

// ---------------------------------------------------------------------------
// Bad input

Deno.test("bad input throws at the call site, naming the method and the argument", async () => {
  const clock = new ManualClock();
  const timers = new TimerService({ clock });
  const signal = new AbortController().signal;
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      "delay of a string",
      () => timers.delay("100" as unknown as number),
      TypeError,
      'TimerService.delay(): "ms" must be a number of milliseconds, got a string ("100")',
    ],
    [
      "delay of NaN",
      () => timers.delay(NaN),
      RangeError,
      'TimerService.delay(): "ms" must be a number of milliseconds, got NaN',
    ],
    [
      "delay with a bare signal",
      () => timers.delay(10, signal as never),
      TypeError,
      'TimerService.delay(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "delay with a misspelled option",
      () => timers.delay(10, { sginal: signal } as never),
      TypeError,
      'TimerService.delay(): unknown option "sginal" (did you mean "signal"?); accepted: signal',
    ],
    [
      "delay with a signal that is not one",
      () => timers.delay(10, { signal: {} as AbortSignal }),
      TypeError,
      'TimerService.delay(): "options.signal" must be an AbortSignal, got an object',
    ],
    [
      "deadline of undefined",
      () => timers.deadline(undefined as unknown as number),
      TypeError,
      'TimerService.deadline(): "time" must be a number of milliseconds, got undefined',
    ],
    [
      "deadline with options of the wrong type",
      () => timers.deadline(10, 5 as never),
      TypeError,
      'TimerService.deadline(): "options" must be an object, got number 5',
    ],
    [
      "delayCase of null",
      () => timers.delayCase(null as unknown as number),
      TypeError,
      'TimerService.delayCase(): "ms" must be a number of milliseconds, got null',
    ],
    [
      "deadlineCase of NaN",
      () => timers.deadlineCase(NaN),
      RangeError,
      'TimerService.deadlineCase(): "time" must be a number of milliseconds, got NaN',
    ],
    [
      "timeout of a bigint",
      () => timers.timeout(10n as unknown as number),
      TypeError,
      'TimerService.timeout(): "ms" must be a number of milliseconds, got bigint 10',
    ],
    [
      "a service with options of the wrong type",
      () => new TimerService(5 as never),
      TypeError,
      'new TimerService(): "options" must be an object, got number 5',
    ],
    [
      "a service with a misspelled option",
      () => new TimerService({ clok: clock } as never),
      TypeError,
      'new TimerService(): unknown option "clok" (did you mean "clock"?); accepted: clock, hostTimer',
    ],
    [
      "a service with a clock without now()",
      () => new TimerService({ clock: {} as Clock }),
      TypeError,
      'new TimerService(): "options.clock" must be a Clock (an object with a now() method), ' +
      "got an object",
    ],
    [
      "a service with hostTimer not a boolean",
      () => new TimerService({ hostTimer: 1 as unknown as boolean }),
      TypeError,
      'new TimerService(): "options.hostTimer" must be a boolean, got number 1',
    ],
    [
      "a host timer on a ManualClock",
      () => new TimerService({ clock, hostTimer: true }),
      TypeError,
      'new TimerService(): "options.hostTimer" cannot be true with a ManualClock, ' +
      "which fires the timers of its services itself (advance())",
    ],
    [
      "a ManualClock starting at NaN",
      () => new ManualClock(NaN),
      RangeError,
      'new ManualClock(): "start" must be a finite number, got number NaN',
    ],
    [
      "a ManualClock starting at Infinity",
      () => new ManualClock(Infinity),
      RangeError,
      'new ManualClock(): "start" must be a finite number, got number Infinity',
    ],
    [
      "a ManualClock starting at a string",
      () => new ManualClock("0" as unknown as number),
      TypeError,
      'new ManualClock(): "start" must be a finite number, got a string ("0")',
    ],
    [
      "advance by a negative amount",
      () => clock.advance(-1),
      RangeError,
      'ManualClock.advance(): "ms" must be a finite number, 0 or more (time never goes back), ' +
      "got number -1",
    ],
    [
      "advance by NaN",
      () => clock.advance(NaN),
      RangeError,
      'ManualClock.advance(): "ms" must be a finite number, 0 or more (time never goes back), ' +
      "got number NaN",
    ],
    [
      "advance by Infinity",
      () => clock.advance(Infinity),
      RangeError,
      'ManualClock.advance(): "ms" must be a finite number, 0 or more (time never goes back), ' +
      "got number Infinity",
    ],
    [
      "advance by a string",
      () => clock.advance("5" as unknown as number),
      TypeError,
      'ManualClock.advance(): "ms" must be a finite number, 0 or more, got a string ("5")',
    ],
    [
      "advance with a scheduler that cannot step",
      () => clock.advance(1, { scheduler: {} as never }),
      TypeError,
      'ManualClock.advance(): "options.scheduler" must have a runReady() method ' +
      "(a Scheduler in manual mode), got an object",
    ],
    [
      "advance with a misspelled option",
      () => clock.advance(1, { schedular: null } as never),
      TypeError,
      'ManualClock.advance(): unknown option "schedular" (did you mean "scheduler"?); ' +
      "accepted: scheduler",
    ],
    [
      "advanceTo a time before now",
      () => clock.advanceTo(-1),
      RangeError,
      'ManualClock.advanceTo(): "time" (-1) is before now (0); time never goes back',
    ],
    [
      "advanceTo Infinity",
      () => clock.advanceTo(Infinity),
      RangeError,
      'ManualClock.advanceTo(): "time" must be a finite number, got number Infinity',
    ],
  ];
  for (const [what, call, type, message] of cases) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof type, `${what}: ${error}`);
      assert.equal((error as Error).message, message, what);
      return true;
    });
  }
  assert.equal(timers.pending, 0, "nothing was queued by a bad call");
  assert.equal(clock.now(), 0);
  await clock.advance(0); // the clock still works
});

Deno.test("a clock that returns NaN fails at the call site instead of never firing", () => {
  const timers = new TimerService({ clock: { now: () => NaN } });
  assert.throws(
    () => timers.delay(10),
    /^TypeError: TimerService\.delay\(\): the clock's now\(\) returned number NaN, not a number of milliseconds$/,
  );
  assert.throws(
    () => timers.timeout(10),
    /^TypeError: TimerService\.timeout\(\): the clock's now\(\)/,
  );
  assert.equal(timers.pending, 0);
});
