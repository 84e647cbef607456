// Copyright 2026 the desync authors. MIT license.
// One worker of a pool, seen from the main thread: the jobs it owes replies
// for, the objects it hosts, its replies, and its death. Its outgoing batch
// is its Outbox (outbox.ts); what a job and an object are is in job.ts.
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
import { SyncChannel, syncTimedOut } from "./blocking.ts";
import { UntrackedJobs } from "./untracked.ts";
import type { Endpoint, Starter } from "./endpoint.ts";
import { deserializeError, serializeError, WorkerCrashedError } from "./errors.ts";
import type { Job, ObjectState } from "./job.ts";
import { Outbox } from "./outbox.ts";
import {
  CANCEL,
  CANCELLABLE,
  CLOSING,
  DONE,
  FAIL,
  OK,
  PIPE_ACK,
  PIPE_FAIL,
  PIPE_IDS,
  PIPE_OUT,
  READY,
  replyEnd,
  REPORT,
  SYNC,
} from "./protocol.ts";

export type { Job, ObjectState } from "./job.ts";

/** Takes a pipe's reply (PIPE_ACK, PIPE_OUT or PIPE_FAIL) starting at `batch[i]`. */
export type PipeReplies = (batch: readonly unknown[], i: number) => void;

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
  /**
   * The operations queued and not yet posted (outbox.ts). The per-job hot
   * path calls `outbox.call()` itself: a forwarder here cost ~8% of it.
   */
  readonly outbox: Outbox;
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
    this.outbox = new Outbox(
      this,
      endpoint,
      this.#untracked,
      (id, ok, v) => this.#reply(id, ok, v),
    );
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

  /** Queues an operation for the worker (see Outbox.send). */
  send(job: Job | undefined, fields: unknown[], args?: unknown[], transfer?: unknown[]): void {
    this.outbox.send(job, fields, args, transfer);
  }

  #untracked: UntrackedJobs = new UntrackedJobs();

  /** How many jobs this worker owes replies for. */
  get owed(): number {
    return this.pending.size + this.#untracked.count;
  }

  /** A pipe holds a partial batch: `sendItems` is called before the next operation is queued. */
  hold(sendItems: () => void): void {
    this.outbox.hold(sendItems);
  }

  /** The pipe is sending (or dropping) its partial batch itself. */
  release(sendItems: () => void): void {
    this.outbox.release(sendItems);
  }

  /** The caller gave up on `job` (its signal aborted). */
  cancel(job: Job, reason: unknown): void {
    if (job.settled) return;
    if (job.op >= 0) {
      this.outbox.tombstone(job); // never sent: the worker skips it
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
    this.outbox.flush();
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
          this.outbox.methodNames = batch[i + 1] as Record<string, string[]>;
          this.#hooks.classes(this.outbox.methodNames);
          this.outbox.flush();
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
    this.outbox.unref();
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
    this.outbox.clear();
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

/** A per-worker tag for the protocol's messages; not a secret, only unlikely to be posted by accident. */
function nonce(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
}
