// Copyright 2026 the desync authors. MIT license.
// Turns one run's results (docs/benchmarks.json) into docs/benchmarks.md and
// docs/benchmarks.svg. Pure: the same JSON always gives the same files (no
// clock, no locale, no environment is read here).

import {
  type Chart,
  escapeMd,
  floorAdapter,
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
import type { MemoryResult } from "./memory.ts";
import {
  primitivesMarkdown,
  primitivesPanel,
  type PrimitivesResults,
} from "./_render_primitives.ts";
import { workerMarkdown, workerPanel, type WorkerResults } from "./_render_worker.ts";
import type { MixedCase, MixedResults, MixedScenario } from "./_rounds.ts";
import { pairedSpreadByRound } from "./_stats.ts";

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
  /** The per-file suite: `deno bench --json bench/`, one isolate per file. */
  bench: BenchJson;
  /** The headline: every library in one process (bench/mixed.ts). */
  mixed: MixedResults;
  /** The primitives, every library in one process (bench/primitives.ts); absent from older runs. */
  primitives?: PrimitivesResults;
  /** Worker objects on Deno, Node and Bun (bench/worker.ts); absent from older runs. */
  workers?: WorkerResults;
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
  "desync": "#111827",
  "floor": "#d1d5db",
  "promise chain": "#6b7280",
  "direct call": "#6b7280",
  "fastq": "#2563eb",
  "p-queue": "#dc2626",
  "p-limit": "#d97706",
  "async-mutex": "#7c3aed",
  "async-lock": "#db2777",
  "@henrygd/queue": "#059669",
  "hand-rolled": "#6b7280",
  "hand-rolled + guard": "#9ca3af",
  "effect": "#0891b2",
  "ts-chan": "#65a30d",
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

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

// ------------------------------------------------------------------ targets

// The targets of the benchmarks issue ("Targets, measured side by side in one
// run"). These thresholds are the targets themselves; whether each one is met
// is computed from the run's figures, never hard-coded.
const BURST_VS_FLOOR = 3;
const SYNC_VS_DIRECT_CALL = 2;
const ROUNDTRIP_VS_CHAIN = 1;
const THROUGHPUT_KEPT = 0.8;
const IDLE_DESYNC_BYTES = 300;
const JOB_BEYOND_CLOSURE_BYTES = 16;

function scenarioById(mixed: MixedResults, id: string): MixedScenario | undefined {
  return mixed.scenarios.find((s) => s.id === id);
}

/** The issue's targets, from the mixed-process run and the memory cases. */
function targetRows(mixed: MixedResults, memory: MemoryResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const bursts = ["burst-10k", "burst-100k"].map((id) => scenarioById(mixed, id));
  for (const scenario of bursts) {
    if (scenario === undefined) continue;
    const desync = headlineOf(scenario);
    const floor = roleOf(scenario, "floor")!;
    rows.push({
      target: `${scenario.title}: desync ≤ ${BURST_VS_FLOOR}× the floor (time per job)`,
      measured: `${spreadText(desync.vsFloor)}; ${
        medians(desync.nsPerJob.median, floor.nsPerJob.median, "job")
      }`,
      met: desync.vsFloor.median <= BURST_VS_FLOOR,
    });
  }
  const syncs = scenarioById(mixed, "sync");
  if (syncs !== undefined) {
    const desync = syncs.cases.find((c) => c.name === "desync: Desync · sync(job)") ??
      headlineOf(syncs);
    const floor = roleOf(syncs, "floor")!;
    rows.push({
      target: `${syncs.title}: ${shortName(desync.name)} ≤ ${SYNC_VS_DIRECT_CALL}× a direct call`,
      measured: `${spreadText(desync.vsFloor)}; ${
        medians(desync.nsPerJob.median, floor.nsPerJob.median, "call")
      }`,
      met: desync.vsFloor.median <= SYNC_VS_DIRECT_CALL,
    });
  }
  const roundtrip = scenarioById(mixed, "roundtrip");
  const chain = roundtrip && roleOf(roundtrip, "baseline");
  if (roundtrip !== undefined && chain !== undefined) {
    const desync = headlineOf(roundtrip);
    const speed = pairedSpreadByRound(chain, desync);
    rows.push({
      target: `${roundtrip.title}: ${shortName(desync.name)} ≥ ${ROUNDTRIP_VS_CHAIN}× as fast as ` +
        `a bare promise chain`,
      measured: `${spreadText(speed)}; ${
        medians(desync.nsPerJob.median, chain.nsPerJob.median, "job")
      }`,
      met: speed.median >= ROUNDTRIP_VS_CHAIN,
    });
  }
  const [small, large] = bursts;
  if (small !== undefined && large !== undefined) {
    // Throughput at the large N ÷ at the small N = ns per job at the small ÷ at the large.
    const kept = pairedSpreadByRound(headlineOf(small), headlineOf(large));
    rows.push({
      target:
        `desync's burst throughput at N=${thousands(large.jobsPerRun)} ≥ ${THROUGHPUT_KEPT}× ` +
        `that at N=${thousands(small.jobsPerRun)}`,
      measured: `${spreadText(kept)}; ${
        medians(headlineOf(large).nsPerJob.median, headlineOf(small).nsPerJob.median, "job")
      }`,
      met: kept.median >= THROUGHPUT_KEPT,
    });
  }
  const sizes = [...new Set(memory.map((m) => m.n))];
  for (const n of sizes) {
    const at = (id: string) => memory.find((m) => m.id === id && m.n === n);
    const object = at("desync-object");
    if (object !== undefined) {
      rows.push({
        target: `memory, N=${thousands(n)}: an idle Desync ≤ ${IDLE_DESYNC_BYTES} B`,
        measured: `${object.bytesPerItem.toFixed(1)} B`,
        met: object.bytesPerItem <= IDLE_DESYNC_BYTES,
      });
    }
    const closure = at("desync-closure");
    const alone = at("closure-alone");
    if (closure !== undefined && alone !== undefined) {
      const beyond = closure.bytesPerItem - alone.bytesPerItem;
      rows.push({
        target: `memory, N=${thousands(n)}: ≤ ${JOB_BEYOND_CLOSURE_BYTES} B per queued job ` +
          `beyond its closure`,
        measured: `${beyond.toFixed(1)} B (${closure.bytesPerItem.toFixed(1)} B with closure, ` +
          `${alone.bytesPerItem.toFixed(1)} B for the closure alone)`,
        met: beyond <= JOB_BEYOND_CLOSURE_BYTES,
      });
    }
  }
  return rows;
}

// The earlier targets, measured by the per-file suite: how much faster than
// each comparator desync must be. (Its targets for `sync`, throughput and
// memory are superseded by the stricter ones above.)

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

function earlierTargetRows(groups: Group[]): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const group of findGroups(groups, "burst ")) {
    speedTarget(rows, group, "promise chain", 2, "desync");
    speedTarget(rows, group, "fastq", 10, "desync");
    speedTarget(rows, group, "@henrygd/queue", 10, "desync");
    speedTarget(rows, group, "p-queue", 30, "desync");
  }
  for (const group of findGroups(groups, "roundtrip ")) {
    speedTarget(rows, group, "fastq", 3, "futureSync");
  }
  return rows;
}

