// Copyright 2026 the desync authors. MIT license.
// The worker side of pipes into hosted objects (the main side: pipe.ts).
//
// Invariants:
// - Each PIPE_ITEMS message becomes ONE job of the hosted object's Desync,
//   queued where it arrived among the object's other operations (per-object
//   FIFO). In it, the method runs once per item, in order: synchronous
//   results back to back with no promise per item, a promise awaited before
//   the next item (the job holds the object meanwhile).
// - Every item that ran is reported, in order, in the host's per-tick reply
//   batch: PIPE_OUT with the results (or PIPE_ACK with a count), once the
//   job ends and before each await.
// - The first failure (the method throws or rejects, or the object failed to
//   construct) sends the results so far, then PIPE_FAIL; every later item of
//   the pipe is skipped, in this job and in those queued after it.
// - PIPE_END with stop = 1 (a hard stop) skips every item not started and
//   aborts the running item's jobSignal(). The PIPE_OPEN job is answered once
//   PIPE_END arrived and no batch of the pipe is left in the object's queue.

import type { Desync } from "../desync/desync.ts";
import { PIPE_ACK, PIPE_FAIL, PIPE_OUT } from "./protocol.ts";
import { takeTransfer } from "./transfer.ts";
import { type Cancellable, NOT_CANCELLED, setCurrent } from "./job_signal.ts";
import { serializeError } from "./errors.ts";

/** What the pipes need of the host. */
export interface PipeHost {
  object(objectId: number):
    | {
      desync: Desync<object | undefined>;
      instance: object | undefined;
      failed?: { error: unknown };
    }
    | undefined;
  ok(jobId: number): void;
  fail(jobId: number, error: unknown): void;
  /** Queues a reply operation (with what it transfers) in this tick's batch. */
  emit(op: unknown[], transfer: unknown[] | undefined): void;
}

interface Pipe {
  readonly id: number;
  readonly objectId: number;
  readonly method: string;
  readonly results: boolean;
  readonly job: Cancellable;
  /** Batches queued on the object and not yet finished. */
  batches: number;
  ended: boolean;
  /** Failed or hard-stopped: items not started are skipped. */
  stopped: boolean;
}

export class HostPipes {
  #host: PipeHost;
  #pipes = new Map<number, Pipe>();

  constructor(host: PipeHost) {
    this.#host = host;
  }

  open(objectId: number, id: number, method: string, results: boolean): void {
    if (this.#host.object(objectId) === undefined) {
      return this.#host.fail(id, new TypeError(`no object ${objectId} here`));
    }
    const job: Cancellable = { cancelled: NOT_CANCELLED, controller: undefined };
    const pipe = { id, objectId, method, results, job, batches: 0, ended: false, stopped: false };
    this.#pipes.set(id, pipe);
  }

  items(id: number, items: unknown[]): void {
    const pipe = this.#pipes.get(id);
    const hosted = pipe === undefined ? undefined : this.#host.object(pipe.objectId);
    if (pipe === undefined || hosted === undefined) return; // ended, or its object is gone
    pipe.batches++;
    hosted.desync.desync(() => this.#run(pipe, items));
  }

  end(id: number, stop: boolean, reason: unknown): void {
    const pipe = this.#pipes.get(id);
    if (pipe === undefined) return;
    pipe.ended = true;
    if (stop) {
      pipe.stopped = true;
      pipe.job.cancelled = reason;
      pipe.job.controller?.abort(reason);
    }
    if (pipe.batches === 0) this.#close(pipe);
  }

  /** One batch, as one job of the object; never throws. */
  #run(pipe: Pipe, items: unknown[]): unknown {
    const host = this.#host;
    const hosted = host.object(pipe.objectId);
    if (pipe.stopped || hosted === undefined) return this.#batchDone(pipe);
    const out: unknown[] = [];
    let transfer: unknown[] | undefined;
    let done = 0;
    const report = () => {
      if (done === 0) return;
      if (pipe.results) host.emit([PIPE_OUT, pipe.id, done, ...out], transfer);
      else host.emit([PIPE_ACK, pipe.id, done], undefined);
      out.length = done = 0;
      transfer = undefined;
    };
    const record = (value: unknown) => {
      done++;
      if (!pipe.results) return;
      out.push(value);
      const list = takeTransfer(value);
      if (list !== undefined) (transfer ??= []).push(...list);
    };
    const fail = (error: unknown) => {
      report();
      if (!pipe.stopped) {
        pipe.stopped = true;
        host.emit([PIPE_FAIL, pipe.id, serializeError(error)], undefined);
      }
      return this.#batchDone(pipe);
    };
    if (hosted.failed !== undefined) return fail(hosted.failed.error);
    const instance = hosted.instance as Record<string, unknown>;
    const fn = instance?.[pipe.method];
    if (typeof fn !== "function") {
      return fail(new TypeError(`"${pipe.method}" is not a method of this object`));
    }
    let i = 0;
    const step = (): unknown => {
      while (i < items.length) {
        if (pipe.stopped) return this.#batchDone(pipe); // hard stop: nobody wants more
        let result: unknown;
        setCurrent(pipe.job);
        try {
          result = fn.call(instance, items[i++]);
        } catch (error) {
          return fail(error);
        } finally {
          setCurrent(undefined);
        }
        if (isThenable(result)) {
          report(); // what ran before the await is not held back by it
          return Promise.resolve(result).then((value) => {
            record(value);
            return step();
          }, fail);
        }
        record(result);
      }
      report();
      return this.#batchDone(pipe);
    };
    return step();
  }

  #batchDone(pipe: Pipe): undefined {
    pipe.batches--;
    if (pipe.ended && pipe.batches === 0) this.#close(pipe);
    return undefined;
  }

  #close(pipe: Pipe): void {
    this.#pipes.delete(pipe.id);
    this.#host.ok(pipe.id);
  }
}

/** Whether `value` is a promise or thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
