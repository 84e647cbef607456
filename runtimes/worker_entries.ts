// Copyright 2026 the desync authors. MIT license.
// Worker entry files (tests/fixtures/*.worker.ts) in the bundled runs: Node
// and Chromium run esbuild bundles, and a test bundle's `import.meta.url` is
// the bundle's, not the test file's; node:worker_threads also wants a .mjs
// file, never .ts. So build.ts bundles each worker entry on its own (the
// library it imports bundled in) and, in every bundle, rewrites the one
// portable way a test names a worker entry,
//
//   new URL("./fixtures/counter.worker.ts", import.meta.url)
//
// (a string literal ending in .worker.ts, relative to the file it is in) to
// the URL of that entry's bundle:
//
//   node      new URL("file:///…/node/workers/tests/fixtures/counter.worker.mjs")
//   chromium  new URL("/workers/tests/fixtures/counter.worker.js", import.meta.url)
//             (served by chromium.ts from the page's origin, cross-origin isolated)
//   workerd   new URL("/workers/tests/fixtures/counter.worker.js", "https://workerd.invalid/")
//             (workerd has no Worker, and no import.meta.url: the URL only has
//             to be valid, so that a test file that names a worker entry at its
//             top level still loads; its worker tests are skipped, skips.ts)
//
// A script that a test runs in a child process (say, to check that the
// process exits with a worker pool still open) is handled the same way when
// its name ends in .process.ts: on Node, `node <file URL's path>` then runs its
// .mjs bundle.
//
// Deno and Bun run the .ts files themselves and need none of this. An entry
// named this way that does not exist is left unbuilt: the worker then fails to
// load, as it does on Deno (a build note names it, unless its file name
// contains "missing": a test of a worker that fails to load).

import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
// Loaded with require so that Deno's checks of this folder need no npm dependency.
const esbuild = require("esbuild") as {
  build(options: Record<string, unknown>): Promise<unknown>;
};

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the bundles run; decides how a rewritten URL is written. */
export type WorkerTarget = "node" | "chromium" | "workerd";

/** The file names of entries: worker entries, and scripts run in a child process. */
const ENTRY_NAME = /\.(worker|process)\.ts$/;