// ------------------------------------------------------------ mixed process

/** The rows of the headline table and chart, in order: the floor first, then desync. */
const HEADLINE_ROWS = [
  "floor",
  "promise chain",
  "desync",
  ...LIBRARIES.filter((library) => library !== "promise chain" && library !== "direct call"),
];

/** A scenario's case for a headline row: desync's headline case, or the library's first. */
function headlineCase(scenario: MixedScenario, row: string): MixedCase | undefined {
  if (row === "desync") return headlineOf(scenario);
  return scenario.cases.find((c) => c.library === row);
}

/** Headline: per library (rows) and scenario (columns), ns per job and × the floor. */
function headlineTable(mixed: MixedResults): string[] {
  const header = ["library", ...mixed.scenarios.map((s) => s.title)];
  const lines = [
    `| ${header.map(escapeMd).join(" | ")} |`,
    `| --- | ${mixed.scenarios.map(() => "---:").join(" | ")} |`,
  ];
  for (const row of HEADLINE_ROWS) {
    const cells = mixed.scenarios.map((scenario) => {
      const c = headlineCase(scenario, row);
      if (c === undefined) return "";
      const text = c.role === "floor"
        ? nsText(c.nsPerJob.median)
        : `${nsText(c.nsPerJob.median)} · ${ratioText(c.vsFloor.median)}`;
      return row === "desync" ? `**${text}**` : text;
    });
    if (cells.every((cell) => cell === "")) continue;
    const label = row === "floor" ? "floor (no library)" : row === "desync" ? "**desync**" : row;
    lines.push(`| ${escapeMd(label)} | ${cells.join(" | ")} |`);
  }
  return lines;
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
    `### ${group.name} (per file)`,
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
  const { mixed } = results;
  if (mixed === undefined) {
    throw new Error("these results have no mixed-process run: run `deno task bench:report`");
  }
  const groups = groupsOf(results.bench);
  const { machine, versions } = results;
  const packages = Object.entries(versions.packages).map(([name, version]) => `${name} ${version}`);
  const floors = mixed.scenarios.map((s) =>
    `${s.title}: ${escapeMd(floorAdapter(roleOf(s, "floor")!))}`
  );
  const lines: string[] = [
    "<!-- Generated by bench/report.ts from docs/benchmarks.json (`deno task bench:report`). " +
    "Do not edit by hand. -->",
    "",
    "# Benchmarks",
    "",
    "_Generated by `deno task bench:report` from one run of the suite in `bench/`; do not edit by " +
    "hand._",
    results.mode === "smoke"
      ? "\n**Smoke run**: tiny N and two runs per sample; the figures below are not " +
        "measurements.\n"
      : "",
    `- Date: ${results.date}`,
    `- Machine: ${machine.cpu}, ${machine.logicalCpus} logical CPUs, ${
      machine.memoryGiB.toFixed(0)
    } GiB, ${machine.os}`,
    `- Runtime: Deno ${versions.deno} (V8 ${versions.v8}, TypeScript ${versions.typescript})`,
    `- Comparators: ${packages.join(", ")}`,
    "",
    "![desync vs the alternatives and the floor](benchmarks.svg)",
    "",
    "## How to read this",
    "",
    "The headline figures come from one process that runs every library (`bench/mixed.ts`), as an",
    "application does: V8's inline caches and optimized code see everyone's code and every job,",
    "instead of one library at a time. Within each round every case of a scenario is sampled in",
    "turn, so drift of this small shared machine hits all alike; a sample is many consecutive runs,",
    "and a figure is the median over the rounds, with its interquartile range (IQR) in the detail",
    "tables. Every scenario has a **floor**: the same jobs with no library at all (below), the",
    "limit no scheduler can beat; \"× floor\" is a case's time per job divided by the floor's in the",
    "same round (lower is better; 1× would be free). Every case runs the same job (a counter",
    "increment) the same number of times and checks that all of them ran. What each case does is",
    "written at the top of `bench/mixed.ts`.",
    "",
    "Floors: " + floors.join("; ") + ".",
    "",
    "Below the memory section, the per-file suite (`deno bench`, one fresh isolate per file) is kept",
    "as detail: it measures each library alone, which flatters code that benefits from",
    "monomorphic call sites; its ratios are not the headline.",
    "",
    "## Headline: time per job, every library in one process",
    "",
    `Median ns per job, and × the floor's time. ${mixedMethod(mixed)}.`,
    "",
    ...headlineTable(mixed),
    "",
    "## Targets (from the benchmarks issue)",
    "",
    "Measured side by side in the run above (ratios taken round by round; median and IQR over the",
    "rounds), and by the memory cases below.",
    "",
    ...targetTable(targetRows(mixed, results.memory)),
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
    "## One process: every case",
    "",
    "× floor and × promise chain: this case's time per job divided by that case's, round by round;",
    "median over the rounds and IQR.",
    "",
  ];
  for (const scenario of mixed.scenarios) lines.push(...mixedScenarioTable(scenario), "");
  if (results.primitives !== undefined) lines.push(...primitivesMarkdown(results.primitives));
  if (results.workers !== undefined) lines.push(...workerMarkdown(results.workers));
  lines.push(
    "## Detail: one process per bench file (`deno bench`)",
    "",
    "`deno bench bench/`: `Deno.bench` groups, one fresh isolate per bench file, each library's",
    "code warmed up alone. A ratio is the comparator's time per iteration divided by desync's for",
    "the same work: above 1× desync is faster. Times are the mean over the iterations `deno bench`",
    "chose (p75 in the tables); treat differences under about 1.3× as noise.",
    "",
    "### Summary: how many times faster desync is",
    "",
    ...summaryTable(groups),
    "",
    "### Earlier targets (per-file suite)",
    "",
    "How much faster than each comparator desync was to be; the earlier targets for `sync`,",
    "throughput and memory are superseded by the ones above.",
    "",
    ...targetTable(earlierTargetRows(groups)),
    "",
  );
  for (const group of groups) lines.push(...groupTable(group), "");
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

// ---------------------------------------------------------------------- svg

function mixedPanel(mixed: MixedResults): Panel {
  return {
    heading: "Time per job, every library in one process: × the floor (no library)",
    subtitle: "median over the rounds of each case's time ÷ the floor's in the same round; " +
      "shorter is faster; log scale",
    span: [1, 10],
    charts: mixed.scenarios.map((scenario) => {
      const floor = roleOf(scenario, "floor")!;
      return {
        title: `${scenario.title} · floor ${nsText(floor.nsPerJob.median)} per job`,
        bars: HEADLINE_ROWS.flatMap((row) => {
          const c = headlineCase(scenario, row);
          if (c === undefined) return [];
          return [{
            label: row,
            library: row,
            ratio: c.vsFloor.median,
            text: c.role === "floor"
              ? "the floor"
              : `${ratioText(c.vsFloor.median)} · ${nsText(c.nsPerJob.median)}`,
          }];
        }),
      };
    }),
  };
}

function memoryPanel(memory: MemoryResult[]): Panel {
  const charts: Chart[] = [];
  const sizes = [...new Set(memory.map((m) => m.n))];
  const largest = sizes[sizes.length - 1];
  for (
    const [kind, reference, title] of [
      ["job", "desync-job", "per queued job"],
      ["object", "desync-object", "per idle object"],
    ] as const
  ) {
    const desync = memory.find((m) => m.id === reference && m.n === largest);
    if (desync === undefined) continue;
    charts.push({
      title: `${title}, N=${thousands(largest)} · desync: ${desync.bytesPerItem.toFixed(0)} B`,
      bars: memory
        .filter((m) =>
          m.kind === kind && m.n === largest && m.library !== "desync" && m.library !== "closure"
        )
        .map((m) => ({
          label: m.library,
          library: m.library,
          ratio: m.bytesPerItem / desync.bytesPerItem,
          text: ratioText(m.bytesPerItem / desync.bytesPerItem),
        })),
    });
  }
  return {
    heading: "Memory: the comparator's bytes ÷ desync's",
    subtitle: "right of 1×, desync is smaller; log scale",
    span: [0.5, 2],
    charts,
  };
}

/** Tick values for a log scale from `lo` to `hi`: 1-2-5 steps, or powers of ten on a wide one. */
function ticksFor(lo: number, hi: number): number[] {
  const steps = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let exponent = -3; exponent <= 8; exponent++) {
    for (const step of steps) {
      const tick = Number((step * 10 ** exponent).toPrecision(1));
      if (tick >= lo && tick <= hi) ticks.push(tick);
    }
  }
  return ticks;
}

