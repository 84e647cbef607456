// Copyright 2026 the desync authors. MIT license.
// Worker objects: what a call costs, side by side with a raw postMessage
// round trip, in one process. bench/report.ts runs it on Deno, Node and Bun
// (`--json`; `--smoke` in smoke mode) and renders it (bench/_render_worker.ts).
//
//   deno run --allow-read=. bench/worker.ts [--rounds=7] [--smoke] [--json]
//   bun bench/worker.ts
//   node: bundle first (Node 20 runs no .ts, and the worker entry must be a
//   file of its own; bench/report.ts does this into .bench-out/worker/):
//     B=runtimes/node_modules/.bin/esbuild; O=/tmp/desync-bench
//     $B --bundle --format=esm --platform=node tests/fixtures/counter.worker.ts \
//       --outfile=$O/counter.worker.mjs
//     $B --bundle --format=esm --platform=node bench/worker.ts --outfile=$O/worker.mjs
//     DESYNC_BENCH_ENTRY=file://$O/counter.worker.mjs node $O/worker.mjs
//
// Cases, each a median [min..max] over rounds that rotate the cases' order
// (the machine is shared: drift hits every case), after one warm-up round:
//   round trip   1,000 awaited calls one at a time, on one object: futureSync("get")
//                vs a raw echo worker (one postMessage each way, nothing else);
//                the ratio is taken round by round
//   sync         1,000 blocking sync("get") calls
//   burst        100,000 desync("add") on one object, then one futureSync
//   many         1,000 objects x 100 desync("add"), then a futureSync each
//   raw one-way  1,000,000 numbers posted to a bare worker in messages of 64,
//                then one reply: the floor a pipe cannot beat
//   pipeIn       pipeIn(object, 1,000,000 numbers, "add") (target: >= 1 M/s)
//   pipe         pipe(object, 1,000,000 numbers, "addAndGet"), every result read
//   (--pipe-batch=N sets the pipes' `batch`, default the library's: 64;
//   --pipe-items=N the item count)
// Pool of 2 workers; the workers are started and warm before measuring.
// `--smoke`: 2 rounds of tenth-size cases (it checks that the cases run, it
// measures nothing).

import { WorkerPool } from "../worker.ts";
import { pipe, pipeIn } from "../pipe.ts";
import type { Api } from "../tests/fixtures/counter.worker.ts";
import { args, env, fmt, median, option, runtime, scriptWorker } from "./_worker_shared.ts";
import { spread } from "./_stats.ts";
import type { WorkerRun } from "./_render_worker.ts";

const SMOKE = args.includes("--smoke");
const JSON_OUT = args.includes("--json");
const ROUNDS = Number(option("rounds") ?? (SMOKE ? 2 : 7));
const SCALE = SMOKE ? 10 : 1;
const CALLS = 1000 / SCALE;
const BURST = 100_000 / SCALE;
const OBJECTS = 1000 / SCALE;
const JOBS = 100;

const PIPE_ITEMS = Number(option("pipe-items") ?? 1_000_000 / SCALE);
const PIPE_BATCH = option("pipe-batch") === undefined ? undefined : Number(option("pipe-batch"));
const pipeOptions = PIPE_BATCH === undefined ? {} : { batch: PIPE_BATCH };
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

/** A bare worker that counts the numbers posted to it, and answers an empty message. */
function countingWorker() {
  let resolve: (value: unknown) => void = () => {};
  const worker = scriptWorker(
    "let n = 0; onMessage((m) => { n += m.length; if (m.length === 0) reply(n); });",
    (m) => resolve(m),
  );
  return {
    /** Posts `count` numbers in messages of 64, then waits for the worker to have them all. */
    oneWay: (count: number) =>
      new Promise((r) => {
        resolve = r;
        for (let i = 0; i < count; i += 64) {
          const batch = [];
          for (let k = i; k < i + 64 && k < count; k++) batch.push(k);
          worker.post(batch);
        }
        worker.post([]);
      }),
    stop: () => worker.stop(),
  };
}

function* numbers(count: number) {
  for (let n = 0; n < count; n++) yield n;
}

const pool = new WorkerPool<Api>(entry, { size: 2 });
const echo = echoWorker();
const counting = countingWorker();
const one = pool.create("Counter", 0);
const many = Array.from({ length: OBJECTS }, (_, i) => pool.create("Counter", i));
await Promise.all([one.ready, ...many.map((o) => o.ready), echo.roundTrip()]);

