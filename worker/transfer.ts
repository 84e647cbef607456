// Copyright 2026 the desync authors. MIT license.
// The transfer marker (as Comlink's): `transfer(value, list)` remembers, for
// the object `value`, what its message should transfer rather than copy. The
// mark is taken (and forgotten) when the value is sent: as an argument of a
// call, or as the result of a hosted method. Nothing is made at module load
// (workerd refuses some objects made then): the map is made on first use.

import { describe } from "../_engine/validate.ts";

let marks: WeakMap<object, unknown[]> | undefined;
/** Marks set and not yet taken: while 0, senders skip looking. */
let outstanding = 0;

/**
 * Marks `value` so that, when it is sent to or from a worker (an argument of
 * `desync`, `futureSync`, `futureDesync`, `after` or `sync`, or what a hosted
 * method returns), the objects in `transferables` (`ArrayBuffer`s,
 * `MessagePort`s, ...) are transferred, not copied: the receiver gets them at
 * no copy cost, and the sender's are detached (an `ArrayBuffer`'s
 * `byteLength` becomes 0). Returns `value` itself, so it types as before.
 *
 * For the items of a pipe into a worker object, give the pipe a `transfer`
 * option instead (a function of the item).
 *
 * @typeParam T The value's type.
 * @param value The object sent (an object: a primitive has nothing to transfer).
 * @param transferables What to transfer with it.
 * @returns `value`.
 * @throws {TypeError} If `value` is not an object or `transferables` not an array.
 *
 * @example Handing a buffer to a worker without copying it
 * ```ts
 * import { transfer, WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/pipe.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/pipe.worker.ts", import.meta.url),
 * );
 * const bytes = pool.create("Bytes");
 * const buffer = new Uint8Array([1, 2, 3]).buffer;
 * assert.equal(await bytes.futureSync("sum", transfer(buffer, [buffer])), 6);
 * assert.equal(buffer.byteLength, 0); // moved, not copied
 * ```
 */
export function transfer<T>(value: T, transferables: Transferable[]): T {
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `transfer(): "value" must be an object (the one sent, holding what is transferred), got ${
        describe(value)
      }`,
    );
  }
  if (!Array.isArray(transferables)) {
    throw new TypeError(
      `transfer(): "transferables" must be an array of transferable objects, got ${
        describe(transferables)
      }`,
    );
  }
  marks ??= new WeakMap();
  if (!marks.has(value as object)) outstanding++;
  marks.set(value as object, [...new Set(transferables)]); // runtimes but Deno refuse duplicates
  return value;
}

/** The transfer list of `value`, if marked; the mark is forgotten. @internal */
export function takeTransfer(value: unknown): unknown[] | undefined {
  if (outstanding === 0 || value === null || typeof value !== "object") return undefined;
  const list = marks!.get(value);
  if (list === undefined) return undefined;
  marks!.delete(value);
  outstanding--;
  return list;
}

/** The transfer lists of the marked values among `values`, joined; undefined if none. @internal */
export function takeTransfers(values: readonly unknown[]): unknown[] | undefined {
  if (outstanding === 0) return undefined;
  let all: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const list = takeTransfer(values[i]);
    if (list === undefined) continue;
    all ??= [];
    for (const transferable of list) if (!all.includes(transferable)) all.push(transferable);
  }
  return all;
}

/**
 * Walks a batch of `count` operations in order, splitting it at those that
 * transfer something: `run(from, to)` for each run of operations that
 * transfer nothing (posted together), `alone(k)` for each that does (posted
 * on its own). A postMessage that fails may have detached its transfer list
 * already (Deno does), so an operation that transfers must not share its
 * message with one that may fail to clone: a resend would find its buffers
 * gone. @internal
 */
export function splitAtTransfers(
  count: number,
  transfers: Map<number, unknown[]>,
  run: (from: number, to: number) => void,
  alone: (k: number) => void,
): void {
  let from = 0;
  for (let k = 0; k < count; k++) {
    if (!transfers.has(k)) continue;
    if (from < k) run(from, k);
    alone(k);
    from = k + 1;
  }
  if (from < count) run(from, count);
}
