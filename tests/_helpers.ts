// Copyright 2026 the desync authors. MIT license.
// Small helpers shared by the tests.

/** A promise with its resolvers (Node 20 has no Promise.withResolvers). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Busy-waits, so that jobs take real time and use up the scheduler's time budget. */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* work */ }
}

/**
 * Measures the stalls of this thread: stretches in which it did not run although it had
 * work to do, because the operating system ran other processes (a loaded machine, a
 * virtual CPU descheduled by its host) or the runtime paused to collect garbage. Code that
 * runs often reads the clock through `read()`; a jump of more than `thresholdMs` between
 * two consecutive reads is a stall, since nothing that runs between two reads (a few
 * jobs, the scheduler's bookkeeping, a turn of the event loop) takes that long by itself
 * while there is work to do. `stalled` is the total so far, in milliseconds.
 *
 * Timing bounds are stated for the time the thread actually ran: the library cannot give
 * the event loop a turn while the thread does not run at all.
 */
export class StallMeter {
  /** Milliseconds of stalls seen so far. */
  stalled = 0;
  readonly thresholdMs: number;
  #last = performance.now();

  constructor(thresholdMs = 1) {
    this.thresholdMs = thresholdMs;
  }

  /** `performance.now()`, counting the time since the previous read as a stall if it is long. */
  read(): number {
    const now = performance.now();
    const jump = now - this.#last;
    if (jump > this.thresholdMs) this.stalled += jump;
    this.#last = now;
    return now;
  }
}

/** Lets every pending microtask (and the ones they queue) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Waits one macrotask (a timer). Not enough for a drain that the scheduler
 * put off until the event loop's turn, nor for a fresh time window: a timer
 * can fire between the two hops of the scheduler's probe (see freshWindow).
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const timers = globalThis as typeof globalThis & {
  setImmediate?: (callback: () => void) => unknown;
};

/** workerd, where a MessageChannel message is a microtask (as in _engine/platform.ts). */
const workerd = typeof navigator === "object" &&
  (navigator as { userAgent?: string } | null)?.userAgent === "Cloudflare-Workers";

/**
 * One hop of the macrotask the scheduler yields with (_engine/platform.ts):
 * `setImmediate` (Deno, Node, Bun), else a `MessageChannel` message
 * (browsers), else a timer (workerd).
 */
function macrotaskHop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof timers.setImmediate === "function") {
      timers.setImmediate(resolve);
    } else if (typeof MessageChannel === "function" && !workerd) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * Resolves once the event loop has had a full turn as the scheduler counts
 * turns: a timer, then two hops of the macrotask it yields with (its probe of
 * the loop is two such hops, queued before these). By then a drain that the
 * scheduler had put off until the loop's turn has run, and, unless scheduler
 * work runs in between, its next work starts a fresh time window: background
 * work starts in the next microtask and `futureSync` on an idle object runs
 * inline, however much work ran before.
 *
 * Only for tests whose subject is that latency; a test that merely needs a job
 * to have started waits for the job itself (a deferred it resolves), and one
 * that needs work done awaits it (`futureSync`, `runUntilIdle()`).
 */
export async function freshWindow(): Promise<void> {
  await nextMacrotask();
  await macrotaskHop();
  await macrotaskHop();
}

/**
 * Waits, a macrotask at a time, until `check()` holds; fails after `ms`. For
 * a state change that no event announces, such as an `after()` job reaching
 * its turn (it then waits for its input, so nothing of the test's own runs).
 */
