// Copyright 2026 the desync authors. MIT license.
// Worker objects that share a worker (createWith({ near })), references to
// them passed as arguments (a WorkerDesync arrives as the object's own local
// Desync), and per-object back-pressure (createWith({ maxQueued })). Every
// test that starts a worker is named "worker: ..." (skipped on workerd).

import assert from "node:assert/strict";
import { ClosedError, type Desync, WouldBlockError } from "../mod.ts";
import {
  type Method,
  type MethodArgs,
  QueueFullError,
  WorkerCrashedError,
  type WorkerDesync,
  type WorkerPool,
} from "../worker.ts";
import { withEntryPool, withPool } from "./_worker_helpers.ts";
import type { Account, Bank } from "./fixtures/bank.ts";
import type { Api } from "./fixtures/bank.worker.ts";

const BANK_ENTRY = new URL("./fixtures/bank.worker.ts", import.meta.url);

function withBank(
  options: { size?: number; idleTimeout?: number },
  body: (pool: WorkerPool<Api>) => Promise<void>,
): Promise<void> {
  return withEntryPool<Api>(BANK_ENTRY, options, body);
}

Deno.test("worker: near places an object on the other's worker, whatever its load", async () => {
  await withPool({ size: 3 }, async (pool) => {
    const first = pool.create("Counter", 1); // still starting: near it is fine
    const near = [1, 2, 3].map((i) => pool.createWith({ near: first }, "Counter", i));
    const nearNear = pool.createWith({ near: near[2] }, "Counter", 9);
    await Promise.all([first, ...near, nearNear].map((o) => o.ready));
    assert.equal(pool.workers, 1, "near objects went to other workers");
    assert.equal(pool.objects, 5);
    const elsewhere = pool.create("Counter", 0); // the least-loaded worker: a new one
    await elsewhere.ready;
    assert.equal(pool.workers, 2);
  });
});

Deno.test("worker: near refuses what it cannot share, at the call site", async () => {
  await withPool({ size: 2, idleTimeout: Infinity }, async (pool) => {
    const live = pool.create("Counter", 0);
    const message = /WorkerPool\.createWith\(\): "options\.near"/;
    for (const bad of [{}, 1, "Counter", null]) {
      assert.throws(
        () => pool.createWith({ near: bad as never }, "Counter", 0),
        (e: Error) =>
          e instanceof TypeError && message.test(e.message) && /WorkerDesync of this pool/.test(
            e.message,
          ),
      );
    }
    assert.throws(
      () => pool.createWith({ near: live, worker: "dedicated" }, "Counter", 0),
      (e: Error) => e instanceof TypeError && /contradict/.test(e.message),
    );
    await withPool({ size: 1 }, async (other) => {
      const foreign = other.create("Counter", 0);
      await foreign.ready;
      assert.throws(
        () => pool.createWith({ near: foreign }, "Counter", 0),
        (e: Error) => e instanceof TypeError && /another pool/.test(e.message),
      );
    });
    const closed = pool.createWith({ near: live }, "Counter", 0);
    const closing = closed.close();
    assert.throws(
      () => pool.createWith({ near: closed }, "Counter", 0),
      (e: Error) => e instanceof ClosedError && message.test(e.message),
    );
    await closing;
    assert.throws(() => pool.createWith({ near: closed }, "Counter", 0), ClosedError);
    const doomed = pool.create("Counter", 0);
    // A browser's worker has no process to exit (and node:worker_threads no self.close()).
    const how = "document" in globalThis ? "close" : "exit";
    await doomed.futureSync("exit", 3, how).catch(() => {});
    assert.equal(doomed.crashed, true);
    assert.throws(
      () => pool.createWith({ near: doomed }, "Counter", 0),
      (e: Error) =>
        e instanceof WorkerCrashedError && message.test(e.message) &&
        (how === "close" || (e as WorkerCrashedError).exitCode === 3),
    );
    assert.equal(pool.objects, 1, "a refused createWith left an object behind");
    await pool.close();
    assert.throws(() => pool.createWith({ near: live }, "Counter", 0), ClosedError);
  });
});

Deno.test("worker: near a dedicated object shares its worker until the last object closes", async () => {
  await withPool({ size: 1, idleTimeout: Infinity }, async (pool) => {
    const shared = pool.create("Counter", 0);
    const dedicated = pool.createWith({ worker: "dedicated" }, "Counter", 1);
    const companion = pool.createWith({ near: dedicated }, "Counter", 2);
    await Promise.all([shared.ready, dedicated.ready, companion.ready]);
    assert.equal(pool.workers, 2, "the companion did not share the dedicated worker");
    await dedicated.close();
    assert.equal(pool.workers, 2, "the dedicated worker stopped with an object still on it");
    assert.equal(await companion.futureSync("addAndGet", 1), 3);
    await companion.close();
    assert.equal(pool.workers, 1, "the dedicated worker outlived its last object");
  });
});

