// Copyright 2026 the desync authors. MIT license.
// Channel: the futures-intrusive MPMC checklist (tests/mpmc_channel.rs, buffer
// size 3, every generic test on a buffered and a rendezvous channel), waker
// counts turned into promise states and order; the pitfalls (close and abort
// while waiting, abort after the grant, select cases that lose); bad input;
// Infinity capacity; several producers and consumers over 50,000 items.
// Iterators, streams, Channel.from and pipeIn are in
// primitives_channel_streams_test.ts.

import assert from "node:assert/strict";
import { ClosedError } from "../mod.ts";
import { Channel, ChannelClosedError, select } from "../primitives.ts";
import { flushMicrotasks } from "./_helpers.ts";

type State = "pending" | { value: unknown } | { error: unknown };

/** How the promise stands once the pending microtasks ran. */
async function state(promise: Promise<unknown>): Promise<State> {
  let result: State = "pending";
  promise.then((value) => (result = { value }), (error) => (result = { error }));
  await flushMicrotasks();
  return result;
}

async function states(promises: Promise<unknown>[]): Promise<State[]> {
  return await Promise.all(promises.map(state));
}

const value = (v: unknown): IteratorResult<unknown, undefined> => ({ done: false, value: v });
const END = { done: true, value: undefined } as const;
const ok = (v: unknown) => ({ value: value(v) });
const sent = { value: undefined };

/** The error a promise rejected with (fails if it did not). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const result = await state(promise);
  assert.ok(typeof result === "object" && "error" in result, `expected a rejection, got ${result}`);
  return result.error;
}

/** A full buffered channel (capacity 3, values 1, 2, 3) or an empty rendezvous one. */
function setup(kind: "buffered" | "rendezvous"): Channel<number> {
  const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
  if (kind === "buffered") { for (const n of [1, 2, 3]) assert.ok(channel.trySend(n)); }
  return channel;
}

const KINDS = ["buffered", "rendezvous"] as const;

