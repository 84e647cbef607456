// Copyright 2026 the desync authors. MIT license.
// The worker side's replies (host.ts owns one HostOutbox): every reply of a
// tick leaves in one message to the pool, except a blocked caller's answer,
// which goes on the sync port at once.
//
// Invariants of the reply outbox:
// - Replies in the batch leave in the order they were made; the batch is
//   posted once per tick (a microtask queued by its first reply), or at once
//   when it reaches FLUSH_AT.
// - Consecutive replies that carry nothing (OK with undefined) travel as one
//   DONE run of job ids; #doneAt is where the open run's count is, or -1 once
//   any other reply follows it (a run is never reopened past another reply).
// - A reply that transfers something goes alone (splitAtTransfers), with its
//   transfer list; a reply that cannot be cloned becomes that job's FAIL, and
//   the others still go.
// - A job in `syncJobs` (its caller blocks in sync()) is answered on the sync
//   port, never in the batch; a caller blocked while user code ends the
//   worker is told so through the control words (dying()).

import { serializeError } from "./errors.ts";
import type { Channel } from "./host.ts";
import { answerBytes } from "./sync_bytes.ts";
import { ANSWERED, DONE, DYING, EXIT_CODE, FAIL, FLUSH_AT, OK, replyEnd } from "./protocol.ts";
import { NO_EXIT_CODE } from "./blocking.ts";
import { splitAtTransfers, takeTransfer } from "./transfer.ts";

/** The blocking-call channel a pool gave this worker (see blocking.ts). */
export interface SyncPort {
  control: Int32Array;
  /** null: the caller cannot read a port synchronously; answers go as bytes (sync_bytes.ts). */
  port: { postMessage(message: unknown, transfer?: unknown[]): void } | null;
}

/** The replies of one worker's host not yet posted, and its sync port. */
export class HostOutbox {
  #channel: Channel;
  #outbox: unknown[] = [];
  /** Where each reply of the outbox starts (to resend them one by one). */
  #starts: number[] = [];
  /** Where the count of the last DONE run is, if the outbox ends with one; else -1. */
  #doneAt = -1;
  /** The sync port (SYNC_SETUP), once the pool made one. */
  sync: SyncPort | undefined;
  /** Jobs whose caller is blocked in sync(): answered on the sync port, at once. */
  readonly syncJobs: Set<number> = new Set();
  /** What the outbox's replies transfer, by their index in #starts (see transfer.ts). */
  #transfers: Map<number, unknown[]> | undefined;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  /** Answers a blocked caller: the answer first, then the word it waits on, from this thread. */
  #answer(jobId: number, ok: boolean, value: unknown, transfer?: unknown[]): void {
    const sync = this.sync!;
    if (sync.port === null) return answerBytes(sync.control, jobId, ok, value);
    try {
      const answer = [jobId, ok ? 1 : 0, ok ? value : serializeError(value)];
      if (transfer === undefined) sync.port.postMessage(answer);
      else sync.port.postMessage(answer, transfer);
    } catch (error) {
      const failure = new TypeError(`the result cannot be sent to the caller's thread`, {
        cause: error,
      });
      sync.port.postMessage([jobId, 0, serializeError(failure)]);
    }
    Atomics.store(sync.control, ANSWERED, jobId);
    Atomics.notify(sync.control, ANSWERED);
  }

  /** User code is ending this worker: a caller blocked in sync() must not wait on. */
  dying(code: number | undefined): void {
    const sync = this.sync;
    if (sync === undefined) return;
    Atomics.store(sync.control, EXIT_CODE, code ?? NO_EXIT_CODE);
    Atomics.store(sync.control, DYING, 1);
    Atomics.notify(sync.control, ANSWERED);
  }

  /** Queues job `jobId`'s result (what transfer() marked in it is transferred). */
  ok(jobId: number, value: unknown): void {
    const transfer = takeTransfer(value);
    if (this.syncJobs.delete(jobId)) return this.#answer(jobId, true, value, transfer);
    if (transfer !== undefined) return this.emit([OK, jobId, value], transfer);
    if (value !== undefined) return this.send(OK, jobId, value);
    // Most replies of a burst (desync() calls, void methods) carry nothing:
    // consecutive ones travel as one run of ids.
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.flush());
    if (this.#doneAt >= 0) {
      (outbox[this.#doneAt] as number)++;
      outbox.push(jobId);
    } else {
      outbox.push(DONE, 1, jobId);
      this.#doneAt = outbox.length - 2;
      this.#starts.push(this.#doneAt - 1);
    }
    if (outbox.length >= FLUSH_AT) this.flush();
  }

  /** Queues job `jobId`'s failure. */
  fail(jobId: number, error: unknown): void {
    if (this.syncJobs.delete(jobId)) return this.#answer(jobId, false, error);
    this.send(FAIL, jobId, serializeError(error));
  }

  /** Queues a reply (2 or 3 items); every reply of this tick leaves in one message. */
  send(kind: number, a: unknown, b?: unknown): void {
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.flush());
    this.#doneAt = -1;
    this.#starts.push(outbox.length);
    if (kind === OK || kind === FAIL) outbox.push(kind, a, b);
    else outbox.push(kind, a);
    if (outbox.length >= FLUSH_AT) this.flush();
  }

  /** Queues a reply of any length, and what it transfers, in this tick's batch. */
  emit(op: unknown[], transfer: unknown[] | undefined): void {
    const outbox = this.#outbox;
    if (outbox.length === 0) queueMicrotask(() => this.flush());
    this.#doneAt = -1;
    if (transfer !== undefined) (this.#transfers ??= new Map()).set(this.#starts.length, transfer);
    this.#starts.push(outbox.length);
    for (let i = 0; i < op.length; i++) outbox.push(op[i]);
    if (outbox.length >= FLUSH_AT) this.flush();
  }

  /** Posts the replies queued, now. */
  flush(): void {
    if (this.#outbox.length === 0) return;
    const batch = this.#outbox;
    const starts = this.#starts;
    const transfers = this.#transfers;
    this.#outbox = [];
    this.#starts = [];
    this.#transfers = undefined;
    this.#doneAt = -1;
    if (transfers === undefined) return this.#post(batch, starts, 0, starts.length);
    // A reply that transfers goes alone (see splitAtTransfers).
    splitAtTransfers(
      starts.length,
      transfers,
      (from, to) => this.#post(batch, starts, from, to),
      (k) => this.#postEach(batch, starts, k, k + 1, transfers),
    );
  }

  /** Posts replies `from` to `to` (exclusive), which transfer nothing, in one message. */
  #post(batch: unknown[], starts: number[], from: number, to: number): void {
    const whole = from === 0 && to === starts.length;
    try {
      this.#channel.post(
        whole ? batch : batch.slice(starts[from], to < starts.length ? starts[to] : batch.length),
      );
    } catch {
      this.#postEach(batch, starts, from, to, undefined);
    }
  }

  /** A result that cannot be cloned (a function in it): fail that job alone. */
  #postEach(
    batch: unknown[],
    starts: number[],
    from: number,
    to: number,
    transfers: Map<number, unknown[]> | undefined,
  ): void {
    for (let k = from; k < to; k++) {
      const op = batch.slice(starts[k], replyEnd(batch, starts[k]));
      try {
        const transfer = transfers?.get(k);
        if (transfer === undefined) this.#channel.post(op);
        else this.#channel.post(op, transfer);
      } catch (error) {
        this.#channel.post([
          FAIL,
          op[1],
          serializeError(
            new TypeError(`the result cannot be sent to the caller's thread`, { cause: error }),
          ),
        ]);
      }
    }
  }
}