Deno.test("worker: a reference arrives as the object's own Desync", async () => {
  await withBank({ size: 2 }, async (pool) => {
    const bank = pool.create("Bank");
    const alice = pool.createWith({ near: bank }, "Account", 100);
    const bob = pool.createWith({ near: bank }, "Account", 0);
    assert.equal(await bank.futureSync("kind", alice), "Desync");
    assert.equal(await bank.futureSync("transfer", alice, bob, 30), 1);
    assert.equal(await bank.futureSync("transfer", bob, alice, 5), 2);
    assert.deepEqual(
      await Promise.all([alice.futureSync("balance"), bob.futureSync("balance")]),
      [75, 25],
    );
    const overdraft = await bank.futureSync("transfer", bob, alice, 1000).catch((e) => e);
    assert.match(overdraft.message, /insufficient funds: 25/);
    assert.equal(await bank.futureSync("readNow", alice), 75); // local sync, the account idle
    // Any position, a plain argument in between; after()'s value comes first.
    assert.equal(await bank.futureSync("total", alice, 2, bob), 200);
    assert.equal(await bank.futureSync("total", alice, 1), 75);
    await bank.after(Promise.resolve(7), "depositLater", bob);
    assert.equal(await bob.futureSync("balance"), 32);
    try {
      assert.equal(bank.sync("total", alice, 1, bob), 107);
    } catch (error) {
      if (!(error instanceof WouldBlockError)) throw error; // a browser's main thread
    }
  });
});

Deno.test("worker: a job scheduled in the worker queues behind the jobs delivered to its object", async () => {
  await withBank({ size: 1 }, async (pool) => {
    const bank = pool.create("Bank");
    const account = pool.createWith({ near: bank }, "Account", 0);
    account.desync("sleep", 30); // holds the account: the deposits wait behind it
    for (let i = 0; i < 100; i++) account.desync("deposit", 1);
    assert.equal(await bank.futureSync("read", account), 100);
    // Sent in one batch: the account's own read is delivered before the bump runs.
    bank.desync("bump", account, 5);
    const before = account.futureSync("balance");
    await bank.futureSync("kind", 0); // the bump has run
    assert.equal(await before, 100);
    assert.equal(await account.futureSync("balance"), 105);
  });
});

Deno.test("worker: a reference refuses close; the main side still closes the object", async () => {
  await withBank({ size: 1 }, async (pool) => {
    const bank = pool.create("Bank");
    const account = pool.createWith({ near: bank }, "Account", 10);
    const outcome = await bank.futureSync("tryClose", account);
    assert.match(outcome, /^TypeError: Desync\.close\(\): .*only its WorkerDesync/);
    account.desync("deposit", 1);
    assert.equal(await account.futureSync("balance"), 11);
    await account.close();
    assert.equal(pool.objects, 1);
  });
});

