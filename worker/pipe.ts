// Copyright 2026 the desync authors. MIT license.
// The main side of a pipe into a worker object: the pipe functions of
// pipe/ run their usual engine (PipeRun: source reading, back-pressure,
// endings), and this driver stands in for the Desync's queue. It batches the
// items the engine offers into PIPE_ITEMS operations and turns the worker's
// PIPE_ACK / PIPE_OUT / PIPE_FAIL replies into the engine's per-item outcomes.
//
// Invariants:
// - The pipe is one job of its object (PIPE_OPEN, answered after PIPE_END):
//   a crash or a pool stop rejects it like any pending job, which stops the
//   engine, so nothing waits on a dead worker.
// - Items leave in the order offered, at most `batch` per operation, through
//   the connection's outbox: they interleave with the object's other jobs in
//   the order scheduled: a partial batch goes out at the end of the tick, or
//   before any other operation is queued on the connection (Connection.hold).
//   The engine frees room a batch at a time, half a window for a readable
//   output (PipePlan's `chunk`, see roomChunk), so that a reader taking one
//   result at a time does not turn into one message per item.
// - Replies come in item order; the engine's count of items in flight only
//   drops on a reply, so "offered minus answered" never exceeds the limit.
// - Nothing is sent after PIPE_END; a hard stop (the engine's signal aborts)
//   drops the unsent items and sends PIPE_END with stop = 1.

import { ClosedError } from "../_engine/errors.ts";
import type { AnyFunction } from "../_engine/job.ts";
import type { QueueCore } from "../_engine/queue_core.ts";
import type { PipePlan } from "../_engine/remote_pipe.ts";
import { assertCount, assertOptions, describe, optionalSignal } from "../_engine/validate.ts";
import type { Job, ObjectState } from "./connection.ts";
import { deserializeError, serializeError } from "./errors.ts";
import {
  PIPE_ACK,
  PIPE_END,
  PIPE_FAIL,
  PIPE_IDS,
  PIPE_ITEMS,
  PIPE_OPEN,
  PIPE_OUT,
} from "./protocol.ts";

/** The default window: see WorkerPipeOptions.backpressure. */
export const DEFAULT_BACKPRESSURE = 256;
/** The default batch: see WorkerPipeOptions.batch (measured: bench/worker.ts). */
export const DEFAULT_BATCH = 64;

const OPTIONS = ["backpressure", "batch", "transfer", "signal"];
/** The engine calls this per item locally; here the worker runs the method. */
const notRunHere: AnyFunction = () => undefined;

interface Options {
  backpressure?: unknown;
  batch?: unknown;
  transfer?: unknown;
  signal?: unknown;
}

/**
 * Checks a pipe into a worker object and plans it (WorkerDesync's
 * REMOTE_PIPE). `fn` names the pipe function; `methods` are the class's
 * method names once its worker said them. @internal
 */
export function planRemotePipe(
  state: ObjectState,
  methods: readonly string[] | undefined,
  report: (error: unknown) => void,
  fn: string,
  method: unknown,
  options: unknown,
  collect: boolean,
): PipePlan {
  if (typeof method !== "string") {
    throw new TypeError(
      `${fn}(): "method" must be the name of a method of ${state.className} (the target is a ` +
        `WorkerDesync), got ${describe(method)}`,
    );
  }
  if (methods !== undefined && !methods.includes(method)) {
    throw new TypeError(
      `${fn}(): "${method}" is not a method of ${state.className}; its methods: ${
        methods.join(", ")
      }`,
    );
  }
  assertOptions(options, fn, OPTIONS);
  const given = (options ?? {}) as Options;
  const signal = optionalSignal(given.signal, fn);
  const limit = given.backpressure ?? DEFAULT_BACKPRESSURE;
  assertCount(limit, fn, "options.backpressure");
  const batch = given.batch ?? DEFAULT_BATCH;
  assertCount(batch, fn, "options.batch");
  const transfer = given.transfer;
  if (transfer !== undefined && typeof transfer !== "function") {
    throw new TypeError(
      `${fn}(): "options.transfer" must be a function (item) => Transferable[], got ${
        describe(transfer)
      }`,
    );
  }
  if (state.status === "crashed") throw state.crash;
  if (state.status !== "live") {
    throw new ClosedError(`${fn}("${method}"): the ${state.className} is closed`);
  }
  const size = Math.min(batch as number, limit as number);
  const driver = new RemotePipe(
    state,
    fn,
    method,
    collect,
    size,
    transfer as ((item: unknown) => unknown[]) | undefined,
    report,
  );
  return {
    queue: driver as unknown as QueueCore,
    process: notRunHere,
    limit: limit as number,
    chunk: roomChunk(size, limit as number, collect),
    signal,
    attach: (run) => driver.open(run),
  };
}

/**
 * How many items of room the engine waits for before taking more (PipePlan's
 * `chunk`). A batch at least, so that items leave in whole batches. With a
 * readable output, whose reader frees room one result at a time, half the
 * window: room freed 64 items at a time made a message per batch, and each
 * message wakes the other thread (tens of microseconds on a loaded machine).
 * Half a window of 256 halves the messages (measured side by side, 1 M items:
 * pipe() from 0.3-0.5 to 0.5-1.1 M items/s) while the other half keeps the
 * worker busy.
 */
