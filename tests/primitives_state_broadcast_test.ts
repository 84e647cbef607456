// Copyright 2026 the desync authors. MIT license.
// StateBroadcast: the futures-intrusive checklist
// (tests/state_broadcast_channel.rs), waker counts turned into promise states
// and order; close and the last value; aborts; the async iterator and its
// unlinking; select cases; bad input; a config broadcast to 1,000 subscribers.

import assert from "node:assert/strict";
import {
  ChannelClosedError,
  ManualResetEvent,
  select,
  StateBroadcast,
  type StateUpdate,
} from "../primitives.ts";
import { flushMicrotasks } from "./_helpers.ts";
import { standing, standings } from "./_primitives.ts";

const value = <T>(version: number, value: T) => ({ done: false, version, value });
const done = (version: number) => ({ done: true, version, value: undefined });

/** A send that must fail: returns its ChannelClosedError. */
function failedSend<T>(broadcast: StateBroadcast<T>, v: T): ChannelClosedError<T> {
  try {
    broadcast.send(v);
  } catch (error) {
    assert.ok(error instanceof ChannelClosedError);
    return error as ChannelClosedError<T>;
  }
  assert.fail("send() did not throw");
}

Deno.test("StateBroadcast: the futures-intrusive checklist", async (t) => {
  // FI close_status
  await t.step("close reports whether this call closed it", () => {
    const broadcast = new StateBroadcast<number>();
    assert.equal(broadcast.close(), true);
    for (let i = 0; i < 3; i++) assert.equal(broadcast.close(), false);
  });

  // FI send_on_closed_channel
  await t.step("send after close throws carrying the value", () => {
    const broadcast = new StateBroadcast<number>();
    broadcast.close();
    const error = failedSend(broadcast, 5);
    assert.equal(error.value, 5);
    assert.equal(error.message, "StateBroadcast.send(): the broadcast is closed");
    assert.equal(broadcast.version, 0, "the version did not move");
  });

  // FI close_unblocks_receive
  await t.step("close ends two receivers waiting on version 0 with done", async () => {
    const broadcast = new StateBroadcast<number>();
    const r1 = broadcast.receive();
    const r2 = broadcast.receive(0);
    assert.deepEqual(await standings([r1, r2]), ["pending", "pending"]);
    broadcast.close();
    assert.deepEqual(await r1, done(0));
    assert.deepEqual(await r2, done(0));
  });

  // FI receive_after_send
  await t.step("intermediate values are skipped; the last one outlives close", async () => {
    const broadcast = new StateBroadcast<number>();
    broadcast.send(1);
    broadcast.send(2);
    assert.deepEqual(await broadcast.receive(0), value(2, 2));
    const { version } = await broadcast.receive(0);
    assert.equal(version, 2);
    broadcast.send(5);
    broadcast.send(6);
    broadcast.send(7);
    broadcast.close();
    assert.deepEqual(await broadcast.receive(version), value(5, 7));
    assert.deepEqual(await broadcast.receive(version), value(5, 7));
    const last = await broadcast.receive(version);
    assert.deepEqual(await broadcast.receive(last.version), done(5));
  });

  // FI try_receive (and the shared flavor's try_receive, which has no
  // counterpart here: there is one StateBroadcast object for both sides)
  await t.step("tryReceive: nothing before a send, the state after, nothing newer then", () => {
    const broadcast = new StateBroadcast<number>();
    assert.equal(broadcast.tryReceive(), undefined);
    assert.equal(broadcast.send(4), 1);
    const received = broadcast.tryReceive(0);
    assert.deepEqual(received, value(1, 4));
    assert.equal(broadcast.tryReceive(received!.version), undefined);
  });

  // FI send_unblocks_receive
  await t.step("one send completes both waiting receivers with the same version", async () => {
    const broadcast = new StateBroadcast<number>();
    const r1 = broadcast.receive();
    const r2 = broadcast.receive();
    assert.deepEqual(await standings([r1, r2]), ["pending", "pending"]);
    broadcast.send(99);
    assert.deepEqual(await standings([r1, r2]), ["fulfilled", "fulfilled"]);
    assert.deepEqual(await r1, value(1, 99));
    assert.deepEqual(await r2, value(1, 99));
  });

  // FI get_increasing_state_id
  await t.step("each send gives a newer version; waiters wake only on the next send", async () => {
    const broadcast = new StateBroadcast<number>();
    let version = 0;
    for (const v of [99, 100, 101]) {
      const a = broadcast.receive(version);
      const b = broadcast.receive(version);
      assert.deepEqual(await standings([a, b]), ["pending", "pending"]);
      broadcast.send(v);
      const ra = await a;
      const rb = await b;
      assert.deepEqual(ra, rb);
      assert.equal(ra.value, v);
      assert.ok(ra.version > version);
      version = ra.version;
    }
    const last = broadcast.receive(version);
    assert.equal(await standing(last), "pending");
    broadcast.close();
    assert.deepEqual(await last, done(version));
  });

  // FI get_same_element_for_same_state_id
  await t.step("two receives with the same old version get the same state", async () => {
    const broadcast = new StateBroadcast<{ n: number }>();
    broadcast.send({ n: 1 });
    const first = await broadcast.receive(0);
    const second = await broadcast.receive(0);
    assert.equal(first.version, second.version);
    assert.ok(first.version > 0);
    assert.strictEqual(first.value, second.value, "the same value, shared");
  });

  // FI cancel_receive_mid_wait
  await t.step("receivers aborted in the middle: one send reaches the other three", async () => {
    const broadcast = new StateBroadcast<number>();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const receives = controllers.map((c) => broadcast.receive(0, { signal: c.signal }));
    controllers[1].abort(new Error("drop 2"));
    controllers[3].abort(new Error("drop 4"));
    assert.equal(broadcast.waiting, 3);
    broadcast.send(1);
    assert.deepEqual(await standings(receives), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    for (const i of [0, 2, 4]) assert.deepEqual(await receives[i], value(1, 1));
  });

  // FI cancel_receive_end_wait (the Rust test polls fut4 only after the three
  // sends; here r4 is made then, on the version r3 saw)
  await t.step("receivers aborted before newer ones queue break nothing", async () => {
    const broadcast = new StateBroadcast<number>();
    const r1 = broadcast.receive();
    const r2 = broadcast.receive();
    const c5 = new AbortController();
    const c6 = new AbortController();
    const r5 = broadcast.receive(0, { signal: c5.signal });
    const r6 = broadcast.receive(0, { signal: c6.signal });
    c5.abort();
    c6.abort();
    const r3 = broadcast.receive();
    assert.equal(broadcast.waiting, 3);
    broadcast.send(0);
    broadcast.send(1);
    broadcast.send(2);
    // r1..r3 were granted by the first send, with the state of that moment.
    assert.deepEqual(await Promise.all([r1, r2, r3]), [value(1, 0), value(1, 0), value(1, 0)]);
    assert.deepEqual(await broadcast.receive(1), value(3, 2), "a late receiver sees only 2");
    const r4 = broadcast.receive(3);
    broadcast.send(3);
    assert.deepEqual(await r4, value(4, 3));
    assert.deepEqual(await standings([r5, r6]), ["rejected", "rejected"]);
  });

  // FI poll_from_multiple_executors (adapted: no wakers; one receive
  // observed from two places settles once for both)
  await t.step("one receive observed from two places settles once for both", async () => {
    const broadcast = new StateBroadcast<number>();
    const receiving = broadcast.receive();
    const seen: unknown[] = [];
    void receiving.then((r) => seen.push(r));
    void receiving.then((r) => seen.push(r));
    await flushMicrotasks();
    assert.equal(seen.length, 0);
    broadcast.send(99);
    await flushMicrotasks();
    assert.equal(seen.length, 2);
    assert.strictEqual(seen[0], seen[1]);
  });

  // FI dropping_shared_channel_senders_closes_channel (adapted: no shared
  // flavor and no drop in JS: the last sender closes explicitly, or by `using`)
  await t.step("the senders' side closing ends waiting receivers with done", async () => {
    const broadcast = new StateBroadcast<number>();
    const r1 = broadcast.receive();
    const r2 = broadcast.receive();
    {
      using _sender = broadcast;
      assert.deepEqual(await standings([r1, r2]), ["pending", "pending"]);
    }
    assert.deepEqual(await r1, done(0));
    assert.deepEqual(await r2, done(0));
  });

  // FI dropping_shared_channel_receivers_closes_channel (adapted: the
  // receivers' side closes explicitly; sends before succeed, after fail)
  await t.step("the receivers' side closing makes later sends fail with their value", () => {
    const broadcast = new StateBroadcast<number>();
    assert.equal(broadcast.send(5), 1);
    assert.equal(broadcast.send(7), 2);
    broadcast.close();
    assert.equal(failedSend(broadcast, 5).value, 5);
    assert.equal(failedSend(broadcast, 7).value, 7);
  });
});

Deno.test("StateBroadcast: versions, initial value, close", async (t) => {
  await t.step("an initial value is version 1, also an explicit undefined", () => {
    assert.deepEqual(new StateBroadcast("a").tryReceive(), value(1, "a"));
    const explicit = new StateBroadcast<string | undefined>(undefined);
    assert.equal(explicit.version, 1);
    assert.deepEqual(explicit.tryReceive(), value(1, undefined));
    const empty = new StateBroadcast<string>();
    assert.deepEqual([empty.version, empty.value], [0, undefined]);
  });

  await t.step("a receive for a future version waits until the version passes it", async () => {
    const broadcast = new StateBroadcast(0);
    const later = broadcast.receive(3);
    broadcast.send(1); // version 2
    broadcast.send(2); // version 3
    assert.equal(await standing(later), "pending");
    assert.equal(broadcast.waiting, 1);
    broadcast.send(3); // version 4
    assert.deepEqual(await later, value(4, 3));
  });

  await t.step("a send grants waiters behind it and keeps the others, in order", async () => {
    const broadcast = new StateBroadcast<string>();
    const order: string[] = [];
    const a = broadcast.receive(0).then(() => order.push("a"));
    const far = broadcast.receive(1).then(() => order.push("far"));
    const b = broadcast.receive(0).then(() => order.push("b"));
    broadcast.send("x");
    assert.equal(broadcast.waiting, 1);
    await Promise.all([a, b]);
    assert.deepEqual(order, ["a", "b"]);
    broadcast.send("y");
    await far;
    assert.deepEqual(order, ["a", "b", "far"]);
  });

  await t.step(
    "close with a reason: done-time receives reject, the last value still comes",
    async () => {
      const broadcast = new StateBroadcast<number>();
      broadcast.send(1);
      const waiting = broadcast.receive(1);
      const reason = new Error("source failed");
      assert.equal(broadcast.close(reason), true);
      await assert.rejects(waiting, (e) => e === reason);
      assert.deepEqual(await broadcast.receive(0), value(1, 1), "behind the last value: gets it");
      await assert.rejects(broadcast.receive(1), (e) => e === reason);
      assert.deepEqual(broadcast.tryReceive(1), done(1), "tryReceive reports, does not throw");
      assert.deepEqual(broadcast.tryReceive(0), value(1, 1));
      assert.equal(failedSend(broadcast, 2).cause, reason);
      assert.equal(broadcast.value, 1, "the value stays readable");
    },
  );
});

Deno.test("StateBroadcast: aborts", async (t) => {
  await t.step("before the call: rejects even when a newer state is there", async () => {
    const broadcast = new StateBroadcast(1);
    const reason = new Error("already aborted");
    await assert.rejects(
      broadcast.receive(0, { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.equal(broadcast.waiting, 0);
  });

  await t.step(
    "while waiting: rejects and leaves the queue; the others still get the send",
    async () => {
      const broadcast = new StateBroadcast<number>();
      const controller = new AbortController();
      const aborted = broadcast.receive(0, { signal: controller.signal });
      const other = broadcast.receive(0);
      controller.abort("stop");
      assert.equal(broadcast.waiting, 1);
      await assert.rejects(aborted, (e) => e === "stop");
      broadcast.send(1);
      assert.deepEqual(await other, value(1, 1));
    },
  );

  await t.step("after the grant: the abort changes nothing", async () => {
    const broadcast = new StateBroadcast<number>();
    const controller = new AbortController();
    const receiving = broadcast.receive(0, { signal: controller.signal });
    broadcast.send(8);
    controller.abort(new Error("too late"));
    assert.deepEqual(await receiving, value(1, 8));
  });
});

Deno.test("StateBroadcast: async iteration", async (t) => {
  await t.step("the current state first, then newer ones, skipping; ends after close", async () => {
    const broadcast = new StateBroadcast("a");
    const seen: StateUpdate<string>[] = [];
    const reading = (async () => {
      for await (const update of broadcast) {
        seen.push(update);
        if (update.value === "b") {
          broadcast.send("c"); // skipped: "d" replaces it before the loop asks
          broadcast.send("d");
        }
      }
    })();
    await flushMicrotasks();
    broadcast.send("b");
    await flushMicrotasks();
    broadcast.close();
    await reading;
    assert.deepEqual(seen, [
      { version: 1, value: "a" },
      { version: 2, value: "b" },
      { version: 4, value: "d" },
    ]);
    assert.equal(broadcast.waiting, 0);
  });

  await t.step("on an empty broadcast it waits for the first value", async () => {
    const broadcast = new StateBroadcast<number>();
    const iterator = broadcast[Symbol.asyncIterator]();
    const first = iterator.next();
    assert.equal(await standing(first), "pending");
    broadcast.send(1);
    assert.deepEqual(await first, { done: false, value: { version: 1, value: 1 } });
  });

  await t.step("closed after sends: it still yields the last value, then ends", async () => {
    const broadcast = new StateBroadcast<number>();
    broadcast.send(1);
    broadcast.send(2);
    broadcast.close();
    const seen: number[] = [];
    for await (const { value } of broadcast) seen.push(value);
    assert.deepEqual(seen, [2]);
  });

  await t.step("closed with a reason: the loop throws it after the last value", async () => {
    const broadcast = new StateBroadcast(1);
    const reason = new Error("feed lost");
    const seen: number[] = [];
    const reading = (async () => {
      for await (const { value } of broadcast) seen.push(value);
    })();
    await flushMicrotasks();
    broadcast.close(reason);
    await assert.rejects(reading, (e) => e === reason);
    assert.deepEqual(seen, [1]);
  });

  await t.step("break leaves no waiter behind", async () => {
    const broadcast = new StateBroadcast(1);
    for await (const _ of broadcast) break;
    assert.equal(broadcast.waiting, 0);
  });

  await t.step(
    "return() while next() waits: next ends with done and leaves the queue",
    async () => {
      const broadcast = new StateBroadcast(1);
      const iterator = broadcast[Symbol.asyncIterator]();
      assert.deepEqual(await iterator.next(), { done: false, value: { version: 1, value: 1 } });
      const pending = iterator.next();
      assert.equal(broadcast.waiting, 1);
      assert.deepEqual(await iterator.return!(), { done: true, value: undefined });
      assert.equal(broadcast.waiting, 0, "the abandoned iterator unlinked its wait");
      assert.deepEqual(await pending, { done: true, value: undefined });
      broadcast.send(2);
      assert.deepEqual(await iterator.next(), { done: true, value: undefined }, "stays done");
    },
  );

  await t.step("many abandoned iterators do not pile up in the queue", async () => {
    const broadcast = new StateBroadcast(0);
    for (let i = 0; i < 1_000; i++) {
      const iterator = broadcast[Symbol.asyncIterator]();
      await iterator.next();
      void iterator.next();
      await iterator.return!();
    }
    assert.equal(broadcast.waiting, 0);
  });

  await t.step("concurrent next() calls are served in order, no state twice", async () => {
    const broadcast = new StateBroadcast<number>();
    const iterator = broadcast[Symbol.asyncIterator]();
    const a = iterator.next();
    const b = iterator.next();
    const c = iterator.next();
    assert.equal(broadcast.waiting, 1, "only the first waits in the queue");
    broadcast.send(10);
    assert.deepEqual(await a, { done: false, value: { version: 1, value: 10 } });
    assert.equal(await standing(b), "pending", "b waits for a newer state than a got");
    broadcast.send(20);
    assert.deepEqual(await b, { done: false, value: { version: 2, value: 20 } });
    broadcast.close();
    assert.deepEqual(await c, { done: true, value: undefined });
  });

  await t.step("the iterator is its own async iterable", () => {
    const iterator = new StateBroadcast(1)[Symbol.asyncIterator]();
    assert.strictEqual(iterator[Symbol.asyncIterator](), iterator);
  });
});

Deno.test("StateBroadcast: select cases", async (t) => {
  await t.step("a newer state completes the case at once; an older one waits", async () => {
    const broadcast = new StateBroadcast("x");
    assert.deepEqual(await select({ s: broadcast.receiveCase() }), {
      key: "s",
      value: value(1, "x"),
    });
    const waiting = select({ s: broadcast.receiveCase(1) });
    assert.equal(await standing(waiting), "pending");
    broadcast.send("y");
    assert.deepEqual(await waiting, { key: "s", value: value(2, "y") });
  });

  await t.step("a losing case leaves the queue", async () => {
    const broadcast = new StateBroadcast<number>();
    const stop = new ManualResetEvent();
    const selecting = select({ s: broadcast.receiveCase(), stop: stop.waitCase() });
    stop.set();
    assert.equal((await selecting).key, "stop");
    assert.equal(broadcast.waiting, 0);
  });

  await t.step("two cases of one select in the queue, the kept one removed mid-walk", async () => {
    // Queue: r1(0), far case(5), near case(0), r2(0). The send keeps the far
    // case, grants the near one, whose select then unlinks the far case: the
    // walk must still reach r2.
    const broadcast = new StateBroadcast<number>();
    const r1 = broadcast.receive(0);
    const selecting = select({ far: broadcast.receiveCase(5), near: broadcast.receiveCase(0) });
    const r2 = broadcast.receive(0);
    assert.equal(broadcast.waiting, 4);
    broadcast.send(1);
    assert.equal(broadcast.waiting, 0);
    assert.deepEqual(await selecting, { key: "near", value: value(1, 1) });
    assert.deepEqual(await Promise.all([r1, r2]), [value(1, 1), value(1, 1)]);
  });

  await t.step("close: done without a reason, the reason fails the select", async () => {
    const plain = new StateBroadcast<number>();
    const a = select({ s: plain.receiveCase() });
    plain.close();
    assert.deepEqual(await a, { key: "s", value: done(0) });
    const failing = new StateBroadcast<number>();
    const b = select({ s: failing.receiveCase() });
    const reason = new Error("x");
    failing.close(reason);
    await assert.rejects(b, (e) => e === reason);
    await assert.rejects(select({ s: failing.receiveCase() }), (e) => e === reason);
  });
});

Deno.test("StateBroadcast: bad input throws at the call site", () => {
  const broadcast = new StateBroadcast<number>();
  type Options = { signal: AbortSignal };
  const since = '"since" must be a version (a non-negative integer)';
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      "options in place of since",
      () => broadcast.receive({ signal: undefined } as unknown as number),
      TypeError,
      `StateBroadcast.receive(): ${since}, got an object`,
    ],
    [
      "a string version",
      () => broadcast.receive("1" as unknown as number),
      TypeError,
      `StateBroadcast.receive(): ${since}, got a string ("1")`,
    ],
    [
      "a negative version",
      () => broadcast.receive(-1),
      RangeError,
      `StateBroadcast.receive(): ${since}, got number -1`,
    ],
    [
      "a fractional version",
      () => broadcast.tryReceive(1.5),
      RangeError,
      `StateBroadcast.tryReceive(): ${since}, got number 1.5`,
    ],
    [
      "NaN",
      () => broadcast.receiveCase(NaN),
      RangeError,
      `StateBroadcast.receiveCase(): ${since}, got number NaN`,
    ],
    [
      "Infinity",
      () => broadcast.receive(Infinity),
      RangeError,
      `StateBroadcast.receive(): ${since}, got number Infinity`,
    ],
    [
      "a bigint",
      () => broadcast.tryReceive(1n as unknown as number),
      TypeError,
      `StateBroadcast.tryReceive(): ${since}, got bigint 1`,
    ],
    [
      "a bare signal as options",
      () => broadcast.receive(0, new AbortController().signal as unknown as Options),
      TypeError,
      'StateBroadcast.receive(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "an unknown option",
      () => broadcast.receive(0, { since: 1 } as unknown as Options),
      TypeError,
      'StateBroadcast.receive(): unknown option "since"; accepted: signal',
    ],
    [
      "a signal that is not an AbortSignal",
      () => broadcast.receive(0, { signal: true as unknown as AbortSignal }),
      TypeError,
      'StateBroadcast.receive(): "options.signal" must be an AbortSignal, got boolean true',
    ],
  ];
  for (const [what, call, type, message] of cases) {
    assert.throws(
      call,
      (e: unknown) => e instanceof type && (e as Error).message === message,
      what,
    );
  }
  assert.equal(broadcast.waiting, 0, "nothing was queued by a bad call");
});

Deno.test("StateBroadcast: a config broadcast to 1,000 subscribers through 100 rapid updates", async () => {
  // Each subscriber follows the config with for await and does a little async
  // work per state, at its own pace; the publisher sends 100 updates, some in
  // synchronous bursts, some a microtask or a macrotask apart. Every
  // subscriber must see versions only grow, values that match their version,
  // and the final config; none may be left waiting after the close.
  interface Config {
    revision: number;
  }
  const config = new StateBroadcast<Config>({ revision: 1 });
  const subscribers = 1_000;
  const updates = 100;
  const seen = Array.from({ length: subscribers }, () => [] as number[]);
  const readers = seen.map(async (versions, i) => {
    for await (const { version, value } of config) {
      assert.equal(value.revision, version, "the value belongs to its version");
      versions.push(version);
      for (let k = 0; k < i % 4; k++) await Promise.resolve(); // uneven speeds
    }
  });
  for (let revision = 2; revision <= updates + 1; revision++) {
    assert.equal(config.send({ revision }), revision);
    if (revision % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    else if (revision % 3 === 0) await Promise.resolve();
  }
  config.close();
  await Promise.all(readers);
  assert.equal(config.waiting, 0);
  for (const versions of seen) {
    assert.equal(versions[0], 1, "starts from the current value");
    assert.equal(versions.at(-1), updates + 1, "ends with the latest value");
    for (let k = 1; k < versions.length; k++) {
      assert.ok(versions[k] > versions[k - 1], "never goes backwards nor repeats");
    }
  }
  const counts = seen.map((v) => v.length);
  assert.ok(Math.min(...counts) < updates + 1, "slow subscribers skipped intermediate states");
});
