// Copyright 2026 the desync authors. MIT license.
// Finds the test files and bundles each one, with the Deno.test adapter in
// front of it, for Node (ESM .mjs run by `node --test`) or for the browser
// (ESM run in a page by chromium.ts). Bun needs no build: it runs the .ts
// files itself (bun_setup.ts).
//
// Why bundle for Node: the sources are ES modules written as .ts, with no
// package.json beside them to say so, and Node (and tsx) take such .ts files
// for CommonJS, where examples/bank.ts's top-level await cannot run. A bundle
// is what a Node user gets from JSR's npm compatibility too: ES module
// JavaScript. The output goes to node_modules/.cache, which Deno ignores.

import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { SKIPS } from "./skips.ts";
import { buildWorkerEntries, workerEntryUrls } from "./worker_entries.ts";

const require = createRequire(import.meta.url);
// esbuild's JS API, loaded with require so that Deno's checks of this folder
// need no npm dependency.
const esbuild = require("esbuild") as {
  build(
    options: Record<string, unknown>,
  ): Promise<{ errors: unknown[]; warnings: unknown[] }>;
};

export const RUNTIMES_DIR: string = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR: string = resolve(RUNTIMES_DIR, "..");
/**
 * Where the bundles go: node_modules/.cache/desync, which Deno ignores, or
 * DESYNC_RUNTIMES_CACHE, so that two runs of the same runtime at once (each
 * build empties its folder first) do not overwrite each other's bundles.
 */
export const CACHE_DIR: string = process.env.DESYNC_RUNTIMES_CACHE
  ? resolve(process.env.DESYNC_RUNTIMES_CACHE)
  : join(RUNTIMES_DIR, "node_modules", ".cache", "desync");

/** Deno's default test file pattern: {*_,*.,}test.{ts,tsx,mts,js,mjs,jsx}. */
const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** Test files under tests/, sorted, as paths relative to the repo. */
export function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (
      const entry of readdirSync(join(REPO_DIR, dir), { withFileTypes: true })
    ) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (TEST_FILE.test(entry.name)) found.push(path);
    }
  };
  walk("tests");
  // DESYNC_TEST_FILES=a,b runs only the files whose path contains one of them (for debugging).
  const only = process.env.DESYNC_TEST_FILES?.split(",").filter((part) => part !== "");
  return found.sort().filter((file) => !only?.length || only.some((part) => file.includes(part)));
}

/**
 * Web APIs that some runtimes here lack, used directly by a test file, with
 * the helper of tests/_helpers.ts that works everywhere. Printed as notes
 * (the test then fails on that runtime, naming the missing API).
 */
const NOT_EVERYWHERE: [RegExp, string][] = [
  [
    /\bReadableStream\.from\(/,
    "ReadableStream.from (not in Chromium): use streamFrom",
  ],
  [/\bArray\.fromAsync\(/, "Array.fromAsync (not in Node 20): use collect"],
];

/** Notes on test files that use an API from NOT_EVERYWHERE directly. */
export function portabilityNotes(): string[] {
  const notes: string[] = [];
  const walk = (dir: string) => {
    for (
      const entry of readdirSync(join(REPO_DIR, dir), { withFileTypes: true })
    ) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        /\.(ts|tsx|mts|js|mjs|jsx)$/.test(entry.name) &&
        entry.name !== "_helpers.ts"
      ) {
        const text = readFileSync(join(REPO_DIR, path), "utf8");
        for (const [pattern, advice] of NOT_EVERYWHERE) {
          if (pattern.test(text)) {
            notes.push(`${path} uses ${advice} from tests/_helpers.ts`);
          }
        }
      }
    }
  };
  walk("tests");
  // A skip whose test was renamed or removed would silently do nothing.
  const sources = findTestFiles().map((file) => readFileSync(join(REPO_DIR, file), "utf8"));
  for (const skip of SKIPS) {
    if (typeof skip.test !== "string") continue;
    const literal = JSON.stringify(skip.test);
    if (
      !sources.some((text) => text.includes(literal) || text.includes(`\`${skip.test}\``))
    ) {
      notes.push(
        `runtimes/skips.ts names a test that no test file has: ${literal}`,
      );
    }
  }
  return notes;
}

