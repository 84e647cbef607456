// Copyright 2026 the desync authors. MIT license.
// The few runtime-specific facilities desync needs, feature-detected once.

/** Handler for errors nobody else can observe. */
export type ErrorHandler = (error: unknown) => void;

const globals = globalThis as typeof globalThis & {
  setImmediate?: (callback: () => void) => unknown;
  reportError?: (error: unknown) => void;
};

/**
 * Runs `callback` in a later macrotask, after timers and I/O had a turn.
 * `setImmediate` (Deno, Node, Bun) is the cheapest; browsers get a
 * `MessageChannel`, which is not clamped like nested `setTimeout(0)`.
 */
export const scheduleMacrotask: (callback: () => void) => void = (() => {
  const setImmediateFn = globals.setImmediate;
  if (typeof setImmediateFn === "function") {
    return (callback: () => void) => {
      setImmediateFn(callback);
    };
  }
  if (typeof MessageChannel === "function") {
    const channel = new MessageChannel();
    const callbacks: (() => void)[] = [];
    channel.port1.onmessage = () => callbacks.shift()?.();
    return (callback: () => void) => {
      callbacks.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback: () => void) => {
    setTimeout(callback, 0);
  };
})();

/**
 * Reports an error that has no caller to go to: `reportError` where the
 * platform has it (Deno, browsers, Bun), otherwise an uncaught exception in a
 * fresh microtask (Node), so it is never silent.
 */
export const reportLoudly: ErrorHandler = (error: unknown) => {
  const report = globals.reportError;
  if (typeof report === "function") {
    report(error);
  } else {
    queueMicrotask(() => {
      throw error;
    });
  }
};

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
