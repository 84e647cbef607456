// Copyright 2026 the desync authors. MIT license.
// Turns one run's results (docs/benchmarks.json) into docs/benchmarks.md and
// docs/benchmarks.svg. Pure: the same JSON always gives the same files (no
// clock, no locale, no environment is read here).

import type { MemoryResult } from "./memory.ts";

/** Statistics of one bench case, as `deno bench --json` gives them (nanoseconds). */
export interface BenchStats {
  n: number;
  min: number;
  max: number;
  avg: number;
  p75: number;
  p99: number;
}

/** One case of `deno bench --json`. */
export interface BenchCase {
  origin: string;
  group: string | null;
  name: string;
  baseline: boolean;
  results: ({ ok: BenchStats } | { failed: unknown })[];
}

/** The output of `deno bench --json`. */
export interface BenchJson {
  version: number;
  runtime: string;
  cpu: string;
  benches: BenchCase[];
}

/** Everything one run produced: what docs/benchmarks.json holds. */
export interface Results {
  /** When the run started (ISO 8601, UTC). */
  date: string;
  mode: "full" | "smoke";
  machine: {
    cpu: string;
    logicalCpus: number;
    memoryGiB: number;
    os: string;
  };
  versions: {
    deno: string;
    v8: string;
    typescript: string;
    /** Comparator package -> exact version, from deno.json's import map. */
    packages: Record<string, string>;
  };
  bench: BenchJson;
  memory: MemoryResult[];
}

/** The libraries a case can belong to, in the order the tables show them. */
const LIBRARIES = [
  "promise chain",
  "direct call",
  "fastq",
  "p-queue",
  "p-limit",
  "async-mutex",
  "async-lock",
  "@henrygd/queue",
] as const;

const COLORS: Record<string, string> = {
  "promise chain": "#6b7280",
  "direct call": "#6b7280",
  "fastq": "#2563eb",
  "p-queue": "#dc2626",
  "p-limit": "#d97706",
  "async-mutex": "#7c3aed",
  "async-lock": "#db2777",
  "@henrygd/queue": "#059669",
};

/** A measured case, ready for the tables. */
interface Case {
  name: string;
  library: string;
  isDesync: boolean;
  baseline: boolean;
  avg: number;
  p75: number;
  samples: number;
}

/** One bench group: its cases, its baseline and its headline desync case. */
interface Group {
  name: string;
  jobs: number;
  cases: Case[];
  baseline: Case;
  desync: Case;
}

/** Cases of this library: "desync: …" by the suite's convention ("desync …" accepted too). */
function isDesyncCase(name: string): boolean {
  return /^desync\b/i.test(name);
}

/** A desync case's name without the "desync:" prefix. */
function shortName(name: string): string {
  return name.replace(/^desync:\s*/i, "");
}

function libraryOf(name: string): string {
  if (isDesyncCase(name)) return "desync";
  for (const library of LIBRARIES) {
    if (name.startsWith(library)) return library;
  }
  return name.split(" · ")[0];
}

/**
 * Jobs (or items) per iteration, read from the group name: "N=10,000",
 * "1,000×100", "(1,000 calls)", "10k items". NaN when the name does not say.
 */
export function jobsOf(group: string): number {
  const number = (text: string) => Number(text.replaceAll(",", ""));
  const product = group.match(/([\d,]+)×([\d,]+)/);
  if (product) return number(product[1]) * number(product[2]);
  const single = group.match(/N=([\d,]+)/) ?? group.match(/\(([\d,]+) calls\)/);
  if (single) return number(single[1]);
  const thousand = group.match(/\b(\d+)k\b/);
  if (thousand) return Number(thousand[1]) * 1_000;
  return NaN;
}

/**
 * Scenarios in the issue's order (bench files run alphabetically), smaller N
 * first within a scenario; unknown groups go last.
 */
const SCENARIOS = ["burst", "roundtrip", "sync", "many", "async", "pipe"];

function scenarioRank(group: string): number {
  const index = SCENARIOS.findIndex((prefix) => group.startsWith(prefix));
  return index < 0 ? SCENARIOS.length : index;
}

