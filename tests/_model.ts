// Copyright 2026 the desync authors. MIT license.
// Runs a random program (see _model_program.ts) against the library and
// checks it against a simple reference model:
//
// - per target, jobs start in the order they were scheduled (FIFO), and a job
//   that holds its target (an async job, a job that returned another
//   target's future, an `after` waiting for its input, a suspension) keeps
//   every later job waiting;
// - never two jobs of one target in progress at once, across awaits;
// - every scheduled job runs exactly once, or its promise rejects with the
//   documented reason (its signal's reason, its input's reason); a call that
//   throws (ClosedError, ReentrancyError) schedules nothing;
// - cancellation while running: when a job's signal aborts while the job
//   holds its target (its promise pending, or aborted during its synchronous
//   part before it returned a promise), its promise rejects at once with
//   `signal.reason` — before the job lets its target go — while the job runs
//   on and keeps its target; what it ends with is dropped, except an error
//   other than that reason, which goes to the error handler exactly once.
//   Ending with its own signal's reason is a cancellation, never reported
//   (also for fire-and-forget `desync` jobs). See SYNC_RUN_ABORT_REJECTS and
//   FOLLOWING_ABORT_REJECTS for the two cases the library treats otherwise;
// - every promise handed out settles, once everything is closed and the
//   manual schedulers are driven;
// - every fire-and-forget error reaches the right error handler exactly once,
//   and nothing else reaches any handler, `reportError` or the unhandled
//   rejection event;
// - pulls and the budget: foreground work (futureSync, an awaited
//   SchedulerFuture — by the program or by a job, or returned by a job from
//   another target —, suspend, close, an after() waiting for a future input
//   once its turn came) pulls its queue up to it in every mode. Background
//   work nobody pulled starts only while fewer than `maxConcurrency` queues
//   of its scheduler have such work in flight (never, in manual mode);
//   foreground work is not bounded. Once the program went quiet, a target
//   nothing holds has no pulled job waiting, and none at all if its
//   scheduler's budget has room;
// - `sync` / `trySync` return the job's result or throw WouldBlockError,
//   TrySyncError, ReentrancyError or ClosedError exactly when the docs say so,
//   running nothing of their own job when they throw;
// - pipes process a prefix of their source, in order, each item once, within
//   their back-pressure bound, and end the way the docs say.
//
// The model predicts outcomes where the library's state is determined by what
// the program did; in the few windows where it is not (an input that was just
// settled, a pipe's queued items, whether an after() already waits for its
// future input, the few microtasks in which the library lets go a target
// held for another target's future), it accepts either outcome but still
// checks the invariants.

import {
  ClosedError,
  Desync,
  type JobQueue,
  type QueueResumer,
  ReentrancyError,
  Scheduler,
  type SchedulerFuture,
  WouldBlockError,
} from "../mod.ts";
import * as S from "../scheduler.ts";
import { pipe, pipeIn, sink, transform } from "../pipe.ts";
import {
  type AbortPlan,
  type Body,
  type FutureMode,
  type InputPlan,
  isAsyncBody,
  type Mode,
  type Op,
  type PipeSpec,
  type Program,
  type Step,
  type To,
} from "./_model_program.ts";

/**
 * Whether an abort of a detached future is reported to the error handler.
 * `desync(job, { signal })` never reports its abort, and neither does a
 * future detached before its abort; the model holds detached futures to the
 * same rule whichever came first.
 */
export const DETACHED_ABORTS_ARE_REPORTED = false;

/**
 * Whether an abort during the synchronous run of a job that returns no
 * promise (it aborts its own signal, then returns or throws) releases its
 * caller with `signal.reason`, as an abort while an async job runs does.
 * The library settles such a job with its own outcome: it has already
 * finished by the time anyone could be released.
 */
export const SYNC_RUN_ABORT_REJECTS = true;

/**
 * Whether an abort of a job that returned its own target's future or close()
 * promise (it no longer holds its target; its promise follows that one)
 * rejects its promise at once. The library lets it follow the other promise.
 */
export const FOLLOWING_ABORT_REJECTS = true;

/** workerd (Cloudflare Workers), where one Streams bug needs a note below. */
const WORKERD = typeof navigator === "object" &&
  (navigator as { userAgent?: string } | null)?.userAgent === "Cloudflare-Workers";

/** Counts over all programs run, printed by model_test.ts. */
export const stats = {
  programs: 0,
  ops: 0,
  nestedOps: 0,
  jobsRun: 0,
  pipeItems: 0,
  throws: 0,
  rejects: 0,
  abortsBeforeStart: 0,
  abortsDuringJob: 0,
  /** Aborts while a job held its target: its promise rejected at once. */
  cancelsWhileRunning: 0,
  /** The same, by how the job was scheduled. */
  cancelsByApi: {} as Record<string, number>,
  /** Starts of background work nobody pulled, checked against the budget. */
  budgetChecks: 0,
  /** Futures awaited from inside jobs (they are pulled). */
  awaitedFutures: 0,
  /** Targets checked for stuck work once the program went quiet. */
  livenessChecks: 0,
  /** Errors of jobs whose caller had been released by an abort, reported. */
  reportsAfterCancel: 0,
  abortsPre: 0,
  inputRejections: 0,
  sourceFailures: 0,
  processFailures: 0,
  pipeCancels: 0,
  closes: 0,
  reports: 0,
  syncCalls: 0,
  syncExact: 0,
  syncErrors: { WouldBlockError: 0, ReentrancyError: 0, TrySyncError: 0, ClosedError: 0 } as Record<
    string,
    number
  >,
};

/** An error raised on purpose by a job, a source or an abort. */
export class Fault extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Fault";
  }
}

type Outcome = { ok: true; value: unknown; at: number } | { ok: false; error: unknown; at: number };

type Api =
  | "desync"
  | "futureSync"
  | "futureDesync"
  | "after"
  | "sync"
  | "trySync"
  | "suspend"
  | "item";

interface InputRec {
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  plan: InputPlan;
  value: object;
  reason: Fault;
  /** pending → settling (settled, maybe not yet seen by the library) → settled. */
  state: "pending" | "settling" | "settled";
  settledAt: number;
  /** The job whose SchedulerFuture is the input, if it is one. */
  future: JobRec | null;
}

interface JobRec {
  id: number;
  api: Api;
  h: Target;
  body: Body | null;
  /** Order of scheduling on its target; -1 when not (or no longer) scheduled. */
  seq: number;
  token: object;
  controller: AbortController | null;
  abortedAt: number;
  abortReason: unknown;
  /** Abort of a suspension whose arrival the model cannot tell yet. */
  abortUnclear: boolean;
  startedAt: number;
  endedAt: number;
  releasedAt: number;
  /**
   * When an abort released its caller while the job ran (the library
   * rejected its promise with the abort reason at once, and drops its
   * result); -1 if not.
   */
  cancelledAt: number;
  /** That abort came while the job's own code had not ended. */
  cancelledBeforeEnd: boolean;
  starts: number;
  result: Outcome | null;
  /** The promise's outcome, as observed. */
  outcome: Outcome | null;
  hasPromise: boolean;
  future: SchedulerFuture<unknown> | null;
  detached: boolean;
  follows: JobRec | null;
  /** It returned its own target's close() promise. */
  followsClose: boolean;
  /** It returned another target's future (this job): it holds its target until that settles. */
  holdsFor: JobRec | null;
  /**
   * That future's job has finished, and the library lets the target go in
   * a reaction to a promise it made of the future, which the model cannot
   * observe: until a sign that it did (a job of the target starts, its own
   * promise settles, a macrotask passes), whether it still holds is unclear.
   */
  releaseUnclear: boolean;
  /** Aborted while its release was unclear: its promise may reject with the reason, or follow. */
  cancelUnclear: boolean;
  /** The job whose returned future this is (it holds its own target for it). */
  heldBy: JobRec | null;
  /** The after() whose input this job's future is. */
  inputOf: JobRec | null;
  /** The program observes its future only once it started (so that it never pulls it). */
  lateObserve: boolean;
  /** It is (or was) in its target's queue. */
  queued: boolean;
  /** It started as background work nobody pulled, within the concurrency budget. */
  bgStart: boolean;
  /** Its signal is aborted in the microtask after it started. */
  abortOnStart: boolean;
  /** A futureSync that ran inline, on the caller's stack. */
  inline: boolean;
  input: InputRec | null;
  /** The call threw this (nothing was scheduled). */
  callError: unknown;
  /** What it throws when its body ends with "throw", if fixed in advance. */
  presetError: Fault | null;
  /** Suspensions: when the resumer arrived, and when resume() was called. */
  reachedAt: number;
  resumedAt: number;
  resumer: QueueResumer | null;
  resumeRequested: boolean;
  label: string;
}

interface PipeRec {
  id: number;
  h: Target;
  spec: PipeSpec;
  items: { i: number }[];
  results: object[];
  srcError: Fault;
  procErrors: Map<number, Fault>;
  delivered: number;
  processed: number[];
  finished: number;
  consumed: number;
  received: unknown[];
  outcome: Outcome | null;
  abortReason: unknown;
  abortedAt: number;
  closedAt: number;
  cancelReason: unknown;
  hardStop: boolean;
  active: boolean;
  maxInFlight: number;
  abortNow?: () => void;
}

interface Sched {
  index: number;
  mode: Mode;
  s: Scheduler;
  sink: number;
  /** runUntilIdle() calls still running: in manual mode they start background work. */
  untilIdle: number;
}

interface Target {
  index: number;
  kind: "desync" | "queue";
  via: "free" | "method";
  sched: Sched;
  desync: Desync<number[]> | null;
  queue: JobQueue | null;
  ref: { value: number[] } | null;
  sink: number;
  seqCounter: number;
  pending: JobRec[];
  startLog: JobRec[];
  itemLog: number[];
  active: number;
  closed: boolean;
  closePromise: Promise<void> | null;
  closedAt: number;
  closeResolvedAt: number;
  /** Pipes that may leave entries in the queue the model cannot see. */
  pipeTaint: number;
  pipes: PipeRec[];
  resumers: JobRec[];
  /**
   * Foreground work: the highest seq a caller waits for (futureSync, an
   * awaited SchedulerFuture, suspend, close). Everything up to it is pulled,
   * whatever the budget. Pulls of a future input by its after() are not
   * counted here (the model cannot see when that after's turn comes).
   */
  pullTo: number;
}

const modeBudget: Record<Mode, number> = { auto: Infinity, budget1: 1, budget2: 2, manual: 0 };

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One program's run. */
export class Run {
  clock = 0;
  violations: string[] = [];
  recs: JobRec[] = [];
  pipes: PipeRec[] = [];
  scheds: Sched[] = [];
  targets: Target[] = [];
  syncStack: Target[] = [];
  timers = new Set<Promise<void>>();
  controllers: JobRec[] = [];
  pipeControllers: { controller: AbortController; pipe: PipeRec }[] = [];
  inputs: InputRec[] = [];
  tracked: { label: string; settled: boolean }[] = [];
  reports: { sink: number; error: unknown; at: number }[] = [];
  stray: string[] = [];
  ending = false;
  /** Inside a call that runs jobs on the caller's stack, whatever the budget. */
  forced = 0;
  /** The job whose scheduling call is on the stack. */
  scheduling: JobRec | null = null;
  #nextId = 0;

  readonly program: Program;

  constructor(program: Program) {
    this.program = program;
  }

  tick(): number {
    return ++this.clock;
  }

  fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  // ------------------------------------------------------------------ timers

