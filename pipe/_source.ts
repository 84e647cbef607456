// Copyright 2026 the desync authors. MIT license.
// One reading interface over the three kinds of pipe source: a ReadableStream
// (read with its reader, cancelled with a reason), an AsyncIterable (next /
// return) and an Iterable (the same, synchronously: no microtask per item).

/** One read: an iterator result or a stream read result. */
export interface Step {
  done?: boolean;
  value?: unknown;
}

/** Reads a pipe's source one item at a time. */
export interface SourceReader {
  /** The next item; a plain result for synchronous sources. */
  next(): Step | PromiseLike<Step>;
  /**
   * Stops the source (`reader.cancel` / `iterator.return`). Never throws: an
   * error from the source's own cleanup goes to `report`.
   */
  cancel(reason: unknown, report: (error: unknown) => void): void;
}

/** Whether `value` can be a pipe source. */
export function isSource(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const object = value as Record<PropertyKey, unknown>;
  return typeof object.getReader === "function" ||
    typeof object[Symbol.asyncIterator] === "function" ||
    typeof object[Symbol.iterator] === "function";
}

/**
 * Opens `source` for reading (the caller checked it with `isSource`).
 * @throws {TypeError} If a ReadableStream is already locked.
 */
export function openSource(source: unknown, method: string): SourceReader {
  const object = source as Record<PropertyKey, unknown>;
  if (typeof object.getReader === "function") {
    let reader: ReadableStreamDefaultReader<unknown>;
    try {
      reader = (source as ReadableStream<unknown>).getReader();
    } catch (error) {
      throw new TypeError(`${method}(): "source" cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return {
      next: () => reader.read(),
      cancel: (reason, report) => void reader.cancel(reason).catch(report),
    };
  }
  const iterator = typeof object[Symbol.asyncIterator] === "function"
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]();
  return {
    next: () => iterator.next(),
    cancel: (_reason, report) => {
      try {
        const result = iterator.return?.();
        if (result !== undefined && typeof (result as Promise<unknown>).then === "function") {
          (result as Promise<unknown>).then(undefined, report);
        }
      } catch (error) {
        report(error);
      }
    },
  };
}