const WIDTH = 960;
const LEFT = 150;
const RIGHT = 170;
const BAR_HEIGHT = 13;
const BAR_GAP = 4;

/** Draws a panel from `top`; returns its elements and where the next one may start. */
function drawPanel(panel: Panel, top: number): { elements: string[]; bottom: number } {
  const ratios = panel.charts.flatMap((c) => c.bars.map((b) => b.ratio)).filter((r) => r > 0);
  const lo = Math.min(panel.span[0], ...ratios.map((r) => r / 1.2));
  const hi = Math.max(panel.span[1], ...ratios.map((r) => r * 1.2));
  const ticks = ticksFor(lo, hi);
  const logLo = Math.log10(Math.min(lo, ticks[0]));
  const logHi = Math.log10(Math.max(hi, ticks[ticks.length - 1]));
  const plot = WIDTH - LEFT - RIGHT;
  const x = (ratio: number) => LEFT + ((Math.log10(ratio) - logLo) / (logHi - logLo)) * plot;

  const body: string[] = [
    `<text x="16" y="${top + 16}" class="heading">${escapeXml(panel.heading)}</text>`,
    `<text x="16" y="${top + 34}" class="subtitle">${escapeXml(panel.subtitle)}</text>`,
  ];
  /** The vertical extent of each chart's bars: grid lines are drawn there, not across titles. */
  const spans: [number, number][] = [];
  let y = top + 46;
  for (const chart of panel.charts) {
    body.push(`<text x="16" y="${y + 14}" class="group">${escapeXml(chart.title)}</text>`);
    y += 22;
    const spanStart = y - BAR_GAP;
    for (const bar of chart.bars) {
      const x1 = x(1);
      const x2 = x(Math.max(bar.ratio, 10 ** logLo));
      const from = Math.min(x1, x2);
      const barWidth = Math.max(Math.abs(x2 - x1), 1);
      const color = COLORS[bar.library] ?? "#6b7280";
      const label = bar.library === "desync" ? "label strong" : "label";
      body.push(
        `<text x="${LEFT - 8}" y="${y + BAR_HEIGHT - 2}" class="${label}">${
          escapeXml(bar.label)
        }</text>`,
        `<rect x="${from.toFixed(1)}" y="${y}" width="${
          barWidth.toFixed(1)
        }" height="${BAR_HEIGHT}" fill="${color}"/>`,
        `<text x="${(Math.max(x1, x2) + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 2}" class="value">${
          escapeXml(bar.text)
        }</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    spans.push([spanStart, y]);
    y += 12;
  }
  const grid: string[] = [];
  for (const tick of ticks) {
    const tx = x(tick).toFixed(1);
    for (const [from, to] of spans) {
      grid.push(
        `<line x1="${tx}" y1="${from}" x2="${tx}" y2="${to}" class="${
          tick === 1 ? "parity" : "grid"
        }"/>`,
      );
    }
    const label = tick >= 1_000 ? thousands(tick) : String(tick);
    grid.push(`<text x="${tx}" y="${y + 6}" class="tick">${label}×</text>`);
  }
  return { elements: [...grid, ...body], bottom: y + 24 };
}

