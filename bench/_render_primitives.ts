// Copyright 2026 the desync authors. MIT license.
// The primitives benchmark's figures as text: its targets (computed from the
// run, never hard-coded), the report's section and chart panel, and what
// bench/primitives.ts prints. Pure: the same results always give the same
// text.

import {
  escapeMd,
  headlineOf,
  medians,
  mixedMethod,
  mixedScenarioTable,
  nsText,
  type Panel,
  ratioText,
  roleOf,
  spreadText,
  type TargetRow,
  targetTable,
  thousands,
} from "./_format.ts";
import { formatText, type MixedCase, type MixedResults, type MixedScenario } from "./_rounds.ts";
import { pairedSpreadByRound, ratiosByRound } from "./_stats.ts";

/** What bench/primitives.ts measures: the one-process figures, with notes for the prose. */
export interface PrimitivesResults extends MixedResults {
  /** What the rows do not show (libraries not run, and why), for the report's prose. */
  notes: string[];
}

/** The libraries of the summary table and chart, in order. */
const LIBRARIES = [
  "floor",
  "hand-rolled",
  "desync",
  "hand-rolled + guard",
  "async-mutex",
  "effect",
  "ts-chan",
];

// The targets of the primitives issue ("Performance"). These thresholds are
// the targets themselves; whether each is met is computed from the run.
/** desync's time ÷ the hand-rolled baseline's, at most. */
const VS_BASELINE = 1.5;
/**
 * How much faster desync's time per aborted waiter may grow with the number
 * of waiters than the hand-rolled O(1) list's, at most.
 */
const ABORT_GROWTH = 1.5;

/** What one op of a scenario is: "waiter", "item" or "op". */
function unitOf(scenario: MixedScenario): string {
  return scenario.id.startsWith("abort")
    ? "waiter"
    : scenario.id.startsWith("channel")
    ? "item"
    : "op";
}

/** A desync case's name without the prefix. */
function shortName(c: MixedCase): string {
  return c.name.replace(/^desync:\s*/, "");
}

/** The primitives issue's targets, from the run's figures. */
export function primitivesTargets(results: MixedResults): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const scenario of results.scenarios) {
    const baseline = roleOf(scenario, "baseline");
    const per = unitOf(scenario);
    for (const ours of scenario.cases.filter((c) => c.role === "desync")) {
      if (baseline === undefined || ours.vsBaseline === undefined) continue;
      rows.push({
        target: `${scenario.title}: ${shortName(ours)} ≤ ${VS_BASELINE}× hand-rolled`,
        measured: `${spreadText(ours.vsBaseline)}; ${
          medians(ours.nsPerJob.median, baseline.nsPerJob.median, per)
        }`,
        met: ours.vsBaseline.median <= VS_BASELINE,
      });
    }
    const anchor = scenario.cases.find((c) => c.library === "async-mutex");
    if (anchor !== undefined) {
      const ours = headlineOf(scenario);
      const speed = pairedSpreadByRound(anchor, ours);
      rows.push({
        target: `${scenario.title}: ${shortName(ours)} faster than async-mutex`,
        measured: `${spreadText(speed)} as fast; ${
          medians(ours.nsPerJob.median, anchor.nsPerJob.median, per)
        }`,
        met: speed.median > 1,
      });
    }
  }
  const aborts = results.scenarios.filter((s) => s.id.startsWith("abort"))
    .sort((a, b) => a.jobsPerRun - b.jobsPerRun);
  if (aborts.length >= 2) rows.push(...linearityTargets(aborts[0], aborts[aborts.length - 1]));
  return rows;
}

/**
 * The abort targets' linearity: how much desync's time per waiter grows from
 * `fewer` waiters to `more`, divided by how much the hand-rolled list's grows
 * (its unlink is O(1) by construction, so what it gains per waiter is the
 * machine's: GC, caches), round by round. An O(n) scan on abort would make
 * it about `more ÷ fewer`.
 */
function linearityTargets(fewer: MixedScenario, more: MixedScenario): TargetRow[] {
  const rows: TargetRow[] = [];
  const [baseFewer, baseMore] = [roleOf(fewer, "baseline"), roleOf(more, "baseline")];
  if (baseFewer === undefined || baseMore === undefined) return rows;
  const baseGrowth = pairedSpreadByRound(baseMore, baseFewer);
  for (const ours of more.cases.filter((c) => c.role === "desync")) {
    const before = fewer.cases.find((c) => c.name === ours.name);
    if (before === undefined) continue;
    const growth = pairedSpreadByRound(ours, before);
    const relative = pairedSpreadByRound(
      ratiosByRound(ours, baseMore),
      ratiosByRound(before, baseFewer),
    );
    rows.push({
      target: `abort, linear cost: ${shortName(ours)}, growth of the time per waiter from ` +
        `${thousands(fewer.jobsPerRun)} to ${thousands(more.jobsPerRun)} waiters ≤ ` +
        `${ABORT_GROWTH}× the hand-rolled O(1) list's`,
      measured: `${spreadText(relative)}; grew ${ratioText(growth.median)}, hand-rolled ` +
        `${ratioText(baseGrowth.median)}`,
      met: relative.median <= ABORT_GROWTH,
    });
  }
  return rows;
}

