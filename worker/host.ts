// Copyright 2026 the desync authors. MIT license.
// The worker side's host: holds class instances, each in a local Desync, and
// answers the pool's batches through a channel that serve() opened. Its
// replies leave through its HostOutbox (host_outbox.ts); the signal of the
// job it runs is jobSignal()'s (job_signal.ts).
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
import { closeHosted, failedValue, guardClose } from "./host_refs.ts";
import { HostOutbox, type SyncPort } from "./host_outbox.ts";
import { type Cancellable, NOT_CANCELLED, setCurrent } from "./job_signal.ts";
import {
  AFTER,
  CALL,
  CANCEL,
  CANCELLABLE,
  CLOSE,
  CLOSING,
  CREATE,
  PIPE_END,
  PIPE_ITEMS,
  PIPE_OPEN,
  READY,
  REFERENCES,
  REPORT,
  requestEnd,
  SETTLE,
  SYNC,
  SYNC_SETUP,
  TOMBSTONE,
} from "./protocol.ts";
import type { HostedClass } from "./types.ts";
import { HostPipes, isThenable } from "./host_pipe.ts";

interface Hosted {
  className: string;
  desync: Desync<object | undefined>;
  instance: object | undefined;
  failed: { error: unknown } | undefined;
  /** Its class's method names: what a method index in a CALL or AFTER stands for. */
  names: string[];
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
  /** The replies not yet posted, and the sync port (host_outbox.ts). */
  #out: HostOutbox;
  /** Each class's method names, as READY told the pool: a CALL may name its method by index. */
  #methodNames: Record<string, string[]> = {};
  /** The pipes into this worker's objects (host_pipe.ts), made on first use. */
  #pipes: HostPipes | undefined;

  constructor(classes: Record<string, HostedClass>, channel: Channel) {
    this.#classes = classes;
    this.#channel = channel;
    this.#out = new HostOutbox(channel);
  }

  start(): void {
    this.#channel.onMessage((data) => this.#receive(data as unknown[][]));
    this.#channel.onUncaught((error) => this.#out.send(REPORT, serializeError(error)));
    this.#channel.onExit?.((code) => this.#out.dying(code));
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
      this.#out.dying(code);
      this.#out.flush();
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
          if (kind === SYNC) this.#out.syncJobs.add(batch[i + 2] as number);
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
          this.#out.sync = {
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
      emit: (op, transfer) => this.#out.emit(op, transfer),
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
    setCurrent(state);
    try {
      const fn = (instance as Record<string, unknown>)[method];
      if (typeof fn !== "function") {
        throw new TypeError(`"${method}" is not a method of this object`);
      }
      result = fn.apply(instance, args);
    } catch (error) {
      return this.#fail(jobId, error);
    } finally {
      setCurrent(undefined);
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

  #ok(jobId: number, value: unknown): void {
    this.#cancellable.delete(jobId);
    this.#out.ok(jobId, value);
  }

  #fail(jobId: number, error: unknown): void {
    this.#cancellable.delete(jobId);
    this.#out.fail(jobId, error);
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
