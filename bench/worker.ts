// Copyright 2026 the desync authors. MIT license.
// Worker objects: what a call costs, side by side with a raw postMessage
// round trip, in one process (issue 12's first figures; not wired into
// bench/report.ts yet).
//
//   deno run --allow-read=. bench/worker.ts [--rounds=7]
//   bun bench/worker.ts
//   node: bundle first (Node 20 runs no .ts, and the worker entry must be a
//   file of its own):
//     B=runtimes/node_modules/.bin/esbuild; O=/tmp/desync-bench
//     $B --bundle --format=esm --platform=node tests/fixtures/counter.worker.ts \
//       --outfile=$O/counter.worker.mjs
//     $B --bundle --format=esm --platform=node bench/worker.ts --outfile=$O/worker.mjs
//     DESYNC_BENCH_ENTRY=file://$O/counter.worker.mjs node $O/worker.mjs
//
// Cases, each a median [min..max] over alternating rounds (the machine is
// shared: rounds alternate the variants so that drift hits both):
//   round trip   1,000 awaited calls one at a time: futureSync("get") vs a
//                raw echo worker (one postMessage each way, nothing else)
//   sync         1,000 blocking sync("get") calls (issue 12's target: <= 40 us)
//   burst        100,000 desync("add") on one object, then one futureSync
//   many         1,000 objects x 100 desync("add"), then a futureSync each
// Pool of 2 workers; the workers are started and warm before measuring.

import { WorkerPool } from "../worker.ts";
import type { Api } from "../tests/fixtures/counter.worker.ts";
import { env, fmt, median, option, runtime, scriptWorker } from "./_worker_shared.ts";

const ROUNDS = Number(option("rounds") ?? 7);
let entry: URL;
try {
  entry = new URL(
    env("DESYNC_BENCH_ENTRY") ?? "../tests/fixtures/counter.worker.ts",
    import.meta.url,
  );
} catch {
  entry = new URL("../tests/fixtures/counter.worker.ts", import.meta.url);
}

/** An echo worker with nothing of ours in it: the floor for a round trip. */
function echoWorker() {
  let resolve: (value: unknown) => void = () => {};
  const worker = scriptWorker("onMessage(reply);", (m) => resolve(m));
  return {
    roundTrip: () => new Promise((r) => ((resolve = r), worker.post([1, 2, "get"]))),
    stop: () => worker.stop(),
  };
}

const pool = new WorkerPool<Api>(entry, { size: 2 });
const echo = echoWorker();
const one = pool.create("Counter", 0);
const many = Array.from({ length: 1000 }, (_, i) => pool.create("Counter", i));
await Promise.all([one.ready, ...many.map((o) => o.ready), echo.roundTrip()]);

const results: Record<string, number[]> = {
  raw: [],
  futureSync: [],
  sync: [],
  burst: [],
  many: [],
};
const cases: [string, () => Promise<number>][] = [
  ["raw", async () => {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) await echo.roundTrip();
    return (performance.now() - start); // ms per 1,000 = us per call
  }],
  ["futureSync", async () => {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) await one.futureSync("get");
    return (performance.now() - start);
  }],
  ["sync", () => {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) one.sync("get");
    return Promise.resolve(performance.now() - start);
  }],
  ["burst", async () => {
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) one.desync("add", 1);
    await one.futureSync("get");
    return 100_001 / (performance.now() - start); // k jobs/s
  }],
  ["many", async () => {
    const start = performance.now();
    for (const object of many) for (let i = 0; i < 100; i++) object.desync("add", 1);
    await Promise.all(many.map((object) => object.futureSync("get")));
    return 101_000 / (performance.now() - start);
  }],
];
for (const [, measure] of cases) await measure(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = cases.slice(round % cases.length).concat(cases.slice(0, round % cases.length));
  for (const [name, measure] of order) results[name].push(await measure());
}
await echo.stop();
await pool.close();

console.log(`${runtime}, pool of 2, ${ROUNDS} rounds (median [min..max])`);
console.log(`  raw postMessage round trip     ${fmt(results.raw, "us")}`);
console.log(
  `  awaited futureSync round trip  ${fmt(results.futureSync, "us")}  (${
    (median(results.futureSync) / median(results.raw)).toFixed(2)
  }x raw)`,
);
console.log(`  blocking sync round trip       ${fmt(results.sync, "us")}`);
console.log(`  desync burst, one object       ${fmt(results.burst, "k jobs/s", 0)}`);
console.log(`  1,000 objects x 100 jobs       ${fmt(results.many, "k jobs/s", 0)}`);
