// Copyright 2026 the desync authors. MIT license.
// Object references, worker side: what a callee receives for a WorkerDesync
// argument (see refs.ts) is the referenced object's own local Desync, the one
// that runs its jobs here. Jobs the callee schedules on it queue behind the
// jobs already delivered to that object, in order. The pool owns the object's
// life: the reference refuses close(), which stays the main side's
// WorkerDesync.close() (the host closes it through the prototype's method).

import { Desync } from "../desync/desync.ts";

/** Makes `desync`'s close() and `[Symbol.asyncDispose]()` refuse (once per Desync). */
export function guardClose(desync: Desync<unknown>, className: string): Desync<unknown> {
  if (Object.hasOwn(desync, "close")) return desync;
  const refuse = (): never => {
    throw new TypeError(
      `Desync.close(): this Desync holds a ${className} hosted by a WorkerPool, passed as a ` +
        `reference: only its WorkerDesync (on the thread that created it) can close it`,
    );
  };
  Object.defineProperty(desync, "close", { value: refuse, configurable: false });
  Object.defineProperty(desync, Symbol.asyncDispose, { value: refuse, configurable: false });
  return desync;
}

/** Closes a hosted object's Desync, guarded or not. */
export function closeHosted(desync: Desync<unknown>): Promise<void> {
  return Desync.prototype.close.call(desync);
}

/**
 * What the local Desync of an object whose construction failed holds: a
 * value that throws the constructor's error on any use, so that the jobs a
 * callee schedules on a reference to it (delivered before the construction
 * ran) fail with that error, as the object's other jobs do, rather than with
 * a TypeError about `undefined`.
 */
export function failedValue(error: unknown): object {
  const rethrow = (): never => {
    throw error;
  };
  return new Proxy({}, new Proxy({}, { get: () => rethrow }));
}