/**
 * Renders docs/benchmarks.svg: the mixed-process run (per scenario, each
 * library's time per job ÷ the floor's), then the primitives (÷ the
 * hand-rolled baseline's), then memory (÷ desync's bytes).
 */
export function renderSvg(results: Results): string {
  const { mixed } = results;
  if (mixed === undefined) {
    throw new Error("these results have no mixed-process run: run `deno task bench:report`");
  }
  const elements: string[] = [];
  let y = 60;
  const panels = [
    mixedPanel(mixed),
    ...(results.primitives === undefined ? [] : [primitivesPanel(results.primitives)]),
    ...(results.workers === undefined ? [] : [workerPanel(results.workers)]),
    memoryPanel(results.memory),
  ];
  for (const panel of panels) {
    if (panel.charts.length === 0) continue;
    const drawn = drawPanel(panel, y);
    elements.push(...drawn.elements);
    y = drawn.bottom + 8;
  }
  const height = y + 24;
  const { machine, versions } = results;
  const footer = `${results.date.slice(0, 10)} · ${machine.cpu}, ${machine.logicalCpus} CPUs · ` +
    `Deno ${versions.deno} · ${results.mode === "smoke" ? "SMOKE RUN, not a measurement · " : ""}` +
    `details: docs/benchmarks.md`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', ` +
    `Helvetica, Arial, sans-serif">`,
    "<style>",
    "  .title { font-size: 16px; font-weight: 600; fill: #111827; }",
    "  .heading { font-size: 14px; font-weight: 600; fill: #111827; }",
    "  .subtitle { font-size: 12px; fill: #4b5563; }",
    "  .group { font-size: 12px; font-weight: 600; fill: #111827; }",
    "  .label { font-size: 11px; fill: #374151; text-anchor: end; }",
    "  .strong { font-weight: 700; fill: #111827; }",
    "  .value { font-size: 11px; fill: #111827; }",
    "  .tick { font-size: 10px; fill: #6b7280; text-anchor: middle; }",
    "  .grid { stroke: #e5e7eb; stroke-width: 1; }",
    "  .parity { stroke: #111827; stroke-width: 1.5; }",
    "</style>",
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="30" class="title">desync vs the alternatives and the floor (no library)</text>`,
    ...elements,
    `<text x="16" y="${height - 12}" class="subtitle">${escapeXml(footer)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
