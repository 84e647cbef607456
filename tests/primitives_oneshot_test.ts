// Copyright 2026 the desync authors. MIT license.
// Oneshot: the futures-intrusive checklist (tests/oneshot_channel.rs), waker
// counts turned into promise states and order; close and its reason; aborts;
// select cases; bad input; a request/reply scenario with many clients.

import assert from "node:assert/strict";
import { ClosedError } from "../mod.ts";
import { ChannelClosedError, ManualResetEvent, Oneshot, select } from "../primitives.ts";
import { flushMicrotasks } from "./_helpers.ts";
import { standings } from "./_primitives.ts";

const DONE = { done: true, value: undefined };

/** A send that must fail: returns its ChannelClosedError. */
function failedSend<T>(oneshot: Oneshot<T>, value: T): ChannelClosedError<T> {
  try {
    oneshot.send(value);
  } catch (error) {
    assert.ok(error instanceof ChannelClosedError);
    assert.ok(error instanceof ClosedError, "a ClosedError like a closed Desync's");
    return error as ChannelClosedError<T>;
  }
  assert.fail("send() did not throw");
}

Deno.test("Oneshot: the futures-intrusive checklist", async (t) => {
  // FI send_on_closed_channel
  await t.step("send on a closed oneshot throws carrying the value", () => {
    const oneshot = new Oneshot<number>();
    assert.equal(oneshot.close(), true);
    const error = failedSend(oneshot, 5);
    assert.equal(error.value, 5);
    assert.equal(error.message, "Oneshot.send(): the oneshot is closed");
    assert.equal(error.cause, undefined);
  });

  // FI close_status
  await t.step("close reports whether this call closed it", () => {
    const oneshot = new Oneshot<number>();
    assert.equal(oneshot.closed, false);
    assert.equal(oneshot.close(), true);
    assert.equal(oneshot.close(), false);
    assert.equal(oneshot.close(new Error("late reason")), false);
    assert.equal(oneshot.closed, true);
  });

  // FI close_unblocks_receive
  await t.step("close ends both pending receivers with done", async () => {
    const oneshot = new Oneshot<number>();
    const r1 = oneshot.receive();
    const r2 = oneshot.receive();
    assert.deepEqual(await standings([r1, r2]), ["pending", "pending"]);
    oneshot.close();
    assert.equal(oneshot.waiting, 0);
    assert.deepEqual(await r1, DONE);
    assert.deepEqual(await r2, DONE);
  });

  // FI receive_after_send
  await t.step("send then receive gets the value; a second receive gets done", async () => {
    const oneshot = new Oneshot<number>();
    oneshot.send(5);
    assert.equal(oneshot.sent, true);
    assert.deepEqual(await oneshot.receive(), { done: false, value: 5 });
    assert.deepEqual(await oneshot.receive(), DONE);
  });

  // FI send_after_receive
  await t.step("two waiting receivers: the oldest gets the value, the other done", async () => {
    const oneshot = new Oneshot<number>();
    const r1 = oneshot.receive();
    const r2 = oneshot.receive();
    oneshot.send(5);
    assert.equal(oneshot.waiting, 0);
    assert.deepEqual(await r1, { done: false, value: 5 });
    assert.deepEqual(await r2, DONE);
  });

  // FI second_send_rejects_value
  await t.step("a second send throws carrying its own value", () => {
    const oneshot = new Oneshot<number>();
    oneshot.send(5);
    const error = failedSend(oneshot, 7);
    assert.equal(error.value, 7);
    assert.equal(error.message, "Oneshot.send(): a value was already sent");
    assert.deepEqual(oneshot.tryReceive(), { ok: true, value: 5 }, "the first value is kept");
  });

  // FI cancel_mid_wait
  await t.step("receivers aborted in the middle: send reaches exactly the others", async () => {
    const oneshot = new Oneshot<number>();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const receives = controllers.map((c) => oneshot.receive({ signal: c.signal }));
    controllers[1].abort(new Error("drop 2"));
    controllers[3].abort(new Error("drop 4"));
    assert.equal(oneshot.waiting, 3);
    oneshot.send(9);
    assert.deepEqual(await standings(receives), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    assert.deepEqual(await receives[0], { done: false, value: 9 });
    assert.deepEqual(await receives[2], DONE);
    assert.deepEqual(await receives[4], DONE);
    await assert.rejects(receives[1], { message: "drop 2" });
    await assert.rejects(receives[3], { message: "drop 4" });
  });

  // FI cancel_end_wait
  await t.step("receivers aborted before newer ones queue break nothing", async () => {
    const oneshot = new Oneshot<number>();
    const r1 = oneshot.receive();
    const r2 = oneshot.receive();
    const c5 = new AbortController();
    const c6 = new AbortController();
    const r5 = oneshot.receive({ signal: c5.signal });
    const r6 = oneshot.receive({ signal: c6.signal });
    c5.abort();
    c6.abort();
    const r3 = oneshot.receive();
    const r4 = oneshot.receive();
    assert.equal(oneshot.waiting, 4);
    oneshot.send(1);
    assert.deepEqual(await standings([r1, r2, r3, r4]), Array(4).fill("fulfilled"));
    assert.deepEqual(await Promise.all([r1, r2, r3, r4]), [
      { done: false, value: 1 },
      DONE,
      DONE,
      DONE,
    ]);
    assert.deepEqual(await standings([r5, r6]), ["rejected", "rejected"]);
  });

  // FI poll_from_multiple_executors (adapted: no wakers; one receive observed
  // from two places settles once, with the value, for both)
  await t.step("one receive observed from two places gets the value once for both", async () => {
    const oneshot = new Oneshot<number>();
    const receiving = oneshot.receive();
    const seen: unknown[] = [];
    void receiving.then((r) => seen.push(r));
    void receiving.then((r) => seen.push(r));
    await flushMicrotasks();
    assert.equal(seen.length, 0);
    oneshot.send(99);
    await flushMicrotasks();
    assert.deepEqual(seen, [{ done: false, value: 99 }, { done: false, value: 99 }]);
    assert.strictEqual(seen[0], seen[1], "the same settlement");
  });

  // FI dropping_shared_channel_senders_closes_channel (adapted: no shared
  // flavor, nothing is dropped in JS; the sending side closes explicitly, or
  // through `using`)
  await t.step("the sender's side closing (using) ends a pending receive with done", async () => {
    const oneshot = new Oneshot<number>();
    const receiving = oneshot.receive();
    {
      using sender = oneshot;
      assert.equal(sender.closed, false);
    }
    assert.equal(oneshot.closed, true);
    assert.deepEqual(await receiving, DONE);
  });

  // FI dropping_shared_channel_receivers_closes_channel (adapted: the
  // receiving side closes explicitly)
  await t.step("the receiver's side closing makes send fail with the value", () => {
    const oneshot = new Oneshot<number>();
    oneshot.close();
    assert.equal(failedSend(oneshot, 5).value, 5);
  });
});

Deno.test("Oneshot: close", async (t) => {
  await t.step("a value sent but not taken is still delivered after close", async () => {
    const oneshot = new Oneshot<string>();
    oneshot.send("kept");
    assert.equal(oneshot.close(new Error("closing")), true);
    assert.deepEqual(await oneshot.receive(), { done: false, value: "kept" });
    assert.deepEqual(await oneshot.receive(), DONE, "then done, not the reason: a value was sent");
    assert.deepEqual(oneshot.tryReceive(), { ok: false, closed: true });
  });

  await t.step("closed with a reason and no value: receivers reject with the reason", async () => {
    const oneshot = new Oneshot<number>();
    const reason = new Error("producer failed");
    const waiting = oneshot.receive();
    oneshot.close(reason);
    await assert.rejects(waiting, (e) => e === reason);
    await assert.rejects(oneshot.receive(), (e) => e === reason, "a later receive too");
    assert.deepEqual(oneshot.tryReceive(), { ok: false, closed: true }, "tryReceive reports");
    const error = failedSend(oneshot, 1);
    assert.equal(error.cause, reason);
  });

  await t.step("a value taken, then close with a reason: later receives get done", async () => {
    const oneshot = new Oneshot<number>();
    oneshot.send(1);
    assert.deepEqual(oneshot.tryReceive(), { ok: true, value: 1 });
    oneshot.close(new Error("after"));
    assert.deepEqual(await oneshot.receive(), DONE);
  });

  await t.step("the sent and closed flags are independent", () => {
    const oneshot = new Oneshot<number>();
    assert.deepEqual([oneshot.sent, oneshot.closed], [false, false]);
    oneshot.send(1);
    assert.deepEqual([oneshot.sent, oneshot.closed], [true, false]);
    assert.equal(oneshot.close(), true, "closing after a send still closes it");
    assert.deepEqual([oneshot.sent, oneshot.closed], [true, true]);
  });

  await t.step("tryReceive: nothing yet, the value once, then closed", () => {
    const oneshot = new Oneshot<number>();
    assert.deepEqual(oneshot.tryReceive(), { ok: false, closed: false });
    oneshot.send(3);
    assert.deepEqual(oneshot.tryReceive(), { ok: true, value: 3 });
    assert.deepEqual(oneshot.tryReceive(), { ok: false, closed: true });
    const empty = new Oneshot<number>();
    empty.close();
    assert.deepEqual(empty.tryReceive(), { ok: false, closed: true });
  });
});

Deno.test("Oneshot: aborts", async (t) => {
  await t.step("before the call: rejects, and does not take a value that is there", async () => {
    const oneshot = new Oneshot<number>();
    oneshot.send(1);
    const reason = new Error("already aborted");
    await assert.rejects(
      oneshot.receive({ signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.deepEqual(oneshot.tryReceive(), { ok: true, value: 1 }, "the value is still there");
  });

  await t.step(
    "while waiting: rejects and leaves the queue; the value goes to the next",
    async () => {
      const oneshot = new Oneshot<number>();
      const controller = new AbortController();
      const first = oneshot.receive({ signal: controller.signal });
      const second = oneshot.receive();
      controller.abort("gone");
      assert.equal(oneshot.waiting, 1);
      oneshot.send(2);
      await assert.rejects(first, (e) => e === "gone");
      assert.deepEqual(await second, { done: false, value: 2 }, "no value lost to a dead waiter");
    },
  );

  await t.step("after the grant: the receiver keeps the value, nobody else gets it", async () => {
    const oneshot = new Oneshot<number>();
    const controller = new AbortController();
    const first = oneshot.receive({ signal: controller.signal });
    const second = oneshot.receive();
    oneshot.send(3);
    controller.abort(new Error("too late"));
    assert.deepEqual(await first, { done: false, value: 3 });
    assert.deepEqual(await second, DONE);
  });
});

Deno.test("Oneshot: select cases", async (t) => {
  await t.step("a case takes a value that is there; later cases see done", async () => {
    const oneshot = new Oneshot<string>();
    oneshot.send("v");
    assert.deepEqual(await select({ r: oneshot.receiveCase() }), {
      key: "r",
      value: { done: false, value: "v" },
    });
    assert.deepEqual(await select({ r: oneshot.receiveCase() }), { key: "r", value: DONE });
  });

  await t.step("a losing case takes nothing", async () => {
    const oneshot = new Oneshot<string>();
    const stop = new ManualResetEvent();
    const selecting = select({ reply: oneshot.receiveCase(), stop: stop.waitCase() });
    stop.set();
    assert.equal((await selecting).key, "stop");
    assert.equal(oneshot.waiting, 0);
    oneshot.send("late");
    assert.deepEqual(oneshot.tryReceive(), { ok: true, value: "late" });
  });

  await t.step("two cases of one select on the same oneshot: one gets the value", async () => {
    const oneshot = new Oneshot<number>();
    const selecting = select({ a: oneshot.receiveCase(), b: oneshot.receiveCase() });
    const plain = oneshot.receive();
    assert.equal(oneshot.waiting, 3);
    oneshot.send(4);
    assert.equal(oneshot.waiting, 0);
    assert.deepEqual(await selecting, { key: "a", value: { done: false, value: 4 } });
    assert.deepEqual(await plain, DONE);
  });

  await t.step("close with a reason fails a waiting select; a later one at once", async () => {
    const oneshot = new Oneshot<number>();
    const reason = new Error("closed");
    const selecting = select({ r: oneshot.receiveCase() });
    oneshot.close(reason);
    await assert.rejects(selecting, (e) => e === reason);
    await assert.rejects(select({ r: oneshot.receiveCase() }), (e) => e === reason);
  });
});

Deno.test("Oneshot: bad input throws at the call site", () => {
  const oneshot = new Oneshot<number>();
  type Options = { signal: AbortSignal };
  const cases: [string, () => unknown, string][] = [
    [
      "a bare signal as options",
      () => oneshot.receive(new AbortController().signal as unknown as Options),
      'Oneshot.receive(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "options not an object",
      () => oneshot.receive("fast" as unknown as Options),
      'Oneshot.receive(): "options" must be an object, got a string ("fast")',
    ],
    [
      "an unknown option",
      () => oneshot.receive({ timeout: 5 } as unknown as Options),
      'Oneshot.receive(): unknown option "timeout"; accepted: signal',
    ],
    [
      "a signal that is not an AbortSignal",
      () => oneshot.receive({ signal: "abort" as unknown as AbortSignal }),
      'Oneshot.receive(): "options.signal" must be an AbortSignal, got a string ("abort")',
    ],
  ];
  for (const [what, call, message] of cases) {
    assert.throws(call, (e: unknown) => e instanceof TypeError && e.message === message, what);
  }
  assert.equal(oneshot.waiting, 0, "nothing was queued by a bad call");
});

Deno.test("Oneshot: 2,000 clients each await their own reply from a server task", async () => {
  // Each request carries its own reply slot; the server answers out of order,
  // drops some (closing the slot with a reason), and a client that gives up
  // aborts its receive. Every client ends with exactly one outcome.
  const requests: { n: number; reply: Oneshot<number> }[] = [];
  const n = 2_000;
  const giveUp = new AbortController();
  const clients = Array.from({ length: n }, async (_, n) => {
    const reply = new Oneshot<number>();
    requests.push({ n, reply });
    const signal = n % 7 === 0 ? giveUp.signal : undefined;
    try {
      const { done, value } = await reply.receive({ signal });
      return done ? "done" : value === n * n ? "ok" : "wrong";
    } catch (error) {
      return (error as Error).message;
    }
  });
  giveUp.abort(new Error("gave up"));
  // Serve from the newest; every fifth request fails.
  for (const { n, reply } of requests.reverse()) {
    if (n % 5 === 0) reply.close(new Error("failed"));
    else if (reply.waiting === 0) assert.equal(reply.close(), true); // its client gave up
    else reply.send(n * n);
    await Promise.resolve();
  }
  const outcomes = await Promise.all(clients);
  for (let i = 0; i < n; i++) {
    const expected = i % 7 === 0 ? "gave up" : i % 5 === 0 ? "failed" : "ok";
    assert.equal(outcomes[i], expected, `client ${i}`);
  }
});
