// Copyright 2026 the desync authors. MIT license.
// The Worker that runs one test file in workerd (workerd.ts builds it): its
// fetch handler loads the test file, runs the tests it registered with the
// in-process runner (runner.ts), one at a time inside that one request, and
// streams each result back as a line of JSON.
//
// Why the test file is loaded inside the request: workerd runs a module's
// top-level code in the "global scope", where it allows no timers, no I/O and
// not even `new AbortController()`, and it evaluates a module imported with
// import() there too. Test files create signals and timers at their top level,
// so workerd.ts bundles each one into a function, `load()`, that runs the
// file's module code when the request calls it.

import { type Result, Runner } from "./runner.ts";

/** One line of the response body: a result, or the end of the file's run. */
export type WorkerdReport =
  | ({ kind: "result" } & Result)
  | { kind: "done" }
  | { kind: "error"; error: string };

/**
 * workerd dispatches the global "error" event (of `reportError`) and the
 * "unhandledrejection" event as events that are not cancelable, so
 * `preventDefault()` leaves `defaultPrevented` false, where Deno and browsers
 * set it. The tests handle such an error by calling `preventDefault()` (the
 * helpers of tests/_helpers.ts), and the runner (runner.ts) counts an error
 * whose event was not prevented against the running test. So here a call of
 * `preventDefault()` on those two event types is recorded, and
 * `defaultPrevented` reports it: an error is handled exactly when a listener
 * said so, as on the other runtimes.
 */
function recordPreventDefault(type: { prototype: Event } | undefined): void {
  if (type === undefined) return;
  const preventDefault = Event.prototype.preventDefault;
  const defaultPrevented = Object.getOwnPropertyDescriptor(
    Event.prototype,
    "defaultPrevented",
  )
    ?.get;
  const prevented = new WeakSet<Event>();
  Object.defineProperty(type.prototype, "preventDefault", {
    configurable: true,
    writable: true,
    value(this: Event) {
      prevented.add(this);
      preventDefault.call(this);
    },
  });
  Object.defineProperty(type.prototype, "defaultPrevented", {
    configurable: true,
    get(this: Event) {
      return prevented.has(this) || (defaultPrevented?.call(this) ?? false);
    },
  });
}
recordPreventDefault(globalThis.ErrorEvent);
recordPreventDefault(
  (globalThis as { PromiseRejectionEvent?: { prototype: Event } })
    .PromiseRejectionEvent,
);

// workerd has no environment for a Worker to read (Deno.env reads nothing,
// permissions are "denied"), and no memory measure.
const runner = new Runner({
  name: "workerd",
  version: navigator.userAgent,
  runner: "adapter",
});

/** The Worker's default export: GET / loads the test file and runs its tests, once. */
export function makeWorker(load: () => Promise<void>): { fetch(): Response } {
  let ran = false;
  return { fetch };

  function fetch(): Response {
    if (ran) {
      return new Response("the tests of this Worker already ran", {
        status: 409,
      });
    }
    ran = true;
    const stream = new TransformStream<string, string>();
    const writer = stream.writable.getWriter();
    const send = (report: WorkerdReport) => writer.write(JSON.stringify(report) + "\n");
    // The request stays open while its body streams: the tests run inside it.
    void (async () => {
      try {
        await load();
        await runner.runRegistered((result) => void send({ kind: "result", ...result }));
        await send({ kind: "done" });
      } catch (error) {
        await send({
          kind: "error",
          error: String((error as Error)?.stack ?? error),
        });
      } finally {
        await writer.close();
      }
    })();
    return new Response(stream.readable.pipeThrough(new TextEncoderStream()), {
      headers: { "content-type": "application/x-ndjson" },
    });
  }
}
