// Copyright 2026 the desync authors. MIT license.
// The random programs of the model-based tests (model_test.ts): plain data,
// so that fast-check can shrink them and print them on failure.
//
// A program sets up a few schedulers (automatic, a small concurrency budget,
// manual) and a few targets (Desyncs and raw JobQueues), then runs a list of
// operations. Jobs are small programs too (`Body`): steps that await
// (microtasks, short timers) or schedule more work, then an ending.

import fc from "npm:fast-check@4.10.2";

/** How a scheduler starts: Infinity, a budget of 1 or 2, or manual mode. */
export type Mode = "auto" | "budget1" | "budget2" | "manual";

export interface TargetSpec {
  kind: "desync" | "queue";
  /** Index (modulo) into the program's schedulers. */
  sched: number;
  /** A Desync with its own onError (else errors go to its scheduler's). */
  ownSink: boolean;
  /** Queues: the free functions or the Scheduler's methods. */
  via: "free" | "method";
}

/** 0 is the job's own target; k > 0 picks another one. */
export type To = number;

export type Step =
  | { s: "micro"; n: number }
  | { s: "timer"; ms: number }
  | { s: "desync"; to: To; body: Body }
  | { s: "futureDesync"; to: To; body: Body; wait: boolean }
  | { s: "futureSync"; to: To; body: Body; wait: boolean }
  | { s: "sync"; to: To; body: Body }
  | { s: "trySync"; to: To; body: Body }
  | { s: "abortSelf" }
  | { s: "close"; to: To };

/**
 * - `return`: returns a fresh token; `throw`: throws (rejects, if async);
 * - `checkSignal`: throws `signal.reason` if its signal was aborted;
 * - `ownFuture`: returns its own target's `futureDesync(child)` (sync bodies only);
 * - `ownClose`: closes its own target and returns the `close()` promise (sync bodies only);
 * - `otherFuture`: returns the next higher target's `futureDesync(child)`, which
 *   holds its own target until that future settles, and pulls it (sync bodies
 *   only, not for sync / trySync; a plain token when there is no higher target).
 */
export type End = "return" | "throw" | "checkSignal" | "ownFuture" | "ownClose" | "otherFuture";

export interface Body {
  steps: Step[];
  end: End;
  child?: Body;
}

/**
 * How a job is cancelled: never, before it is scheduled, by an `abort` op, by
 * a timer, from inside (`abortSelf` steps), or in the microtask after it
 * started (while it runs, or just after it ended).
 */
export type AbortPlan = "none" | "pre" | "op" | "timer" | "inside" | "started";

export interface InputPlan {
  outcome: "resolve" | "reject";
  /** Already settled, settled by a `settle` op, after some microtasks, by a timer, or at the end. */
  when: "pre" | "op" | "micro" | "timer" | "end";
  /**
   * -1: a plain promise. k >= 0: the SchedulerFuture of a job on the k-th
   * (modulo) target numbered higher than the after()'s own (a plain promise
   * if there is none), which returns or throws according to `outcome`. The
   * program never awaits that future itself: the after() pulls it when its
   * turn comes.
   */
  from: number;
}

/** What the driver does with a future: awaits it (bounded), observes it, or detaches it. */
export type FutureMode = "await" | "observe" | "detach";

export interface PipeSpec {
  op: "pipe";
  t: number;
  src: "array" | "gen" | "stream";
  n: number;
  /** The source fails instead of delivering item `srcFail` (-1: never). */
  srcFail: number;
  procAsync: boolean;
  /** `process` throws on item `procFail` (-1: never). */
  procFail: number;
  variant: "pipeIn" | "pipe" | "cancel" | "sink" | "transform";
  /** For `cancel`: how many results are read before cancelling. */
  k: number;
  backpressure: number;
  abort: "none" | "pre" | "op" | "timer";
}

export type Wait = "micro" | "macro" | "timer" | "runReady" | "runUntilIdle";

export type Op =
  | { op: "desync"; t: number; body: Body; abort: AbortPlan }
  | { op: "futureSync"; t: number; body: Body; abort: AbortPlan; wait: boolean }
  | { op: "futureDesync"; t: number; body: Body; abort: AbortPlan; mode: FutureMode }
  | { op: "after"; t: number; body: Body; abort: AbortPlan; mode: FutureMode; input: InputPlan }
  | { op: "sync"; t: number; body: Body }
  | { op: "trySync"; t: number; body: Body }
  | { op: "suspend"; t: number; abort: AbortPlan }
  | { op: "resume"; t: number; dispose: boolean }
  | { op: "futureSyncCall"; k: number }
  | { op: "abort"; k: number }
  | { op: "settle"; k: number }
  | { op: "wait"; w: Wait; s: number; n: number }
  | { op: "close"; t: number }
  | { op: "setMax"; s: number; value: number }
  | PipeSpec;

