// Copyright 2026 the desync authors. MIT license.
// The work every library runs in bench/worker_anchors.ts: the same two
// functions in every worker entry (and, as source text, in the raw RPC's).

/** The trivial task: what a call costs when the work is nothing. */
export function add(a: number, b: number): number {
  return a + b;
}

/** Fixed CPU work: `n` rounds of an int32 xorshift (the main side calibrates `n` to ~200 ms). */
export function work(n: number): number {
  let x = 2463534242 | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}
