// Copyright 2026 the desync authors. MIT license.
// The record kept for every job that needs more than "call this function":
// a signal, a promise to settle, an input promise, or a suspension.
// Plain fire-and-forget jobs are stored as bare functions and never get one.

import { type SignalWatch, unwatch } from "./abort.ts";
import type { SchedulerFuture } from "./future.ts";

// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** A `desync` job with an abort signal: errors go to the error handler. */
export const KIND_PLAIN = 0;
/** `futureSync` / `futureDesync` (and an async `sync` job): errors reject its promise. */
export const KIND_FUTURE = 1;
/** `after`: waits for an input promise, then runs its function. */
export const KIND_AFTER = 2;
/** `suspend`: holds the queue until its resumer is called. */
export const KIND_SUSPEND = 3;
/** A pipe's item: `fn(arg, item, signal)`; settles through callbacks, not a promise. */
export const KIND_ITEM = 4;
/** What a job record is for. */
export type JobKind =
  | typeof KIND_PLAIN
  | typeof KIND_FUTURE
  | typeof KIND_AFTER
  | typeof KIND_SUSPEND
  | typeof KIND_ITEM;

export const PENDING = 0;
export const FULFILLED = 1;
export const REJECTED = 2;
/** A job's (or an input's) state: pending, or how it settled. */
export type Status = typeof PENDING | typeof FULFILLED | typeof REJECTED;
/** How something settled. */
export type Settlement = typeof FULFILLED | typeof REJECTED;

/**
 * How an `after` job's input reaches it: the input's reactions hold the cell,
 * not the job, and the cell is emptied when the job settles, so a
 * long-pending input does not keep a finished job alive.
 */
export interface InputCell {
  job: Job | null;
  /** The input, when it is a SchedulerFuture: pulled once the job waits for it. */
  future: SchedulerFuture<unknown> | null;
}

/** One scheduled job and the promise it settles. */
export class Job {
  readonly kind: JobKind;
  /** Position in its queue: the value of the queue's `enqueued` counter once pushed. */
  seq = 0;
  fn: AnyFunction | null;
  signal: AbortSignal | undefined;
  /** Its count under its signal, from queueing until it settles (see _abort.ts). */
  watch: SignalWatch | null = null;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;
  /** Settlement of the promise handed to the caller. */
  status: Status = PENDING;
  /** The settled value or reason; for `after`, first the input's value. */
  value: unknown = undefined;
  /** For `after`: the state of the input promise. */
  inputStatus: Status = PENDING;
  /** Its future was detached: a failure goes to the error handler too. */
  detached = false;
  /** It was aborted (a cancellation, never reported as an error). */
  cancelled = false;
  /** For `after`: how the input's reactions reach this job; emptied when it settles. */
  inputCell: InputCell | null = null;

  constructor(kind: JobKind, fn: AnyFunction | null, signal: AbortSignal | undefined) {
    this.kind = kind;
    this.fn = fn;
    this.signal = signal;
  }

  fulfil(value: unknown): void {
    if (this.status !== PENDING) return;
    this.status = FULFILLED;
    this.value = value;
    const resolve = this.resolve;
    this.#release();
    resolve?.(value);
  }

  /** Rejects the job's promise with its signal's reason: a cancellation, not a failure. */
  cancel(reason: unknown): void {
    if (this.status !== PENDING) return;
    this.cancelled = true;
    this.fail(reason);
  }

  fail(reason: unknown): void {
    if (this.status !== PENDING) return;
    this.status = REJECTED;
    this.value = reason;
    const reject = this.reject;
    this.#release();
    reject?.(reason);
  }

  /** Whether `error` is this job's own cancellation: its signal aborted with that reason. */
  isCancellation(error: unknown): boolean {
    const signal = this.signal;
    return signal !== undefined && signal.aborted && error === signal.reason;
  }

  #release(): void {
    if (this.watch !== null) {
      unwatch(this.watch);
      this.watch = null;
    }
    this.fn = null;
    this.signal = undefined;
    this.resolve = undefined;
    this.reject = undefined;
    if (this.inputCell !== null) {
      this.inputCell.job = null;
      this.inputCell.future = null;
      this.inputCell = null;
    }
  }
}

// A shared executor avoids allocating a closure per promise.
let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function captureResolvers(
  resolve: (value: unknown) => void,
  reject: (reason: unknown) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Creates the promise that `job` settles. */
export function promiseFor<T>(job: Job): Promise<T> {
  const promise = new Promise(captureResolvers);
  job.resolve = capturedResolve;
  job.reject = capturedReject;
  capturedResolve = capturedReject = undefined;
  return promise as Promise<T>;
}

/**
 * Whether a queued job is known to need waiting before it can finish: a
 * suspension, or an `after` whose input is still pending.
 */
export function isKnownAsync(job: Job): boolean {
  return job.kind === KIND_SUSPEND || (job.kind === KIND_AFTER && job.inputStatus === PENDING);
}

/** True for anything `await` would treat as a promise. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
