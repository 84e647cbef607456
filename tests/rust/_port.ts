// Copyright 2026 the desync authors. MIT license.
// Stand-ins for the Rust tests' tools: oneshots, sleeps, block_on timeouts.

import { Scheduler } from "../../mod.ts";

// Rust's oneshot channels become deferred promises, `thread::sleep` an awaited timer.
export { type Deferred, deferred, delay, waitFor, withTimeout } from "../_helpers.ts";
import { delay } from "../_helpers.ts";

/** One macrotask: every microtask (and so every microtask-started drain) has run. */
export function tick(): Promise<void> {
  return delay(0);
}

export function manualScheduler(): Scheduler {
  return new Scheduler({ maxConcurrency: 0 });
}