/** A Deno `npm:` specifier: `npm:name@version/subpath`. */
export interface NpmSpecifier {
  name: string;
  version: string;
  subpath: string;
}

const NPM_SPECIFIER = /^npm:(@[^/@]+\/[^/@]+|[^/@]+)(?:@([^/]+))?(\/.*)?$/;

export function parseNpmSpecifier(specifier: string): NpmSpecifier | undefined {
  const match = NPM_SPECIFIER.exec(specifier);
  if (match === null) return undefined;
  return { name: match[1], version: match[2] ?? "", subpath: match[3] ?? "" };
}

/** The version of `name` installed in runtimes/node_modules, if any. */
function installedVersion(name: string): string | undefined {
  try {
    const manifest = readFileSync(
      join(RUNTIMES_DIR, "node_modules", name, "package.json"),
      "utf8",
    );
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Installs, into runtimes/node_modules, each npm package that a file under
 * tests/ imports with a Deno `npm:` specifier and that is missing there (or
 * there at another version than the exact one asked for). Pin them in
 * runtimes/package.json to make the install part of the lockfile.
 */
export function ensureNpmPackages(): void {
  const wanted = new Map<string, NpmSpecifier>();
  const walk = (dir: string) => {
    for (
      const entry of readdirSync(join(REPO_DIR, dir), { withFileTypes: true })
    ) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|tsx|mts|js|mjs|jsx)$/.test(entry.name)) {
        const text = readFileSync(join(REPO_DIR, path), "utf8");
        for (const match of text.matchAll(/["'](npm:[^"']+)["']/g)) {
          const spec = parseNpmSpecifier(match[1]);
          if (spec !== undefined) {
            wanted.set(`${spec.name}@${spec.version}`, spec);
          }
        }
      }
    }
  };
  walk("tests");
  const missing = [...wanted.values()].filter((spec) => {
    const installed = installedVersion(spec.name);
    return installed === undefined ||
      (/^\d+\.\d+\.\d+/.test(spec.version) && installed !== spec.version);
  });
  if (missing.length === 0) return;
  const packages = missing.map((spec) => spec.version ? `${spec.name}@${spec.version}` : spec.name);
  // To stderr: stdout carries the list of bundles that run.sh reads.
  console.error(
    `::: installing npm packages the tests import: ${packages.join(" ")}`,
  );
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      RUNTIMES_DIR,
      "--no-save",
      "--no-audit",
      "--no-fund",
      ...packages,
    ],
    // npm's own output to stderr too (stdout is the bundle list run.sh reads).
    { stdio: ["ignore", process.stderr, "inherit"] },
  );
}

/** One bundle: the test file it runs and the bundle's path. */
export interface Bundle {
  testFile: string;
  output: string;
}

