// Copyright 2026 the desync authors. MIT license.
// Helpers for the worker tests: a pool on the counter fixture that must leave
// no worker behind.

import assert from "node:assert/strict";
import { type HostedClass, type WorkerApi, WorkerPool, type WorkerPoolOptions } from "../worker.ts";
import { workersAlive } from "../worker/connection.ts";
import type { Api } from "./fixtures/counter.worker.ts";

export const COUNTER_ENTRY: URL = new URL("./fixtures/counter.worker.ts", import.meta.url);

/** Runs `body` with a pool of counters, closes it, and checks that no worker is left. */
export function withPool(
  options: WorkerPoolOptions,
  body: (pool: WorkerPool<Api>) => Promise<void>,
): Promise<void> {
  return withEntry<Api>(COUNTER_ENTRY, options, body);
}

/** Runs `body` with a pool on `entry`, closes it, and checks that no worker is left. */
export async function withEntry<A extends WorkerApi<Record<string, HostedClass>>>(
  entry: URL,
  options: WorkerPoolOptions,
  body: (pool: WorkerPool<A>) => Promise<void>,
): Promise<void> {
  const before = workersAlive();
  const pool = new WorkerPool<A>(entry, options);
  try {
    await body(pool);
  } finally {
    await pool.terminate();
  }
  assert.equal(pool.workers, 0, "the pool still has workers");
  assert.equal(workersAlive(), before, "a worker was left running");
}
