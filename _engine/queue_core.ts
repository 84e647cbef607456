// Copyright 2026 the desync authors. MIT license.
// The state machine of one job queue. Everything that touches a queue's jobs
// lives here; the public JobQueue and Desync classes are thin wrappers.
//
// Invariants:
// - At most one job of a queue is in progress: its synchronous part is on the
//   stack (RUNNING), its promise is pending (ASYNC), or it waits for an
//   `after` input or a resume (WAITING). Only IDLE queues start jobs.
// - Every IDLE queue with work is on its scheduler's ready list
//   (`scheduled`); one that a caller waits for is also on the pull list.
//   `settleIdle()` restores this after every change of state.
// - Jobs start in the order they were scheduled; `seq` numbers that order.
// - No user code (jobs aside) runs inside a state transition: error handlers
//   are called in a later microtask.

import {
  type AnyFunction,
  FULFILLED,
  type InputCell,
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
} from "./job.ts";
import { watch } from "./abort.ts";
import {
  asFuture,
  createFuture,
  createResumer,
  futurePromise,
  futureQueue,
  pull,
} from "./future.ts";
import type { ErrorHandler } from "./types.ts";
import { Ring } from "./ring.ts";
import type { SchedulerCore } from "./scheduler_core.ts";
import { ClosedError, ReentrancyError, TrySyncError, WouldBlockError } from "./errors.ts";
import { assertFunction, assertThenable, readSignal } from "./validate.ts";

export const IDLE = 0;
export const RUNNING = 1;
export const ASYNC = 2;
export const WAITING = 3;

/** What the last `#call` or `#classify` produced (see `outcome`). */
const RETURNED = 0; // a plain value
const THREW = 1; // an exception (also from reading a `then` getter)
const HOLDS = 2; // a promise: the queue is held until it settles
const FOLLOWS = 3; // this queue's own future or close(): settle with it, without holding

/**
 * The outcome of the job that just ran. One variable serves all queues: it is
 * set after the job's own code (and anything it ran on other queues) has
 * returned, and read right away, before any other job can run.
 */
let outcome = RETURNED;

type Entry = AnyFunction | Job;

/** State that only closing queues (or queues with pipes) need. */
interface CloseState {
  /** Told when close() is called (pipes stop reading then). */
  listeners: Set<() => void> | null;
  /** Settles the close() promise once the queue has drained. */
  job: Job | null;
  promise: Promise<void> | null;
}

/**
 * One queue: its jobs are the ring it extends (aborted entries included
 * until they reach the head).
 */
export class QueueCore extends Ring<Entry> {
  readonly scheduler: SchedulerCore;
  /**
   * What jobs receive first: a Desync's data cell; `undefined` for a bare
   * JobQueue, whose jobs receive no data argument. (Compared with `undefined`
   * rather than a sentinel symbol: V8 does not constant-fold an exported
   * binding, and the generic comparison with one more than doubled the cost of `sync`.)
   */
  readonly arg: object | undefined;
  onError: ErrorHandler | undefined;

  state = IDLE;
  /** On the scheduler's ready list. */
  scheduled = false;
  /** On the scheduler's pull list. */
  pullQueued = false;
  /** Aborted jobs still in the ring. */
  aborted = 0;
  /** Queued jobs that cannot run synchronously: `suspend`, `after` with a pending input. */
  knownAsync = 0;
  /** Jobs ever queued; a job's `seq` is this count once it is pushed. */
  enqueued = 0;
  /** Foreground work: a caller waits for the jobs up to this `seq`. */
  pullTo = 0;
  /** The job holding the queue while ASYNC or WAITING (null for a plain async job). */
  current: Job | null = null;
  /** An `after` job whose input settled: it runs before the ring's next entry. */
  front: Job | null = null;
  closed = false;
  #close: CloseState | null = null;
  /** The callbacks that end an async job; one job is in flight at a time, so one pair serves all. */
  #settlers: { ok: (value: unknown) => void; failed: (reason: unknown) => void } | null = null;

  constructor(
    scheduler: SchedulerCore,
    arg: object | undefined,
    onError: ErrorHandler | undefined,
  ) {
    super();
    this.scheduler = scheduler;
    this.arg = arg;
    this.onError = onError;
  }

  /** What the queue serves, for messages. */
  get label(): string {
    return this.arg === undefined ? "JobQueue" : "Desync";
  }

  /** Jobs waiting to start, not counting aborted ones. */
  get size(): number {
    return this.length - this.aborted;
  }

