// Copyright 2026 the desync authors. MIT license.
// Helpers shared by the primitives' tests: a promise's state after the
// microtasks ran, and the timing of many aborted waiters against the
// platform's own AbortSignals.

import assert from "node:assert/strict";
import { flushMicrotasks, StallMeter } from "./_helpers.ts";

export type State<T> = "pending" | { value: T } | { error: unknown };

/** "pending", or what the promise settled with, once the microtasks ran. */
export async function state<T>(promise: Promise<T>): Promise<State<T>> {
  let result: State<T> = "pending";
  promise.then((value) => (result = { value }), (error) => (result = { error }));
  await flushMicrotasks();
  return result;
}

/** The value of a promise that must have resolved by now. */
export async function settled<T>(promise: Promise<T>): Promise<T> {
  const result = await state(promise);
  if (result === "pending" || "error" in result) {
    assert.fail(`expected a resolved promise, got ${JSON.stringify(result)}`);
  }
  return result.value;
}

/** How a promise stands, by name, once the pending microtasks ran. */
export type Standing = "pending" | "fulfilled" | "rejected";

/** "pending", "fulfilled" or "rejected", once the pending microtasks ran. */
export async function standing(promise: Promise<unknown>): Promise<Standing> {
  let result: Standing = "pending";
  promise.then(() => (result = "fulfilled"), () => (result = "rejected"));
  await flushMicrotasks();
  return result;
}

/** The standing of each promise, in order. */
export async function standings(promises: Promise<unknown>[]): Promise<Standing[]> {
  return await Promise.all(promises.map(standing));
}

/**
 * Starts `count` waits, each with its own AbortSignal, aborts them newest-first
 * and waits until all rejected. Returns the milliseconds this thread ran for it:
 * its stalls (a loaded machine, the garbage collector) are left out.
 */
export async function timeAborts(
  count: number,
  wait: (signal: AbortSignal) => Promise<unknown>,
): Promise<number> {
  const meter = new StallMeter();
  const started = meter.read();
  const controllers: AbortController[] = [];
  const waits: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    waits.push(wait(controller.signal));
    meter.read();
  }
  const settling = Promise.allSettled(waits); // handled before they reject
  for (let i = count - 1; i >= 0; i--) {
    controllers[i].abort();
    meter.read();
  }
  const results = await settling;
  const elapsed = meter.read() - started - meter.stalled;
  assert.ok(results.every((result) => result.status === "rejected"), "every wait rejected");
  return elapsed;
}

/** The same with bare AbortSignals and no primitive: what the platform itself costs. */
export function bareAborts(count: number): Promise<number> {
  return timeAborts(
    count,
    (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), { once: true })
      ),
  );
}

/**
 * Under a second, unless the platform's own AbortSignals cost that much here
 * (Node 20 on a loaded machine: ~0.6-1.1 s for 10,000); then within twice
 * their cost plus a margin. A scan per abort would be quadratic.
 */
export function assertAbortTime(elapsed: number, bare: number): void {
  assert.ok(
    elapsed < Math.max(1_000, 2 * bare + 250),
    `took ${elapsed.toFixed(0)} ms of running; bare AbortSignals took ${bare.toFixed(0)} ms`,
  );
}
