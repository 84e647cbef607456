// Copyright 2026 the desync authors. MIT license.
// A small in-process runner for Deno.test, for where no test runner of the
// runtime's own fits: in a browser page (browser_harness.ts) and in a plain
// Bun process (bun_process.ts). It runs one file's tests one at a time, as
// Deno does, with a timeout each.
//
// Like Deno, it fails the running test when an error reaches the runtime
// uncaught and nobody handled it: a global "error" or "unhandledrejection"
// event that no listener of the test's own called preventDefault() on, or,
// where the runtime has Node's `process` (Bun), an "uncaughtException" or
// "unhandledRejection" that reached the runner's own process listener.

import {
  type Backend,
  installDenoShim,
  type RegisteredTest,
  type RuntimeInfo,
} from "./deno_shim.ts";

export type Result =
  | { name: string; status: "passed" | "failed"; ms: number; error?: string }
  | { name: string; status: "skipped"; reason: string };

const TIMEOUT_MS = 240_000; // the model test runs 3,000 programs: about a minute in a page

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const stack = error.stack ?? "";
    const text = stack.includes(error.message)
      ? stack
      : `${error.name}: ${error.message}\n${stack}`;
    const nested = error instanceof AggregateError
      ? error.errors.map((e) => "\n  caused by " + describeError(e)).join("")
      : "";
    return text + nested;
  }
  return `thrown: ${String(error)}`;
}

interface ProcessLike {
  versions: { deno?: string };
  on(event: string, listener: (value: unknown) => void): void;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The runner's state: tests registered by the file being loaded, errors seen. */
export class Runner {
  #tests: RegisteredTest[] = [];
  #uncaught: unknown[] = [];

  constructor(
    runtime: RuntimeInfo,
    env?: Backend["env"],
    memoryUsage?: Backend["memoryUsage"],
  ) {
    installDenoShim({
      runtime,
      env,
      memoryUsage,
      register: (test) => void this.#tests.push(test),
    });
    const process = (globalThis as { process?: ProcessLike }).process;
    if (
      typeof process?.on === "function" && process.versions?.deno === undefined
    ) {
      // Node-style runtimes deliver uncaught errors to the process; a test
      // that expects one replaces these listeners while it listens.
      process.on(
        "uncaughtException",
        (error) => void this.#uncaught.push(error),
      );
      process.on(
        "unhandledRejection",
        (reason) => void this.#uncaught.push(reason),
      );
    } else {
      // Checked in a later task: the test's own listeners run after this one.
      globalThis.addEventListener("error", (event) => {
        setTimeout(
          () => event.defaultPrevented || this.#uncaught.push(event.error),
          0,
        );
      });
      globalThis.addEventListener("unhandledrejection", (event) => {
        setTimeout(
          () => event.defaultPrevented || this.#uncaught.push(event.reason),
          0,
        );
      });
    }
  }

  /**
   * Runs the tests registered since the last call (those of the file just
   * imported), passing each result to `report`; with `only`, runs only the
   * tests it accepts and leaves the others out of the results.
   */
  async runRegistered(
    report: (result: Result) => void,
    only: (name: string) => boolean = () => true,
  ): Promise<void> {
    const tests = this.#tests.filter((test) => only(test.name));
    this.#tests = [];
    for (const test of tests) {
      if (test.skip !== undefined) {
        report({ name: test.name, status: "skipped", reason: test.skip });
        continue;
      }
      this.#uncaught = [];
      const start = performance.now();
      let error = await runOne(test);
      // Let errors raised during the test reach the listeners above.
      await nextTask();
      await nextTask();
      if (error === undefined && this.#uncaught.length > 0) {
        error = "uncaught error(s) during the test:\n" +
          this.#uncaught.map(describeError).join("\n");
      }
      const ms = Math.round(performance.now() - start);
      report({
        name: test.name,
        status: error === undefined ? "passed" : "failed",
        ms,
        error,
      });
    }
  }
}

async function runOne(test: RegisteredTest): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([test.fn(), timeout]);
    return undefined;
  } catch (error) {
    return describeError(error);
  } finally {
    clearTimeout(timer);
  }
}
