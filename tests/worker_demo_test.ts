// Copyright 2026 the desync authors. MIT license.
// The workers demo's claims (examples/workers/main.ts). What the library
// controls is checked with bounds that hold on a busy machine: on the main
// thread the 4 jobs run one at a time and stall timers for a whole job;
// on 2 workers they run two at a time and the main thread's timers keep
// running. The speed-up itself needs two idle cores, which a shared CI
// machine does not always have (measured: 0.91x while another suite ran,
// 1.85-1.87x idle): it is printed, not asserted; what the library controls
// is that the jobs run side by side, which the concurrency figure shows
// whether or not the second core is free.

import assert from "node:assert/strict";
import { run } from "../examples/workers/main.ts";

Deno.test("worker: the workers demo's concurrency, event-loop stalls and speed-up", async () => {
  const outcome = await run();
  const figures = JSON.stringify(outcome);
  assert.ok(outcome.main.concurrency < 1.2, `main thread: one job at a time: ${figures}`);
  assert.ok(outcome.workers.concurrency > 1.6, `2 workers: two jobs at a time: ${figures}`);
  // A job on the main thread stalls timers for about its whole length (the
  // jobs' length itself depends on the machine's load at calibration).
  const mainJob = outcome.main.elapsed / 4;
  assert.ok(outcome.main.longestStall >= 0.6 * mainJob, `main-thread stall: ${figures}`);
  assert.ok(outcome.workers.longestStall < 50, `stall beside the workers: ${figures}`);
  // The speed-up is the hardware's share: printed, not asserted (see above).
  console.log(`worker demo: speed-up ${outcome.speedUp.toFixed(2)}x`);
});
