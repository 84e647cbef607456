// Copyright 2026 the desync authors. MIT license.
// Test sources for pipes: a push channel and a counting pull source, both
// recording whether (and why) they were cancelled.

/** A ReadableStream fed by hand, like a channel's receiving end. */
export interface Channel<T> {
  stream: ReadableStream<T>;
  send(value: T): void;
  close(): void;
  error(reason: unknown): void;
  /** Set when the stream was cancelled: `{ reason }`. */
  cancelled: { reason: unknown } | undefined;
}

export function channel<T>(): Channel<T> {
  let controller!: ReadableStreamDefaultController<T>;
  const result: Channel<T> = {
    stream: new ReadableStream<T>({
      start: (c) => void (controller = c),
      cancel: (reason) => void (result.cancelled = { reason }),
    }, { highWaterMark: 0 }),
    send: (value) => controller.enqueue(value),
    close: () => controller.close(),
    error: (reason) => controller.error(reason),
    cancelled: undefined,
  };
  return result;
}

/** An endless source producing 1, 2, 3, ... on demand, counting how many were pulled. */
export interface Counter {
  stream: ReadableStream<number>;
  pulled: number;
  cancelled: { reason: unknown } | undefined;
}

export function counter(): Counter {
  const result: Counter = {
    pulled: 0,
    cancelled: undefined,
    stream: new ReadableStream<number>({
      pull: (c) => c.enqueue(++result.pulled),
      cancel: (reason) => void (result.cancelled = { reason }),
    }, { highWaterMark: 0 }),
  };
  return result;
}
