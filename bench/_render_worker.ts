// Copyright 2026 the desync authors. MIT license.
// The worker objects' figures as text (bench/worker.ts, one run per runtime):
// the workers issue's targets (whether each is met is computed from the run,
// never hard-coded), the report's section and its chart panel. Pure: the same
// results always give the same text.

import { escapeMd, type Panel, ratioText, type TargetRow, targetTable } from "./_format.ts";
import type { Spread } from "./_stats.ts";

/** What bench/worker.ts measures on one runtime (`--json`). */
export interface WorkerRun {
  /** "Deno 2.x", "Node v20.x", "Bun 1.x". */
  runtime: string;
  rounds: number;
  smoke: boolean;
  /** Jobs per burst, and objects of the many-objects case (100 jobs each): fewer in smoke runs. */
  burst: number;
  objects: number;
  /** A raw postMessage echo, awaited one at a time: µs per call. */
  roundTripUs: Spread;
  /** futureSync("get") on one object, awaited one at a time: µs per call. */
  futureSyncUs: Spread;
  /** futureSync's time ÷ the raw round trip's, round by round. */
  futureSyncVsRaw: Spread;
  /** Blocking sync("get"): µs per call. */
  syncUs: Spread;
  /** desync("add") bursts on one object: thousands of jobs per second. */
  burstKps: Spread;
  /** 1,000 objects × 100 desync("add"), then a futureSync each: thousands of jobs per second. */
  manyKps: Spread;
  /** Items per pipe run (fewer in smoke runs). */
  pipeItems: number;
  /** A bare worker counting numbers posted in batches of 64: millions of items per second. */
  oneWayMps: Spread;
  /** pipeIn(object, numbers, "add"): millions of items per second. */
  pipeInMps: Spread;
  /** pipe(object, numbers, "addAndGet"), every result read: millions of items per second. */
  pipeMps: Spread;
}

/** The worker runs of a report, and the runtimes that did not run (why). */
export interface WorkerResults {
  runs: WorkerRun[];
  notes: string[];
}

// The targets of the worker objects issue (section "Performance").
/** An awaited futureSync ÷ the raw round trip, at most. */
const ROUND_TRIP = 1.3;
/** Blocking sync, µs per call, at most. */
const SYNC_US = 40;
/** A desync() burst on one object, k jobs/s, at least (Bun: BURST_BUN). */
const BURST = 500;
const BURST_BUN = 800;
/** 1,000 objects × 100 jobs, k jobs/s, at least. */
const MANY = 1000;
/** A cross-thread pipe, M items/s, at least. */
const PIPE = 1;

const burstTarget = (run: WorkerRun) => run.runtime.startsWith("Bun") ? BURST_BUN : BURST;
const kNumber = (kps: number) => Math.round(kps).toLocaleString("en-US");
const k = (kps: number) => `${kNumber(kps)} k jobs/s`;
const usText = (x: number) => `${x.toFixed(1)} µs`;
const m = (mps: number) => `${mps.toFixed(2)} M items/s`;

/** The issue's targets, per runtime, from the run's figures. */
export function workerTargets(results: WorkerResults): TargetRow[] {
  return results.runs.flatMap((run) => [
    {
      target: `${run.runtime}: awaited futureSync ≤ ${ROUND_TRIP}× the raw round trip`,
      measured: `${ratioText(run.futureSyncVsRaw.median)} (IQR ${
        run.futureSyncVsRaw.q1.toFixed(2)
      }–${ratioText(run.futureSyncVsRaw.q3)}); medians ${usText(run.futureSyncUs.median)} and ${
        usText(run.roundTripUs.median)
      }`,
      met: run.futureSyncVsRaw.median <= ROUND_TRIP,
    },
    {
      target: `${run.runtime}: blocking sync ≤ ${SYNC_US} µs`,
      measured: usText(run.syncUs.median),
      met: run.syncUs.median <= SYNC_US,
    },
    {
      target: `${run.runtime}: desync burst on one object ≥ ${k(burstTarget(run))}`,
      measured: k(run.burstKps.median),
      met: run.burstKps.median >= burstTarget(run),
    },
    {
      target: `${run.runtime}: ${kNumber(run.objects)} objects × 100 jobs ≥ ${k(MANY)}`,
      measured: k(run.manyKps.median),
      met: run.manyKps.median >= MANY,
    },
    {
      target: `${run.runtime}: pipeIn across the thread ≥ ${m(PIPE)}`,
      measured: m(run.pipeInMps.median),
      met: run.pipeInMps.median >= PIPE,
    },
    {
      target: `${run.runtime}: pipe across the thread, every result read, ≥ ${m(PIPE)}`,
      measured: m(run.pipeMps.median),
      met: run.pipeMps.median >= PIPE,
    },
  ]);
}