  /** How many jobs left the ring (ran, or were dropped as aborted). */
  get dequeued(): number {
    return this.enqueued - this.length;
  }

  /** Registers a listener told when close() is called. */
  addCloseListener(listener: () => void): void {
    const close = this.#close ??= { listeners: null, job: null, promise: null };
    (close.listeners ??= new Set()).add(listener);
  }

  removeCloseListener(listener: () => void): void {
    this.#close?.listeners?.delete(listener);
  }

  /** Whether a job is waiting to start (aborted entries do not count). */
  hasWork(): boolean {
    return this.front !== null || this.length > this.aborted;
  }

  /** Whether the next job is within what a caller waits for. */
  isPulled(): boolean {
    if (this.front !== null) return this.front.seq <= this.pullTo;
    return this.length > this.aborted && this.dequeued < this.pullTo;
  }

  get suspended(): boolean {
    return this.state === WAITING && this.current!.kind === KIND_SUSPEND;
  }

  get running(): boolean {
    return this.state === IDLE ? this.front !== null : !this.suspended;
  }

  // ---------------------------------------------------------------- scheduling

  desync(fn: unknown, options: unknown): void {
    if (typeof fn === "function" && options === undefined && !this.closed) {
      this.#push(fn as AnyFunction); // the hot path: no record, no allocation
      return;
    }
    assertFunction(fn, "desync", "job");
    const signal = readSignal(options, "desync");
    this.#assertOpen("desync");
    if (signal === undefined) {
      this.#push(fn as AnyFunction);
    } else if (!signal.aborted) {
      this.#pushJob(new Job(KIND_PLAIN, fn as AnyFunction, signal));
    }
  }

