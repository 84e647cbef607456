// Copyright 2026 the desync authors. MIT license.
// Tests that check a runtime-specific feature, and where they are skipped.
// Every skip is printed with its reason by the runner; nothing is skipped
// silently. A test is matched by its exact name (the first argument of
// Deno.test); Deno itself never reads this file.

import type { RuntimeInfo } from "./deno_shim.ts";

interface Skip {
  /** The test's exact name, or a pattern for names that carry numbers. */
  test: string | RegExp;
  /** Whether to skip it on this runtime. */
  when: (runtime: RuntimeInfo) => boolean;
  /** Printed next to the skipped test. */
  reason: string;
}

const everywhere = () => true;

export const SKIPS: readonly Skip[] = [
  {
    test: "Deno.inspect shows the data and state",
    when: everywhere,
    reason: "checks Deno.inspect, Deno's own inspector (Symbol.for('Deno.customInspect')), " +
      "which only Deno has; the node:util output is checked by the next test",
  },
  {
    test:
      "structure: the module graph, the entries, the docs and the package layout follow the rules",
    when: everywhere,
    reason: "checks the repository's source files and runs `deno doc --json` (Deno.readDir, " +
      "Deno.readTextFile, Deno.Command): a check of the package's layout, not of a runtime, " +
      "done once by Deno; the rules' self-test (the next test in that file) runs everywhere",
  },
  {
    test:
      "Durable Object example: plain code double-spends, blockConcurrencyWhile stalls the object, a Desync does neither",
    when: everywhere,
    reason: "runs `deno run examples/durable_account/main.ts` (Deno.Command), which drives " +
      "workerd through miniflare from outside it: a check of the example, done once by Deno; " +
      "the library itself runs in workerd in the workerd runtime's own run",
  },
  {
    test: "load: importing any entry creates no I/O object, timer or random value",
    when: everywhere,
    reason: "imports each entry of deno.json in a fresh `deno eval` (Deno.Command) whose globals " +
      "trap what workerd refuses at load: a check of the package's modules, done once by Deno; " +
      "workerd's own run loads the whole library in its global scope",
  },
  {
    test: "node:util inspect shows the same",
    when: (runtime) => runtime.name === "chromium",
    reason: "checks node:util's inspect (Symbol.for('nodejs.util.inspect.custom')), a Node API " +
      "that Deno, Node and Bun have and a browser has not",
  },
  {
    test: "an aborted after() waiting on a pending promise releases its job (and abort reason)",
    when: () => typeof (globalThis as { gc?: unknown }).gc !== "function",
    reason: "needs gc(), which this runtime was not started with (Deno: --v8-flags=--expose-gc, " +
      "Node: --expose-gc, Chromium: --js-flags=--expose-gc, Bun: Bun.gc(true)); the test would " +
      "return early",
  },
  {
    test:
      /^soak: .* the heap returns to its baseline$|^a drained backlog does not keep its queue's memory$/,
    when: (runtime) => runtime.name === "chromium",
    reason: "measures the heap with Deno.memoryUsage() (Node, Bun: process.memoryUsage()); a " +
      "page has no such measure (performance.memory is Chrome-only, coarse and rounded)",
  },
  {
    test: /^soak: .* the heap returns to its baseline$/,
    when: (runtime) => runtime.name === "bun",
    reason: "its 2 MB bound fits V8's heap accounting (Deno, Node: +0.2 to 0.6 MB); on Bun " +
      "(JSC) heapUsed after Bun.gc(true) stays 4.6 to 8.3 MB up, and 10,000 Desyncs x 100 jobs " +
      "alone leave +6.5 MB run from the .ts sources but +0.3 MB run bundled, while the " +
      "WeakRef/FinalizationRegistry test below finds every object collected",
  },
  {
    test: "node:util inspect shows the same",
    when: (runtime) => runtime.name === "workerd",
    reason: "checks node:util's inspect (Symbol.for('nodejs.util.inspect.custom')), a Node API " +
      "that a Worker has only with the nodejs_compat flag, which these runs do not set (they " +
      "test the library on workerd's own globals)",
  },
  {
    test:
      /^soak: .* the heap returns to its baseline$|^a drained backlog does not keep its queue's memory$/,
    when: (runtime) => runtime.name === "workerd",
    reason: "measures the heap with Deno.memoryUsage() (Node, Bun: process.memoryUsage()); a " +
      "Worker has no measure of its heap (no process.memoryUsage, no performance.memory); the " +
      "WeakRef/FinalizationRegistry test of the same file runs, with gc()",
  },
  {
    test: "sink: a failing process errors the stream, and pipeTo cancels its source",
    when: (runtime) => runtime.name === "workerd",
    reason:
      "workerd's pipeTo() fulfils where the Streams standard rejects: when the destination's " +
      "sink errors it with controller.error() during a write, pipeTo() resolves (workerd " +
      "1.20260730.1, also with a plain ReadableStream and WritableStream and no desync; Deno " +
      "and Node reject with the sink's error, as this test expects). The library's part holds " +
      "there: the source is cancelled with the process's error and only the chunks before it " +
      "are stored",
  },
  {
    // The convention for every test that starts a worker: its name starts with "worker:".
    test: /^worker:/,
    when: (runtime) => runtime.name === "workerd",
    reason: "workerd has no Worker (Cloudflare Workers cannot start threads)",
  },
  {
    test: /^worker: SharedArrayBuffer /,
    when: () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false,
    reason: "this page is not cross-origin isolated (runtimes/run.sh chromium-unisolated): " +
      "a browser gives it no SharedArrayBuffer, in the page or in its workers",
  },
  ...[
    "handler precedence: Desync onError, then scheduler onError, then reportError",
    "a throwing handler does not hide either error: both reach reportError",
    "reporting never throws: non-Error values are reported as DesyncErrors that say what failed",
    "a failed future that nobody awaits or detaches raises an unhandled rejection",
    "firing: a throwing abort listener of a timeout neither stops nor corrupts the expiry",
  ].map((test) => ({
    test,
    when: (runtime: RuntimeInfo) => runtime.runner === "bun:test",
    reason: "expects an error to reach reportError or to be an unhandled rejection, which " +
      "bun test claims as a failure of the running test before any listener of the test's " +
      "(process.on, addEventListener) sees it; run in a plain bun process instead (bun_process.ts)",
  })),
  // Worker objects (tests/worker_*_test.ts).
  {
    test: "worker: close in a job crashes its worker's objects only, and the pool replaces it",
    when: (runtime) => ["node20", "node22", "bun"].includes(runtime.name),
    reason: "node:worker_threads workers and Bun's web workers have no self.close(); a worker " +
      "ending itself is checked there by the process.exit() variant (the test before this one)",
  },
  {
    test: "worker: a worker ended (close) while sync waits throws WorkerCrashedError",
    when: (runtime) => ["node20", "node22", "bun"].includes(runtime.name),
    reason: "node:worker_threads workers and Bun's web workers have no self.close(); the " +
      "process.exit() variant (the test before this one) checks a worker ending during sync",
  },
  {
    test: "worker: a worker terminated from outside mid-job rejects every pending promise",
    when: (runtime) => runtime.name === "node20" || runtime.name === "node22",
    reason: "the factory form takes a web Worker, which Node 20 and 22 lack; an outside " +
      "terminate() of a node:worker_threads worker fires 'exit', the path the process.exit() " +
      "crash test covers",
  },
  {
    test: "worker: an error thrown outside a job is reported, and the worker lives on",
    when: (runtime) => runtime.runner === "bun:test",
    reason: "under bun test, an error thrown in a worker outside any job does not reach the " +
      "worker's own process.on('uncaughtException') handlers; run in a plain bun process " +
      "instead (bun_process.ts)",
  },
  {
    test: "worker: exit in a job crashes its worker's objects only, and the pool replaces it",
    when: (runtime) => runtime.name === "chromium",
    reason: "a browser's workers have no process exit (Deno.exit, process.exit); a worker " +
      "ending itself is checked there by the self.close() variant (the next test)",
  },
  {
    test: "worker: a worker ended (exit) while sync waits throws WorkerCrashedError",
    when: (runtime) => runtime.name === "chromium",
    reason: "a browser's workers have no process exit (Deno.exit, process.exit); there, sync " +
      "throws WouldBlockError before anything is sent, which the self.close() variant checks",
  },
  {
    test: "worker: a program using worker objects ends by itself (Deno: once its pool is closed)",
    when: (runtime) => runtime.name === "chromium",
    reason: "starts a runtime process (node:child_process), which a browser page cannot",
  },
];

/** The reason to skip `test` on `runtime`, or undefined to run it. */
export function skipReason(
  test: string,
  runtime: RuntimeInfo,
): string | undefined {
  return SKIPS.find((skip) => matches(skip, test) && skip.when(runtime))
    ?.reason;
}

function matches(skip: Skip, test: string): boolean {
  return typeof skip.test === "string" ? skip.test === test : skip.test.test(test);
}

/** Tests that bun test must skip and a plain bun process can run (bun_process.ts). */
export function bunProcessTests(): Set<string> {
  const under = (runner: RuntimeInfo["runner"]): RuntimeInfo => ({
    name: "bun",
    version: "",
    runner,
  });
  return new Set(
    SKIPS.filter((skip) => skip.when(under("bun:test")) && !skip.when(under("adapter")))
      .map((skip) => skip.test as string),
  );
}
