// Copyright 2026 the desync authors. MIT license.
// One worker of a pool, seen from the main thread: its outgoing batch, the
// jobs it owes replies for, the objects it hosts, and its death.
//
// Worker lifecycle and its invariants:
// - STARTING: the worker runs its module; operations wait in the outbox (a
//   message sent before the worker's handler exists would be lost).
// - READY: the worker said "ready"; the outbox is flushed once per tick.
// - DEAD: stopped by the pool (close, terminate, idle) or died on its own.
//   Entered once; on entry every pending job is settled (ClosedError for a
//   stop, WorkerCrashedError for a death), every hosted object still open is
//   marked crashed, and the pool forgets the connection. Nothing is ever sent
//   again, so no promise handed out can wait on a dead worker.
// - A job is in `pending` from the moment it is scheduled until its reply
//   arrives or the worker is dead; a cancelled job stays there (settled) until
//   the worker answers, because it may still hold its object.

import { type ClosedError, DesyncError } from "../_engine/errors.ts";
import { describe } from "../_engine/validate.ts";
import type { ErrorHandler } from "../_engine/types.ts";
import { SyncChannel, syncTimedOut } from "./blocking.ts";
import { UntrackedJobs } from "./untracked.ts";
import type { Endpoint, Starter } from "./endpoint.ts";
import { deserializeError, serializeError, WorkerCrashedError } from "./errors.ts";
import {
  CANCEL,
  CANCELLABLE,
  CLOSE,
  CLOSING,
  CREATE,
  DONE,
  FAIL,
  FLUSH_AT,
  OK,
  PIPE_ACK,
  PIPE_FAIL,
  PIPE_IDS,
  PIPE_ITEMS,
  PIPE_OUT,
  READY,
  replyEnd,
  REPORT,
  requestEnd,
  SETTLE,
  SYNC,
  TOMBSTONE,
} from "./protocol.ts";
import { splitAtTransfers, takeTransfers } from "./transfer.ts";

/** An object hosted by a worker, seen from the main thread. */
export interface ObjectState {
  readonly id: number;
  readonly className: string;
  readonly conn: Connection;
  /** "closing" once close() was called; "closed" once the worker freed it. */
  status: "live" | "closing" | "closed" | "crashed";
  crash: WorkerCrashedError | undefined;
  /** Set when construction failed: every job fails with it. */
  failed: { error: unknown } | undefined;
  onError: ErrorHandler | undefined;
  /** Jobs scheduled and not yet answered (cancelled ones excluded). */
  queued: number;
  /** Past this many queued jobs, scheduling throws QueueFullError (CreateOptions.maxQueued). */
  readonly maxQueued: number;
  /** after() jobs whose promise's value is not yet on its way to the worker. */
  afters?: Set<Job>;
  /**
   * Fire-and-forget jobs sent untracked (see untracked.ts) and
   * not yet answered, and the one Job that stands for all of them.
   */
  untracked?: number;
  fireAndForget?: Job;
  /** Told before close() sends its CLOSE: the pipes into this object (worker/pipe.ts). */
  closeListeners?: Set<() => void>;
}

/** Takes a pipe's reply (PIPE_ACK, PIPE_OUT or PIPE_FAIL) starting at `batch[i]`. */
export type PipeReplies = (batch: readonly unknown[], i: number) => void;

/** A scheduled operation that owes its caller an answer. */
export interface Job {
  readonly id: number;
  readonly object: ObjectState;
  /** Settles the caller; called at most once. */
  resolve(value: unknown): void;
  reject(error: unknown): void;
  settled: boolean;
  /** Where the operation starts in the outbox while it waits there; -1 once sent. */
  op: number;
  /** What the operation was, for messages: "WorkerDesync.futureSync", and its method. */
  readonly what: string;
  readonly method: string | undefined;
  cleanup: (() => void) | undefined;
}