  sync(fn: unknown): unknown {
    if (typeof fn === "function" && this.#isIdleAndEmpty()) return this.#runNow(fn as AnyFunction);
    assertFunction(fn, "sync", "job");
    this.#assertOpen("sync");
    // Only jobs scheduled before this call come first; jobs they schedule come after.
    this.runThrough(this.enqueued, "sync");
    if (this.state !== IDLE) {
      throw new WouldBlockError(
        `sync(): a job queued earlier on this ${this.label} returned a promise and is ` +
          `still running, so this job cannot run now; it was not run or queued. ` +
          `Use futureSync() to wait for it`,
      );
    }
    return this.#runInline(fn as AnyFunction, undefined, false);
  }

  /**
   * Runs the queued jobs up to and including `seq` on the caller's stack, the
   * way Rust's `sync` steals the calling thread. Throws before running
   * anything if that is known to be impossible; stops early (leaving the
   * queue ASYNC or WAITING) when a job turns out to be async. The caller
   * settles the queue afterwards.
   */
  runThrough(seq: number, method: string): void {
    if (this.state !== IDLE) throw this.#cannotRunNow(method);
    if (this.knownAsync > 0 && this.#knownAsyncThrough(seq)) {
      throw new WouldBlockError(
        `${method}(): a job queued earlier on this ${this.label} is async (an after() waiting ` +
          `for its promise, or a suspend()); use futureSync() to wait for it`,
      );
    }
    while (this.front !== null || (this.length > 0 && this.dequeued < seq)) {
      this.runNext();
      if (this.state !== IDLE) return;
    }
  }

  trySync(fn: unknown): unknown {
    if (typeof fn === "function" && this.#isIdleAndEmpty()) return this.#runNow(fn as AnyFunction);
    assertFunction(fn, "trySync", "job");
    this.#assertOpen("trySync");
    if (this.state === RUNNING) throw this.#reentrant("trySync");
    if (this.state !== IDLE || this.hasWork()) {
      throw new TrySyncError(
        `trySync(): the ${this.label} is busy (${this.#busyReason()}); the job was not run`,
      );
    }
    return this.#runInline(fn as AnyFunction, undefined, false);
  }

  futureSync(fn: unknown, options: unknown): Promise<unknown> {
    assertFunction(fn, "futureSync", "job");
    const signal = readSignal(options, "futureSync");
    this.#assertOpen("futureSync");
    if (this.state === RUNNING) throw this.#reentrant("futureSync");
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Like Rust's future_sync this is foreground work: it runs in the caller's
    // context. On an idle queue it starts at once, like calling an async
    // function; otherwise it drives its queue up to itself, whatever the
    // concurrency budget, so a job waiting for it can never deadlock.
    if (this.state === IDLE && !this.hasWork() && this.scheduler.mayRunInline()) {
      return this.#runInline(fn as AnyFunction, signal, true) as Promise<unknown>;
    }
    const job = new Job(KIND_FUTURE, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    this.#pushJob(job);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  futureDesync(fn: unknown, options: unknown): PromiseLike<unknown> {
    assertFunction(fn, "futureDesync", "job");
    const signal = readSignal(options, "futureDesync");
    this.#assertOpen("futureDesync");
    const job = new Job(KIND_FUTURE, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) job.cancel(signal.reason);
    else this.#pushJob(job);
    return createFuture(this, job, promise);
  }

  after(input: unknown, fn: unknown, options: unknown): PromiseLike<unknown> {
    assertThenable(input, "after", "promise");
    assertFunction(fn, "after", "job");
    const signal = readSignal(options, "after");
    this.#assertOpen("after");
    const job = new Job(KIND_AFTER, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) {
      job.cancel(signal.reason);
      return createFuture(this, job, promise);
    }
    this.knownAsync++;
    this.#pushJob(job);
    // Observe the input now, so that a rejection while the job waits for its
    // turn is delivered through this job instead of as an unhandled rejection.
    // The reactions reach the job through a cell that is emptied when the job
    // settles, so a long-pending input does not keep a finished job alive.
    // A SchedulerFuture input is observed through its inner promise, so that
    // scheduling does not pull it; it is pulled when this job's turn comes.
    const future = asFuture(input);
    const cell: InputCell = { job, future: future ?? null };
    job.inputCell = cell;
    const source = future === undefined ? input as PromiseLike<unknown> : futurePromise(future);
    Promise.resolve(source).then(
      (value) => cell.job !== null && this.#afterInputSettled(cell.job, FULFILLED, value),
      (reason) => cell.job !== null && this.#afterInputSettled(cell.job, REJECTED, reason),
    );
    return createFuture(this, job, promise);
  }

  suspend(options: unknown): Promise<unknown> {
    const signal = readSignal(options, "suspend");
    this.#assertOpen("suspend");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const job = new Job(KIND_SUSPEND, null, signal);
    const promise = promiseFor<unknown>(job);
    this.knownAsync++;
    this.#pushJob(job);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  close(): Promise<void> {
    const state = this.#close ??= { listeners: null, job: null, promise: null };
    if (state.promise !== null) return state.promise;
    this.closed = true;
    const job = new Job(KIND_FUTURE, null, undefined);
    state.job = job;
    const promise = state.promise = promiseFor<void>(job);
    const listeners = state.listeners;
    state.listeners = null;
    if (listeners !== null) { for (const listener of listeners) listener(); }
    this.settleIdle();
    this.scheduler.pull(this, this.enqueued); // the caller waits: drive it, as Rust's drop syncs
    return promise;
  }

  /**
   * A pipe's item, as background work: `fn(arg, item, signal)`, whose outcome
   * goes to `resolve` / `reject` (no promise is made per item).
   * @throws {ClosedError} If the queue is closed.
   */
  pushItem(
    fn: AnyFunction,
    item: unknown,
    signal: AbortSignal,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ): void {
    this.#assertOpen("pipe");
    const job = new Job(KIND_ITEM, fn, undefined);
    job.seq = this.enqueued + 1;
    job.value = item;
    job.signal = signal; // passed to fn; the pipe stops its items itself, without a listener each
    job.resolve = resolve;
    job.reject = reject;
    this.#push(job);
  }

  // ----------------------------------------------------------------- running

  /**
   * Starts the next job. Precondition: IDLE with an entry. The job may leave
   * the queue IDLE (it finished), ASYNC or WAITING; the caller settles it.
   * @returns whether a job started (false for an aborted entry that was
   *   dropped, or for the second half of an `after` job)
   */
  runNext(): boolean {
    const front = this.front;
    if (front !== null) {
      this.front = null;
      this.#runRecord(front, true);
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
      default:
        this.#runRecord(entry, false);
    }
    return true;
  }

  /**
   * Restores the invariants after the queue changed state: an IDLE queue
   * with work goes on the ready list (and the pull list if a caller waits for
   * it); an empty one drops leftover aborted entries and finishes a close.
   */
  settleIdle(): void {
    if (this.state !== IDLE) return;
    if (this.hasWork()) {
      if (!this.scheduled) this.scheduler.markReady(this);
      if (this.isPulled()) this.scheduler.pull(this, 0);
      return;
    }
    if (this.length > 0) {
      this.clear(); // only aborted entries are left
      this.aborted = 0;
    }
    const closeJob = this.#close?.job;
    if (closeJob) {
      this.#close!.job = null;
      closeJob.fulfil(undefined);
    }
  }

  /**
   * Calls a job's function with the queue's argument and classifies the
   * result into `outcome`. Leaves the queue IDLE.
   */
  #call(fn: AnyFunction, withValue: boolean, value: unknown, signal: unknown): unknown {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.arg !== undefined
        ? (withValue ? fn(this.arg, value, signal) : fn(this.arg, signal))
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

  #isIdleAndEmpty(): boolean {
    return this.state === IDLE && this.length === 0 && this.front === null && !this.closed;
  }

  /**
   * `sync` / `trySync` on an idle, empty, open queue: the hot path. A
   * primitive result needs no classification.
   */
  #runNow(fn: AnyFunction): unknown {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.arg !== undefined ? fn(this.arg) : fn();
    } catch (error) {
      this.state = IDLE;
      this.#settleAfterInline();
      throw error;
    }
    if (result !== null && (typeof result === "object" || typeof result === "function")) {
      result = this.#classify(result);
      this.state = IDLE;
      return this.#inlineResult(result, false);
    }
    this.state = IDLE;
    this.#settleAfterInline();
    return result;
  }