Deno.test("Channel: the futures-intrusive MPMC checklist", async (t) => {
  // FI send_on_closed_channel
  await t.step("send on a closed channel rejects with the value", async () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
      assert.equal(channel.close(), true);
      const error = await rejection(channel.send(5));
      assert.ok(error instanceof ChannelClosedError);
      assert.ok(error instanceof ClosedError, "a ClosedError, as a closed Desync's");
      assert.equal(error.value, 5);
      assert.equal(error.cause, undefined);
      assert.equal(error.message, "Channel.send(): the channel is closed");
    }
  });

  // FI unbuffered_try_receive
  await t.step(
    "tryReceive takes a waiting rendezvous sender's value and completes it",
    async () => {
      const channel = new Channel<number>(0);
      const sending = channel.send(5);
      assert.equal(await state(sending), "pending");
      assert.deepEqual(channel.tryReceive(), { ok: true, value: 5 });
      assert.deepEqual(await state(sending), sent);
      assert.equal(channel.waitingSenders, 0);
    },
  );

  // FI try_send_recv_smoke_test (and its shared variant)
  await t.step("trySend fills the buffer, tryReceive empties it in order", () => {
    const channel = new Channel<number>(3);
    assert.deepEqual([1, 2, 3, 4].map((n) => channel.trySend(n)), [true, true, true, false]);
    assert.equal(channel.size, 3);
    const taken = [1, 2, 3, 4].map(() => channel.tryReceive());
    assert.deepEqual(taken, [
      { ok: true, value: 1 },
      { ok: true, value: 2 },
      { ok: true, value: 3 },
      { ok: false, closed: false },
    ]);
  });

  // FI close_state
  await t.step("close tells whether this call closed it", () => {
    for (const kind of KINDS) {
      const channel = setup(kind);
      assert.equal(channel.closed, false);
      assert.deepEqual([channel.close(), channel.close(), channel.close(), channel.close()], [
        true,
        false,
        false,
        false,
      ]);
      assert.equal(channel.closed, true);
    }
  });

  // FI try_send_full_channel (and shared)
  await t.step("trySend on a full channel returns false and keeps nothing", () => {
    const channel = setup("buffered");
    assert.equal(channel.trySend(4), false);
    assert.equal(channel.size, 3);
    assert.equal(channel.waitingSenders, 0, "a try never queues");
  });

  // FI try_send_on_closed_channel (and shared, closed by the receiving side)
  await t.step("trySend on a closed channel throws with the value", () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
      channel.close("gone");
      assert.throws(() => channel.trySend(5), (error: unknown) => {
        assert.ok(error instanceof ChannelClosedError);
        assert.equal(error.value, 5);
        assert.equal(error.cause, "gone");
        assert.equal(error.message, "Channel.trySend(): the channel is closed");
        return true;
      });
    }
  });

  // FI try_receive_empty_channel (and shared)
  await t.step("tryReceive on an empty channel reports empty, not closed", () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
      assert.deepEqual(channel.tryReceive(), { ok: false, closed: false });
      assert.equal(channel.waitingReceivers, 0, "a try never queues");
    }
  });

  // FI try_recv_on_closed_channel (and shared)
  await t.step("tryReceive still takes a buffered value after close, then reports closed", () => {
    const channel = new Channel<number>(3);
    channel.trySend(1);
    channel.close();
    assert.deepEqual(channel.tryReceive(), { ok: true, value: 1 });
    assert.deepEqual(channel.tryReceive(), { ok: false, closed: true });
    assert.deepEqual(channel.tryReceive(), { ok: false, closed: true });
  });

  // FI try_send_unbuffered_panics -- adapted: the crate forbids try_send on a
  // rendezvous channel; here it hands the value to a waiting receiver, and
  // returns false when there is none.
  await t.step(
    "trySend on a rendezvous channel succeeds only with a waiting receiver",
    async () => {
      const channel = new Channel<number>(0);
      assert.equal(channel.trySend(1), false);
      assert.equal(channel.size, 0);
      const receiving = channel.receive();
      assert.equal(channel.trySend(2), true);
      assert.equal(channel.trySend(3), false, "the receiver was served");
      assert.deepEqual(await receiving, value(2));
    },
  );

  // FI buffered_close_unblocks_send, unbuffered_close_unblocks_send
  await t.step("close fails the waiting sends, each carrying its value", async () => {
    for (const kind of KINDS) {
      const channel = setup(kind);
      const sends = [channel.send(8), channel.send(9)];
      assert.deepEqual(await states(sends), ["pending", "pending"]);
      assert.equal(channel.waitingSenders, 2);
      const reason = new Error("stop");
      channel.close(reason);
      assert.equal(channel.waitingSenders, 0);
      const errors = await Promise.all(sends.map(rejection));
      assert.deepEqual(errors.map((e) => (e as ChannelClosedError).value), [8, 9]);
      for (const error of errors) {
        assert.ok(error instanceof ChannelClosedError);
        assert.equal(error.cause, reason);
        assert.equal(error.message, "Channel.send(): the channel was closed while the send waited");
      }
      // The values accepted before the close are still received.
      const rest = kind === "buffered" ? [1, 2, 3] : [];
      for (const n of rest) assert.deepEqual(await channel.receive(), value(n));
      await assert.rejects(channel.receive(), (error) => error === reason);
    }
  });

  // FI close_unblocks_receive
  await t.step("close ends the waiting receives", async () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
      const receives = [channel.receive(), channel.receive()];
      assert.deepEqual(await states(receives), ["pending", "pending"]);
      channel.close();
      assert.equal(channel.waitingReceivers, 0);
      assert.deepEqual(await states(receives), [{ value: END }, { value: END }]);
    }
  });

  await t.step("close with a reason fails the waiting receives with it", async () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
      const receives = [channel.receive(), channel.receive()];
      const reason = new Error("broken");
      channel.close(reason);
      assert.deepEqual(await states(receives), [{ error: reason }, { error: reason }]);
      assert.throws(() => channel.tryReceive(), (error) => error === reason);
    }
  });

  // FI receive_after_send
  await t.step("values are received in order, also after close, then the end", async () => {
    const channel = new Channel<number>(3);
    await channel.send(1);
    await channel.send(2);
    assert.deepEqual(await channel.receive(), value(1));
    assert.deepEqual(await channel.receive(), value(2));
    await channel.send(5);
    await channel.send(6);
    await channel.send(7);
    channel.close();
    for (const n of [5, 6, 7]) assert.deepEqual(await channel.receive(), value(n));
    assert.deepEqual(await channel.receive(), END);
    assert.deepEqual(await channel.receive(), END, "and stays at the end");
  });

  // FI buffered_send_unblocks_receive
  await t.step("each send completes exactly one waiting receive, oldest first", async () => {
    const channel = new Channel<number>(3);
    const first = channel.receive();
    const second = channel.receive();
    assert.deepEqual(await states([first, second]), ["pending", "pending"]);
    assert.deepEqual(await state(channel.send(99)), sent);
    assert.deepEqual(await states([first, second]), [ok(99), "pending"]);
    assert.equal(channel.size, 0, "handed over, not buffered");
    await channel.send(111);
    assert.deepEqual(await state(second), ok(111));
  });

  // FI unbuffered_send_unblocks_receive
  await t.step("rendezvous: each send completes at once with a waiting receiver", async () => {
    const channel = new Channel<number>(0);
    const first = channel.receive();
    const second = channel.receive();
    const send1 = channel.send(99);
    assert.deepEqual(await states([first, second, send1]), [ok(99), "pending", sent]);
    const send2 = channel.send(111);
    assert.deepEqual(await states([second, send2]), [ok(111), sent]);
    const send3 = channel.send(3);
    assert.equal(await state(send3), "pending", "no receiver left: the send waits");
    assert.deepEqual(await channel.receive(), value(3));
    assert.deepEqual(await state(send3), sent);
  });

  // FI buffered_receive_unblocks_send
  await t.step("each receive moves the oldest waiting send in and completes it", async () => {
    const channel = setup("buffered");
    const send4 = channel.send(4);
    const send5 = channel.send(5);
    assert.deepEqual(await states([send4, send5]), ["pending", "pending"]);
    assert.deepEqual(await channel.receive(), value(1));
    assert.deepEqual(await states([send4, send5]), [sent, "pending"]);
    assert.equal(channel.size, 3, "4 moved into the room made");
    assert.deepEqual(await channel.receive(), value(2));
    assert.deepEqual(await state(send5), sent);
    const rest = [await channel.receive(), await channel.receive(), await channel.receive()];
    assert.deepEqual(rest, [value(3), value(4), value(5)]);
  });

  // FI unbuffered_receive_unblocks_send
  await t.step("rendezvous: each receive takes the oldest waiting send's value", async () => {
    const channel = new Channel<number>(0);
    const sends = [channel.send(1), channel.send(2)];
    assert.deepEqual(await channel.receive(), value(1));
    assert.deepEqual(await states(sends), [sent, "pending"]);
    assert.deepEqual(await channel.receive(), value(2));
    assert.deepEqual(await states(sends), [sent, sent]);
  });

  // FI cancel_send_mid_wait (and the shared variant with cancel(): an abort here)
  await t.step("aborted waiting sends never arrive; the others complete in order", async () => {
    for (const kind of KINDS) {
      const channel = setup(kind);
      const controllers = [1, 2, 3, 4, 5].map(() => new AbortController());
      const sends = controllers.map((c, i) => channel.send(10 + i, { signal: c.signal }));
      controllers[1].abort(new Error("#2"));
      controllers[3].abort(new Error("#4"));
      assert.equal(channel.waitingSenders, 3);
      const outcome = await states(sends);
      assert.deepEqual(outcome.map((s) => (s === "pending" ? s : "error" in s)), [
        "pending",
        true,
        "pending",
        true,
        "pending",
      ]);
      const received: number[] = [];
      while (received.length < (kind === "buffered" ? 6 : 3)) {
        received.push((await channel.receive()).value!);
      }
      const expected = kind === "buffered" ? [1, 2, 3, 10, 12, 14] : [10, 12, 14];
      assert.deepEqual(received, expected);
      assert.deepEqual(await states([sends[0], sends[2], sends[4]]), [sent, sent, sent]);
    }
  });

  // FI cancel_send_end_wait (and shared)
  await t.step(
    "values moved in before close are received; the last waiting send fails",
    async () => {
      const channel = setup("buffered");
      const dropped = new AbortController();
      const sends = [
        channel.send(4),
        channel.send(99, { signal: dropped.signal }),
        channel.send(5),
      ];
      const last = channel.send(6);
      dropped.abort();
      assert.equal(await rejection(sends[1]), dropped.signal.reason);
      assert.deepEqual(await channel.receive(), value(1)); // 4 moves in
      assert.deepEqual(await channel.receive(), value(2)); // 5 moves in
      assert.deepEqual(await states([sends[0], sends[2], last]), [sent, sent, "pending"]);
      channel.close();
      const error = await rejection(last);
      assert.ok(error instanceof ChannelClosedError);
      assert.equal(error.value, 6);
      const rest: unknown[] = [];
      for (let r = await channel.receive(); !r.done; r = await channel.receive()) {
        rest.push(
          r.value,
        );
      }
      assert.deepEqual(rest, [3, 4, 5], "99 never appears");
    },
  );

  // FI cancel_receive_mid_wait
  await t.step(
    "aborted waiting receives take nothing; the others get values in order",
    async () => {
      for (const kind of KINDS) {
        const channel = new Channel<number>(kind === "buffered" ? 3 : 0);
        const controllers = [1, 2, 3, 4, 5].map(() => new AbortController());
        const receives = controllers.map((c) => channel.receive({ signal: c.signal }));
        controllers[1].abort("#2");
        controllers[3].abort("#4");
        assert.equal(channel.waitingReceivers, 3);
        for (const n of [1, 2, 3]) assert.ok(channel.trySend(n));
        assert.deepEqual(await states(receives), [
          ok(1),
          { error: "#2" },
          ok(2),
          { error: "#4" },
          ok(3),
        ]);
      }
    },
  );

  // FI cancel_receive_end_wait
  await t.step("values go to the remaining receivers in the order they came", async () => {
    const channel = new Channel<number>(3);
    const controllers = [1, 2, 3, 4].map(() => new AbortController());
    const receives = controllers.map((c) => channel.receive({ signal: c.signal }));
    controllers[3].abort("last");
    controllers[0].abort("first");
    await channel.send(1);
    await channel.send(2);
    assert.deepEqual(await states(receives), [
      { error: "first" },
      ok(1),
      ok(2),
      { error: "last" },
    ]);
  });

  // FI drops_unread_elements -- adapted: JS has no destructors; what remains
  // is "each value is delivered exactly once": values moved through (from a
  // waiting sender into the buffer) are not delivered twice, and values left
  // unread are dropped with the channel (nothing else holds them).
  await t.step("a value moved through the buffer is delivered exactly once", async () => {
    const channel = setup("buffered");
    const waiting = [channel.send(4), channel.send(5)];
    const seen: number[] = [];
    seen.push((await channel.receive()).value!);
    channel.close();
    await Promise.allSettled(waiting);
    for (let r = channel.tryReceive(); r.ok; r = channel.tryReceive()) seen.push(r.value);
    assert.deepEqual(seen, [1, 2, 3, 4], "4 moved in once; 5 failed");
    assert.equal(channel.size, 0);
  });

  // FI poll_from_multiple_executors_on_receive / _on_send -- dropped: there
  // are no wakers to replace; a promise settles once for all its awaiters.

  // FI buffered_starved_recv_does_not_deadlock -- adapted: with direct
  // hand-off a receiver is never "notified but not polled"; a receive that
  // was granted but whose continuation has not run yet already owns its value,
  // and later receivers take the later values.
  await t.step("granted receives that did not run yet block nobody", async () => {
    const channel = new Channel<number>(3);
    const starved = [channel.receive(), channel.receive()];
    channel.trySend(1);
    channel.trySend(2); // both granted synchronously; their continuations have not run
    channel.trySend(3);
    assert.deepEqual(channel.tryReceive(), { ok: true, value: 3 }, "a new receiver is served");
    const late = channel.receive();
    await channel.send(4);
    assert.deepEqual(await states([...starved, late]), [ok(1), ok(2), ok(4)]);
  });

  // FI unbuffered_starved_send_does_not_deadlock
  await t.step("waiting rendezvous sends are received in order by fresh receivers", async () => {
    const channel = new Channel<number>(0);
    const sends = [channel.send(1), channel.send(2), channel.send(3)];
    const received = [await channel.receive(), await channel.receive(), await channel.receive()];
    assert.deepEqual(received, [value(1), value(2), value(3)]);
    assert.deepEqual(await states(sends), [sent, sent, sent]);
  });

  // FI shared_channel_can_be_used_in_trait -- adapted: a channel is an
  // ordinary object; a producer task and a consumer task share it.
  await t.step("a producer and a consumer task: sum 2 + 7, then the end", async () => {
    const channel = new Channel<number>(0);
    const producer = (async () => {
      await channel.send(2);
      await channel.send(7);
      channel.close();
    })();
    let sum = 0;
    for (let r = await channel.receive(); !r.done; r = await channel.receive()) sum += r.value;
    await producer;
    assert.equal(sum, 9);
  });

  // FI dropping_shared_channel_receivers_but_not_senders_drops_content --
  // adapted: no receiver handles to drop; the receiving side closes the
  // channel and discards what is buffered by draining it.
  await t.step("the receiving side closes and discards the buffer", () => {
    const channel = setup("buffered");
    channel.close();
    let discarded = 0;
    while (channel.tryReceive().ok) discarded++;
    assert.equal(discarded, 3);
    assert.equal(channel.size, 0);
    assert.throws(() => channel.trySend(4), ChannelClosedError, "the sender sees the close");
  });

  // FI dropping_shared_channel_senders_closes_channel -- adapted: "the last
  // sender is dropped" is the last producer calling close(); a producer that
  // finishes earlier leaves the channel open (writable({ preventClose }) in
  // the streams tests).
  await t.step("the last producer's close ends the waiting receives", async () => {
    const channel = new Channel<number>(3);
    const receives = [channel.receive(), channel.receive()];
    assert.deepEqual(await states(receives), ["pending", "pending"]);
    channel.close();
    assert.deepEqual(await states(receives), [{ value: END }, { value: END }]);
  });

  // FI dropping_shared_channel_receivers_closes_channel -- adapted: the
  // receiving side closes; waiting sends fail returning their values.
  await t.step(
    "a close from the receiving side fails the waiting sends with their values",
    async () => {
      const channel = setup("buffered");
      const sends = [channel.send(27), channel.send(49)];
      assert.deepEqual(await states(sends), ["pending", "pending"]);
      channel.close();
      const errors = await Promise.all(sends.map(rejection));
      assert.deepEqual(errors.map((e) => (e as ChannelClosedError).value), [27, 49]);
    },
  );
});

