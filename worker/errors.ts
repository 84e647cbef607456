// Copyright 2026 the desync authors. MIT license.
// The worker area's named errors, and how an error crosses the thread
// boundary. Structured clone loses too much of an error, differently per
// runtime (subclass names and own properties everywhere, `cause` on Bun,
// DOMException on Node 20), so errors travel as plain records built here.

import { DesyncError } from "../_engine/errors.ts";

/**
 * An error thrown by a method of an object hosted in a worker, rebuilt on the
 * caller's side. It keeps the original's `name` (also in `remoteName`),
 * `message`, `stack` (the worker's), `cause` (rebuilt the same way) and own
 * enumerable properties (such as `code`), and it is a {@linkcode DesyncError}.
 * Its prototype cannot be kept: `instanceof` the original class is false,
 * test `name` instead.
 *
 * @example A method's error, as the caller sees it
 * ```ts
 * import { RemoteError, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 0);
 * const error = await counter.futureSync("fail", "nope").catch((e) => e);
 * assert.ok(error instanceof RemoteError);
 * assert.equal(error.name, "CounterError");
 * assert.equal(error.code, "E_NOPE");
 * ```
 */
export class RemoteError extends DesyncError {
  /**
   * The `name` the error had in the worker (`name` is set to it too).
   *
   * @example Reading it
   * ```ts
   * import { RemoteError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new RemoteError("RangeError", "too big");
   * assert.equal(error.remoteName, "RangeError");
   * assert.equal(error.name, "RangeError");
   * ```
   */
  readonly remoteName: string;
  /**
   * The own enumerable properties of the original error (`code`, ...).
   *
   * @example Reading a code
   * ```ts
   * import { RemoteError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new RemoteError("SystemError", "busy");
   * error.code = "EBUSY";
   * assert.equal(error.code, "EBUSY");
   * ```
   */
  [property: string]: unknown;

  /**
   * Creates one; desync does this for errors coming from a worker.
   *
   * @param remoteName The original error's `name`.
   * @param message The original error's `message`.
   * @param options Standard error options, such as `cause`.
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, RemoteError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new RemoteError("TypeError", "bad", { cause: 1 });
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.cause, 1);
   * ```
   */
  constructor(remoteName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = remoteName;
    this.remoteName = remoteName;
  }
}

/**
 * The worker hosting an object died: an error escaped the worker's own
 * handlers, user code called `self.close()`, `Deno.exit()` or
 * `process.exit()`, the worker was terminated from outside the pool, its
 * module failed to load, or it never said it was ready within the pool's
 * `startTimeout` (a wrong entry, no `serve()`). The object's state is lost: every pending promise of
 * every object on that worker rejects with this error, and those objects
 * throw it from then on (`crashed` is `true`). Objects on other workers are
 * unaffected, and the pool starts a replacement worker for new objects.
 *
 * @example An object whose worker exits
 * ```ts
 * import { WorkerCrashedError, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 0);
 * await assert.rejects(counter.futureSync("exit", 3), WorkerCrashedError);
 * assert.equal(counter.crashed, true);
 * assert.throws(() => counter.desync("add", 1), WorkerCrashedError);
 * ```
 */
export class WorkerCrashedError extends DesyncError {
  /**
   * The exit code, where the runtime reports one (`process.exit(n)`,
   * `Deno.exit(n)`), else `undefined`.
   *
   * @example Reading it
   * ```ts
   * import { WorkerCrashedError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new WorkerCrashedError("gone", { exitCode: 2 }).exitCode, 2);
   * ```
   */
  readonly exitCode: number | undefined;