  #runPlain(fn: AnyFunction): void {
    const result = this.#call(fn, false, undefined, undefined);
    if (outcome !== RETURNED) this.#settleBackground(null, result);
  }

  #runRecord(job: Job, withValue: boolean): void {
    const result = this.#call(job.fn!, withValue, job.value, job.signal);
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
        this.#hold(job, result as PromiseLike<unknown>);
        break;
      default: // FOLLOWS
        Promise.resolve(result).then(
          (value) => job?.fulfil(value),
          (error) => this.fail(job, error),
        );
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
      if (job.cancelled && error !== job.value) {
        this.scheduler.report(this, error, `A job on a ${this.label}, after its abort,`);
      }
    } else if (job.isCancellation(error)) {
      job.cancel(error); // a cancellation is never reported
    } else {
      job.fail(error);
      if (job.kind === KIND_PLAIN || job.detached) this.reportFailure(job, error);
    }
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
  #runInline(fn: AnyFunction, signal: AbortSignal | undefined, promised: boolean): unknown {
    return this.#inlineResult(this.#call(fn, false, undefined, signal), promised, signal);
  }

  /** Hands an inline job's classified result to its caller. */
  #inlineResult(result: unknown, promised: boolean, signal?: AbortSignal): unknown {
    const kind = outcome;
    if (kind === HOLDS) {
      // The caller gets a promise of the result; the queue is held until it settles.
      const job = new Job(KIND_FUTURE, null, signal);
      const promise = promiseFor<unknown>(job);
      if (signal !== undefined && !signal.aborted) job.watch = watch(signal, this);
      this.#hold(job, result as PromiseLike<unknown>);
      return promise;
    }
    this.#settleAfterInline();
    if (kind === THREW) {
      if (promised) return Promise.reject(result);
      throw result;
    }
    return promised ? Promise.resolve(result) : result;
  }

  /** After an inline job: settle only if something could have changed (it scheduled, or closed). */
  #settleAfterInline(): void {
    if (this.front !== null || this.length > 0 || this.closed) this.settleIdle();
  }

  /**
   * A job that returns this queue's own close() promise or SchedulerFuture
   * must not hold the queue for it: those settle only after the job, so
   * holding would deadlock, and no code of the job is pending inside them.
   */
  #isOwnPromise(thenable: unknown): boolean {
    const close = this.#close;
    if (close !== null && thenable === close.promise) return true;
    // Native promises (what async jobs return) are never SchedulerFutures.
    if (thenable instanceof Promise) return false;
    const future = asFuture(thenable);
    return future !== undefined && futureQueue(future) === this;
  }

  #hold(job: Job | null, thenable: PromiseLike<unknown>): void {
    this.state = ASYNC;
    this.current = job;
    this.scheduler.inFlight++;
    // Aborted while its synchronous part ran: release the caller now (the
    // queue stays held until the job settles).
    if (job !== null && job.signal?.aborted) job.cancel(job.signal.reason);
    // One job is in flight per queue, so one pair of callbacks serves them all.
    const settlers = this.#settlers ??= {
      ok: (value) => this.#finishAsync(false, value),
      failed: (reason) => this.#finishAsync(true, reason),
    };
    Promise.resolve(thenable).then(settlers.ok, settlers.failed);
  }

  #finishAsync(failed: boolean, value: unknown): void {
    const job = this.current;
    this.current = null;
    this.state = IDLE;
    this.scheduler.inFlight--;
    if (failed) this.fail(job, value);
    else job?.fulfil(value);
    // Already in a microtask: go on with this queue's next jobs here when
    // allowed, rather than through the ready list and another microtask.
    if (this.hasWork()) this.scheduler.continueQueue(this);
    this.settleIdle();
    this.scheduler.progressed();
  }

  #startAfter(job: Job): void {
    if (job.inputStatus === PENDING) {
      this.knownAsync--;
      this.state = WAITING;
      this.current = job;
      this.scheduler.waiting++;
      // Waiting for a SchedulerFuture is awaiting it: drive its queue, so
      // that it settles in manual mode or with the budget full.
      const future = job.inputCell!.future;
      if (future !== null) pull(future);
      return;
    }
    this.#continueAfter(job);
  }

  #afterInputSettled(job: Job, status: number, value: unknown): void {
    job.inputStatus = status;
    job.value = value;
    if (this.current === job) {
      this.current = null;
      this.state = IDLE;
      this.scheduler.waiting--;
      this.#continueAfter(job);
      this.settleIdle();
      this.scheduler.progressed();
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
      this.front = job;
    }
  }

  #startSuspend(job: Job): void {
    this.knownAsync--;
    this.state = WAITING;
    this.current = job;
    const resume = () => {
      if (this.current !== job) return false;
      this.current = null;
      this.state = IDLE;
      this.settleIdle();
      this.scheduler.progressed();
      return true;
    };
    job.fulfil(createResumer(resume));
    // Only the caller may keep the resumer alive, so that dropping it can resume (see QueueResumer).
    job.value = undefined;
  }

  /** Whether a job up to `seq` is known to be async (only called when `knownAsync > 0`). */
  #knownAsyncThrough(seq: number): boolean {
    const count = Math.min(seq - this.dequeued, this.length);
    for (let i = 0; i < count; i++) {
      const entry = this.at(i)!;
      if (typeof entry !== "function" && entry.status === PENDING && isKnownAsync(entry)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ queueing

  #push(entry: Entry): void {
    this.push(entry);
    this.enqueued++;
    if (this.state === IDLE && !this.scheduled) this.scheduler.markReady(this);
  }

  #pushJob(job: Job): void {
    job.seq = this.enqueued + 1;
    if (job.signal !== undefined) job.watch = watch(job.signal, this);
    this.#push(job);
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
      if (this.state === WAITING) {
        this.current = null; // an after() waiting for its input (a suspension has settled)
        this.state = IDLE;
        this.scheduler.waiting--;
        released = true;
      }
      current.cancel(reason);
    }
    const front = this.front;
    if (front !== null && front.signal === signal && front.status === PENDING) {
      this.front = null;
      front.cancel(reason);
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
    this.settleIdle();
    if (released) this.scheduler.progressed();
  }

  // ---------------------------------------------------------------- messages

  #assertOpen(method: string): void {
    if (this.closed) throw new ClosedError(`${method}(): the ${this.label} is closed`);
  }

  #reentrant(method: string): ReentrancyError {
    return new ReentrancyError(
      `${method}() was called on a ${this.label} from inside one of its own jobs; ` +
        `it could only run after the current job, which would wait for it forever. ` +
        `Use desync() or futureDesync() to schedule follow-up work`,
    );
  }

  #cannotRunNow(method: string): Error {
    if (this.state === RUNNING) return this.#reentrant(method);
    if (this.suspended) {
      return new WouldBlockError(
        `${method}(): the ${this.label} is suspended; use futureSync() to wait for resume()`,
      );
    }
    return new WouldBlockError(
      `${method}(): an async job is in flight on this ${this.label} (${this.#busyReason()}), ` +
        `so this job cannot run now; it was not run or queued. Use futureSync() to wait. ` +
        `(Called from inside that job after an await? That would deadlock: schedule with desync() instead.)`,
    );
  }

  #busyReason(): string {
    switch (this.state) {
      case RUNNING:
        return "a job is running";
      case ASYNC:
        return "an async job is in flight";
      case WAITING:
        return this.suspended ? "it is suspended" : "an after() job is waiting for its promise";
      default:
        return `${this.size + (this.front === null ? 0 : 1)} job(s) queued`;
    }
  }
}
