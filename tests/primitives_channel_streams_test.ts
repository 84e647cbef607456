// Copyright 2026 the desync authors. MIT license.
// Channel's other shapes: async iteration, readable() and writable(),
// Channel.from, and a Desync consuming a channel through pipeIn. The
// futures-intrusive stream tests (tests/mpmc_channel.rs) are ported here;
// the rest of the MPMC checklist is in primitives_channel_test.ts.

import assert from "node:assert/strict";
import { Desync } from "../mod.ts";
import { pipeIn } from "../pipe.ts";
import { Channel, ChannelClosedError } from "../primitives.ts";
import { deferred, flushMicrotasks, streamFrom, withTimeout } from "./_helpers.ts";
import { counter } from "./_streams.ts";

type State = "pending" | { value: unknown } | { error: unknown };

/** How the promise stands once the pending microtasks ran. */
async function state(promise: Promise<unknown>): Promise<State> {
  let result: State = "pending";
  promise.then((value) => (result = { value }), (error) => (result = { error }));
  await flushMicrotasks();
  return result;
}

const value = (v: unknown) => ({ value: { done: false, value: v } });
const END = { value: { done: true, value: undefined } };
const sent = { value: undefined };

Deno.test("Channel: the futures-intrusive stream checklist", async (t) => {
  // FI buffered_stream_smoke_test
  await t.step(
    "iterator on a buffered channel: ready values at once, then waits, then ends",
    async () => {
      const channel = new Channel<number>(3);
      const values = channel[Symbol.asyncIterator]();
      channel.trySend(1);
      assert.deepEqual(await state(values.next()), value(1), "ready without waiting");
      const waiting = values.next();
      assert.equal(await state(waiting), "pending");
      await channel.send(2);
      assert.deepEqual(await state(waiting), value(2), "one send completes it");
      channel.trySend(3);
      channel.close();
      assert.deepEqual(await state(values.next()), value(3), "drained after close");
      assert.deepEqual(await state(values.next()), END);
      channel.close();
      assert.deepEqual(await state(values.next()), END, "and stays terminated");
    },
  );

  // FI unbuffered_stream_smoke_test
  await t.step("iterator on a rendezvous channel: each send meets one next()", async () => {
    const channel = new Channel<number>(0);
    const values = channel[Symbol.asyncIterator]();
    const sending = channel.send(1);
    assert.equal(await state(sending), "pending");
    assert.deepEqual(await state(values.next()), value(1));
    assert.deepEqual(await state(sending), sent);
    const waiting = values.next();
    assert.equal(await state(waiting), "pending");
    assert.deepEqual(await state(channel.send(2)), sent, "handed to the waiting next()");
    assert.deepEqual(await state(waiting), value(2));
    const last = values.next();
    channel.close();
    assert.deepEqual(await state(last), END);
    assert.deepEqual(await state(values.next()), END);
  });

  // FI shared_stream_smoke_test (into_stream() + SharedStream::close()):
  // readable() is the stream here; the channel's close ends it.
  await t.step("readable(): values in order, waits, then closes with the channel", async () => {
    const channel = new Channel<number>(3);
    const reader = channel.readable().getReader();
    channel.trySend(1);
    assert.deepEqual(await reader.read(), { done: false, value: 1 });
    const waiting = reader.read();
    assert.equal(await state(waiting), "pending");
    await channel.send(2);
    assert.deepEqual(await state(waiting), value(2));
    channel.trySend(3);
    channel.close();
    assert.deepEqual(await reader.read(), { done: false, value: 3 });
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });
});

