// Copyright 2026 the desync authors. MIT license.
// The fire-and-forget jobs a connection sent untracked: desync() calls with
// no signal go out as -objectId (see protocol.ts), with no Job and no entry
// in the connection's pending map (a burst's main cost was those). What is
// kept instead: per object, how many are unanswered (in ObjectState), and
// the objects that have some, by id, to find them when a reply comes.

/** The part of an ObjectState (job.ts) that untracked jobs use. */
interface Counted {
  readonly id: number;
  queued: number;
  untracked?: number;
  /** The stand-in job whose reject is the object's fire-and-forget error route. */
  fireAndForget?: { reject(error: unknown): void };
}

/** One connection's untracked jobs. @internal */
export class UntrackedJobs {
  #objects: Map<number, Counted> = new Map();
  /** Unanswered untracked jobs, over every object. */
  count = 0;

  /** One more job of `object` went out. */
  add(object: Counted): void {
    if (object.untracked === undefined || object.untracked === 0) {
      object.untracked = 0;
      this.#objects.set(object.id, object);
    }
    object.untracked++;
    object.queued++;
    this.count++;
  }

  /** The reply to a job of object `objectId`: counts it answered, and routes a failure. */
  answer(objectId: number, ok: boolean, value: unknown): void {
    const object = this.#objects.get(objectId);
    if (object === undefined) return;
    object.queued--;
    this.count--;
    if (--object.untracked! === 0) this.#objects.delete(objectId);
    if (!ok) object.fireAndForget!.reject(value);
  }

  /** The worker is gone: every object with jobs unanswered hears `error` once, not per job. */
  endAll(error: () => unknown): void {
    const objects = [...this.#objects.values()];
    this.#objects.clear();
    this.count = 0;
    for (const object of objects) {
      object.queued -= object.untracked!;
      object.untracked = 0;
      object.fireAndForget!.reject(error());
    }
  }
}
