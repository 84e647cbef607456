// Copyright 2026 the desync authors. MIT license.
// Bad input, table-driven: every public function, method, constructor,
// setter and option, called with wrong types, out-of-range numbers,
// non-functions, non-signals, unknown option keys, a signal where the options
// belong, closed objects and things that are not Desyncs, JobQueues or
// Schedulers. Each call must fail synchronously, at the call site, with a
// named error whose message names the method and the argument and says what
// was expected (and what it got), schedule nothing, and leave the objects
// usable; a failed setter keeps the old value. Focused tests below cover what
// does not fit the table: the exact description of the bad value, unbound
// methods, wrong receivers and classes that cannot be constructed directly.
// Already-aborted signals are not bad input: see abort_test.ts.

import assert from "node:assert/strict";
import {
  ClosedError,
  Desync,
  JobQueue,
  pipe,
  pipeIn,
  QueueResumer,
  Scheduler,
  SchedulerFuture,
  sink,
  transform,
} from "../mod.ts";
import * as S from "../scheduler.ts";
import { flushMicrotasks, nextMacrotask } from "./_helpers.ts";

type ErrorClass = typeof TypeError | typeof RangeError | typeof ClosedError;

interface Row {
  /** What is called, for the failure message. */
  label: string;
  call: () => unknown;
  error: ErrorClass;
  /** The method as the message must name it: `desync` for "desync(): …". */
  method: string;
  /** The argument as the message must name it, in quotes; null for ClosedError. */
  arg: string | null;
  /** What the message must also say: what was expected (for ClosedError: what is closed). */
  says: string;
}

/** A job that must never run: every row checks that nothing was scheduled. */
let ran = 0;
const job = () => void ran++;
const afterJob = (_a: unknown, _b?: unknown) => void ran++;
/** The error handler set before the table runs; failed setters must keep it. */
const keep = () => {};

