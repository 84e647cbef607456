// Copyright 2026 the desync authors. MIT license.
// The random programs of the primitives' model-based tests
// (primitives_model_test.ts): plain data, so that fast-check can shrink them
// and print them on failure.
//
// Every program has the same fixed set of primitives (2 mutexes, a "fifo" and
// a "first-fit" semaphore, channels of capacity 0, 1 and 3, an event, a
// oneshot, a state broadcast, a timer service on a ManualClock) and one or
// two Desyncs, and runs a list of operations. A waiting operation (`start`)
// or a job scheduled on a Desync that performs one (`job`) is a *handle*:
// later operations release what it holds (`release k`: a job holding a guard
// or permits across awaits lets them go; a job iterating a channel abandons
// the iteration) or abort its signal (`abort k`), k picking among the handles
// for which that makes sense at the time. The handles waiting at once are
// the program's concurrent tasks.

import fc from "npm:fast-check@4.10.2";

/** Mutexes 0 and 1. */
export const MUTEXES = 2;
/** Semaphore 0 is "fifo", semaphore 1 "first-fit". */
export const POLICIES = ["fifo", "first-fit"] as const;
/** The capacities of channels 0, 1, 2. */
export const CAPACITIES = [0, 1, 3] as const;

/**
 * The signal of a waiting operation: none, one aborted beforehand, its own
 * (aborted by an `abort` op), one of two signals shared with other handles
 * (`s0`, `s1`), or a signal of the timer service (`timeout`: aborts when the
 * manual clock reaches `timeoutMs` after the operation started).
 */
export type Sig = "none" | "pre" | "own" | "s0" | "s1" | "timeout";

/** A case of a select. */
export type Case =
  | { c: "lock"; m: number }
  | { c: "acquire"; s: number; n: number }
  | { c: "recv"; ch: number }
  | { c: "send"; ch: number }
  | { c: "wait" }
  | { c: "oneshot" }
  | { c: "state"; since: number }
  | { c: "delay"; ms: number };

/** A waiting operation. */
export type Act =
  | { a: "lock"; m: number }
  | { a: "acquire"; s: number; n: number }
  | { a: "send"; ch: number }
  | { a: "recv"; ch: number }
  | { a: "wait" }
  | { a: "oneshot" }
  /**
   * A state broadcast's receive: `since` is the version the model holds
   * when the operation starts, plus -1, 0 or 1 (0 at the least).
   */
  | { a: "state"; since: number }
  /**
   * Jobs only: iterates channel `ch` (its async iterator) for up to `k`
   * values; a `release` op while a next() waits abandons the iteration
   * (return()), which must withdraw that receive.
   */
  | { a: "iterate"; ch: number; k: number }
  | { a: "delay"; ms: number }
  | { a: "select"; cases: Case[] };

/** How a held guard or permit is given back. */
export type How = "release" | "dispose" | "twice" | "forget";

export type Op =
  /** The driver starts a waiting operation. */
  | { op: "start"; act: Act; sig: Sig; timeoutMs: number }
  /**
   * A job on Desync `d` performs the operation when it starts (a guard or
   * permit it gets is released at once unless `hold`, in which case the job
   * holds it, and its Desync, until a `release` op). Scheduled with
   * `futureSync` or `desync`, under the same signal as the operation.
   */
  | {
    op: "job";
    d: number;
    act: Act;
    sig: Sig;
    timeoutMs: number;
    hold: boolean;
    via: "futureSync" | "desync";
  }
  /** Gives back what the k-th handle holding a guard or permits holds. */
  | { op: "release"; k: number; how: How }
  /** Aborts the signal of the k-th handle with a signal of its own or a shared one. */
  | { op: "abort"; k: number }
  | { op: "tryLock"; m: number }
  | { op: "tryAcquire"; s: number; n: number }
  /** `semaphore.release(n)`: permits that were not there before. */
  | { op: "semRelease"; s: number; n: number }
  | { op: "trySend"; ch: number }
  | { op: "tryReceive"; ch: number }
  | { op: "close"; ch: number; reason: boolean }
  | { op: "set" }
  | { op: "reset" }
  | { op: "oneshotSend" }
  | { op: "oneshotClose"; reason: boolean }
  | { op: "stateSend" }
  | { op: "stateClose"; reason: boolean }
  /** The manual clock moves forward by `ms`, firing what is due. */
  | { op: "advance"; ms: number }
  /** A turn of the event loop. */
  | { op: "macro" };

export interface Program {
  /** Free permits of semaphores 0 and 1 at first. */
  permits: number[];
  eventSet: boolean;
  /** The Desyncs: on an automatic scheduler, or on a manual one. */
  desyncs: ("auto" | "manual")[];
  /** Whether the end of the program closes the channels with a reason. */
  endReason: boolean;
  ops: Op[];
}

// ------------------------------------------------------------------ arbitraries

const m = fc.nat({ max: MUTEXES - 1 });
const s = fc.nat({ max: POLICIES.length - 1 });
const ch = fc.nat({ max: CAPACITIES.length - 1 });
/** Mostly 1 or 2 permits; 0 (always granted at once) and 3 now and then. */
const n = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 3) },
);
const ms = fc.constantFrom(0, 1, 2, 5, 10);

const lockCase = fc.record({ c: fc.constant("lock" as const), m });
const acquireCase = fc.record({ c: fc.constant("acquire" as const), s, n });
const recvCase = fc.record({ c: fc.constant("recv" as const), ch });
const sendCase = fc.record({ c: fc.constant("send" as const), ch });
const waitCase = fc.record({ c: fc.constant("wait" as const) });
const oneshotCase = fc.record({ c: fc.constant("oneshot" as const) });
const delayCase = fc.record({ c: fc.constant("delay" as const), ms });
const since = fc.constantFrom(-1, 0, 0, 1);
const stateCase = fc.record({ c: fc.constant("state" as const), since });