export interface Program {
  modes: Mode[];
  targets: TargetSpec[];
  ops: Op[];
}

// ------------------------------------------------------------------ arbitraries

const to: fc.Arbitrary<To> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
);

const awaitStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ s: fc.constant("micro" as const), n: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ s: fc.constant("timer" as const), ms: fc.constantFrom(0, 1) }),
  },
);

/** A job body with no awaits and no further nesting. */
const leafSyncBody: fc.Arbitrary<Body> = fc.record({
  steps: fc.constant([]),
  end: fc.constantFrom<End>("return", "return", "throw", "checkSignal"),
});

/** A job body that may await, with no further nesting. */
const leafBody: fc.Arbitrary<Body> = fc.record({
  steps: fc.array(awaitStep, { maxLength: 3 }),
  end: fc.constantFrom<End>("return", "return", "throw", "checkSignal"),
});

function nestedStep(child: fc.Arbitrary<Body>, syncChild: fc.Arbitrary<Body>): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ s: fc.constant("desync" as const), to, body: child }) },
    {
      weight: 8,
      arbitrary: fc.record({
        s: fc.constant("futureDesync" as const),
        to,
        body: child,
        // Awaited (towards a higher target, from async jobs): awaiting pulls it.
        wait: fc.boolean(),
      }),
    },
    {
      weight: 12,
      arbitrary: fc.record({
        s: fc.constant("futureSync" as const),
        to,
        body: child,
        wait: fc.boolean(),
      }),
    },
    { weight: 8, arbitrary: fc.record({ s: fc.constant("sync" as const), to, body: syncChild }) },
    {
      weight: 4,
      arbitrary: fc.record({ s: fc.constant("trySync" as const), to, body: syncChild }),
    },
    { weight: 4, arbitrary: fc.record({ s: fc.constant("abortSelf" as const) }) },
    { weight: 1, arbitrary: fc.record({ s: fc.constant("close" as const), to }) },
  );
}

/** Job bodies with nesting up to `depth` levels. */
function bodies(depth: number): { body: fc.Arbitrary<Body>; syncBody: fc.Arbitrary<Body> } {
  if (depth === 0) return { body: leafBody, syncBody: leafSyncBody };
  const inner = bodies(depth - 1);
  const nested = nestedStep(inner.body, inner.syncBody);
  const syncBody = fc.record({
    steps: fc.array(nested, { maxLength: 2 }),
    end: fc.constantFrom<End>(
      "return",
      "return",
      "throw",
      "checkSignal",
      "ownFuture",
      "return",
      "ownClose",
      "otherFuture",
    ),
    child: leafBody,
  });
  const body = fc.record({
    steps: fc.array(
      fc.oneof({ weight: 3, arbitrary: awaitStep }, { weight: 2, arbitrary: nested }),
      {
        maxLength: 4,
      },
    ),
    end: fc.constantFrom<End>(
      "return",
      "return",
      "throw",
      "checkSignal",
      "ownFuture",
      "otherFuture",
    ),
    child: leafBody,
  });
  return { body, syncBody };
}

const { body: jobBody, syncBody: syncJobBody } = bodies(2);

const abortPlan: fc.Arbitrary<AbortPlan> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("none" as const) },
  { weight: 1, arbitrary: fc.constant("pre" as const) },
  { weight: 2, arbitrary: fc.constant("op" as const) },
  { weight: 1, arbitrary: fc.constant("timer" as const) },
  { weight: 1, arbitrary: fc.constant("inside" as const) },
  { weight: 1, arbitrary: fc.constant("started" as const) },
);

const futureMode = fc.constantFrom<FutureMode>("await", "observe", "detach");
const t = fc.nat({ max: 7 });