function roomChunk(size: number, limit: number, collect: boolean): number {
  if (size === Infinity) return 1; // no limit either: the engine never waits for room
  return collect && limit !== Infinity ? Math.max(size, Math.ceil(limit / 2)) : size;
}

interface Engine {
  stop(reason: unknown, keepResults: boolean): void;
}

/** What the engine uses of a QueueCore, for a pipe into a worker object. */
class RemotePipe {
  readonly #state: ObjectState;
  readonly #fn: string;
  readonly #method: string;
  readonly #collect: boolean;
  readonly #batch: number;
  readonly #transfer: ((item: unknown) => unknown[]) | undefined;
  readonly #report: (error: unknown) => void;
  #job: Job | undefined;
  #items: unknown[] = [];
  #transfers: unknown[] | undefined;
  #flushQueued = false;
  #ended = false;
  #onResult: ((value: unknown) => void) | undefined;
  #onFailure: ((error: unknown) => void) | undefined;
  /** The engine's close listener, wrapped: send the partial batch before the CLOSE. */
  #onClose: (() => void) | undefined;
  readonly scheduler = {
    report: (_queue: unknown, error: unknown, _what: string): void => this.#report(error),
  };

  constructor(
    state: ObjectState,
    fn: string,
    method: string,
    collect: boolean,
    batch: number,
    transfer: ((item: unknown) => unknown[]) | undefined,
    report: (error: unknown) => void,
  ) {
    this.#state = state;
    this.#fn = fn;
    this.#method = method;
    this.#collect = collect;
    this.#batch = batch;
    this.#transfer = transfer;
    this.#report = report;
  }

  /** Opens the pipe in the worker (PIPE_OPEN): from now on a crash stops `run`. */
  open(run: Engine): void {
    const state = this.#state;
    const conn = state.conn;
    const id = -(PIPE_IDS + ++nextPipe);
    const job: Job = {
      id,
      object: state,
      resolve: () => {},
      reject: (error) => run.stop(error, true),
      settled: false,
      op: -1,
      what: this.#fn,
      method: this.#method,
      cleanup: undefined,
    };
    this.#job = job;
    conn.pipes.set(id, (batch, i) => this.#reply(batch, i));
    conn.send(job, [PIPE_OPEN, state.id, id, this.#method, this.#collect ? 1 : 0]);
  }

  pushItem(
    _fn: unknown,
    item: unknown,
    signal: AbortSignal,
    onResult: (value: unknown) => void,
    onFailure: (error: unknown) => void,
  ): void {
    if (this.#onResult === undefined) {
      this.#onResult = onResult;
      this.#onFailure = onFailure;
      signal.addEventListener("abort", () => this.#end(true, signal.reason), { once: true });
    }
    if (this.#ended) return; // the engine stopped: the item is dropped
    if (this.#transfer !== undefined) {
      const list = this.#transfer(item);
      if (list.length > 0) {
        // Items of one batch may share a buffer (views of it): a transfer list
        // names it once (Node, Bun and browsers refuse duplicates).
        const all = this.#transfers ??= [];
        for (const transferable of list) if (!all.includes(transferable)) all.push(transferable);
      }
    }
    if (this.#items.push(item) === 1) this.#state.conn.hold(this.#sendItems);
    if (this.#items.length >= this.#batch) this.#flush();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
    }
  }

  addCloseListener(listener: () => void): void {
    this.#onClose = () => {
      this.#flush(); // the items taken go out before the CLOSE, and run
      listener();
    };
    (this.#state.closeListeners ??= new Set()).add(this.#onClose);
  }

  /** The engine calls this once, when the pipe has finished: free it in the worker. */
  removeCloseListener(_listener: () => void): void {
    if (this.#onClose !== undefined) this.#state.closeListeners?.delete(this.#onClose);
    this.#end(false, undefined);
  }

  readonly #sendItems = (): void => this.#flush();

  #flush(): void {
    const items = this.#items;
    if (items.length === 0 || this.#ended) return;
    this.#state.conn.release(this.#sendItems);
    const transfers = this.#transfers;
    this.#items = [];
    this.#transfers = undefined;
    this.#state.conn.send(undefined, [PIPE_ITEMS, this.#job!.id], items, transfers);
  }

  /** Frees the pipe in the worker; `stop`: skip what has not started, abort the running item. */
  #end(stop: boolean, reason: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#state.conn.release(this.#sendItems);
    this.#items = [];
    this.#transfers = undefined;
    const conn = this.#state.conn;
    const job = this.#job;
    if (job === undefined || conn.state === "dead") return;
    conn.pipes.delete(job.id);
    conn.send(undefined, [PIPE_END, job.id, stop ? 1 : 0, stop ? serializeError(reason) : 0]);
  }

  #reply(batch: readonly unknown[], i: number): void {
    const kind = batch[i];
    if (kind === PIPE_FAIL) return this.#onFailure?.(deserializeError(batch[i + 2]));
    const onResult = this.#onResult!;
    const count = batch[i + 2] as number;
    if (kind === PIPE_ACK) {
      for (let k = 0; k < count; k++) onResult(undefined);
    } else if (kind === PIPE_OUT) {
      for (let k = i + 3; k < i + 3 + count; k++) onResult(batch[k]);
    }
  }
}

/**
 * Pipe ids are negative: they share the connection's job table with positive
 * job ids, and stay below the untracked jobs' -objectId (protocol.ts).
 */
let nextPipe = 0;