Deno.test("Channel: async iteration", async (t) => {
  await t.step("for await receives until closed and drained", async () => {
    const channel = new Channel<number>(2);
    const producer = (async () => {
      for (let i = 0; i < 10; i++) await channel.send(i);
      channel.close();
    })();
    const seen: number[] = [];
    for await (const n of channel) seen.push(n);
    await producer;
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  await t.step("a close reason makes the loop throw after the last value", async () => {
    const channel = new Channel<number>(2);
    channel.trySend(1);
    const reason = new Error("upstream failed");
    channel.close(reason);
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const n of channel) seen.push(n);
    }, (error) => error === reason);
    assert.deepEqual(seen, [1]);
    const waiting = new Channel<number>(0);
    const values = waiting[Symbol.asyncIterator]();
    const next = values.next();
    waiting.close(reason);
    assert.deepEqual(await state(next), { error: reason });
    assert.deepEqual(await state(values.next()), END, "an iterator that threw is finished");
  });

  await t.step("break leaves the channel open and its values to the next loop", async () => {
    const channel = new Channel<number>(5);
    for (const n of [1, 2, 3, 4]) channel.trySend(n);
    for await (const n of channel) if (n === 2) break;
    assert.equal(channel.closed, false);
    assert.equal(channel.waitingReceivers, 0);
    const rest: number[] = [];
    channel.close();
    for await (const n of channel) rest.push(n);
    assert.deepEqual(rest, [3, 4]);
  });

  await t.step("an abandoned iterator does not swallow a value sent later", async () => {
    for (const capacity of [0, 1]) {
      const channel = new Channel<string>(capacity);
      const values = channel[Symbol.asyncIterator]();
      const abandoned = values.next(); // as after a lost Promise.race against a timeout
      assert.equal(channel.waitingReceivers, 1);
      assert.deepEqual(await values.return!(), { done: true, value: undefined });
      assert.deepEqual(await state(abandoned), END, "the pending next() reports the end");
      assert.equal(channel.waitingReceivers, 0, "its receive was withdrawn");
      assert.equal(channel.closed, false);
      const late = channel.send("late");
      const other = channel.receive();
      assert.deepEqual(await state(other), value("late"), "another receiver gets it");
      assert.deepEqual(await state(late), sent);
      assert.deepEqual(await state(values.next()), END, "the iterator stays finished");
    }
  });

  await t.step("return() withdraws every waiting next() of that iterator only", async () => {
    const channel = new Channel<number>(0);
    const mine = channel[Symbol.asyncIterator]();
    const theirs = channel[Symbol.asyncIterator]();
    const pending = [mine.next(), theirs.next(), mine.next()];
    await mine.return!();
    assert.equal(channel.waitingReceivers, 1);
    channel.trySend(7);
    assert.deepEqual(await Promise.all(pending.map(state)), [END, value(7), END]);
  });

  await t.step("several loops share the values of one channel", async () => {
    const channel = new Channel<number>(1);
    const loop = async () => {
      const got: number[] = [];
      for await (const n of channel) {
        got.push(n);
        await flushMicrotasks(2); // some work, so that the others get a turn
      }
      return got;
    };
    const loops = [loop(), loop(), loop()];
    for (let i = 0; i < 30; i++) await channel.send(i);
    channel.close();
    const all = await Promise.all(loops);
    assert.ok(all.every((got) => got.length > 0), "each loop got some");
    assert.deepEqual(all.flat().sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  });
});

Deno.test("Channel: readable()", async (t) => {
  await t.step("the stream does not read ahead: unread values stay for others", async () => {
    const channel = new Channel<number>(4);
    for (const n of [1, 2, 3]) channel.trySend(n);
    const reader = channel.readable().getReader();
    await flushMicrotasks();
    assert.equal(channel.size, 3, "nothing taken before a read");
    assert.deepEqual(await reader.read(), { done: false, value: 1 });
    await flushMicrotasks();
    assert.equal(channel.size, 2, "exactly one taken per read");
    assert.deepEqual(channel.tryReceive(), { ok: true, value: 2 });
    reader.releaseLock();
  });

  await t.step("a cancelled stream withdraws its receive and leaves the channel open", async () => {
    for (const capacity of [0, 1]) {
      const channel = new Channel<string>(capacity);
      const stream = channel.readable();
      const reader = stream.getReader();
      const reading = reader.read();
      await flushMicrotasks();
      assert.equal(channel.waitingReceivers, 1);
      await reader.cancel("not interested");
      assert.deepEqual(await reading, { done: true, value: undefined });
      assert.equal(channel.waitingReceivers, 0);
      assert.equal(channel.closed, false);
      const late = channel.send("late");
      assert.deepEqual(await channel.receive(), { done: false, value: "late" }, "not swallowed");
      await late;
    }
  });

  await t.step("the stream errors with the close reason after the last value", async () => {
    const channel = new Channel<number>(2);
    const reader = channel.readable().getReader();
    channel.trySend(1);
    const reason = new Error("broken");
    channel.close(reason);
    assert.deepEqual(await reader.read(), { done: false, value: 1 });
    await assert.rejects(reader.read(), (error) => error === reason);
    const waiting = new Channel<number>(0);
    const pending = waiting.readable().getReader().read();
    waiting.close(reason);
    assert.deepEqual(await state(pending), { error: reason });
  });

  await t.step("pipeTo through the stream carries every value", async () => {
    const channel = new Channel<number>(1);
    const got: number[] = [];
    const piping = channel.readable().pipeTo(
      new WritableStream({ write: (n) => void got.push(n) }),
    );
    for (let i = 0; i < 50; i++) await channel.send(i);
    channel.close();
    await piping;
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
  });
});

