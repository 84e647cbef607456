// Copyright 2026 the desync authors. MIT license.
// Argument checks shared by every public entry point, so that bad input fails
// at the call site with a message naming the method and the argument.

/** A short description of a value for messages, with its type. May throw for a hostile Proxy. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  if (type === "object") return "an object";
  if (type === "string") return `a string (${JSON.stringify(value)})`;
  if (type === "number" || type === "bigint" || type === "boolean") {
    return `${type} ${String(value)}`;
  }
  if (type === "symbol") return `a symbol (${String(value)})`;
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

/** The options every job-scheduling method takes. */
export const JOB_OPTIONS: readonly string[] = ["signal"];

/**
 * Checks an options bag: `undefined`, or an object that is not itself a
 * signal and has no key outside `accepted` (a misspelled key, or another
 * library's option, must not be silently ignored).
 */
export function assertOptions(
  options: unknown,
  method: string,
  accepted: readonly string[],
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${method}(): "options" must be an object, got ${describe(options)}`);
  }
  if (isAbortSignal(options)) {
    throw new TypeError(
      accepted.includes("signal")
        ? `${method}(): "options" is an AbortSignal; pass it as { signal } instead`
        : `${method}(): "options" is an AbortSignal, but ${method}() takes no signal; ` +
          `accepted options: ${accepted.join(", ")}`,
    );
  }
  for (const key in options) {
    if (!accepted.includes(key)) throw unknownOption(method, key, accepted);
  }
}

function unknownOption(method: string, key: string, accepted: readonly string[]): TypeError {
  const near = accepted.find((name) => resembles(key, name));
  const hint = near === undefined ? "" : ` (did you mean "${near}"?)`;
  return new TypeError(
    `${method}(): unknown option "${key}"${hint}; accepted: ${accepted.join(", ")}`,
  );
}

/** A typo or a near name: one contains the other, or they are at most two edits apart. */
function resembles(key: string, name: string): boolean {
  const a = key.toLowerCase();
  const b = name.toLowerCase();
  if (a.includes(b) || b.includes(a)) return true;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j); // Levenshtein, row by row
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] <= 2;
}

/** Reads `options.signal` of a job-scheduling method, checking the options bag and the signal. */
export function readSignal(options: unknown, method: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  assertOptions(options, method, JOB_OPTIONS);
  return optionalSignal((options as { signal?: unknown }).signal, method);
}

/** Checks `options.signal`: `undefined` or an AbortSignal. */
export function optionalSignal(signal: unknown, method: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!isAbortSignal(signal)) {
    throw new TypeError(
      `${method}(): "options.signal" must be an AbortSignal, got ${describe(signal)}`,
    );
  }
  return signal;
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
  if (typeof value !== "number") {
    throw new TypeError(
      `${where}"${name}" must be a non-negative integer or Infinity, got ${describe(value)}`,
    );
  }
  if (!(value >= 0) || (value !== Infinity && !Number.isInteger(value))) {
    throw new RangeError(
      `${where}"${name}" must be a non-negative integer or Infinity, got ${describe(value)}`,
    );
  }
}

/** Checks a count such as a pipe's back-pressure: a positive integer, or `Infinity` (no limit). */
export function assertCount(value: unknown, method: string, name: string): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `${method}(): "${name}" must be a positive integer or Infinity, got ${describe(value)}`,
    );
  }
  if (!(value >= 1) || (value !== Infinity && !Number.isInteger(value))) {
    throw new RangeError(
      `${method}(): "${name}" must be a positive integer or Infinity, got ${describe(value)}`,
    );
  }
}
