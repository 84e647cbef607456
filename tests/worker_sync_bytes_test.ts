// Copyright 2026 the desync authors. MIT license.
// Blocking sync() where the caller's thread cannot read a port synchronously
// (a browser's worker: no receiveMessageOnPort): the answer travels as bytes
// through the channel's SharedArrayBuffer, in chunks when it is long. Deno,
// Node and Bun are made to use that channel here (useBytesChannel); Chromium
// uses it for real in the nested-pool test. Every test that starts a worker
// is named "worker: ..." (skipped on workerd).

import assert from "node:assert/strict";
import { RemoteError, SyncTimeoutError, WorkerPool } from "../worker.ts";
import { useBytesChannel } from "../worker/blocking.ts";
import { decodeAnswer, encodeAnswer, UnencodableError } from "../worker/sync_codec.ts";
import type { CallerApi } from "./fixtures/sync_caller.worker.ts";
import type { Api } from "./fixtures/sync.worker.ts";

const page = "document" in globalThis;
const ENTRY = new URL("./fixtures/sync.worker.ts", import.meta.url);

/**
 * A value as a string that tells apart everything the codec carries (-0,
 * bigint, Map, Set, typed arrays, prototypes): node:assert's deepEqual in
 * the browser build does not look into Maps, Sets or bigints.
 */