  /**
   * Creates one; desync does this when a worker dies.
   *
   * @param message What happened to the worker.
   * @param options `cause` (the error that killed it, if known) and `exitCode`.
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, WorkerCrashedError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new WorkerCrashedError("the worker exited", { cause: "oom" });
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "WorkerCrashedError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.name = "WorkerCrashedError";
    this.exitCode = options?.exitCode;
  }
}

/**
 * Thrown by {@linkcode WorkerDesync.sync} instead of blocking forever: the
 * call would wait for a job that itself waits for the blocked thread. The
 * case that exists today: an earlier {@linkcode WorkerDesync.after} job of
 * the same object whose promise has not yet been handed to the worker (its
 * value reaches the worker through the caller's event loop, which does not
 * run while the caller is blocked). Nothing was sent; the object and its
 * queued jobs are unaffected. Await the `after()` job (or use `futureSync`)
 * instead.
 *
 * @example A sync call behind an after() job
 * ```ts
 * import { DeadlockError, WorkerPool } from "@desync/desync/worker";
 * import { WouldBlockError } from "@desync/desync";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * const counter = pool.create("Counter", 1);
 * await counter.ready;
 * let deliver = (_: number) => {};
 * const amount = new Promise<number>((resolve) => (deliver = resolve));
 * const added = counter.after(amount, "add");
 * try {
 *   counter.sync("get"); // the "add" job waits for `amount`, which cannot settle
 * } catch (error) {
 *   // WouldBlockError where this thread cannot block at all (a browser page)
 *   assert.ok(error instanceof DeadlockError || error instanceof WouldBlockError);
 * }
 * deliver(2);
 * await added;
 * assert.equal(await counter.futureSync("get"), 3);
 * ```
 */
export class DeadlockError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message What the blocked call would have waited for.
   *
   * @example Creating one
   * ```ts
   * import { DeadlockError, DesyncError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new DeadlockError("the job waits for this thread");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "DeadlockError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "DeadlockError";
  }
}

/**
 * Thrown by {@linkcode WorkerDesync.sync} when the worker has not answered
 * within the pool's `syncTimeout`. The job is cancelled: it is dropped if it
 * has not started, its `jobSignal()` aborts with this error if it runs, and
 * whatever it answers later is ignored. The worker and the object live on;
 * the object's later jobs still run after it.
 *
 * @example Catching it
 * ```ts
 * import { SyncTimeoutError, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 *   { syncTimeout: 50 },
 * );
 * const counter = pool.create("Counter", 1);
 * await counter.ready;
 * // sleep() watches its jobSignal: the timeout ends it early.
 * assert.throws(() => counter.sync("sleep", 10_000), SyncTimeoutError);
 * assert.equal(await counter.futureSync("get"), 1);
 * ```
 */
export class SyncTimeoutError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message Which call timed out and after how long.
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, SyncTimeoutError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new SyncTimeoutError("no answer within 50 ms");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "SyncTimeoutError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "SyncTimeoutError";
  }
}

/** An error as it crosses the boundary. */
export interface ErrorRecord {
  /** Marks the record, so that a thrown plain object is not mistaken for one. */
  e: 1;
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  /** An AggregateError's `errors`, each serialized. */
  errors?: unknown[];
  props: Record<string, unknown>;
}

/** A thrown value that looks like an ErrorRecord, wrapped so it is not taken for one. */
interface Wrapped {
  e: 2;
  v: unknown;
}

/**
 * A thrown value as something that can be cloned: errors become records,
 * depth-limited. Never throws, whatever the value (a getter that throws, a
 * revoked proxy, a cycle, a property that cannot be cloned): what cannot be
 * read or cloned is replaced, never allowed to lose the reply it travels in.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  try {
    return serialize(error, depth);
  } catch (failure) {
    return unserializable(error, failure);
  }
}

function serialize(error: unknown, depth: number): unknown {
  if (!(error instanceof Error) && !isDomException(error)) {
    if (isRecord(error) || isWrapped(error)) return { e: 2, v: cloned(error) } satisfies Wrapped;
    return cloned(error);
  }
  const e = error as Error;
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(e)) {
    if (key === "cause" || key === "name" || key === "message" || key === "stack") continue;
    if (key === "errors" && e instanceof AggregateError) continue;
    props[key] = cloned((e as unknown as Record<string, unknown>)[key]);
  }
  const stack = e.stack;
  const record: ErrorRecord = {
    e: 1,
    name: String(e.name),
    message: String(e.message),
    stack: typeof stack === "string" ? stack : undefined,
    props,
  };
  if ("cause" in e && depth < 8) record.cause = serializeError(e.cause, depth + 1);
  if (e instanceof AggregateError && Array.isArray(e.errors) && depth < 8) {
    record.errors = e.errors.map((item) => serializeError(item, depth + 1));
  }
  return record;
}

/** The stand-in for a value serialize() could not read: a plain error saying so. */
function unserializable(error: unknown, failure: unknown): ErrorRecord {
  const name = readable(() => (error as Error).name);
  const message = readable(() => (error as Error).message);
  const why = readable(() => (failure as Error).message) ?? readable(() => failure);
  const what = name !== undefined || message !== undefined
    ? `${name ?? "Error"}: ${message ?? "(message unreadable)"}`
    : (readable(() => error) ?? "(unreadable value)");
  return {
    e: 1,
    name: "Error",
    message: `a value thrown in another thread could not be serialized (${why}): ${what}`,
    stack: undefined,
    props: {},
  };
}

/** `read()` as a string, or undefined if reading or stringifying it throws. */
function readable(read: () => unknown): string | undefined {
  try {
    const value = read();
    return value === undefined ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/** Rebuilds what serializeError made. */
export function deserializeError(value: unknown): unknown {
  if (isWrapped(value)) return value.v;
  if (!isRecord(value)) return value;
  const options = "cause" in value ? { cause: deserializeError(value.cause) } : undefined;
  const error = new RemoteError(value.name, value.message, options);
  if (value.stack !== undefined) error.stack = value.stack;
  for (const [key, prop] of Object.entries(value.props)) {
    if (key !== "remoteName") error[key] = prop;
  }
  if (Array.isArray(value.errors)) error.errors = value.errors.map(deserializeError);
  return error;
}

function isRecord(value: unknown): value is ErrorRecord {
  return typeof value === "object" && value !== null && (value as ErrorRecord).e === 1 &&
    typeof (value as ErrorRecord).name === "string" && "props" in value;
}

function isWrapped(value: unknown): value is Wrapped {
  return typeof value === "object" && value !== null && (value as Wrapped).e === 2 &&
    "v" in value && Object.keys(value).length === 2;
}

function isDomException(value: unknown): boolean {
  return typeof DOMException === "function" && value instanceof DOMException;
}

/**
 * `value` if structured clone takes it (primitives are checked by type
 * alone); else its description, so that one property cannot lose the whole
 * error. Errors are rare: cloning twice costs nothing that matters.
 */
function cloned(value: unknown): unknown {
  const type = typeof value;
  if (type === "function" || type === "symbol") return `[${type} ${String(value)}]`;
  if (type !== "object" || value === null) return value;
  try {
    structuredClone(value);
    return value;
  } catch (error) {
    const what = readable(() => Object.prototype.toString.call(value)) ?? "[object]";
    const why = readable(() => (error as Error).message) ?? "structured clone refused it";
    return `${what} (could not be sent: ${why})`;
  }
}
