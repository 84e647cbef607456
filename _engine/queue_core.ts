// Copyright 2026 the desync authors. MIT license.
// The entry points of every operation on a queue: argument checks, the
// record each kind of job needs, and where it enters the state machine
// (queue_machine.ts, whose header explains the states, the glossary and the
// invariants). Desync and the JobQueue free functions call these directly.

import { asFuture, createFuture, futurePromise } from "./future.ts";
import {
  type AnyFunction,
  FULFILLED,
  type InputCell,
  Job,
  KIND_AFTER,
  KIND_FUTURE,
  KIND_ITEM,
  KIND_PLAIN,
  KIND_SUSPEND,
  promiseFor,
  REJECTED,
} from "./job.ts";
import * as messages from "./messages.ts";
import { IDLE, QueueMachine, RUNNING } from "./queue_machine.ts";
import { assertFunction, assertThenable, readSignal } from "./validate.ts";

/** A queue: its state machine, and the operations callers start on it. */
export class QueueCore extends QueueMachine {
  desync(fn: unknown, options: unknown): void {
    if (typeof fn === "function" && options === undefined && !this.closed) {
      this.enqueue(fn as AnyFunction); // the hot path: no record, no allocation
      return;
    }
    assertFunction(fn, "desync", "job");
    const signal = readSignal(options, "desync");
    this.assertOpen("desync");
    if (signal === undefined) {
      this.enqueue(fn as AnyFunction);
    } else if (!signal.aborted) {
      this.enqueueJob(new Job(KIND_PLAIN, fn as AnyFunction, signal));
    }
  }

  sync(fn: unknown): unknown {
    if (typeof fn === "function" && this.isIdleAndEmpty()) return this.runNow(fn as AnyFunction);
    assertFunction(fn, "sync", "job");
    this.assertOpen("sync");
    // Only jobs scheduled before this call come first; jobs they schedule come after.
    this.runThrough(this.enqueued, "sync");
    if (this.state !== IDLE) throw messages.turnedAsync(this.label);
    return this.runInline(fn as AnyFunction, undefined, false);
  }

  /**
   * Runs the queued jobs up to and including `seq` on the caller's stack, the
   * way Rust's `sync` steals the calling thread. Throws before running
   * anything if that is known to be impossible; stops early (leaving the
   * queue held) when a job turns out to be async. The caller restores the
   * invariants afterwards.
   */
  runThrough(seq: number, method: string): void {
    if (this.state !== IDLE) throw this.cannotRunNow(method);
    if (this.knownAsync > 0 && this.knownAsyncThrough(seq)) {
      throw messages.knownAsyncAhead(method, this.label);
    }
    while (this.afterReady !== null || (this.length > 0 && this.dequeued < seq)) {
      this.runNext();
      if (this.state !== IDLE) return;
    }
  }

  trySync(fn: unknown): unknown {
    if (typeof fn === "function" && this.isIdleAndEmpty()) return this.runNow(fn as AnyFunction);
    assertFunction(fn, "trySync", "job");
    this.assertOpen("trySync");
    if (this.state === RUNNING) throw messages.reentrant("trySync", this.label);
    if (this.state !== IDLE || this.hasWork()) throw messages.busy(this.label, this.busyReason());
    return this.runInline(fn as AnyFunction, undefined, false);
  }

  futureSync(fn: unknown, options: unknown): Promise<unknown> {
    assertFunction(fn, "futureSync", "job");
    const signal = readSignal(options, "futureSync");
    this.assertOpen("futureSync");
    if (this.state === RUNNING) throw messages.reentrant("futureSync", this.label);
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Like Rust's future_sync this is foreground work: it runs in the caller's
    // context. On an idle queue it starts at once, like calling an async
    // function; otherwise it drives its queue up to itself, whatever the
    // concurrency budget, so a job waiting for it can never deadlock.
    if (this.state === IDLE && !this.hasWork() && this.scheduler.mayRunInline()) {
      return this.runInline(fn as AnyFunction, signal, true) as Promise<unknown>;
    }
    const job = new Job(KIND_FUTURE, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    this.enqueueJob(job);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  futureDesync(fn: unknown, options: unknown): PromiseLike<unknown> {
    assertFunction(fn, "futureDesync", "job");
    const signal = readSignal(options, "futureDesync");
    this.assertOpen("futureDesync");
    const job = new Job(KIND_FUTURE, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) job.cancel(signal.reason);
    else this.enqueueJob(job);
    return createFuture(this, job, promise);
  }

  after(input: unknown, fn: unknown, options: unknown): PromiseLike<unknown> {
    assertThenable(input, "after", "promise");
    assertFunction(fn, "after", "job");
    const signal = readSignal(options, "after");
    this.assertOpen("after");
    const job = new Job(KIND_AFTER, fn as AnyFunction, signal);
    const promise = promiseFor<unknown>(job);
    if (signal?.aborted) {
      job.cancel(signal.reason);
      return createFuture(this, job, promise);
    }
    this.knownAsync++;
    this.enqueueJob(job);
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
      (value) => cell.job !== null && this.afterInputSettled(cell.job, FULFILLED, value),
      (reason) => cell.job !== null && this.afterInputSettled(cell.job, REJECTED, reason),
    );
    return createFuture(this, job, promise);
  }

  suspend(options: unknown): Promise<unknown> {
    const signal = readSignal(options, "suspend");
    this.assertOpen("suspend");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const job = new Job(KIND_SUSPEND, null, signal);
    const promise = promiseFor<unknown>(job);
    this.knownAsync++;
    this.enqueueJob(job);
    this.scheduler.pull(this, job.seq);
    return promise;
  }

  close(): Promise<void> {
    const extras = this.extrasMade();
    if (extras.closePromise !== null) return extras.closePromise;
    this.closed = true;
    const job = new Job(KIND_FUTURE, null, undefined);
    extras.closeJob = job;
    const promise = extras.closePromise = promiseFor<void>(job);
    const listeners = extras.closeListeners;
    extras.closeListeners = null;
    if (listeners !== null) { for (const listener of listeners) listener(); }
    this.restoreInvariants();
    this.scheduler.pull(this, this.enqueued); // the caller waits: drive it, as Rust's drop syncs
    return promise;
  }

  /**
   * A pipe's item, as background work: `fn(ref, item, signal)`, whose outcome
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
    this.assertOpen("pipe");
    const job = new Job(KIND_ITEM, fn, undefined);
    job.seq = this.enqueued + 1;
    job.value = item;
    job.signal = signal; // passed to fn; the pipe stops its items itself, without a listener each
    job.resolve = resolve;
    job.reject = reject;
    this.enqueue(job);
  }
}
