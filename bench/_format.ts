// Copyright 2026 the desync authors. MIT license.
// Text shared by the report (bench/_render.ts, bench/_render_primitives.ts)
// and the one-process benchmarks' own tables (bench/_rounds.ts): numbers,
// ratios, spreads, the per-scenario tables, target tables and the chart's
// data types. Pure functions, no I/O.

import type { MixedCase, MixedResults, MixedScenario } from "./_rounds.ts";
import type { Spread } from "./_stats.ts";

/** A ratio without its sign: "3.41", "12.8", "241". */
export function ratioNumber(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  if (ratio >= 100) return thousands(ratio);
  return ratio.toFixed(ratio >= 10 ? 1 : 2);
}

/** A ratio with its sign: "3.41×" ("n/a" when not finite). */
export function ratioText(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratioNumber(ratio)}×` : "n/a";
}

/** A whole number with thousands separators: "68,731". */
export function thousands(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? "-" : "";
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Text for a Markdown table cell. */
export function escapeMd(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** One target of an issue, and whether the run met it. */
export interface TargetRow {
  target: string;
  measured: string;
  met: boolean;
}

/** A scenario's headline desync case: its first. */
export function headlineOf(scenario: MixedScenario): MixedCase {
  const desync = scenario.cases.find((c) => c.role === "desync");
  if (desync === undefined) {
    throw new Error(`scenario "${scenario.title}" has no desync case`);
  }
  return desync;
}

/** A scenario's first case of `role`. */
export function roleOf(scenario: MixedScenario, role: MixedCase["role"]): MixedCase | undefined {
  return scenario.cases.find((c) => c.role === role);
}

/** "3.41× (IQR 3.20–3.62×)". */
export function spreadText(s: Spread): string {
  return `${ratioText(s.median)} (IQR ${ratioNumber(s.q1)}–${ratioText(s.q3)})`;
}

/** Nanoseconds without the unit: "6.91", "23.4", "412", "68,731". */
export function nsNumber(ns: number): string {
  if (!Number.isFinite(ns)) return "n/a";
  return ns < 10 ? ns.toFixed(2) : ns < 100 ? ns.toFixed(1) : thousands(ns);
}

/** Nanoseconds per job: "6.91 ns", "23.4 ns", "412 ns", "68,731 ns". */
export function nsText(ns: number): string {
  return `${nsNumber(ns)} ns`;
}

/**
 * "medians 68.3 ns and 8.90 ns per job": the two cases' own medians, which
 * need not divide into the ratio beside them, a median of ratios taken round
 * by round.
 */
export function medians(a: number, b: number, per: string): string {
  return `medians ${nsText(a)} and ${nsText(b)} per ${per}`;
}

/** Targets as a Markdown table. */
export function targetTable(rows: TargetRow[]): string[] {
  return [
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...rows.map((t) =>
      `| ${escapeMd(t.target)} | ${escapeMd(t.measured)} | ${t.met ? "yes" : "**no**"} |`
    ),
  ];
}

/**
 * One scenario's cases as table cells, the header first: what bench/mixed.ts
 * prints and the report's per-scenario tables show.
 */
export function mixedRows(scenario: MixedScenario): string[][] {
  const baseline = scenario.cases.find((c) => c.role === "baseline");
  const rows = [[
    "case",
    "samples × runs",
    "ns/job (median)",
    "IQR",
    "× floor (IQR)",
    ...(baseline === undefined ? [] : [`× ${baseline.library} (IQR)`]),
  ]];
  for (const c of scenario.cases) {
    const { median, q1, q3 } = c.nsPerJob;
    rows.push([
      c.name,
      `${c.samples.length} × ${c.runsPerSample}`,
      nsText(median),
      `${nsNumber(q1)}–${nsText(q3)}`,
      c.role === "floor" ? "floor" : spreadText(c.vsFloor),
      ...(baseline !== undefined
        ? [
          c.role === "baseline"
            ? "baseline"
            : c.vsBaseline === undefined
            ? ""
            : spreadText(c.vsBaseline),
        ]
        : []),
    ]);
  }
  return rows;
}

/** One scenario of a one-process run as a Markdown section: its cases, desync's headline in bold. */
export function mixedScenarioTable(scenario: MixedScenario): string[] {
  const [header, ...rows] = mixedRows(scenario);
  const headline = headlineOf(scenario);
  const floor = roleOf(scenario, "floor")!;
  return [
    `### ${scenario.title}`,
    "",
    `${thousands(scenario.jobsPerRun)} jobs per run. Floor: ${escapeMd(floorAdapter(floor))}.`,
    "",
    `| ${header.join(" | ")} |`,
    `| --- | ${header.slice(1).map(() => "---:").join(" | ")} |`,
    ...rows.map((cells, i) => {
      const name = escapeMd(cells[0]);
      const first = scenario.cases[i] === headline ? `**${name}**` : name;
      return `| ${[first, ...cells.slice(1).map(escapeMd)].join(" | ")} |`;
    }),
  ];
}

/** What a floor case does: its name without the "floor" prefix. */
export function floorAdapter(floor: MixedCase): string {
  return floor.name.replace(/^floor\s*[:·]?\s*/, "");
}

/** How a one-process run sampled, in a sentence (without the final period). */
export function mixedMethod(mixed: MixedResults): string {
  return `${mixed.rounds} rounds after ${mixed.warmupRounds} warm-up round${
    mixed.warmupRounds === 1 ? "" : "s"
  }; a sample is ${mixed.runsPerSample} consecutive runs, fewer for a case whose sample would ` +
    `last over ${thousands(mixed.sampleMs)} ms, more for one whose sample would last under ` +
    `${thousands(mixed.minSampleMs)} ms; a case whose one run lasts over ` +
    `${mixed.slowMs / 1000} s is sampled in ${mixed.slowRounds} of the rounds ` +
    `(samples × runs are in the detail tables)` +
    `${mixed.gcBetweenSamples ? "; a full GC before each sample, untimed" : ""}; ` +
    `the whole run took ${thousands(mixed.seconds)} s`;
}

/** One bar of a chart: a case's ratio, drawn from 1×. */
export interface Bar {
  label: string;
  library: string;
  ratio: number;
  /** Written after the bar. */
  text: string;
}

/** One chart: a scenario's bars. */
export interface Chart {
  title: string;
  bars: Bar[];
}

/** Charts sharing one log scale, under a heading. */
export interface Panel {
  heading: string;
  subtitle: string;
  charts: Chart[];
  /** The scale always spans at least this range. */
  span: [number, number];
}