Deno.test("worker: a reference the callee cannot reach fails at the call site", async () => {
  await withBank({ size: 2, idleTimeout: Infinity }, async (pool) => {
    const bank = pool.create("Bank");
    const near = pool.createWith({ near: bank }, "Account", 1);
    const far = pool.create("Account", 1); // the least-loaded worker: the other one
    await Promise.all([bank.ready, near.ready, far.ready]);
    assert.equal(pool.workers, 2);
    const elsewhere = (position: number) => (e: Error) =>
      e instanceof TypeError && e.message.includes(`argument ${position}`) &&
      /another worker/.test(e.message) && /createWith\(\{ near/.test(e.message);
    assert.throws(() => bank.futureSync("read", far), elsewhere(1));
    assert.throws(() => bank.desync("total", near, 1, far), elsewhere(3));
    assert.throws(() => bank.after(Promise.resolve(1), "depositLater", far), elsewhere(2));
    assert.throws(() => bank.futureDesync("read", far), elsewhere(1));
    assert.throws(() => bank.sync("readNow", far), elsewhere(1));
    await withBank({ size: 1 }, async (other) => {
      const foreign = other.create("Account", 0);
      await foreign.ready;
      assert.throws(() => bank.futureSync("read", foreign), elsewhere(1));
    });
    const closed = pool.createWith({ near: bank }, "Account", 0);
    await closed.close();
    assert.throws(
      () => bank.futureSync("total", near, 1, closed),
      (e: Error) => e instanceof ClosedError && /argument 3.*closed/.test(e.message),
    );
    assert.equal(bank.queued, 0, "a refused call was scheduled");
    assert.equal(await bank.futureSync("read", near), 1);
  });
});

Deno.test("worker: a reference to an object whose construction failed fails the job", async () => {
  await withBank({ size: 1 }, async (pool) => {
    const bank = pool.create("Bank");
    const broken = pool.createWith({ near: bank }, "Account", -1);
    await assert.rejects(broken.ready, /negative balance/);
    await assert.rejects(bank.futureSync("read", broken), /negative balance/);
    assert.equal(await bank.futureSync("kind", 1), "number"); // the bank is fine
  });
});

Deno.test("worker: maxQueued refuses jobs past it, at the call site", async () => {
  await withPool({ size: 1 }, async (pool) => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => pool.createWith({ maxQueued: bad }, "Counter", 0), RangeError);
    }
    assert.throws(
      () => pool.createWith({ maxQueued: "9" as never }, "Counter", 0),
      /WorkerPool\.createWith\(\): "options\.maxQueued" must be a positive integer or Infinity/,
    );
    const counter = pool.createWith({ maxQueued: 3 }, "Counter", 0);
    await counter.ready;
    const slow = counter.futureSync("sleep", 30);
    slow.catch(() => {}); // awaited below; not unhandled if an assertion fails first
    counter.desync("add", 1);
    assert.equal(counter.queued, 2);
    const last = counter.futureSync("addAndGet", 1);
    last.catch(() => {});
    assert.equal(counter.queued, 3);
    const full = (what: string) => (e: Error) =>
      e instanceof QueueFullError && e.maxQueued === 3 &&
      e.message.startsWith(`WorkerDesync.${what}("add`) && /maxQueued: 3/.test(e.message);
    assert.throws(() => counter.desync("add", 1), full("desync"));
    assert.throws(() => counter.futureSync("addAndGet", 1), full("futureSync"));
    assert.throws(() => counter.futureDesync("addAndGet", 1), full("futureDesync"));
    assert.throws(() => counter.after(Promise.resolve(1), "add"), full("after"));
    try {
      counter.sync("add", 1);
      assert.fail("sync was not refused");
    } catch (error) {
      if (!(error instanceof WouldBlockError)) assert.ok(full("sync")(error as Error));
    }
    assert.equal(counter.queued, 3);
    assert.equal(await last, 2);
    await slow;
    counter.desync("add", 1); // room again
    const closing = counter.close(); // close is never refused
    await closing;
    const unlimited = pool.createWith({ maxQueued: Infinity }, "Counter", 0);
    for (let i = 0; i < 10_000; i++) unlimited.desync("add", 1);
    assert.equal(await unlimited.futureSync("get"), 10_000);
  });
});

Deno.test("worker: a 1M desync burst stays within maxQueued", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const MAX = 1000;
    const counter = pool.createWith({ maxQueued: MAX }, "Counter", 0);
    let adds = 0;
    let refused = 0;
    let peak = 0;
    let marker: Promise<unknown> = counter.ready;
    for (let i = 0; i < 1_000_000; i++) {
      try {
        if (i % 250 === 0) {
          marker = counter.futureSync("get"); // something to wait on
          marker.catch(() => {}); // a failed assertion must not leave it unhandled
        } else {
          counter.desync("add", 1);
          adds++;
        }
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        refused++;
        await marker; // back-pressure: wait for the latest kept reply
      }
      if (counter.queued > peak) peak = counter.queued;
    }
    assert.ok(peak <= MAX, `queued reached ${peak}, past maxQueued ${MAX}`);
    assert.ok(refused > 0, "the burst never filled the object");
    await marker;
    while (counter.queued >= MAX) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(await counter.futureSync("get"), adds);
  });
});

Deno.test("worker: a hosted Desync<U> parameter takes a WorkerDesync<U> on the main side", () => {
  // Checked by the type checker (deno test checks this file): an expected
  // error that does not occur fails the check.
  const calls = (
    bank: WorkerDesync<Bank>,
    account: WorkerDesync<Account>,
    local: Desync<Account>,
  ) => {
    const method: Method<Bank> = "transfer"; // a Desync parameter does not make it uncallable
    const args: MethodArgs<Bank, "transfer"> = [account, account, 1];
    bank.desync("transfer", ...args);
    bank.desync("total", account, 2);
    bank.desync("total", account, 2, undefined);
    // @ts-expect-error: a local Desync cannot cross a thread
    bank.desync("read", local);
    // @ts-expect-error: a number is not a reference
    bank.desync("read", 1);
    // @ts-expect-error: a handle on a Bank is not a reference to an Account
    bank.desync("read", bank);
    return method;
  };
  assert.equal(typeof calls, "function");
});
