// Copyright 2026 the desync authors. MIT license.
// A connection's outgoing batch (connection.ts owns one): the operations
// queued for its worker since the last flush, and how they are posted.
//
// Invariants of the outbox:
// - Each operation is queued whole, in the order scheduled: its start in
//   #starts, the job waiting on it (or undefined) in #outJobs at the same
//   index, and what it transfers, if anything, in #transfers at that index.
// - A tracked job enters the connection's `pending` when it is queued;
//   `job.op` is its start in the outbox while it waits there (a cancel then
//   tombstones it in place, and the worker skips it), -1 once it is posted.
// - The outbox posts nothing before the connection is ready; then it leaves
//   once per tick (a microtask), or at once when it reaches FLUSH_AT.
// - A pipe holding a partial batch of items (hold()) sends it before any
//   other operation is queued: a pipe's items keep their place among jobs.
// - An operation that cannot be cloned fails alone, where it was made (its
//   job rejects); the others still go, in order. An operation behind a
//   construction that could not be sent, in the same batch, fails with that
//   construction's error.
// - The endpoint keeps the process alive from the moment a job is queued
//   until the connection is idle (unref()).

import { serializeError } from "./errors.ts";
import type { Endpoint } from "./endpoint.ts";
import type { Job } from "./job.ts";
import type { UntrackedJobs } from "./untracked.ts";
import { CLOSE, CREATE, FLUSH_AT, PIPE_ITEMS, requestEnd, SETTLE, TOMBSTONE } from "./protocol.ts";
import { splitAtTransfers, takeTransfers } from "./transfer.ts";

/** What the outbox reads of the connection that owns it. */
export interface OutboxOwner {
  readonly state: "starting" | "ready" | "dead";
  readonly pending: Map<number, Job>;
}

/** The operations queued for one worker and not yet posted. */
export class Outbox {
  #owner: OutboxOwner;
  #endpoint: Endpoint;
  #untracked: UntrackedJobs;
  /** Answers a job the outbox could not send (the connection's reply). */
  #reply: (id: number, ok: boolean, value: unknown) => void;
  #outbox: unknown[] = [];
  /** Where each operation of the outbox starts, and who waits on it. */
  #starts: number[] = [];
  #outJobs: (Job | undefined)[] = [];
  /** The transfer lists of the outbox's operations that have one, by their index in #starts. */
  #transfers: Map<number, unknown[]> | undefined;
  /**
   * Pipes holding a partial batch of items (worker/pipe.ts): each sends it
   * before any other operation is queued, so that a pipe's items keep their
   * place among the jobs scheduled after them.
   */
  #held: Set<() => void> | undefined;
  #flushQueued = false;
  #referenced = true;
  /** The worker's classes' method names (READY): what a method index on the wire stands for. */
  methodNames: Record<string, string[]> = {};

  constructor(
    owner: OutboxOwner,
    endpoint: Endpoint,
    untracked: UntrackedJobs,
    reply: (id: number, ok: boolean, value: unknown) => void,
  ) {
    this.#owner = owner;
    this.#endpoint = endpoint;
    this.#untracked = untracked;
    this.#reply = reply;
  }