  sleep(ms: number): Promise<void> {
    const promise = new Promise<void>((resolve) => setTimeout(resolve, ms));
    this.timers.add(promise);
    promise.then(() => this.timers.delete(promise));
    return promise;
  }

  later(ms: number, action: () => void): void {
    void this.sleep(ms).then(action);
  }

  /** Awaits `promise`, but at most `turns` macrotasks: the driver must never hang. */
  async bounded(promise: PromiseLike<unknown>, turns: number): Promise<void> {
    let done = false;
    const settled = Promise.resolve(promise).then(
      () => void (done = true),
      () => void (done = true),
    );
    for (let i = 0; i < turns && !done; i++) {
      await Promise.race([settled, this.sleep(0)]);
    }
  }

  track(label: string, promise: PromiseLike<unknown>): void {
    const entry = { label, settled: false };
    this.tracked.push(entry);
    Promise.resolve(promise).then(
      () => void (entry.settled = true),
      () => void (entry.settled = true),
    );
  }

  // ------------------------------------------------------------------- setup

  setup(): void {
    const { modes, targets } = this.program;
    this.scheds = modes.map((mode, index) => {
      const sink = index;
      return {
        index,
        mode,
        sink,
        untilIdle: 0,
        s: new Scheduler({
          maxConcurrency: modeBudget[mode],
          onError: (error) => this.reported(sink, error),
        }),
      };
    });
    this.targets = targets.map((spec, index) => {
      const sched = this.scheds[spec.sched % this.scheds.length];
      const ownSinkId = 100 + index;
      const h: Target = {
        index,
        kind: spec.kind,
        via: spec.via,
        sched,
        desync: null,
        queue: null,
        ref: null,
        sink: sched.sink,
        seqCounter: 0,
        pending: [],
        startLog: [],
        itemLog: [],
        active: 0,
        closed: false,
        closePromise: null,
        closedAt: -1,
        closeResolvedAt: -1,
        pipeTaint: 0,
        pipes: [],
        resumers: [],
        pullTo: 0,
      };
      if (spec.kind === "desync") {
        const withSink = spec.ownSink;
        h.desync = new Desync<number[]>([], {
          scheduler: sched.s,
          onError: withSink ? (error) => this.reported(ownSinkId, error) : undefined,
        });
        if (withSink) h.sink = ownSinkId;
      } else {
        h.queue = sched.s.queue();
      }
      return h;
    });
  }

  reported(sink: number, error: unknown): void {
    stats.reports++;
    this.reports.push({ sink, error, at: this.tick() });
  }

  // -------------------------------------------------------------- the calls

  /** Calls the library's operation `api` on `h`. */
  invoke(h: Target, api: Api, fn: unknown, options?: unknown, input?: unknown): unknown {
    const d = h.desync;
    const q = h.queue!;
    // deno-lint-ignore no-explicit-any
    const f = fn as any;
    // deno-lint-ignore no-explicit-any
    const o = options as any;
    switch (api) {
      case "desync":
        return d ? d.desync(f, o) : S.desync(q, f, o);
      case "sync":
        return d ? d.sync(f) : S.sync(q, f);
      case "trySync":
        return d ? d.trySync(f) : S.trySync(q, f);
      case "futureSync":
        return d ? d.futureSync(f, o) : S.futureSync(q, f, o);
      case "futureDesync":
        return d ? d.futureDesync(f, o) : S.futureDesync(q, f, o);
      case "after": {
        const p = input as PromiseLike<unknown>;
        return d ? d.after(p, f, o) : S.after(q, p, f, o);
      }
      case "suspend":
        return d ? d.suspend(o) : S.suspend(q, o);
      default:
        throw new Error(`invoke: ${api}`);
    }
  }

