// Copyright 2026 the desync authors. MIT license.
// The state machine of one job queue: how its jobs run, hold the queue and
// release it. QueueCore (queue_core.ts) adds the entry points of the
// operations; the public Desync and JobQueue classes are thin wrappers; and
// SchedulerCore (scheduler_core.ts) decides when queues run. This file and
// scheduler_core.ts are two halves of one machine; the fields each writes
// are listed below.
//
// Glossary
// - job: what a caller scheduled. Plain `desync(fn)` jobs are stored as bare
//   functions; every other job is a `Job` record (job.ts).
// - held: a job is in progress beyond its synchronous part (its promise is
//   pending, an `after` waits for its input, or a `suspend` waits for its
//   resumer). Later jobs wait; that is what keeps a job exclusive across
//   `await`s.
// - background work: `desync`, `futureDesync`, `after` and pipe items. The
//   scheduler starts it in a microtask, within its concurrency budget.
// - foreground work: a caller waits (`futureSync`, an awaited
//   SchedulerFuture, `close`, `suspend`; `sync` runs on the caller's stack).
//   Its queue is *pulled* up to the job the caller waits for (`pullTo`),
//   whatever the budget: that is what makes nested waits deadlock-free.
// - afterReady: an `after` job whose input settled; it runs before the
//   ring's next entry.
//
// States and transitions (`state`; the scheduler keeps one count per held
// state, changed only through `#enterHeld` and `#release`):
//
//   from       event                                  to         scheduler
//   IDLE       a job starts (runNext, inline)         RUNNING    -
//   RUNNING    it returns or throws                   IDLE       -
//   RUNNING    it returns a promise                   ASYNC      inFlight++
//   ASYNC      the promise settles                    IDLE       inFlight--, progressed
//   IDLE       an after() reaches the head, input     INPUT      waiting++
//              pending
//   INPUT      the input settles, or the job aborts   IDLE       waiting--, progressed
//   IDLE       a suspend() reaches the head           SUSPENDED  -
//   SUSPENDED  resume(), or the resumer is collected  IDLE       progressed
//
// An abort while ASYNC rejects the job's promise at once but changes no
// state: the queue stays held until the job settles.
//
// Invariants
// - At most one job of a queue is in progress (RUNNING or held); only IDLE
//   queues start jobs.
// - Every IDLE queue with work is on its scheduler's ready list
//   (`scheduled`); one whose next job a caller waits for is also on the pull
//   list. `restoreInvariants()` re-establishes this after every change.
// - Jobs start in the order they were scheduled; `seq` numbers that order.
// - No user code (jobs aside) runs inside a transition: error handlers are
//   called in a later microtask.
//
// Field ownership: `scheduled`, `pullQueued` and `pullTo` are written by
// SchedulerCore; `inFlight` and `waiting` (on SchedulerCore) change only in
// `SchedulerCore.held`/`released`; everything else here belongs to QueueCore.
//
// Deliberate tricks, measured: the queue *is* its ring (QueueCore extends
// Ring, one object and one pointer hop less per job); plain jobs are bare
// functions in the ring (no record, no allocation); one module variable,
// `outcome`, carries a job's classified result (no field per queue: an idle
// Desync is 280 bytes); `Job.value` is overloaded per kind (see job.ts).

import { watch } from "./abort.ts";
import { asFuture, createResumer, futureQueue, pull } from "./future.ts";
import {
  type AnyFunction,
  FULFILLED,
  isKnownAsync,
  isThenable,
  Job,
  KIND_AFTER,
  KIND_FUTURE,
  KIND_ITEM,
  KIND_PLAIN,
  KIND_SUSPEND,
  PENDING,
  promiseFor,
  REJECTED,
  type Settlement,
} from "./job.ts";
import * as messages from "./messages.ts";
import { Ring } from "./ring.ts";
import type { SchedulerCore } from "./scheduler_core.ts";
import type { ErrorHandler } from "./types.ts";

export const IDLE = 0;
export const RUNNING = 1;
export const ASYNC = 2;
export const INPUT = 3;
export const SUSPENDED = 4;
/** A queue's state; see the transition table above. */
export type QueueState =
  | typeof IDLE
  | typeof RUNNING
  | typeof ASYNC
  | typeof INPUT
  | typeof SUSPENDED;
/** The states in which a job holds the queue beyond its synchronous part. */
export type HeldState = typeof ASYNC | typeof INPUT | typeof SUSPENDED;