/** `new URL("<relative>.worker.ts", import.meta.url)`, the one form that is rewritten. */
const WORKER_URL =
  /new URL\(\s*(["'])([^"'`\n]+\.(?:worker|process)\.ts)\1\s*,\s*import\.meta\.url\s*,?\s*\)/g;

/** Any other string literal naming such a file: not rewritten, so worth a note. */
const OTHER_MENTION = /(["'`])[^"'`\n]*\.(worker|process)\.ts\1/;

/**
 * Whether `offset` is in a line comment (after a `//` not preceded by `:`)
 * or on a JSDoc/block comment line (one that starts with `*` or `/*`): such a
 * URL is an example, not code. A heuristic, enough for this repository's style.
 */
function inComment(text: string, offset: number): boolean {
  const line = text.slice(text.lastIndexOf("\n", offset - 1) + 1, offset);
  return /(^|[^:])\/\//.test(line) || /^\s*\/?\*/.test(line);
}

/** The bundle of `source` (absolute), relative to the output folder, without extension. */
export function workerOutput(source: string): string {
  return join("workers", relative(REPO_DIR, source).replace(/\.ts$/, ""))
    .replaceAll("\\", "/");
}

/** Every entry fixture: tests/fixtures/**\/*.{worker,process}.ts, as absolute paths. */
export function fixtureWorkerEntries(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (ENTRY_NAME.test(entry.name)) found.push(path);
    }
  };
  walk(join(REPO_DIR, "tests", "fixtures"));
  return found.sort();
}

interface LoadPluginBuild {
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: { path: string }) => unknown,
  ): void;
}

/**
 * The esbuild plugin that rewrites worker entry URLs (see the top of this
 * file) in the repository's own sources, recording in `referenced` the
 * absolute path of each entry it rewrote a URL to, with the file (relative to
 * the repository) that first named it.
 */
export function workerEntryUrls(
  target: WorkerTarget,
  outDir: string,
  referenced: Map<string, string>,
  notes: Set<string>,
) {
  const ext = target === "node" ? ".mjs" : ".js";
  const urlOf = (source: string): string => {
    const output = workerOutput(source) + ext;
    if (target === "node") {
      return `new URL(${JSON.stringify(pathToFileURL(join(outDir, output)).href)})`;
    }
    const base = target === "chromium" ? "import.meta.url" : `"https://workerd.invalid/"`;
    return `new URL(${JSON.stringify("/" + output)}, ${base})`;
  };
  return {
    name: "worker-entry-urls",
    setup(build: LoadPluginBuild) {
      build.onLoad({ filter: /\.(ts|tsx|mts|js|mjs|jsx)$/, namespace: "file" }, (args) => {
        const rel = relative(REPO_DIR, args.path);
        if (rel.startsWith("..") || rel.split(/[\\/]/).includes("node_modules")) {
          return undefined;
        }
        const text = readFileSync(args.path, "utf8");
        if (!/\.(worker|process)\.ts/.test(text)) return undefined; // esbuild loads it as usual
        const rewritten = text.replace(
          WORKER_URL,
          (match, _quote, path: string, offset: number) => {
            if (inComment(text, offset)) return match;
            const source = resolve(dirname(args.path), path);
            if (!referenced.has(source)) referenced.set(source, rel);
            return urlOf(source);
          },
        );
        // Comment lines and imports (`import type { Api } from "./x.worker.ts"`) are no URL.
        const other = rewritten.split("\n").some((line) =>
          OTHER_MENTION.test(line) && !/^\s*(\/\/|\/?\*)/.test(line) &&
          !/\bfrom\s*["'][^"']*\.(worker|process)\.ts["']/.test(line)
        );
        if (rel.startsWith("tests") && other) {
          notes.add(
            `${rel} names a .worker.ts/.process.ts file in a form other than ` +
              `new URL("./….worker.ts", import.meta.url): not rewritten for ${target}`,
          );
        }
        const loader = /\.m?ts$/.test(args.path)
          ? "ts"
          : args.path.endsWith(".tsx")
          ? "tsx"
          : args.path.endsWith(".jsx")
          ? "jsx"
          : "js";
        return { contents: rewritten, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Bundles every worker entry fixture and every entry that the bundles built
 * so far name (`referenced`, filled by workerEntryUrls during those builds;
 * again until no new one turns up), each to its own ES module under
 * `outDir/workers/`. `options` are the test bundles' esbuild options, with
 * the workerEntryUrls plugin that fills `referenced` among their plugins.
 * Returns the entries built, as paths relative to the repository.
 */
export async function buildWorkerEntries(
  outDir: string,
  options: Record<string, unknown>,
  referenced: Map<string, string>,
  notes: Set<string>,
): Promise<string[]> {
  const built = new Set<string>();
  const pending = new Set(fixtureWorkerEntries());
  for (const source of referenced.keys()) pending.add(source);
  while (pending.size > 0) {
    const entries = [...pending].filter((source) => {
      if (built.has(source)) return false;
      if (existsSync(source)) return true;
      // Only for a test's reference (a JSDoc example's URL is rewritten too,
      // harmlessly), and not for a name that says it is missing on purpose.
      const referrer = referenced.get(source) ?? "";
      if (referrer.startsWith("tests") && !basename(source).includes("missing")) {
        notes.add(
          `${referrer} names the worker entry ${relative(REPO_DIR, source)}, which does not ` +
            `exist: left unbuilt (the worker fails to load, as on Deno)`,
        );
      }
      return false;
    });
    pending.clear();
    if (entries.length === 0) break;
    for (const source of entries) built.add(source);
    await esbuild.build({
      ...options,
      // A worker runs no test adapter: it gets the runtime as it is (no Deno
      // global outside Deno, no injected `process` in a browser).
      inject: [],
      entryPoints: entries.map((source) => ({ in: source, out: workerOutput(source) })),
      outdir: outDir,
    });
    for (const source of referenced.keys()) if (!built.has(source)) pending.add(source);
  }
  return [...built].map((source) => relative(REPO_DIR, source)).sort();
}