const pipeSpec: fc.Arbitrary<Op> = fc.record({
  op: fc.constant("pipe" as const),
  t,
  src: fc.constantFrom("array" as const, "gen" as const, "stream" as const),
  n: fc.integer({ min: 0, max: 5 }),
  srcFail: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, {
    weight: 1,
    arbitrary: fc.nat({ max: 5 }),
  }),
  procAsync: fc.boolean(),
  procFail: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, {
    weight: 1,
    arbitrary: fc.nat({ max: 5 }),
  }),
  variant: fc.constantFrom(
    "pipeIn" as const,
    "pipe" as const,
    "cancel" as const,
    "sink" as const,
    "transform" as const,
  ),
  k: fc.nat({ max: 3 }),
  backpressure: fc.integer({ min: 1, max: 3 }),
  abort: fc.constantFrom(
    "none" as const,
    "none" as const,
    "pre" as const,
    "op" as const,
    "timer" as const,
  ),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("desync" as const),
      t,
      body: jobBody,
      abort: abortPlan,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("futureSync" as const),
      t,
      body: jobBody,
      abort: abortPlan,
      wait: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("futureDesync" as const),
      t,
      body: jobBody,
      abort: abortPlan,
      mode: futureMode,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("after" as const),
      t,
      body: jobBody,
      abort: abortPlan,
      mode: futureMode,
      input: fc.record({
        outcome: fc.constantFrom("resolve" as const, "resolve" as const, "reject" as const),
        when: fc.constantFrom(
          "pre" as const,
          "op" as const,
          "micro" as const,
          "timer" as const,
          "end" as const,
        ),
        from: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, {
          weight: 1,
          arbitrary: fc.nat({ max: 3 }),
        }),
      }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("sync" as const), t, body: syncJobBody }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("sync" as const), t, body: jobBody }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("trySync" as const), t, body: syncJobBody }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("suspend" as const),
      t,
      abort: fc.constantFrom<AbortPlan>("none", "none", "pre", "op"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("resume" as const), t, dispose: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("abort" as const), k: fc.nat({ max: 7 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("futureSyncCall" as const), k: fc.nat({ max: 7 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("settle" as const), k: fc.nat({ max: 7 }) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("wait" as const),
      w: fc.constantFrom<Wait>("micro", "micro", "macro", "timer", "runReady", "runUntilIdle"),
      s: fc.nat({ max: 2 }),
      n: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), t }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("setMax" as const),
      s: fc.nat({ max: 2 }),
      value: fc.constantFrom(0, 1, 2, Infinity),
    }),
  },
  { weight: 2, arbitrary: pipeSpec },
);

export const program: fc.Arbitrary<Program> = fc.record({
  modes: fc.array(fc.constantFrom<Mode>("auto", "budget1", "budget2", "manual"), {
    minLength: 1,
    maxLength: 3,
  }),
  targets: fc.array(
    fc.record({
      kind: fc.constantFrom("desync" as const, "desync" as const, "queue" as const),
      sched: fc.nat({ max: 2 }),
      ownSink: fc.boolean(),
      via: fc.constantFrom("free" as const, "method" as const),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  ops: fc.array(op, { minLength: 1, maxLength: 24 }),
});

/** Whether running `body` returns a promise. */
export function isAsyncBody(body: Body): boolean {
  return body.steps.some((step) =>
    step.s === "micro" || step.s === "timer" ||
    ((step.s === "futureSync" || step.s === "futureDesync") && step.wait)
  );
}

/**
 * Shrunk counterexamples found by soak runs, replayed first in every batch
 * (timing-dependent ones would otherwise need thousands of programs).
 */
export const pinnedPrograms: { found: string; program: Program }[] = [
  {
    found: "a cancelled detached future is reported to onError when detach() comes after the abort",
    program: {
      modes: ["auto"],
      targets: [{ kind: "desync", sched: 0, ownSink: false, via: "free" }],
      ops: [{
        op: "futureDesync",
        t: 0,
        body: { steps: [], end: "return" },
        abort: "pre",
        mode: "detach",
      }],
    },
  },
  {
    found:
      "close() while a failed source's items are queued: the source error rejects the pipe and is reported",
    program: {
      modes: ["manual"],
      targets: [{ kind: "desync", sched: 0, ownSink: true, via: "free" }],
      ops: [
        {
          op: "pipe",
          t: 0,
          src: "stream",
          n: 2,
          srcFail: 2,
          procAsync: false,
          procFail: -1,
          variant: "pipeIn",
          k: 0,
          backpressure: 5,
          abort: "none",
        },
        { op: "wait", w: "timer", s: 0, n: 1 },
        { op: "close", t: 0 },
      ],
    },
  },
  {
    found: "a failed source, then close(), then a failing item: the source error is reported twice",
    program: {
      modes: ["auto"],
      targets: [{ kind: "desync", sched: 0, ownSink: false, via: "free" }],
      ops: [
        {
          op: "pipe",
          t: 0,
          src: "stream",
          n: 2,
          srcFail: 2,
          procAsync: true,
          procFail: 1,
          variant: "pipeIn",
          k: 0,
          backpressure: 2,
          abort: "none",
        },
        {
          op: "after",
          t: 0,
          body: { steps: [], end: "return" },
          abort: "none",
          mode: "await",
          input: { outcome: "resolve", when: "pre", from: -1 },
        },
        { op: "sync", t: 0, body: { steps: [], end: "return" } },
      ],
    },
  },
];