Deno.test("Channel: aborts", async (t) => {
  await t.step("an already aborted signal rejects at once and queues nothing", async () => {
    const channel = new Channel<number>(1);
    const signal = AbortSignal.abort(new Error("early"));
    await assert.rejects(channel.send(1, { signal }), { message: "early" });
    assert.equal(channel.size, 0, "not even a send that had room");
    channel.trySend(2);
    await assert.rejects(channel.receive({ signal }), { message: "early" });
    assert.equal(channel.size, 1, "not even a receive that had a value");
  });

  await t.step("an abort after the grant changes nothing", async () => {
    for (const kind of KINDS) {
      const channel = new Channel<number>(kind === "buffered" ? 1 : 0);
      const receiver = new AbortController();
      const receiving = channel.receive({ signal: receiver.signal });
      channel.trySend(5);
      receiver.abort();
      assert.deepEqual(await receiving, value(5));

      if (kind === "buffered") channel.trySend(0);
      const sender = new AbortController();
      const sending = channel.send(6, { signal: sender.signal });
      assert.deepEqual(channel.tryReceive(), { ok: true, value: kind === "buffered" ? 0 : 6 });
      sender.abort();
      assert.equal(await sending, undefined);
      if (kind === "buffered") assert.deepEqual(channel.tryReceive(), { ok: true, value: 6 });
      assert.equal(channel.size, 0);
    }
  });

  await t.step("an aborted rendezvous send's value is never delivered", async () => {
    const channel = new Channel<string>(0);
    const controller = new AbortController();
    const sending = channel.send("withdrawn", { signal: controller.signal });
    controller.abort(new Error("changed my mind"));
    await assert.rejects(sending, { message: "changed my mind" });
    assert.equal(channel.waitingSenders, 0);
    assert.deepEqual(channel.tryReceive(), { ok: false, closed: false });
  });
});