/** What the last `#call` or `#classify` produced (see `outcome`). */
const RETURNED = 0; // a plain value
const THREW = 1; // an exception (also from reading a `then` getter)
const HOLDS = 2; // a promise: the queue is held until it settles
const FOLLOWS = 3; // this queue's own future or close(): settle with it, without holding
type Outcome = typeof RETURNED | typeof THREW | typeof HOLDS | typeof FOLLOWS;

/**
 * The outcome of the job that just ran. One variable serves all queues: it is
 * set after the job's own code (and anything it ran on other queues) has
 * returned, and read right away, before any other job can run.
 */
let outcome: Outcome = RETURNED;

type Entry = AnyFunction | Job;

/**
 * State that few queues need (closing ones, ones with pipes, jobs following
 * their own queue's promise under a signal): one lazily made object, so that
 * an idle queue pays one field for all of it.
 */
interface Extras {
  /** Told when close() is called (pipes stop reading then). */
  closeListeners: Set<() => void> | null;
  /** Settles the close() promise once the queue has drained. */
  closeJob: Job | null;
  closePromise: Promise<void> | null;
  /** Jobs with a signal that returned this queue's own future or close() and follow it. */
  following: Set<Job> | null;
}

/**
 * The state machine of one queue: its jobs are the ring it extends (aborted
 * entries included, as tombstones, until they reach the head). QueueCore
 * (queue_core.ts) adds the operations' entry points.
 */
export class QueueMachine extends Ring<Entry> {
  readonly scheduler: SchedulerCore;
  /**
   * What jobs receive first: a Desync's data cell (its `Ref`); `undefined`
   * for a bare JobQueue, whose jobs receive no data argument. (Compared with
   * `undefined` rather than a sentinel symbol: V8 does not constant-fold an
   * exported binding, and the generic comparison with one more than doubled
   * the cost of `sync`.)
   */
  readonly ref: object | undefined;
  onError: ErrorHandler | undefined;

  state: QueueState = IDLE;
  /** On the scheduler's ready list (written by SchedulerCore). */
  scheduled = false;
  /** On the scheduler's pull list (written by SchedulerCore). */
  pullQueued = false;
  /** Foreground work: a caller waits for the jobs up to this `seq` (written by SchedulerCore). */
  pullTo = 0;
  /** Aborted jobs still in the ring. */
  aborted = 0;
  /** Queued jobs known to need waiting: suspensions, afters with a pending input. */
  knownAsync = 0;
  /** Jobs ever queued; a job's `seq` is this count once it is pushed. */
  enqueued = 0;
  /** The job holding the queue while held (null for a plain async job). */
  current: Job | null = null;
  /** An `after` job whose input settled: it runs before the ring's next entry. */
  afterReady: Job | null = null;
  closed = false;
  protected extras: Extras | null = null;
  /** The callbacks that end an async job; one job is in flight at a time, so one pair serves all. */
  #settlers: { ok: (value: unknown) => void; failed: (reason: unknown) => void } | null = null;

  constructor(
    scheduler: SchedulerCore,
    ref: object | undefined,
    onError: ErrorHandler | undefined,
  ) {
    super();
    this.scheduler = scheduler;
    this.ref = ref;
    this.onError = onError;
  }

  /** What the queue serves, for messages. */
  get label(): string {
    return this.ref === undefined ? "JobQueue" : "Desync";
  }

  /** Jobs waiting to start, not counting aborted ones. */
  get size(): number {
    return this.length - this.aborted;
  }

  /** How many jobs left the ring (ran, or were dropped as aborted). */
  get dequeued(): number {
    return this.enqueued - this.length;
  }

  get suspended(): boolean {
    return this.state === SUSPENDED;
  }

  /** A job is in progress: running, held (but not suspended), or an after() about to run. */
  get running(): boolean {
    return this.state === IDLE ? this.afterReady !== null : this.state !== SUSPENDED;
  }

  /** Registers a listener told when close() is called. */
  addCloseListener(listener: () => void): void {
    (this.#extras().closeListeners ??= new Set()).add(listener);
  }

  removeCloseListener(listener: () => void): void {
    this.extras?.closeListeners?.delete(listener);
  }

  /** The extras, made on first use. */
  protected extrasMade(): Extras {
    return this.#extras();
  }

  #extras(): Extras {
    return this.extras ??= {
      closeListeners: null,
      closeJob: null,
      closePromise: null,
      following: null,
    };
  }

  /** Whether a job is waiting to start (aborted entries do not count). */
  hasWork(): boolean {
    return this.afterReady !== null || this.length > this.aborted;
  }

