// Copyright 2026 the desync authors. MIT license.
// The Durable Object example (examples/durable_account/), run in workerd
// through miniflare on 127.0.0.1: an account with balance 100 and two
// concurrent withdrawals of 80 that await a 30 ms timer, or a 50 ms fetch(),
// between read and write, and an unrelated ping 5 ms later.
//
// - plain object code: both withdrawals pass (a double spend), and the ping
//   does not wait;
// - blockConcurrencyWhile: one passes, but the ping waits for the awaits;
// - the balance in a Desync: one passes, and the ping does not wait.
//
// The example runs in its own process, `deno run examples/durable_account/
// main.ts --json`, with the permissions that miniflare needs (network on
// 127.0.0.1, files, environment, subprocesses), so this test needs only
// --allow-run=deno. The first run downloads miniflare and esbuild from npm.
//
// Time bounds, generous for a shared, noisy 2-core machine (measured: a
// ping that nothing blocks takes 0-4 ms; a blocked one 59-88 ms behind the
// timer and 103-142 ms behind the fetch): a blocked ping waits at least the
// awaited call's time less 10 ms (the ping comes 5 ms after the first
// withdrawal started, and the second withdrawal runs before it); a ping that
// nothing blocks, less than half of it. What depends on timing (that the
// plain version double-spends, and the waits) must hold in one of up to three
// runs; what the Desync and blockConcurrencyWhile versions promise (one
// withdrawal passes, the balance is 20) must hold in every run.

import assert from "node:assert/strict";
import { denoCommand } from "./_deno.ts";

interface Row {
  variant: "plain" | "blocking" | "desync";
  via: "timer" | "fetch";
  results: boolean[];
  balance: number;
  pingMs: number;
  idlePingMs: number;
  elapsedMs: number;
}

/** The awaited call's duration: the example's TIMER_MS and FETCH_MS. */
const AWAITED_MS = { timer: 30, fetch: 50 };
const RUNS = 3;

async function runExample(): Promise<Row[]> {
  const { success, stdout, stderr } = await new Deno.Command(
    denoCommand("this test runs `deno run examples/durable_account/main.ts`"),
    {
      args: [
        "run",
        "--no-lock", // the example's npm packages stay out of the repository's lockfile
        "--allow-read",
        "--allow-write", // miniflare's scratch folder under the system's temp folder
        "--allow-env",
        "--allow-run", // esbuild and workerd
        "--allow-net=127.0.0.1",
        "examples/durable_account/main.ts",
        "--json",
      ],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!success) throw new Error(`the example failed:\n${decode(stderr)}`);
  return JSON.parse(decode(stdout));
}

/** What each variant promises, in every run. */
function assertCorrect(rows: readonly Row[]): void {
  assert.equal(rows.length, 6, "three variants, each with a timer and with a fetch()");
  for (const row of rows.filter((row) => row.variant !== "plain")) {
    const label = `${row.variant} (${row.via})`;
    assert.deepEqual(
      [...row.results].sort(),
      [false, true],
      `${label}: exactly one withdrawal passes`,
    );
    assert.equal(row.balance, 20, `${label}: the balance`);
  }
}

/** What depends on timing: the double spend, and who waits. Returns what did not hold. */
function timingMisses(rows: readonly Row[]): string[] {
  const misses: string[] = [];
  for (const row of rows) {
    const label = `${row.variant} (${row.via})`;
    const awaited = AWAITED_MS[row.via];
    if (row.variant === "plain" && !row.results.every(Boolean)) {
      misses.push(`${label}: no double spend (results ${row.results.join(", ")})`);
    }
    if (row.variant === "blocking" && row.pingMs < awaited - 10) {
      misses.push(`${label}: the ping waited ${row.pingMs.toFixed(0)} ms, not >= ${awaited - 10}`);
    }
    if (row.variant !== "blocking" && row.pingMs >= awaited / 2) {
      misses.push(`${label}: the ping waited ${row.pingMs.toFixed(0)} ms, not < ${awaited / 2}`);
    }
  }
  return misses;
}

Deno.test("Durable Object example: plain code double-spends, blockConcurrencyWhile stalls the object, a Desync does neither", async () => {
  const runs: string[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const rows = await runExample();
    assertCorrect(rows);
    const misses = timingMisses(rows);
    if (misses.length === 0) {
      for (const row of rows) {
        console.log(
          `${row.variant.padEnd(9)} ${row.via.padEnd(6)} results ${
            row.results.join(", ").padEnd(12)
          }` +
            ` balance ${row.balance}  ping waited ${row.pingMs.toFixed(0)} ms` +
            ` (idle ${row.idlePingMs.toFixed(0)} ms)  both took ${row.elapsedMs.toFixed(0)} ms`,
        );
      }
      return;
    }
    runs.push(`run ${run}:\n  ${misses.join("\n  ")}`);
  }
  assert.fail(`the timing did not show in ${RUNS} runs:\n${runs.join("\n")}`);
});
