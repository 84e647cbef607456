// Copyright 2026 the desync authors. MIT license.
// Error routing: a job's error goes to whoever can observe it; errors of
// fire-and-forget and detached jobs go to an error handler (the Desync's,
// else the scheduler's, else reportError), exactly once, never from inside
// another job or sync call, and the queue carries on. Reporting never throws,
// whatever was thrown (or returned as a broken thenable).

import assert from "node:assert/strict";
import { Desync, DesyncError, Scheduler } from "../mod.ts";
import { desync, futureSync, queue } from "../scheduler.ts";
import {
  deferred,
  errorSink,
  flushMicrotasks,
  nextMacrotask,
  onReportedError,
  onUnhandledRejection,
} from "./_helpers.ts";

/** Captures what reaches `reportError` (or Node's fallback: see onReportedError). */
async function captureReported(body: () => Promise<void>): Promise<unknown[]> {
  const reported: unknown[] = [];
  const stop = onReportedError((error) => void reported.push(error));
  try {
    await body();
    await nextMacrotask();
  } finally {
    stop();
  }
  return reported;
}

Deno.test("a throwing desync job goes to the Desync's onError and the queue carries on", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const failure = new Error("job failed");
  data.desync(() => {
    throw failure;
  });
  data.desync((n) => void n.value++);
  assert.equal(await data.futureSync((n) => n.value), 1);
  assert.deepEqual(errors, [failure]);
});

Deno.test("a rejecting async desync job is reported once, after it releases the queue", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync<string[]>([], { onError: handler });
  data.desync(async (l) => {
    await Promise.resolve();
    l.value.push("async part ran");
    throw new Error("async failure");
  });
  data.desync((l) => void l.value.push("next job"));
  assert.deepEqual(await data.futureSync((l) => l.value), ["async part ran", "next job"]);
  assert.equal(errors.length, 1);
  assert.match((errors[0] as Error).message, /async failure/);
});

Deno.test("handler precedence: Desync onError, then scheduler onError, then reportError", async () => {
  const own = errorSink();
  const shared = errorSink();
  const sched = new Scheduler({ onError: shared.handler });
  const withOwn = new Desync(0, { scheduler: sched, onError: own.handler });
  const withoutOwn = new Desync(0, { scheduler: sched });
  withOwn.desync(() => {
    throw new Error("own");
  });
  withoutOwn.desync(() => {
    throw new Error("shared");
  });
  await withOwn.futureSync(() => {});
  await withoutOwn.futureSync(() => {});
  assert.deepEqual(own.errors.map((e) => (e as Error).message), ["own"]);
  assert.deepEqual(shared.errors.map((e) => (e as Error).message), ["shared"]);

  // The handler can be changed at run time; undefined falls back.
  withOwn.onError = undefined;
  withOwn.desync(() => {
    throw new Error("now shared");
  });
  await withOwn.futureSync(() => {});
  assert.equal((shared.errors[1] as Error).message, "now shared");

  const reported = await captureReported(async () => {
    sched.onError = undefined;
    withoutOwn.desync(() => {
      throw new Error("to reportError");
    });
    await withoutOwn.futureSync(() => {});
  });
  assert.deepEqual(reported.map((e) => (e as Error).message), ["to reportError"]);
});

Deno.test("raw queue jobs report to their scheduler's handler", async () => {
  const { errors, handler } = errorSink();
  const sched = new Scheduler({ onError: handler });
  const q = sched.queue();
  desync(q, () => {
    throw new TypeError("raw");
  });
  await futureSync(q, () => {});
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TypeError);
});

Deno.test("a queue's own onError comes before its scheduler's, and can be changed", async () => {
  const fromScheduler = errorSink();
  const fromQueue = errorSink();
  const sched = new Scheduler({ onError: fromScheduler.handler });
  const q = sched.queue({ onError: fromQueue.handler });
  assert.equal(q.onError, fromQueue.handler);
  desync(q, () => {
    throw new Error("to the queue");
  });
  await futureSync(q, () => {});
  q.onError = undefined; // defers to the scheduler's from now on
  desync(q, () => {
    throw new Error("to the scheduler");
  });
  await futureSync(q, () => {});
  await flushMicrotasks();
  assert.deepEqual(fromQueue.errors.map((e) => (e as Error).message), ["to the queue"]);
  assert.deepEqual(fromScheduler.errors.map((e) => (e as Error).message), ["to the scheduler"]);
  // queue() on the global scheduler takes the same option.
  const global = errorSink();
  const g = queue({ onError: global.handler });
  desync(g, () => {
    throw new Error("global queue");
  });
  await futureSync(g, () => {});
  await flushMicrotasks();
  assert.equal(global.errors.length, 1);
});

