// Copyright 2026 the desync authors. MIT license.
// The state machine of one job queue. Everything that touches a queue's jobs
// lives here; the public JobQueue and Desync classes are thin wrappers.
//
// Invariants:
// - At most one job of a queue is in progress: its synchronous part is on the
//   stack (RUNNING), its promise is pending (ASYNC), or it waits for an
//   `after` input or a resume (WAITING). Only IDLE queues start jobs.
// - An IDLE queue with work is on its scheduler's ready list (`scheduled`).
// - Jobs start in the order they were scheduled; `seq` numbers that order.

import {
  type AnyFunction,
  FULFILLED,
  isThenable,
  Job,
  KIND_AFTER,
  KIND_FUTURE,
  KIND_PLAIN,
  KIND_SUSPEND,
  PENDING,
  promiseFor,
  REJECTED,
} from "./_job.ts";
import { Ring } from "./_ring.ts";
import type { ErrorHandler } from "./_platform.ts";
import type { SchedulerCore } from "./_scheduler_core.ts";
import { ClosedError, ReentrancyError, TrySyncError, WouldBlockError } from "./errors.ts";
import { assertFunction, assertThenable, readSignal } from "./_validate.ts";

export const IDLE = 0;
export const RUNNING = 1;
export const ASYNC = 2;
export const WAITING = 3;

type Entry = AnyFunction | Job;

/** Hooks the public wrappers register, so the core can hand out their objects. */
export interface FacadeHooks {
  future<T>(queue: QueueCore, job: Job, promise: Promise<T>): PromiseLike<T>;
  /** The queue of a SchedulerFuture, or undefined for any other value. */
  queueOf(value: unknown): QueueCore | undefined;
  resumer(resume: () => boolean): object;
}
const notLoaded = (): never => {
  throw new Error("desync: scheduler_future.ts was not loaded");
};
export const facades: FacadeHooks = { future: notLoaded, queueOf: notLoaded, resumer: notLoaded };

/** Lets desync.ts and pipe.ts reach the cores behind the public Scheduler and Desync. */
export const cores: {
  scheduler(value: unknown, method: string, name: string): SchedulerCore;
  defaultScheduler(): SchedulerCore;
  desync(value: unknown, method: string, name: string): QueueCore;
} = { scheduler: notLoaded, defaultScheduler: notLoaded, desync: notLoaded };

/** Called when a queue closes, so that pipes reading into it can stop. */
export type CloseListener = () => void;

export class QueueCore {
  readonly scheduler: SchedulerCore;
  /** What the queue serves, for messages: "Desync" or "JobQueue". */
  readonly label: string;
  /** Whether jobs receive `arg` (a Desync's data cell) as their first argument. */
  readonly hasArg: boolean;
  readonly arg: unknown;
  onError: ErrorHandler | undefined;

  state = IDLE;
  /** On the scheduler's ready list. */
  scheduled = false;
  /** On the scheduler's pull list (manual mode). */
  pullQueued = false;
  /** Jobs waiting to start, aborted ones included until they reach the head. */
  readonly jobs: Ring<Entry> = new Ring<Entry>();
  /** Aborted jobs still in the ring. */
  aborted = 0;
  /** Queued jobs that cannot run synchronously: `suspend`, `after` with a pending input. */
  knownAsync = 0;
  /** Jobs ever queued; a job's `seq` is this count once it is pushed. */
  enqueued = 0;
  /** Manual mode: run jobs up to this `seq` without waiting for `runReady`. */
  pullTo = 0;
  /** The job holding the queue while ASYNC or WAITING (null for a plain async job). */
  current: Job | null = null;
  /** An `after` job whose input settled: it runs before the ring's next entry. */
  front: Job | null = null;
  closed = false;
  closeJob: Job | null = null;
  closePromise: Promise<void> | null = null;
  closeListeners: Set<CloseListener> | null = null;
  #onSettled: ((value: unknown) => void) | null = null;
  #onFailed: ((reason: unknown) => void) | null = null;

