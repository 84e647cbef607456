// Copyright 2026 the desync authors. MIT license.
// bench/report.ts's worker step: bench/worker.ts on Deno, and (full runs
// only) on Node and Bun through esbuild bundles, each in a process of its
// own. The tools are the ones runtimes/ installs (`npm ci` in runtimes/):
// runtimes/node_modules/.bin/esbuild and .../bun, and `node` on the PATH. A
// runtime whose tools are missing is left out, with a note saying so.

import type { WorkerResults, WorkerRun } from "./_render_worker.ts";

const decoder = new TextDecoder();

/** Runs `command` in `root`; its stdout, or an Error with its stderr's tail. */
async function output(
  root: URL,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await new Deno.Command(command, {
    args,
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = decoder.decode(result.stderr).trim().split("\n").slice(-3).join(" / ");
    throw new Error(`${command} ${args.join(" ")} failed (exit code ${result.code}): ${stderr}`);
  }
  return decoder.decode(result.stdout);
}

/** The last line of `text`, parsed: bench/worker.ts --json prints one. */
function lastJson(text: string): WorkerRun {
  const lines = text.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as WorkerRun;
}

/** Whether `path` (relative to `root`) exists. */
function exists(root: URL, path: string): boolean {
  try {
    Deno.statSync(new URL(path, root));
    return true;
  } catch {
    return false;
  }
}

/**
 * Measures worker objects: Deno always; in a full run also Node and Bun,
 * bundled into `.bench-out/worker/` (esbuild writes there itself).
 */
export async function measureWorkers(root: URL, smoke: boolean): Promise<WorkerResults> {
  const flags = ["--json", ...(smoke ? ["--smoke"] : [])];
  const runs: WorkerRun[] = [];
  const notes: string[] = [];
  console.error(`::: workers: Deno${smoke ? " (smoke)" : ""}`);
  runs.push(lastJson(
    await output(root, Deno.execPath(), [
      "run",
      "--quiet",
      "--allow-read=.",
      "bench/worker.ts",
      ...flags,
    ]),
  ));
  if (smoke) return { runs, notes };

  const esbuild = "runtimes/node_modules/.bin/esbuild";
  const bun = "runtimes/node_modules/.bin/bun";
  if (!exists(root, esbuild)) {
    notes.push("Node and Bun: no runtimes/node_modules/.bin/esbuild (run `npm ci` in runtimes/)");
    return { runs, notes };
  }
  const out = ".bench-out/worker";
  const bundle = (from: string, to: string) =>
    output(root, esbuild, [
      "--bundle",
      "--format=esm",
      "--platform=node",
      "--log-level=warning",
      from,
      `--outfile=${out}/${to}`,
    ]);
  await bundle("tests/fixtures/counter.worker.ts", "counter.worker.mjs");
  await bundle("bench/worker.ts", "worker.mjs");
  const entry = new URL(`${out}/counter.worker.mjs`, root).href;
  const script = `${out}/worker.mjs`;
  for (const [name, command] of [["Node", "node"], ["Bun", bun]]) {
    if (command === bun && !exists(root, bun)) {
      notes.push("Bun: no runtimes/node_modules/.bin/bun (run `npm ci` in runtimes/)");
      continue;
    }
    console.error(`::: workers: ${name}`);
    try {
      runs.push(lastJson(
        await output(root, command, [script, ...flags], { DESYNC_BENCH_ENTRY: entry }),
      ));
    } catch (error) {
      notes.push(`${name}: ${(error as Error).message}`);
    }
  }
  return { runs, notes };
}
