// Copyright 2026 the desync authors. MIT license.
// The engine of the one-process benchmarks (bench/mixed.ts, bench/primitives.ts):
// scenarios of cases, calibrated samples, rounds with the case order rotated,
// and the figures per case (median, IQR, ratios to the floor and the baseline
// taken round by round). The method is described at the top of bench/mixed.ts.

import { mixedRows, thousands } from "./_format.ts";
import { pairedSpreadByRound, type Spread, spread } from "./_stats.ts";

/** What a case is in its scenario. */
export type Role = "floor" | "baseline" | "desync" | "comparator";

/** One case: a library doing the scenario's work once (one run). */
export interface Case {
  /** "<library> · <API used>", or "desync: …" for this library's cases. */
  name: string;
  /** npm name, "desync", "floor", or the baseline's name ("promise chain", "hand-rolled"). */
  library: string;
  role: Role;
  /** One run: all the scenario's jobs, checked. Returns a promise when it must be awaited. */
  run: () => Promise<void> | void;
}

export interface Scenario {
  /** For `--only`. */
  id: string;
  title: string;
  /** Jobs per run. */
  jobs: number;
  cases: Case[];
}

/** One case's figures. */
export interface MixedCase {
  name: string;
  library: string;
  role: Role;
  runsPerSample: number;
  /** ns per job of each sample, in round order. */
  samples: number[];
  /** The round (0-based, warm-up not counted) of each sample: all, unless the case is slow. */
  sampledRounds: number[];
  /** Of `samples`. */
  nsPerJob: Spread;
  /** This case's time ÷ the floor's, round by round (1 for the floor itself). */
  vsFloor: Spread;
  /** This case's time ÷ the baseline's (the promise chain, a hand-rolled primitive), round by
   * round, when the scenario has one. */
  vsBaseline?: Spread;
}

/** One scenario's figures. */
export interface MixedScenario {
  id: string;
  title: string;
  jobsPerRun: number;
  cases: MixedCase[];
}

/**
 * What a one-process benchmark prints with `--json`: bench/mixed.ts's is kept
 * as `mixed` in docs/benchmarks.json, bench/primitives.ts's (with notes) as
 * `primitives`.
 */
export interface MixedResults {
  mode: "full" | "smoke";
  rounds: number;
  warmupRounds: number;
  /** The runs per sample of most cases (`--runs`). */
  runsPerSample: number;
  /** A slower case takes fewer runs, so that a sample lasts about this long, at most. */
  sampleMs: number;
  /** A faster case takes more runs, so that a sample lasts at least this long. */
  minSampleMs: number;
  /** A case whose one run lasts longer than this… */
  slowMs: number;
  /** …is sampled in this many of the rounds only. */
  slowRounds: number;
  /** Whether a full GC ran before each sample (`--gc`, a diagnostic; not by default). */
  gcBetweenSamples: boolean;
  /** Wall-clock time of the whole run. */
  seconds: number;
  scenarios: MixedScenario[];
}

// ------------------------------------------------------------------ options

/** The command-line options every one-process benchmark takes (see bench/mixed.ts). */
export interface Options {
  smoke: boolean;
  json: boolean;
  rounds: number;
  runs: number;
  sampleMs: number;
  minSampleMs: number;
  warmup: number;
  slowMs: number;
  slowRounds: number;
  gc: boolean;
  only: string[] | undefined;
}

/** Parses the options; throws on an unknown one. */
export function parseOptions(args: string[]): Options {
  const smoke = args.includes("--smoke");
  const options: Options = {
    smoke,
    json: args.includes("--json"),
    rounds: smoke ? 3 : 11,
    runs: smoke ? 2 : 40,
    sampleMs: 250,
    minSampleMs: smoke ? 0 : 50,
    warmup: smoke ? 0 : 1,
    slowMs: 1_000,
    slowRounds: 3,
    gc: args.includes("--gc"),
    only: undefined,
  };
  for (const arg of args) {
    const match = arg.match(
      /^--(rounds|runs|sample-ms|min-sample-ms|warmup|slow-ms|slow-rounds|only)=(.+)$/,
    );
    if (match === null) {
      if (!["--smoke", "--json", "--gc"].includes(arg)) throw new Error(`unknown argument ${arg}`);
      continue;
    }
    const [, key, value] = match;
    if (key === "only") {
      options.only = value.split(",");
      continue;
    }
    const number = Number(value);
    if (
      !Number.isInteger(number) || number < (key === "warmup" || key === "min-sample-ms" ? 0 : 1)
    ) {
      throw new Error(`--${key} needs a whole number, got ${value}`);
    }
    if (key === "rounds") options.rounds = number;
    else if (key === "runs") options.runs = number;
    else if (key === "sample-ms") options.sampleMs = number;
    else if (key === "min-sample-ms") options.minSampleMs = number;
    else if (key === "slow-ms") options.slowMs = number;
    else if (key === "slow-rounds") options.slowRounds = number;
    else options.warmup = number;
  }
  if (options.gc && gc === undefined) throw new Error("--gc needs --v8-flags=--expose-gc");
  return options;
}

// ---------------------------------------------------------------- measuring

const gc = (globalThis as { gc?: () => void }).gc;

/** Lets timers and I/O run: whatever a case left pending settles before the next sample. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Times `runs` consecutive runs of a case; milliseconds. `collect`: a full GC first. */
async function time(c: Case, runs: number, collect: boolean): Promise<number> {
  if (collect) gc!();
  await turn();
  const start = performance.now();
  for (let r = 0; r < runs; r++) {
    const pending = c.run();
    if (pending !== undefined) await pending;
  }
  return performance.now() - start;
}