Deno.test("a throwing handler does not hide either error: both reach reportError", async () => {
  const data = new Desync(0, {
    onError: () => {
      throw new Error("handler broke");
    },
  });
  const reported = await captureReported(async () => {
    data.desync(() => {
      throw new Error("original");
    });
    await data.futureSync(() => {});
  });
  assert.deepEqual(reported.map((e) => (e as Error).message), ["original", "handler broke"]);
});

// Regression (review): error handlers ran inside a queue's state change and
// could reorder sync calls; they now run in a fresh microtask.
Deno.test("an error handler never runs inside another sync call on the same object", () => {
  const order: string[] = [];
  const data: Desync<number> = new Desync(0, {
    onError: () => void data.sync(() => order.push("handler's sync job")),
  });
  data.desync(() => {
    throw new Error("x");
  });
  data.desync(() => void order.push("queued job 2"));
  data.sync(() => order.push("outer sync job"));
  assert.deepEqual(order, ["queued job 2", "outer sync job"]);
});

Deno.test("reporting never throws: non-Error values are reported as DesyncErrors that say what failed", async () => {
  const symbol = Symbol("odd");
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const hostile = new Proxy({}, {
    get() {
      throw new Error("trap: get");
    },
    getPrototypeOf() {
      throw new Error("trap: getPrototypeOf");
    },
    has() {
      throw new Error("trap: has");
    },
    ownKeys() {
      throw new Error("trap: ownKeys");
    },
  });
  const data = new Desync(0);
  const q = new Scheduler().queue();
  const reported = await captureReported(async () => {
    for (const value of [symbol, undefined, "text", revoked, hostile]) {
      data.desync(() => {
        throw value;
      });
    }
    data.futureDesync(() => Promise.reject(7)).detach();
    desync(q, () => {
      throw null;
    });
    await data.futureSync(() => {});
    await futureSync(q, () => {});
    await flushMicrotasks();
  });
  assert.equal(reported.length, 7, "each failure is reported once, and nothing threw");
  for (const error of reported) assert.ok(error instanceof DesyncError);
  const messages = reported.map((error) => (error as Error).message);
  const find = (pattern: RegExp) => {
    const index = messages.findIndex((message) => pattern.test(message));
    assert.ok(index >= 0, `no report matches ${pattern}: ${messages.join(" | ")}`);
    return reported[index] as Error;
  };
  const ofSymbol = find(/^A desync\(\) job on a Desync failed with a symbol \(Symbol\(odd\)\)/);
  assert.equal(ofSymbol.cause, symbol, "the original value is the cause");
  find(/^A desync\(\) job on a Desync failed with undefined, which is not an Error/);
  find(/^A desync\(\) job on a Desync failed with a string \("text"\)/);
  find(/failed with an object that cannot be inspected/); // the revoked proxy
  find(/^A desync\(\) job on a Desync failed with an object, which/); // the hostile one
  find(/^A detached futureDesync\(\) job on a Desync failed with number 7/);
  find(/^A desync\(\) job on a JobQueue failed with null/);
  // The data object carries on.
  assert.equal(data.sync((n) => n.value), 0);
});

// Regression (review): a throwing `then` getter on a job's result escaped the
// job's try and left the queue RUNNING.
Deno.test("a job result whose then getter throws is the job's error, and the queue stays usable", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const hostile = {
    get then() {
      throw new Error("then getter");
    },
  };
  assert.throws(() => data.sync(() => hostile), /then getter/);
  await assert.rejects(data.futureSync(() => hostile), /then getter/);
  data.desync(() => hostile as never);
  assert.equal(await data.futureSync((n) => ++n.value), 1);
  assert.equal(data.running, false);
  await data.close();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["then getter"]);
});

Deno.test("futureSync errors reject its promise and never reach the handler", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  await assert.rejects(
    data.futureSync(() => {
      throw new Error("sync throw");
    }),
    /sync throw/,
  );
  await assert.rejects(
    data.futureSync(async () => {
      await Promise.resolve();
      throw new Error("async reject");
    }),
    /async reject/,
  );
  assert.equal(await data.futureSync((n) => n.value + 1), 1);
  assert.deepEqual(errors, []);
});