/** The report's section on worker objects (docs/benchmarks.md). */
export function workerMarkdown(results: WorkerResults): string[] {
  const runs = results.runs;
  const cell = (s: Spread, number: (x: number) => string, unit: string) =>
    `${number(s.median)}${unit} (IQR ${number(s.q1)}–${number(s.q3)})`;
  const us = (x: number) => x.toFixed(1);
  const ratio = (x: number) => x.toFixed(2);
  const row = (name: string, value: (run: WorkerRun) => string) =>
    `| ${name} | ${runs.map(value).join(" | ")} |`;
  const first = runs[0];
  const lines = [
    "## Worker objects: a call's cost, on Deno, Node and Bun",
    "",
    "`bench/worker.ts`, one process per runtime (Node and Bun run its esbuild bundle), a pool of 2",
    "workers started and warmed before measuring; the cases run in an order that rotates round by",
    "round, after a warm-up round; median and IQR over the rounds " +
    `(${runs.map((r) => `${r.runtime}: ${r.rounds}`).join(", ")}).`,
    "The raw round trip is an echo worker with nothing of desync in it: one postMessage each way,",
    "awaited one at a time; “× raw” is futureSync's time ÷ the raw round trip's in the same round.",
    "What each case does is written at the top of `bench/worker.ts`.",
    "",
  ];
  if (runs.length > 0) {
    lines.push(
      `| case | ${runs.map((r) => escapeMd(r.runtime)).join(" | ")} |`,
      `| --- | ${runs.map(() => "---").join(" | ")} |`,
      row("raw postMessage round trip, µs", (r) => cell(r.roundTripUs, us, "")),
      row("awaited futureSync, one object, µs", (r) => `**${cell(r.futureSyncUs, us, "")}**`),
      row("futureSync × raw, round by round", (r) => cell(r.futureSyncVsRaw, ratio, "×")),
      row("blocking sync, µs", (r) => cell(r.syncUs, us, "")),
      row(
        `desync burst on one object (${kNumber(first.burst)} jobs), k jobs/s`,
        (r) => cell(r.burstKps, kNumber, ""),
      ),
      row(
        `${kNumber(first.objects)} objects × 100 jobs, k jobs/s`,
        (r) => cell(r.manyKps, kNumber, ""),
      ),
      row(
        `raw one-way, batches of 64 (${kNumber(first.pipeItems)} numbers), M items/s`,
        (r) => cell(r.oneWayMps, ratio, ""),
      ),
      row("pipeIn into one object, M items/s", (r) => cell(r.pipeInMps, ratio, "")),
      row("pipe, every result read, M items/s", (r) => cell(r.pipeMps, ratio, "")),
      "",
      "### Targets (from the worker objects issue)",
      "",
      ...targetTable(workerTargets(results)),
      "",
    );
  }
  if (results.notes.length > 0) {
    lines.push("### Not run", "", ...results.notes.map((note) => `- ${escapeMd(note)}`), "");
  }
  return lines;
}

/**
 * The chart's panel: per runtime, each figure as a cost relative to its
 * target (time ÷ target, or target ÷ throughput), so that under 1× meets it.
 */
export function workerPanel(results: WorkerResults): Panel {
  return {
    heading: "Worker objects (pool of 2): each figure ÷ its target, as a cost",
    subtitle:
      "futureSync ÷ raw round trip ÷ 1.3; sync µs ÷ 40; target ÷ throughput for the bursts and pipes; " +
      "under 1× meets the target; log scale",
    span: [0.3, 3],
    charts: results.runs.map((run) => ({
      title: `${run.runtime} · raw round trip ${usText(run.roundTripUs.median)}`,
      bars: [
        {
          label: "futureSync × raw",
          library: "desync",
          ratio: run.futureSyncVsRaw.median / ROUND_TRIP,
          text: `${ratioText(run.futureSyncVsRaw.median)} raw · ${usText(run.futureSyncUs.median)}`,
        },
        {
          label: "blocking sync",
          library: "desync",
          ratio: run.syncUs.median / SYNC_US,
          text: usText(run.syncUs.median),
        },
        {
          label: "burst, one object",
          library: "desync",
          ratio: burstTarget(run) / run.burstKps.median,
          text: k(run.burstKps.median),
        },
        {
          label: "1,000 × 100 jobs",
          library: "desync",
          ratio: MANY / run.manyKps.median,
          text: k(run.manyKps.median),
        },
        {
          label: "pipeIn",
          library: "desync",
          ratio: PIPE / run.pipeInMps.median,
          text: m(run.pipeInMps.median),
        },
        {
          label: "pipe, results read",
          library: "desync",
          ratio: PIPE / run.pipeMps.median,
          text: m(run.pipeMps.median),
        },
      ].filter((bar) => Number.isFinite(bar.ratio) && bar.ratio > 0),
    })),
  };
}
