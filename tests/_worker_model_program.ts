// Copyright 2026 the desync authors. MIT license.
// The random programs of the worker model tests (worker_model_test.ts): plain
// data, so that fast-check can shrink them and print them on failure. A
// program has 1 to 3 objects and up to 25 operations; a job's token is `j<i>`,
// i being its operation's index, and every log entry starts with its job's token.

import fc from "npm:fast-check@4.10.2";
import type { Wait } from "./fixtures/model_object.ts";

export type Method =
  | { m: "append" }
  | { m: "appendLater"; how: Wait; n: number }
  | { m: "fail"; code: string }
  | { m: "failLater"; how: Wait; n: number }
  | { m: "read" };
/** `detached`: futureDesync(...).detach(); `futureDesync`: its future, observed at once. */
export type Via = "desync" | "futureSync" | "futureDesync" | "detached";
/** No signal, one aborted beforehand, the job's own, or one shared by every "shared" job. */
export type Sig = "none" | "pre" | "own" | "shared";
export type Op =
  | { op: "call"; o: number; via: Via; method: Method; sig: Sig }
  /** after(promise k, "take", token): promise k is settled by a later "settle" op or at the end. */
  | { op: "after"; o: number; detached: boolean; sig: Sig }
  | { op: "settle"; k: number; ok: boolean }
  /** Aborts controller k (0: the shared one; then each "own" job's, in order). */
  | { op: "abort"; k: number }
  | { op: "wait"; how: "micro" | "macro" | "timer" }
  /** Awaits the k-th observed promise, for at most 30 ms (it may wait behind an after()). */
  | { op: "await"; k: number }
  | { op: "close"; o: number };
export interface Program {
  objects: number;
  ops: Op[];
}

const how = fc.constantFrom<Wait>("micro", "timer");
const method: fc.Arbitrary<Method> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ m: fc.constant("append" as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ m: fc.constant("appendLater" as const), how, n: fc.nat({ max: 3 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ m: fc.constant("fail" as const), code: fc.constantFrom("E_A", "E_B") }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ m: fc.constant("failLater" as const), how, n: fc.nat({ max: 2 }) }),
  },
  { weight: 2, arbitrary: fc.record({ m: fc.constant("read" as const) }) },
);
const sig = fc.constantFrom<Sig>("none", "none", "none", "pre", "own", "own", "shared");
const o = fc.nat({ max: 2 });
const k = fc.nat({ max: 20 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      op: fc.constant("call" as const),
      o,
      via: fc.constantFrom<Via>("desync", "futureSync", "futureDesync", "detached"),
      method,
      sig,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("after" as const), o, detached: fc.boolean(), sig }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("settle" as const), k, ok: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("abort" as const), k }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("wait" as const),
      how: fc.constantFrom("micro" as const, "macro" as const, "timer" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("await" as const), k }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), o }) },
);
export const program: fc.Arbitrary<Program> = fc.record({
  objects: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(op, { minLength: 1, maxLength: 25 }),
});
