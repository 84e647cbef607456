// Copyright 2026 the desync authors. MIT license.
// The worker side's host: holds class instances, each in a local Desync, and
// answers the pool's batches through a channel that serve() opened.
//
// Invariants of a hosted object (Hosted):
// - Every operation for it arrives through one port, in the order the main
//   side scheduled it, and becomes a job of its Desync in that order: the
//   Desync keeps per-object FIFO, async methods hold it across awaits, and
//   the scheduler's fairness and event-loop yields apply.
// - Construction is its first job; if it throws, `failed` holds the error and
//   every later job fails with it.
// - Every CALL, AFTER and CLOSE gets exactly one OK or FAIL reply, whatever
//   happens (cancelled jobs included; the main side ignores those replies).

import { Desync } from "../desync/desync.ts";
import { serializeError } from "./errors.ts";
import { NO_EXIT_CODE } from "./blocking.ts";
import { closeHosted, failedValue, guardClose } from "./host_refs.ts";
import { answerBytes } from "./sync_bytes.ts";
import {
  AFTER,
  ANSWERED,
  CALL,
  CANCEL,
  CANCELLABLE,
  CLOSE,
  CLOSING,
  CREATE,
  DONE,
  DYING,
  EXIT_CODE,
  FAIL,
  FLUSH_AT,
  OK,
  PIPE_END,
  PIPE_ITEMS,
  PIPE_OPEN,
  READY,
  REFERENCES,
  replyEnd,
  REPORT,
  requestEnd,
  SETTLE,
  SYNC,
  SYNC_SETUP,
  TOMBSTONE,
} from "./protocol.ts";
import type { HostedClass } from "./types.ts";
import { HostPipes, isThenable } from "./host_pipe.ts";
import { splitAtTransfers, takeTransfer } from "./transfer.ts";

interface Hosted {
  className: string;
  desync: Desync<object | undefined>;
  instance: object | undefined;
  failed: { error: unknown } | undefined;
  /** Its class's method names: what a method index in a CALL or AFTER stands for. */
  names: string[];
}

/** A job that can be cancelled: told through its signal, made lazily. */
interface Cancellable {
  cancelled: unknown; // the reason, or NOT_CANCELLED
  controller: AbortController | undefined;
}

/** How the host talks to its pool. */
export interface Channel {
  /** Posts `message`, transferring `transfer` if given. */
  post(message: unknown, transfer?: unknown[]): void;
  onMessage(listener: (data: unknown) => void): void;
  onUncaught(listener: (error: unknown) => void): void;
  /** Where the runtime tells a worker it is ending (process "exit"), if it does. */
  onExit?(listener: (code: number | undefined) => void): void;
}

/** The blocking-call channel a pool gave this worker (see blocking.ts). */
interface SyncPort {
  control: Int32Array;
  /** null: the caller cannot read a port synchronously; answers go as bytes (sync_bytes.ts). */
  port: { postMessage(message: unknown, transfer?: unknown[]): void } | null;
}

const NOT_CANCELLED = Symbol("not cancelled");
let current: Cancellable | undefined;

/**
 * The signal of the job running now, for the synchronous part of a method of
 * a hosted object: it is aborted when the caller cancels the job (the job
 * keeps its object until it settles). Read it before the method's first
 * `await`. Outside a job, or for a job scheduled without a signal, it is a
 * signal that never aborts.
 *
 * @returns The job's signal.
 *
 * @example A method that stops when cancelled (in a worker entry)
 * ```ts
 * import { jobSignal } from "@desync/desync/worker";
 * import assert from "node:assert/strict";
 *
 * class Search {
 *   async run(steps: number): Promise<number> {
 *     const signal = jobSignal(); // before the first await
 *     let done = 0;
 *     while (done < steps && !signal.aborted) {
 *       await new Promise((resolve) => setTimeout(resolve, 1));
 *       done++;
 *     }
 *     return done;
 *   }
 * }
 * assert.equal(await new Search().run(2), 2); // outside a worker: never aborted
 * ```
 */