type Case = "raw" | "futureSync" | "sync" | "burst" | "many" | "oneWay" | "pipeIn" | "pipe";
const results: Record<Case, number[]> = {
  raw: [],
  futureSync: [],
  sync: [],
  burst: [],
  many: [],
  oneWay: [],
  pipeIn: [],
  pipe: [],
};
const us = (start: number) => (performance.now() - start) * 1000 / CALLS;
const cases: [Case, () => Promise<number>][] = [
  ["raw", async () => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) await echo.roundTrip();
    return us(start);
  }],
  ["futureSync", async () => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) await one.futureSync("get");
    return us(start);
  }],
  ["sync", () => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) one.sync("get");
    return Promise.resolve(us(start));
  }],
  ["burst", async () => {
    const start = performance.now();
    for (let i = 0; i < BURST; i++) one.desync("add", 1);
    await one.futureSync("get");
    return (BURST + 1) / (performance.now() - start); // k jobs/s
  }],
  ["many", async () => {
    const start = performance.now();
    for (const object of many) for (let i = 0; i < JOBS; i++) object.desync("add", 1);
    await Promise.all(many.map((object) => object.futureSync("get")));
    return OBJECTS * (JOBS + 1) / (performance.now() - start);
  }],
  ["oneWay", async () => {
    const start = performance.now();
    await counting.oneWay(PIPE_ITEMS);
    return PIPE_ITEMS / (performance.now() - start) / 1000; // M items/s
  }],
  ["pipeIn", async () => {
    const start = performance.now();
    await pipeIn(one, numbers(PIPE_ITEMS), "add", pipeOptions);
    return PIPE_ITEMS / (performance.now() - start) / 1000;
  }],
  ["pipe", async () => {
    const start = performance.now();
    const reader = pipe(one, numbers(PIPE_ITEMS), "addAndGet", pipeOptions).getReader();
    while (!(await reader.read()).done) { /* every result read */ }
    return PIPE_ITEMS / (performance.now() - start) / 1000;
  }],
];
for (const [, measure] of cases) await measure(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = cases.slice(round % cases.length).concat(cases.slice(0, round % cases.length));
  for (const [name, measure] of order) results[name].push(await measure());
}
await echo.stop();
await counting.stop();
await pool.close();

const vsRaw = results.futureSync.map((x, i) => x / results.raw[i]);
if (JSON_OUT) {
  const run: WorkerRun = {
    runtime,
    rounds: ROUNDS,
    smoke: SMOKE,
    burst: BURST,
    objects: OBJECTS,
    roundTripUs: spread(results.raw),
    futureSyncUs: spread(results.futureSync),
    futureSyncVsRaw: spread(vsRaw),
    syncUs: spread(results.sync),
    burstKps: spread(results.burst),
    manyKps: spread(results.many),
    pipeItems: PIPE_ITEMS,
    oneWayMps: spread(results.oneWay),
    pipeInMps: spread(results.pipeIn),
    pipeMps: spread(results.pipe),
  };
  console.log(JSON.stringify(run));
} else {
  console.log(`${runtime}, pool of 2, ${ROUNDS} rounds (median [min..max])`);
  console.log(`  raw postMessage round trip     ${fmt(results.raw, "us")}`);
  console.log(
    `  awaited futureSync round trip  ${fmt(results.futureSync, "us")}  (${
      median(vsRaw).toFixed(2)
    }x raw, round by round)`,
  );
  console.log(`  blocking sync round trip       ${fmt(results.sync, "us")}`);
  console.log(`  desync burst, one object       ${fmt(results.burst, "k jobs/s", 0)}`);
  console.log(`  ${OBJECTS} objects x ${JOBS} jobs        ${fmt(results.many, "k jobs/s", 0)}`);
  console.log(
    `  raw one-way, batches of 64     ${
      fmt(results.oneWay, "M items/s", 2)
    }  (${PIPE_ITEMS} items)`,
  );
  for (const name of ["pipeIn", "pipe"] as const) {
    console.log(
      `  ${name.padEnd(6)} (batch ${PIPE_BATCH ?? "default"})`.padEnd(32) +
        ` ${fmt(results[name], "M items/s", 2)}  (${
          (median(results[name]) / median(results.oneWay)).toFixed(2)
        }x raw one-way; target >= 1 M items/s)`,
    );
  }
}