Deno.test("Channel: writable()", async (t) => {
  await t.step("writes are sends; closing the stream closes the channel", async () => {
    const channel = new Channel<number>(8);
    const writer = channel.writable().getWriter();
    await writer.write(1);
    await writer.write(2);
    await writer.close();
    assert.equal(channel.closed, true);
    assert.deepEqual([channel.tryReceive(), channel.tryReceive(), channel.tryReceive()], [
      { ok: true, value: 1 },
      { ok: true, value: 2 },
      { ok: false, closed: true },
    ]);
  });

  await t.step("a slow consumer bounds the producer", async () => {
    const capacity = 2;
    const channel = new Channel<number>(capacity);
    const source = counter(); // pulls counted: what the producer made
    const piping = source.stream.pipeTo(channel.writable());
    let consumed = 0;
    let maxAhead = 0;
    for await (const n of channel) {
      consumed++;
      assert.equal(n, consumed);
      maxAhead = Math.max(maxAhead, source.pulled - consumed);
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
      if (consumed === 40) break;
    }
    // Buffered (capacity), one send waiting for room, one chunk queued in the
    // writable (highWaterMark 1), one in pipeTo's hands.
    assert.ok(maxAhead <= capacity + 3, `the producer ran ${maxAhead} items ahead`);
    channel.close("enough");
    await assert.rejects(piping, ChannelClosedError);
    assert.equal(source.cancelled?.reason instanceof ChannelClosedError, true);
  });

  await t.step("abort fails the waiting write and closes the channel with the reason", async () => {
    const channel = new Channel<number>(0);
    const writer = channel.writable().getWriter();
    const writing = writer.write(1);
    await flushMicrotasks();
    assert.equal(channel.waitingSenders, 1);
    const reason = new Error("producer gave up");
    await withTimeout(writer.abort(reason), 5_000, "abort waits for no receiver");
    assert.equal(await state(writing).then((s) => typeof s === "object" && "error" in s), true);
    assert.equal(channel.waitingSenders, 0);
    assert.equal(channel.closed, true);
    await assert.rejects(channel.receive(), (error) => error === reason);
  });

  await t.step("preventClose: one producer of several ends, the channel stays open", async () => {
    const channel = new Channel<string>(8);
    await streamFrom(["a1", "a2"]).pipeTo(channel.writable({ preventClose: true }));
    const b = channel.writable({ preventClose: true }).getWriter();
    await b.write("b1");
    await b.abort("b failed");
    assert.equal(channel.closed, false);
    await streamFrom(["c1"]).pipeTo(channel.writable()); // the last producer closes
    assert.equal(channel.closed, true);
    const got: string[] = [];
    for await (const s of channel) got.push(s);
    assert.deepEqual(got, ["a1", "a2", "b1", "c1"]);
  });

  await t.step("a write to a closed channel errors the stream with the value", async () => {
    const channel = new Channel<number>(1);
    channel.close();
    const writer = channel.writable().getWriter();
    const error = await writer.write(5).catch((e) => e);
    assert.ok(error instanceof ChannelClosedError);
    assert.equal(error.value, 5);
  });
});

