// Copyright 2026 the desync authors. MIT license.
// How the pipe functions reach a target that is not a local Desync (a worker
// object) without importing it: the target implements REMOTE_PIPE, and the
// pipe functions call it when present. Local-pipe users' bundles keep no
// worker code, and pipe/ imports nothing from worker/.

import type { AnyFunction } from "./job.ts";
import type { QueueCore } from "./queue_core.ts";

/** The method a remote pipe target implements. @internal */
export const REMOTE_PIPE: unique symbol = Symbol("desync.remotePipe");

/**
 * What a remote target gives a pipe: a queue-like object that carries the
 * items (it implements what the pipe engine uses of a QueueCore: pushItem,
 * addCloseListener, removeCloseListener, scheduler.report), the per-item
 * function, the back-pressure limit and the signal. @internal
 */
export interface PipePlan {
  queue: QueueCore;
  process: AnyFunction;
  limit: number;
  /**
   * Room is freed this many items at a time (a batch; half the window for a
   * pipe with an output), so that items leave in whole batches.
   */
  chunk: number;
  signal: AbortSignal | undefined;
  /** Hands the target the pipe's engine, so that it can stop it (a crash, say). */
  attach(run: { stop(reason: unknown, keepResults: boolean): void }): void;
}

/** A target that pipes can feed. @internal */
export interface RemotePipeTarget {
  /**
   * Checks the arguments (`fn` names the pipe function, for messages) and
   * opens the pipe. `collect`: whether the results are wanted.
   */
  [REMOTE_PIPE](fn: string, method: unknown, options: unknown, collect: boolean): PipePlan;
}

/** `value` as a remote pipe target, if it is one. @internal */
export function remotePipeTarget(value: unknown): RemotePipeTarget | undefined {
  return typeof value === "object" && value !== null && REMOTE_PIPE in value
    ? value as RemotePipeTarget
    : undefined;
}
