// Copyright 2026 the desync authors. MIT license.
// The messages of the errors a queue throws at its callers: each names the
// method, says why the call could not proceed, and what to do instead. Kept
// apart from the state machine, which only decides *which* error to throw.

import { ClosedError, ReentrancyError, TrySyncError, WouldBlockError } from "./errors.ts";

/** `label` is what the queue serves: "Desync" or "JobQueue". */
export function closed(method: string, label: string): ClosedError {
  return new ClosedError(`${method}(): the ${label} is closed`);
}

export function reentrant(method: string, label: string): ReentrancyError {
  return new ReentrancyError(
    `${method}() was called on a ${label} from inside one of its own jobs; ` +
      `it could only run after the current job, which would wait for it forever. ` +
      `Use desync() or futureDesync() to schedule follow-up work`,
  );
}

export function suspendedNow(method: string, label: string): WouldBlockError {
  return new WouldBlockError(
    `${method}(): the ${label} is suspended; use futureSync() to wait for resume()`,
  );
}

export function inFlightNow(method: string, label: string, busy: string): WouldBlockError {
  return new WouldBlockError(
    `${method}(): an async job is in flight on this ${label} (${busy}), ` +
      `so this job cannot run now; it was not run or queued. Use futureSync() to wait. ` +
      `(Called from inside that job after an await? That would deadlock: schedule with desync() instead.)`,
  );
}

export function knownAsyncAhead(method: string, label: string): WouldBlockError {
  return new WouldBlockError(
    `${method}(): a job queued earlier on this ${label} is async (an after() waiting ` +
      `for its promise, or a suspend()); use futureSync() to wait for it`,
  );
}

export function turnedAsync(label: string): WouldBlockError {
  return new WouldBlockError(
    `sync(): a job queued earlier on this ${label} returned a promise and is ` +
      `still running, so this job cannot run now; it was not run or queued. ` +
      `Use futureSync() to wait for it`,
  );
}

export function busy(label: string, reason: string): TrySyncError {
  return new TrySyncError(`trySync(): the ${label} is busy (${reason}); the job was not run`);
}