async function* generate<T>(items: T[], finished?: () => void): AsyncGenerator<T> {
  try {
    for (const item of items) yield item;
  } finally {
    finished?.();
  }
}

Deno.test("Channel.from", async (t) => {
  await t.step(
    "reads arrays, sets, streams and async iterables in order, then closes",
    async () => {
      const sources = [
        () => [1, 2, 3],
        () => new Set([1, 2, 3]),
        () => streamFrom([1, 2, 3]),
        () => generate([1, 2, 3]),
      ];
      for (const source of sources) {
        for (const capacity of [0, 1, Infinity]) {
          const channel = Channel.from(source(), { capacity });
          const got: number[] = [];
          for await (const n of channel) got.push(n);
          assert.deepEqual(got, [1, 2, 3]);
          assert.equal(channel.closed, true);
        }
      }
    },
  );

  await t.step("the source is read only as the consumers make room", async () => {
    const source = counter();
    const channel = Channel.from(source.stream, { capacity: 2 });
    await flushMicrotasks();
    assert.ok(source.pulled <= 3, `read ${source.pulled} ahead of any consumer`);
    for (let i = 1; i <= 10; i++) {
      assert.deepEqual(await channel.receive(), { done: false, value: i });
      await flushMicrotasks();
      assert.ok(source.pulled <= i + 3, `read ${source.pulled} after ${i} were received`);
    }
    channel.close();
    await flushMicrotasks();
    assert.ok(source.cancelled !== undefined, "closing the channel cancelled the source");
  });

  await t.step("a failing source closes the channel with its error, after its values", async () => {
    const failure = new Error("source failed");
    async function* failing() {
      yield 1;
      yield 2;
      throw failure;
    }
    const channel = Channel.from(failing(), { capacity: 1 });
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const n of channel) got.push(n);
    }, (error) => error === failure);
    assert.deepEqual(got, [1, 2]);

    let pulls = 0;
    const erroring = new ReadableStream<number>({
      pull: (controller) => (++pulls === 1 ? controller.enqueue(1) : controller.error(failure)),
    }, { highWaterMark: 0 });
    const fromStream = Channel.from(erroring, { capacity: 4 });
    assert.deepEqual(await fromStream.receive(), { done: false, value: 1 });
    await assert.rejects(fromStream.receive(), (error) => error === failure);

    const throwingIterable = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw failure;
        },
      }),
    };
    await assert.rejects(
      Channel.from(throwingIterable, { capacity: 1 }).receive(),
      (error) => error === failure,
    );
  });

  await t.step("an abort closes the channel with the reason and cancels the source", async () => {
    const source = counter();
    const controller = new AbortController();
    const channel = Channel.from(source.stream, { capacity: 2, signal: controller.signal });
    assert.deepEqual(await channel.receive(), { done: false, value: 1 });
    await flushMicrotasks();
    const reason = new Error("stop feeding");
    controller.abort(reason);
    assert.equal(channel.closed, true);
    await flushMicrotasks();
    assert.equal(source.cancelled?.reason, reason);
    const rest: number[] = [];
    await assert.rejects(async () => {
      for await (const n of channel) rest.push(n);
    }, (error) => error === reason);
    assert.deepEqual(rest, [2, 3], "the values accepted before the abort");
  });

  await t.step(
    "an already aborted signal: closed at once, the source cancelled unread",
    async () => {
      const source = counter();
      const signal = AbortSignal.abort("no");
      const channel = Channel.from(source.stream, { capacity: 2, signal });
      assert.equal(channel.closed, true);
      await flushMicrotasks();
      assert.equal(source.pulled, 0);
      assert.equal(source.cancelled?.reason, "no");
      await assert.rejects(channel.receive(), (error) => error === "no");
    },
  );

  await t.step(
    "a close by a consumer stops a source that is waiting for its next item",
    async () => {
      const gate = deferred<void>();
      let finished = false;
      async function* slow() {
        try {
          yield 1;
          await gate.promise;
          yield 2;
        } finally {
          finished = true;
        }
      }
      const channel = Channel.from(slow(), { capacity: 1 });
      assert.deepEqual(await channel.receive(), { done: false, value: 1 });
      channel.close();
      gate.resolve();
      await flushMicrotasks();
      assert.equal(finished, true, "the generator's finally ran");
      assert.deepEqual(await channel.receive(), { done: true, value: undefined }, "2 is dropped");
    },
  );

  await t.step("a close by a consumer stops a feed waiting for room", async () => {
    let finished = false;
    const channel = Channel.from(generate([1, 2, 3, 4], () => (finished = true)), { capacity: 1 });
    await flushMicrotasks();
    assert.equal(channel.waitingSenders, 1, "2 waits for room");
    channel.close();
    await flushMicrotasks();
    assert.equal(finished, true);
    assert.deepEqual(await channel.receive(), { done: false, value: 1 });
    assert.deepEqual(await channel.receive(), { done: true, value: undefined });
  });
});