export function jobSignal(): AbortSignal {
  if (current === undefined) return (never ??= new AbortController()).signal;
  current.controller ??= new AbortController();
  if (current.cancelled !== NOT_CANCELLED) current.controller.abort(current.cancelled);
  return current.controller.signal;
}

/**
 * The signal outside any job: never aborted. Made on first use, not at load:
 * workerd refuses an AbortController created in a module's global scope.
 */
let never: AbortController | undefined;

/** The globals of a web Worker that serve() and the host use. */
export interface WebWorkerScope {
  name?: string;
  postMessage(message: unknown, transfer?: unknown[]): void;
  close?(): void;
  // deno-lint-ignore no-explicit-any
  addEventListener(type: string, listener: (event: any) => void): void;
}

export class Host {
  #classes: Record<string, HostedClass>;
  #channel: Channel;
  #objects = new Map<number, Hosted>();
  #cancellable = new Map<number, Cancellable>();
  #settlers = new Map<number, (ok: boolean, value: unknown) => void>();
  #outbox: unknown[] = [];
  /** Where each reply of the outbox starts (to resend them one by one). */
  #starts: number[] = [];
  /** Where the count of the last DONE run is, if the outbox ends with one; else -1. */
  #doneAt = -1;
  #sync: SyncPort | undefined;
  /** Jobs whose caller is blocked in sync(): answered on the sync port, at once. */
  #syncJobs = new Set<number>();
  /** Each class's method names, as READY told the pool: a CALL may name its method by index. */
  #methodNames: Record<string, string[]> = {};
  /** What the outbox's replies transfer, by their index in #starts (see transfer.ts). */
  #transfers: Map<number, unknown[]> | undefined;
  /** The pipes into this worker's objects (host_pipe.ts), made on first use. */
  #pipes: HostPipes | undefined;

  constructor(classes: Record<string, HostedClass>, channel: Channel) {
    this.#classes = classes;
    this.#channel = channel;
  }

