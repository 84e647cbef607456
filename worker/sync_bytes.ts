// Copyright 2026 the desync authors. MIT license.
// A blocking call's answer as bytes in the channel's SharedArrayBuffer, for
// a caller that cannot read a port synchronously (a browser's worker). Used
// instead of the sync port when the pool's thread has no receiveMessageOnPort.
//
// Words after the control words of protocol.ts (ANSWERED, DYING, EXIT_CODE, a
// spare one), then DATA_BYTES of data:
// - WAITING: the job the caller blocks on, stored before the job is sent and
//   cleared when the caller stops waiting. The worker writes an answer only
//   for that job (a job whose caller timed out answers nobody), and stops
//   waiting for the acknowledgement of a chunk once its caller is gone.
//   The worker writes one answer at a time (one thread), so a late answer
//   can only come before or after the one a caller reads, never during it.
// - SIZE: the answer's length in bytes; CHUNK: how many chunks of it the
//   worker has written; ACKED: how many the caller has copied out. An answer
//   longer than DATA_BYTES goes in chunks: the worker writes one, stores
//   CHUNK, notifies, and waits (in slices, checking WAITING) for ACKED before
//   the next. The first chunk is announced by ANSWERED, as on the port.

import { serializeError } from "./errors.ts";
import { ANSWERED, DYING } from "./protocol.ts";
import { encodeAnswer } from "./sync_codec.ts";

export const WAITING = 4;
const SIZE = 5;
const CHUNK = 6;
const ACKED = 7;
/** Control words of a channel that carries bytes. */
export const BYTES_WORDS = 8;
/** Room for one chunk: most answers fit in one. */
export const DATA_BYTES = 64 * 1024;
/** Milliseconds of one wait for the other side before checking that it still waits. */
const SLICE = 10;

/** The SharedArrayBuffer of a channel that carries bytes. */
export function bytesBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(BYTES_WORDS * Int32Array.BYTES_PER_ELEMENT + DATA_BYTES);
}

function dataOf(control: Int32Array): Uint8Array {
  return new Uint8Array(control.buffer, BYTES_WORDS * Int32Array.BYTES_PER_ELEMENT);
}

/** Worker side: writes `bytes` as the answer to job `jobId`, unless its caller no longer waits. */
export function writeBytes(control: Int32Array, jobId: number, bytes: Uint8Array): void {
  if (Atomics.load(control, WAITING) !== jobId) return; // its caller gave up (timed out)
  const data = dataOf(control);
  Atomics.store(control, SIZE, bytes.length);
  Atomics.store(control, ACKED, 0);
  for (let offset = 0, chunk = 1;; chunk++) {
    const length = Math.min(data.length, bytes.length - offset);
    data.set(bytes.subarray(offset, offset + length));
    offset += length;
    Atomics.store(control, CHUNK, chunk);
    if (chunk === 1) {
      Atomics.store(control, ANSWERED, jobId);
      Atomics.notify(control, ANSWERED);
    } else Atomics.notify(control, CHUNK);
    if (offset >= bytes.length) return;
    while (Atomics.load(control, ACKED) < chunk) {
      if (Atomics.load(control, WAITING) !== jobId) return; // the caller gave up mid-answer
      Atomics.wait(control, ACKED, chunk - 1, SLICE);
    }
  }
}

/**
 * Caller side, once ANSWERED is its job: copies the answer out (chunk by
 * chunk), or returns undefined if the worker ends or `deadline` passes
 * before the last chunk.
 */
export function readBytes(control: Int32Array, deadline: number): Uint8Array | undefined {
  const data = dataOf(control);
  const bytes = new Uint8Array(Atomics.load(control, SIZE));
  for (let offset = 0, chunk = 1;; chunk++) {
    for (let written; (written = Atomics.load(control, CHUNK)) < chunk;) {
      if (Atomics.load(control, DYING) !== 0 || performance.now() >= deadline) return undefined;
      Atomics.wait(control, CHUNK, written, SLICE);
    }
    const length = Math.min(data.length, bytes.length - offset);
    bytes.set(data.subarray(0, length), offset);
    offset += length;
    if (offset >= bytes.length) return bytes;
    Atomics.store(control, ACKED, chunk);
    Atomics.notify(control, ACKED);
  }
}

/**
 * Worker side: answers job `jobId` as bytes. A result the codec cannot carry
 * becomes a TypeError saying so (the job has run).
 */
export function answerBytes(control: Int32Array, jobId: number, ok: boolean, value: unknown): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeAnswer([ok ? 1 : 0, ok ? value : serializeError(value)]);
  } catch (error) {
    const failure = new TypeError(
      `the job ran, but its ${ok ? "result" : "error"} cannot be sent to the caller's thread, ` +
        `which cannot read a port synchronously (a browser's worker: answers travel as bytes ` +
        `that carry primitives, plain objects, arrays, Date, Map, Set, RegExp, ArrayBuffer, ` +
        `typed arrays and errors, without cycles): ${(error as Error).message}`,
    );
    bytes = encodeAnswer([0, serializeError(failure)]);
  }
  writeBytes(control, jobId, bytes);
}