Deno.test("Channel: a Desync consumes a channel through pipeIn", async (t) => {
  await t.step("every value, in order, interleaved with the producers", async () => {
    const totals = new Desync({ sum: 0, items: [] as number[] });
    const channel = new Channel<number>(4);
    const consuming = pipeIn(totals, channel, (ref, n) => {
      ref.value.sum += n;
      ref.value.items.push(n);
    });
    const producers = [0, 1].map(async (p) => {
      for (let i = 0; i < 500; i++) await channel.send(p * 1000 + i);
    });
    await Promise.all(producers);
    channel.close();
    await consuming;
    const { sum, items } = await totals.futureSync((ref) => ref.value);
    assert.equal(items.length, 1000);
    assert.equal(sum, 2 * (499 * 500) / 2 + 500 * 1000);
    for (const p of [0, 1]) {
      const mine = items.filter((n) => Math.floor(n / 1000) === p);
      assert.deepEqual(mine, Array.from({ length: 500 }, (_, i) => p * 1000 + i));
    }
  });

  await t.step("a stopped pipe leaves the channel open and swallows no value", async () => {
    const log = new Desync<number[]>([]);
    const channel = new Channel<number>(0);
    const controller = new AbortController();
    const consuming = pipeIn(log, channel, (ref, n) => void ref.value.push(n), {
      signal: controller.signal,
    });
    await channel.send(1);
    await flushMicrotasks();
    controller.abort("stop");
    await assert.rejects(consuming, (error) => error === "stop");
    await flushMicrotasks();
    assert.equal(channel.closed, false);
    assert.equal(channel.waitingReceivers, 0, "the pipe's iterator withdrew its receive");
    const late = channel.send(2);
    assert.deepEqual(await channel.receive(), { done: false, value: 2 });
    await late;
    assert.deepEqual(await log.futureSync((ref) => [...ref.value]), [1]);
  });
});

Deno.test("Channel.from: review regressions", async (t) => {
  await t.step("closed by its consumer, it lets go of its signal at once", () => {
    // A source stuck in a read that never settles (a socket gone quiet) must
    // not keep the closed channel reachable from a long-lived signal.
    const app = new AbortController();
    const signal = app.signal;
    let listeners = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    const stuck: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
        return: () => new Promise<IteratorResult<number>>(() => {}),
      }),
    };
    const channels = Array.from({ length: 5 }, () => Channel.from(stuck, { capacity: 1, signal }));
    assert.equal(listeners, 1, "one listener for the signal, whatever the number of channels");
    for (const channel of channels) channel.close();
    assert.equal(listeners, 0);
  });

  await t.step(
    "an iterator that returns a non-object closes the channel with a TypeError",
    async () => {
      const broken = { [Symbol.iterator]: () => ({ next: () => 5 }) } as unknown as Iterable<
        number
      >;
      const channel = Channel.from(broken, { capacity: 4 });
      await assert.rejects(
        channel.receive(),
        (error: Error) =>
          error instanceof TypeError &&
          /^Channel\.from\(\): the source's iterator returned number instead of a \{ done, value \} result$/
            .test(error.message),
      );
    },
  );
});