  start(): void {
    this.#channel.onMessage((data) => this.#receive(data as unknown[][]));
    this.#channel.onUncaught((error) => this.#send(REPORT, serializeError(error)));
    this.#channel.onExit?.((code) => this.#dying(code));
    this.#wrapExits();
    const methods: Record<string, string[]> = {};
    for (const [name, cls] of Object.entries(this.#classes)) methods[name] = methodNames(cls);
    this.#methodNames = methods;
    this.#channel.post([READY, methods]);
  }

  /**
   * Deno and browsers report nothing to the parent when user code ends a
   * worker with `self.close()` or `Deno.exit()`: say so first.
   */
  #wrapExits(): void {
    const scope = globalThis as unknown as Partial<WebWorkerScope>;
    const post = (code: number | undefined) => {
      this.#dying(code);
      this.#flush();
      this.#channel.post([CLOSING, code]);
    };
    if (typeof scope.close === "function") {
      const close = scope.close;
      scope.close = () => {
        post(undefined);
        close.call(scope);
      };
    }
    const deno = (globalThis as { Deno?: { exit(code?: number): never } }).Deno;
    if (deno !== undefined && typeof deno.exit === "function") {
      const exit = deno.exit;
      try {
        deno.exit = (code?: number): never => {
          post(code ?? 0);
          return exit.call(deno, code);
        };
      } catch {
        // Not writable here: the pool then sees the worker's death another way.
      }
    }
  }

  #receive(batch: unknown[]): void {
    for (let i = 0, end = 0; i < batch.length; i = end) {
      end = requestEnd(batch, i);
      const kind = batch[i] as number;
      if (kind >= TOMBSTONE) continue; // cancelled before it was sent
      switch (kind) {
        case CREATE:
          this.#create(
            batch[i + 1] as number,
            batch[i + 2] as number,
            batch[i + 3] as string,
            batch.slice(i + 5, end),
          );
          break;
        case SYNC: // runs like a CALL, answered on the sync port
        case CALL:
        case AFTER:
          if (kind === SYNC) this.#syncJobs.add(batch[i + 2] as number);
          this.#call(
            kind,
            batch[i + 1] as number,
            batch[i + 2] as number,
            batch[i + 3] as string | number,
            batch[i + 4] as number,
            batch.slice(i + 6, end),
          );
          break;
        case SETTLE:
          this.#settlers.get(batch[i + 1] as number)?.(batch[i + 2] === 1, batch[i + 3]);
          this.#settlers.delete(batch[i + 1] as number);
          break;
        case CANCEL:
          this.#cancel(batch[i + 1] as number, batch[i + 2]);
          break;
        case CLOSE:
          this.#close(batch[i + 1] as number, batch[i + 2] as number);
          break;
        case PIPE_OPEN:
          this.#pipeHost().open(
            batch[i + 1] as number,
            batch[i + 2] as number,
            batch[i + 3] as string,
            batch[i + 4] === 1,
          );
          break;
        case PIPE_ITEMS:
          this.#pipeHost().items(batch[i + 1] as number, batch.slice(i + 3, end));
          break;
        case PIPE_END:
          this.#pipeHost().end(batch[i + 1] as number, batch[i + 2] === 1, batch[i + 3]);
          break;
        case SYNC_SETUP:
          this.#sync = {
            control: batch[i + 1] as Int32Array,
            port: batch[i + 2] as SyncPort["port"],
          };
          break;
      }
    }
  }

  #pipeHost(): HostPipes {
    return this.#pipes ??= new HostPipes({
      object: (objectId) => this.#objects.get(objectId),
      ok: (jobId) => this.#ok(jobId, undefined),
      fail: (jobId, error) => this.#fail(jobId, error),
      emit: (op, transfer) => this.#emit(op, transfer),
      setCurrent: (job) => void (current = job as Cancellable | undefined),
      serializeError,
      notCancelled: NOT_CANCELLED,
    });
  }

  #create(objectId: number, jobId: number, className: string, args: unknown[]): void {
    const hosted: Hosted = {
      className,
      desync: new Desync<object | undefined>(undefined),
      instance: undefined,
      failed: undefined,
      names: Object.hasOwn(this.#methodNames, className) ? this.#methodNames[className] : [],
    };
    this.#objects.set(objectId, hosted);
    const cls = Object.hasOwn(this.#classes, className) ? this.#classes[className] : undefined;
    hosted.desync.desync((ref) => {
      try {
        if (cls === undefined) {
          throw new TypeError(
            `WorkerPool.create(): unknown class "${className}"; this worker serves: ` +
              Object.keys(this.#classes).join(", "),
          );
        }
        ref.value = hosted.instance = new (cls as new (...args: unknown[]) => object)(...args);
        this.#ok(jobId, undefined);
      } catch (error) {
        hosted.failed = { error };
        ref.value = failedValue(error); // what a reference's jobs then meet
        this.#fail(jobId, error);
      }
    });
  }

  #call(
    kind: number,
    objectId: number,
    jobId: number,
    wire: string | number,
    flags: number,
    args: unknown[],
  ): void {
    const hosted = this.#objects.get(objectId);
    if (hosted === undefined) {
      this.#fail(jobId, new TypeError(`no object ${objectId} here`));
      return;
    }
    // The pool names a method by its index in `names` (a small integer clones
    // faster than a string, and looks the method up without hashing a fresh one).
    const method = typeof wire === "number" ? hosted.names[wire] ?? `#${wire}` : wire;
    if ((flags & REFERENCES) !== 0) {
      const resolved = this.#references(args);
      if (!Array.isArray(resolved)) return this.#fail(jobId, resolved.error);
      args = resolved;
    }
    let state: Cancellable | undefined;
    if ((flags & CANCELLABLE) !== 0) {
      state = { cancelled: NOT_CANCELLED, controller: undefined };
      this.#cancellable.set(jobId, state);
    }
    if (kind !== AFTER) {
      hosted.desync.desync((ref) => this.#run(hosted, ref.value, jobId, method, args, state));
      return;
    }
    const settled = new Promise<unknown>((resolve, reject) => {
      this.#settlers.set(jobId, (ok, value) => ok ? resolve(value) : reject(value));
    });
    hosted.desync.after(
      settled,
      (ref, value) => this.#run(hosted, ref.value, jobId, method, [value, ...args], state),
    ).then(
      undefined,
      (error) => this.#fail(jobId, error), // the promise rejected: the method never ran
    );
  }

  /**
   * The arguments with each object id the main side put for a reference
   * replaced by that object's local Desync; or the error to fail the job with.
   */
  #references(args: unknown[]): unknown[] | { error: unknown } {
    const positions = args.pop() as number[];
    for (const position of positions) {
      const hosted = this.#objects.get(args[position] as number);
      if (hosted === undefined) {
        return { error: new TypeError(`argument ${position + 1}: no object here to refer to`) };
      }
      if (hosted.failed !== undefined) return hosted.failed;
      args[position] = guardClose(hosted.desync, hosted.className);
    }
    return args;
  }

  /** Runs one method call and replies; never throws. */
  #run(
    hosted: Hosted,
    instance: object | undefined,
    jobId: number,
    method: string,
    args: unknown[],
    state: Cancellable | undefined,
  ): unknown {
    if (state !== undefined && state.cancelled !== NOT_CANCELLED) return this.#done(jobId);
    if (hosted.failed !== undefined) return this.#fail(jobId, hosted.failed.error);
    let result: unknown;
    current = state;
    try {
      const fn = (instance as Record<string, unknown>)[method];
      if (typeof fn !== "function") {
        throw new TypeError(`"${method}" is not a method of this object`);
      }
      result = fn.apply(instance, args);
    } catch (error) {
      return this.#fail(jobId, error);
    } finally {
      current = undefined;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => this.#ok(jobId, value),
        (error) => this.#fail(jobId, error),
      );
    }
    this.#ok(jobId, result);
    return undefined;
  }

  #cancel(jobId: number, reason: unknown): void {
    const state = this.#cancellable.get(jobId);
    if (state === undefined) return;
    state.cancelled = reason;
    state.controller?.abort(reason);
    // An AFTER waiting for its promise gives the object back at once.
    const settle = this.#settlers.get(jobId);
    if (settle !== undefined) {
      this.#settlers.delete(jobId);
      settle(false, reason);
    }
  }

  #close(objectId: number, jobId: number): void {
    const hosted = this.#objects.get(objectId);
    if (hosted === undefined) return void this.#ok(jobId, undefined);
    closeHosted(hosted.desync).then(async () => {
      this.#objects.delete(objectId);
      const instance = hosted.instance as Record<symbol, unknown> | undefined;
      const dispose = instance?.[Symbol.asyncDispose] ?? instance?.[Symbol.dispose];
      if (hosted.failed === undefined && typeof dispose === "function") {
        await dispose.call(instance);
      }
    }).then(() => this.#ok(jobId, undefined), (error) => this.#fail(jobId, error));
  }

  #done(jobId: number): void {
    this.#ok(jobId, undefined);
  }

  /** Answers a blocked caller: the answer first, then the word it waits on, from this thread. */
  #answer(jobId: number, ok: boolean, value: unknown, transfer?: unknown[]): void {
    const sync = this.#sync!;
    if (sync.port === null) return answerBytes(sync.control, jobId, ok, value);
    try {
      const answer = [jobId, ok ? 1 : 0, ok ? value : serializeError(value)];
      if (transfer === undefined) sync.port.postMessage(answer);
      else sync.port.postMessage(answer, transfer);
    } catch (error) {
      const failure = new TypeError(`the result cannot be sent to the caller's thread`, {
        cause: error,
      });
      sync.port.postMessage([jobId, 0, serializeError(failure)]);
    }
    Atomics.store(sync.control, ANSWERED, jobId);
    Atomics.notify(sync.control, ANSWERED);
  }

  /** User code is ending this worker: a caller blocked in sync() must not wait on. */
  #dying(code: number | undefined): void {
    const sync = this.#sync;
    if (sync === undefined) return;
    Atomics.store(sync.control, EXIT_CODE, code ?? NO_EXIT_CODE);
    Atomics.store(sync.control, DYING, 1);
    Atomics.notify(sync.control, ANSWERED);
  }

  #ok(jobId: number, value: unknown): void {
    this.#cancellable.delete(jobId);
    const transfer = takeTransfer(value);
    if (this.#syncJobs.delete(jobId)) return this.#answer(jobId, true, value, transfer);
    if (transfer !== undefined) return this.#emit([OK, jobId, value], transfer);
    if (value !== undefined) return this.#send(OK, jobId, value);
    // Most replies of a burst (desync() calls, void methods) carry nothing:
    // consecutive ones travel as one run of ids.
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.#flush());
    if (this.#doneAt >= 0) {
      (outbox[this.#doneAt] as number)++;
      outbox.push(jobId);
    } else {
      outbox.push(DONE, 1, jobId);
      this.#doneAt = outbox.length - 2;
      this.#starts.push(this.#doneAt - 1);
    }
    if (outbox.length >= FLUSH_AT) this.#flush();
  }

  #fail(jobId: number, error: unknown): void {
    this.#cancellable.delete(jobId);
    if (this.#syncJobs.delete(jobId)) return this.#answer(jobId, false, error);
    this.#send(FAIL, jobId, serializeError(error));
  }

  /** Queues a reply (2 or 3 items); every reply of this tick leaves in one message. */
  #send(kind: number, a: unknown, b?: unknown): void {
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#doneAt = -1;
    this.#starts.push(outbox.length);
    if (kind === OK || kind === FAIL) outbox.push(kind, a, b);
    else outbox.push(kind, a);
    if (outbox.length >= FLUSH_AT) this.#flush();
  }

  /** Queues a reply of any length, and what it transfers, in this tick's batch. */
  #emit(op: unknown[], transfer: unknown[] | undefined): void {
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#doneAt = -1;
    if (transfer !== undefined) (this.#transfers ??= new Map()).set(this.#starts.length, transfer);
    this.#starts.push(outbox.length);
    for (let i = 0; i < op.length; i++) outbox.push(op[i]);
    if (outbox.length >= FLUSH_AT) this.#flush();
  }

  #flush(): void {
    if (this.#outbox.length === 0) return;
    const batch = this.#outbox;
    const starts = this.#starts;
    const transfers = this.#transfers;
    this.#outbox = [];
    this.#starts = [];
    this.#transfers = undefined;
    this.#doneAt = -1;
    if (transfers === undefined) return this.#post(batch, starts, 0, starts.length);
    // A reply that transfers goes alone (see splitAtTransfers).
    splitAtTransfers(
      starts.length,
      transfers,
      (from, to) => this.#post(batch, starts, from, to),
      (k) => this.#postEach(batch, starts, k, k + 1, transfers),
    );
  }

  /** Posts replies `from` to `to` (exclusive), which transfer nothing, in one message. */
  #post(batch: unknown[], starts: number[], from: number, to: number): void {
    const whole = from === 0 && to === starts.length;
    try {
      this.#channel.post(
        whole ? batch : batch.slice(starts[from], to < starts.length ? starts[to] : batch.length),
      );
    } catch {
      this.#postEach(batch, starts, from, to, undefined);
    }
  }

  /** A result that cannot be cloned (a function in it): fail that job alone. */
  #postEach(
    batch: unknown[],
    starts: number[],
    from: number,
    to: number,
    transfers: Map<number, unknown[]> | undefined,
  ): void {
    for (let k = from; k < to; k++) {
      const op = batch.slice(starts[k], replyEnd(batch, starts[k]));
      try {
        const transfer = transfers?.get(k);
        if (transfer === undefined) this.#channel.post(op);
        else this.#channel.post(op, transfer);
      } catch (error) {
        this.#channel.post([
          FAIL,
          op[1],
          serializeError(
            new TypeError(`the result cannot be sent to the caller's thread`, { cause: error }),
          ),
        ]);
      }
    }
  }
}

/** The methods an instance of `cls` has, from its prototype chain. */
function methodNames(cls: HostedClass): string[] {
  const names = new Set<string>();
  for (let proto = cls.prototype; proto && proto !== Object.prototype;) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor") continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof descriptor?.value === "function") names.add(key);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return [...names];
}