export async function waitFor(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timeout after ${ms} ms: ${what}`);
    await nextMacrotask();
  }
}

/** Collects errors given to an error handler. */
export function errorSink(): { errors: unknown[]; handler: (error: unknown) => void } {
  const errors: unknown[] = [];
  return { errors, handler: (error: unknown) => void errors.push(error) };
}

/**
 * Tracks that jobs of one queue never overlap, including across awaits:
 * call `enter()` when a job starts and `leave()` when it ends.
 */
export class OverlapDetector {
  active = 0;
  overlaps = 0;
  enter(): void {
    if (++this.active > 1) this.overlaps++;
  }
  leave(): void {
    this.active--;
  }
}

/**
 * The Node-style `process` of Node and Bun. Deno has one too, but like
 * browsers it reports uncaught errors and unhandled rejections as global
 * "error" and "unhandledrejection" events, which the tests use there.
 */
interface ProcessEvents {
  versions: { deno?: string };
  listeners(event: string): ((...args: unknown[]) => void)[];
  removeAllListeners(event: string): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}
const nodeProcess = (globalThis as { process?: ProcessEvents }).process;
const usesProcessEvents = typeof nodeProcess?.on === "function" &&
  nodeProcess.versions?.deno === undefined;

/** Listens for `event` on Node's/Bun's process, as the only listener, until stopped. */
function listenOnProcess(
  process: ProcessEvents,
  event: string,
  listener: (value: unknown) => void,
): () => void {
  // The test runner's own listener would count the error against the test.
  const others = process.listeners(event);
  process.removeAllListeners(event);
  const own = (value: unknown) => listener(value);
  process.on(event, own);
  return () => {
    process.removeListener(event, own);
    for (const other of others) process.on(event, other);
  };
}

/**
 * Calls `listener` with each error that reaches `reportError` (Deno, browsers:
 * a global "error" event; Bun: the process's "uncaughtException") or, where
 * there is no `reportError` (Node), the library's fallback of throwing it in
 * a microtask ("uncaughtException"). The error counts as handled. Returns a
 * function that stops listening.
 */
export function onReportedError(
  listener: (error: unknown) => void,
): () => void {
  if (usesProcessEvents) {
    return listenOnProcess(nodeProcess!, "uncaughtException", listener);
  }
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    listener(event.error);
  };
  globalThis.addEventListener("error", onError);
  return () => globalThis.removeEventListener("error", onError);
}

/**
 * Calls `listener` with the reason of each unhandled promise rejection
 * (a global "unhandledrejection" event, or the process's
 * "unhandledRejection" on Node and Bun), which then counts as handled.
 * Returns a function that stops listening.
 */
export function onUnhandledRejection(
  listener: (reason: unknown) => void,
): () => void {
  if (usesProcessEvents) {
    return listenOnProcess(nodeProcess!, "unhandledRejection", listener);
  }
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    listener(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  return () => globalThis.removeEventListener("unhandledrejection", onUnhandled);
}

/**
 * `ReadableStream.from(source)`: the runtime's own where it has one (Deno,
 * Node, Bun), else the same stream built as the Streams spec builds it
 * (Chromium has no `ReadableStream.from`): highWaterMark 0, each pull takes
 * the iterator's next value (awaited, for a sync iterable), and cancel calls
 * the iterator's `return(reason)`.
 */
export function streamFrom<T>(
  source: Iterable<T> | AsyncIterable<T>,
): ReadableStream<T> {
  const from = (ReadableStream as { from?: (source: unknown) => ReadableStream<T> }).from;
  if (typeof from === "function") return from.call(ReadableStream, source);
  const isAsync = Symbol.asyncIterator in source;
  const iterator = isAsync
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
  return new ReadableStream<T>({
    async pull(controller) {
      const result = await iterator.next();
      if (result.done) controller.close();
      else controller.enqueue(isAsync ? result.value : await result.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  }, { highWaterMark: 0 });
}

/** `Array.fromAsync(source)`: the runtime's own where it has one, else a for-await loop (Node 20). */
export async function collect<T>(
  source: AsyncIterable<T> | Iterable<T>,
): Promise<T[]> {
  const fromAsync = (Array as { fromAsync?: (source: unknown) => Promise<T[]> }).fromAsync;
  if (typeof fromAsync === "function") {
    return await fromAsync.call(Array, source);
  }
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

/** Fails instead of hanging (as Rust's tests use `timeout`); the timer is always cleared. */
export async function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    id = setTimeout(() => {
      const description = typeof what === "function" ? what() : what;
      reject(new Error(`Timeout after ${ms} ms: ${description}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(id);
  }
}