Deno.test("Channel: many waiters under one signal", async () => {
  const channel = new Channel<number>(0);
  const controller = new AbortController();
  const signal = controller.signal;
  const receives = Array.from({ length: 10_000 }, () => channel.receive({ signal }));
  const sends = Array.from(
    { length: 10_000 },
    (_, i) => new Channel<number>(0).send(i, { signal }),
  );
  assert.equal(channel.waitingReceivers, 10_000);
  // Handled before they reject (Deno's tracking of unhandled rejections is quadratic).
  const settled = Promise.allSettled([...receives, ...sends]);
  controller.abort("all");
  assert.equal(channel.waitingReceivers, 0);
  const outcomes = await settled;
  assert.ok(outcomes.every((o) => o.status === "rejected" && o.reason === "all"));
  assert.equal(channel.trySend(1), false, "no receiver is left to take it");
});

Deno.test("Channel: select cases", async (t) => {
  await t.step("a receive case that loses takes nothing", async () => {
    const a = new Channel<number>(1);
    const b = new Channel<number>(1);
    const choosing = select({ a: a.receiveCase(), b: b.receiveCase() });
    assert.equal(a.waitingReceivers, 1);
    await b.send(2);
    assert.deepEqual(await choosing, { key: "b", value: value(2) });
    assert.equal(a.waitingReceivers, 0);
    await a.send(1);
    assert.deepEqual(a.tryReceive(), { ok: true, value: 1 }, "a's value is still there");
  });

  await t.step("a send case that loses sends nothing", async () => {
    const a = new Channel<string>(0);
    const b = new Channel<string>(0);
    const choosing = select({ a: a.sendCase("to a"), b: b.sendCase("to b") });
    assert.equal(a.waitingSenders, 1);
    assert.deepEqual(await b.receive(), value("to b"));
    assert.deepEqual(await choosing, { key: "b", value: undefined });
    assert.equal(a.waitingSenders, 0);
    assert.deepEqual(a.tryReceive(), { ok: false, closed: false });
  });

  await t.step(
    "two send cases on one full channel: the first moved in unlinks the other",
    async () => {
      const channel = new Channel<number>(1);
      channel.trySend(0);
      const choosing = select({ one: channel.sendCase(1), two: channel.sendCase(2) });
      const third = channel.send(3);
      assert.equal(channel.waitingSenders, 3);
      assert.deepEqual(await channel.receive(), value(0)); // moves 1 in, decides the select
      assert.equal(channel.waitingSenders, 1, "two left with its select");
      assert.deepEqual(await choosing, { key: "one", value: undefined });
      assert.deepEqual(await channel.receive(), value(1)); // moves 3 in
      assert.deepEqual(await channel.receive(), value(3));
      await third;
      assert.equal(channel.size, 0, "2 was never sent");
    },
  );

  await t.step("a select does not meet itself on a rendezvous channel", async () => {
    const channel = new Channel<string>(0);
    const choosing = select({ get: channel.receiveCase(), put: channel.sendCase("mine") });
    assert.equal(await state(choosing), "pending");
    assert.equal(channel.waitingReceivers, 1);
    assert.equal(channel.waitingSenders, 1);
    // Another party decides it: a plain receive takes the send case's value.
    assert.deepEqual(await channel.receive(), value("mine"));
    assert.deepEqual(await choosing, { key: "put", value: undefined });
    assert.equal(channel.waitingReceivers, 0, "the receive case left with it");

    const again = select({ get: channel.receiveCase(), put: channel.sendCase("mine") });
    assert.equal(channel.trySend("yours"), true);
    assert.deepEqual(await again, { key: "get", value: value("yours") });
    assert.equal(channel.waitingSenders, 0, "the send case left with it");
  });

  await t.step("a case can be reused for several selects", async () => {
    const channel = new Channel<number>(2);
    const receiving = channel.receiveCase();
    channel.trySend(1);
    channel.trySend(2);
    assert.deepEqual(await select({ r: receiving }), { key: "r", value: value(1) });
    assert.deepEqual(await select({ r: receiving }), { key: "r", value: value(2) });
    const sending = channel.sendCase(3);
    await select({ s: sending });
    await select({ s: sending });
    assert.deepEqual([channel.tryReceive(), channel.tryReceive()], [
      { ok: true, value: 3 },
      { ok: true, value: 3 },
    ]);
  });

  await t.step("a send case on a closed channel fails the select with the value", async () => {
    const channel = new Channel<number>(1);
    channel.close("shut");
    const error = await rejection(select({ put: channel.sendCase(7) }));
    assert.ok(error instanceof ChannelClosedError);
    assert.equal(error.value, 7);
    assert.equal(error.cause, "shut");
    assert.equal(error.message, "Channel.sendCase(): the channel is closed");
  });

  await t.step("a close while a send case waits fails the select; other cases leave", async () => {
    const channel = new Channel<number>(0);
    const other = new Channel<number>(0);
    const choosing = select({ put: channel.sendCase(7), get: other.receiveCase() });
    channel.close();
    const error = await rejection(choosing);
    assert.ok(error instanceof ChannelClosedError);
    assert.equal(error.value, 7);
    assert.equal(other.waitingReceivers, 0);
  });

  await t.step(
    "a receive case on a closed channel completes with the end or its reason",
    async () => {
      const ended = new Channel<number>(1);
      const waiting = select({ get: ended.receiveCase() });
      ended.close();
      assert.deepEqual(await waiting, { key: "get", value: END });
      assert.deepEqual(await select({ get: ended.receiveCase() }), { key: "get", value: END });
      const failed = new Channel<number>(1);
      failed.close("why");
      assert.equal(await rejection(select({ get: failed.receiveCase() })), "why");
    },
  );

  await t.step("an aborted select leaves the channel's queues untouched", async () => {
    const channel = new Channel<number>(0);
    const controller = new AbortController();
    const choosing = select({ get: channel.receiveCase(), put: channel.sendCase(1) }, {
      signal: controller.signal,
    });
    controller.abort("timeout");
    assert.equal(await rejection(choosing), "timeout");
    assert.equal(channel.waitingReceivers + channel.waitingSenders, 0);
  });
});

