// Copyright 2026 the desync authors. MIT license.
// Starting a worker the way the runtime allows: a web Worker (Deno, Bun,
// browsers) or node:worker_threads (Node 20 and 22 have no global Worker),
// reached through process.getBuiltinModule so that no static `node:` import
// is needed. Every event that can mean "this worker is gone" is funnelled
// into one `died` callback.

import { DesyncError } from "../_engine/errors.ts";
import type { WorkerResourceLimits } from "./limits.ts";
import { MARKER, NONCE, protocolTag } from "./protocol.ts";

/**
 * The part of a web `Worker` that a {@linkcode WorkerPool} uses, for the
 * factory form `new WorkerPool(() => new Worker(url, { type: "module" }))`,
 * which bundlers recognize.
 *
 * @example A factory returning a web Worker
 * ```ts ignore
 * import { WorkerPool, type WorkerLike } from "@desync/desync/worker";
 * import type { Api } from "./counter.worker.ts";
 *
 * const start = (): WorkerLike =>
 *   new Worker(new URL("./counter.worker.ts", import.meta.url), { type: "module" });
 * await using pool = new WorkerPool<Api>(start);
 * ```
 */
export interface WorkerLike {
  /**
   * Sends a message to the worker.
   *
   * @param message The message.
   *
   * @example Posting
   * ```ts ignore
   * worker.postMessage([]);
   * ```
   */
  postMessage(message: unknown): void;
  /**
   * Stops the worker.
   *
   * @returns Whatever the runtime returns.
   *
   * @example Terminating
   * ```ts ignore
   * worker.terminate();
   * ```
   */
  terminate(): unknown;
  /**
   * Listens to `message`, `error` and `messageerror` events.
   *
   * @param type The event's type.
   * @param listener The listener.
   *
   * @example Listening
   * ```ts ignore
   * worker.addEventListener("message", (event) => console.log(event.data));
   * ```
   */
  // deno-lint-ignore no-explicit-any
  addEventListener(type: string, listener: (event: any) => void): void;
}

/**
 * Thrown by `new WorkerPool` where the runtime cannot start workers: no
 * global `Worker` and no `node:worker_threads` (Cloudflare Workers / workerd,
 * some embedded runtimes).
 *
 * @example Where workers exist, a pool can be made
 * ```ts
 * import { WorkersUnavailableError, WorkerPool } from "@desync/desync/worker";
 * import assert from "node:assert/strict";
 *
 * let error: unknown;
 * try {
 *   await new WorkerPool(new URL("../tests/fixtures/counter.worker.ts", import.meta.url)).close();
 * } catch (e) {
 *   error = e;
 * }
 * assert.ok(error === undefined || error instanceof WorkersUnavailableError);
 * ```
 */