/** Runs per sample for a case whose one run takes `runMs` (see "Method"). */
function runsFor(runMs: number, options: Options): number {
  const { runs, sampleMs, minSampleMs } = options;
  if (runs * runMs > sampleMs) return Math.max(1, Math.floor(sampleMs / runMs));
  if (runs * runMs < minSampleMs) return Math.min(runs * 100, Math.ceil(minSampleMs / runMs));
  return runs;
}

/** Writes progress to stderr (stdout carries the results). */
export function progress(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

/**
 * Measures the scenarios (those `--only` names, if given) round by round;
 * see "Method" at the top of bench/mixed.ts. `label` prefixes the progress
 * lines.
 */
export async function measureRounds(
  label: string,
  scenarios: Scenario[],
  options: Options,
): Promise<MixedResults> {
  const started = performance.now();
  const all = scenarios.filter((s) => options.only === undefined || options.only.includes(s.id));
  if (all.length === 0) throw new Error(`--only matched no scenario`);
  const runs = new Map<Case, number>();
  const collect = options.gc;

  progress(`${label}: calibrating\n`);
  /** Cases sampled in some rounds only (see "Method"). */
  const slow = new Set<Case>();
  for (const scenario of all) {
    for (const c of scenario.cases) {
      const cold = await time(c, 1, false); // compiles it
      const ms = cold > options.slowMs ? cold : await time(c, 1, collect);
      runs.set(c, runsFor(ms, options));
      if (ms > options.slowMs) slow.add(c);
    }
  }
  const slowRounds = new Set<number>();
  const slowCount = Math.min(options.slowRounds, options.rounds);
  for (let i = 0; i < slowCount; i++) {
    slowRounds.add(Math.floor(((i + 0.5) * options.rounds) / slowCount));
  }

  const samples = new Map<Case, { samples: number[]; sampledRounds: number[] }>(
    all.flatMap((s) => s.cases.map((c) => [c, { samples: [], sampledRounds: [] }])),
  );
  const total = options.warmup + options.rounds;
  for (let r = 0; r < total; r++) {
    const warmup = r < options.warmup;
    const round = r - options.warmup;
    const t0 = performance.now();
    for (const scenario of all) {
      const { cases, jobs } = scenario;
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + r) % cases.length];
        if (slow.has(c) && (warmup || !slowRounds.has(round))) continue;
        const n = runs.get(c)!;
        const ms = await time(c, n, collect);
        if (warmup) {
          runs.set(c, runsFor(ms / n, options));
        } else {
          const own = samples.get(c)!;
          own.samples.push((ms * 1e6) / (n * jobs));
          own.sampledRounds.push(round);
        }
      }
    }
    progress(
      `${label}: ${warmup ? "warm-up round" : "round"} ${warmup ? r + 1 : round + 1}/${
        warmup ? options.warmup : options.rounds
      } (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  }

  const results: MixedScenario[] = all.map((scenario) => {
    const floor = samples.get(scenario.cases.find((c) => c.role === "floor")!)!;
    const baselineCase = scenario.cases.find((c) => c.role === "baseline");
    const baseline = baselineCase === undefined ? undefined : samples.get(baselineCase)!;
    return {
      id: scenario.id,
      title: scenario.title,
      jobsPerRun: scenario.jobs,
      cases: scenario.cases.map((c): MixedCase => {
        const own = samples.get(c)!;
        return {
          name: c.name,
          library: c.library,
          role: c.role,
          runsPerSample: runs.get(c)!,
          samples: own.samples,
          sampledRounds: own.sampledRounds,
          nsPerJob: spread(own.samples),
          vsFloor: pairedSpreadByRound(own, floor),
          ...(baseline === undefined ? {} : { vsBaseline: pairedSpreadByRound(own, baseline) }),
        };
      }),
    };
  });
  return {
    mode: options.smoke ? "smoke" : "full",
    rounds: options.rounds,
    warmupRounds: options.warmup,
    runsPerSample: options.runs,
    sampleMs: options.sampleMs,
    minSampleMs: options.minSampleMs,
    slowMs: options.slowMs,
    slowRounds: Math.min(options.slowRounds, options.rounds),
    gcBetweenSamples: collect,
    seconds: (performance.now() - started) / 1000,
    scenarios: results,
  };
}

/** The readable table: per scenario, columns aligned. */
export function formatText(results: MixedResults): string {
  const lines: string[] = [];
  for (const scenario of results.scenarios) {
    const rows = mixedRows(scenario);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    lines.push(`${scenario.title} (${thousands(scenario.jobsPerRun)} jobs per run)`);
    for (const row of rows) {
      lines.push(
        row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
          .join("  ").trimEnd(),
      );
    }
    lines.push("");
  }
  lines.push(
    `${results.rounds} rounds (+${results.warmupRounds} warm-up); ${results.runsPerSample} runs ` +
      `per sample, fewer if that lasts over ${results.sampleMs} ms, more if under ` +
      `${results.minSampleMs} ms; cases whose one run lasts over ${results.slowMs} ms sampled ` +
      `in ${results.slowRounds} rounds${
        results.gcBetweenSamples ? "; a full GC before each sample" : ""
      }; ${results.seconds.toFixed(0)} s in all`,
  );
  return lines.join("\n");
}
