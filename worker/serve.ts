// Copyright 2026 the desync authors. MIT license.
// The worker side's entry point: serve() opens the channel to the pool (the
// marker the pool passed says which) and starts the host.

import { type Channel, Host, type WebWorkerScope } from "./host.ts";
import { MARKER, NONCE, protocolTag } from "./protocol.ts";
import type { HostedClass, WorkerApi } from "./types.ts";

/**
 * Hosts `classes` in this worker: call it once, synchronously, at the top
 * level of your worker entry file, and start the worker with a
 * {@linkcode WorkerPool}. It installs the message handler at once (messages
 * sent during a top-level `await` would be lost on Deno, Bun and browsers),
 * keeps the worker alive on uncaught errors and unhandled rejections (they go
 * to the pool's `onError`), and tells the pool it is ready.
 *
 * Each object created by `pool.create(name, ...)` is an instance of
 * `classes[name]` constructed here, held by a local {@linkcode Desync}: its
 * method calls are that Desync's jobs, one at a time in the order scheduled,
 * async methods holding the object until they settle.
 *
 * Outside a worker started by a pool (say, the entry imported on the main
 * thread), `serve` does nothing but return the API.
 *
 * Import this module first in the entry: `serve` wraps `Deno.exit` and
 * `self.close` so that the pool learns of the worker's end (Deno and
 * browsers tell it nothing), and an exit function captured before that (a
 * module imported earlier doing `const { exit } = Deno`) goes unnoticed: the
 * promises of the worker's objects then wait until `pool.close()` (which
 * rejects them with `ClosedError` after its `closeTimeout`) or
 * `pool.terminate()`. Out of memory in a Deno worker ends the whole process.
 * The worker's own code may post messages on its global port: the pool
 * ignores them (and reports them once) but a `MessageChannel` of its own is
 * better.
 *
 * @typeParam C The hosted classes by name.
 * @param classes The classes whose instances may live in this worker.
 * @returns The API, whose type types the pool: `export type Api = typeof api`.
 * @throws {TypeError} If `classes` is not an object of classes, or if
 * `serve` was already called in this worker (two hosts would run every job
 * twice).
 *
 * @example A worker entry (tests/fixtures/counter.worker.ts)
 * ```ts ignore
 * import { serve } from "@desync/desync/worker";
 * import { Counter } from "./counter.ts";
 *
 * export const api = serve({ Counter });
 * export type Api = typeof api;
 * ```
 *
 * @example Outside a worker, serve only returns the API
 * ```ts
 * import { serve } from "@desync/desync/worker";
 * import assert from "node:assert/strict";
 *
 * class Greeter {
 *   hello(name: string): string {
 *     return `hello ${name}`;
 *   }
 * }
 * const api = serve({ Greeter });
 * assert.equal(api.classes.Greeter, Greeter);
 * ```
 */
export function serve<C extends Record<string, HostedClass>>(classes: C): WorkerApi<C> {
  if (typeof classes !== "object" || classes === null) {
    throw new TypeError(`serve(): "classes" must be an object of classes`);
  }
  for (const [name, value] of Object.entries(classes)) {
    if (typeof value !== "function") {
      throw new TypeError(`serve(): "classes.${name}" must be a class, got ${typeof value}`);
    }
  }
  const channel = openChannel();
  if (channel !== undefined) {
    if (served) {
      // Two hosts on one port would both run every job (double side effects).
      throw new TypeError(
        "serve(): called twice in this worker (two modules each calling serve?): call it " +
          "once, in the worker entry, with every class the worker hosts",
      );
    }
    served = true;
    new Host(classes, channel).start();
  }
  return { classes };
}

let served = false;

/**
 * The channel to the pool, chosen by the marker the pool passed, not by the
 * globals (Bun's worker_threads workers have web globals too); undefined
 * outside a worker. `workerData` marks a node:worker_threads worker; a web
 * Worker is named by the marker (or is a WorkerGlobalScope), but Bun exposes
 * neither in its web Workers: there, a thread that worker_threads says is not
 * the main one is a web Worker. (Deno's worker_threads says a web Worker is a
 * main thread, hence the order.)
 */
function openChannel(): Channel | undefined {
  const process = (globalThis as { process?: NodeProcess }).process;
  const threads = process?.getBuiltinModule?.("node:worker_threads") as
    | { parentPort: NodePort | null; workerData: unknown; isMainThread: boolean }
    | undefined;
  const data = threads?.workerData as Record<string, unknown> | undefined;
  // The pool's nonce (see protocol.ts): workerData on node:worker_threads and
  // Bun, the name elsewhere; a factory-made worker has none.
  const name = (globalThis as { name?: unknown }).name;
  const nonce = typeof data?.[NONCE] === "string"
    ? data[NONCE]
    : typeof name === "string" && name.startsWith(`${MARKER}:`)
    ? name.slice(MARKER.length + 1)
    : "";
  const tag = protocolTag(nonce);
  if (threads?.parentPort && process && data?.[MARKER] === true) {
    const port = threads.parentPort;
    return {
      post: (message, transfer) =>
        transfer === undefined
          ? port.postMessage([tag, message])
          : port.postMessage([tag, message], transfer),
      onMessage: (listener) => port.on("message", listener),
      onUncaught: (listener) => {
        process.on("uncaughtException", listener);
        process.on("unhandledRejection", listener);
      },
      onExit: (listener) => process.on("exit", listener as (code: unknown) => void),
    };
  }
  const scope = globalThis as unknown as WebWorkerScope;
  if (typeof scope.postMessage !== "function") return;
  const worker = nonce !== "" || "WorkerGlobalScope" in globalThis ||
    threads?.isMainThread === false;
  if (!worker) return;
  return {
    post: (message, transfer) =>
      transfer === undefined
        ? scope.postMessage([tag, message])
        : scope.postMessage([tag, message], transfer),
    onMessage: (listener) => scope.addEventListener("message", (event) => listener(event.data)),
    onUncaught: (listener) => {
      // Runtimes differ in which of these see an error and which keep the
      // worker alive (Bun's web workers die unless process.on handles it;
      // Deno fires both "error" and process's "uncaughtException"): listen to
      // all, and report each error once.
      const report = once(listener);
      scope.addEventListener("error", (event) => {
        event.preventDefault();
        report(event.error ?? event.message);
      });
      scope.addEventListener("unhandledrejection", (event) => {
        event.preventDefault();
        report(event.reason);
      });
      if (typeof process?.on === "function") {
        process.on("uncaughtException", report);
        process.on("unhandledRejection", report);
      }
    },
    onExit: (listener) => {
      // Bun runs process "exit" listeners in a web Worker that calls process.exit().
      if (typeof process?.on === "function") {
        process.on("exit", listener as (code: unknown) => void);
      }
    },
  };
}

/** A listener that ignores a value it has just seen (the same error through two events). */
function once(listener: (error: unknown) => void): (error: unknown) => void {
  const seen = new WeakSet<object>();
  let recent: unknown[] = [];
  return (error) => {
    if (typeof error === "object" && error !== null) {
      if (seen.has(error)) return;
      seen.add(error);
    } else {
      if (recent.includes(error)) return;
      if (recent.length === 0) setTimeout(() => (recent = []), 0);
      recent.push(error);
    }
    listener(error);
  };
}

interface NodeProcess {
  getBuiltinModule?(name: string): unknown;
  on(event: string, listener: (error: unknown) => void): void;
  exit(code?: number): never;
}
interface NodePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: "message", listener: (data: unknown) => void): void;
}
