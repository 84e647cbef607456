// Copyright 2026 the desync authors. MIT license.
/**
 * Worker objects in one program: four objects each get one CPU-heavy job of
 * about 200 ms, first as local `Desync`s on the main thread, then as
 * `WorkerDesync`s on a pool of two workers. A 1 ms timer measures how long
 * the main thread's event loop stalls meanwhile. It prints both timings, the
 * speed-up, and the longest stall each way:
 *
 * - main thread: the jobs run one after another (about 4 x 200 ms), and each
 *   one blocks timers and I/O for its whole 200 ms (the scheduler can only
 *   yield between jobs);
 * - workers: the jobs run two at a time, beside the main thread, whose event
 *   loop stays responsive.
 *
 * Run: deno task demo:workers   (needs --allow-read: Deno reads the worker
 * entry file like any module)
 *
 * @module
 */

import { Desync } from "../../mod.ts";
import { WorkerPool } from "../../worker.ts";
import { calibrate, Cruncher } from "./cruncher.ts";
import type { Api } from "./cruncher.worker.ts";

/** What one run measured. */
export interface Measured {
  /** Wall time of the four jobs, in milliseconds. */
  elapsed: number;
  /** The event loop's longest stall meanwhile, in milliseconds. */
  longestStall: number;
  /**
   * How many jobs ran at once, on average: the jobs' own durations added up,
   * over the wall time. About 1 when they run one after another; about the
   * number of workers when they run side by side, even on a machine so busy
   * that the side-by-side jobs share one core (each then takes longer).
   */
  concurrency: number;
}

/** What the demo measured both ways. */
export interface Outcome {
  iterations: number;
  main: Measured;
  workers: Measured;
  speedUp: number;
}

/** Runs `work` (which times each job) while a 1 ms timer chain watches the event loop. */
async function watched(work: () => Promise<[number, number][]>): Promise<Measured> {
  let longestStall = 0;
  let last = performance.now();
  let watching = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - last);
    last = now;
    if (watching) timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  const start = performance.now();
  const spans = await work();
  const elapsed = performance.now() - start;
  watching = false;
  clearTimeout(timer);
  const busy = spans.reduce((sum, [from, to]) => sum + (to - from), 0);
  return { elapsed, longestStall, concurrency: busy / elapsed };
}

/** Four objects, one job each, on the main thread, then on `workers` workers. */
export async function run(jobs = 4, jobMs = 200, workers = 2): Promise<Outcome> {
  const iterations = calibrate(jobMs);
  const locals = Array.from({ length: jobs }, () => new Desync(new Cruncher()));
  const main = await watched(() =>
    Promise.all(locals.map((object) => object.futureSync((c) => c.value.runTimed(iterations))))
  );
  await using pool = new WorkerPool<Api>(
    new URL("./cruncher.worker.ts", import.meta.url),
    { size: workers },
  );
  const remotes = Array.from({ length: jobs }, () => pool.create("Cruncher"));
  // Warm: the workers are started and their JIT has seen the loop once.
  await Promise.all(remotes.map((object) => object.futureSync("run", 1_000_000)));
  const inWorkers = await watched(() =>
    Promise.all(remotes.map((object) => object.futureSync("runTimed", iterations)))
  );
  return { iterations, main, workers: inWorkers, speedUp: main.elapsed / inWorkers.elapsed };
}

if (import.meta.main) {
  const outcome = await run();
  const show = (name: string, m: Measured) =>
    console.log(
      `${name.padEnd(22)} ${m.elapsed.toFixed(0).padStart(5)} ms; ` +
        `longest event-loop stall ${m.longestStall.toFixed(0)} ms`,
    );
  console.log(`4 objects x one ~200 ms job (${outcome.iterations} iterations each)`);
  show("main thread (Desync)", outcome.main);
  show("2 workers (WorkerDesync)", outcome.workers);
  console.log(
    `speed-up: ${outcome.speedUp.toFixed(2)}x (jobs running at once: ` +
      `${outcome.main.concurrency.toFixed(2)} on the main thread, ` +
      `${outcome.workers.concurrency.toFixed(2)} on the workers)`,
  );
}