/** Bundles every test file for `target`; returns the bundles in test-file order. */
export async function buildBundles(
  target: "node" | "chromium",
): Promise<Bundle[]> {
  ensureNpmPackages();
  for (const note of portabilityNotes()) console.error(`note: ${note}`);
  const outDir = join(CACHE_DIR, target);
  rmSync(outDir, { recursive: true, force: true });
  const entriesDir = join(outDir, "entries");
  mkdirSync(entriesDir, { recursive: true });
  const ext = target === "node" ? ".mjs" : ".js";
  const bundles: Bundle[] = [];
  const entryPoints: { in: string; out: string }[] = [];
  for (const testFile of findTestFiles()) {
    const name = testFile.replace(/^tests[\\/]/, "").replace(/\.[^.]+$/, "")
      .replace(/[\\/]/g, "__");
    const entry = join(entriesDir, `${name}.ts`);
    const abs = (path: string) => JSON.stringify(path);
    // Static imports evaluate in order and fully (top-level await included)
    // before the entry's own body: adapter, then the test file's tests.
    const source = target === "node"
      ? `import ${abs(join(RUNTIMES_DIR, "node_setup.ts"))};\n` +
        `import ${abs(join(REPO_DIR, testFile))};\n`
      : `import { runRegisteredTests } from ${abs(join(RUNTIMES_DIR, "browser_harness.ts"))};\n` +
        `import ${abs(join(REPO_DIR, testFile))};\n` +
        `await runRegisteredTests(${abs(testFile)});\n`;
    writeFileSync(entry, source);
    entryPoints.push({ in: entry, out: name });
    bundles.push({ testFile, output: join(outDir, name + ext) });
  }
  const browser = target === "chromium";
  // Worker entries (worker_entries.ts): the plugin rewrites each
  // new URL("./x.worker.ts", import.meta.url) to the URL of x's own bundle,
  // and each entry named so, with every tests/fixtures/*.worker.ts, is then
  // bundled with the same options (no adapter in front).
  const referenced = new Map<string, string>();
  const notes = new Set<string>();
  const options = {
    outdir: outDir,
    outExtension: { ".js": ext },
    bundle: true,
    format: "esm",
    platform: browser ? "browser" : "node",
    // Node 20 is the oldest runtime here; Chromium is current.
    target: browser ? "chrome120" : "node20",
    sourcemap: "linked",
    logLevel: "warning",
    // Class fields with [[Define]] semantics, as Deno compiles them.
    tsconfigRaw: {
      compilerOptions: { useDefineForClassFields: true, target: "ES2022" },
    },
    plugins: [
      npmSpecifiers(),
      ...(browser ? [browserNodeModules()] : []),
      workerEntryUrls(target, outDir, referenced, notes),
    ],
  };
  await esbuild.build({
    ...options,
    entryPoints,
    inject: browser ? [join(RUNTIMES_DIR, "browser_process.ts")] : [],
  });
  const workers = await buildWorkerEntries(outDir, options, referenced, notes);
  for (const note of notes) console.error(`note: ${note}`);
  if (workers.length > 0) {
    console.error(`::: ${target}: entries bundled on their own: ${workers.join(" ")}`);
  }
  return bundles;
}

interface PluginBuild {
  onResolve(
    options: { filter: RegExp; namespace?: string },
    callback: (args: { path: string; kind: string }) => unknown,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace: string },
    callback: (
      args: { path: string },
    ) => { contents: string; resolveDir: string },
  ): void;
  resolve(
    path: string,
    options: { resolveDir: string; kind: string },
  ): Promise<unknown>;
}

/** Deno's `npm:name@version/sub` imports, from runtimes/node_modules. */
export function npmSpecifiers() {
  return {
    name: "npm-specifiers",
    setup(build: PluginBuild) {
      build.onResolve({ filter: /^npm:/ }, (args) => {
        const spec = parseNpmSpecifier(args.path);
        if (spec === undefined) {
          throw new Error(`cannot read the npm specifier ${args.path}`);
        }
        return build.resolve(spec.name + spec.subpath, {
          resolveDir: RUNTIMES_DIR,
          kind: args.kind,
        });
      });
    },
  };
}

/**
 * What the test files import from node: in the browser, as modules made here.
 * node:assert/strict is the npm package `assert` (Node's assert ported to
 * browsers) in its strict mode; node:util is a stub that throws, because the
 * one test that uses it checks a Node API and is skipped in the browser
 * (skips.ts). Any other node: import fails the build, naming itself.
 */
const BROWSER_SHIMS: Record<string, string> = {
  "node:assert/strict": `import assert from "assert"; export default assert.strict;`,
  "node:util": `export function inspect() {
  throw new Error("node:util is a Node API; a browser has no inspect (see runtimes/skips.ts)");
}`,
};

export function browserNodeModules() {
  return {
    name: "browser-node-modules",
    setup(build: PluginBuild) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        if (!(args.path in BROWSER_SHIMS)) {
          throw new Error(
            `${args.path} has no browser version in runtimes/build.ts`,
          );
        }
        return { path: args.path, namespace: "browser-shim" };
      });
      build.onLoad({ filter: /.*/, namespace: "browser-shim" }, (args) => ({
        contents: BROWSER_SHIMS[args.path],
        resolveDir: RUNTIMES_DIR,
      }));
    },
  };
}

/** Path of `file` relative to the repo, for messages. */
export function repoRelative(file: string): string {
  return relative(REPO_DIR, file);
}

// `tsx runtimes/build.ts node|chromium`: builds and prints the bundles' paths.
if (
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const target = process.argv[2];
  if (target !== "node" && target !== "chromium") {
    console.error("usage: tsx runtimes/build.ts node|chromium");
    process.exit(2);
  }
  for (const bundle of await buildBundles(target)) console.log(bundle.output);
}
