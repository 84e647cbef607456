// Copyright 2026 the desync authors. MIT license.
/**
 * {@linkcode JobQueue}, the handle of an untyped queue, and the options every
 * scheduling call takes.
 *
 * @module
 */

import { DENO_INSPECT, inspectAs, NODE_INSPECT } from "./_platform.ts";
import type { QueueCore } from "./_queue_core.ts";
import type { Scheduler } from "./scheduler.ts";

/** Options of a single scheduled job. */
export interface JobOptions {
  /**
   * Cancels the job. Aborted before it starts, the job never runs, stops
   * counting as queued at once, and its promise rejects with
   * `signal.reason`. Aborted while it runs, the job is told (it receives this
   * signal) but keeps its queue until it settles: exclusivity is never broken.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** A job on a bare {@linkcode JobQueue}: it receives the job's signal, if any. */
export type QueueJob<R> = (signal: AbortSignal | undefined) => R;

let wrap: (core: QueueCore) => JobQueue;
/** Proves that a construction comes from this module, not from user code. */
const INTERNAL = Symbol("desync internal");
let unwrap: (value: unknown) => QueueCore | undefined;

/** Wraps a queue core in its public handle (internal). */
export function wrapQueue(core: QueueCore): JobQueue {
  return wrap(core);
}

/** The core behind a JobQueue, or a TypeError naming the argument (internal). */
export function queueCore(value: unknown, method: string): QueueCore {
  const core = unwrap(value);
  if (core === undefined) {
    throw new TypeError(
      `${method}(): "queue" must be a JobQueue (from queue() or scheduler.queue())`,
    );
  }
  return core;
}

/**
 * An ordered queue of jobs with no data of its own (Rust's `JobQueue`).
 * Create one with {@linkcode queue} or {@linkcode Scheduler.queue}, and
 * schedule on it with the free functions of this module. A queue belongs to
 * the scheduler that created it.
 *
 * @example
 * ```ts
 * import { futureSync, queue } from "@desync/desync/scheduler";
 * import assert from "node:assert/strict";
 *
 * const q = queue();
 * assert.equal(await futureSync(q, () => 42), 42);
 * assert.equal(q.queued, 0);
 * ```
 */
export class JobQueue {
  #core: QueueCore;

  private constructor(token: symbol, core: QueueCore) {
    if (token !== INTERNAL) {
      throw new TypeError(
        "JobQueue cannot be constructed directly: use queue() or scheduler.queue()",
      );
    }
    this.#core = core;
  }

  static {
    wrap = (core) => new JobQueue(INTERNAL, core);
    unwrap = (value) =>
      typeof value === "object" && value !== null && #core in value
        ? (value as JobQueue).#core
        : undefined;
  }

  /** The scheduler that runs this queue's jobs. */
  get scheduler(): Scheduler {
    return this.#core.scheduler.owner as Scheduler;
  }

  /** How many jobs are waiting to start (aborted jobs are not counted). */
  get queued(): number {
    return this.#core.size;
  }

  /** Whether a job is in progress (running, awaiting, or an `after` waiting for its promise). */
  get running(): boolean {
    return this.#core.running;
  }

  /** Whether the queue is held by a `suspend` until its resumer is called. */
  get suspended(): boolean {
    return this.#core.suspended;
  }

  /** Whether `close()` was called: no further jobs are accepted. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /**
   * Stops accepting jobs and resolves once every job already scheduled has
   * finished. Afterwards every scheduling call throws `ClosedError`. Calling
   * it again returns the same promise. The caller waits, so the queue is
   * driven whatever the concurrency budget, in manual mode too.
   *
   * @returns A promise that resolves when the queue is drained.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Closes the queue and waits for it to drain; used by `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#core.close();
  }

  #fields(): Record<string, unknown> {
    return {
      queued: this.queued,
      running: this.running,
      suspended: this.suspended,
      closed: this.closed,
    };
  }

  /** Custom output for Deno's `inspect`. */
  [DENO_INSPECT](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return inspectAs("JobQueue", this.#fields(), inspect, options);
  }

  /** Custom output for Node's `util.inspect`. */
  [NODE_INSPECT](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options?: unknown) => string,
  ): string {
    return inspectAs("JobQueue", this.#fields(), inspect, options);
  }
}
