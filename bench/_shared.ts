// Copyright 2026 the desync authors. MIT license.
// Shared by every bench file: the job every library runs, the sizes, and the
// smoke switch.
//
// Conventions of the suite (bench/report.ts relies on them):
// - Every group has one `baseline: true` case (a bare promise chain, or a
//   direct call), so `deno bench` prints ratios measured side by side.
// - Cases of this library are named "desync: …"; the first of them in a group
//   is the group's headline, compared with every other case of the group.
// - Comparators are named by their npm package name, then " · " and the API used.
// - Every case checks that all its jobs ran (`expectRan`), so a case that
//   silently measures nothing fails instead.
//
// Smoke mode (`DESYNC_BENCH_SMOKE=1`, env permission for that variable): small
// N and few iterations, so CI can check in seconds that the suite still runs.

/** The state every job updates; a `Desync` under test holds this very object. */
export const state: { count: number } = { count: 0 };

/**
 * The job body, the same for every library: a synchronous increment. Hoisted,
 * so scheduling it allocates nothing on the caller's side.
 */
export function work(): void {
  state.count++;
}

/** Always resolved: what the async job awaits. */
const RESOLVED: Promise<void> = Promise.resolve();

/** The async job body (scenario 5, and @henrygd/queue's adapter needs a promise). */
export async function workAsync(): Promise<void> {
  await RESOLVED;
  state.count++;
}

/**
 * The synchronous job wrapped in an async function, for APIs that call
 * `.then` on what the job returns (@henrygd/queue, fastq's promise worker).
 */
// deno-lint-ignore require-await
export async function workPromised(): Promise<void> {
  state.count++;
}

/**
 * fastq's promise worker for synchronous jobs: fastq.promise calls `.then` on
 * what the worker returns, so it must be an async function that runs the task.
 */
// deno-lint-ignore require-await
export async function runTask(task: () => void): Promise<void> {
  task();
}

function readSmoke(): boolean {
  const descriptor = { name: "env", variable: "DESYNC_BENCH_SMOKE" } as const;
  if (Deno.permissions.querySync(descriptor).state !== "granted") return false;
  const value = Deno.env.get("DESYNC_BENCH_SMOKE");
  return value !== undefined && value !== "" && value !== "0";
}

/** Whether the suite runs in smoke mode. */
export const SMOKE: boolean = readSmoke();

/** `full` normally, `smoke` in smoke mode. */
export function size(full: number, smoke: number): number {
  return SMOKE ? smoke : full;
}

/** Extra `Deno.bench` options: in smoke mode, a couple of iterations and no warm-up. */
export const RUNS: { n?: number; warmup?: number } = SMOKE ? { n: 2, warmup: 1 } : {};

/** Formats a job count for group names: 10000 -> "10,000". */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Throws unless exactly `expected` jobs ran since `before` (the count before the iteration). */
export function expectRan(before: number, expected: number, what: string): void {
  const ran = state.count - before;
  if (ran !== expected) {
    throw new Error(`${what}: expected ${expected} jobs to have run, saw ${ran}`);
  }
}
