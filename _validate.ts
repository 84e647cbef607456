// Copyright 2026 the desync authors. MIT license.
// Argument checks shared by every public entry point, so that bad input fails
// at the call site with a message naming the method and the argument.

/** A short description of a bad value for error messages, with its type. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  if (type === "object") return "an object";
  if (type === "string") return `a string (${JSON.stringify(value)})`;
  if (type === "number" || type === "bigint" || type === "boolean") {
    return `${type} ${String(value)}`;
  }
  return type;
}

export function assertFunction(value: unknown, method: string, name: string): void {
  if (typeof value !== "function") {
    throw new TypeError(`${method}(): "${name}" must be a function, got ${describe(value)}`);
  }
}

export function assertThenable(value: unknown, method: string, name: string): void {
  if (
    value === null || (typeof value !== "object" && typeof value !== "function") ||
    typeof (value as PromiseLike<unknown>).then !== "function"
  ) {
    throw new TypeError(
      `${method}(): "${name}" must be a promise or thenable, got ${describe(value)}`,
    );
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  // Duck-typed so that signals from other realms (iframes, vm contexts) are accepted.
  return typeof value === "object" && value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function";
}

/** Reads `options.signal`, checking both the options bag and the signal. */
export function readSignal(options: unknown, method: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${method}(): "options" must be an object, got ${describe(options)}`);
  }
  const signal = (options as { signal?: unknown }).signal;
  if (signal === undefined) return undefined;
  if (!isAbortSignal(signal)) {
    throw new TypeError(
      `${method}(): "options.signal" must be an AbortSignal, got ${describe(signal)}`,
    );
  }
  return signal;
}

export function assertOptionsObject(options: unknown, method: string): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${method}(): "options" must be an object, got ${describe(options)}`);
  }
}

/**
 * Checks a concurrency budget: a non-negative integer or `Infinity`.
 * `method` is omitted for a setter, which the argument's name already names.
 */
export function assertConcurrency(
  value: unknown,
  name: string,
  method?: string,
): asserts value is number {
  const where = method === undefined ? "" : `${method}(): `;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${where}"${name}" must be a number, got ${describe(value)}`);
  }
  if (value < 0 || (value !== Infinity && !Number.isInteger(value))) {
    throw new RangeError(
      `${where}"${name}" must be a non-negative integer or Infinity, got ${describe(value)}`,
    );
  }
}

/** Checks a count such as a pipe's back-pressure: a positive integer. */
export function assertPositiveInteger(value: unknown, method: string, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `${method}(): "${name}" must be a positive integer, got ${describe(value)}`,
    );
  }
}