/** The scenario's case for a library: its first (desync's headline for desync). */
function caseOf(scenario: MixedScenario, library: string): MixedCase | undefined {
  return scenario.cases.find((c) => c.library === library);
}

/** Scenarios (rows) × libraries (columns): ns per op and × the hand-rolled baseline. */
function summaryTable(results: MixedResults): string[] {
  const libraries = LIBRARIES.filter((library) =>
    results.scenarios.some((s) => caseOf(s, library) !== undefined)
  );
  const lines = [
    `| scenario | ${libraries.join(" | ")} |`,
    `| --- | ${libraries.map(() => "---:").join(" | ")} |`,
  ];
  for (const scenario of results.scenarios) {
    const cells = libraries.map((library) => {
      const c = caseOf(scenario, library);
      if (c === undefined) return "";
      const text = c.role === "baseline" || c.vsBaseline === undefined
        ? nsText(c.nsPerJob.median)
        : `${nsText(c.nsPerJob.median)} · ${ratioText(c.vsBaseline.median)}`;
      return library === "desync" ? `**${text}**` : text;
    });
    lines.push(`| ${escapeMd(scenario.title)} | ${cells.join(" | ")} |`);
  }
  return lines;
}

/** The report's section on the primitives (docs/benchmarks.md). */
export function primitivesMarkdown(results: PrimitivesResults): string[] {
  const lines = [
    "## Primitives: Mutex, Semaphore, Channel, every library in one process",
    "",
    "`bench/primitives.ts`, with the method of the headline run (same rounds, samples and",
    "rotation) and one more rule: every (scenario, library) pair runs its own copy of the driver",
    "loop, compiled from its source text, so that no library's promises make another's call sites",
    "polymorphic. The **hand-rolled** baseline is the least code that does the job with direct FIFO",
    "hand-off (in the bench file); the **floor** is the same driver with a primitive that never",
    "waits (for aborts: an AbortController and a listener per waiter). What each case does is",
    "written at the top of `bench/primitives.ts`.",
    "",
    `Median ns per op (per item for channels, per waiter for aborts), and × the hand-rolled ` +
    `baseline's time in the same round. ${mixedMethod(results)}.`,
    "",
    ...summaryTable(results),
    "",
    "### Targets (from the primitives issue)",
    "",
    ...targetTable(primitivesTargets(results)),
    "",
    "### Notes",
    "",
    ...results.notes.map((note) => `- ${escapeMd(note)}`),
    "",
  ];
  for (const scenario of results.scenarios) lines.push(...mixedScenarioTable(scenario), "");
  return lines;
}

/** The chart's panel: per scenario, each library's time ÷ the hand-rolled baseline's. */
export function primitivesPanel(results: MixedResults): Panel {
  return {
    heading: "Primitives, every library in one process: × the hand-rolled baseline",
    subtitle: "median over the rounds of each case's time ÷ the baseline's in the same round; " +
      "shorter is faster; log scale",
    span: [0.5, 10],
    charts: results.scenarios.map((scenario) => {
      const baseline = roleOf(scenario, "baseline");
      return {
        title: `${scenario.title} · hand-rolled ${
          baseline === undefined ? "n/a" : nsText(baseline.nsPerJob.median)
        } per ${unitOf(scenario)}`,
        bars: LIBRARIES.flatMap((library) => {
          const c = caseOf(scenario, library);
          const ratio = c?.role === "baseline" ? 1 : c?.vsBaseline?.median ?? NaN;
          if (c === undefined || !Number.isFinite(ratio)) return [];
          return [{
            label: library,
            library,
            ratio,
            text: c.role === "baseline"
              ? "the baseline"
              : `${ratioText(ratio)} · ${nsText(c.nsPerJob.median)}`,
          }];
        }),
      };
    }),
  };
}

/** What bench/primitives.ts prints: the tables, the targets and the notes. */
export function primitivesText(results: PrimitivesResults): string {
  const targets = primitivesTargets(results).map((t) =>
    `${t.met ? "met    " : "MISSED "} ${t.target}: ${t.measured}`
  );
  return [
    formatText(results),
    "",
    "Targets:",
    ...targets,
    "",
    "Notes:",
    ...results.notes.map((note) => `- ${note}`),
  ].join("\n");
}