Deno.test("Channel: Infinity capacity never makes a send wait", async () => {
  const channel = new Channel<number>(Infinity);
  assert.equal(channel.capacity, Infinity);
  for (let i = 0; i < 100_000; i++) assert.ok(channel.trySend(i));
  assert.deepEqual(await state(channel.send(100_000)), sent);
  assert.equal(channel.size, 100_001);
  assert.equal(channel.waitingSenders, 0);
  for (let i = 0; i <= 100_000; i++) {
    const r = channel.tryReceive();
    if (!r.ok || r.value !== i) assert.fail(`item ${i}: ${JSON.stringify(r)}`);
  }
  channel.close();
  assert.deepEqual(await channel.receive(), END);
});

Deno.test("Channel: close details", async (t) => {
  await t.step("a reason that is not undefined errors the receivers; null counts", async () => {
    const channel = new Channel<number>(1);
    channel.close(null);
    await assert.rejects(channel.receive(), (error) => error === null);
  });

  await t.step("the reason of the first close stays", async () => {
    const channel = new Channel<number>(0);
    channel.close("first");
    channel.close("second");
    assert.equal(await rejection(channel.receive()), "first");
  });

  await t.step("using closes the channel at the end of the scope", async () => {
    let outer: Channel<number>;
    let receiving: Promise<unknown>;
    {
      using channel = new Channel<number>(0);
      outer = channel;
      receiving = channel.receive();
    }
    assert.equal(outer.closed, true);
    assert.deepEqual(await receiving, END);
  });

  await t.step(
    "a rendezvous receive waiting at close ends; a closed receive never waits",
    async () => {
      const channel = new Channel<number>(0);
      const receiving = channel.receive();
      channel.close();
      assert.deepEqual(await state(receiving), { value: END });
      assert.deepEqual(await state(channel.receive()), { value: END });
      assert.equal(channel.waitingReceivers, 0);
    },
  );
});

