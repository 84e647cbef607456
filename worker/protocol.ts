// Copyright 2026 the desync authors. MIT license.
// The wire format between a pool and its workers. Every message is a batch:
// one flat array of operations, each its kind followed by its fields, and the
// arguments of a call inline after their count. One postMessage carries every
// operation scheduled in the same tick, because the message, not the
// operation, is what costs (~10-70 us per message, well under 1 us per
// operation in a batch), and a flat array clones 2-6x faster than an array
// of small arrays (measured with structuredClone on Deno).
// A job id is positive, except a fire-and-forget desync() job's: it goes out
// as -objectId (the main side keeps a count per object, not the job; see
// Outbox.call), and its reply (DONE or FAIL) carries that id back. A
// pipe's id (PIPE_OPEN's job) is negative too, but at or below -PIPE_IDS:
// the two kinds of negative ids must never be taken for each other.

/** Pipe ids are -(PIPE_IDS + n): below every -objectId. */
export const PIPE_IDS = 2 ** 40;

/** Main -> worker operations. */
export const CREATE = 0; // CREATE, objectId, jobId, className, argc, ...args
export const CALL = 1; //   CALL, objectId, jobId, method, flags, argc, ...args
export const AFTER = 2; //  AFTER, objectId, jobId, method, flags, argc, ...args
export const SETTLE = 3; // SETTLE, jobId, ok (0/1), valueOrError (the promise of an AFTER)
export const CANCEL = 4; // CANCEL, jobId, reason
export const CLOSE = 5; //  CLOSE, objectId, jobId
/** A blocking call (sync()): laid out like CALL; answered on the sync port, not in a batch. */
export const SYNC = 6; //   SYNC, objectId, jobId, method, flags, argc, ...args
/** Gives the worker the blocking-call channel, in a message of its own (it transfers the port). */
export const SYNC_SETUP = 7; // SYNC_SETUP, control (Int32Array on a SharedArrayBuffer), port
/** Flags of CALL, AFTER and SYNC: the job has a signal (CANCEL may follow). */
export const CANCELLABLE = 1;
/**
 * Flags of CALL, AFTER and SYNC: some arguments are object ids standing for
 * references, and the last argument lists their positions (refs.ts).
 */
export const REFERENCES = 2;
/**
 * Pipes into an object (worker/pipe.ts, worker/host_pipe.ts). PIPE_OPEN is a
 * job answered (OK or FAIL, pipeId) once PIPE_END arrived and the pipe's last
 * PIPE_ITEMS ran; `results` (0/1) says whether the items' results go back
 * (PIPE_OUT) or only their count (PIPE_ACK). Each PIPE_ITEMS runs as ONE job
 * of the object. PIPE_END frees the pipe; with stop = 1 it is a hard stop:
 * items not started are skipped and the running one's jobSignal aborts.
 */
export const PIPE_OPEN = 8; //  PIPE_OPEN, objectId, pipeId, method, results (0/1)
export const PIPE_ITEMS = 9; // PIPE_ITEMS, pipeId, count, ...items
export const PIPE_END = 10; //  PIPE_END, pipeId, stop (0/1), reason
/**
 * Added to the kind of an operation cancelled before it was sent: the worker
 * reads past it and ignores it.
 */
export const TOMBSTONE = 100;

/** Where the main -> worker operation starting at `i` ends (exclusive). */
export function requestEnd(batch: readonly unknown[], i: number): number {
  switch ((batch[i] as number) % TOMBSTONE) {
    case CREATE:
      return i + 5 + (batch[i + 4] as number);
    case CALL:
    case AFTER:
    case SYNC:
      return i + 6 + (batch[i + 5] as number);
    case SETTLE:
    case PIPE_END:
      return i + 4;
    case PIPE_OPEN:
      return i + 5;
    case PIPE_ITEMS:
      return i + 3 + (batch[i + 2] as number);
    default: // CANCEL, CLOSE, SYNC_SETUP
      return i + 3;
  }
}

/** Worker -> main operations. */
export const READY = 0; //   READY, { className: methodNames[] }
export const OK = 1; //      OK, jobId, value
export const FAIL = 2; //    FAIL, jobId, error
export const REPORT = 3; //  REPORT, error (an error outside any job)
export const CLOSING = 4; // CLOSING, exitCode (user code is ending the worker)
export const DONE = 5; //    DONE, count, ...jobIds: OKs whose value is undefined, in order
/** A pipe's progress, after each PIPE_ITEMS (or the part of it that ran before a failure). */
export const PIPE_ACK = 6; //  PIPE_ACK, pipeId, count: that many items ran (results not wanted)
export const PIPE_OUT = 7; //  PIPE_OUT, pipeId, count, ...results: in the items' order
export const PIPE_FAIL = 8; // PIPE_FAIL, pipeId, error: the method failed; later items are skipped

/** Where the worker -> main operation starting at `i` ends (exclusive). */
export function replyEnd(batch: readonly unknown[], i: number): number {
  switch (batch[i]) {
    case OK:
    case FAIL:
    case PIPE_ACK:
    case PIPE_FAIL:
      return i + 3;
    case DONE:
      return i + 2 + (batch[i + 1] as number);
    case PIPE_OUT:
      return i + 3 + (batch[i + 2] as number);
    default: // READY, REPORT, CLOSING
      return i + 2;
  }
}

/**
 * The control words of the blocking-call channel (an Int32Array on a
 * SharedArrayBuffer, one per worker). The worker writes ANSWERED (the id of
 * the sync job it has just answered on the sync port) or DYING (set with
 * EXIT_CODE when user code ends the worker), then notifies ANSWERED from its
 * own thread: the blocked thread runs no event loop, so nothing else can wake
 * it.
 */
export const ANSWERED = 0;
export const DYING = 1;
export const EXIT_CODE = 2;
export const CONTROL_WORDS = 4;

/**
 * Marks a worker started by a WorkerPool: `workerData` for node:worker_threads
 * (Bun's worker_threads workers have web globals too, so globals cannot tell
 * which channel to use). Web Workers get it as their `name`.
 */
export const MARKER = "desync-worker";

/**
 * The key of the per-worker nonce in `workerData` (a web Worker's `name` is
 * `MARKER:nonce`). User code in a worker may post its own messages on the
 * port the protocol uses: each protocol message is `[protocolTag(nonce),
 * batch]`, and the pool ignores (and reports) anything else.
 */
export const NONCE = "desync-nonce";

/** What every protocol message from a worker starts with. */
export function protocolTag(nonce: string): string {
  return `${MARKER}:${nonce}`;
}

/**
 * Array items per message, at most (a call with one argument takes 7): a burst goes out in slices, so that the
 * worker works on one while the next is made (measured: one 100k-job message
 * left both threads idle half the time, each waiting for the other's clone).
 */
export const FLUSH_AT = 4096;