function groupsOf(bench: BenchJson): Group[] {
  const byName = new Map<string, Case[]>();
  for (const entry of bench.benches) {
    const result = entry.results[0];
    if (result === undefined || !("ok" in result)) {
      throw new Error(`bench "${entry.name}" has no result`);
    }
    const group = entry.group ?? "(no group)";
    const cases = byName.get(group) ?? [];
    cases.push({
      name: entry.name,
      library: libraryOf(entry.name),
      isDesync: isDesyncCase(entry.name),
      baseline: entry.baseline,
      avg: result.ok.avg,
      p75: result.ok.p75,
      samples: result.ok.n,
    });
    byName.set(group, cases);
  }
  const groups: Group[] = [];
  const names = [...byName.keys()].sort((a, b) =>
    scenarioRank(a) - scenarioRank(b) || (jobsOf(a) || 0) - (jobsOf(b) || 0)
  );
  for (const name of names) {
    const cases = byName.get(name)!;
    const baseline = cases.find((c) => c.baseline);
    const desync = cases.find((c) => c.isDesync);
    if (baseline === undefined || desync === undefined) {
      throw new Error(`group "${name}" needs a baseline and a desync case`);
    }
    groups.push({ name, jobs: jobsOf(name), cases, baseline, desync });
  }
  return groups;
}

/** How many times faster desync's headline case is than `other` (> 1: desync wins). */
function speedup(group: Group, other: Case, stat: "avg" | "p75" = "avg"): number {
  return other[stat] / group.desync[stat];
}

function ratioText(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2;
  return `${ratio.toFixed(digits)}×`;
}

