// Copyright 2026 the desync authors. MIT license.
// Bad input, table-driven: every public function, method, constructor,
// setter and option, called with wrong types, out-of-range numbers,
// non-functions, non-signals, closed objects, foreign queues and things that
// are not Desyncs or JobQueues. Each call must fail synchronously, at the call
// site, with a named error whose message names the method and the argument,
// schedule nothing, and leave the object usable. Already-aborted signals are
// not bad input: the call succeeds and its promise rejects with
// `signal.reason` (the job never runs), as documented.

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
import { collect, flushMicrotasks, nextMacrotask, streamFrom } from "./_helpers.ts";

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
}

/** A job that must never run: every row checks that nothing was scheduled. */
let ran = 0;
const job = () => void ran++;
const afterJob = (_a: unknown, _b?: unknown) => void ran++;

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
const badBackpressureNumbers: unknown[] = [0, -1, 1.5, NaN, -Infinity];
/** Not numbers at all (TypeError). */
const notNumbers: unknown[] = ["2", null, true, 2n, {}];

Deno.test("bad input fails at the call site with a named error naming method and argument", async (t) => {
  const sched = new Scheduler();
  const other = new Scheduler();
  const data = new Desync<number>(0, { scheduler: sched });
  const q = sched.queue();
  const foreign = other.queue();
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
  ) => rows.push({ label, call, error, method, arg });

  // --- the Desync's scheduling methods
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
        );
      }
      for (const bad of notOptions) {
        add(
          `${who} ${method}(job, ${show(bad)})`,
          () => call(job, bad),
          TypeError,
          method,
          "options",
        );
      }
      for (const bad of notSignals) {
        add(
          `${who} ${method}(job, { signal: ${show(bad)} })`,
          () => call(job, { signal: bad }),
          TypeError,
          method,
          "options.signal",
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
        );
      }
    }
  }
  for (const bad of notFunctions) {
    add(`Desync sync(${show(bad)})`, () => data.sync(bad as never), TypeError, "sync", "job");
    add(
      `Desync trySync(${show(bad)})`,
      () => data.trySync(bad as never),
      TypeError,
      "trySync",
      "job",
    );
    add(`free sync(q, ${show(bad)})`, () => S.sync(q, bad as never), TypeError, "sync", "job");
    add(
      `free trySync(q, ${show(bad)})`,
      () => S.trySync(q, bad as never),
      TypeError,
      "trySync",
      "job",
    );
  }
  for (const bad of notThenables) {
    add(
      `Desync after(${show(bad)}, job)`,
      () => data.after(bad as never, afterJob),
      TypeError,
      "after",
      "promise",
    );
    add(
      `free after(q, ${show(bad)}, job)`,
      () => S.after(q, bad as never, afterJob),
      TypeError,
      "after",
      "promise",
    );
  }
  for (const bad of notOptions) {
    add(
      `Desync suspend(${show(bad)})`,
      () => data.suspend(bad as never),
      TypeError,
      "suspend",
      "options",
    );
    add(
      `free suspend(q, ${show(bad)})`,
      () => S.suspend(q, bad as never),
      TypeError,
      "suspend",
      "options",
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
    );
    add(
      `free suspend(q, { signal: ${show(bad)} })`,
      () => S.suspend(q, options),
      TypeError,
      "suspend",
      "options.signal",
    );
  }

  // --- queues: not a queue
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
      add(`free ${method}(${show(bad)}, …)`, () => free(bad), TypeError, method, "queue");
    }
  }

  // --- constructors, setters and options
  for (const bad of notOptions) {
    add(
      `new Desync(0, ${show(bad)})`,
      () => new Desync(0, bad as never),
      TypeError,
      "new Desync",
      "options",
    );
    add(
      `new Scheduler(${show(bad)})`,
      () => new Scheduler(bad as never),
      TypeError,
      "new Scheduler",
      "options",
    );
  }
  for (const bad of notSchedulers) {
    add(
      `new Desync(0, { scheduler: ${show(bad)} })`,
      () => new Desync(0, { scheduler: bad as never }),
      TypeError,
      "new Desync",
      "options.scheduler",
    );
  }
  for (const bad of notFunctions) {
    if (bad === undefined) continue; // undefined means "no handler"
    add(
      `new Desync(0, { onError: ${show(bad)} })`,
      () => new Desync(0, { onError: bad as never }),
      TypeError,
      "new Desync",
      "options.onError",
    );
    add(
      `new Scheduler({ onError: ${show(bad)} })`,
      () => new Scheduler({ onError: bad as never }),
      TypeError,
      "new Scheduler",
      "options.onError",
    );
    add(
      `desync.onError = ${show(bad)}`,
      () => (data.onError = bad as never),
      TypeError,
      "onError",
      "handler",
    );
    add(
      `scheduler.onError = ${show(bad)}`,
      () => (sched.onError = bad as never),
      TypeError,
      "onError",
      "handler",
    );
  }
  for (const key of ["onErorr", "concurrency", "signal"]) {
    add(
      `new Desync(0, { ${key}: … })`,
      () => new Desync(0, { [key]: () => {} }),
      TypeError,
      "new Desync",
      key,
    );
    add(
      `new Scheduler({ ${key}: … })`,
      () => new Scheduler({ [key]: 1 }),
      TypeError,
      "new Scheduler",
      key,
    );
  }
  for (const bad of [-1, -2, 1.5, 0.1, -Infinity, -0.5, NaN]) {
    add(
      `new Scheduler({ maxConcurrency: ${bad} })`,
      () => new Scheduler({ maxConcurrency: bad }),
      RangeError,
      "new Scheduler",
      "options.maxConcurrency",
    );
    add(
      `scheduler.maxConcurrency = ${bad}`,
      () => (sched.maxConcurrency = bad),
      RangeError,
      "maxConcurrency",
      "maxConcurrency",
    );
  }
  for (const bad of ["2", null, true, 2n, {}, Symbol("n")]) {
    add(
      `new Scheduler({ maxConcurrency: ${show(bad)} })`,
      () => new Scheduler({ maxConcurrency: bad as never }),
      TypeError,
      "new Scheduler",
      "options.maxConcurrency",
    );
    add(
      `scheduler.maxConcurrency = ${show(bad)}`,
      () => (sched.maxConcurrency = bad as never),
      TypeError,
      "maxConcurrency",
      "maxConcurrency",
    );
  }

  // --- pipes
  const source = () => [1, 2];
  // [method, call, takes a desync argument, takes a source]
  type PipeCall = [
    string,
    (d: unknown, src: unknown, fn: unknown, o?: unknown) => unknown,
    boolean,
    boolean,
  ];
  const pipeCalls: PipeCall[] = [
    [
      "pipeIn",
      (d, src, fn, o) => pipeIn(d as never, src as never, fn as never, o as never),
      true,
      true,
    ],
    [
      "pipe",
      (d, src, fn, o) => pipe(d as never, src as never, fn as never, o as never),
      true,
      true,
    ],
    ["sink", (d, _src, fn, o) => sink(d as never, fn as never, o as never), true, false],
    ["transform", (d, _src, fn, o) => transform(d as never, fn as never, o as never), true, false],
  ];
  for (const [method, call, hasDesync, hasSource] of pipeCalls) {
    if (hasDesync) {
      for (const bad of notDesyncs) {
        add(
          `${method}(${show(bad)}, …)`,
          () => call(bad, source(), job),
          TypeError,
          method,
          "desync",
        );
      }
    }
    for (const bad of notFunctions) {
      add(
        `${method}(…, process: ${show(bad)})`,
        () => call(data, source(), bad),
        TypeError,
        method,
        "process",
      );
    }
    for (const bad of notOptions) {
      add(
        `${method}(…, options: ${show(bad)})`,
        () => call(data, source(), job, bad),
        TypeError,
        method,
        "options",
      );
    }
    for (const bad of notSignals) {
      add(
        `${method}(…, { signal: ${show(bad)} })`,
        () => call(data, source(), job, { signal: bad }),
        TypeError,
        method,
        "options.signal",
      );
    }
    for (const bad of badBackpressureNumbers) {
      add(
        `${method}(…, { backpressure: ${show(bad)} })`,
        () => call(data, source(), job, { backpressure: bad }),
        RangeError,
        method,
        "options.backpressure",
      );
    }
    for (const bad of notNumbers) {
      add(
        `${method}(…, { backpressure: ${show(bad)} })`,
        () => call(data, source(), job, { backpressure: bad }),
        TypeError,
        method,
        "options.backpressure",
      );
    }
    for (const key of ["sginal", "backPressure", "highWaterMark"]) {
      add(
        `${method}(…, { ${key}: 1 })`,
        () => call(data, source(), job, { [key]: 1 }),
        TypeError,
        method,
        key,
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
      );
    }
  }

  // --- closed objects (valid arguments otherwise)
  const closedSched = new Scheduler();
  const closedData = new Desync(0, { scheduler: closedSched });
  const closedQueue = closedSched.queue();
  await closedData.close();
  await closedQueue.close();
  const closedCalls: [string, () => unknown][] = [
    ["desync", () => closedData.desync(job)],
    ["sync", () => closedData.sync(job)],
    ["trySync", () => closedData.trySync(job)],
    ["futureSync", () => closedData.futureSync(job)],
    ["futureDesync", () => closedData.futureDesync(job)],
    ["after", () => closedData.after(resolved, afterJob)],
    ["suspend", () => closedData.suspend()],
    ["pipeIn", () => pipeIn(closedData, source(), job)],
    ["pipe", () => pipe(closedData, source(), job)],
    ["sink", () => sink(closedData, job)],
    ["transform", () => transform(closedData, job)],
    ["desync", () => S.desync(closedQueue, job)],
    ["sync", () => S.sync(closedQueue, job)],
    ["trySync", () => S.trySync(closedQueue, job)],
    ["futureSync", () => S.futureSync(closedQueue, job)],
    ["futureDesync", () => S.futureDesync(closedQueue, job)],
    ["after", () => S.after(closedQueue, resolved, afterJob)],
    ["suspend", () => S.suspend(closedQueue)],
  ];
  for (const [method, call] of closedCalls) {
    add(`${method} on a closed object`, call, ClosedError, method, null);
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
  assert.equal(sched.maxConcurrency, Infinity, "failed setters keep the old value");
  assert.equal(sched.onError, undefined);
  assert.equal(data.onError, undefined);
  assert.equal(foreign.queued, 0);
  assert.equal(S.sync(foreign, () => "usable"), "usable");
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

Deno.test("already-aborted signals: the call succeeds, its promise rejects with signal.reason, the job never runs", async () => {
  const sched = new Scheduler();
  const errors: unknown[] = [];
  const data = new Desync<string[]>([], { scheduler: sched, onError: (e) => errors.push(e) });
  const q = sched.queue();
  let calls = 0;
  const duck = (reason: unknown) =>
    ({
      aborted: true,
      reason,
      addEventListener() {},
      removeEventListener() {},
    }) as unknown as AbortSignal;
  const signals = [
    () => AbortSignal.abort(new Error("reason")),
    () => AbortSignal.abort(), // a DOMException AbortError
    () => AbortSignal.abort("a string reason"),
    () => duck(new Error("signal from another realm")),
  ];
  const noted = (ran: () => void) => {
    ran();
    calls++;
  };
  for (const make of signals) {
    const cases: [string, (signal: AbortSignal) => unknown][] = [
      ["Desync futureSync", (signal) => data.futureSync(() => noted(() => {}), { signal })],
      ["Desync futureDesync", (signal) => data.futureDesync(() => noted(() => {}), { signal })],
      [
        "Desync after",
        (signal) => data.after(Promise.resolve(1), () => noted(() => {}), { signal }),
      ],
      ["Desync suspend", (signal) => data.suspend({ signal })],
      ["free futureSync", (signal) => S.futureSync(q, () => noted(() => {}), { signal })],
      ["free futureDesync", (signal) => S.futureDesync(q, () => noted(() => {}), { signal })],
      ["free after", (signal) => S.after(q, Promise.resolve(1), () => noted(() => {}), { signal })],
      ["free suspend", (signal) => S.suspend(q, { signal })],
      ["pipeIn", (signal) => pipeIn(data, ["x"], () => noted(() => {}), { signal })],
      ["pipe", (signal) => collect(pipe(data, ["x"], () => noted(() => {}), { signal }))],
      [
        "sink",
        (signal) => streamFrom(["x"]).pipeTo(sink(data, () => noted(() => {}), { signal })),
      ],
      [
        "transform",
        (signal) =>
          collect(
            streamFrom(["x"]).pipeThrough(
              transform(data, () => noted(() => {}), { signal }),
            ),
          ),
      ],
    ];
    for (const [label, call] of cases) {
      const signal = make();
      let result: unknown;
      assert.doesNotThrow(() => void (result = call(signal)), `${label}: must not throw`);
      assert.equal(
        typeof (result as PromiseLike<unknown>).then,
        "function",
        `${label}: returns a promise`,
      );
      await assert.rejects(
        Promise.resolve(result as PromiseLike<unknown>),
        (error: unknown) => {
          assert.equal(error, signal.reason, `${label}: rejects with signal.reason`);
          return true;
        },
      );
      assert.equal(data.queued, 0, `${label}: nothing stays queued`);
      assert.equal(q.queued, 0, `${label}: nothing stays queued`);
    }
    // desync() has no promise: the job is dropped silently.
    assert.equal(data.desync(() => noted(() => {}), { signal: make() }), undefined);
    assert.equal(S.desync(q, () => noted(() => {}), { signal: make() }), undefined);
    assert.equal(data.queued, 0);
    assert.equal(q.queued, 0);
  }
  await sched.runUntilIdle();
  await nextMacrotask();
  assert.equal(calls, 0, "no job and no pipe item ran");
  assert.deepEqual(errors, [], "an abort is not reported as an error");
  assert.equal(data.sync((d) => d.value.length), 0, "still usable");
  console.log(
    `already-aborted signals: ${signals.length * 19} calls, each rejected with its signal's reason`,
  );
  await data.close();
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

Deno.test("a pipe with backpressure: Infinity takes every item at once", async () => {
  const data = new Desync<number[]>([]);
  let pulled = 0;
  const source = {
    *[Symbol.iterator]() {
      for (let i = 0; i < 1000; i++) yield ++pulled;
    },
  };
  const results = pipe(data, source, (d, item) => d.value.push(item), { backpressure: Infinity });
  await flushMicrotasks();
  assert.equal(pulled, 1000, "no limit: the whole synchronous source was taken");
  assert.equal((await collect(results)).length, 1000);
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