function show(value: unknown): string {
  if (typeof value === "symbol" || typeof value === "bigint") {
    return `${String(value)}${typeof value === "bigint" ? "n" : ""}`;
  }
  if (typeof value === "function") return "function";
  if (value instanceof JobQueue) return "JobQueue";
  if (value instanceof Desync) return "Desync";
  if (value instanceof Scheduler) return "Scheduler";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const notFunctions: unknown[] = [
  undefined,
  null,
  0,
  1,
  NaN,
  "job",
  true,
  Symbol("job"),
  10n,
  {},
  [],
  Promise.resolve(),
  new Date(0),
];
const notOptions: unknown[] = [
  null,
  1,
  "options",
  true,
  Symbol("options"),
  10n,
  () => {},
  new AbortController().signal, // a signal where the options belong
];
const notSignals: unknown[] = [
  null,
  1,
  "signal",
  true,
  {},
  { aborted: false },
  new AbortController(),
  new EventTarget(),
  Promise.resolve(),
];
const notThenables: unknown[] = [
  undefined,
  null,
  5,
  "promise",
  true,
  Symbol("p"),
  {},
  { then: 1 },
  () => {},
];
/** Numbers out of range for a back-pressure (RangeError); `Infinity` is allowed (no limit). */
const badBackpressureNumbers: number[] = [0, -1, 1.5, NaN, -Infinity];
/** Not numbers at all (TypeError). */
const notNumbers: unknown[] = ["2", null, true, 2n, {}];

/** What a message says about a bad options bag: a signal passed in its place, or a non-object. */
function optionsSays(bad: unknown): string {
  return bad instanceof AbortSignal
    ? '"options" is an AbortSignal'
    : '"options" must be an object, got ';
}
const FUNCTION = "must be a function, got ";
const SIGNAL = '"options.signal" must be an AbortSignal, got ';
const CONCURRENCY = "must be a non-negative integer or Infinity, got ";
const COUNT = '"options.backpressure" must be a positive integer or Infinity, got ';

Deno.test("bad input fails at the call site with a named error naming method and argument", async (t) => {
  // Set to other values than the defaults, so that a failed setter resetting
  // them would show.
  const sched = new Scheduler({ maxConcurrency: 2, onError: keep });
  const data = new Desync<number>(0, { scheduler: sched, onError: keep });
  const q = sched.queue({ onError: keep });
  const fakeQueue = Object.create(JobQueue.prototype) as JobQueue;
  const fakeDesync = Object.create(Desync.prototype) as Desync<number>;
  const fakeScheduler = Object.create(Scheduler.prototype) as Scheduler;
  const notQueues: unknown[] = [
    undefined,
    null,
    {},
    1,
    "queue",
    data,
    sched,
    fakeQueue,
    Promise.resolve(),
  ];
  const notDesyncs: unknown[] = [undefined, null, {}, 1, "desync", q, sched, fakeDesync];
  const notSchedulers: unknown[] = [null, {}, 1, "scheduler", q, data, fakeScheduler];
  const resolved = Promise.resolve(1);
  const rows: Row[] = [];
  const add = (
    label: string,
    call: () => unknown,
    error: ErrorClass,
    method: string,
    arg: string | null,
    says: string,
  ) => rows.push({ label, call, error, method, arg, says });

  // --- the Desync's scheduling methods, and the free functions on a queue
  type Scheduling = [string, (fn: unknown, options?: unknown) => unknown];
  const desyncMethods: Scheduling[] = [
    ["desync", (fn, o) => data.desync(fn as never, o as never)],
    ["futureSync", (fn, o) => data.futureSync(fn as never, o as never)],
    ["futureDesync", (fn, o) => data.futureDesync(fn as never, o as never)],
    ["after", (fn, o) => data.after(resolved, fn as never, o as never)],
  ];
  const queueFunctions: Scheduling[] = [
    ["desync", (fn, o) => S.desync(q, fn as never, o as never)],
    ["futureSync", (fn, o) => S.futureSync(q, fn as never, o as never)],
    ["futureDesync", (fn, o) => S.futureDesync(q, fn as never, o as never)],
    ["after", (fn, o) => S.after(q, resolved, fn as never, o as never)],
  ];
  for (const [who, methods] of [["Desync", desyncMethods], ["free", queueFunctions]] as const) {
    for (const [method, call] of methods) {
      for (const bad of notFunctions) {
        add(
          `${who} ${method}(${show(bad)})`,
          () => call(bad),
          TypeError,
          method,
          "job",
          `"job" ${FUNCTION}`,
        );
      }
      for (const bad of notOptions) {
        add(
          `${who} ${method}(job, ${show(bad)})`,
          () => call(job, bad),
          TypeError,
          method,
          "options",
          optionsSays(bad),
        );
      }
      for (const bad of notSignals) {
        add(
          `${who} ${method}(job, { signal: ${show(bad)} })`,
          () => call(job, { signal: bad }),
          TypeError,
          method,
          "options.signal",
          SIGNAL,
        );
      }
      // Misspelled keys and other libraries' options are not silently ignored.
      for (const key of ["sginal", "Signal", "concurrency", "priority"]) {
        add(
          `${who} ${method}(job, { ${key}: … })`,
          () => call(job, { [key]: new AbortController().signal }),
          TypeError,
          method,
          key,
          `unknown option "${key}"`,
        );
      }
    }
  }
  for (const bad of notFunctions) {
    const says = `"job" ${FUNCTION}`;
    add(`Desync sync(${show(bad)})`, () => data.sync(bad as never), TypeError, "sync", "job", says);
    add(
      `Desync trySync(${show(bad)})`,
      () => data.trySync(bad as never),
      TypeError,
      "trySync",
      "job",
      says,
    );
    add(
      `free sync(q, ${show(bad)})`,
      () => S.sync(q, bad as never),
      TypeError,
      "sync",
      "job",
      says,
    );
    add(
      `free trySync(q, ${show(bad)})`,
      () => S.trySync(q, bad as never),
      TypeError,
      "trySync",
      "job",
      says,
    );
  }
  for (const bad of notThenables) {
    const says = '"promise" must be a promise or thenable, got ';
    add(
      `Desync after(${show(bad)}, job)`,
      () => data.after(bad as never, afterJob),
      TypeError,
      "after",
      "promise",
      says,
    );
    add(
      `free after(q, ${show(bad)}, job)`,
      () => S.after(q, bad as never, afterJob),
      TypeError,
      "after",
      "promise",
      says,
    );
  }
  for (const bad of notOptions) {
    add(
      `Desync suspend(${show(bad)})`,
      () => data.suspend(bad as never),
      TypeError,
      "suspend",
      "options",
      optionsSays(bad),
    );
    add(
      `free suspend(q, ${show(bad)})`,
      () => S.suspend(q, bad as never),
      TypeError,
      "suspend",
      "options",
      optionsSays(bad),
    );
  }
  for (const bad of notSignals) {
    const options = { signal: bad as never };
    add(
      `Desync suspend({ signal: ${show(bad)} })`,
      () => data.suspend(options),
      TypeError,
      "suspend",
      "options.signal",
      SIGNAL,
    );
    add(
      `free suspend(q, { signal: ${show(bad)} })`,
      () => S.suspend(q, options),
      TypeError,
      "suspend",
      "options.signal",
      SIGNAL,
    );
  }

  // --- free functions: not a queue
  const queueCalls: [string, (queue: unknown) => unknown][] = [
    ["desync", (x) => S.desync(x as never, job)],
    ["sync", (x) => S.sync(x as never, job)],
    ["trySync", (x) => S.trySync(x as never, job)],
    ["futureSync", (x) => S.futureSync(x as never, job)],
    ["futureDesync", (x) => S.futureDesync(x as never, job)],
    ["after", (x) => S.after(x as never, resolved, afterJob)],
    ["suspend", (x) => S.suspend(x as never)],
  ];
  for (const [method, free] of queueCalls) {
    for (const bad of notQueues) {
      add(
        `free ${method}(${show(bad)}, …)`,
        () => free(bad),
        TypeError,
        method,
        "queue",
        '"queue" must be a JobQueue',
      );
    }
  }

  // --- constructors, queue(), setters and options
  for (const bad of notOptions) {
    add(
      `new Desync(0, ${show(bad)})`,
      () => new Desync(0, bad as never),
      TypeError,
      "new Desync",
      "options",
      optionsSays(bad),
    );
    add(
      `new Scheduler(${show(bad)})`,
      () => new Scheduler(bad as never),
      TypeError,
      "new Scheduler",
      "options",
      optionsSays(bad),
    );
    add(
      `queue(${show(bad)})`,
      () => S.queue(bad as never),
      TypeError,
      "queue",
      "options",
      optionsSays(bad),
    );
    add(
      `scheduler.queue(${show(bad)})`,
      () => sched.queue(bad as never),
      TypeError,
      "queue",
      "options",
      optionsSays(bad),
    );
  }
  for (const bad of notSchedulers) {
    add(
      `new Desync(0, { scheduler: ${show(bad)} })`,
      () => new Desync(0, { scheduler: bad as never }),
      TypeError,
      "new Desync",
      "options.scheduler",
      '"options.scheduler" must be a Scheduler',
    );
  }
  for (const bad of notFunctions) {
    if (bad === undefined) continue; // undefined means "no handler"
    const option = `"options.onError" ${FUNCTION}`;
    const handler = `"handler" ${FUNCTION}`;
    add(
      `new Desync(0, { onError: ${show(bad)} })`,
      () => new Desync(0, { onError: bad as never }),
      TypeError,
      "new Desync",
      "options.onError",
      option,
    );
    add(
      `new Scheduler({ onError: ${show(bad)} })`,
      () => new Scheduler({ onError: bad as never }),
      TypeError,
      "new Scheduler",
      "options.onError",
      option,
    );
    add(
      `queue({ onError: ${show(bad)} })`,
      () => S.queue({ onError: bad as never }),
      TypeError,
      "queue",
      "options.onError",
      option,
    );
    add(
      `desync.onError = ${show(bad)}`,
      () => (data.onError = bad as never),
      TypeError,
      "onError",
      "handler",
      handler,
    );
    add(
      `scheduler.onError = ${show(bad)}`,
      () => (sched.onError = bad as never),
      TypeError,
      "onError",
      "handler",
      handler,
    );
    add(
      `queue.onError = ${show(bad)}`,
      () => (q.onError = bad as never),
      TypeError,
      "onError",
      "handler",
      handler,
    );
  }
  for (const key of ["onErorr", "concurrency", "signal"]) {
    const says = `unknown option "${key}"`;
    add(
      `new Desync(0, { ${key}: … })`,
      () => new Desync(0, { [key]: () => {} }),
      TypeError,
      "new Desync",
      key,
      says,
    );
    add(
      `new Scheduler({ ${key}: … })`,
      () => new Scheduler({ [key]: 1 }),
      TypeError,
      "new Scheduler",
      key,
      says,
    );
    add(`queue({ ${key}: … })`, () => S.queue({ [key]: () => {} }), TypeError, "queue", key, says);
  }
  for (const bad of [-1, -2, 1.5, 0.1, -Infinity, -0.5, NaN]) {
    add(
      `new Scheduler({ maxConcurrency: ${bad} })`,
      () => new Scheduler({ maxConcurrency: bad }),
      RangeError,
      "new Scheduler",
      "options.maxConcurrency",
      `"options.maxConcurrency" ${CONCURRENCY}number ${bad}`,
    );
    add(
      `scheduler.maxConcurrency = ${bad}`,
      () => (sched.maxConcurrency = bad),
      RangeError,
      "maxConcurrency",
      "maxConcurrency",
      `"maxConcurrency" ${CONCURRENCY}number ${bad}`,
    );
  }
  for (const bad of ["2", null, true, 2n, {}, Symbol("n")]) {
    add(
      `new Scheduler({ maxConcurrency: ${show(bad)} })`,
      () => new Scheduler({ maxConcurrency: bad as never }),
      TypeError,
      "new Scheduler",
      "options.maxConcurrency",
      `"options.maxConcurrency" ${CONCURRENCY}`,
    );
    add(
      `scheduler.maxConcurrency = ${show(bad)}`,
      () => (sched.maxConcurrency = bad as never),
      TypeError,
      "maxConcurrency",
      "maxConcurrency",
      `"maxConcurrency" ${CONCURRENCY}`,
    );
  }

  // --- pipes
  const source = () => [1, 2];
  // [method, call, takes a source]
  type PipeCall = [
    string,
    (d: unknown, src: unknown, fn: unknown, o?: unknown) => unknown,
    boolean,
  ];
  const pipeCalls: PipeCall[] = [
    ["pipeIn", (d, src, fn, o) => pipeIn(d as never, src as never, fn as never, o as never), true],
    ["pipe", (d, src, fn, o) => pipe(d as never, src as never, fn as never, o as never), true],
    ["sink", (d, _src, fn, o) => sink(d as never, fn as never, o as never), false],
    ["transform", (d, _src, fn, o) => transform(d as never, fn as never, o as never), false],
  ];
  for (const [method, call, hasSource] of pipeCalls) {
    for (const bad of notDesyncs) {
      add(
        `${method}(${show(bad)}, …)`,
        () => call(bad, source(), job),
        TypeError,
        method,
        "desync",
        '"desync" must be a Desync',
      );
    }
    for (const bad of notFunctions) {
      add(
        `${method}(…, process: ${show(bad)})`,
        () => call(data, source(), bad),
        TypeError,
        method,
        "process",
        `"process" ${FUNCTION}`,
      );
    }
    for (const bad of notOptions) {
      add(
        `${method}(…, options: ${show(bad)})`,
        () => call(data, source(), job, bad),
        TypeError,
        method,
        "options",
        optionsSays(bad),
      );
    }
    for (const bad of notSignals) {
      add(
        `${method}(…, { signal: ${show(bad)} })`,
        () => call(data, source(), job, { signal: bad }),
        TypeError,
        method,
        "options.signal",
        SIGNAL,
      );
    }
    for (const bad of badBackpressureNumbers) {
      add(
        `${method}(…, { backpressure: ${show(bad)} })`,
        () => call(data, source(), job, { backpressure: bad }),
        RangeError,
        method,
        "options.backpressure",
        `${COUNT}number ${bad}`,
      );
    }
    for (const bad of notNumbers) {
      add(
        `${method}(…, { backpressure: ${show(bad)} })`,
        () => call(data, source(), job, { backpressure: bad }),
        TypeError,
        method,
        "options.backpressure",
        COUNT,
      );
    }
    for (const key of ["sginal", "backPressure", "highWaterMark"]) {
      add(
        `${method}(…, { ${key}: 1 })`,
        () => call(data, source(), job, { [key]: 1 }),
        TypeError,
        method,
        key,
        `unknown option "${key}"`,
      );
    }
    if (hasSource) {
      for (const bad of [undefined, null, 1, true, {}, Symbol("s"), 10n, job]) {
        add(
          `${method}(desync, source: ${show(bad)}, …)`,
          () => call(data, bad, job),
          TypeError,
          method,
          "source",
          '"source" must be a ReadableStream, an AsyncIterable or an Iterable, got ',
        );
      }
      add(
        `${method}(desync, a locked stream, …)`,
        () => {
          const stream = new ReadableStream();
          stream.getReader();
          return call(data, stream, job);
        },
        TypeError,
        method,
        "source",
        '"source" cannot be read',
      );
    }
  }

  // --- closed objects (valid arguments otherwise)
  const closedSched = new Scheduler();
  const closedData = new Desync(0, { scheduler: closedSched });
  const closedQueue = closedSched.queue();
  await closedData.close();
  await closedQueue.close();
  const closedCalls: [string, string, () => unknown][] = [
    ["desync", "Desync", () => closedData.desync(job)],
    ["sync", "Desync", () => closedData.sync(job)],
    ["trySync", "Desync", () => closedData.trySync(job)],
    ["futureSync", "Desync", () => closedData.futureSync(job)],
    ["futureDesync", "Desync", () => closedData.futureDesync(job)],
    ["after", "Desync", () => closedData.after(resolved, afterJob)],
    ["suspend", "Desync", () => closedData.suspend()],
    ["pipeIn", "Desync", () => pipeIn(closedData, source(), job)],
    ["pipe", "Desync", () => pipe(closedData, source(), job)],
    ["sink", "Desync", () => sink(closedData, job)],
    ["transform", "Desync", () => transform(closedData, job)],
    ["desync", "JobQueue", () => S.desync(closedQueue, job)],
    ["sync", "JobQueue", () => S.sync(closedQueue, job)],
    ["trySync", "JobQueue", () => S.trySync(closedQueue, job)],
    ["futureSync", "JobQueue", () => S.futureSync(closedQueue, job)],
    ["futureDesync", "JobQueue", () => S.futureDesync(closedQueue, job)],
    ["after", "JobQueue", () => S.after(closedQueue, resolved, afterJob)],
    ["suspend", "JobQueue", () => S.suspend(closedQueue)],
  ];
  for (const [method, what, call] of closedCalls) {
    add(
      `${method} on a closed ${what}`,
      call,
      ClosedError,
      method,
      null,
      `the ${what} is closed`,
    );
  }

  // --- run the table
  const failures: string[] = [];
  for (const row of rows) {
    const queuedBefore = [data.queued, q.queued];
    let result: unknown;
    let thrown: unknown = undefined;
    let threw = false;
    try {
      result = row.call();
    } catch (error) {
      threw = true;
      thrown = error;
    }
    if (!threw) {
      if (result instanceof Promise) result.catch(() => {});
      failures.push(
        `${row.label}: did not throw (returned ${
          result instanceof Promise ? "a promise" : typeof result
        })`,
      );
      continue;
    }
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    if (!(thrown instanceof row.error)) {
      failures.push(
        `${row.label}: threw ${
          thrown instanceof Error ? thrown.name : typeof thrown
        } (${message}), expected ${row.error.name}`,
      );
    } else if (row.method !== row.arg && !message.startsWith(`${row.method}(): `)) {
      // (A setter names itself as the argument: `"maxConcurrency" must be …`.)
      failures.push(
        `${row.label}: the message does not name the method ${row.method}(): ${message}`,
      );
    } else if (row.arg !== null && !message.includes(`"${row.arg}"`)) {
      failures.push(
        `${row.label}: the message does not name the argument "${row.arg}": ${message}`,
      );
    } else if (!message.includes(row.says)) {
      failures.push(`${row.label}: the message does not say '${row.says}': ${message}`);
    }
    // Nothing was scheduled, and the objects are still usable.
    if (data.queued !== queuedBefore[0] || q.queued !== queuedBefore[1]) {
      failures.push(`${row.label}: something was queued by the failed call`);
    }
    try {
      assert.equal(data.sync((n) => n.value), 0);
      assert.equal(S.sync(q, () => "usable"), "usable");
    } catch (error) {
      failures.push(`${row.label}: left the objects unusable: ${String(error)}`);
    }
  }
  await flushMicrotasks();
  await nextMacrotask();
  if (ran > 0) failures.push(`${ran} job(s) ran although every call failed`);
  assert.equal(sched.maxConcurrency, 2, "failed setters keep the old value");
  assert.equal(sched.onError, keep);
  assert.equal(data.onError, keep);
  assert.equal(q.onError, keep);
  console.log(
    `bad input: ${rows.length} bad calls tried, ${
      rows.length - failures.length
    } failed as documented`,
  );
  await t.step("every bad call failed as documented", () => {
    assert.deepEqual(
      failures,
      [],
      `${failures.length} of ${rows.length} bad calls misbehaved:\n${failures.join("\n")}`,
    );
  });
  await data.close();
  await q.close();
});

// Regression (review): new Scheduler() option errors named no method, a null
// backpressure was taken for the default, and bad values were not described
// with their type. (The table checks method, argument and expectation; this
// checks the whole message.)
Deno.test("option errors name the method, and null is not taken for the default", () => {
  assert.throws(
    () => new Scheduler({ maxConcurrency: null as never }),
    /^TypeError: new Scheduler\(\): "options.maxConcurrency" must be a non-negative integer or Infinity, got null$/,
  );
  assert.throws(
    () => pipeIn(new Desync(0), [], () => {}, { backpressure: null as never }),
    /^TypeError: pipeIn\(\): "options.backpressure" must be a positive integer or Infinity, got null$/,
  );
  assert.throws(
    () => pipeIn(new Desync(0), [], () => {}, { backpressure: "2" as never }),
    /got a string \("2"\)$/,
  );
});

Deno.test("a method taken off its Desync names itself in its error", () => {
  const data = new Desync(0);
  const { sync, desync, futureSync, close } = data;
  for (
    const [name, call] of [
      ["sync", () => sync((n) => n.value)],
      ["desync", () => desync(() => {})],
      ["futureSync", () => futureSync(() => {})],
      ["close", () => close()],
    ] as const
  ) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        new RegExp(`^Desync\\.${name}\\(\\) was called without its Desync`),
      );
      return true;
    });
  }
  assert.equal(sync.call(data, (n: { value: number }) => n.value + 1), 1, "bound, it works");
});