function thousands(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? "-" : "";
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function duration(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

function rate(jobs: number, ns: number): string {
  if (!Number.isFinite(jobs)) return "n/a";
  const perSecond = jobs / (ns / 1e9);
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(0);
}

function escapeMd(text: string): string {
  return text.replaceAll("|", "\\|");
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

// ------------------------------------------------------------------ targets

interface TargetRow {
  target: string;
  measured: string;
  met: boolean;
}

function findGroups(groups: Group[], prefix: string): Group[] {
  return groups.filter((g) => g.name.startsWith(prefix));
}

function caseOf(group: Group, library: string): Case | undefined {
  return group.cases.find((c) => c.library === library);
}

function speedTarget(
  rows: TargetRow[],
  group: Group,
  library: string,
  at: number,
  what: string,
): void {
  const other = caseOf(group, library);
  if (other === undefined) return;
  const avg = speedup(group, other);
  const p75 = speedup(group, other, "p75");
  rows.push({
    target: `${group.name}: ${what} ≥ ${at}× ${library}`,
    measured: `${ratioText(avg)} (p75: ${ratioText(p75)})`,
    met: avg >= at,
  });
}

function targetRows(groups: Group[], memory: MemoryResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const bursts = findGroups(groups, "burst ");
  for (const group of bursts) {
    speedTarget(rows, group, "promise chain", 2, "desync");
    speedTarget(rows, group, "fastq", 10, "desync");
    speedTarget(rows, group, "@henrygd/queue", 10, "desync");
    speedTarget(rows, group, "p-queue", 30, "desync");
  }
  for (const group of findGroups(groups, "roundtrip ")) {
    speedTarget(rows, group, "promise chain", 0.8, "futureSync");
    speedTarget(rows, group, "fastq", 3, "futureSync");
  }
  if (bursts.length >= 2) {
    const bySize = [...bursts].sort((a, b) => a.jobs - b.jobs);
    const small = bySize[0];
    const large = bySize[bySize.length - 1];
    const perJob = (g: Group, stat: "avg" | "p75") => g.desync[stat] / g.jobs;
    const kept = perJob(small, "avg") / perJob(large, "avg");
    const keptP75 = perJob(small, "p75") / perJob(large, "p75");
    rows.push({
      target: `desync throughput at N=${thousands(large.jobs)} ≥ 0.7× of N=${
        thousands(small.jobs)
      } (burst)`,
      measured: `${ratioText(kept)} (p75: ${ratioText(keptP75)})`,
      met: kept >= 0.7,
    });
  }
  for (const group of findGroups(groups, "sync on idle")) {
    for (const c of group.cases.filter((c) => c.isDesync && c.name.startsWith("desync: Desync"))) {
      const cost = c.avg / group.baseline.avg;
      const costP75 = c.p75 / group.baseline.p75;
      rows.push({
        target: `${shortName(c.name)} on an idle object ≤ 3× a direct call`,
        measured: `${ratioText(cost)} a direct call (p75: ${ratioText(costP75)})`,
        met: cost <= 3,
      });
    }
  }
  const sizes = [...new Set(memory.map((m) => m.n))];
  for (const n of sizes) {
    const at = (id: string) => memory.find((m) => m.id === id && m.n === n);
    const hoisted = at("desync-job");
    if (hoisted !== undefined) {
      rows.push({
        target: `memory, N=${thousands(n)}: ≤ 100 bytes per queued job (hoisted job)`,
        measured: `${hoisted.bytesPerItem.toFixed(1)} B`,
        met: hoisted.bytesPerItem <= 100,
      });
    }
    const closure = at("desync-closure");
    const alone = at("closure-alone");
    if (closure !== undefined && alone !== undefined) {
      const beyond = closure.bytesPerItem - alone.bytesPerItem;
      rows.push({
        target: `memory, N=${thousands(n)}: ≤ 100 bytes per queued job beyond its closure`,
        measured: `${beyond.toFixed(1)} B (${closure.bytesPerItem.toFixed(1)} B with closure, ` +
          `${alone.bytesPerItem.toFixed(1)} B for the closure alone)`,
        met: beyond <= 100,
      });
    }
    const object = at("desync-object");
    if (object !== undefined) {
      rows.push({
        target: `memory, N=${thousands(n)}: ≤ 300 bytes per idle Desync`,
        measured: `${object.bytesPerItem.toFixed(1)} B`,
        met: object.bytesPerItem <= 300,
      });
    }
  }
  return rows;
}

// ----------------------------------------------------------------- markdown

function summaryTable(groups: Group[]): string[] {
  const comparators = LIBRARIES.filter((library) =>
    groups.some((g) => g.cases.some((c) => c.library === library && !c.baseline))
  );
  const others = (g: Group) =>
    g.cases.filter((c) =>
      !c.isDesync && !c.baseline && !(LIBRARIES as readonly string[]).includes(c.library)
    );
  const withOthers = groups.some((g) => others(g).length > 0);
  const header = [
    "scenario",
    "desync case",
    "baseline",
    ...comparators,
    ...(withOthers ? ["other"] : []),
  ];
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const group of groups) {
    const cells = comparators.map((library) => {
      const other = group.cases.find((c) => c.library === library && !c.baseline);
      return other === undefined ? "" : ratioText(speedup(group, other));
    });
    if (withOthers) {
      cells.push(others(group).map((c) => `${c.name}: ${ratioText(speedup(group, c))}`).join("; "));
    }
    const baseline = `${ratioText(speedup(group, group.baseline))} (${group.baseline.library})`;
    lines.push(
      `| ${
        [group.name, shortName(group.desync.name), baseline, ...cells].map(escapeMd).join(" | ")
      } |`,
    );
  }
  return lines;
}

function groupTable(group: Group): string[] {
  const lines = [
    `### ${group.name}`,
    "",
    `${thousands(group.jobs)} jobs per iteration. Baseline: ${escapeMd(group.baseline.name)}.`,
    "",
    "| case | time/iter (avg) | p75 | jobs/s (avg) | vs baseline | desync headline vs this |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const c of group.cases) {
    const name = c === group.desync ? `**${escapeMd(c.name)}**` : escapeMd(c.name);
    const vsBaseline = group.baseline.avg / c.avg;
    lines.push(
      `| ${name} | ${duration(c.avg)} | ${duration(c.p75)} | ${rate(group.jobs, c.avg)} | ${
        c.baseline
          ? "baseline"
          : vsBaseline >= 1
          ? `${ratioText(vsBaseline)} faster`
          : `${ratioText(1 / vsBaseline)} slower`
      } | ${c === group.desync ? "" : ratioText(speedup(group, c))} |`,
    );
  }
  return lines;
}

function memoryTable(memory: MemoryResult[], kind: "job" | "object"): string[] {
  const sizes = [...new Set(memory.map((m) => m.n))];
  const ids = [...new Set(memory.filter((m) => m.kind === kind).map((m) => m.id))];
  const reference = kind === "job" ? "desync-job" : "desync-object";
  const header = [
    "case",
    ...sizes.map((n) => `bytes, N=${thousands(n)}`),
    `÷ desync (N=${thousands(sizes[sizes.length - 1])})`,
  ];
  const lines = [
    `| ${header.join(" | ")} |`,
    `| --- | ${header.slice(1).map(() => "---:").join(" | ")} |`,
  ];
  const largest = sizes[sizes.length - 1];
  const desync = memory.find((m) => m.id === reference && m.n === largest);
  for (const id of ids) {
    const rows = sizes.map((n) => memory.find((m) => m.id === id && m.n === n));
    const first = rows.find((r) => r !== undefined)!;
    const last = rows[rows.length - 1];
    const ratio = desync !== undefined && last !== undefined && first.library !== "desync" &&
        first.library !== "closure"
      ? ratioText(last.bytesPerItem / desync.bytesPerItem)
      : "";
    lines.push(
      `| ${escapeMd(first.library === "desync" ? `desync: ${first.label}` : first.label)} | ${
        rows.map((r) => (r === undefined ? "" : r.bytesPerItem.toFixed(1))).join(" | ")
      } | ${ratio} |`,
    );
  }
  return lines;
}

/** Renders docs/benchmarks.md. */
export function renderMarkdown(results: Results): string {
  const groups = groupsOf(results.bench);
  const targets = targetRows(groups, results.memory);
  const { machine, versions } = results;
  const packages = Object.entries(versions.packages).map(([name, version]) => `${name} ${version}`);
  const lines: string[] = [
    "<!-- Generated by bench/report.ts from docs/benchmarks.json (`deno task bench:report`). " +
    "Do not edit by hand. -->",
    "",
    "# Benchmarks",
    "",
    "_Generated by `deno task bench:report` from one run of the suite in `bench/`; do not edit by " +
    "hand._",
    results.mode === "smoke"
      ? "\n**Smoke run**: tiny N and two iterations per case; the figures below are not " +
        "measurements.\n"
      : "",
    `- Date: ${results.date}`,
    `- Machine: ${machine.cpu}, ${machine.logicalCpus} logical CPUs, ${
      machine.memoryGiB.toFixed(0)
    } GiB, ${machine.os}`,
    `- Runtime: Deno ${versions.deno} (V8 ${versions.v8}, TypeScript ${versions.typescript})`,
    `- Comparators: ${packages.join(", ")}`,
    "",
    "![desync vs the alternatives](benchmarks.svg)",
    "",
    "## How to read this",
    "",
    "Every figure is a ratio between cases measured side by side in the same run (`Deno.bench`",
    "groups, one process per bench file), never a comparison with figures from elsewhere. A ratio",
    "is the comparator's time per iteration divided by desync's for the same work (the same job, the",
    "same N): above 1× desync is faster, below 1× it is slower. Times are the mean over the",
    "iterations `deno bench` chose (p75 in the detail tables). The machine is small and shared:",
    "treat differences under about 1.3× as noise. What each case does is written at the top of its",
    "bench file.",
    "",
    "## Summary: how many times faster desync is",
    "",
    ...summaryTable(groups),
    "",
    "## Targets (from the benchmarks issue)",
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...targets.map((t) =>
      `| ${escapeMd(t.target)} | ${t.measured} | ${t.met ? "yes" : "**no**"} |`
    ),
    "",
    "## Memory",
    "",
    "V8 heap bytes per item after a full GC (`bench/memory.ts`: one fresh process per case, N items",
    "added synchronously, so every job is still queued). Last column: the comparator's bytes divided",
    "by desync's (above 1×, desync is smaller).",
    "",
    "### Per queued job",
    "",
    ...memoryTable(results.memory, "job"),
    "",
    "### Per idle serializer",
    "",
    ...memoryTable(results.memory, "object"),
    "",
    "## Every case",
    "",
  ];
  for (const group of groups) lines.push(...groupTable(group), "");
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

// ---------------------------------------------------------------------- svg

interface ChartGroup {
  title: string;
  bars: { label: string; library: string; ratio: number }[];
}

function chartGroups(results: Results): ChartGroup[] {
  const charts: ChartGroup[] = [];
  for (const group of groupsOf(results.bench)) {
    charts.push({
      title: `${group.name} · ${shortName(group.desync.name)}`,
      bars: group.cases.filter((c) => !c.isDesync).map((c) => ({
        label: c.library,
        library: c.library,
        ratio: speedup(group, c),
      })),
    });
  }
  const sizes = [...new Set(results.memory.map((m) => m.n))];
  const largest = sizes[sizes.length - 1];
  for (
    const [kind, reference, title] of [
      ["job", "desync-job", "memory per queued job"],
      ["object", "desync-object", "memory per idle object"],
    ] as const
  ) {
    const desync = results.memory.find((m) => m.id === reference && m.n === largest);
    if (desync === undefined) continue;
    charts.push({
      title: `${title}, N=${thousands(largest)} · bytes ÷ desync's ${
        desync.bytesPerItem.toFixed(0)
      } B`,
      bars: results.memory
        .filter((m) =>
          m.kind === kind && m.n === largest && m.library !== "desync" && m.library !== "closure"
        )
        .map((m) => ({
          label: m.library,
          library: m.library,
          ratio: m.bytesPerItem / desync.bytesPerItem,
        })),
    });
  }
  return charts;
}

/** Renders docs/benchmarks.svg: per scenario, one bar per comparator, log scale around 1×. */
export function renderSvg(results: Results): string {
  const charts = chartGroups(results);
  const ratios = charts.flatMap((c) => c.bars.map((b) => b.ratio)).filter((r) => r > 0);
  const steps = [1, 2, 5];
  const ticks: number[] = [];
  for (let exponent = -3; exponent <= 5; exponent++) {
    for (const step of steps) ticks.push(Number((step * 10 ** exponent).toPrecision(1)));
  }
  const lo = Math.min(0.5, ...ratios.map((r) => r / 1.2));
  const hi = Math.max(2, ...ratios.map((r) => r * 1.2));
  const shown = ticks.filter((t) => t >= lo && t <= hi);
  const logLo = Math.log10(Math.min(lo, shown[0]));
  const logHi = Math.log10(Math.max(hi, shown[shown.length - 1]));

  const width = 900;
  const left = 150;
  const right = 70;
  const plot = width - left - right;
  const x = (ratio: number) => left + ((Math.log10(ratio) - logLo) / (logHi - logLo)) * plot;
  const barHeight = 13;
  const barGap = 4;
  const titleHeight = 22;
  const groupGap = 12;
  const top = 74;

  const body: string[] = [];
  /** The vertical extent of each group's bars: grid lines are drawn there, not across titles. */
  const spans: [number, number][] = [];
  let y = top;
  for (const chart of charts) {
    body.push(
      `<text x="16" y="${y + 14}" class="group">${escapeXml(chart.title)}</text>`,
    );
    y += titleHeight;
    const spanStart = y - barGap;
    for (const bar of chart.bars) {
      const x1 = x(1);
      const x2 = x(Math.max(bar.ratio, 10 ** logLo));
      const from = Math.min(x1, x2);
      const barWidth = Math.max(Math.abs(x2 - x1), 1);
      const color = COLORS[bar.library] ?? "#6b7280";
      body.push(
        `<text x="${left - 8}" y="${y + barHeight - 2}" class="label">${
          escapeXml(bar.label)
        }</text>`,
        `<rect x="${from.toFixed(1)}" y="${y}" width="${
          barWidth.toFixed(1)
        }" height="${barHeight}" fill="${color}"/>`,
        bar.ratio >= 1
          ? `<text x="${(x2 + 4).toFixed(1)}" y="${y + barHeight - 2}" class="value">${
            ratioText(bar.ratio)
          }</text>`
          : `<text x="${(x1 + 4).toFixed(1)}" y="${y + barHeight - 2}" class="value">${
            ratioText(bar.ratio)
          }</text>`,
      );
      y += barHeight + barGap;
    }
    spans.push([spanStart, y]);
    y += groupGap;
  }
  const plotBottom = y;
  const grid: string[] = [];
  for (const tick of shown) {
    const tx = x(tick).toFixed(1);
    for (const [from, to] of spans) {
      grid.push(
        `<line x1="${tx}" y1="${from}" x2="${tx}" y2="${to}" class="${
          tick === 1 ? "parity" : "grid"
        }"/>`,
      );
    }
    grid.push(`<text x="${tx}" y="${plotBottom + 6}" class="tick">${tick}×</text>`);
  }
  const height = plotBottom + 40;
  const { machine, versions } = results;
  const subtitle = `comparator ÷ desync, same job and N, measured side by side in one run; ` +
    `right of 1× desync is faster (or smaller); log scale`;
  const footer = `${results.date.slice(0, 10)} · ${machine.cpu}, ${machine.logicalCpus} CPUs · ` +
    `Deno ${versions.deno} · ${results.mode === "smoke" ? "SMOKE RUN, not a measurement · " : ""}` +
    `details: docs/benchmarks.md`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', ` +
    `Helvetica, Arial, sans-serif">`,
    "<style>",
    "  .title { font-size: 16px; font-weight: 600; fill: #111827; }",
    "  .subtitle { font-size: 12px; fill: #4b5563; }",
    "  .group { font-size: 12px; font-weight: 600; fill: #111827; }",
    "  .label { font-size: 11px; fill: #374151; text-anchor: end; }",
    "  .value { font-size: 11px; fill: #111827; }",
    "  .tick { font-size: 10px; fill: #6b7280; text-anchor: middle; }",
    "  .grid { stroke: #e5e7eb; stroke-width: 1; }",
    "  .parity { stroke: #111827; stroke-width: 1.5; }",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" class="title">desync vs the alternatives: how many times faster (or smaller)</text>`,
    `<text x="16" y="46" class="subtitle">${escapeXml(subtitle)}</text>`,
    ...grid,
    ...body,
    `<text x="16" y="${height - 12}" class="subtitle">${escapeXml(footer)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