  /** Whether the next job is within what a caller waits for. */
  isPulled(): boolean {
    if (this.afterReady !== null) return this.afterReady.seq <= this.pullTo;
    return this.length > this.aborted && this.dequeued < this.pullTo;
  }

  // ------------------------------------------------------------------ running

  /**
   * Starts the next job. Precondition: IDLE with work. The job may leave the
   * queue IDLE (it finished) or held; the caller restores the invariants.
   * @returns whether a job started (false for an aborted entry that was
   *   dropped, or for the second half of an `after` job)
   */
  runNext(): boolean {
    const afterReady = this.afterReady;
    if (afterReady !== null) {
      this.afterReady = null;
      this.#runRecord(afterReady, true);
      return false;
    }
    const entry = this.shift()!;
    if (typeof entry === "function") {
      this.#runPlain(entry);
      return true;
    }
    if (entry.status !== PENDING) {
      this.aborted--; // aborted while queued: already settled, just drop it
      return false;
    }
    switch (entry.kind) {
      case KIND_AFTER:
        this.#startAfter(entry);
        break;
      case KIND_SUSPEND:
        this.#startSuspend(entry);
        break;
      case KIND_ITEM:
        this.#runRecord(entry, true);
        break;
      case KIND_PLAIN:
      case KIND_FUTURE:
        this.#runRecord(entry, false);
        break;
      default:
        entry.kind satisfies never;
    }
    return true;
  }

  /**
   * The hot path of a burst: runs up to `max` plain jobs (bare functions) in
   * a row from the head, without `runNext`'s dispatch or a classification
   * for jobs that return `undefined`. Stops before any other entry (and when
   * an `after` is ready to run), and after a job that returned a promise.
   * Precondition: IDLE. The caller restores the invariants.
   * @returns how many jobs ran (0: the head is not a plain job)
   */
  runPlainJobs(max: number): number {
    if (this.afterReady !== null) return 0;
    const ref = this.ref;
    let ran = 0;
    while (ran < max) {
      const fn = this.shiftFunction() as AnyFunction | undefined;
      if (fn === undefined) break;
      ran++;
      this.state = RUNNING;
      let result: unknown;
      try {
        result = ref !== undefined ? fn(ref, undefined) : fn(undefined);
      } catch (error) {
        this.state = IDLE;
        this.fail(null, error);
        continue;
      }
      if (result === undefined) {
        this.state = IDLE;
        continue;
      }
      result = this.#classify(result);
      this.state = IDLE;
      if (outcome !== RETURNED) {
        this.#settleBackground(null, result);
        if (this.state !== IDLE) break; // it holds the queue now
      }
    }
    return ran;
  }

  /**
   * Restores the invariants after the queue changed: an IDLE queue with work
   * goes on the ready list (and the pull list if a caller waits for it); an
   * empty one drops leftover tombstones and finishes a close.
   */
  restoreInvariants(): void {
    if (this.state !== IDLE) return;
    if (this.hasWork()) {
      if (!this.scheduled) this.scheduler.markReady(this);
      if (this.isPulled()) this.scheduler.pull(this, 0);
      return;
    }
    if (this.length > 0) {
      this.clear(); // only tombstones are left
      this.aborted = 0;
    }
    const closeJob = this.extras?.closeJob;
    if (closeJob) {
      this.extras!.closeJob = null;
      closeJob.fulfil(undefined);
    }
  }