  constructor(
    scheduler: SchedulerCore,
    label: string,
    hasArg: boolean,
    arg: unknown,
    onError: ErrorHandler | undefined,
  ) {
    this.scheduler = scheduler;
    this.label = label;
    this.hasArg = hasArg;
    this.arg = arg;
    this.onError = onError;
  }

  /** Jobs waiting to start, not counting aborted ones. */
  get size(): number {
    return this.jobs.length - this.aborted;
  }

  /** How many jobs left the ring (ran or were skipped as aborted). */
  get dequeued(): number {
    return this.enqueued - this.jobs.length;
  }

  /** Whether a job is waiting (aborted entries count: running them just drops them). */
  hasWork(): boolean {
    return this.front !== null || this.jobs.length > 0;
  }

  /** Manual mode: the next job is within what a caller is waiting for. */
  isPulled(): boolean {
    if (this.front !== null) return this.front.seq <= this.pullTo;
    return this.jobs.length > 0 && this.dequeued < this.pullTo;
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
      this.#push(fn as AnyFunction, false); // the hot path: no record, no allocation
      return;
    }
    assertFunction(fn, "desync", "job");
    const signal = readSignal(options, "desync");
    this.#assertOpen("desync");
    if (signal === undefined) {
      this.#push(fn as AnyFunction, false);
    } else if (!signal.aborted) {
      this.#pushJob(new Job(KIND_PLAIN, fn as AnyFunction, signal), false);
    }
  }

  sync(fn: unknown): unknown {
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
   * queue ASYNC or WAITING) when a job turns out to be async.
   */
  runThrough(seq: number, method: string): void {
    if (this.state !== IDLE) throw this.#cannotRunNow(method);
    if (this.knownAsync > 0) {
      throw new WouldBlockError(
        `${method}(): a job queued earlier on this ${this.label} is async (an after() waiting ` +
          `for its promise, or a suspend()); use futureSync() to wait for it`,
      );
    }
    while (this.front !== null || (this.jobs.length > 0 && this.dequeued < seq)) {
      this.runNext();
      if (this.state !== IDLE) return;
    }
  }

  trySync(fn: unknown): unknown {
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
    this.#pushJob(job, true);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  futureDesync(fn: unknown, options: unknown): PromiseLike<unknown> {
    assertFunction(fn, "futureDesync", "job");
    const signal = readSignal(options, "futureDesync");
    this.#assertOpen("futureDesync");
    const job = new Job(KIND_FUTURE, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) {
      job.fail(signal.reason);
    } else {
      this.#pushJob(job, false);
    }
    return facades.future(this, job, promise);
  }

  after(input: unknown, fn: unknown, options: unknown): PromiseLike<unknown> {
    assertThenable(input, "after", "promise");
    assertFunction(fn, "after", "job");
    const signal = readSignal(options, "after");
    this.#assertOpen("after");
    const job = new Job(KIND_AFTER, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) {
      job.fail(signal.reason);
      return facades.future(this, job, promise);
    }
    this.knownAsync++;
    this.#pushJob(job, false);
    // Observe the input now, so that a rejection while the job waits for its
    // turn is delivered through this job instead of as an unhandled rejection.
    Promise.resolve(input as PromiseLike<unknown>).then(
      (value) => this.#afterInputSettled(job, FULFILLED, value),
      (reason) => this.#afterInputSettled(job, REJECTED, reason),
    );
    return facades.future(this, job, promise);
  }

  suspend(options: unknown): Promise<unknown> {
    const signal = readSignal(options, "suspend");
    this.#assertOpen("suspend");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const job = new Job(KIND_SUSPEND, null, signal);
    const promise = promiseFor<unknown>(job);
    this.knownAsync++;
    this.#pushJob(job, true);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    const job = new Job(KIND_FUTURE, null, undefined);
    this.closeJob = job;
    this.closePromise = promiseFor<void>(job);
    const listeners = this.closeListeners;
    this.closeListeners = null;
    if (listeners !== null) { for (const listener of listeners) listener(); }
    if (this.state === IDLE) this.settleIdle();
    this.scheduler.pull(this, this.enqueued); // the caller waits: drive it, as Rust's drop syncs
    return this.closePromise;
  }

  // ----------------------------------------------------------------- running

  /**
   * Starts the next job. Precondition: IDLE with work. The job may leave the
   * queue IDLE (it finished), ASYNC or WAITING.
   * @returns whether a job started (false for an aborted entry that was skipped,
   *   or for the continuation of an `after` job)
   */
  runNext(): boolean {
    const front = this.front;
    if (front !== null) {
      // The second half of an `after` job that already started: not a new start.
      this.front = null;
      front.unwatch();
      this.#invoke(front, front.fn!, true);
      return false;
    }
    const entry = this.jobs.shift()!;
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
      default:
        entry.unwatch();
        this.#invoke(entry, entry.fn!, false);
    }
    return true;
  }

  /**
   * The queue became IDLE: keep it on the ready list if it has work, or
   * finish a pending close, or drop a ring that holds only aborted entries.
   */
  settleIdle(): void {
    if (this.front !== null || this.jobs.length > this.aborted) {
      if (this.isPulled()) this.scheduler.pull(this, 0);
      else if (!this.scheduled) this.scheduler.markReady(this);
      return;
    }
    if (this.jobs.length > 0) {
      this.jobs.clear(); // only aborted entries are left
      this.aborted = 0;
    }
    const closeJob = this.closeJob;
    if (closeJob !== null) {
      this.closeJob = null;
      closeJob.fulfil(undefined);
    }
  }

  #runPlain(fn: AnyFunction): void {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.hasArg ? fn(this.arg) : fn();
    } catch (error) {
      this.state = IDLE;
      this.scheduler.report(this, error);
      return;
    }
    if (result !== undefined && isThenable(result) && !this.#isOwnPromise(result)) {
      this.#hold(null, result);
    } else {
      this.state = IDLE;
      if (result !== undefined && isThenable(result)) {
        Promise.resolve(result).then(undefined, (error) => this.scheduler.report(this, error));
      }
    }
  }

  /** Calls a record's function with the queue's argument, its input value and signal. */
  #invoke(job: Job, fn: AnyFunction, withValue: boolean): void {
    this.state = RUNNING;
    let result: unknown;
    try {
      if (withValue) {
        result = this.hasArg ? fn(this.arg, job.value, job.signal) : fn(job.value, job.signal);
      } else {
        result = this.hasArg ? fn(this.arg, job.signal) : fn(job.signal);
      }
    } catch (error) {
      this.state = IDLE;
      if (job.kind === KIND_PLAIN) this.scheduler.report(this, error);
      else job.fail(error);
      return;
    }
    if (!isThenable(result)) {
      this.state = IDLE;
      job.fulfil(result);
    } else if (!this.#isOwnPromise(result)) {
      this.#hold(job, result);
    } else {
      this.state = IDLE;
      Promise.resolve(result).then(
        (value) => job.fulfil(value),
        (error) => job.kind === KIND_PLAIN ? this.scheduler.report(this, error) : job.fail(error),
      );
    }
  }

  /**
   * Runs a job on the caller's stack: `sync`, `trySync`, and `futureSync` on
   * an idle queue. With `promised`, errors and results come back as a promise.
   */
  #runInline(fn: AnyFunction, signal: AbortSignal | undefined, promised: boolean): unknown {
    this.state = RUNNING;
    let result: unknown;
    try {
      result = this.hasArg ? fn(this.arg, signal) : fn(signal);
    } catch (error) {
      this.state = IDLE;
      if (this.#needsSettle()) this.settleIdle();
      if (promised) return Promise.reject(error);
      throw error;
    }
    if (result !== undefined && isThenable(result) && !this.#isOwnPromise(result)) {
      // The caller gets a promise; the queue stays held until it settles.
      const job = new Job(KIND_FUTURE, null, undefined);
      const promise = promiseFor<unknown>(job);
      this.#hold(job, result);
      return promise;
    }
    this.state = IDLE;
    if (this.#needsSettle()) this.settleIdle();
    return promised ? Promise.resolve(result) : result;
  }

  /** Cheap test for the inline paths: is there anything for settleIdle() to do? */
  #needsSettle(): boolean {
    return this.front !== null || this.jobs.length > 0 || this.closeJob !== null;
  }

  /**
   * A job that returns this queue's own close() promise or SchedulerFuture
   * must not hold the queue for it: those settle only after the job, so
   * holding would deadlock, and no code of the job is pending inside them.
   */
  #isOwnPromise(thenable: PromiseLike<unknown>): boolean {
    return thenable === this.closePromise || facades.queueOf(thenable) === this;
  }

  #hold(job: Job | null, thenable: PromiseLike<unknown>): void {
    this.state = ASYNC;
    this.current = job;
    this.scheduler.inFlight++;
    // One job is in flight per queue, so one pair of callbacks serves them all.
    Promise.resolve(thenable).then(
      this.#onSettled ??= (value) => this.#finishAsync(false, value),
      this.#onFailed ??= (reason) => this.#finishAsync(true, reason),
    );
  }

  #finishAsync(failed: boolean, value: unknown): void {
    const job = this.current;
    this.current = null;
    this.state = IDLE;
    this.scheduler.inFlight--;
    if (job === null || job.kind === KIND_PLAIN) {
      if (failed) this.scheduler.report(this, value);
      job?.fulfil(undefined);
    } else if (failed) {
      job.fail(value);
    } else {
      job.fulfil(value);
    }
    this.settleIdle();
    this.scheduler.progressed();
  }

  #startAfter(job: Job): void {
    if (job.inputStatus === PENDING) {
      this.knownAsync--;
      this.state = WAITING;
      this.current = job;
      this.scheduler.waiting++;
      return;
    }
    this.#continueAfter(job);
  }

  #afterInputSettled(job: Job, status: number, value: unknown): void {
    if (job.status !== PENDING) return; // aborted meanwhile
    job.inputStatus = status;
    job.value = value;
    if (this.current === job) {
      this.current = null;
      this.state = IDLE;
      this.scheduler.waiting--;
      this.#continueAfter(job);
      this.scheduler.progressed();
    } else {
      this.knownAsync--; // still queued, but no longer needs to wait
    }
  }

  /** The input of an `after` job settled and its turn has come. */
  #continueAfter(job: Job): void {
    if (job.inputStatus === REJECTED) {
      job.fail(job.value);
    } else {
      // Its function runs as the queue's next step, so that the budget and
      // manual mode apply to it as to any other job.
      this.front = job;
    }
    this.settleIdle();
  }

  #startSuspend(job: Job): void {
    job.unwatch();
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
    job.fulfil(facades.resumer(resume));
    // Only the caller may keep the resumer alive, so that dropping it can resume (see QueueResumer).
    job.value = undefined;
  }

  // ------------------------------------------------------------------ queueing

  /** Queues a job; background jobs put the queue on the ready list, foreground ones pull it. */
  #push(entry: Entry, foreground: boolean): void {
    this.jobs.push(entry);
    this.enqueued++;
    if (this.state === IDLE && !this.scheduled && !foreground) this.scheduler.markReady(this);
  }

  #pushJob(job: Job, foreground: boolean): void {
    job.seq = this.enqueued + 1;
    const signal = job.signal;
    if (signal !== undefined) {
      job.onAbort = () => this.#abort(job);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    this.#push(job, foreground);
  }

  /** The job's signal aborted before the job's function was called. */
  #abort(job: Job): void {
    job.onAbort = undefined;
    const reason = job.signal!.reason;
    if (this.current === job) {
      // An `after` waiting for its input: no user code holds the queue, so release it.
      this.current = null;
      this.state = IDLE;
      this.scheduler.waiting--;
      job.fail(reason);
      this.settleIdle();
      this.scheduler.progressed();
      return;
    }
    if (this.front === job) {
      this.front = null;
      job.fail(reason);
      if (this.state === IDLE) this.settleIdle();
      return;
    }
    if (job.status !== PENDING) return;
    this.aborted++;
    if (job.kind === KIND_SUSPEND || (job.kind === KIND_AFTER && job.inputStatus === PENDING)) {
      this.knownAsync--;
    }
    job.fail(reason);
    if (this.state === IDLE && this.size === 0 && this.front === null) this.settleIdle();
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
