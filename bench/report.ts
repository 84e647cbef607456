// Copyright 2026 the desync authors. MIT license.
// Runs the benchmark suite and writes the report:
//
//   deno task bench:report   # full run -> docs/benchmarks.{json,md,svg}
//   deno task bench:smoke    # tiny run -> .bench-out/smoke/benchmarks.{json,md,svg}
//
// Steps: `deno bench --json bench/` (the per-file suite; in smoke mode with
// DESYNC_BENCH_SMOKE=1), then bench/mixed.ts (every library in one process:
// the headline; `--smoke` in smoke mode), then bench/primitives.ts (the
// primitives, every library in one process; `--smoke` likewise), then
// bench/memory.ts (one process per memory case), then bench/worker.ts (worker
// objects: Deno; in a full run also Node and Bun through esbuild bundles, see
// bench/_worker_report.ts), then the machine and
// versions; all of it goes to
// benchmarks.json, from which bench/_render.ts writes benchmarks.md and
// benchmarks.svg. `--render-only` skips the run and re-renders from an
// existing benchmarks.json (the output is a function of that file alone).
// `--out=DIR` writes to DIR, relative to the repository, instead (a full run
// to look at without touching docs/; it needs write permission for DIR).
// Exits non-zero if any bench case fails.

import { type BenchJson, renderMarkdown, renderSvg, type Results } from "./_render.ts";
import { measureAll, memorySizes } from "./memory.ts";
import type { MixedResults } from "./mixed.ts";
import type { PrimitivesResults } from "./_render_primitives.ts";
import { measureWorkers } from "./_worker_report.ts";

const root = new URL("..", import.meta.url);
const args = new Set(Deno.args);
const smoke = args.has("--smoke");
const out = Deno.args.find((arg) => arg.startsWith("--out="))?.slice("--out=".length);
const outDir = new URL(
  out !== undefined ? out.replace(/\/?$/, "/") : smoke ? ".bench-out/smoke/" : "docs/",
  root,
);

async function runBench(): Promise<BenchJson> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (smoke) env.DESYNC_BENCH_SMOKE = "1";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", "--allow-env=DESYNC_BENCH_SMOKE", "bench/"],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const output = await child.output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    console.error(text);
    throw new Error(`deno bench failed (exit code ${output.code})`);
  }
  return JSON.parse(text) as BenchJson;
}

/**
 * Runs a one-process benchmark (bench/mixed.ts, bench/primitives.ts) in a
 * process of its own, with no permissions.
 */
async function runOneProcess<T>(file: string): Promise<T> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      file,
      "--json",
      ...(smoke ? ["--smoke"] : []),
    ],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    console.error(text);
    throw new Error(`${file} failed (exit code ${output.code})`);
  }
  return JSON.parse(text) as T;
}

function cpuModel(fallback: string): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const match = info.match(/^model name\s*:\s*(.+)$/m);
    if (match) return match[1].trim();
  } catch {
    // not Linux, or no permission: use what deno bench reported
  }
  return fallback;
}

function packageVersions(): Record<string, string> {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root))) as {
    imports?: Record<string, string>;
  };
  const versions: Record<string, string> = {};
  for (const [name, specifier] of Object.entries(config.imports ?? {}).sort()) {
    const match = specifier.match(/^npm:(@?[^@]+)@(.+)$/);
    if (match) versions[name] = match[2];
  }
  return versions;
}

async function run(): Promise<Results> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  console.error(`::: deno bench${smoke ? " (smoke)" : ""}`);
  const bench = await runBench();
  console.error(`::: mixed process${smoke ? " (smoke)" : ""}`);
  const mixed = await runOneProcess<MixedResults>("bench/mixed.ts");
  console.error(`::: primitives${smoke ? " (smoke)" : ""}`);
  const primitives = await runOneProcess<PrimitivesResults>("bench/primitives.ts");
  console.error(`::: memory${smoke ? " (smoke)" : ""}`);
  const memory = await measureAll(memorySizes(smoke));
  const workers = await measureWorkers(root, smoke);
  return {
    date,
    mode: smoke ? "smoke" : "full",
    machine: {
      cpu: cpuModel(bench.cpu),
      logicalCpus: navigator.hardwareConcurrency,
      memoryGiB: Deno.systemMemoryInfo().total / 2 ** 30,
      os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    },
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      packages: packageVersions(),
    },
    bench,
    mixed,
    primitives,
    memory,
    workers,
  };
}

const jsonFile = new URL("benchmarks.json", outDir);
let results: Results;
if (args.has("--render-only")) {
  results = JSON.parse(Deno.readTextFileSync(jsonFile)) as Results;
} else {
  results = await run();
  Deno.mkdirSync(outDir, { recursive: true });
  Deno.writeTextFileSync(jsonFile, JSON.stringify(results, null, 2) + "\n");
}
Deno.writeTextFileSync(new URL("benchmarks.md", outDir), renderMarkdown(results));
Deno.writeTextFileSync(new URL("benchmarks.svg", outDir), renderSvg(results));
console.error(`::: wrote ${outDir.pathname}benchmarks.{json,md,svg}`);