  /**
   * Queues an operation: its fixed fields, then `args` (if given) inline
   * after their count. `job` is the caller waiting on it, if any. What
   * `transfer` lists, and what transfer() marked among `args`, is
   * transferred with the message.
   */
  send(job: Job | undefined, fields: unknown[], args?: unknown[], transfer?: unknown[]): void {
    if (this.#held !== undefined && this.#held.size > 0) this.#sendHeld();
    const outbox = this.#outbox;
    if (job !== undefined) {
      this.#owner.pending.set(job.id, job);
      job.object.queued++;
      job.op = outbox.length;
      if (!this.#referenced) {
        this.#referenced = true;
        this.#endpoint.ref();
      }
    }
    if (args !== undefined) {
      const marked = takeTransfers(args);
      if (marked !== undefined) {
        transfer = transfer === undefined ? marked : [...transfer, ...marked];
      }
    }
    if (transfer !== undefined && transfer.length > 0) {
      (this.#transfers ??= new Map()).set(this.#starts.length, transfer);
    }
    this.#starts.push(outbox.length);
    this.#outJobs.push(job);
    for (let i = 0; i < fields.length; i++) outbox.push(fields[i]);
    if (args !== undefined) {
      outbox.push(args.length);
      for (let i = 0; i < args.length; i++) outbox.push(args[i]);
    }
    if (this.#owner.state !== "ready") return;
    if (outbox.length >= FLUSH_AT) this.flush(); // let the worker start on a long burst
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushSoon);
    }
  }

  /**
   * Queues a CALL, AFTER or SYNC: `send(job, [kind, objectId, job.id,
   * method, cancellable], args)` without the array of fields (the per-job
   * hot path).
   */
  call(
    job: Job,
    kind: number,
    objectId: number,
    method: string | number,
    cancellable: number,
    args: unknown[],
  ): void {
    if (this.#held !== undefined && this.#held.size > 0) this.#sendHeld();
    const marked = takeTransfers(args);
    if (marked !== undefined) (this.#transfers ??= new Map()).set(this.#starts.length, marked);
    const outbox = this.#outbox;
    const start = outbox.length;
    if (job.id < 0) {
      // A fire-and-forget job, untracked: `job` stands for all of the object's.
      this.#untracked.add(job.object);
    } else {
      job.object.queued++;
      this.#owner.pending.set(job.id, job);
      job.op = start;
    }
    if (!this.#referenced) {
      this.#referenced = true;
      this.#endpoint.ref();
    }
    this.#starts.push(start);
    this.#outJobs.push(job);
    const argc = args.length;
    outbox.push(kind, objectId, job.id, method, cancellable, argc);
    for (let i = 0; i < argc; i++) outbox.push(args[i]);
    if (this.#owner.state !== "ready") return;
    if (outbox.length >= FLUSH_AT) this.flush(); // let the worker start on a long burst
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushSoon);
    }
  }

  readonly #flushSoon = (): void => {
    this.#flushQueued = false;
    this.flush();
  };

  /** Pipes' partial batches go ahead of the operation being queued (see hold()). */
  #sendHeld(): void {
    const pipes = [...this.#held!];
    this.#held!.clear();
    for (const sendItems of pipes) sendItems();
  }

  /** A pipe holds a partial batch: `sendItems` is called before the next operation is queued. */
  hold(sendItems: () => void): void {
    (this.#held ??= new Set()).add(sendItems);
  }

  /** The pipe is sending (or dropping) its partial batch itself. */
  release(sendItems: () => void): void {
    this.#held?.delete(sendItems);
  }

  /** `job` (still waiting here: `job.op >= 0`) was cancelled: the worker skips its operation. */
  tombstone(job: Job): void {
    (this.#outbox[job.op] as number) += TOMBSTONE;
    this.#transfers?.delete(this.#starts.indexOf(job.op)); // what it would move stays here
  }

  /** No job is owed: lets the process exit while the worker lives. */
  unref(): void {
    if (this.#referenced) {
      this.#referenced = false;
      this.#endpoint.unref();
    }
  }

  /** The worker is dead: what waits here is dropped (its jobs are settled by the connection). */
  clear(): void {
    this.#outbox = [];
    this.#starts = [];
    this.#outJobs = [];
    this.#transfers = undefined;
    this.#held = undefined;
  }

  /** Posts what waits, if the connection is ready. */
  flush(): void {
    if (this.#owner.state !== "ready" || this.#outbox.length === 0) return;
    const batch = this.#outbox;
    const starts = this.#starts;
    const jobs = this.#outJobs;
    const transfers = this.#transfers;
    this.#outbox = [];
    this.#starts = [];
    this.#outJobs = [];
    this.#transfers = undefined;
    for (const job of jobs) if (job !== undefined) job.op = -1;
    if (transfers === undefined) return this.#post(batch, starts, jobs, 0, starts.length);
    splitAtTransfers(
      starts.length,
      transfers,
      (from, to) => this.#post(batch, starts, jobs, from, to),
      (k) => this.#postOneByOne(batch, starts, jobs, transfers, k, k + 1),
    );
  }

  /** Posts operations `from` to `to` (exclusive) of the batch, which transfer nothing, in one message. */
  #post(batch: unknown[], starts: number[], jobs: (Job | undefined)[], from: number, to: number) {
    const whole = from === 0 && to === starts.length;
    try {
      this.#endpoint.post(
        whole ? batch : batch.slice(starts[from], to < starts.length ? starts[to] : batch.length),
      );
    } catch {
      this.#postOneByOne(batch, starts, jobs, undefined, from, to);
    }
  }

  /** Some operation could not be cloned: send the others, fail that one where it was made. */
  #postOneByOne(
    batch: unknown[],
    starts: number[],
    jobs: (Job | undefined)[],
    transfers: Map<number, unknown[]> | undefined,
    from: number,
    to: number,
  ): void {
    for (let k = from; k < to; k++) {
      const start = starts[k];
      const op = batch.slice(start, requestEnd(batch, start));
      const failed = jobs[k]?.object.failed;
      if (failed !== undefined && op[0] !== CREATE && op[0] !== CLOSE) {
        // Behind a construction that could not be sent: the worker has no such object.
        this.#reply(jobs[k]!.id, false, failed.error);
        continue;
      }
      try {
        const transfer = transfers?.get(k);
        if (transfer === undefined) this.#endpoint.post(op);
        else this.#endpoint.post(op, transfer);
      } catch (error) {
        // A pipe's items are no job of their own: their pipe's job fails.
        const job = jobs[k] ??
          (op[0] === PIPE_ITEMS ? this.#owner.pending.get(op[1] as number) : undefined);
        const failure = new TypeError(
          `${describeJob(job, op, this.methodNames)}: a value cannot be sent to the worker ` +
            `(structured clone refused it: ${(error as Error)?.message})`,
          { cause: error },
        );
        if (job === undefined) {
          // The value of an after()'s promise: the worker is told it failed.
          this.#endpoint.post([SETTLE, op[1], 0, serializeError(failure)]);
          continue;
        }
        if (op[0] === CREATE) job.object.failed = { error: failure };
        this.#reply(job.id, false, failure);
      }
    }
  }
}

/** `WorkerDesync.futureSync("add")`, for messages. */
function describeJob(
  job: Job | undefined,
  op: unknown[],
  names: Record<string, string[]>,
): string {
  if (job === undefined) return "WorkerDesync.after()";
  let method = job.method ?? op[3]; // an untracked job's stand-in has none
  if (typeof method === "number") method = names[job.object.className]?.[method];
  return `${job.what}(${method === undefined ? "" : JSON.stringify(method)})`;
}
