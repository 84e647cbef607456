// Copyright 2026 the desync authors. MIT license.
// Stand-ins for the Rust tests' tools: oneshots, sleeps, block_on timeouts.

import { Scheduler } from "../../mod.ts";

// Rust's oneshot channels become deferred promises, `thread::sleep` an awaited timer.
export { type Deferred, deferred, delay } from "../_helpers.ts";
import { delay } from "../_helpers.ts";

/** One macrotask: every microtask (and so every microtask-started drain) has run. */
export function tick(): Promise<void> {
  return delay(0);
}

/** Fails instead of hanging (Rust's `timeout` helper); the timer is always cleared. */
export async function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    id = setTimeout(() => {
      const description = typeof what === "function" ? what() : what;
      reject(new Error(`Timeout after ${ms} ms: ${description}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(id);
  }
}

export function manualScheduler(): Scheduler {
  return new Scheduler({ maxConcurrency: 0 });
}
