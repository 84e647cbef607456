// Copyright 2026 the desync authors. MIT license.
// The part of `Deno.test` that the test files use, on top of another runtime's
// test runner (node:test, bun:test, or the in-page runner in browser.ts).
//
// What it provides, with Deno's semantics:
// - `Deno.args` (empty: no script arguments are passed to the tests),
//   `Deno.env.get/has/toObject` (the process environment on Node and Bun,
//   none in a browser) and `Deno.permissions.query/querySync` ("granted" on
//   Node and Bun, which have no permission model by default; "denied" in a
//   browser), and `Deno.memoryUsage()` on Node and Bun (their
//   `process.memoryUsage()`, the same fields; not in a browser).
// - `Deno.test(name, fn)`, `Deno.test(name, options, fn)`, `Deno.test(options)`,
//   `Deno.test(options, fn)` and `Deno.test(namedFunction)`; `ignore: true`
//   becomes a skip whose reason says so.
// - `t.name` and `t.step(name, fn)` / `t.step({ name, fn, ignore })`: a step
//   runs when it is called and resolves to `true` when it passed, `false`
//   when it failed or was ignored (it never rejects); a test with a failed
//   step fails, naming the step; a step still running when its test ends
//   fails the test (Deno: "step was not awaited").
//
// What it refuses, loudly: `only` and `permissions` (they would change what
// runs or what is allowed, and the adapter cannot do that faithfully), and
// every other `Deno.*` member: reading one throws an error that names it, so
// a test that needs more of Deno fails instead of passing by accident. The
// exception: `unrefTimer`, which the library feature-detects, reads as
// undefined, as on a runtime without Deno. (Library code must detect
// features, never `Deno`'s presence: this adapter defines a `Deno` global.) Tests
// that need such a feature are listed in skips.ts with the reason.
//
// What it drops: the ops/resources/exit sanitizers (`sanitize*` options).
// They are Deno's leak checks around a test; the assertions are the test's
// own and run unchanged.

import { skipReason } from "./skips.ts";

/** Runtime-neutral description of where the tests run. */
export interface RuntimeInfo {
  /** Label in the output: node20, node22, bun, chromium. */
  name: string;
  /** The runtime's own version string. */
  version: string;
  /** What runs the tests: "node:test", "bun:test", or "adapter" (runner.ts). */
  runner: "node:test" | "bun:test" | "adapter";
}

/** One test handed to the runtime's own runner. */
export interface RegisteredTest {
  name: string;
  /** Runs the test; rejects when it failed. */
  fn: () => Promise<void>;
  /** Set when the test is skipped: the reason, printed by the runner. */
  skip?: string;
}

/** A runtime's own test runner, as the adapter needs it. */
export interface Backend {
  runtime: RuntimeInfo;
  register(test: RegisteredTest): void;
  /**
   * The process environment (Node, Bun: `process.env`, where every
   * permission is granted as there is no permission model by default), or
   * undefined in a browser, which has neither environment nor permissions.
   */
  env?: Record<string, string | undefined>;
  /**
   * V8's (Node) or JSC's (Bun) heap statistics, from `process.memoryUsage()`:
   * the same fields as `Deno.memoryUsage()`. Undefined in a browser.
   */
  memoryUsage?: () => {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
  };
}

type StepFn = (t: TestContext) => void | Promise<void>;

interface StepDefinition {
  name: string;
  fn: StepFn;
  ignore?: boolean;
}

interface TestDefinition extends StepDefinition {
  only?: boolean;
  permissions?: unknown;
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
  sanitizeExit?: boolean;
}

/** The test context handed to a test or step function (`t`). */
export interface TestContext {
  name: string;
  parent?: TestContext;
  step(
    nameOrDefinition: string | StepDefinition | StepFn,
    fn?: StepFn,
  ): Promise<boolean>;
}

/** Normalizes Deno.test's overloads. */
function definition(args: unknown[]): TestDefinition {
  const [first, second, third] = args;
  if (typeof first === "string") {
    if (typeof second === "function") {
      return { name: first, fn: second as StepFn };
    }
    if (typeof third === "function") {
      return {
        ...(second as Partial<TestDefinition>),
        name: first,
        fn: third as StepFn,
      };
    }
  } else if (typeof first === "function") {
    if (first.name === "") {
      throw new TypeError("Deno.test: the test function must have a name");
    }
    return { name: first.name, fn: first as StepFn };
  } else if (typeof first === "object" && first !== null) {
    const options = first as Partial<TestDefinition>;
    if (typeof second === "function") {
      return {
        ...options,
        name: options.name ?? second.name,
        fn: second as StepFn,
      };
    }
    if (typeof options.fn === "function" && typeof options.name === "string") {
      return options as TestDefinition;
    }
  }
  throw new TypeError(
    "Deno.test: expected (name, fn), (name, options, fn) or ({ name, fn })",
  );
}