export interface PoolHooks {
  report(error: unknown): void;
  dead(conn: Connection): void;
  idle(conn: Connection): void;
  classes(methods: Record<string, string[]>): void;
  /**
   * Something the pool's onError should hear of, but not worth ending the
   * process for when there is none (a message the worker's own code posted).
   */
  notice(error: unknown): void;
  /** Milliseconds a worker may take to say "ready" before it counts as crashed. */
  readonly startTimeout: number;
  /** Milliseconds sync() blocks before it throws SyncTimeoutError. */
  readonly syncTimeout: number;
}

let liveWorkers = 0;
let workerNumber = 0;

/** How many workers are started and not yet stopped, in this thread (for tests). */
export function workersAlive(): number {
  return liveWorkers;
}

export class Connection {
  state: "starting" | "ready" | "dead" = "starting";
  readonly objects: Set<ObjectState> = new Set();
  readonly pending: Map<number, Job> = new Map();
  /** Open pipes into this worker's objects, by id: they get PIPE_ACK, PIPE_OUT, PIPE_FAIL. */
  readonly pipes: Map<number, PipeReplies> = new Map();
  readonly dedicated: boolean;
  #hooks: PoolHooks;
  #endpoint: Endpoint;
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
  #sync: SyncChannel | undefined;
  /** Names the worker in messages ("worker 3": the third started in this thread). */
  readonly number: number = ++workerNumber;
  /** What the worker's protocol messages start with; anything else is user code's. */
  #tag: string;
  #strayReported = false;
  /**
   * Fires if the worker has not said "ready" in time: a wrong entry, an entry
   * that never calls serve(), or one that ended before serve() ran, none of
   * which any runtime reports (Deno and browsers send no event for a worker
   * that closes itself, and one that just never serves lives on).
   */
  #startTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(start: Starter, hooks: PoolHooks, dedicated: boolean) {
    this.#hooks = hooks;
    this.dedicated = dedicated;
    liveWorkers++;
    const { endpoint, tag } = start({
      message: (data) => this.#receive(data),
      died: (cause, exitCode) => this.#died(cause, exitCode),
    }, nonce());
    this.#endpoint = endpoint;
    this.#tag = tag;
    const timeout = hooks.startTimeout;
    if (timeout !== Infinity && this.state === "starting") {
      this.#startTimer = setTimeout(() => {
        this.#startTimer = undefined;
        const cause = new Error(
          `no "ready" within startTimeout (${timeout} ms) of its start (wrong entry file? ` +
            `serve() not called in it, or not at its top level? the worker ended before ` +
            `serve() ran?)`,
        );
        this.#died(cause, undefined, "never became ready");
      }, timeout);
      // Not unref'd: a worker that closed itself before serve() keeps nothing
      // alive on Deno, and the caller awaiting it must still get its answer.
    }
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
      this.pending.set(job.id, job);
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
    if (this.state !== "ready") return;
    if (outbox.length >= FLUSH_AT) this.#flush(); // let the worker start on a long burst
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
      this.pending.set(job.id, job);
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
    if (this.state !== "ready") return;
    if (outbox.length >= FLUSH_AT) this.#flush(); // let the worker start on a long burst
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushSoon);
    }
  }

  readonly #flushSoon = (): void => {
    this.#flushQueued = false;
    this.#flush();
  };

  #untracked: UntrackedJobs = new UntrackedJobs();
  /** The worker's classes' method names (READY): what a method index on the wire stands for. */
  #methodNames: Record<string, string[]> = {};

  /** How many jobs this worker owes replies for. */
  get owed(): number {
    return this.pending.size + this.#untracked.count;
  }

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

  /** The caller gave up on `job` (its signal aborted). */
  cancel(job: Job, reason: unknown): void {
    if (job.settled) return;
    if (job.op >= 0) {
      (this.#outbox[job.op] as number) += TOMBSTONE; // never sent: the worker skips it
      this.#transfers?.delete(this.#starts.indexOf(job.op)); // what it would move stays here
      this.#finish(job);
    } else {
      this.send(undefined, [CANCEL, job.id, serializeError(reason)]);
      job.object.queued--; // no longer counted; its reply is still awaited
    }
    job.settled = true;
    job.reject(reason);
  }

  /**
   * Runs `method` as a blocking call (WorkerDesync.sync): queues it behind
   * every operation already queued for this worker, sends them now, and
   * blocks until the worker answers or says it is ending. The caller has
   * checked that this thread may block and that the worker is ready.
   */
  syncCall(
    object: ObjectState,
    id: number,
    method: string,
    args: unknown[],
    flags: number,
  ): unknown {
    let outcome: { ok: boolean; value: unknown } | undefined;
    const job: Job = {
      id,
      object,
      resolve: (value) => void (outcome = { ok: true, value }),
      reject: (value) => void (outcome = { ok: false, value }),
      settled: false,
      op: -1,
      what: "WorkerDesync.sync",
      method,
      cleanup: undefined,
    };
    let channel = this.#sync;
    if (channel === undefined) {
      channel = this.#sync = new SyncChannel();
      this.#endpoint.post(...channel.setup);
    }
    const timeout = this.#hooks.syncTimeout;
    const deadline = performance.now() + timeout;
    // Cancellable when it can time out: its jobSignal then aborts.
    channel.expect(job.id);
    this.send(job, [
      SYNC,
      object.id,
      job.id,
      method,
      flags | (timeout === Infinity ? 0 : CANCELLABLE),
    ], args);
    this.#flush();
    if (outcome === undefined) {
      // Not refused at the post (a value that cannot be cloned): wait.
      const answer = channel.wait(job.id, deadline, this.#endpoint.stopped);
      channel.done();
      if (answer.kind === "answer") {
        this.#reply(job.id, answer.ok, answer.ok ? answer.value : deserializeError(answer.value));
      } else if (answer.kind === "timeout") {
        this.cancel(job, syncTimedOut(method, timeout));
        this.#reply(job.id, false, undefined); // forgets it: its answer, if any, is skipped
      } else if (answer.kind === "dying") {
        this.#died(new Error("user code ended the worker"), answer.exitCode);
      } else {
        this.#died(
          new Error(
            "its thread stopped while sync() waited, with none of its code running " +
              "(out of memory under resourceLimits? terminated?)",
          ),
          undefined,
        );
      }
    }
    if (outcome!.ok) return outcome!.value;
    throw outcome!.value;
  }

  #flush(): void {
    if (this.state !== "ready" || this.#outbox.length === 0) return;
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
          (op[0] === PIPE_ITEMS ? this.pending.get(op[1] as number) : undefined);
        const failure = new TypeError(
          `${describeJob(job, op, this.#methodNames)}: a value cannot be sent to the worker ` +
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

  #receive(data: unknown): void {
    if (this.state === "dead") return;
    if (
      !Array.isArray(data) || data.length !== 2 || data[0] !== this.#tag || !Array.isArray(data[1])
    ) {
      return this.#stray(data);
    }
    const batch = data[1] as unknown[];
    for (let i = 0; i < batch.length; i = replyEnd(batch, i)) {
      switch (batch[i]) {
        case READY:
          this.state = "ready";
          clearTimeout(this.#startTimer);
          this.#startTimer = undefined;
          this.#methodNames = batch[i + 1] as Record<string, string[]>;
          this.#hooks.classes(this.#methodNames);
          this.#flush();
          break;
        case OK:
          this.#reply(batch[i + 1] as number, true, batch[i + 2]);
          break;
        case DONE: {
          const end = i + 2 + (batch[i + 1] as number);
          for (let k = i + 2; k < end; k++) this.#reply(batch[k] as number, true, undefined);
          break;
        }
        case FAIL:
          this.#reply(batch[i + 1] as number, false, deserializeError(batch[i + 2]));
          break;
        case REPORT:
          this.#hooks.report(deserializeError(batch[i + 1]));
          break;
        case PIPE_ACK:
        case PIPE_OUT:
        case PIPE_FAIL:
          this.pipes.get(batch[i + 1] as number)?.(batch, i);
          break;
        case CLOSING:
          this.#died(new Error("user code ended the worker"), batch[i + 1] as number | undefined);
          return;
      }
    }
  }

  /**
   * A message that is not the protocol's: user code in the worker posting on
   * the global port the protocol uses. Ignored (it must not settle anyone's
   * job), and reported once per worker: more would flood the handlers. With
   * no pool onError it is a console warning: the messages harm nothing.
   */
  #stray(data: unknown): void {
    if (this.#strayReported) return;
    this.#strayReported = true;
    this.#hooks.notice(
      new DesyncError(
        `worker #${this.number} (workers are numbered in start order, per thread) posted a ` +
          `message that is not desync's (${
            describe(data)
          }): code in the worker called postMessage on its global port, which desync uses; ` +
          `desync ignores such messages (this is reported once per worker): give that code a ` +
          `MessageChannel of its own`,
      ),
    );
  }

  #reply(id: number, ok: boolean, value: unknown): void {
    if (id < 0 && id > -PIPE_IDS) {
      // An untracked job's (see untracked.ts): its id is -objectId (a pipe's is below).
      this.#untracked.answer(-id, ok, value);
      if (this.#untracked.count === 0) this.#maybeIdle();
      return;
    }
    const job = this.pending.get(id);
    if (job === undefined) return;
    const wasSettled = job.settled;
    this.#finish(job);
    if (wasSettled) return;
    job.settled = true;
    if (ok) job.resolve(value);
    else job.reject(value);
  }

  #finish(job: Job): void {
    this.pending.delete(job.id);
    if (!job.settled) job.object.queued--;
    job.cleanup?.();
    if (this.pending.size === 0) this.#maybeIdle();
  }

  /** No tracked job pending: lets the process exit if no untracked one is either. */
  #maybeIdle(): void {
    if (this.pending.size !== 0 || this.#untracked.count !== 0) return;
    if (this.#referenced) {
      this.#referenced = false;
      this.#endpoint.unref();
    }
    if (this.objects.size === 0) this.#hooks.idle(this);
  }

  /** The pool stops this worker: pending jobs reject with `reason`. */
  stop(reason: ClosedError): Promise<void> {
    if (this.state === "dead") return Promise.resolve();
    this.#end(() => reason);
    return this.#endpoint.terminate().catch(() => {});
  }

  #died(cause: unknown, exitCode: number | undefined, what = "died"): void {
    if (this.state === "dead") return;
    const how = exitCode === undefined ? "" : ` (exit code ${exitCode})`;
    let message = (cause as Error)?.message;
    if (this.state === "starting" && what === "died") {
      what = "died before it became ready";
      // Nothing said why: the usual reason is an entry that does not serve.
      message ||= "wrong entry file? serve() not called in it?";
    }
    const crash = new WorkerCrashedError(
      `the worker hosting this object ${what}${how}${message ? `: ${message}` : ""}; ` +
        `the object's state is lost`,
      { cause, exitCode },
    );
    this.#end(() => crash, crash);
    this.#endpoint.terminate().catch(() => {});
  }

  #end(error: () => Error, crash?: WorkerCrashedError): void {
    this.state = "dead";
    clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
    liveWorkers--;
    this.#sync?.close();
    this.#outbox = [];
    this.#starts = [];
    this.#outJobs = [];
    this.#transfers = undefined;
    this.#held = undefined;
    for (const object of this.objects) {
      if (crash !== undefined) {
        object.status = "crashed";
        object.crash = crash;
      } else if (object.status !== "closed") {
        object.status = "closed";
      }
    }
    this.objects.clear();
    this.pipes.clear();
    const jobs = [...this.pending.values()];
    this.pending.clear();
    this.#untracked.endAll(error);
    for (const job of jobs) {
      job.cleanup?.();
      if (job.settled) continue;
      job.settled = true;
      job.object.queued--;
      job.reject(error());
    }
    this.#hooks.dead(this);
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

/** A per-worker tag for the protocol's messages; not a secret, only unlikely to be posted by accident. */
function nonce(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
}