function canon(value: unknown): string {
  if (Object.is(value, -0)) return "-0";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  const items = (list: Iterable<unknown>) => Array.from(list, canon).join(",");
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (value instanceof RegExp) return `RegExp(${value})`;
  if (value instanceof Map) return `Map(${items(Array.from(value, ([k, v]) => [k, v]))})`;
  if (value instanceof Set) return `Set(${items(value)})`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${new Uint8Array(value).join(",")})`;
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `${value.constructor.name}(${bytes.join(",")})`;
  }
  if (Array.isArray(value)) return `[${items(value)}]`;
  const proto = Object.getPrototypeOf(value) === Object.prototype ? "" : "!proto";
  return `{${proto}${
    Object.keys(value).map((k) => `${k}:${canon((value as Record<string, unknown>)[k])}`)
  }}`;
}

function rich(): Record<string, unknown> {
  return {
    n: 1.5,
    negativeZero: -0,
    nan: NaN,
    infinite: -Infinity,
    big: -12345678901234567890n,
    missing: undefined,
    text: "ü ✓ \u{1F600}",
    date: new Date(5),
    badDate: new Date(NaN),
    map: new Map<unknown, unknown>([[1, { a: [1, 2] }], ["k", new Set([null])]]),
    set: new Set(["x", 2n]),
    buffer: new Uint8Array([1, 2, 255]).buffer,
    floats: new Float64Array([1.5, -2]),
    bigints: new BigInt64Array([-1n]),
    view: new DataView(new Uint8Array([9, 8]).buffer),
    nested: [[null, true, [undefined]]],
    regexp: /a+b/gi,
    plainOfClass: new (class Point {
      x = 1;
      y = 2;
    })(),
  };
}

Deno.test("sync answers as bytes: the codec carries what it supports", () => {
  const value = rich();
  const back = decodeAnswer(encodeAnswer(value)) as Record<string, unknown>;
  assert.equal(canon(back), canon({ ...value, plainOfClass: { x: 1, y: 2 } }));
  assert.match(canon(back), /negativeZero:-0,.*big:-12345678901234567890n,.*map:Map\(\[1,/);
  const error = decodeAnswer(encodeAnswer(new TypeError("t", { cause: 3 }))) as Error;
  assert.equal(error.name, "TypeError");
  assert.equal(error.message, "t");
  assert.equal(error.cause, 3);
  assert.match(String(error.stack), /TypeError: t/);
  // A typed array that is a window on a larger buffer carries only its bytes.
  const window = new Uint16Array(new Uint16Array([1, 2, 3, 4]).buffer, 2, 2);
  assert.equal(canon(decodeAnswer(encodeAnswer(window))), canon(new Uint16Array([2, 3])));
});

Deno.test("sync answers as bytes: the codec refuses what it cannot carry, saying where", () => {
  const cycle: Record<string, unknown> = { list: [] };
  (cycle.list as unknown[]).push(cycle);
  const cases: [unknown, RegExp][] = [
    [cycle, /the result\.list\[0\] refers back to itself/],
    [{ f: () => 1 }, /the result\.f is a function/],
    [[Symbol("s")], /the result\[0\] is a symbol/],
    [new Map([["k", Promise.resolve()]]), /is a Promise/],
    [new WeakMap(), /is a WeakMap/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => encodeAnswer(value), (e: unknown) => {
      assert.ok(e instanceof UnencodableError);
      assert.match(e.message, message);
      return true;
    });
  }
  // The same object twice is not a cycle.
  const shared = { a: 1 };
  assert.deepEqual(decodeAnswer(encodeAnswer([shared, shared])), [{ a: 1 }, { a: 1 }]);
});

Deno.test({
  name: "worker: sync with answers as bytes: values, chunks, errors, timeouts",
  ignore: page, // a page's main thread cannot block at all (worker_sync_test.ts)
  fn: async () => {
    useBytesChannel(true);
    const pool = new WorkerPool<Api>(ENTRY, { size: 1, syncTimeout: 1000 });
    try {
      const values = pool.create("Values");
      const counter = pool.create("Counter", 1);
      await Promise.all([values.ready, counter.ready]);
      const value = rich();
      const expected = canon({ ...value, plainOfClass: { x: 1, y: 2 } });
      assert.equal(canon(values.sync("echo", value)), expected);
      // 300,000 bytes of UTF-8: five chunks of 64 KiB.
      assert.equal(values.sync("big", 150_000), "é".repeat(150_000));
      assert.equal(values.sync("echo", "small again"), "small again");
      assert.throws(() => values.sync("fail", "no"), (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.name, "RangeError");
        assert.deepEqual(e.cause, { code: 7 });
        return true;
      });
      for (const method of ["cycle", "fn"] as const) {
        assert.throws(() => values.sync(method), (e: unknown) => {
          assert.ok(e instanceof RemoteError);
          assert.equal(e.name, "TypeError");
          assert.match(e.message, /the job ran, but its result cannot be sent/);
          assert.match(e.message, method === "cycle" ? /refers back to itself/ : /is a function/);
          return true;
        });
      }
      // A timed-out job answers nobody: the next call reads its own answer.
      assert.throws(() => counter.sync("spin", 1500), SyncTimeoutError);
      // Waits the spin's last 500 ms (same worker), then reads its own answer.
      assert.equal(values.sync("big", 40_000).length, 40_000);
      assert.equal(await counter.futureSync("get"), 1);
      assert.equal(counter.sync("addAndGet", 1), 2);
    } finally {
      useBytesChannel(false);
      await pool.terminate();
    }
  },
});

Deno.test("worker: sync from inside a worker blocks on a nested pool", async () => {
  const pool = new WorkerPool<CallerApi>(
    new URL("./fixtures/sync_caller.worker.ts", import.meta.url),
    { size: 1 },
  );
  try {
    const caller = pool.create("Caller");
    const value = { list: [1, "two", 3n], when: new Date(7), map: new Map([["k", -0]]) };
    const seen = await caller.futureSync("run", value, 100_000);
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    if (page && !isolated) {
      // A page that is not cross-origin isolated has no SharedArrayBuffer, nor do its workers.
      assert.match(String(seen.blocked), /SharedArrayBuffer/);
      return;
    }
    assert.equal(seen.blocked, undefined, seen.blocked);
    assert.equal(canon(seen.echoed), canon(value));
    assert.equal(seen.big, 100_000);
    assert.deepEqual(seen.failed, { name: "RangeError", message: "no", cause: { code: 7 } });
    // Only the bytes channel (a browser's worker) refuses a cycle; a port carries it.
    if (page) assert.match(String(seen.unencodable), /TypeError: .*refers back to itself/);
    else assert.equal(seen.unencodable, undefined);
    assert.equal(seen.afterwards, 2);
  } finally {
    await pool.terminate();
  }
});