export class WorkersUnavailableError extends DesyncError {
  /**
   * Creates the error.
   *
   * @param message Why no worker can be started.
   *
   * @example Creating one
   * ```ts
   * import { DesyncError, WorkersUnavailableError } from "@desync/desync/worker";
   * import assert from "node:assert/strict";
   *
   * const error = new WorkersUnavailableError("no Worker here");
   * assert.ok(error instanceof DesyncError);
   * assert.equal(error.name, "WorkersUnavailableError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "WorkersUnavailableError";
  }
}

/** A started worker, as the connection sees it. */
export interface Endpoint {
  /** Posts `message`, transferring `transfer` (a sync channel's port). */
  post(message: unknown, transfer?: unknown[]): void;
  /** Stops the worker; resolves once it has stopped, where the runtime says so. */
  terminate(): Promise<void>;
  /** Lets the process exit while this worker lives (Node, Bun); a no-op on Deno. */
  unref(): void;
  ref(): void;
  /**
   * Whether the worker's thread is known to have stopped, read synchronously
   * (a thread blocked in sync() sees no event). Only node:worker_threads can
   * tell (see stoppedNow); elsewhere undefined.
   */
  stopped?: () => boolean;
}

export interface EndpointEvents {
  message(data: unknown): void;
  died(cause: unknown, exitCode: number | undefined): void;
}

interface NodeWorker {
  postMessage(message: unknown, transfer?: unknown[]): void;
  performance?: { eventLoopUtilization?(): { idle: number; active: number } };
  terminate(): Promise<number>;
  on(event: string, listener: (value: unknown) => void): void;
  ref(): void;
  unref(): void;
}
type NodeWorkerClass = new (
  url: URL,
  options: { workerData: unknown; resourceLimits?: WorkerResourceLimits },
) => NodeWorker;

/**
 * How workers start here: the started worker, and the tag its protocol
 * messages will carry (see protocolTag).
 */
export type Starter = (events: EndpointEvents, nonce: string) => {
  endpoint: Endpoint;
  tag: string;
};

/**
 * Picks the way to start workers for `entry`, or throws
 * WorkersUnavailableError. `limits` apply to node:worker_threads workers only.
 */
export function starter(
  entry: URL | (() => WorkerLike),
  limits?: WorkerResourceLimits,
): Starter {
  if (typeof entry === "function") {
    // The factory names the worker, not us: it tags its messages with an empty nonce.
    return (events) => ({ endpoint: web(entry(), events, true), tag: protocolTag("") });
  }
  const WebWorker = (globalThis as { Worker?: new (url: URL, options: unknown) => WorkerLike })
    .Worker;
  if (typeof WebWorker === "function") {
    // Bun's web Workers see no `name`, but they get `workerData` as
    // node:worker_threads does (a key that does not pick the node channel);
    // Deno warns about that option, so only Bun is given it.
    const bun = "Bun" in globalThis;
    return (events, nonce) => ({
      endpoint: web(
        new WebWorker(entry, {
          type: "module",
          name: `${MARKER}:${nonce}`,
          ...(bun ? { workerData: { [NONCE]: nonce } } : {}),
        }),
        events,
        false,
      ),
      tag: protocolTag(nonce),
    });
  }
  const process = (globalThis as { process?: { getBuiltinModule?(name: string): unknown } })
    .process;
  const threads = process?.getBuiltinModule?.("node:worker_threads") as
    | { Worker: NodeWorkerClass }
    | undefined;
  if (threads === undefined) {
    throw new WorkersUnavailableError(
      "new WorkerPool(): this runtime cannot start workers (no global Worker, no " +
        "node:worker_threads); workerd (Cloudflare Workers) has none",
    );
  }
  return (events, nonce) => ({
    endpoint: node(
      new threads.Worker(entry, {
        workerData: { [MARKER]: true, [NONCE]: nonce },
        ...(limits === undefined ? {} : { resourceLimits: limits }),
      }),
      events,
    ),
    tag: protocolTag(nonce),
  });
}

function web(worker: WorkerLike, events: EndpointEvents, wrapTerminate: boolean): Endpoint {
  // Listeners are attached before anything else runs: Deno can drop a new
  // worker's first message otherwise.
  worker.addEventListener("message", (event) => events.message(event.data));
  worker.addEventListener("error", (event) => {
    event.preventDefault?.(); // or Deno ends the whole process
    events.died(event.error ?? new Error(event.message || "the worker failed to start"), undefined);
  });
  worker.addEventListener("messageerror", () => {
    events.died(new Error("a message from the worker could not be deserialized"), undefined);
  });
  worker.addEventListener("close", (event) => events.died(undefined, event.code)); // Bun only
  const terminate = worker.terminate.bind(worker);
  if (wrapTerminate) {
    // The caller of the factory may terminate the worker itself; no event
    // would tell us (web Workers report nothing), so the call does.
    worker.terminate = () => {
      const result = terminate();
      events.died(new Error("the worker was terminated"), undefined);
      return result;
    };
  }
  const handle = worker as WorkerLike & { ref?(): void; unref?(): void };
  const postMessage = worker.postMessage as (message: unknown, transfer?: unknown[]) => void;
  return {
    post: (message, transfer) =>
      transfer === undefined
        ? worker.postMessage(message)
        : postMessage.call(worker, message, transfer),
    terminate: async () => void await terminate(),
    unref: () => handle.unref?.(),
    ref: () => handle.ref?.(),
  };
}

function node(worker: NodeWorker, events: EndpointEvents): Endpoint {
  worker.on("message", (data) => events.message(data));
  worker.on("error", (error) => events.died(error, undefined));
  worker.on("messageerror", (error) => events.died(error, undefined));
  worker.on("exit", (code) => events.died(undefined, code as number));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    terminate: async () => void await worker.terminate(),
    unref: () => worker.unref(),
    ref: () => worker.ref(),
    stopped: () => stoppedNow(worker),
  };
}

/**
 * Whether a node:worker_threads worker that has said "ready" has stopped,
 * known without its 'exit' event. Node's native loopIdleTime() returns -1
 * once the thread has stopped (out of memory under resourceLimits,
 * terminate()), and eventLoopUtilization() passes that on as a negative
 * `idle` (or all zeros once the handle is gone); a live worker past its
 * start always has `active` > 0. Measured on Node 20.20 and 22.23: seen
 * within one 10 ms slice of a terminate(). Bun does not implement it (it
 * throws), and Bun's pools use web Workers anyway.
 */
function stoppedNow(worker: NodeWorker): boolean {
  try {
    const use = worker.performance?.eventLoopUtilization?.();
    return use !== undefined && (use.idle < 0 || use.idle + use.active === 0);
  } catch {
    return false;
  }
}
