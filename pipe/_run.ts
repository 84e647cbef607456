// Copyright 2026 the desync authors. MIT license.
// The engine behind every pipe. Items arrive either pulled from a source by
// `pump` (pipe, pipeIn) or pushed by a WritableStream (sink, transform); each
// becomes one background job `process(ref, item, signal)` on the Desync's
// queue, so items are processed one at a time, in arrival order, interleaved
// in FIFO order with the Desync's other jobs. Results leave either through
// `outcome` (a promise) or through a ReadableStream (`readable`).
//
// Back-pressure: new items are accepted only while fewer than `limit` items
// are in flight (queued or being processed) or waiting unread as results. A
// waiting input (`pump`, or a writer's pending `write`) is released only once
// there is room again for `chunk` items (1 locally; a batch or more for a
// pipe into a worker), or the input side is over.
//
// The readable output hands results to its stream in slices (see `#pull`):
// the stream calls back only when a read finds its queue empty, and a slice
// ends exactly where the waiting input may go on, so that a local pipe
// (chunk 1) frees room at each read as before while a pipe into a worker
// reads most results without a call back.
//
// Endings:
// - soft (input exhausted or failed, writable closed or aborted, Desync
//   closed): stop taking items, let the ones already taken finish and deliver
//   their results, then end;
// - hard (`stop`: consumer cancelled, signal aborted, process failed): skip
//   the items not yet started, tell the running one (signal), cancel the
//   source, and end at once.

import type { AnyFunction } from "../_engine/job.ts";
import type { QueueCore } from "../_engine/queue_core.ts";
import { Ring } from "../_engine/ring.ts";
import type { SourceReader, Step } from "./_source.ts";
import { ClosedError } from "../_engine/errors.ts";

interface Ending {
  failed: boolean;
  reason: unknown;
}

