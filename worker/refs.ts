// Copyright 2026 the desync authors. MIT license.
// Object references, main side: a WorkerDesync passed as a top-level argument
// of a call to an object on the same worker travels as its object id, and
// the worker hands the callee that object's own local Desync (host_refs.ts).
//
// On the wire (protocol.ts): the operation's flags have REFERENCES set, each
// reference argument is replaced by its object id, and one more argument, the
// list of the replaced positions, ends the arguments. Calls without a
// reference are sent exactly as before: the only cost on that path is the
// caller's `instanceof` test per argument.

import { ClosedError } from "../_engine/errors.ts";
import type { ObjectState } from "./connection.ts";

/**
 * `args` with every reference replaced by its object id, and the list of
 * their positions appended. Throws at the call site for a reference the
 * callee cannot use: an object of another worker (or pool), or one closed or
 * closing. `offset` turns an index of `args` into the method's argument
 * number (1 for calls, 2 for `after()`, whose first argument is the promise's
 * value).
 */
export function encodeReferences(
  callee: ObjectState,
  what: string,
  method: string,
  args: readonly unknown[],
  offset: number,
  stateOf: (value: unknown) => ObjectState | undefined,
): unknown[] {
  const encoded = args.slice();
  const positions: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const ref = stateOf(args[i]);
    if (ref === undefined) continue;
    const where = `WorkerDesync.${what}("${method}"): argument ${i + offset}`;
    if (ref.conn !== callee.conn) {
      throw new TypeError(
        `${where} is a WorkerDesync of a ${ref.className} on another worker (or of another ` +
          `pool) than this ${callee.className}: a reference reaches only an object on the same ` +
          `worker; create one of the two with pool.createWith({ near: other }, ...)`,
      );
    }
    if (ref.status === "crashed") throw ref.crash;
    if (ref.status !== "live") {
      throw new ClosedError(
        `${where} is a WorkerDesync of a ${ref.className} that is closed: a reference must be ` +
          `to a live object`,
      );
    }
    encoded[i] = ref.id;
    positions.push(i);
  }
  encoded.push(positions);
  return encoded;
}
