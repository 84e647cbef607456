// Copyright 2026 the desync authors. MIT license.
// Bad input fails at the call site with TypeError/RangeError naming the
// method and the argument, and leaves the object usable.

import assert from "node:assert/strict";
import { Desync, Scheduler } from "../mod.ts";
import * as S from "../scheduler.ts";

const notFunctions: unknown[] = [undefined, null, 1, "job", {}, [], Promise.resolve()];
const notSignals: unknown[] = [1, "signal", {}, { aborted: false }, new AbortController()];

function throwsNaming(
  call: () => unknown,
  type: typeof TypeError | typeof RangeError,
  pattern: RegExp,
): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.match((error as Error).message, pattern);
    return true;
  });
}

Deno.test("Desync methods reject non-function jobs, naming method and argument", () => {
  const data = new Desync(0);
  for (const bad of notFunctions) {
    throwsNaming(
      () => data.desync(bad as never),
      TypeError,
      /^desync\(\): "job" must be a function/,
    );
    throwsNaming(() => data.sync(bad as never), TypeError, /^sync\(\): "job" must be a function/);
    throwsNaming(() => data.trySync(bad as never), TypeError, /^trySync\(\): "job"/);
    throwsNaming(() => data.futureSync(bad as never), TypeError, /^futureSync\(\): "job"/);
    throwsNaming(() => data.futureDesync(bad as never), TypeError, /^futureDesync\(\): "job"/);
    throwsNaming(
      () => data.after(Promise.resolve(), bad as never),
      TypeError,
      /^after\(\): "job"/,
    );
  }
  assert.equal(data.queued, 0);
  assert.equal(data.sync((n) => n.value + 1), 1, "still usable");
});

Deno.test("after() rejects a non-thenable promise argument", () => {
  const data = new Desync(0);
  for (const bad of [undefined, null, 5, "p", {}, { then: 1 }]) {
    throwsNaming(() => data.after(bad as never, () => {}), TypeError, /^after\(\): "promise"/);
  }
  assert.equal(data.queued, 0);
});

Deno.test("options and options.signal are checked", () => {
  const data = new Desync(0);
  for (const bad of [1, "opts", null, true]) {
    throwsNaming(
      () => data.futureSync(() => {}, bad as never),
      TypeError,
      /"options" must be an object/,
    );
    throwsNaming(() => data.desync(() => {}, bad as never), TypeError, /^desync\(\): "options"/);
    throwsNaming(() => data.suspend(bad as never), TypeError, /^suspend\(\): "options"/);
  }
  for (const bad of notSignals) {
    throwsNaming(
      () => data.futureSync(() => {}, { signal: bad as never }),
      TypeError,
      /^futureSync\(\): "options.signal" must be an AbortSignal/,
    );
    throwsNaming(
      () => data.after(Promise.resolve(), () => {}, { signal: bad as never }),
      TypeError,
      /^after\(\): "options.signal"/,
    );
  }
  assert.equal(data.queued, 0);
});

Deno.test("Desync and Scheduler constructors check their options", () => {
  throwsNaming(() => new Desync(0, 5 as never), TypeError, /^new Desync\(\): "options"/);
  throwsNaming(
    () => new Desync(0, { scheduler: {} as never }),
    TypeError,
    /"options.scheduler" must be a Scheduler/,
  );
  throwsNaming(
    () => new Desync(0, { onError: "log" as never }),
    TypeError,
    /"options.onError" must be a function/,
  );
  throwsNaming(() => new Scheduler("x" as never), TypeError, /^new Scheduler\(\): "options"/);
  throwsNaming(
    () => new Scheduler({ onError: 1 as never }),
    TypeError,
    /"options.onError" must be a function/,
  );
  for (const bad of [-1, 1.5, -Infinity, NaN]) {
    throwsNaming(
      () => new Scheduler({ maxConcurrency: bad }),
      RangeError,
      /"options.maxConcurrency" must be a non-negative integer or Infinity, got number/,
    );
  }
  for (const bad of ["2", null]) {
    throwsNaming(
      () => new Scheduler({ maxConcurrency: bad as never }),
      TypeError,
      /"options.maxConcurrency" must be a non-negative integer or Infinity, got/,
    );
  }
});

Deno.test("setters check their values and keep the old one on failure", () => {
  const sched = new Scheduler({ maxConcurrency: 2 });
  throwsNaming(() => (sched.maxConcurrency = -3), RangeError, /"maxConcurrency"/);
  throwsNaming(() => (sched.maxConcurrency = "4" as never), TypeError, /"maxConcurrency"/);
  assert.equal(sched.maxConcurrency, 2);
  throwsNaming(() => (sched.onError = 42 as never), TypeError, /^onError\(\): "handler"/);
  const data = new Desync(0);
  throwsNaming(() => (data.onError = {} as never), TypeError, /^onError\(\): "handler"/);
  assert.equal(data.onError, undefined);
});

Deno.test("free functions reject things that are not queues, and foreign queues", () => {
  const calls: [string, (q: unknown) => unknown][] = [
    ["desync", (q) => S.desync(q as never, () => {})],
    ["sync", (q) => S.sync(q as never, () => {})],
    ["trySync", (q) => S.trySync(q as never, () => {})],
    ["futureSync", (q) => S.futureSync(q as never, () => {})],
    ["futureDesync", (q) => S.futureDesync(q as never, () => {})],
    ["after", (q) => S.after(q as never, Promise.resolve(), () => {})],
    ["suspend", (q) => S.suspend(q as never)],
  ];
  for (const [method, call] of calls) {
    for (const bad of [undefined, null, {}, new Desync(0), "queue"]) {
      throwsNaming(
        () => call(bad),
        TypeError,
        new RegExp(`^${method}\\(\\): "queue" must be a JobQueue`),
      );
    }
  }
});
