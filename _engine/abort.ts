// Copyright 2026 the desync authors. MIT license.
// One abort listener per signal, however many jobs on however many queues
// (and waiters of the primitives) share it. A listener per job made a shared signal quadratic (every job's
// start removed its listener from a list as long as the queue; 100,000 jobs
// took 49 s to schedule and 38 s to abort) and tripped Node's
// MaxListenersExceededWarning at 11 jobs.
//
// A signal's hub lists the queues with live jobs under it, each with a count;
// a job counts from the moment it is queued until it settles (an async job is
// told of an abort while it runs). When a signal aborts, each listed queue
// walks its jobs once.

import type { QueueMachine } from "./queue_machine.ts";

/** The live jobs of one queue under one signal. */
export interface SignalWatch {
  readonly hub: SignalHub;
  readonly queue: QueueMachine;
  /** Jobs counted and not yet settled. */
  live: number;
}

interface SignalHub {
  readonly signal: AbortSignal;
  readonly watches: Map<QueueMachine, SignalWatch>;
  /** Single callbacks (the primitives' waiters): added and removed in O(1). */
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const hubs = new WeakMap<AbortSignal, SignalHub>();

function hubOf(signal: AbortSignal): SignalHub {
  let hub = hubs.get(signal);
  if (hub === undefined) {
    const watches = new Map<QueueMachine, SignalWatch>();
    const callbacks = new Set<() => void>();
    const listener = () => {
      hubs.delete(signal);
      // Each queue cancels what it holds under the signal; jobs settle (and
      // unwatch) as they are cancelled, so walk copies.
      for (const queueWatch of [...watches.values()]) queueWatch.queue.abortJobs(signal);
      for (const callback of [...callbacks]) callback();
      callbacks.clear();
    };
    hub = { signal, watches, callbacks, listener };
    hubs.set(signal, hub);
    signal.addEventListener("abort", listener, { once: true });
  }
  return hub;
}

/** Drops the signal's listener once nothing listens through its hub any more. */
function releaseHub(hub: SignalHub): void {
  if (hub.watches.size > 0 || hub.callbacks.size > 0) return;
  if (hubs.get(hub.signal) === hub) hubs.delete(hub.signal);
  hub.signal.removeEventListener("abort", hub.listener);
}

/**
 * Calls `callback` once when `signal` aborts, through the signal's one
 * listener. Returns the function that unsubscribes it, in O(1) (the caller
 * must not call it from inside the callback). Precondition: not aborted yet.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  const hub = hubOf(signal);
  hub.callbacks.add(callback);
  return () => {
    if (hub.callbacks.delete(callback)) releaseHub(hub);
  };
}

/** Counts one more job of `queue` under `signal`; returns its ticket for `unwatch`. */
export function watch(signal: AbortSignal, queue: QueueMachine): SignalWatch {
  const hub = hubOf(signal);
  let queueWatch = hub.watches.get(queue);
  if (queueWatch === undefined) {
    queueWatch = { hub, queue, live: 0 };
    hub.watches.set(queue, queueWatch);
  }
  queueWatch.live++;
  return queueWatch;
}

/** A job counted by `watch` settled: drop the listener once nothing lives under it. */
export function unwatch(queueWatch: SignalWatch): void {
  if (--queueWatch.live > 0) return;
  const hub = queueWatch.hub;
  hub.watches.delete(queueWatch.queue);
  releaseHub(hub);
}
