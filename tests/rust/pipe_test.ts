// Copyright 2026 the desync authors. MIT license.
// Port of the Rust crate's §3.9 tests/pipe.rs and §3.10 tests/races.rs.
// The mapping of every Rust test (ported, adapted, dropped) is in README.md here.

import assert from "node:assert/strict";
import { Desync } from "../../mod.ts";
import { pipe, pipeIn } from "../../pipe.ts";
import { streamFrom } from "../_helpers.ts";
import { channel, counter } from "../_streams.ts";
import { delay, withTimeout } from "./_port.ts";

/** Waits (a macrotask at a time) until `check` holds; fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`Timeout after ${ms} ms: ${what}`);
    await delay(0);
  }
}

/** Rust's `pipe_through` body: each output is the input plus the core value. */
async function pipeThrough(): Promise<void> {
  const core = new Desync(1);
  const input = channel<number>();
  const reader = pipe(core, input.stream, (c, n) => n + c.value).getReader();
  input.send(2);
  assert.equal((await reader.read()).value, 3);
  input.send(42);
  assert.equal((await reader.read()).value, 43);
  // Scheduled before the next input is sent, so the next item sees it.
  core.sync(() => {});
  core.desync((c) => void (c.value = 2));
  input.send(44);
  assert.equal((await reader.read()).value, 46);
  input.close();
  assert.equal((await reader.read()).done, true);
}

Deno.test("§3.9 tests/pipe.rs", async (t) => {
  await t.step("pipe_in_simple_stream", async () => {
    const collected = new Desync<number[]>([]);
    await pipeIn(collected, streamFrom([1, 2, 3]), (c, n) => void c.value.push(n));
    assert.deepEqual(collected.sync((c) => c.value), [1, 2, 3]);
  });

  await t.step("pipe_in_mpsc_receiver", async () => {
    const collected = new Desync<number[]>([]);
    const receiver = channel<number>();
    const done = pipeIn(collected, receiver.stream, (c, n) => void c.value.push(n));
    assert.deepEqual(collected.sync((c) => [...c.value]), []);
    receiver.send(1);
    receiver.send(2);
    // Rust sleeps 20 ms here (an acknowledged race); we wait for the state instead.
    await eventually(
      () => {
        try {
          return collected.trySync((c) => c.value.length) === 2;
        } catch {
          return false; // busy: still processing
        }
      },
      1000,
      "both items processed",
    );
    assert.deepEqual(await collected.futureSync((c) => c.value), [1, 2]);
    receiver.close();
    await done;
  });

  await t.step("pipe_through", async () => {
    await pipeThrough();
  });

  await t.step("pipe_through_1000", async () => {
    for (let i = 0; i < 1000; i++) await pipeThrough();
  });

  await t.step("pipe_through_stream_closes", async () => {
    const input = channel<number>();
    const reader = pipe(new Desync(0), input.stream, (_, n) => n).getReader();
    input.send(1);
    assert.equal((await reader.read()).value, 1);
    input.close(); // the sender is dropped
    assert.equal((await withTimeout(reader.read(), 1000, "end of stream")).done, true);
  });

  await t.step("pipe_through_produces_backpressure", async () => {
    const source = counter(); // a channel of capacity 0: a value is produced only when pulled
    const output = pipe(new Desync(0), source.stream, (_, n) => n, { backpressure: 3 });
    await delay(10); // nobody reads the output
    // Rust's pipe also takes exactly 3: its 4th try_send only fills the capacity-0 channel's
    // one slot per sender, and the 5th fails. Rust checks the depth once per poll, so a burst
    // of items ready in one poll could pass it; a capacity-0 channel never offers one. Here
    // the limit is checked per item.
    assert.equal(source.pulled, 3);
    await output.cancel();
  });
});

Deno.test("§3.10 tests/races.rs", async (t) => {
  await t.step("pipe_blockage (issue #4): 100,000 values through a feedback loop", async () => {
    const total = 100_000;
    const seen = new Desync<number[]>([]);
    const input = channel<number>();
    const reader = pipe(seen, input.stream, (s, n) => {
      s.value.push(n);
      return n;
    }).getReader();
    input.send(1);
    // Forward each output back into the input, as Rust's forwarding thread does.
    for (;;) {
      const { value } = await withTimeout(reader.read(), 5000, "the feedback loop stalled");
      if (value === total) break;
      input.send(value! + 1);
    }
    input.close();
    const values = await seen.futureSync((s) => s.value);
    assert.equal(values.length, total);
    for (let i = 0; i < total; i++) {
      if (values[i] !== i + 1) assert.fail(`value ${i} is ${values[i]}`);
    }
  });

  await t.step("pipe_through (×1000, ordering of a desync before later input)", async () => {
    for (let i = 0; i < 1000; i++) await pipeThrough();
  });
});
