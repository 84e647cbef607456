// Copyright 2026 the desync authors. MIT license.
// The main side of blocking calls (WorkerDesync.sync): whether this thread
// may block at all, and the per-worker channel a blocked thread is answered
// on.
//
// Protocol (one channel per worker, made at its first sync()):
// - The caller queues the SYNC operation behind everything already queued
//   for that worker, sends the batch at once, and parks in Atomics.wait on
//   the control word ANSWERED.
// - The worker runs the job as a job of the object's Desync (so after every
//   job scheduled on the object before it), posts [jobId, ok, value] on the
//   sync port, stores jobId in ANSWERED and notifies, from its own thread:
//   the blocked thread runs no event loop, so no message, timer or worker
//   event can wake it.
// - A worker that user code ends (exit, close) stores DYING first and
//   notifies the same way.
// - The caller re-checks after every wake (a notify can be stale or
//   spurious), then takes the answer with receiveMessageOnPort, which reads a
//   port synchronously. Deno, Node and Bun have it (node:worker_threads,
//   reached through process.getBuiltinModule); browsers do not: there (in a
//   worker: their main thread may not block) the answer comes as bytes
//   through the SharedArrayBuffer instead (sync_bytes.ts, sync_codec.ts).
// - A worker can also die with none of its code running (Node: out of memory
//   under resourceLimits, terminate()), and nothing then notifies. So the
//   caller parks in slices of SLICE ms; after each slice that ran out it asks
//   the endpoint whether the worker's thread has stopped (a synchronous read:
//   Node's eventLoopUtilization; nothing of the kind exists on Deno, where an
//   out-of-memory worker ends the whole process, nor on Bun's web Workers)
//   and gives up at the deadline (the pool's syncTimeout).
// - Answers nobody takes (a job that timed out answers late) stay on the
//   port: the next wait skips every answer that is not its own.

import { WouldBlockError } from "../_engine/errors.ts";
import { SyncTimeoutError } from "./errors.ts";
import { bytesBuffer, readBytes, WAITING } from "./sync_bytes.ts";
import { decodeAnswer } from "./sync_codec.ts";
import { ANSWERED, CONTROL_WORDS, DYING, EXIT_CODE, SYNC_SETUP } from "./protocol.ts";

interface Port {
  postMessage(message: unknown): void;
  close(): void;
  unref?(): void;
}
interface Threads {
  MessageChannel?: new () => { port1: Port; port2: Port };
  receiveMessageOnPort?(port: Port): { message: unknown } | undefined;
}

/** Loads of the control word before parking (a few tens of microseconds at most). */
const SPIN = 20_000;

/** Milliseconds of one park before the caller checks the worker's liveness and its deadline. */
const SLICE = 10;

/** EXIT_CODE when the worker ended without one (self.close()). */
export const NO_EXIT_CODE = -0x7fffffff;

let probed = false;
let unavailable: string | undefined;
let receive: ((port: Port) => { message: unknown } | undefined) | undefined;
let Channel: (new () => { port1: Port; port2: Port }) | undefined;

/** Why this thread cannot block on a worker, or undefined if it can. Probed once. */
export function cannotBlock(): string | undefined {
  if (probed) return unavailable;
  probed = true;
  if (typeof SharedArrayBuffer !== "function") {
    return (unavailable = "there is no SharedArrayBuffer here (a page that is not " +
      "cross-origin isolated: it needs the headers Cross-Origin-Opener-Policy: same-origin " +
      "and Cross-Origin-Embedder-Policy: require-corp)");
  }
  try {
    // Browsers refuse any Atomics.wait on their main thread, even one that
    // would return at once; elsewhere this returns "not-equal".
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return (unavailable = "this thread may not block (Atomics.wait is not allowed on a " +
      "browser's main thread)");
  }
  const process = (globalThis as { process?: { getBuiltinModule?(name: string): unknown } })
    .process;
  let threads: Threads | undefined;
  try {
    threads = process?.getBuiltinModule?.("node:worker_threads") as Threads | undefined;
  } catch {
    threads = undefined;
  }
  const channel = (globalThis as { MessageChannel?: Threads["MessageChannel"] }).MessageChannel ??
    threads?.MessageChannel;
  // Without receiveMessageOnPort (a browser's worker), answers come as bytes
  // through the SharedArrayBuffer instead (sync_bytes.ts, sync_codec.ts).
  if (typeof threads?.receiveMessageOnPort === "function" && typeof channel === "function") {
    receive = threads.receiveMessageOnPort;
    Channel = channel;
  }
  return undefined;
}

/**
 * Tests only: makes the channels made from now on carry answers as bytes
 * (as in a browser's worker) even where a port can be read synchronously.
 */
export function useBytesChannel(on: boolean): void {
  bytesForced = on;
}
let bytesForced = false;