  newRec(h: Target, api: Api, body: Body | null, label: string): JobRec {
    const rec: JobRec = {
      id: ++this.#nextId,
      api,
      h,
      body,
      seq: -1,
      token: { token: this.#nextId },
      controller: null,
      abortedAt: -1,
      abortReason: undefined,
      abortUnclear: false,
      startedAt: -1,
      endedAt: -1,
      releasedAt: -1,
      cancelledAt: -1,
      cancelledBeforeEnd: false,
      starts: 0,
      result: null,
      outcome: null,
      hasPromise: false,
      future: null,
      detached: false,
      follows: null,
      followsClose: false,
      holdsFor: null,
      releaseUnclear: false,
      cancelUnclear: false,
      heldBy: null,
      inputOf: null,
      lateObserve: false,
      queued: false,
      bgStart: false,
      abortOnStart: false,
      inline: false,
      input: null,
      callError: undefined,
      presetError: null,
      reachedAt: -1,
      resumedAt: -1,
      resumer: null,
      resumeRequested: false,
      label: `#${this.#nextId} ${api} on T${h.index}${label}`,
    };
    this.recs.push(rec);
    return rec;
  }

  /** Gives `rec` an abort controller according to `plan`; returns the options to pass. */
  armAbort(rec: JobRec, plan: AbortPlan): { signal: AbortSignal } | undefined {
    if (plan === "none") return undefined;
    const controller = new AbortController();
    rec.controller = controller;
    if (plan === "pre") {
      stats.abortsPre++;
      this.abort(rec);
    } else if (plan === "op") {
      this.controllers.push(rec);
    } else if (plan === "timer") {
      this.later(rec.id % 3, () => this.abort(rec));
    } else if (plan === "started") {
      rec.abortOnStart = true;
    }
    return { signal: controller.signal };
  }

  /** Aborts `rec`'s signal and updates the model. */
  abort(rec: JobRec): void {
    const controller = rec.controller;
    if (controller === null || controller.signal.aborted) return;
    const reason = rec.id % 4 === 0 ? undefined : new Fault(`abort of ${rec.label}`);
    const at = this.tick();
    rec.abortedAt = at;
    if (rec.seq >= 0 && rec.startedAt < 0) {
      if (rec.api === "suspend" && rec.reachedAt < 0) {
        rec.abortUnclear = true; // it may have been reached before its resumer arrived
      } else if (rec.api !== "suspend") {
        stats.abortsBeforeStart++;
        this.unqueue(rec);
      }
    } else if (rec.releaseUnclear) {
      rec.cancelUnclear = true;
    } else if (rec.startedAt >= 0 && rec.releasedAt < 0) {
      // Running: its code is on the stack or its promise is pending (until
      // the library's reaction to it, which releasedAt follows).
      stats.abortsDuringJob++;
      if (this.holds(rec) || SYNC_RUN_ABORT_REJECTS) this.cancelRunning(rec, at);
    } else if (
      FOLLOWING_ABORT_REJECTS && rec.startedAt >= 0 && (rec.follows !== null || rec.followsClose)
    ) {
      if (!this.followedSettled(rec)) this.cancelRunning(rec, at);
      // The followed promise settled, but the library's reaction to it (which
      // settles this job's promise) may still be a few microtasks away: an
      // abort in between releases the caller. Either outcome is right.
      else if (rec.outcome === null) rec.cancelUnclear = true;
    }
    if (reason === undefined) controller.abort();
    else controller.abort(reason);
    rec.abortReason = controller.signal.reason;
  }

  /**
   * Whether `rec`'s job returned a promise that holds its target: an async
   * body, or another target's future (known once its synchronous part ended).
   */
  holds(rec: JobRec): boolean {
    return rec.holdsFor !== null || (rec.body !== null && isAsyncBody(rec.body));
  }

  /** The promise a following job settles with has settled (as far as the model knows). */
  followedSettled(rec: JobRec): boolean {
    if (rec.followsClose) return rec.h.closeResolvedAt >= 0;
    const child = rec.follows!;
    return child.callError !== undefined || child.outcome !== null;
  }

  /** The library releases `rec`'s caller now: its promise rejects with the abort reason. */
  cancelRunning(rec: JobRec, at: number): void {
    stats.cancelsWhileRunning++;
    const api = rec.inline ? "futureSync (inline)" : rec.api;
    stats.cancelsByApi[api] = (stats.cancelsByApi[api] ?? 0) + 1;
    rec.cancelledAt = at;
    rec.cancelledBeforeEnd = (rec.holdsFor ?? rec).endedAt < 0;
  }

  unqueue(rec: JobRec): void {
    const pending = rec.h.pending;
    const index = pending.indexOf(rec);
    if (index >= 0) pending.splice(index, 1);
  }

  /** Schedules `rec` in the model before the call, so that inline runs see it. */
  enqueue(rec: JobRec): void {
    rec.seq = ++rec.h.seqCounter;
    rec.queued = true;
    rec.h.pending.push(rec);
  }

  /** A caller waits for `rec`: its queue is pulled up to it. */
  pull(rec: JobRec): void {
    if (rec.queued && rec.seq > rec.h.pullTo) rec.h.pullTo = rec.seq;
  }

  /** Runs `call`, which runs jobs on the caller's stack whatever the budget. */
  forcing<T>(call: () => T): T {
    this.forced++;
    try {
      return call();
    } finally {
      this.forced--;
    }
  }

  unschedule(rec: JobRec, error: unknown): void {
    this.unqueue(rec);
    rec.queued = false;
    rec.seq = -1;
    rec.callError = error;
  }

  /** The error a scheduling call must throw now, if any. */
  callSiteError(h: Target, api: Api): "ClosedError" | "ReentrancyError" | null {
    if (h.closed) return "ClosedError";
    if (
      (api === "sync" || api === "trySync" || api === "futureSync") && this.syncStack.includes(h)
    ) {
      return "ReentrancyError";
    }
    return null;
  }

  /** Checks that a call threw exactly what the model predicted. */
  checkCall(rec: JobRec, expected: string | null, threw: boolean, error: unknown): void {
    if (expected === null && threw) {
      this.fail(`${rec.label}: unexpected throw at the call site: ${describe(error)}`);
    } else if (expected !== null && !threw) {
      this.fail(`${rec.label}: expected ${expected} at the call site, but it returned`);
    } else if (expected !== null && nameOf(error) !== expected) {
      this.fail(`${rec.label}: expected ${expected}, got ${describe(error)}`);
    } else if (expected !== null) {
      stats.syncErrors[expected] = (stats.syncErrors[expected] ?? 0) + 1;
    }
  }

  observe(rec: JobRec, promise: PromiseLike<unknown>): void {
    rec.hasPromise = true;
    this.track(rec.label, promise);
    promise.then(
      (value) => this.settled(rec, { ok: true, value, at: this.tick() }),
      (error) => this.settled(rec, { ok: false, error, at: this.tick() }),
    );
  }

  settled(rec: JobRec, outcome: Outcome): void {
    if (rec.outcome !== null) {
      this.fail(`${rec.label}: its promise settled twice`);
      return;
    }
    rec.outcome = outcome;
    if (!outcome.ok && rec.startedAt < 0) this.unqueue(rec); // dropped (abort, input)
    // Settled by the library's reaction to the future it held for (not by an abort).
    if (rec.releaseUnclear && (outcome.ok || outcome.error !== rec.abortReason)) {
      this.releaseHolder(rec);
    }
  }

  /** After a job's promise settled, the library has released its target. */
  releaseLater(rec: JobRec, promise: Promise<unknown>): void {
    // Registered after the library's own reaction (made in the same
    // synchronous run), so it runs after the target was released.
    queueMicrotask(() => {
      const release = () => {
        rec.releasedAt = this.tick();
      };
      promise.then(release, release);
    });
  }

  // --------------------------------------------------------------- job bodies

  /** The function handed to the library for `rec`. */
  jobFn(rec: JobRec): (...args: unknown[]) => unknown {
    const h = rec.h;
    if (rec.api === "after") {
      return h.kind === "desync"
        ? (ref, value, signal) => this.enter(rec, ref, value, signal, true)
        : (value, signal) => this.enter(rec, undefined, value, signal, true);
    }
    return h.kind === "desync"
      ? (ref, signal) => this.enter(rec, ref, undefined, signal, false)
      : (signal) => this.enter(rec, undefined, undefined, signal, false);
  }

  enter(rec: JobRec, ref: unknown, value: unknown, signal: unknown, withValue: boolean): unknown {
    const h = rec.h;
    this.checkBudget(rec);
    for (const r of h.startLog) {
      if (r.releaseUnclear) this.releaseHolder(r); // the library let the target go
    }
    if (rec.lateObserve) this.observeLate(rec);
    if (rec.abortOnStart) queueMicrotask(() => this.abort(rec));
    if (rec === this.scheduling) rec.inline = true;
    stats.jobsRun++;
    rec.starts++;
    rec.startedAt = this.tick();
    if (rec.starts > 1) this.fail(`${rec.label}: ran ${rec.starts} times`);
    if (rec.seq < 0) this.fail(`${rec.label}: ran although it was never scheduled`);
    if (rec.abortedAt >= 0 && rec.abortedAt < rec.startedAt && rec.api !== "sync") {
      this.fail(`${rec.label}: started after its signal was aborted`);
    }
    if (h.active > 0) {
      this.fail(`${rec.label}: started while another job of T${h.index} was in progress`);
    }
    h.active++;
    this.unqueue(rec);
    h.startLog.push(rec);
    if (h.kind === "desync") this.touch(h, ref, rec.id);
    const expectedSignal = rec.controller?.signal;
    if (rec.api !== "sync" && rec.api !== "trySync" && signal !== expectedSignal) {
      this.fail(`${rec.label}: received the wrong signal`);
    }
    if (withValue && value !== rec.input!.value) {
      this.fail(`${rec.label}: received the wrong input value`);
    }
    this.syncStack.push(h);
    try {
      return this.runBody(rec, signal as AbortSignal | undefined);
    } finally {
      this.syncStack.pop();
    }
  }

  /**
   * The concurrency budget bounds background work nobody pulled: such a job
   * starts only while fewer than `maxConcurrency` queues of its scheduler
   * have an async job in flight that also started that way (foreground work
   * — futureSync, awaited futures, sync, runReady — runs beyond the budget,
   * and is not counted). In manual mode it never starts on its own.
   */
  checkBudget(rec: JobRec): void {
    const sched = rec.h.sched;
    if (this.ending || this.forced > 0) return;
    if (sched.untilIdle > 0 && sched.s.maxConcurrency === 0) return; // its runReady()
    if (rec.api !== "desync" && rec.api !== "futureDesync" && rec.api !== "after") return;
    if (this.mayBePulled(rec)) return;
    rec.bgStart = true;
    stats.budgetChecks++;
    const max = sched.s.maxConcurrency;
    const inFlight = this.recs.filter((r) =>
      r.bgStart && r !== rec && r.h.sched === sched && r.startedAt >= 0 && this.holds(r) &&
      (r.holdsFor !== null ? r.holdsFor.endedAt < 0 : r.endedAt < 0)
    );
    if (inFlight.length >= max) {
      this.fail(
        `${rec.label}: background work nobody pulled started with ${inFlight.length} such ` +
          `job(s) in flight on S${sched.index} [${inFlight.map((r) => r.label).join("; ")}], ` +
          `maxConcurrency ${max}`,
      );
    }
  }

  /** Whether a caller may wait for `rec` (now about to start): then it may run beyond the budget. */
  mayBePulled(rec: JobRec): boolean {
    const h = rec.h;
    if (rec.seq <= h.pullTo) return true;
    // A future input at or behind it whose after() may have started waiting for it.
    return this.recs.some((c) =>
      c.h === h && c.inputOf !== null && c.seq >= rec.seq && c.startedAt < 0 &&
      !this.beforeTurn(c.inputOf)
    );
  }

  /**
   * Whether `rec` provably never reached its turn: it was never queued, or
   * a job scheduled before it on its target still waits to start or still
   * holds the target. (FIFO: then it cannot have started waiting before.)
   */
  beforeTurn(rec: JobRec): boolean {
    if (!rec.queued) return true;
    return this.recs.some((r) => {
      if (r.h !== rec.h || !r.queued || r.seq >= rec.seq) return false;
      if (r.api === "suspend") {
        return (r.reachedAt < 0 && r.abortedAt < 0) || (r.reachedAt >= 0 && r.resumedAt < 0);
      }
      if (r.startedAt >= 0) return r.releasedAt < 0 && !r.releaseUnclear;
      const dropped = r.api === "after" && r.input!.plan.outcome === "reject" &&
        r.input!.state !== "pending";
      return r.abortedAt < 0 && !dropped;
    });
  }

  /**
   * Observes a future the program must not pull (an after()'s input, a
   * future another job returned) once its job started, when `then` no
   * longer pulls anything. Registered a microtask later, after the
   * library's own reactions to it.
   */
  observeLate(rec: JobRec): void {
    queueMicrotask(() => this.observe(rec, rec.future!));
  }

  /** A job that held its target for another target's future has let it go. */
  releaseHolder(holder: JobRec): void {
    holder.releaseUnclear = false;
    if (holder.releasedAt < 0) holder.releasedAt = this.tick();
  }

  /** Whether a job may or may not still hold `h` (see `releaseUnclear`). */
  unclearHold(h: Target): boolean {
    return h.startLog.some((r) => r.releaseUnclear);
  }

  /** Records a start in the Desync's data, checking that every job sees the same Ref. */
  touch(h: Target, ref: unknown, id: number): void {
    const cell = ref as { value: number[] };
    if (h.ref === null) h.ref = cell;
    else if (h.ref !== cell) this.fail(`T${h.index}: a job received a different Ref`);
    if (id % 5 === 0) cell.value = [...cell.value, id]; // replacing the data works too
    else cell.value.push(id);
  }

  runBody(rec: JobRec, signal: AbortSignal | undefined): unknown {
    const body = rec.body!;
    if (!isAsyncBody(body)) {
      try {
        for (const step of body.steps) this.nested(step, rec);
        const value = this.finish(rec, signal, false);
        rec.result = { ok: true, value, at: this.clock };
        return value;
      } catch (error) {
        rec.result = { ok: false, error, at: this.clock };
        throw error;
      } finally {
        this.end(rec);
        if (rec.holdsFor === null) rec.releasedAt = rec.endedAt;
      }
    }
    const promise = (async () => {
      try {
        for (const step of body.steps) {
          if (step.s === "micro") {
            for (let i = 0; i < step.n; i++) await null;
          } else if (step.s === "timer") {
            await this.sleep(step.ms);
          } else if ((step.s === "futureSync" || step.s === "futureDesync") && step.wait) {
            const awaited = this.nested(step, rec);
            await (awaited ?? null);
          } else {
            this.nested(step, rec);
          }
        }
        const value = this.finish(rec, signal, true);
        rec.result = { ok: true, value, at: this.clock };
        return value;
      } catch (error) {
        rec.result = { ok: false, error, at: this.clock };
        throw error;
      } finally {
        this.end(rec);
      }
    })();
    this.releaseLater(rec, promise);
    return promise;
  }

  finish(rec: JobRec, signal: AbortSignal | undefined, isAsync: boolean): unknown {
    const body = rec.body!;
    switch (body.end) {
      case "throw":
        if (isAsync) stats.rejects++;
        else stats.throws++;
        throw rec.presetError ?? new Fault(`${rec.label} failed`);
      case "checkSignal":
        if (signal?.aborted) throw signal.reason;
        return rec.token;
      case "ownFuture": {
        if (isAsync || rec.api === "sync" || rec.api === "trySync") return rec.token;
        // Returning its own target's future: the target is not held for it.
        const child = this.newRec(
          rec.h,
          "futureDesync",
          body.child ?? null,
          ` (followed by #${rec.id})`,
        );
        if (child.body === null) child.body = { steps: [], end: "return" };
        rec.follows = child;
        const future = this.schedule(child, "none", "follow");
        return future ?? rec.token;
      }
      case "otherFuture": {
        if (isAsync || rec.api === "sync" || rec.api === "trySync") return rec.token;
        const h = this.targets[rec.h.index + 1];
        if (h === undefined) return rec.token;
        // Returning another target's future: the target is held until it
        // settles, and the library's `then` on it pulls it.
        const child = this.newRec(h, "futureDesync", body.child ?? null, ` (held by #${rec.id})`);
        if (child.body === null) child.body = { steps: [], end: "return" };
        child.heldBy = rec;
        const future = this.schedule(child, "none", "late");
        if (future === undefined) return rec.token;
        this.pull(child);
        rec.holdsFor = child;
        // Aborted during its synchronous part: released as soon as it returns.
        if (rec.abortedAt >= 0 && rec.cancelledAt < 0) this.cancelRunning(rec, rec.abortedAt);
        return future;
      }
      case "ownClose": {
        if (isAsync || rec.api === "sync" || rec.api === "trySync") return rec.token;
        // Returning its own target's close() promise: the target is not held for it.
        rec.followsClose = true;
        return this.close(rec.h);
      }
      default:
        return rec.token;
    }
  }

  end(rec: JobRec): void {
    rec.endedAt = this.tick();
    rec.h.active--;
    const holder = rec.heldBy;
    if (holder !== null && holder.holdsFor === rec) {
      // Its future settles now or in a microtask; the holder's target is let
      // go a few microtasks later, certainly before the next macrotask.
      holder.releaseUnclear = true;
      void macrotask().then(() => {
        if (holder.releaseUnclear) this.releaseHolder(holder);
      });
    }
  }

  /** A step that schedules more work from inside a job. */
  nested(step: Step, rec: JobRec): PromiseLike<unknown> | undefined {
    stats.nestedOps++;
    const self = rec.h;
    switch (step.s) {
      case "abortSelf":
        if (rec.controller !== null) this.abort(rec);
        return undefined;
      case "close":
        this.close(this.pick(self, step.to));
        return undefined;
      case "desync": {
        const h = this.pick(self, step.to);
        this.schedule(this.newRec(h, "desync", step.body, ` (from #${rec.id})`), "none", "none");
        return undefined;
      }
      case "futureDesync": {
        // Awaited like futureSync: only towards higher-numbered targets.
        let h = this.pick(self, step.to);
        if (step.wait && h.index <= self.index) {
          const higher = this.targets.filter((x) => x.index > self.index);
          if (higher.length > 0) h = higher[step.to % higher.length];
        }
        const mayWait = step.wait && h.index > self.index;
        const future = this.schedule(
          this.newRec(h, "futureDesync", step.body, ` (from #${rec.id})`),
          "none",
          mayWait ? "observe" : "detach",
        );
        if (mayWait) stats.awaitedFutures++;
        return mayWait ? future : undefined;
      }
      case "futureSync": {
        // Awaiting another target from inside a job is safe only towards
        // higher-numbered targets (no cycle of waits); otherwise don't await.
        let h = this.pick(self, step.to);
        const mayWait = step.wait && h.index > self.index;
        if (step.wait && !mayWait) {
          const higher = this.targets.filter((x) => x.index > self.index);
          if (higher.length > 0) h = higher[step.to % higher.length];
        }
        const child = this.newRec(h, "futureSync", step.body, ` (from #${rec.id})`);
        const promise = this.schedule(child, "none", "observe");
        if (step.wait && h.index > self.index) return promise;
        return undefined;
      }
      case "sync":
        this.syncCall(this.pick(self, step.to), step.body, ` (from #${rec.id})`);
        return undefined;
      case "trySync":
        this.trySyncCall(this.pick(self, step.to), step.body, ` (from #${rec.id})`);
        return undefined;
      default:
        return undefined;
    }
  }

  pick(self: Target, to: To): Target {
    const n = this.targets.length;
    if (to === 0 || n === 1) return self;
    return this.targets[(self.index + 1 + ((to - 1) % (n - 1))) % n];
  }

  // --------------------------------------------------------------- scheduling

  /**
   * Schedules `rec` with desync / futureSync / futureDesync / after and
   * checks the call site. Returns the promise or future (observed), if any.
   */
  schedule(
    rec: JobRec,
    plan: AbortPlan,
    mode: FutureMode | "none" | "follow" | "late",
    input?: InputRec,
  ): PromiseLike<unknown> | undefined {
    const h = rec.h;
    const options = this.armAbort(rec, plan);
    const expected = this.callSiteError(h, rec.api);
    const preAborted = rec.controller?.signal.aborted === true;
    if (input !== undefined) rec.input = input;
    if (!preAborted && expected === null) this.enqueue(rec);
    else rec.seq = ++h.seqCounter; // checked, but not waiting: it must never run
    let result: unknown;
    try {
      const call = () => this.invoke(h, rec.api, this.jobFn(rec), options, input?.promise);
      const outer = this.scheduling;
      this.scheduling = rec;
      try {
        // futureSync runs inline on an idle target: foreground work.
        result = rec.api === "futureSync" ? this.forcing(call) : call();
      } finally {
        this.scheduling = outer;
      }
    } catch (error) {
      this.checkCall(rec, expected, true, error);
      this.unschedule(rec, error);
      // Nobody else will look at it (a future input is observed once it starts).
      if (input !== undefined && input.future === null) input.promise.catch(() => {});
      return undefined;
    }
    this.checkCall(rec, expected, false, undefined);
    if (expected !== null) {
      this.unschedule(rec, undefined);
      return undefined;
    }
    if (input !== undefined && input.future === null) {
      // Registered after the library's reaction to the input. (A future
      // input stays "settling": `then` would pull it.)
      const seen = () => void (input.state = "settled");
      input.promise.then(seen, seen);
    }
    if (rec.api === "desync") {
      if (result !== undefined) this.fail(`${rec.label}: desync() returned ${String(result)}`);
      return undefined;
    }
    const promise = result as PromiseLike<unknown>;
    if (rec.api === "futureSync") {
      if (!(promise instanceof Promise)) {
        this.fail(`${rec.label}: futureSync() did not return a Promise`);
      }
      this.pull(rec);
      this.observe(rec, promise);
      return promise;
    }
    const future = promise as SchedulerFuture<unknown>;
    rec.future = future;
    rec.hasPromise = true;
    if (mode === "detach") {
      rec.detached = true;
      future.detach();
      if (rec.id % 3 === 0) future.detach(); // idempotent
    } else if (mode === "late") {
      rec.lateObserve = true; // observed once it starts, so that the program never pulls it
    } else {
      this.pull(rec); // awaiting a future pulls it
      this.observe(rec, future); // "follow": the library awaits it too
    }
    return future;
  }

  // ------------------------------------------------------------ sync, trySync

  /** Prediction for `sync` on `h` now. */
  predictSync(h: Target): { kind: string; prefix: JobRec[] } {
    const error = this.callSiteError(h, "sync");
    if (error !== null) return { kind: error, prefix: [] };
    if (h.pipeTaint > 0 || this.unclearHold(h)) return { kind: "any", prefix: [] };
    if (this.busy(h)) return { kind: "WouldBlockError", prefix: [] };
    for (const rec of h.pending) {
      if (rec.abortUnclear) return { kind: "any", prefix: [] };
      if (rec.api === "suspend") return { kind: "WouldBlockError", prefix: [] };
      if (rec.api === "after" && rec.input!.state === "pending") {
        return { kind: "WouldBlockError", prefix: [] };
      }
      if (rec.api === "after" && rec.input!.state === "settling") {
        return { kind: "any", prefix: [] };
      }
    }
    const prefix: JobRec[] = [];
    let closing = false;
    for (const rec of h.pending) {
      if (rec.api === "after" && rec.input!.plan.outcome === "reject") continue; // dropped at its turn
      prefix.push(rec);
      closing ||= this.mayClose(rec.body!);
      const holds = this.holdsWhenRun(rec, closing);
      if (holds === "unknown") return { kind: "any", prefix: [] };
      if (holds === "yes") return { kind: "WouldBlockError-after", prefix };
    }
    return { kind: "ok", prefix };
  }

  /**
   * Whether the queued `rec`, run now on the caller's stack, will hold its
   * target: an async body, or a future of the next target returned (unless
   * that target is closed by then; `closing`: something run before it may
   * close it).
   */
  holdsWhenRun(rec: JobRec, closing: boolean): "yes" | "no" | "unknown" {
    if (isAsyncBody(rec.body!)) return "yes";
    if (rec.body!.end !== "otherFuture") return "no";
    const next = this.targets[rec.h.index + 1];
    if (next === undefined || next.closed) return "no";
    return closing ? "unknown" : "yes";
  }

  /** Whether running `body` synchronously may close a target. */
  mayClose(body: Body): boolean {
    if (body.end === "ownClose") return true;
    return body.steps.some((step) =>
      step.s === "close" || step.s === "sync" || step.s === "trySync" ||
      (step.s === "futureSync" && this.mayClose(step.body))
    );
  }

  /** A job of `h` is in progress, or a suspension holds it. */
  busy(h: Target): boolean {
    for (const rec of h.startLog) {
      if (rec.releasedAt < 0) return true;
    }
    for (const rec of h.resumers) {
      if (rec.resumedAt < 0) return true;
    }
    return this.recs.some((rec) =>
      rec.h === h && rec.api === "suspend" && rec.reachedAt >= 0 && rec.resumedAt < 0
    );
  }

  syncCall(h: Target, body: Body, label: string): void {
    stats.syncCalls++;
    const rec = this.newRec(h, "sync", body, label);
    const prediction = this.predictSync(h);
    if (prediction.kind !== "any") stats.syncExact++;
    const clockBefore = this.clock;
    if (prediction.kind !== "ClosedError" && prediction.kind !== "ReentrancyError") {
      this.enqueue(rec);
    }
    let result: unknown;
    let threw = false;
    let error: unknown;
    try {
      result = this.forcing(() => this.invoke(h, "sync", this.jobFn(rec)));
    } catch (e) {
      threw = true;
      error = e;
    }
    const startedDuring = this.recs.filter((r) =>
      r.startedAt > clockBefore && r.h === h && r !== rec
    );
    const ownFailure = threw && rec.starts === 1 && rec.result !== null && !rec.result.ok &&
      rec.result.error === error;
    if (threw && !ownFailure) {
      this.unschedule(rec, error);
      const name = nameOf(error);
      stats.syncErrors[name] = (stats.syncErrors[name] ?? 0) + 1;
      if (rec.starts !== 0) this.fail(`${rec.label}: threw ${name} after running its job`);
      if (
        !(error instanceof WouldBlockError || error instanceof ReentrancyError ||
          error instanceof ClosedError)
      ) {
        this.fail(`${rec.label}: threw an undocumented error: ${describe(error)}`);
      }
      const kind = prediction.kind;
      if (kind === "ok") {
        this.fail(`${rec.label}: expected to run, threw ${describe(error)}`);
      } else if (kind === "WouldBlockError-after") {
        if (name !== "WouldBlockError") {
          this.fail(`${rec.label}: expected WouldBlockError, got ${name}`);
        }
        const ids = startedDuring.filter((r) => r.api !== "item").map((r) => r.id);
        const want = prediction.prefix.map((r) => r.id);
        if (ids.join() !== want.join()) {
          this.fail(`${rec.label}: ran [${ids}] before WouldBlockError, expected [${want}]`);
        }
      } else if (kind !== "any" && kind !== name) {
        this.fail(`${rec.label}: expected ${kind}, got ${describe(error)}`);
      }
      if (kind !== "WouldBlockError-after" && kind !== "any" && startedDuring.length > 0) {
        this.fail(`${rec.label}: threw ${name} but ran other jobs first`);
      }
      return;
    }
    // It ran (returned, or threw its own error).
    if (rec.starts !== 1) {
      this.fail(`${rec.label}: returned without running its job`);
      return;
    }
    if (prediction.kind !== "ok" && prediction.kind !== "any") {
      this.fail(`${rec.label}: expected ${prediction.kind}, but it ran`);
    }
    if (prediction.kind === "ok") {
      const ids = startedDuring.filter((r) => r.api !== "item" && r.startedAt < rec.startedAt).map((
        r,
      ) => r.id);
      const want = prediction.prefix.map((r) => r.id);
      if (ids.join() !== want.join()) {
        this.fail(`${rec.label}: ran [${ids}] before its job, expected [${want}]`);
      }
    }
    this.checkInlineResult(rec, result, ownFailure);
  }

  /** What sync() / trySync() returned after running the job. */
  checkInlineResult(rec: JobRec, result: unknown, ownFailure: boolean): void {
    if (isAsyncBody(rec.body!)) {
      if (!(result instanceof Promise)) {
        this.fail(`${rec.label}: an async job's ${rec.api}() did not return a promise`);
        return;
      }
      this.observe(rec, result);
    } else if (ownFailure) {
      // thrown to the caller: checked by identity by the caller
    } else if (!rec.result!.ok || result !== rec.result!.value) {
      this.fail(`${rec.label}: ${rec.api}() returned the wrong value`);
    }
  }

  trySyncCall(h: Target, body: Body, label: string): void {
    stats.syncCalls++;
    const rec = this.newRec(h, "trySync", body, label);
    let kind: string;
    const error0 = this.callSiteError(h, "trySync");
    if (error0 !== null) kind = error0;
    else if (h.pipeTaint > 0 || this.unclearHold(h)) kind = "any";
    else if (this.busy(h)) kind = "TrySyncError";
    else if (
      h.pending.some((r) =>
        r.abortUnclear ||
        (r.api === "after" && r.input!.state !== "pending" && r.input!.plan.outcome === "reject")
      )
    ) {
      kind = "any";
    } else if (h.pending.length > 0) kind = "TrySyncError";
    else kind = "ok";
    if (kind !== "any") stats.syncExact++;
    const clockBefore = this.clock;
    if (kind === "ok" || kind === "any") this.enqueue(rec);
    let result: unknown;
    let threw = false;
    let error: unknown;
    try {
      result = this.forcing(() => this.invoke(h, "trySync", this.jobFn(rec)));
    } catch (e) {
      threw = true;
      error = e;
    }
    const others = this.recs.filter((r) => r.startedAt > clockBefore && r.h === h && r !== rec);
    const ownFailure = threw && rec.starts === 1 && rec.result !== null && !rec.result.ok &&
      rec.result.error === error;
    if (others.some((r) => r.startedAt < (rec.startedAt < 0 ? Infinity : rec.startedAt))) {
      this.fail(`${rec.label}: trySync() ran other jobs of its target`);
    }
    if (threw && !ownFailure) {
      this.unschedule(rec, error);
      const name = nameOf(error);
      stats.syncErrors[name] = (stats.syncErrors[name] ?? 0) + 1;
      if (rec.starts !== 0) this.fail(`${rec.label}: threw ${name} after running its job`);
      if (kind !== "any" && kind !== name) {
        this.fail(`${rec.label}: expected ${kind}, got ${describe(error)}`);
      }
      if (kind === "any" && name !== "TrySyncError") {
        this.fail(`${rec.label}: expected TrySyncError or success, got ${describe(error)}`);
      }
      if (kind === "ok") this.fail(`${rec.label}: expected to run, threw ${describe(error)}`);
      return;
    }
    if (rec.starts !== 1) {
      this.fail(`${rec.label}: returned without running its job`);
      return;
    }
    if (kind !== "ok" && kind !== "any") this.fail(`${rec.label}: expected ${kind}, but it ran`);
    this.checkInlineResult(rec, result, ownFailure);
  }

  /** `future.sync()`: the job's result now, running the jobs ahead of it if need be. */
  futureSyncCall(rec: JobRec): void {
    stats.syncCalls++;
    const h = rec.h;
    const label = `${rec.label}: SchedulerFuture.sync()`;
    // What must happen, per the docs.
    let kind: string;
    const prefix: JobRec[] = [];
    const inputFailed = rec.api === "after" && rec.input!.plan.outcome === "reject" &&
      rec.input!.state !== "pending";
    if (rec.follows !== null || rec.followsClose) kind = "any"; // settles with another promise
    else if (rec.releaseUnclear || rec.cancelUnclear) kind = "any";
    else if (rec.outcome !== null) kind = "done";
    else if (rec.cancelledAt >= 0) kind = "done"; // rejected at once with its abort reason
    else if (rec.starts === 1 && rec.releasedAt >= 0) kind = "done";
    else if (rec.starts === 0 && rec.abortedAt >= 0 && rec.api !== "after") kind = "done";
    else if (rec.starts === 0 && (rec.abortedAt >= 0 || inputFailed)) kind = "any"; // abort or input, whichever first
    else if (rec.starts === 1) {
      kind = this.syncStack.includes(h) ? "ReentrancyError" : "WouldBlockError";
    } else if (this.syncStack.includes(h)) kind = "ReentrancyError";
    else if (h.pipeTaint > 0 || rec.abortUnclear || this.unclearHold(h)) kind = "any";
    else if (this.busy(h)) kind = "WouldBlockError";
    else {
      const ahead = h.pending.filter((r) => r.seq <= rec.seq);
      kind = "run";
      for (const r of ahead) {
        if (r.abortUnclear || (r.api === "after" && r.input!.state === "settling")) kind = "any";
        else if (r.api === "suspend" || (r.api === "after" && r.input!.state === "pending")) {
          if (kind === "run") kind = "WouldBlockError";
        }
      }
      if (kind === "run") {
        let closing = false;
        for (const r of ahead) {
          if (r.api === "after" && r.input!.plan.outcome === "reject") {
            if (r === rec) kind = "any"; // fails at its turn, with its input's reason
            continue;
          }
          prefix.push(r);
          closing ||= this.mayClose(r.body!);
          const holds = this.holdsWhenRun(r, closing);
          if (holds === "unknown") {
            kind = "any";
            break;
          }
          if (holds === "yes") {
            kind = "WouldBlockError-after";
            break;
          }
        }
        const end = rec.body?.end;
        if (kind === "run" && (end === "ownFuture" || end === "ownClose")) kind = "any"; // pending on another promise
      }
    }
    if (kind !== "any") stats.syncExact++;
    const clockBefore = this.clock;
    let result: unknown;
    let threw = false;
    let error: unknown;
    try {
      result = this.forcing(() => rec.future!.sync());
    } catch (e) {
      threw = true;
      error = e;
    }
    const startedDuring = this.recs.filter((r) => r.startedAt > clockBefore && r.h === h).map((r) =>
      r.id
    );
    const name = nameOf(error);
    if (threw && (error instanceof WouldBlockError || error instanceof ReentrancyError)) {
      stats.syncErrors[name] = (stats.syncErrors[name] ?? 0) + 1;
    }
    const want = this.effective(rec);
    const ranToEnd = rec.starts === 1 && rec.endedAt >= 0 && rec.releasedAt >= 0 &&
      rec.follows === null && !rec.followsClose;
    // Whatever the prediction: a value or error must be the job's own.
    if (!threw) {
      const followed = rec.follows !== null || rec.followsClose || rec.holdsFor !== null;
      if ((!ranToEnd && !followed) || want === null || !want.ok || want.value !== result) {
        this.fail(`${label}: returned ${String(result)}, not the job's result`);
      }
    } else if (error instanceof WouldBlockError || error instanceof ReentrancyError) {
      if (ranToEnd && rec.startedAt <= clockBefore) {
        this.fail(`${label}: threw ${name} for a finished job`);
      }
    } else {
      const reasons = [
        want && !want.ok ? want.error : undefined,
        rec.abortReason,
        rec.input?.reason,
      ];
      if (!reasons.includes(error) || error === undefined) {
        this.fail(
          `${label}: threw ${describe(error)}, which is not the job's error or cancellation`,
        );
      }
    }
    switch (kind) {
      case "done":
      case "run":
        if (threw && (error instanceof WouldBlockError || error instanceof ReentrancyError)) {
          this.fail(`${label}: expected the job's outcome, got ${describe(error)}`);
        }
        if (kind === "run" && startedDuring.join() !== prefix.map((r) => r.id).join()) {
          this.fail(`${label}: ran [${startedDuring}], expected [${prefix.map((r) => r.id)}]`);
        }
        if (kind === "done" && startedDuring.length > 0) {
          this.fail(`${label}: ran jobs for a finished job`);
        }
        break;
      case "WouldBlockError-after": {
        // The job itself was the async one, and aborted its own signal while
        // it ran: it was released at once, so sync() throws the abort reason.
        const released = prefix[prefix.length - 1] === rec && rec.cancelledAt > clockBefore;
        if (released && (!threw || error !== rec.abortReason)) {
          this.fail(
            `${label}: the job aborted itself while running; expected its abort reason, got ${
              threw ? describe(error) : "a result"
            }`,
          );
        } else if (!released && name !== "WouldBlockError") {
          this.fail(`${label}: expected WouldBlockError, got ${describe(error)}`);
        }
        if (startedDuring.join() !== prefix.map((r) => r.id).join()) {
          this.fail(
            `${label}: ran [${startedDuring}] before WouldBlockError, expected [${
              prefix.map((r) => r.id)
            }]`,
          );
        }
        break;
      }
      case "WouldBlockError":
      case "ReentrancyError":
        if (name !== kind) {
          this.fail(`${label}: expected ${kind}, got ${threw ? describe(error) : "a result"}`);
        }
        if (startedDuring.length > 0) {
          this.fail(`${label}: threw ${name} but ran jobs [${startedDuring}]`);
        }
        break;
    }
  }

  // ------------------------------------------------------ suspend and resume

  suspend(h: Target, plan: AbortPlan): void {
    const rec = this.newRec(h, "suspend", null, "");
    const options = this.armAbort(rec, plan);
    const expected = this.callSiteError(h, "suspend");
    const preAborted = rec.controller?.signal.aborted === true;
    if (!preAborted && expected === null) this.enqueue(rec);
    let promise: Promise<QueueResumer>;
    try {
      promise = this.invoke(h, "suspend", undefined, options) as Promise<QueueResumer>;
    } catch (error) {
      this.checkCall(rec, expected, true, error);
      this.unschedule(rec, error);
      return;
    }
    this.checkCall(rec, expected, false, undefined);
    this.pull(rec); // the caller waits for the resumer
    rec.hasPromise = true;
    this.track(rec.label, promise);
    promise.then((resumer) => {
      rec.outcome = { ok: true, value: resumer, at: this.tick() };
      rec.reachedAt = rec.outcome.at;
      rec.abortUnclear = false;
      rec.resumer = resumer;
      this.unqueue(rec);
      // Every job scheduled before the suspension has finished.
      for (const other of this.recs) {
        if (
          other.h === h && other.seq >= 0 && other.seq < rec.seq && other.startedAt >= 0 &&
          other.endedAt < 0
        ) {
          this.fail(`${rec.label}: resumer delivered while ${other.label} was still running`);
        }
      }
      if (resumer.resumed) this.fail(`${rec.label}: resumer delivered already resumed`);
      h.resumers.push(rec);
      if (this.ending || rec.resumeRequested) this.resume(rec, false);
    }, (error) => {
      rec.outcome = { ok: false, error, at: this.tick() };
      rec.abortUnclear = false;
      this.unqueue(rec);
    });
  }

  resume(rec: JobRec, dispose: boolean): void {
    if (rec.resumer === null) {
      rec.resumeRequested = true;
      return;
    }
    if (rec.resumedAt >= 0) {
      rec.resumer.resume(); // idempotent
      return;
    }
    rec.resumedAt = this.tick();
    if (dispose) rec.resumer[Symbol.dispose]();
    else rec.resumer.resume();
    if (!rec.resumer.resumed) this.fail(`${rec.label}: resumer.resumed is false after resume()`);
  }

  resumeOldest(h: Target, dispose: boolean): void {
    const rec = h.resumers.find((r) => r.resumedAt < 0) ??
      this.recs.find((r) =>
        r.h === h && r.api === "suspend" && r.outcome === null && !r.resumeRequested
      );
    if (rec !== undefined) this.resume(rec, dispose);
  }

  // -------------------------------------------------------------------- close

  close(h: Target): Promise<void> {
    if (!h.closed) {
      if (!this.ending) stats.closes++;
      h.closed = true;
      h.closedAt = this.tick();
      h.pullTo = h.seqCounter; // close() drives everything queued, as Rust's drop syncs
    }
    const closable = h.desync ?? h.queue!;
    const promise = closable.close();
    if (h.closePromise === null) {
      h.closePromise = promise;
      this.track(`close of T${h.index}`, promise);
      promise.then(() => void (h.closeResolvedAt = this.tick()), (error) => {
        this.fail(`close of T${h.index} rejected: ${describe(error)}`);
      });
    } else if (promise !== h.closePromise) {
      this.fail(`T${h.index}: close() called again returned a different promise`);
    }
    if (!closable.closed) this.fail(`T${h.index}: .closed is false after close()`);
    return promise;
  }

  // ----------------------------------------------------------------- inputs

  /**
   * The input of an after() on `target`. A future input is a job on a
   * higher-numbered target: like awaited futureSync() calls from inside jobs,
   * every wait points upwards, so no program waits in a circle.
   */
  input(plan: InputPlan, target: Target): InputRec {
    const higher = this.targets.filter((x) => x.index > target.index && !x.closed);
    if (plan.from >= 0 && higher.length > 0) {
      return this.futureInput(plan, higher[plan.from % higher.length]);
    }
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const rec: InputRec = {
      promise,
      resolve,
      reject,
      plan,
      value: { input: this.inputs.length },
      reason: new Fault(`input ${this.inputs.length} rejected`),
      state: "pending",
      settledAt: -1,
      future: null,
    };
    this.inputs.push(rec);
    if (plan.when === "pre") this.settleInput(rec);
    else if (plan.when === "micro") queueMicrotask(() => this.settleInput(rec));
    else if (plan.when === "timer") this.later(this.inputs.length % 3, () => this.settleInput(rec));
    return rec;
  }

  /**
   * An input that is another job's SchedulerFuture: after() observes it
   * without pulling it, and pulls it once its own turn comes.
   */
  futureInput(plan: InputPlan, h: Target): InputRec {
    const child = this.newRec(h, "futureDesync", {
      steps: [{ s: "micro", n: 1 }],
      end: plan.outcome === "reject" ? "throw" : "return",
    }, " (an after() input)");
    child.presetError = new Fault(`input job ${child.id} failed`);
    // Not awaited by the program: the after() pulls it when its turn comes.
    const future = this.schedule(child, "none", "late") as SchedulerFuture<unknown>;
    const rec: InputRec = {
      promise: future as unknown as Promise<unknown>,
      resolve: () => {},
      reject: () => {},
      plan,
      value: child.token,
      reason: child.presetError,
      // When the library sees it settle is not known here: predictions accept either.
      state: "settling",
      settledAt: -1,
      future: child,
    };
    this.inputs.push(rec);
    return rec;
  }

  settleInput(input: InputRec): void {
    if (input.state !== "pending" || input.future !== null) return;
    input.state = "settling";
    input.settledAt = this.tick();
    if (input.plan.outcome === "resolve") {
      input.resolve(input.value);
    } else {
      stats.inputRejections++;
      input.reject(input.reason);
    }
  }

  // -------------------------------------------------------------------- pipes

  startPipe(spec: PipeSpec): void {
    const desyncs = this.targets.filter((x) => x.kind === "desync");
    if (desyncs.length === 0) return;
    const h = desyncs[spec.t % desyncs.length];
    const id = this.pipes.length;
    const p: PipeRec = {
      id,
      h,
      spec,
      items: Array.from({ length: spec.n }, (_, i) => ({ i })),
      results: Array.from({ length: spec.n }, (_, i) => ({ pipe: id, result: i })),
      srcError: new Fault(`source of pipe ${id} failed`),
      procErrors: new Map(),
      delivered: 0,
      processed: [],
      finished: 0,
      consumed: 0,
      received: [],
      outcome: null,
      abortReason: undefined,
      abortedAt: -1,
      closedAt: -1,
      cancelReason: undefined,
      hardStop: false,
      active: true,
      maxInFlight: 0,
    };
    this.pipes.push(p);
    h.pipes.push(p);
    h.pipeTaint++;
    if (spec.srcFail >= 0 && spec.srcFail <= spec.n) stats.sourceFailures++;
    let signal: AbortSignal | undefined;
    if (spec.abort !== "none") {
      const controller = new AbortController();
      signal = controller.signal;
      const abort = () => {
        if (controller.signal.aborted) return;
        p.abortedAt = this.tick();
        controller.abort(new Fault(`abort of pipe ${id}`));
        p.abortReason = controller.signal.reason;
      };
      if (spec.abort === "pre") abort();
      else if (spec.abort === "timer") this.later(id % 3, abort);
      else this.pipeControllers.push({ controller, pipe: p });
      p.abortNow = abort;
    }
    const process = (ref: unknown, item: unknown, itemSignal: AbortSignal): unknown =>
      this.pipeItem(p, ref, item as { i: number }, itemSignal);
    const options = { backpressure: spec.backpressure, signal };
    const expectClosed = h.closed;
    let outcome: Promise<unknown>;
    try {
      switch (spec.variant) {
        case "pipeIn":
          outcome = pipeIn(h.desync!, this.source(p), process, options);
          break;
        case "pipe":
        case "cancel":
          outcome = this.consume(p, pipe(h.desync!, this.source(p), process, options));
          break;
        case "sink":
          outcome = this.sourceStream(p).pipeTo(sink(h.desync!, process, options));
          break;
        default:
          outcome = this.consume(
            p,
            this.sourceStream(p).pipeThrough(transform(h.desync!, process, options)),
          );
      }
    } catch (error) {
      if (!expectClosed || !(error instanceof ClosedError)) {
        this.fail(`pipe ${id} (${spec.variant}) threw at the call site: ${describe(error)}`);
      }
      p.active = false;
      h.pipeTaint--;
      p.outcome = { ok: false, error, at: this.tick() };
      return;
    }
    if (expectClosed) this.fail(`pipe ${id} on a closed Desync did not throw ClosedError`);
    this.track(`pipe ${id} (${spec.variant})`, outcome);
    outcome.then(
      () => this.pipeEnded(p, { ok: true, value: undefined, at: this.tick() }),
      (error) => this.pipeEnded(p, { ok: false, error, at: this.tick() }),
    );
  }

  pipeEnded(p: PipeRec, outcome: Outcome): void {
    p.outcome = outcome;
    p.active = false;
    const soft = !p.hardStop &&
      (outcome.ok ? p.processed.length === p.spec.n : p.hardStop === false &&
        (outcome.error === p.srcError || outcome.error instanceof ClosedError));
    // After a hard stop, skipped items may still sit in the queue as no-ops.
    if (soft && p.spec.variant !== "sink" && p.spec.variant !== "transform") p.h.pipeTaint--;
  }

  pipeItem(p: PipeRec, ref: unknown, item: { i: number }, signal: AbortSignal): unknown {
    const h = p.h;
    stats.pipeItems++;
    const at = this.tick();
    if (h.active > 0) {
      this.fail(
        `pipe ${p.id}: item ${item.i} started while another job of T${h.index} was in progress`,
      );
    }
    if (p.processed.includes(item.i)) this.fail(`pipe ${p.id}: item ${item.i} processed twice`);
    p.processed.push(item.i);
    h.itemLog.push(at);
    h.active++;
    this.touch(h, ref, -1 - item.i);
    if (!(signal instanceof AbortSignal)) this.fail(`pipe ${p.id}: process received no signal`);
    const fails = item.i === p.spec.procFail;
    const finish = () => {
      h.active--;
      p.finished++;
      if (fails) {
        stats.processFailures++;
        const error = new Fault(`process of pipe ${p.id} failed on item ${item.i}`);
        p.procErrors.set(item.i, error);
        throw error;
      }
      return p.results[item.i];
    };
    this.syncStack.push(h);
    try {
      if (!p.spec.procAsync) return finish();
      return (async () => {
        await null;
        if (item.i % 2 === 1) await this.sleep(0);
        return finish();
      })();
    } finally {
      this.syncStack.pop();
    }
  }

  delivered(p: PipeRec): void {
    p.delivered++;
    const inFlight = p.delivered - (p.spec.variant === "pipeIn" ? p.finished : p.consumed);
    p.maxInFlight = Math.max(p.maxInFlight, inFlight);
  }

  source(p: PipeRec): Iterable<unknown> | AsyncIterable<unknown> | ReadableStream<unknown> {
    const { n, srcFail } = p.spec;
    if (p.spec.src === "stream") return this.sourceStream(p);
    if (p.spec.src === "array") {
      let i = 0;
      return {
        [Symbol.iterator]: () => ({
          next: () => {
            if (i === srcFail) throw p.srcError;
            if (i >= n) return { done: true, value: undefined };
            this.delivered(p);
            return { done: false, value: p.items[i++] };
          },
          return: () => ({ done: true, value: undefined }),
        }),
      };
    }
    return generate(this, p);
  }

  sourceStream(p: PipeRec): ReadableStream<unknown> {
    const { n, srcFail } = p.spec;
    let i = 0;
    return new ReadableStream<unknown>({
      pull: async (controller) => {
        await null;
        if (i === srcFail) {
          controller.error(p.srcError);
          return;
        }
        if (i >= n) {
          controller.close();
          return;
        }
        this.delivered(p);
        controller.enqueue(p.items[i++]);
      },
      cancel: () => {},
    }, { highWaterMark: 0 });
  }

  async consume(p: PipeRec, stream: ReadableStream<unknown>): Promise<void> {
    const reader = stream.getReader();
    const limit = p.spec.variant === "cancel" ? p.spec.k : Infinity;
    try {
      while (p.received.length < limit) {
        const { done, value } = await reader.read();
        if (done) return;
        p.consumed++;
        p.received.push(value);
      }
      stats.pipeCancels++;
      p.cancelReason = new Fault(`consumer of pipe ${p.id} cancelled`);
      p.hardStop = true;
      await reader.cancel(p.cancelReason);
    } finally {
      reader.releaseLock();
    }
  }

  // ----------------------------------------------------------------- the ops

  async step(op: Op): Promise<void> {
    stats.ops++;
    const targets = this.targets;
    switch (op.op) {
      case "desync": {
        const h = targets[op.t % targets.length];
        this.schedule(this.newRec(h, "desync", op.body, ""), op.abort, "none");
        break;
      }
      case "futureSync": {
        const h = targets[op.t % targets.length];
        const promise = this.schedule(
          this.newRec(h, "futureSync", op.body, ""),
          op.abort,
          "observe",
        );
        if (op.wait && promise !== undefined) await this.bounded(promise, 3);
        break;
      }
      case "futureDesync": {
        const h = targets[op.t % targets.length];
        const future = this.schedule(
          this.newRec(h, "futureDesync", op.body, ""),
          op.abort,
          op.mode,
        );
        if (op.mode === "await" && future !== undefined) await this.bounded(future, 3);
        break;
      }
      case "after": {
        const h = targets[op.t % targets.length];
        const input = this.input(op.input, h);
        const rec = this.newRec(h, "after", op.body, "");
        if (input.future !== null) input.future.inputOf = rec;
        const future = this.schedule(rec, op.abort, op.mode, input);
        if (op.mode === "await" && future !== undefined) await this.bounded(future, 3);
        break;
      }
      case "sync":
        this.syncCall(targets[op.t % targets.length], op.body, "");
        break;
      case "trySync":
        this.trySyncCall(targets[op.t % targets.length], op.body, "");
        break;
      case "suspend":
        this.suspend(targets[op.t % targets.length], op.abort);
        break;
      case "resume":
        this.resumeOldest(targets[op.t % targets.length], op.dispose);
        break;
      case "futureSyncCall": {
        const futures = this.recs.filter((r) => r.future !== null && r.seq >= 0);
        if (futures.length > 0) this.futureSyncCall(futures[op.k % futures.length]);
        break;
      }
      case "abort": {
        const live = this.controllers.filter((r) => !r.controller!.signal.aborted);
        const pipes = this.pipeControllers.filter((x) => !x.controller.signal.aborted);
        const total = live.length + pipes.length;
        if (total === 0) break;
        const k = op.k % total;
        if (k < live.length) this.abort(live[k]);
        else pipes[k - live.length].pipe.abortNow!();
        break;
      }
      case "settle": {
        const pending = this.inputs.filter((x) =>
          x.state === "pending" && x.plan.when === "op" && x.future === null
        );
        if (pending.length > 0) this.settleInput(pending[op.k % pending.length]);
        break;
      }
      case "wait": {
        const sched = this.scheds[op.s % this.scheds.length];
        switch (op.w) {
          case "micro":
            for (let i = 0; i < op.n * 3; i++) await null;
            break;
          case "macro":
            await this.sleep(0);
            break;
          case "timer":
            await this.sleep(1);
            break;
          case "runReady": {
            const started = this.forcing(() => sched.s.runReady());
            if (!Number.isInteger(started) || started < 0) {
              this.fail(`runReady() returned ${started}`);
            }
            break;
          }
          default: {
            // In manual mode it runs ready work whatever the budget, until idle.
            const idle = this.forcing(() => sched.s.runUntilIdle());
            sched.untilIdle++;
            const done = () => void sched.untilIdle--;
            idle.then(done, done);
            await this.bounded(idle, 4);
          }
        }
        break;
      }
      case "close":
        this.close(targets[op.t % targets.length]);
        break;
      case "setMax": {
        const sched = this.scheds[op.s % this.scheds.length];
        sched.s.maxConcurrency = op.value;
        if (sched.s.manual !== (op.value === 0)) {
          this.fail(`manual is wrong after maxConcurrency = ${op.value}`);
        }
        break;
      }
      case "pipe":
        this.startPipe(op);
        break;
    }
  }

  // -------------------------------------------------------------------- run

  async run(): Promise<string[]> {
    stats.programs++;
    this.setup();
    for (const op of this.program.ops) await this.step(op);
    await this.quiesce();
    this.checkLiveness();
    await this.settleEverything();
    this.check();
    return this.violations;
  }

  /**
   * Lets everything run that can without the program's help: timers,
   * microtasks, and the scheduler's drains (which yield to the event loop
   * with macrotask hops), until nothing happened for a few hops.
   */
  async quiesce(): Promise<void> {
    let quiet = 0;
    for (let round = 0; round < 500 && quiet < 8; round++) {
      if (this.timers.size > 0) {
        await Promise.all([...this.timers]);
        quiet = 0;
        continue;
      }
      const before = this.clock;
      await macrotask();
      quiet = this.clock === before ? quiet + 1 : 0;
    }
  }

  /**
   * Liveness, once the program went quiet: on a target nothing holds, the
   * next job must have started if a caller pulled it (futureSync, an awaited
   * future, suspend, close, an after() waiting for a future input), whatever
   * the budget and also in manual mode, or if its scheduler's budget has
   * room for background work.
   */
  checkLiveness(): void {
    const budget = new Map<Sched, "room" | "full" | "unknown">();
    for (const sched of this.scheds) {
      const max = sched.s.maxConcurrency;
      const targets = this.targets.filter((h) => h.sched === sched);
      if (max === 0) budget.set(sched, "full");
      else if (targets.some((h) => h.pipes.length > 0)) budget.set(sched, "unknown");
      else {
        const inFlight = targets.filter((h) =>
          h.startLog.some((r) => r.releasedAt < 0 && this.holds(r))
        ).length;
        budget.set(sched, inFlight < max ? "room" : "full");
      }
    }
    // The next job of each target nothing holds (null: held, or not known).
    const heads = new Map<Target, JobRec | null>();
    for (const h of this.targets) {
      const head = h.pending[0];
      const known = head !== undefined && !head.abortUnclear && h.pipes.length === 0;
      heads.set(h, known && !this.busy(h) ? head : null);
    }
    // Pulled for sure: the callers' pulls, and future inputs whose after()
    // is, for sure, waiting for them (it reached its turn with room to start).
    const pulled = new Map<Target, number>(this.targets.map((h) => [h, h.pullTo]));
    for (let changed = true; changed;) {
      changed = false;
      for (const c of this.recs) {
        const after = c.inputOf;
        if (after === null || !c.queued || c.startedAt >= 0) continue;
        if (after.abortedAt >= 0 || heads.get(after.h) !== after) continue;
        const runnable = pulled.get(after.h)! >= after.seq || budget.get(after.h.sched) === "room";
        if (runnable && pulled.get(c.h)! < c.seq) {
          pulled.set(c.h, c.seq);
          changed = true;
        }
      }
    }
    for (const h of this.targets) {
      const head = heads.get(h);
      if (head === null || head === undefined) continue;
      stats.livenessChecks++;
      let why = "";
      if (head.api === "suspend") {
        if (head.reachedAt < 0 && head.abortedAt < 0) why = "suspend() pulled it";
      } else {
        if (head.api === "after") {
          const input = head.input!;
          const child = input.future;
          if (child === null && (input.state === "pending" || input.plan.outcome === "reject")) {
            continue; // waits for its input (or is dropped at its turn)
          }
          if (child !== null && (child.outcome === null || !child.outcome.ok)) continue;
        }
        if (pulled.get(h)! >= head.seq) why = "a caller pulled it";
        else if (budget.get(h.sched) === "room") {
          why = `its scheduler's budget (${h.sched.s.maxConcurrency}) has room`;
        }
      }
      if (why !== "") {
        this.fail(
          `${head.label}: never started once the program went quiet, though nothing holds ` +
            `T${h.index} and ${why}`,
        );
      }
    }
  }

  allSettled(): boolean {
    return this.tracked.every((x) => x.settled) &&
      this.recs.every((r) => r.startedAt < 0 || r.endedAt >= 0) &&
      this.recs.every((r) => r.future === null || !r.detached || r.future.done);
  }

  async settleEverything(): Promise<void> {
    this.ending = true;
    for (const input of this.inputs) this.settleInput(input);
    for (const rec of this.recs) {
      if (rec.api === "suspend") this.resume(rec, false);
    }
    for (const h of this.targets) this.close(h);
    const deadline = performance.now() + 3000;
    let rounds = 0;
    while (!this.allSettled() && performance.now() < deadline) {
      rounds++;
      for (const sched of this.scheds) {
        if (sched.s.manual) sched.s.runReady();
      }
      for (const rec of this.recs) {
        if (rec.api === "suspend" && rec.resumer !== null && rec.resumedAt < 0) {
          this.resume(rec, false);
        }
      }
      if (rounds % 4 === 0) await this.sleep(0);
      else for (let i = 0; i < 10; i++) await null;
    }
    if (!this.allSettled()) {
      const open = this.tracked.filter((x) => !x.settled).map((x) => x.label);
      const running = this.recs.filter((r) => r.startedAt >= 0 && r.endedAt < 0).map((r) =>
        r.label
      );
      const detached = this.recs.filter((r) => r.future !== null && r.detached && !r.future.done)
        .map((r) => r.label);
      this.fail(
        `not settled 3 s after closing everything: promises [${open.join("; ")}], ` +
          `jobs still running [${running.join("; ")}], detached futures [${detached.join("; ")}]`,
      );
    }
    for (const sched of this.scheds) await this.bounded(sched.s.runUntilIdle(), 20);
    // Detached futures: their outcome, now that they settled.
    for (const rec of this.recs) {
      if (rec.detached && rec.future !== null && rec.future.done) {
        rec.future.then(
          (value) => void (rec.outcome = { ok: true, value, at: this.tick() }),
          (error) => void (rec.outcome = { ok: false, error, at: this.tick() }),
        );
      }
    }
    await this.sleep(0); // error reports are delivered in microtasks; let them all arrive
    while (this.timers.size > 0) await Promise.all([...this.timers]);
  }

  // ------------------------------------------------------------------ checks

  /** The outcome a job's promise must have, given what happened to the job. */
  effective(rec: JobRec): Outcome | null {
    if (rec.cancelledAt >= 0) return { ok: false, error: rec.abortReason, at: rec.cancelledAt };
    return this.finalResult(rec);
  }

  /**
   * Whether an abort released `rec`'s caller while the job ran (for an abort
   * just as it let its target go, as its promise shows; a job without one
   * reports the same either way).
   */
  wasCancelled(rec: JobRec): boolean {
    if (rec.cancelledAt >= 0) return true;
    const o = rec.outcome;
    return rec.cancelUnclear && o !== null && !o.ok && o.error === rec.abortReason;
  }

  /** What the job ended with, once what it returned settled (its result, if its caller was released). */
  finalResult(rec: JobRec): Outcome | null {
    if (rec.holdsFor !== null && rec.result?.ok) return this.effective(rec.holdsFor);
    if (rec.followsClose && rec.result?.ok) {
      return { ok: true, value: undefined, at: rec.result.at };
    }
    if (rec.follows !== null && rec.result?.ok) {
      const child = rec.follows;
      if (child.callError !== undefined) return rec.result;
      return child.outcome ?? this.effective(child);
    }
    return rec.result;
  }

  check(): void {
    for (const rec of this.recs) this.checkJob(rec);
    for (const h of this.targets) this.checkTarget(h);
    for (const p of this.pipes) this.checkPipe(p);
    this.checkReports();
    if (this.stray.length > 0) {
      this.fail(`reached reportError or unhandledrejection: ${this.stray.join("; ")}`);
    }
  }

  checkJob(rec: JobRec): void {
    if (rec.seq < 0) {
      if (rec.starts > 0 && rec.callError === undefined) {
        this.fail(`${rec.label}: ran but was not scheduled`);
      }
      return;
    }
    if (rec.starts > 1) return; // already reported
    if (rec.api === "suspend") {
      const o = rec.outcome;
      if (o === null) this.fail(`${rec.label}: never settled`);
      else if (!o.ok && o.error !== rec.abortReason) {
        this.fail(`${rec.label}: rejected with ${describe(o.error)}, expected its abort reason`);
      } else if (!o.ok && rec.abortedAt < 0) this.fail(`${rec.label}: rejected without an abort`);
      return;
    }
    if (rec.starts === 1 && rec.endedAt < 0) this.fail(`${rec.label}: never finished`);
    const o = rec.outcome;
    if (rec.starts === 0) {
      const aborted = rec.abortedAt >= 0;
      const inputRejected = rec.input?.plan.outcome === "reject";
      if (!aborted && !inputRejected) {
        this.fail(
          `${rec.label}: never ran, though it was neither aborted nor given a rejected input`,
        );
        return;
      }
      if (rec.hasPromise && o !== null) {
        const reasons = [
          aborted ? rec.abortReason : undefined,
          inputRejected ? rec.input!.reason : undefined,
        ];
        if (o.ok) this.fail(`${rec.label}: never ran, yet its promise fulfilled`);
        else if (!reasons.includes(o.error) || o.error === undefined) {
          this.fail(
            `${rec.label}: never ran; rejected with ${
              describe(o.error)
            }, expected its abort or input reason`,
          );
        }
      }
      return;
    }
    if (!rec.hasPromise || rec.api === "sync" && rec.outcome === null) return;
    const want = this.effective(rec);
    if (o === null) {
      this.fail(`${rec.label}: its promise never settled`);
      return;
    }
    if (want === null) return;
    if (this.wasCancelled(rec) && rec.cancelledAt < 0) return; // aborted just as it let go: released

    if (o.ok !== want.ok) {
      this.fail(
        `${rec.label}: promise ${
          o.ok ? "fulfilled" : `rejected (${describe((o as { error: unknown }).error)})`
        }` +
          `, but the job ${want.ok ? "returned" : "failed"}`,
      );
    } else if (o.ok && want.ok && o.value !== want.value) {
      this.fail(`${rec.label}: promise fulfilled with the wrong value`);
    } else if (!o.ok && !want.ok && o.error !== want.error) {
      this.fail(`${rec.label}: promise rejected with ${describe(o.error)}, not the job's error`);
    }
    if (rec.cancelledAt >= 0) {
      // Released at once: before the job let its target go, if it was aborted
      // while its code still ran (the rejection was queued before the job's
      // own promise could settle).
      if (o.at < rec.cancelledAt) this.fail(`${rec.label}: promise settled before its abort`);
      if (
        rec.cancelledBeforeEnd && this.holds(rec) && !rec.detached && rec.releasedAt >= 0 &&
        o.at > rec.releasedAt
      ) {
        this.fail(
          `${rec.label}: aborted while running, but its promise settled only after the job ` +
            `let its target go; the caller must be released at once`,
        );
      }
    } else if (o.at < rec.endedAt) {
      this.fail(`${rec.label}: promise settled before the job finished`);
    }
  }

  checkTarget(h: Target): void {
    // FIFO: jobs started in the order they were scheduled.
    let last = 0;
    for (const rec of h.startLog) {
      if (rec.seq < last) {
        this.fail(
          `T${h.index}: ${rec.label} (seq ${rec.seq}) started after a job scheduled later (seq ${last})`,
        );
      }
      last = Math.max(last, rec.seq);
    }
    // Holds: nothing scheduled after a held position started before it was let go.
    for (const rec of this.recs) {
      if (rec.h !== h || rec.seq < 0 || rec.startedAt >= 0) continue;
      let releasedAt: number;
      if (rec.api === "suspend") {
        if (rec.reachedAt < 0) releasedAt = rec.abortedAt;
        else releasedAt = rec.resumedAt;
      } else {
        const times = [
          rec.abortedAt,
          rec.input?.plan.outcome === "reject"
            ? (rec.input.future !== null ? rec.input.future.endedAt : rec.input.settledAt)
            : -1,
        ]
          .filter((x) => x >= 0);
        releasedAt = times.length > 0 ? Math.min(...times) : -1;
      }
      if (releasedAt < 0) continue;
      for (const later of h.startLog) {
        if (later.seq > rec.seq && later.startedAt < releasedAt) {
          this.fail(`T${h.index}: ${later.label} started before ${rec.label} let the target go`);
        }
      }
    }
    // A job that returned another target's future holds its target until that
    // future's job has finished.
    for (const rec of this.recs) {
      const child = rec.holdsFor;
      if (rec.h !== h || child === null) continue;
      for (const later of h.startLog) {
        if (later.seq > rec.seq && (child.endedAt < 0 || later.startedAt < child.endedAt)) {
          this.fail(
            `T${h.index}: ${later.label} started before ${child.label}, which ${rec.label} ` +
              `returned, had finished`,
          );
        }
      }
      if (h.closeResolvedAt >= 0 && (child.endedAt < 0 || child.endedAt > h.closeResolvedAt)) {
        this.fail(
          `T${h.index}: close() resolved before ${child.label}, held by ${rec.label}, finished`,
        );
      }
    }
    // Close resolved only after everything scheduled had finished.
    if (h.closeResolvedAt >= 0) {
      for (const rec of this.recs) {
        if (rec.h === h && rec.startedAt >= 0 && rec.endedAt > h.closeResolvedAt) {
          this.fail(`T${h.index}: close() resolved before ${rec.label} finished`);
        }
        if (
          rec.h === h && rec.api === "suspend" && rec.reachedAt >= 0 &&
          rec.resumedAt > h.closeResolvedAt
        ) {
          this.fail(`T${h.index}: close() resolved before ${rec.label} was resumed`);
        }
      }
    } else if (h.closePromise !== null) {
      this.fail(`T${h.index}: close() never resolved`);
    }
    // The Desync's data saw the jobs in the order they started.
    if (h.kind === "desync" && h.ref !== null) {
      const expected = this.recs.filter((r) => r.h === h && r.startedAt >= 0)
        .map((r) => ({ at: r.startedAt, id: r.id }));
      const seen = new Set(h.ref.value);
      for (const { id } of expected) {
        if (!seen.has(id)) this.fail(`T${h.index}: the data lost the mark of job #${id}`);
      }
      const ids = h.ref.value.filter((x) => x > 0);
      const order = expected.sort((a, b) => a.at - b.at).map((x) => x.id);
      if (ids.join() !== order.join()) {
        this.fail(`T${h.index}: the data's order [${ids}] is not the start order [${order}]`);
      }
    }
  }

  checkPipe(p: PipeRec): void {
    const { spec } = p;
    const label =
      `pipe ${p.id} (${spec.variant}, ${spec.src}, n=${spec.n}, bp=${spec.backpressure})`;
    p.processed.forEach((item, index) => {
      if (item !== index) {
        this.fail(`${label}: processed items [${p.processed}] are not a prefix in order`);
      }
    });
    if (p.outcome === null) {
      this.fail(`${label}: never ended`);
      return;
    }
    if (p.outcome.at >= 0 && p.processed.length > p.delivered) {
      this.fail(`${label}: processed more than delivered`);
    }
    const inFlightLimit = spec.backpressure + (spec.variant === "pipeIn" ? 0 : 1);
    if (spec.variant === "pipeIn" || spec.variant === "pipe" || spec.variant === "cancel") {
      if (p.maxInFlight > inFlightLimit) {
        this.fail(
          `${label}: ${p.maxInFlight} items in flight, back-pressure is ${spec.backpressure}`,
        );
      }
    }
    if (spec.variant === "pipe" || spec.variant === "cancel" || spec.variant === "transform") {
      p.received.forEach((value, index) => {
        if (value !== p.results[index]) {
          this.fail(`${label}: result ${index} is not item ${index}'s`);
        }
      });
      if (p.received.length > p.processed.length) {
        this.fail(`${label}: more results than processed items`);
      }
    }
    const srcFails = spec.srcFail >= 0 && spec.srcFail <= spec.n;
    const o = p.outcome;
    if (spec.variant === "cancel" && p.cancelReason !== undefined && o.ok) return;
    // workerd's pipeTo() fulfils where the Streams standard rejects, when the
    // destination is errored (a sink stopped, aborted or closed) while no write
    // is pending;
    // the pipe's own part (what it processed, in order) was checked above.
    if (
      WORKERD && spec.variant === "sink" && o.ok &&
      (p.hardStop || p.abortedAt >= 0 || p.h.closedAt >= 0)
    ) return;
    if (o.ok) {
      if (p.processed.length !== spec.n) {
        this.fail(`${label}: ended successfully after ${p.processed.length} of ${spec.n} items`);
      }
      if (srcFails) this.fail(`${label}: ended successfully though its source failed`);
      if (spec.procFail >= 0 && spec.procFail < spec.n) {
        this.fail(`${label}: ended successfully though process failed`);
      }
      if (spec.variant !== "pipeIn" && spec.variant !== "sink" && p.received.length !== spec.n) {
        this.fail(`${label}: delivered ${p.received.length} of ${spec.n} results`);
      }
      return;
    }
    const error = o.error;
    if (error === p.srcError) {
      if (!srcFails) this.fail(`${label}: failed with the source's error, which never happened`);
      if (
        spec.variant !== "sink" && spec.variant !== "transform" &&
        p.processed.length !== spec.srcFail
      ) {
        this.fail(
          `${label}: source failed after ${spec.srcFail} items but ${p.processed.length} were processed`,
        );
      }
    } else if ([...p.procErrors.values()].includes(error as Fault)) {
      const j = [...p.procErrors.entries()].find(([, e]) => e === error)![0];
      if (p.processed[p.processed.length - 1] !== j) {
        this.fail(
          `${label}: process failed on item ${j}, but items [${p.processed}] were processed`,
        );
      }
      if (spec.variant === "pipe" && p.received.length !== j) {
        this.fail(
          `${label}: process failed on item ${j}; ${p.received.length} results came before the error`,
        );
      }
    } else if (p.abortReason !== undefined && error === p.abortReason) {
      // aborted
    } else if (error instanceof ClosedError) {
      if (p.h.closedAt < 0) this.fail(`${label}: ClosedError, but its Desync was never closed`);
    } else {
      this.fail(`${label}: failed with an unexpected error: ${describe(error)}`);
    }
  }

  checkReports(): void {
    const expected: { sink: number; error: unknown; label: string }[] = [];
    for (const rec of this.recs) {
      if (rec.seq < 0) continue;
      const sink = rec.h.sink;
      if (this.wasCancelled(rec)) {
        // Its caller was released by the abort, so nobody else sees what the
        // job ends with: an error other than its own abort reason is reported.
        const result = this.finalResult(rec);
        if (result !== null && !result.ok && result.error !== rec.abortReason) {
          stats.reportsAfterCancel++;
          expected.push({ sink, error: result.error, label: `${rec.label} (after its abort)` });
        }
      } else if (rec.api === "desync") {
        const want = rec.starts === 1 ? this.effective(rec) : null;
        // Ending with its own abort reason is a cancellation, not an error.
        const cancelled = rec.abortedAt >= 0 && want !== null && !want.ok &&
          want.error === rec.abortReason;
        if (want !== null && !want.ok && !cancelled) {
          expected.push({ sink, error: want.error, label: rec.label });
        }
      } else if (rec.detached) {
        const o = rec.outcome;
        if (o === null || o.ok) continue;
        const isAbort = rec.abortedAt >= 0 && o.error === rec.abortReason;
        // A job that ran and ended with its own abort reason is a cancellation.
        if (isAbort && (rec.starts === 1 || !DETACHED_ABORTS_ARE_REPORTED)) continue;
        expected.push({ sink, error: o.error, label: rec.label });
      }
    }
    const actual = [...this.reports];
    for (const want of expected) {
      const index = actual.findIndex((r) => r.error === want.error);
      if (index < 0) {
        this.fail(`${want.label}: its error (${describe(want.error)}) was never reported`);
        continue;
      }
      const [got] = actual.splice(index, 1);
      if (got.sink !== want.sink) {
        this.fail(`${want.label}: error reported to sink ${got.sink}, not ${want.sink}`);
      }
      const again = actual.findIndex((r) => r.error === want.error);
      if (again >= 0) this.fail(`${want.label}: error reported twice`);
    }
    // A pipe's source error: if the pipe did not end with it (it stopped for
    // another reason first), the error may reach the handler instead, once.
    for (const p of this.pipes) {
      const index = actual.findIndex((r) => r.error === p.srcError);
      if (index < 0) continue;
      const [got] = actual.splice(index, 1);
      const label = `pipe ${p.id} (${p.spec.variant})`;
      if (p.outcome !== null && !p.outcome.ok && p.outcome.error === p.srcError) {
        this.fail(
          `${label}: its source's error was delivered twice: the pipe failed with it, and it was reported`,
        );
      }
      if (got.sink !== p.h.sink) {
        this.fail(`${label}: its source's error was reported to sink ${got.sink}`);
      }
      if (actual.some((r) => r.error === p.srcError)) {
        this.fail(`${label}: its source's error was reported twice`);
        while (actual.some((r) => r.error === p.srcError)) {
          actual.splice(actual.findIndex((r) => r.error === p.srcError), 1);
        }
      }
    }
    for (const extra of actual) {
      const owner = this.recs.find((r) =>
        r.abortReason === extra.error ||
        r.outcome && !r.outcome.ok && r.outcome.error === extra.error
      );
      const cancelled = owner !== undefined && owner.detached && owner.starts === 0 &&
        owner.abortReason === extra.error;
      this.fail(
        cancelled
          ? `${owner!.label}: a cancelled detached future was reported to the error handler ` +
            `(its abort reason ${
              describe(extra.error)
            }); desync(job, { signal }) never reports its ` +
            `abort, and a future detached before its abort is not reported either`
          : `unexpected report to sink ${extra.sink}: ${describe(extra.error)}${
            owner
              ? ` (${owner.label}, detached=${owner.detached}, aborted=${owner.abortedAt >= 0})`
              : ""
          }`,
      );
    }
  }
}

const setImmediateFn = (globalThis as { setImmediate?: (callback: () => void) => unknown })
  .setImmediate;

/** One hop of the event loop, the way the scheduler yields to it (cheaper than a timer). */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (setImmediateFn !== undefined) setImmediateFn(resolve);
    else setTimeout(resolve, 0);
  });
}

/** An async generator source for pipe `p`: awaits between items, may fail. */
async function* generate(run: Run, p: PipeRec): AsyncGenerator<unknown> {
  const { n, srcFail } = p.spec;
  for (let i = 0; i <= n; i++) {
    if (i % 2 === 0) await null;
    else await run.sleep(0);
    if (i === srcFail) throw p.srcError;
    if (i === n) return;
    run.delivered(p);
    yield p.items[i];
  }
}