function cases(timers: boolean): fc.Arbitrary<Case[]> {
  const one: fc.Arbitrary<Case> = fc.oneof(
    { weight: 3, arbitrary: lockCase },
    { weight: 3, arbitrary: acquireCase },
    { weight: 4, arbitrary: recvCase },
    { weight: 3, arbitrary: sendCase },
    { weight: 2, arbitrary: waitCase },
    { weight: 1, arbitrary: oneshotCase },
    { weight: 1, arbitrary: stateCase },
    { weight: timers ? 2 : 0, arbitrary: delayCase },
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

/**
 * The operations that wait. `timers`: whether timers may be used (the
 * driver's operations; jobs iterate channels instead). Jobs use no timers:
 * a timer fired by the clock's advance() settles what it wakes before the
 * next deadline fires, and a job's operations during that settling would
 * have to be ordered against the later deadlines, which the driver steps
 * one at a time only for the timers it knows of when it starts the advance.
 */
function act(timers: boolean): fc.Arbitrary<Act> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ a: fc.constant("lock" as const), m }) },
    { weight: 4, arbitrary: fc.record({ a: fc.constant("acquire" as const), s, n }) },
    { weight: 4, arbitrary: fc.record({ a: fc.constant("send" as const), ch }) },
    { weight: 4, arbitrary: fc.record({ a: fc.constant("recv" as const), ch }) },
    { weight: 2, arbitrary: fc.record({ a: fc.constant("wait" as const) }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("oneshot" as const) }) },
    { weight: 1, arbitrary: fc.record({ a: fc.constant("state" as const), since }) },
    {
      weight: timers ? 0 : 3,
      arbitrary: fc.record({
        a: fc.constant("iterate" as const),
        ch,
        k: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { weight: timers ? 1 : 0, arbitrary: fc.record({ a: fc.constant("delay" as const), ms }) },
    {
      weight: 4,
      arbitrary: fc.record({ a: fc.constant("select" as const), cases: cases(timers) }),
    },
  );
}

function sig(timers: boolean): fc.Arbitrary<Sig> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant("none" as const) },
    { weight: 1, arbitrary: fc.constant("pre" as const) },
    { weight: 4, arbitrary: fc.constant("own" as const) },
    { weight: 3, arbitrary: fc.constantFrom("s0" as const, "s1" as const) },
    { weight: timers ? 1 : 0, arbitrary: fc.constant("timeout" as const) },
  );
}

const k = fc.nat({ max: 15 });

export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({
      op: fc.constant("start" as const),
      act: act(true),
      sig: sig(true),
      timeoutMs: fc.constantFrom(1, 3, 10),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("job" as const),
      d: fc.nat({ max: 1 }),
      act: act(false),
      sig: sig(false),
      timeoutMs: fc.constant(1),
      hold: fc.boolean(),
      via: fc.constantFrom("futureSync" as const, "desync" as const),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      op: fc.constant("release" as const),
      k,
      how: fc.constantFrom<How>("release", "release", "dispose", "twice", "forget"),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("abort" as const), k }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("tryLock" as const), m }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("tryAcquire" as const), s, n }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("semRelease" as const),
      s,
      n: fc.integer({ min: 1, max: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("trySend" as const), ch }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("tryReceive" as const), ch }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("close" as const), ch, reason: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("set" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("reset" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("oneshotSend" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("oneshotClose" as const), reason: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("stateSend" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("stateClose" as const), reason: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("advance" as const), ms }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("macro" as const) }) },
);

export const program: fc.Arbitrary<Program> = fc.record({
  permits: fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })).map(([a, b]) => [a, b]),
  eventSet: fc.boolean(),
  desyncs: fc.array(fc.constantFrom("auto" as const, "manual" as const), {
    minLength: 1,
    maxLength: 2,
  }),
  endReason: fc.boolean(),
  ops: fc.array(op, { minLength: 1, maxLength: 40, size: "+1" }),
});

/**
 * Shrunk counterexamples found by soak runs, replayed first in every batch.
 */
export const pinnedPrograms: { found: string; program: Program }[] = [
  {
    found:
      "a select's losing acquire case was granted while its losers were unlinked: a permit leaked",
    program: {
      permits: [1, 0],
      eventSet: false,
      desyncs: ["auto"],
      endReason: false,
      ops: [
        // Heads the fifo queue, so that the select's cases wait behind it.
        { op: "start", act: { a: "acquire", s: 0, n: 3 }, sig: "own", timeoutMs: 1 },
        {
          op: "start",
          act: {
            a: "select",
            cases: [{ c: "acquire", s: 0, n: 2 }, { c: "acquire", s: 0, n: 1 }, {
              c: "recv",
              ch: 0,
            }],
          },
          sig: "none",
          timeoutMs: 1,
        },
        { op: "abort", k: 0 },
        // The receive case wins; unlinking the (head) acquire(2) case must not serve acquire(1).
        { op: "close", ch: 0, reason: false },
      ],
    },
  },
  {
    found: "a select whose signal aborted won an acquire case freed by that same abort",
    program: {
      permits: [1, 0],
      eventSet: false,
      desyncs: ["auto"],
      endReason: false,
      ops: [
        { op: "start", act: { a: "acquire", s: 0, n: 3 }, sig: "s0", timeoutMs: 1 },
        {
          op: "start",
          act: { a: "select", cases: [{ c: "acquire", s: 0, n: 1 }] },
          sig: "s0",
          timeoutMs: 1,
        },
        { op: "abort", k: 0 },
      ],
    },
  },
];