Deno.test("a detached future's error goes to the handler, with no unhandled rejection", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const unhandled: unknown[] = [];
  const stop = onUnhandledRejection((reason) => void unhandled.push(reason));
  try {
    data.futureDesync(() => {
      throw new Error("detached failure");
    }).detach();
    data.after(Promise.reject(new Error("input failed")), () => {}).detach();
    await data.futureSync(() => {});
    await nextMacrotask();
  } finally {
    stop();
  }
  assert.deepEqual(errors.map((e) => (e as Error).message), ["detached failure", "input failed"]);
  assert.deepEqual(unhandled, []);
});

// Regression (review): detached futures report through the same path as other
// jobs, exactly once, however often detach() is called.
Deno.test("detach() twice reports a failure once", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const future = data.futureDesync(() => {
    throw new Error("once");
  });
  future.detach();
  future.detach();
  await data.close();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["once"]);
});

// Regression (review): detached futures report through the same path as other
// jobs, also when detached after their job failed.
Deno.test("detach() after the job already failed still reports it", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  const future = data.futureDesync(() => {
    throw new Error("early");
  });
  // Run the failing job now, on this stack, and detach in the same job: awaiting another
  // future instead may span a macrotask (the scheduler gives the event loop a turn every few
  // ms), where the failed future, not yet detached, is rightly an unhandled rejection.
  data.sync(() => {});
  assert.equal(future.done, true, "the failing job has run");
  future.detach();
  await flushMicrotasks();
  assert.deepEqual(errors.map((e) => (e as Error).message), ["early"]);
});

Deno.test("a failed future that nobody awaits or detaches raises an unhandled rejection", async () => {
  const data = new Desync(0);
  const unhandled: unknown[] = [];
  const stop = onUnhandledRejection((reason) => void unhandled.push(reason));
  try {
    data.futureDesync(() => {
      throw new Error("forgotten");
    });
    await data.futureSync(() => {});
    await nextMacrotask();
  } finally {
    stop();
  }
  assert.deepEqual(unhandled.map((e) => (e as Error).message), ["forgotten"]);
});

Deno.test("after(): a rejected promise skips the job, rejects the future, and the queue moves on", async () => {
  const data = new Desync<string[]>([]);
  const input = deferred<string>();
  let called = false;
  const future = data.after(input.promise, () => {
    called = true;
  });
  const next = data.futureSync((l) => l.value.push("next"));
  input.reject(new Error("fetch failed"));
  await assert.rejects(future, /fetch failed/);
  assert.equal(await next, 1);
  assert.equal(called, false);
});

Deno.test("after(): an input that rejects before its turn is not an unhandled rejection", async () => {
  const data = new Desync(0);
  const gate = deferred();
  const held = data.futureSync(() => gate.promise);
  const unhandled: unknown[] = [];
  const stop = onUnhandledRejection((reason) => void unhandled.push(reason));
  try {
    const future = data.after(Promise.reject(new Error("early")), () => "never");
    await nextMacrotask(); // the rejection happened long before the job's turn
    gate.resolve();
    await held;
    await assert.rejects(future, /early/);
  } finally {
    stop();
  }
  assert.deepEqual(unhandled, []);
});

Deno.test("after(): a throwing job rejects the future; its value and signal are passed", async () => {
  const data = new Desync(10);
  const controller = new AbortController();
  const result = await data.after(Promise.resolve(5), (n, value, signal) => {
    assert.equal(signal, controller.signal);
    return n.value + value;
  }, { signal: controller.signal });
  assert.equal(result, 15);
  await assert.rejects(
    data.after(Promise.resolve(1), () => {
      throw new Error("job threw");
    }),
    /job threw/,
  );
});

Deno.test("SchedulerFuture.sync delivers the job's error by throwing, without an unhandled rejection", async () => {
  const data = new Desync(0);
  const future = data.futureDesync(() => {
    throw new Error("sync() sees this");
  });
  assert.throws(() => future.sync(), /sync\(\) sees this/);
  await flushMicrotasks();
  await nextMacrotask();
});

Deno.test("many failing fire-and-forget jobs: each error is reported exactly once", async () => {
  const { errors, handler } = errorSink();
  const data = new Desync(0, { onError: handler });
  for (let i = 0; i < 500; i++) {
    if (i % 2 === 0) {
      data.desync(() => {
        throw i;
      });
    } else {
      data.desync(async () => {
        await null;
        throw i;
      });
    }
  }
  await data.close();
  assert.deepEqual(errors, Array.from({ length: 500 }, (_, i) => i));
});
