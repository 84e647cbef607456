// Copyright 2026 the desync authors. MIT license.
// Findings of a review of the worker features (pipes into worker objects,
// references, maxQueued, the untracked fast path): each test is a bug that
// was found, kept so that it stays fixed. Every test that starts a worker is
// named "worker: ..." (skipped on workerd).

import assert from "node:assert/strict";
import { pipe, pipeIn } from "../pipe.ts";
import { handleState } from "../worker/object.ts";
import { transfer, type WorkerDesync, WorkerPool } from "../worker.ts";
import { collect } from "./_helpers.ts";
import { withEntryPool } from "./_worker_helpers.ts";
import type { Api as BankApi } from "./fixtures/bank.worker.ts";
import type { Api } from "./fixtures/pipe.worker.ts";
import type { Total } from "./fixtures/pipe_target.ts";

const PIPE_ENTRY = new URL("./fixtures/pipe.worker.ts", import.meta.url);
const BANK_ENTRY = new URL("./fixtures/bank.worker.ts", import.meta.url);

/** `promise`, or a rejection saying it hung if it has not settled within `ms`. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `done()` holds, at most `ms` (polling: replies arrive on their own). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 2));
}

Deno.test("worker: a finished pipe no longer counts in its object's queued (nor uses up maxQueued)", async () => {
  await withEntryPool<Api>(PIPE_ENTRY, {}, async (pool) => {
    const total = pool.createWith({ maxQueued: 2 }, "Total");
    await total.ready;
    await pipeIn(total, [1, 2, 3], "add");
    assert.deepEqual(await collect(pipe(total, [4], "addAndGet")), [10]);
    await until(() => total.queued === 0, 10_000);
    assert.equal(total.queued, 0, "the pipes' jobs are still counted as unanswered");
    // With the two pipes' places given back, the object takes jobs again.
    total.desync("add", 1);
    assert.equal(await total.futureSync("get"), 11);
  });
});

Deno.test("worker: a pipe item that cannot be cloned ends the pipe with a TypeError, not a hang", async () => {
  await withEntryPool<Api>(PIPE_ENTRY, {}, async (pool) => {
    const total = pool.create("Total");
    await total.ready; // (a worker's start is not what is timed)
    const items = [1, (() => 2) as unknown as number, 3];
    await assert.rejects(
      settlesWithin(pipeIn(total, items, "add"), 10_000, "pipeIn"),
      (error: Error) =>
        error instanceof TypeError && /pipeIn\("add"\).*cannot be sent/.test(error.message),
    );
    await until(() => total.queued === 0, 10_000);
    assert.equal(total.queued, 0);
    assert.equal(await total.futureSync("addAndGet", 1), 1, "the object lives on");
  });
});

Deno.test("worker: a pipe's transfer list that cannot be transferred ends the pipe, not a hang", async () => {
  await withEntryPool<Api>(PIPE_ENTRY, {}, async (pool) => {
    const bytes = pool.create("Bytes");
    await bytes.ready; // (a worker's start is not what is timed)
    const notTransferable = { not: "transferable" } as unknown as Transferable;
    await assert.rejects(
      settlesWithin(
        collect(
          pipe(bytes, [new ArrayBuffer(2)], "size", { transfer: () => [notTransferable] }),
        ),
        10_000,
        "pipe",
      ),
      (error: Error) => error instanceof TypeError && /pipe\("size"\)/.test(error.message),
    );
    assert.equal(await bytes.futureSync("size", new ArrayBuffer(3)), 3, "the object lives on");
  });
});

Deno.test("worker: a pipe's end is not taken for the answer of another object's fire-and-forget job", async () => {
  const errors: unknown[] = [];
  await withEntryPool<Api>(PIPE_ENTRY, { onError: (error) => errors.push(error) }, async (pool) => {
    const victim = pool.create("Total");
    const piped = pool.createWith({ near: victim }, "Total");
    await Promise.all([victim.ready, piped.ready]);
    const victimId = handleState(victim)!.id;
    // Pipe ids and object ids are counters of this thread: open pipes (or make
    // objects) until the next pipe's number is the victim's id.
    const conn = handleState(piped)!.conn;
    const nextPipe = async (): Promise<number> => {
      const ended = pipeIn(piped, [0], "add");
      const number = Math.abs(Math.max(...conn.pipes.keys()));
      await ended;
      return number + 1;
    };
    let next = await nextPipe();
    let target: WorkerDesync<Total> = victim;
    let targetId = victimId;
    // (Far apart, the two counters cannot meet: nothing to align.)
    while (next > targetId && next - targetId < 1000) {
      target = pool.createWith({ near: piped }, "Total");
      targetId = handleState(target)!.id;
    }
    while (next < targetId && targetId - next < 1000) next = await nextPipe();
    await target.ready;
    // The target has fire-and-forget jobs unanswered when the pipe numbered
    // like it ends: its last job's failure must still reach onError.
    target.desync("sleep", 200);
    target.desync("checked", -1);
    await pipeIn(piped, [1], "add");
    await target.futureSync("get");
    await until(() => errors.length > 0, 10_000);
    assert.equal(errors.length, 1, "the fire-and-forget failure was lost");
    assert.match((errors[0] as Error).message, /negative item -1/);
  });
});

Deno.test("worker: a reference to an object whose construction fails gives the callee that failure", async () => {
  await withEntryPool<BankApi>(BANK_ENTRY, { size: 1 }, async (pool) => {
    const bank = pool.create("Bank");
    const broken = pool.createWith({ near: bank }, "Account", -2); // the constructor refuses it
    // Sent before the main side knew: the callee's jobs on the reference
    // must fail with the constructor's error, as every job of the object does.
    const read = bank.futureSync("read", broken);
    await assert.rejects(broken.ready, /negative balance/);
    await assert.rejects(read, (error: Error) => {
      assert.match(error.message, /negative balance -2/);
      return true;
    });
  });
});

Deno.test("worker: a job cancelled before it is sent leaves the buffers it would transfer with the caller", async () => {
  await withEntryPool<Api>(PIPE_ENTRY, {}, async (pool) => {
    const bytes = pool.create("Bytes");
    await bytes.ready;
    const controller = new AbortController();
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const cancelled = bytes.withOptions({ signal: controller.signal })
      .futureSync("sum", transfer(buffer, [buffer]));
    controller.abort(new Error("not now")); // in the same tick: the job is never sent
    await assert.rejects(cancelled, /not now/);
    assert.equal(await bytes.futureSync("sum", new Uint8Array([4]).buffer), 4);
    assert.equal(buffer.byteLength, 3, "the buffer of a job never sent was moved away");
  });
});

Deno.test("worker: resourceLimits: a bad value names options.resourceLimits", () => {
  const entry = new URL("./fixtures/pipe.worker.ts", import.meta.url);
  assert.throws(
    () => new WorkerPool(entry, { resourceLimits: 5 as never }),
    /"options\.resourceLimits" must be an object/,
  );
  assert.throws(
    () => new WorkerPool(entry, { resourceLimits: { maxOldGenerationSize: 64 } as never }),
    /unknown key "maxOldGenerationSize" in "options\.resourceLimits"; accepted: maxOldGenerationSizeMb/,
  );
});

Deno.test("worker: items or arguments that share a buffer transfer it once", async () => {
  await withEntryPool<Api>(PIPE_ENTRY, {}, async (pool) => {
    const bytes = pool.create("Bytes");
    await bytes.ready; // (a worker's start is not what is timed)
    // One buffer in two items, each naming it: one message moves it once.
    const shared = new Uint8Array([1, 2, 3, 4]).buffer;
    const items = [shared, shared];
    const sums = await settlesWithin(
      collect(pipe(bytes, items, "sum", { batch: 2, transfer: (b) => [b] })),
      10_000,
      "pipe",
    );
    assert.deepEqual(sums, [10, 10]);
    assert.equal(shared.byteLength, 0);
    // Two arguments marked with the same buffer, and a list naming it twice.
    const buffer = new Uint8Array([5]).buffer;
    const twice = transfer(buffer, [buffer, buffer]);
    assert.equal(await bytes.futureSync("sum", twice), 5);
    assert.equal(buffer.byteLength, 0);
  });
});
