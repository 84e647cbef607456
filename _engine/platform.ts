// Copyright 2026 the desync authors. MIT license.
// The few runtime-specific facilities desync needs, feature-detected once.

import { DesyncError } from "./errors.ts";
import { describe } from "./validate.ts";

const globals = globalThis as typeof globalThis & {
  setImmediate?: (callback: () => void) => unknown;
  reportError?: (error: unknown) => void;
};

/**
 * Runs `callback` in a later macrotask, after timers and I/O had a turn.
 * `setImmediate` (Deno, Node, Bun) is the cheapest; browsers get a
 * `MessageChannel`, which is not clamped like nested `setTimeout(0)`;
 * workerd without `nodejs_compat` gets `setTimeout(0)`.
 */
export const scheduleMacrotask: (callback: () => void) => void = (() => {
  const setImmediateFn = globals.setImmediate;
  if (typeof setImmediateFn === "function") {
    return (callback: () => void) => {
      setImmediateFn(callback);
    };
  }
  // workerd (Cloudflare Workers) delivers a MessageChannel's message as a
  // microtask, which gives the event loop no turn at all: measured, a chain
  // of 200,000 posts never let a 0 ms timer run. Its user agent is documented.
  const workerd = typeof navigator === "object" &&
    (navigator as { userAgent?: string } | null)?.userAgent === "Cloudflare-Workers";
  if (typeof MessageChannel === "function" && !workerd) {
    // Made on first use, not at load: importing the library creates nothing.
    let channel: MessageChannel | undefined;
    const callbacks: (() => void)[] = [];
    let next = 0;
    const run = () => {
      const callback = callbacks[next];
      callbacks[next++] = undefined!;
      if (next === callbacks.length) callbacks.length = next = 0;
      callback?.();
    };
    return (callback: () => void) => {
      if (channel === undefined) {
        channel = new MessageChannel();
        channel.port1.onmessage = run;
      }
      callbacks.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback: () => void) => {
    setTimeout(callback, 0);
  };
})();

/**
 * Reports an error that has no caller to go to, and never throws:
 * `reportError` where the platform has it (Deno, browsers, Bun), otherwise an
 * uncaught exception in a fresh microtask (Node), so it is never silent.
 *
 * A value that is not an `Error` (a string, a symbol, `undefined`) would be
 * reported as a bare `Uncaught undefined`: it is wrapped in a `DesyncError`
 * that says what failed (`what`, e.g. "a desync() job on a Desync"), with the
 * value as its `cause`. One that the platform cannot even report (a Proxy whose
 * traps throw makes `reportError` throw) is replaced by a description.
 */
export function reportLoudly(error: unknown, what: string): void {
  const reported = isError(error) ? error : new DesyncError(
    `${what} failed with ${safeDescribe(error)}, which is not an Error (it is this error's cause)`,
    { cause: error },
  );
  try {
    deliver(reported);
  } catch {
    try {
      deliver(
        new DesyncError(`${what} failed with ${safeDescribe(error)}, which could not be reported`),
      );
    } catch {
      // Nothing left to try: reporting must never throw into the scheduler.
    }
  }
}

function deliver(error: unknown): void {
  const report = globals.reportError;
  if (typeof report === "function") {
    report(error);
  } else {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** `instanceof Error`, false for a Proxy whose traps throw. */
function isError(value: unknown): boolean {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function safeDescribe(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return `an ${typeof value} that cannot be inspected`;
  }
}

/** Symbols that Deno's and Node's `inspect` look up for custom output. */
export const DENO_INSPECT: unique symbol = Symbol.for("Deno.customInspect") as never;
export const NODE_INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/** Formats `fields` as `Name { … }` with the runtime's own inspector. */
export function inspectAs(
  name: string,
  fields: Record<string, unknown>,
  inspect: (value: unknown, options?: unknown) => string,
  options?: unknown,
): string {
  return `${name} ${inspect(fields, options)}`;
}