/** The WouldBlockError of a sync() call where this thread cannot block. */
export function wouldBlock(method: string, why: string): WouldBlockError {
  return new WouldBlockError(
    `WorkerDesync.sync("${method}"): cannot block here: ${why}; ` +
      `use await futureSync("${method}", ...) instead`,
  );
}

/** The error of a sync() call that reached the pool's syncTimeout. */
export function syncTimedOut(method: string, timeout: number): SyncTimeoutError {
  return new SyncTimeoutError(
    `WorkerDesync.sync("${method}"): no answer within syncTimeout (${timeout} ms); the job is ` +
      `cancelled (dropped if it has not started, its jobSignal aborts if it runs) and whatever ` +
      `it answers later is ignored; the object's later jobs still run after it`,
  );
}

/** What a blocked caller learned. */
export type Answer =
  | { kind: "answer"; ok: boolean; value: unknown }
  /** User code is ending the worker (its exit hooks said so). */
  | { kind: "dying"; exitCode: number | undefined }
  /** The worker's thread stopped without a word (out of memory, terminated). */
  | { kind: "stopped" }
  /** The deadline passed first. */
  | { kind: "timeout" };

/** One worker's blocking-call channel, main side. Only made where cannotBlock() is undefined. */
export class SyncChannel {
  readonly control: Int32Array;
  /** The port answers come on; undefined where they come as bytes (no receiveMessageOnPort). */
  readonly #port: Port | undefined;
  /** The setup message for the worker, and what it transfers. */
  readonly setup: [unknown[], Port[]];

  constructor() {
    if (receive === undefined || bytesForced) {
      this.control = new Int32Array(bytesBuffer());
      this.#port = undefined;
      this.setup = [[SYNC_SETUP, this.control, null], []];
      return;
    }
    this.control = new Int32Array(
      new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT),
    );
    const { port1, port2 } = new Channel!();
    port1.unref?.(); // read only synchronously: it must not keep a process alive
    this.#port = port1;
    this.setup = [[SYNC_SETUP, this.control, port2], [port2]];
  }

  /** Says which job the caller is about to wait for: before it is sent (see sync_bytes.ts). */
  expect(id: number): void {
    if (this.#port === undefined) Atomics.store(this.control, WAITING, id);
  }

  /**
   * Blocks until job `id` is answered, the worker says it is ending, its
   * thread is seen stopped (`stopped`, asked between slices), or the clock
   * (performance.now()) reaches `deadline`.
   */
  wait(id: number, deadline: number, stopped: (() => boolean) | undefined): Answer {
    const control = this.control;
    // A short spin first: a quick job is answered within it, which saves the
    // futex wake-up of parking (10-20 us measured on this VM).
    for (let spin = 0; spin < SPIN && Atomics.load(control, ANSWERED) !== id; spin++);
    for (let slept = false;;) {
      const answered = Atomics.load(control, ANSWERED);
      if (answered === id) break;
      if (Atomics.load(control, DYING) !== 0) {
        const code = Atomics.load(control, EXIT_CODE);
        return { kind: "dying", exitCode: code === NO_EXIT_CODE ? undefined : code };
      }
      // Asked only after a slice ran out: an answer's wake-up costs nothing more.
      if (slept && stopped?.() === true) {
        if (Atomics.load(control, ANSWERED) === id) break; // answered, then stopped
        return { kind: "stopped" };
      }
      const left = deadline - performance.now();
      if (left <= 0) return { kind: "timeout" };
      slept = Atomics.wait(control, ANSWERED, answered, Math.min(SLICE, left)) === "timed-out";
    }
    if (this.#port === undefined) return this.#readBytes(deadline);
    // The answer was posted before ANSWERED was stored; earlier answers that
    // nobody took (jobs that timed out) are skipped.
    for (let tries = 0;; tries++) {
      const received = receive!(this.#port);
      if (received === undefined) {
        if (tries > 1000) throw new Error(`desync: the answer to sync job ${id} is missing`);
        Atomics.wait(control, CONTROL_WORDS - 1, 0, 1); // a port may lag its store
        continue;
      }
      const [jobId, ok, value] = received.message as [number, number, unknown];
      if (jobId === id) return { kind: "answer", ok: ok === 1, value };
    }
  }

  #readBytes(deadline: number): Answer {
    const bytes = readBytes(this.control, deadline);
    if (bytes === undefined) {
      if (Atomics.load(this.control, DYING) === 0) return { kind: "timeout" };
      const code = Atomics.load(this.control, EXIT_CODE);
      return { kind: "dying", exitCode: code === NO_EXIT_CODE ? undefined : code };
    }
    const [ok, value] = decodeAnswer(bytes) as [number, unknown];
    return { kind: "answer", ok: ok === 1, value };
  }

  /** The caller no longer waits (answered, timed out, or the worker ended). */
  done(): void {
    if (this.#port === undefined) Atomics.store(this.control, WAITING, 0);
  }

  close(): void {
    this.#port?.close();
  }
}