Deno.test("SchedulerFuture, QueueResumer and JobQueue cannot be constructed directly", () => {
  for (
    const [name, Class] of [
      ["SchedulerFuture", SchedulerFuture],
      ["QueueResumer", QueueResumer],
      ["JobQueue", JobQueue],
    ] as const
  ) {
    assert.throws(
      () => new (Class as unknown as new () => unknown)(),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message.startsWith(`${name} cannot be constructed directly`),
    );
  }
});

Deno.test("a method called on something that is not its object throws a TypeError", () => {
  const data = new Desync(0);
  const q = S.queue();
  const fakes: unknown[] = [
    {},
    Object.create(Desync.prototype),
    Object.create(JobQueue.prototype),
    q,
  ];
  let tried = 0;
  for (const fake of fakes) {
    const calls: (() => unknown)[] = [
      () => Desync.prototype.desync.call(fake as never, () => {}),
      () => Desync.prototype.sync.call(fake as never, () => {}),
      () => Desync.prototype.close.call(fake as never),
      () => Object.getOwnPropertyDescriptor(Desync.prototype, "queued")!.get!.call(fake),
    ];
    if (fake !== q) {
      calls.push(() => JobQueue.prototype.close.call(fake as never));
      calls.push(() =>
        Object.getOwnPropertyDescriptor(JobQueue.prototype, "queued")!.get!.call(fake)
      );
    }
    for (const call of calls) {
      tried++;
      assert.throws(call, TypeError);
    }
  }
  assert.equal(data.sync((n) => n.value), 0);
  assert.equal(S.sync(q, () => 1), 1);
  console.log(`wrong receivers: ${tried} calls, each threw a TypeError`);
});