  /**
   * Calls a job's function with the queue's `ref` (and the item or input
   * value when `withValue`) and classifies the result into `outcome`. Leaves
   * the queue IDLE.
   */
  #call(fn: AnyFunction, withValue: boolean, value: unknown, signal: unknown): unknown {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.ref !== undefined
        ? (withValue ? fn(this.ref, value, signal) : fn(this.ref, signal))
        : (withValue ? fn(value, signal) : fn(signal));
    } catch (error) {
      this.state = IDLE;
      outcome = THREW;
      return error;
    }
    result = this.#classify(result);
    this.state = IDLE;
    return result;
  }

  /**
   * Sets `outcome` for a job's result. Reading `then` counts as part of the
   * job (the queue is still RUNNING): a throwing getter is the job's error.
   */
  #classify(result: unknown): unknown {
    try {
      outcome = result === undefined || !isThenable(result)
        ? RETURNED
        : this.#isOwnPromise(result)
        ? FOLLOWS
        : HOLDS;
      return result;
    } catch (error) {
      outcome = THREW;
      return error;
    }
  }

  protected isIdleAndEmpty(): boolean {
    return this.state === IDLE && this.length === 0 && this.afterReady === null && !this.closed;
  }

  /**
   * `sync` / `trySync` on an idle, empty, open queue: the hot path. A
   * primitive result needs no classification.
   */
  protected runNow(fn: AnyFunction): unknown {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.ref !== undefined ? fn(this.ref) : fn();
    } catch (error) {
      this.state = IDLE;
      this.#restoreAfterInline();
      throw error;
    }
    if (result !== null && (typeof result === "object" || typeof result === "function")) {
      result = this.#classify(result);
      this.state = IDLE;
      return this.#inlineResult(result, false);
    }
    this.state = IDLE;
    this.#restoreAfterInline();
    return result;
  }

  #runPlain(fn: AnyFunction): void {
    const result = this.#call(fn, false, undefined, undefined);
    if (outcome !== RETURNED) this.#settleBackground(null, result);
  }

  #runRecord(job: Job, withValue: boolean): void {
    const signal = job.signal;
    const result = this.#call(job.fn!, withValue, job.value, signal);
    // Aborted while its synchronous part ran (a queued job's abort would have
    // dropped it): its caller is released with the reason now, as when an
    // abort comes while it is in flight. (A pipe item's signal is the pipe's.)
    if (signal !== undefined && signal.aborted && job.kind !== KIND_ITEM) {
      job.cancel(signal.reason);
    }
    if (outcome === RETURNED) job.fulfil(result);
    else this.#settleBackground(job, result);
  }

  /** Routes a background job's non-plain outcome. */
  #settleBackground(job: Job | null, result: unknown): void {
    switch (outcome) {
      case THREW:
        this.fail(job, result);
        break;
      case HOLDS:
        this.#holdAsync(job, result as PromiseLike<unknown>);
        break;
      case FOLLOWS:
        this.#follow(job, result as PromiseLike<unknown>);
        break;
      default:
        throw new Error(`unreachable: outcome ${outcome}`);
    }
  }

  /**
   * A job failed: its promise rejects, and fire-and-forget errors (plain
   * jobs, detached futures) also go to the error handler.
   */
  fail(job: Job | null, error: unknown): void {
    if (job === null) {
      this.scheduler.report(this, error, `A desync() job on a ${this.label}`);
    } else if (job.status !== PENDING) {
      // Cancelled while it ran: its caller already has the abort reason, so
      // any other error of the job would reach nobody. (Ending with its
      // signal's own reason, as `throwIfAborted()` or `fetch` do, is the
      // cancellation itself.)
      if (job.cancelled && error !== job.value) this.#reportAfterAbort(error);
    } else if (job.isCancellation(error)) {
      job.cancel(error); // a cancellation is never reported
    } else {
      job.fail(error);
      if (job.kind === KIND_PLAIN || job.detached) this.reportFailure(job, error);
    }
  }

  /** A job whose caller an abort released failed with another error: nobody else can see it. */
  #reportAfterAbort(error: unknown): void {
    this.scheduler.report(this, error, `A job on a ${this.label}, after its abort,`);
  }

  /**
   * The job returned this queue's own SchedulerFuture or close() promise: it
   * settles with it, without holding the queue (see `#isOwnPromise`). Under
   * a signal it is listed, so that an abort releases its caller meanwhile.
   */
  #follow(job: Job | null, thenable: PromiseLike<unknown>): void {
    const signal = job?.signal;
    if (signal !== undefined) {
      if (signal.aborted) job!.cancel(signal.reason); // aborted while it ran
      else (this.#extras().following ??= new Set()).add(job!);
    }
    Promise.resolve(thenable).then(
      (value) => {
        this.extras?.following?.delete(job!);
        job?.fulfil(value);
      },
      (error) => {
        this.extras?.following?.delete(job!);
        this.fail(job, error);
      },
    );
  }

  /** Reports the error of a fire-and-forget job: a desync() job or a detached future. */
  reportFailure(job: Job, error: unknown): void {
    const what = job.kind === KIND_PLAIN
      ? "A desync() job"
      : job.kind === KIND_AFTER
      ? "A detached after() job"
      : "A detached futureDesync() job";
    this.scheduler.report(this, error, `${what} on a ${this.label}`);
  }

  /**
   * Runs a job on the caller's stack: `sync`, `trySync`, and `futureSync` on
   * an idle queue. With `promised`, errors and results come back as a promise.
   */
  protected runInline(
    fn: AnyFunction,
    signal: AbortSignal | undefined,
    promised: boolean,
  ): unknown {
    return this.#inlineResult(this.#call(fn, false, undefined, signal), promised, signal);
  }

  /** Hands an inline job's classified result to its caller. */
  #inlineResult(result: unknown, promised: boolean, signal?: AbortSignal): unknown {
    const kind = outcome;
    if (kind === HOLDS || (kind === FOLLOWS && signal !== undefined)) {
      // The caller gets a promise of the result: the queue is held until it
      // settles, or (its own future or close()) the job follows it.
      const job = new Job(KIND_FUTURE, null, signal);
      const promise = promiseFor<unknown>(job);
      if (signal !== undefined && !signal.aborted) job.watch = watch(signal, this);
      if (kind === HOLDS) this.#holdAsync(job, result as PromiseLike<unknown>);
      else this.#follow(job, result as PromiseLike<unknown>);
      if (kind === FOLLOWS) this.#restoreAfterInline();
      return promise;
    }
    this.#restoreAfterInline();
    if (signal !== undefined && signal.aborted) {
      // Aborted while it ran: released with the reason, as a queued job would be.
      if (kind === THREW && result !== signal.reason) this.#reportAfterAbort(result);
      return Promise.reject(signal.reason);
    }
    if (kind === THREW) {
      if (promised) return Promise.reject(result);
      throw result;
    }
    return promised ? Promise.resolve(result) : result;
  }

  /** After an inline job: restore only if something could have changed (it scheduled, or closed). */
  #restoreAfterInline(): void {
    if (this.afterReady !== null || this.length > 0 || this.closed) this.restoreInvariants();
  }

  /**
   * A job that returns this queue's own close() promise or SchedulerFuture
   * must not hold the queue for it: those settle only after the job, so
   * holding would deadlock, and no code of the job is pending inside them.
   */
  #isOwnPromise(thenable: unknown): boolean {
    if (thenable === this.extras?.closePromise) return true;
    // Native promises (what async jobs return) are never SchedulerFutures.
    if (thenable instanceof Promise) return false;
    const future = asFuture(thenable);
    return future !== undefined && futureQueue(future) === (this as QueueMachine);
  }

  // --------------------------------------------------------- held and release

  /** IDLE to a held state for `job` (null for a plain async job). */
  #enterHeld(state: HeldState, job: Job | null): void {
    this.state = state;
    this.current = job;
    this.scheduler.held(state);
  }

  /**
   * A held state back to IDLE. The caller settles what it must, then calls
   * `#afterRelease()`, so that the invariants and the waiters see the result.
   */
  #release(): Job | null {
    const job = this.current;
    const state = this.state as HeldState;
    this.current = null;
    this.state = IDLE;
    this.scheduler.released(state);
    return job;
  }

  #afterRelease(): void {
    this.restoreInvariants();
    this.scheduler.progressed();
  }

  /** RUNNING to ASYNC: the job returned a promise; the queue is held until it settles. */
  #holdAsync(job: Job | null, thenable: PromiseLike<unknown>): void {
    this.#enterHeld(ASYNC, job);
    // Aborted while its synchronous part ran: release the caller now (the
    // queue stays held until the job settles).
    if (job !== null && job.signal?.aborted) job.cancel(job.signal.reason);
    // One job is in flight per queue, so one pair of callbacks serves them all.
    const settlers = this.#settlers ??= {
      ok: (value) => this.#finishAsync(FULFILLED, value),
      failed: (reason) => this.#finishAsync(REJECTED, reason),
    };
    Promise.resolve(thenable).then(settlers.ok, settlers.failed);
  }

  /** ASYNC to IDLE: the job's promise settled. */
  #finishAsync(settlement: Settlement, value: unknown): void {
    const job = this.#release();
    if (settlement === REJECTED) this.fail(job, value);
    else job?.fulfil(value);
    // Already in a microtask: go on with this queue's next jobs here when
    // allowed, rather than through the ready list and another microtask.
    if (this.hasWork()) this.scheduler.continueQueue(this);
    this.#afterRelease();
  }

  /** An after() reached the head: IDLE to INPUT while its input is pending, else it runs next. */
  #startAfter(job: Job): void {
    if (job.inputStatus === PENDING) {
      this.knownAsync--;
      this.#enterHeld(INPUT, job);
      // Waiting for a SchedulerFuture is awaiting it: drive its queue, so
      // that it settles in manual mode or with the budget full.
      const future = job.inputCell!.future;
      if (future !== null) pull(future);
      return;
    }
    this.#continueAfter(job);
  }

  protected afterInputSettled(job: Job, status: Settlement, value: unknown): void {
    job.inputStatus = status;
    job.value = value;
    if (this.current === job) {
      this.#release(); // INPUT to IDLE
      this.#continueAfter(job);
      this.#afterRelease();
    } else {
      this.knownAsync--; // still queued, but no longer needs to wait
    }
  }

  /** The input of an `after` job settled and its turn has come. */
  #continueAfter(job: Job): void {
    if (job.inputStatus === REJECTED) {
      this.fail(job, job.value);
    } else {
      // Its function runs as the queue's next step, so that the budget and
      // manual mode apply to it as to any other job.
      this.afterReady = job;
    }
  }

  /** A suspend() reached the head: IDLE to SUSPENDED until its resumer is called. */
  #startSuspend(job: Job): void {
    this.knownAsync--;
    this.#enterHeld(SUSPENDED, job);
    const resume = () => {
      if (this.current !== job) return false;
      this.#release();
      this.#afterRelease();
      return true;
    };
    job.fulfil(createResumer(resume));
    // Only the caller may keep the resumer alive, so that dropping it can resume (see QueueResumer).
    job.value = undefined;
  }

  /** Whether a job up to `seq` is known to be async (only called when `knownAsync > 0`). */
  protected knownAsyncThrough(seq: number): boolean {
    const count = Math.min(seq - this.dequeued, this.length);
    for (let i = 0; i < count; i++) {
      const entry = this.at(i)!;
      if (typeof entry !== "function" && entry.status === PENDING && isKnownAsync(entry)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------ queueing, aborts

  protected enqueue(entry: Entry): void {
    this.push(entry);
    this.enqueued++;
    if (this.state === IDLE && !this.scheduled) this.scheduler.markReady(this);
  }

  protected enqueueJob(job: Job): void {
    job.seq = this.enqueued + 1;
    if (job.signal !== undefined) job.watch = watch(job.signal, this);
    this.enqueue(job);
  }

  /**
   * `signal` aborted: cancel every job of this queue under it, in one walk.
   * A queued job never runs; an `after` waiting for its input releases the
   * queue (no code of its own holds it); a job in flight has its promise
   * rejected now, while the queue stays held until the job settles, so
   * exclusivity never breaks.
   */
  abortJobs(signal: AbortSignal): void {
    const reason = signal.reason;
    let released = false;
    const current = this.current;
    if (current !== null && current.signal === signal && current.status === PENDING) {
      if (this.state === INPUT) {
        this.#release(); // (a suspension has settled: only an input wait can be pending here)
        released = true;
      }
      current.cancel(reason);
    }
    const afterReady = this.afterReady;
    if (afterReady !== null && afterReady.signal === signal && afterReady.status === PENDING) {
      this.afterReady = null;
      afterReady.cancel(reason);
    }
    const following = this.extras?.following;
    if (following) {
      for (const job of following) {
        if (job.signal !== signal) continue;
        following.delete(job); // (deleting the current entry is safe in a Set's for-of)
        job.cancel(reason);
      }
    }
    for (let i = 0; i < this.length; i++) {
      const entry = this.at(i)!;
      if (typeof entry === "function" || entry.signal !== signal || entry.status !== PENDING) {
        continue;
      }
      this.aborted++; // a tombstone until it reaches the head
      if (isKnownAsync(entry)) this.knownAsync--;
      entry.cancel(reason);
    }
    if (released) this.#afterRelease();
    else this.restoreInvariants();
  }

  // ------------------------------------------------------------ refusals

  protected assertOpen(method: string): void {
    if (this.closed) throw messages.closed(method, this.label);
  }

  protected cannotRunNow(method: string): Error {
    switch (this.state) {
      case RUNNING:
        return messages.reentrant(method, this.label);
      case SUSPENDED:
        return messages.suspendedNow(method, this.label);
      default:
        return messages.inFlightNow(method, this.label, this.busyReason());
    }
  }

  protected busyReason(): string {
    const state = this.state;
    switch (state) {
      case RUNNING:
        return "a job is running";
      case ASYNC:
        return "an async job is in flight";
      case INPUT:
        return "an after() job is waiting for its promise";
      case SUSPENDED:
        return "it is suspended";
      case IDLE:
        return `${this.size + (this.afterReady === null ? 0 : 1)} job(s) queued`;
      default:
        return state satisfies never;
    }
  }
}