Deno.test("Channel: bad input throws at the call site", async (t) => {
  const channel = new Channel<number>(1);
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      "no capacity",
      () => new (Channel as unknown as new () => unknown)(),
      TypeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got undefined',
    ],
    [
      "a string capacity",
      () => new Channel("4" as unknown as number),
      TypeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got a string ("4")',
    ],
    [
      "a negative capacity",
      () => new Channel(-1),
      RangeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number -1',
    ],
    [
      "a fractional capacity",
      () => new Channel(1.5),
      RangeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number 1.5',
    ],
    [
      "NaN",
      () => new Channel(NaN),
      RangeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number NaN',
    ],
    [
      "an unsafe integer",
      () => new Channel(2 ** 53),
      RangeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number 9007199254740992',
    ],
    [
      "-Infinity",
      () => new Channel(-Infinity),
      RangeError,
      'new Channel(): "capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number -Infinity',
    ],
    [
      "a signal in place of the options of send",
      () => channel.send(1, new AbortController().signal as never),
      TypeError,
      'Channel.send(): "options" is an AbortSignal; pass it as { signal } instead',
    ],
    [
      "an unknown option of receive",
      () => channel.receive({ sginal: undefined } as never),
      TypeError,
      'Channel.receive(): unknown option "sginal" (did you mean "signal"?); accepted: signal',
    ],
    [
      "a signal that is not one",
      () => channel.receive({ signal: "stop" as never }),
      TypeError,
      'Channel.receive(): "options.signal" must be an AbortSignal, got a string ("stop")',
    ],
    [
      "options that are not an object",
      () => channel.send(1, 5 as never),
      TypeError,
      'Channel.send(): "options" must be an object, got number 5',
    ],
    [
      "writable options",
      () => channel.writable({ preventClose: "yes" as never }),
      TypeError,
      'Channel.writable(): "options.preventClose" must be a boolean, got a string ("yes")',
    ],
    [
      "an unknown writable option",
      () => channel.writable({ highWaterMark: 4 } as never),
      TypeError,
      'Channel.writable(): unknown option "highWaterMark"; accepted: preventClose',
    ],
    [
      "Channel.from without options",
      () => Channel.from([1], undefined as never),
      TypeError,
      'Channel.from(): "options.capacity" must be a non-negative integer, or Infinity for an unbounded channel, got undefined',
    ],
    [
      "Channel.from with a bad capacity",
      () => Channel.from([1], { capacity: -2 }),
      RangeError,
      'Channel.from(): "options.capacity" must be a non-negative integer, or Infinity for an unbounded channel, got number -2',
    ],
    [
      "Channel.from with an unknown option",
      () => Channel.from([1], { capacity: 1, capactiy: 2 } as never),
      TypeError,
      'Channel.from(): unknown option "capactiy" (did you mean "capacity"?); accepted: capacity, signal',
    ],
    [
      "Channel.from with a bad signal",
      () => Channel.from([1], { capacity: 1, signal: {} as never }),
      TypeError,
      'Channel.from(): "options.signal" must be an AbortSignal, got an object',
    ],
    [
      "Channel.from of a number",
      () => Channel.from(5 as never, { capacity: 1 }),
      TypeError,
      'Channel.from(): "source" must be a ReadableStream, an async iterable or an iterable, got number 5',
    ],
    [
      "Channel.from of null",
      () => Channel.from(null as never, { capacity: 1 }),
      TypeError,
      'Channel.from(): "source" must be a ReadableStream, an async iterable or an iterable, got null',
    ],
  ];
  for (const [what, call, type, message] of cases) {
    await t.step(what, () => {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof type, `${what}: ${error}`);
        assert.equal((error as Error).message, message);
        return true;
      });
    });
  }

  await t.step("a locked stream", () => {
    const stream = new ReadableStream();
    const reader = stream.getReader();
    assert.throws(() => Channel.from(stream, { capacity: 1 }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Channel\.from\(\): "source" cannot be read: /);
      return true;
    });
    reader.releaseLock();
  });

  await t.step("bad input changes nothing", () => {
    assert.equal(channel.size, 0);
    assert.equal(channel.waitingSenders + channel.waitingReceivers, 0);
    assert.equal(channel.closed, false);
  });
});

