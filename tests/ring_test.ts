// Copyright 2026 the desync authors. MIT license.
// The ring buffer under every queue: FIFO across growth and wrap-around.

import assert from "node:assert/strict";
import { Ring } from "../_engine/ring.ts";

Deno.test("Ring keeps FIFO order across growth and wrap-around", () => {
  const ring = new Ring<number>();
  assert.equal(ring.shift(), undefined);
  assert.equal(ring.peek(), undefined);
  let next = 0, expected = 0;
  // Interleave pushes and shifts so the head wraps many times while growing.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < round % 37; i++) ring.push(next++);
    for (let i = 0; i < round % 23 && ring.length > 0; i++) {
      assert.equal(ring.peek(), expected);
      assert.equal(ring.shift(), expected++);
    }
  }
  while (ring.length > 0) assert.equal(ring.shift(), expected++);
  assert.equal(expected, next);
});

Deno.test("Ring.clear empties it and it stays usable", () => {
  const ring = new Ring<string>();
  for (let i = 0; i < 5000; i++) ring.push(String(i));
  ring.clear();
  assert.equal(ring.length, 0);
  ring.push("again");
  assert.equal(ring.shift(), "again");
});

Deno.test("Ring keeps its buffer for repeated bursts and gives a big one back", () => {
  const ring = new Ring<number>();
  const fill = (n: number) => {
    for (let i = 0; i < n; i++) ring.push(i);
    for (let i = 0; i < n; i++) assert.equal(ring.shift(), i);
  };
  // Behaviour is what matters here; memory is measured in the benchmarks.
  fill(100_000);
  fill(10);
  fill(100_000);
  fill(5_000);
  assert.equal(ring.length, 0);
  ring.push(1);
  assert.equal(ring.peek(), 1);
});