function stepDefinition(
  nameOrDefinition: string | StepDefinition | StepFn,
  fn?: StepFn,
): StepDefinition {
  if (typeof nameOrDefinition === "string" && typeof fn === "function") {
    return { name: nameOrDefinition, fn };
  }
  if (typeof nameOrDefinition === "function") {
    return { name: nameOrDefinition.name, fn: nameOrDefinition };
  }
  if (
    typeof nameOrDefinition === "object" &&
    typeof nameOrDefinition.fn === "function"
  ) {
    return nameOrDefinition;
  }
  throw new TypeError("t.step: expected (name, fn) or ({ name, fn })");
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Runs `fn` as a test or step body: steps are checked once it settles. */
async function runBody(
  name: string,
  fn: StepFn,
  parent?: TestContext,
): Promise<void> {
  const failedSteps: { name: string; error: unknown }[] = [];
  let pendingSteps = 0;
  const context: TestContext = {
    name,
    parent,
    async step(nameOrDefinition, stepFn) {
      const step = stepDefinition(nameOrDefinition, stepFn);
      if (step.ignore) return false;
      pendingSteps++;
      try {
        await runBody(step.name, step.fn, context);
        return true;
      } catch (error) {
        failedSteps.push({ name: step.name, error });
        return false;
      } finally {
        pendingSteps--;
      }
    },
  };
  await fn(context);
  if (pendingSteps > 0) {
    throw new Error(
      `${name}: ${pendingSteps} step(s) still running when it ended (not awaited)`,
    );
  }
  if (failedSteps.length > 0) {
    // The message names each step; each step's own error, with its stack, is in `errors`.
    const list = failedSteps.map((s) => `  step "${s.name}" failed: ${describe(s.error)}`);
    throw new AggregateError(
      failedSteps.map((s) => s.error),
      `${name}: ${failedSteps.length} step(s) failed\n${list.join("\n")}`,
    );
  }
}

/** Installs `globalThis.Deno` with `test`, backed by `backend`. */
export function installDenoShim(backend: Backend): void {
  const test = (...args: unknown[]): void => {
    const def = definition(args);
    if (def.only) {
      throw new Error(
        `Deno.test "${def.name}": "only" is not supported by the adapter`,
      );
    }
    if (def.permissions !== undefined) {
      throw new Error(
        `Deno.test "${def.name}": "permissions" cannot be enforced outside Deno`,
      );
    }
    const skip = def.ignore
      ? "ignore: true in the test file"
      : skipReason(def.name, backend.runtime);
    backend.register({
      name: def.name,
      fn: () => runBody(def.name, def.fn),
      skip,
    });
  };
  const env = backend.env;
  const state = env === undefined ? "denied" : "granted";
  const provided: Record<string, unknown> = {
    test,
    // Script arguments after `--`: these runners pass none to the tests.
    args: Object.freeze([]),
    env: {
      get: (name: string) => env?.[name],
      has: (name: string) => env?.[name] !== undefined,
      toObject: () => ({ ...env }),
    },
    permissions: {
      querySync: () => ({ state }),
      query: () => Promise.resolve({ state }),
    },
    // Members the library itself feature-detects (`Deno?.unrefTimer?.(id)`,
    // for a timer that must not keep the process alive): they read as
    // undefined, as they do where there is no Deno at all, instead of
    // throwing into library code that is right to probe for them.
    unrefTimer: undefined,
  };
  if (backend.memoryUsage !== undefined) {
    provided.memoryUsage = backend.memoryUsage;
  }
  const shim = new Proxy(provided, {
    get(target, key) {
      if (typeof key === "symbol" || key in target || key === "then") {
        return Reflect.get(target, key);
      }
      throw new Error(
        `Deno.${key} is not available on ${backend.runtime.name}: the test adapter ` +
          `(runtimes/deno_shim.ts) does not provide it. A test that needs Deno.${key} ` +
          `must be listed in runtimes/skips.ts with the reason.`,
      );
    },
  });
  Object.defineProperty(globalThis, "Deno", {
    value: shim,
    configurable: true,
    writable: true,
  });
}