Deno.test("Channel: several producers and consumers, 50,000 items, each once and in order", async () => {
  for (const capacity of [0, 1, 16, Infinity]) {
    const producers = 4;
    const perProducer = capacity === 16 ? 12_500 : 2_500;
    const channel = new Channel<{ p: number; i: number }>(capacity);
    const producing = Array.from({ length: producers }, async (_, p) => {
      for (let i = 0; i < perProducer; i++) {
        // Mix waiting sends and tries, as real producers do.
        if (i % 3 !== 0 || !channel.trySend({ p, i })) await channel.send({ p, i });
      }
    });
    const logs: { p: number; i: number }[][] = [];
    const consume = async (style: number) => {
      const log: { p: number; i: number }[] = [];
      logs.push(log);
      if (style === 0) {
        for await (const item of channel) log.push(item);
      } else if (style === 1) {
        for (let r = await channel.receive(); !r.done; r = await channel.receive()) {
          log.push(r.value);
        }
      } else {
        const reader = channel.readable().getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) log.push(r.value);
      }
    };
    const consuming = [0, 1, 2].map(consume);
    await Promise.all(producing);
    channel.close();
    await Promise.all(consuming);

    const seen = new Set<string>();
    for (const log of logs) {
      const last = new Array(producers).fill(-1);
      for (const { p, i } of log) {
        if (i <= last[p]) assert.fail(`capacity ${capacity}: ${p}/${i} after ${p}/${last[p]}`);
        last[p] = i;
        const key = `${p}/${i}`;
        if (seen.has(key)) assert.fail(`capacity ${capacity}: ${key} received twice`);
        seen.add(key);
      }
    }
    assert.equal(seen.size, producers * perProducer, `capacity ${capacity}: every item arrived`);
    assert.ok(logs.every((log) => log.length > 0), `capacity ${capacity}: every consumer got work`);
  }
});
