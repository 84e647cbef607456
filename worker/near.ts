// Copyright 2026 the desync authors. MIT license.
// Co-location (CreateOptions.near): the worker of the object to create next to.

import { ClosedError } from "../_engine/errors.ts";
import { describe } from "../_engine/validate.ts";
import type { Connection, ObjectState } from "./connection.ts";
import { WorkerCrashedError } from "./errors.ts";

/**
 * The worker hosting `state` (the object behind the handle `near`), whatever
 * its load, dedicated or shared. Throws at the call site for anything that
 * is not a live object of this pool (`owns` tells this pool's workers).
 */
export function nearConnection(
  near: unknown,
  state: ObjectState | undefined,
  owns: (conn: Connection) => boolean,
): Connection {
  const where = `WorkerPool.createWith(): "options.near"`;
  if (state === undefined) {
    throw new TypeError(
      `${where} must be a WorkerDesync of this pool (the object to share a worker with), got ` +
        describe(near),
    );
  }
  if (state.status === "crashed") {
    throw new WorkerCrashedError(
      `${where}: the worker of that ${state.className} died, so there is no worker to share; ` +
        `create the object without near`,
      { cause: state.crash, exitCode: state.crash?.exitCode },
    );
  }
  if (state.status !== "live") {
    throw new ClosedError(
      `${where}: that ${state.className} is closed, so it holds no worker to share; create ` +
        `the object without near, or near a live object`,
    );
  }
  if (!owns(state.conn)) {
    throw new TypeError(
      `${where} must be a WorkerDesync of this pool, got a ${state.className} of another pool: ` +
        `objects of two pools never share a worker`,
    );
  }
  return state.conn;
}