export class PipeRun {
  readonly #queue: QueueCore;
  readonly #limit: number;
  readonly #chunk: number;
  /** Results waiting to be read (only when the pipe has a readable output). */
  readonly #results: Ring<unknown> | null;
  /** Aborted on a hard stop: the running `process` call is told through it. */
  readonly #abort = new AbortController();
  readonly #runItem: AnyFunction;
  readonly #onResult = (value: unknown) => this.#itemDone(false, value);
  readonly #onFailure = (error: unknown) => this.#itemDone(true, error);
  readonly #onClose = () => {
    const closed = new ClosedError("pipe: the Desync was closed before the source ended");
    this.#haltInput(closed);
    this.endInput(true, closed);
  };
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.stop(this.#signal!.reason, false);
  /**
   * Stops the input side (cancels the source, or errors the writable); used
   * at most once, and dropped when the input ended by itself.
   */
  #stopInput: ((reason: unknown) => void) | null = null;
  #pending = 0;
  #inputOpen = true;
  #stopped = false;
  #finished = false;
  #ending: Ending | null = null;
  #roomWaiter: (() => void) | null = null;
  #resultWaiter: (() => void) | null = null;
  #stream: ReadableStreamDefaultController<unknown> | null = null;
  /**
   * Results handed to the stream at the last pull and maybe still in its
   * queue: counted as unread until the next pull shows they were read.
   */
  #inStream = 0;
  #streamDone = false;
  #resolve: (() => void) | null = null;
  #reject: ((reason: unknown) => void) | null = null;
  /** Settles when the pipe has finished; only for pipes without a readable output. */
  readonly outcome: Promise<void> | null;

  constructor(
    queue: QueueCore,
    process: AnyFunction,
    limit: number,
    collect: boolean,
    signal: AbortSignal | undefined,
    chunk = 1,
  ) {
    this.#queue = queue;
    this.#limit = limit;
    this.#chunk = chunk;
    this.#results = collect ? new Ring<unknown>() : null;
    // After a hard stop, the items already queued run as no-ops.
    this.#runItem = (ref: unknown, item: unknown, itemSignal: AbortSignal) =>
      this.#stopped ? undefined : process(ref, item, itemSignal);
    this.outcome = collect ? null : new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    queue.addCloseListener(this.#onClose);
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Room for another item under the back-pressure limit. */
  get hasRoom(): boolean {
    return this.#taken() < this.#limit;
  }

  /** Items in flight or waiting unread: what counts against the limit. */
  #taken(): number {
    return this.#pending + (this.#results === null ? 0 : this.#results.length + this.#inStream);
  }

  /** Applies an abort that happened before the pipe started (after its input is wired). */
  start(): void {
    if (this.#signal?.aborted) this.stop(this.#signal.reason, false);
  }

  /** Takes one item: it becomes a job on the Desync's queue. */
  offer(item: unknown): void {
    this.#queue.pushItem(this.#runItem, item, this.#abort.signal, this.#onResult, this.#onFailure);
    this.#pending++;
  }

  /**
   * Resolves when there is room for another item, or the input side is over
   * (see `#wakeRoom`); one waiter at a time (`pump`, or the writer's write).
   */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => (this.#roomWaiter = resolve));
  }

  /** Soft end of the input: the items taken so far still run and deliver. */
  endInput(failed: boolean, reason: unknown): void {
    if (!this.#inputOpen) return;
    this.#inputOpen = false;
    this.#ending = { failed, reason };
    this.#wakeRoom();
    if (this.#pending === 0) this.#finish();
  }

  /**
   * Hard stop: skip the items not yet started, tell the running one, stop the
   * input, end now. `keepResults` keeps the results already produced readable
   * (before the error), for a failure of `process`.
   */
  stop(reason: unknown, keepResults: boolean): void {
    if (this.#stopped || this.#finished) return;
    this.#stopped = true;
    this.#inputOpen = false;
    this.#ending = { failed: true, reason };
    if (!keepResults) this.#results?.clear();
    this.#abort.abort(reason);
    this.#haltInput(reason);
    this.#wakeRoom();
    this.#finish();
    if (!keepResults) this.#endStream(); // drops what the stream's queue still holds
  }

  /** Reads `reader` until it ends, the pipe stops, or it fails (pipe, pipeIn). */
  async pump(reader: SourceReader): Promise<void> {
    const queue = this.#queue;
    this.#stopInput = (reason) =>
      reader.cancel(
        reason,
        (error) => queue.scheduler.report(queue, error, "Cancelling the source of a pipe"),
      );
    this.start();
    try {
      while (this.#inputOpen) {
        if (!this.hasRoom) {
          await this.waitForRoom();
          continue;
        }
        const read = reader.next();
        const next: Step = typeof (read as PromiseLike<Step>).then === "function"
          ? await read
          : read as Step;
        if (!this.#inputOpen) return; // stopped while reading: the consumer wants no more
        if (next.done) {
          this.#stopInput = null; // exhausted: nothing to cancel any more
          this.endInput(false, undefined);
          return;
        }
        this.offer(next.value);
      }
    } catch (error) {
      this.#stopInput = null; // failed: nothing to cancel any more
      this.endInput(true, error); // what it delivered before still runs
    }
  }

  /** The output side (pipe, transform): one result per item, in order. */
  readable(): ReadableStream<unknown> {
    return new ReadableStream<unknown>({
      start: (controller) => {
        this.#stream = controller;
      },
      pull: (controller) => this.#pull(controller),
      cancel: (reason) => this.stop(reason, false),
    }, { highWaterMark: 0 });
  }

  /** The input side (sink, transform): writes become items, with back-pressure. */
  writable(closeWaitsForProcessing: boolean): WritableStream<unknown> {
    return new WritableStream<unknown>({
      start: (controller) => {
        this.#stopInput = (reason) => controller.error(reason);
        this.start();
      },
      write: (item) => {
        this.offer(item);
        return this.hasRoom ? undefined : this.waitForRoom().then(this.#afterRoom);
      },
      close: () => {
        this.#stopInput = null; // the writer closed it: nothing to stop any more
        this.endInput(false, undefined);
        return closeWaitsForProcessing ? this.outcome! : undefined;
      },
      // `pipeTo` aborts its destination when its source errors (after the
      // write in flight settled): a failed input, so a soft ending as for
      // pipe(). The chunks already written are processed (and their results
      // stay readable) before the pipe ends with `reason`.
      abort: (reason) => {
        this.#stopInput = null; // the stream is errored already: nothing to stop any more
        this.endInput(true, reason);
        return closeWaitsForProcessing ? this.#afterAbort() : undefined;
      },
    }, { highWaterMark: 1 });
  }

  /**
   * The sink's abort promise: `pipeTo` waits for it, so it settles once the
   * chunks already written were processed. It fulfils, and `pipeTo` rejects
   * with the source's error, unless the ending was replaced by a failure of
   * `process` (or a hard stop) meanwhile: then it rejects with that error,
   * which would otherwise reach nobody (`outcome` is not the writer's).
   */
  #afterAbort(): Promise<void> {
    const ending = this.#ending;
    return this.outcome!.then(undefined, (error) => {
      if (this.#ending !== ending) throw error;
    });
  }

  /**
   * A write that waited for room fails if a hard stop ended the wait: the
   * stream is errored already (`controller.error`), and rejecting the write
   * too makes `pipeTo` reject on workerd, whose pipeTo otherwise fulfils when
   * its destination is errored during a write (the Streams standard rejects).
   */
  readonly #afterRoom = (): void => {
    if (this.#stopped) throw this.#ending!.reason;
  };

  /** Stops the input side, once. */
  #haltInput(reason: unknown): void {
    const stopInput = this.#stopInput;
    this.#stopInput = null;
    stopInput?.(reason);
  }

  #itemDone(failed: boolean, value: unknown): void {
    this.#pending--;
    if (this.#stopped) return; // skipped, or finished after a hard stop
    if (failed) {
      this.stop(value, true);
      return;
    }
    if (this.#results !== null) {
      this.#results.push(value);
      this.#wakeResult();
    }
    this.#wakeRoom();
    if (!this.#inputOpen && this.#pending === 0) this.#finish();
  }

  /**
   * Called by the stream when a read waits and its queue is empty (the
   * highWaterMark is 0): so every result handed over before has been read.
   * It hands over a slice of the waiting results at once: the first goes to
   * the waiting read, the rest wait in the stream's queue (still counted as
   * unread, `#inStream`) and are read without calling back here, a read
   * costing a third of a pulled one. The slice is as long as the reads it
   * takes before the waiting input has room for its next `chunk` (so the
   * next pull, which learns that they were read, comes exactly when the
   * input may go on), or up to a `chunk` when nothing waits for room (all of
   * them once the input is over). A local pipe (chunk 1) thus hands over one
   * result per read while its input waits, as a pull per read would.
   */
  #pull(controller: ReadableStreamDefaultController<unknown>): Promise<void> | undefined {
    const results = this.#results!;
    const available = results.length;
    this.#inStream = 0; // a read waits: the queue is empty, everything handed over was read
    if (available > 0) {
      let slice = available;
      if (this.#inputOpen) {
        slice = this.#roomWaiter === null
          ? this.#chunk
          : this.#pending + available + this.#chunk - this.#limit - 1;
        if (slice > available) slice = available;
      }
      controller.enqueue(results.shift());
      if (slice > 1) {
        for (let i = 1; i < slice; i++) controller.enqueue(results.shift());
        // The queue's length (highWaterMark 0): `slice - 1`, or `slice` if
        // the reader released its lock meanwhile and its read no longer waits.
        this.#inStream = -controller.desiredSize!;
      }
      this.#wakeRoom();
      return undefined;
    }
    if (this.#finished) {
      this.#endStream();
      return undefined;
    }
    return new Promise<void>((resolve) => (this.#resultWaiter = resolve)).then(() =>
      this.#pull(controller)
    );
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#queue.removeCloseListener(this.#onClose);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    const ending = this.#ending!;
    if (this.outcome !== null) {
      if (ending.failed) this.#reject!(ending.reason);
      else this.#resolve!();
      this.#resolve = this.#reject = null;
    } else if (this.#results!.length === 0 && (!ending.failed || this.#streamEmpty())) {
      // Nothing left to hand over: end now, even if nobody is reading. A
      // close lets the stream's queue be read first, an error would drop it:
      // then the pull that finds the queue empty ends it.
      this.#endStream();
    }
    this.#wakeResult();
  }

  /** Whether the stream's queue holds no result (or the stream is over). */
  #streamEmpty(): boolean {
    const size = this.#stream?.desiredSize;
    return size === null || size === undefined || size >= 0;
  }

  #endStream(): void {
    const stream = this.#stream;
    if (stream === null || this.#streamDone) return;
    this.#streamDone = true;
    const ending = this.#ending!;
    if (ending.failed) stream.error(ending.reason);
    else stream.close();
  }

  /**
   * Releases the waiting input only if there is room now (or the input side
   * is over): a finished item whose result waits unread frees no room, and a
   * writer released early would have its next chunk accepted over the limit.
   */
  #wakeRoom(): void {
    const wake = this.#roomWaiter;
    if (wake !== null && (!this.#inputOpen || this.#taken() + this.#chunk <= this.#limit)) {
      this.#roomWaiter = null;
      wake();
    }
  }

  #wakeResult(): void {
    const wake = this.#resultWaiter;
    if (wake !== null) {
      this.#resultWaiter = null;
      wake();
    }
  }
}
