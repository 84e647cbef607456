// Copyright 2026 the desync authors. MIT license.
// Runs the test suite in workerd, Cloudflare's Workers runtime, through
// miniflare (both from npm: the package @cloudflare/workerd-linux-64 ships the
// binary; nothing is downloaded at run time). Makes each test file a Worker
// (the harness of workerd_harness.ts, and the test file bundled into a
// function that the harness calls), starts workerd with that one Worker on
// 127.0.0.1, sends it one request, and reads the results it streams back, one
// JSON line per test. A fresh workerd per file, as Deno gives each file its
// own isolate. Prints one line per test, the
// skipped tests with their reasons, and "workerd: N passed, N failed,
// N skipped"; exits 1 on failure or when nothing ran.
//
// Needs Node 22 or later (miniflare's engines); run.sh runs it with the Node 22
// of runtimes/node_modules: `tsx runtimes/workerd.ts`.

import { createRequire } from "node:module";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import {
  browserNodeModules,
  CACHE_DIR,
  ensureNpmPackages,
  findTestFiles,
  npmSpecifiers,
  portabilityNotes,
  REPO_DIR,
  RUNTIMES_DIR,
} from "./build.ts";
import type { WorkerdReport } from "./workerd_harness.ts";
import { workerEntryUrls } from "./worker_entries.ts";

interface MiniflareInstance {
  ready: Promise<URL>;
  dispatchFetch(url: string, init?: { signal?: AbortSignal }): Promise<{
    status: number;
    body: ReadableStream<Uint8Array> | null;
    text(): Promise<string>;
  }>;
  dispose(): Promise<void>;
}

// npm packages, loaded with require so that Deno's checks of this folder
// need no npm dependency.
const require = createRequire(import.meta.url);
const esbuild = require("esbuild") as {
  build(options: Record<string, unknown>): Promise<unknown>;
};
const { Miniflare } = require("miniflare") as {
  Miniflare: new (options: Record<string, unknown>) => MiniflareInstance;
};
const MINIFLARE_VERSION = (require("miniflare/package.json") as { version: string }).version;
const WORKERD_VERSION = (require("workerd/package.json") as { version: string }).version;

/**
 * The newest date this workerd supports (its version is 1.YYYYMMDD.N): the
 * Workers platform as a new Worker gets it. No compatibility flags: in
 * particular no nodejs_compat, so the library runs on workerd's own globals
 * (no setImmediate, no process), as the default Worker does.
 */
const COMPATIBILITY_DATE = WORKERD_VERSION.replace(
  /^1\.(\d{4})(\d{2})(\d{2})\..*$/,
  "$1-$2-$3",
);
/** A file whose tests have not all reported by then fails, and its workerd is stopped. */
const FILE_TIMEOUT_MS = 300_000;

/** One Worker: the test file it runs and its modules, relative to the output folder. */
interface TestWorker {
  testFile: string;
  modules: { type: "ESModule"; path: string; contents: string }[];
}

/**
 * Bundles the harness once and each test file into a module that exports
 * `load()`, a function that runs the file's module code (see
 * workerd_harness.ts for why); each Worker is a main module that joins the two.
 */
async function buildWorkers(outDir: string): Promise<TestWorker[]> {
  ensureNpmPackages();
  for (const note of portabilityNotes()) console.error(`note: ${note}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const testFiles = findTestFiles();
  const notes = new Set<string>();
  const names = testFiles.map((file) =>
    file.replace(/^tests[\\/]/, "").replace(/\.[^.]+$/, "").replace(
      /[\\/]/g,
      "__",
    )
  );
  const common = {
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    // A Worker is a browser-like platform: npm packages take their browser
    // builds, and node: modules get the same shims as in Chromium (build.ts).
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
    tsconfigRaw: {
      compilerOptions: { useDefineForClassFields: true, target: "ES2022" },
    },
    // workerd has no Worker: a worker entry's URL only has to be valid
    // (worker_entries.ts), and no worker entry is bundled.
    plugins: [
      npmSpecifiers(),
      browserNodeModules(),
      workerEntryUrls("workerd", outDir, new Map(), notes),
    ],
    inject: [join(RUNTIMES_DIR, "browser_process.ts")],
  };
  await esbuild.build({
    ...common,
    entryPoints: [{
      in: join(RUNTIMES_DIR, "workerd_harness.ts"),
      out: "harness",
    }],
  });
  const { metafile } = await esbuild.build({
    ...common,
    entryPoints: testFiles.map((file, i) => ({
      in: join(REPO_DIR, file),
      out: names[i],
    })),
    metafile: true,
  }) as {
    metafile: {
      outputs: Record<string, { imports: unknown[]; exports: string[] }>;
    };
  };
  for (const note of notes) console.error(`note: ${note}`);
  const harness = readFileSync(join(outDir, "harness.mjs"), "utf8");
  return testFiles.map((testFile, i) => {
    const path = join(outDir, `${names[i]}.mjs`);
    const output = metafile.outputs[relative(process.cwd(), path).replaceAll("\\", "/")];
    let bundle = readFileSync(path, "utf8");
    if (output === undefined || output.imports.length > 0) {
      throw new Error(
        `${testFile}: its bundle imports other modules; it cannot be wrapped`,
      );
    }
    if (output.exports.length > 0) {
      // What a test file exports is of no use here: drop esbuild's closing export statement.
      const end = bundle.replace(/\nexport \{[^}]*\};\s*$/, "\n");
      if (end === bundle) {
        throw new Error(`${testFile}: its bundle's exports were not found`);
      }
      bundle = end;
    }
    // On the bundle's first line, so that its line numbers stay as they were.
    const test = `export async function load() {${bundle}\n}\n`;
    writeFileSync(join(outDir, `${names[i]}.load.mjs`), test);
    const main = `import { makeWorker } from "./harness.mjs";\n` +
      `import { load } from "./test.mjs";\n` +
      `export default makeWorker(load);\n`;
    return {
      testFile,
      modules: [
        { type: "ESModule", path: "main.mjs", contents: main },
        { type: "ESModule", path: "harness.mjs", contents: harness },
        { type: "ESModule", path: "test.mjs", contents: test },
      ],
    };
  });
}

// gc() in the Worker, for the tests that check what the library retains (the
// same V8 flag that Deno's test task passes with --v8-flags); miniflare hands
// this variable's flags to workerd.
const v8Flags = process.env.MINIFLARE_WORKERD_V8_FLAGS ?? "";
process.env.MINIFLARE_WORKERD_V8_FLAGS = `${v8Flags} --expose-gc`.trim();

const OUT_DIR = join(CACHE_DIR, "workerd");
const workers = await buildWorkers(OUT_DIR);
console.log(
  `workerd ${WORKERD_VERSION} (miniflare ${MINIFLARE_VERSION}), compatibility date ` +
    `${COMPATIBILITY_DATE}, no compatibility flags`,
);

let passed = 0;
let failed = 0;
const skipped: string[] = [];

for (const { testFile, modules } of workers) {
  let results = 0;
  let done = false;
  const mf = new Miniflare({
    name: "tests",
    modules, // their paths are their names: main.mjs imports ./harness.mjs and ./test.mjs
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), FILE_TIMEOUT_MS);
  try {
    await mf.ready;
    const response = await mf.dispatchFetch("http://127.0.0.1/", {
      signal: abort.signal,
    });
    if (response.status !== 200 || response.body === null) {
      throw new Error(
        `the Worker answered ${response.status}: ${await response.text()}`,
      );
    }
    let buffered = "";
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const report = JSON.parse(line) as WorkerdReport;
        if (report.kind === "done") {
          done = true;
        } else if (report.kind === "error") {
          throw new Error(
            `the test file failed to load or run: ${report.error}`,
          );
        } else if (report.status === "skipped") {
          results++;
          skipped.push(`${testFile} > ${report.name}: ${report.reason}`);
          console.log(`skip ${testFile} > ${report.name} # ${report.reason}`);
        } else if (report.status === "passed") {
          results++;
          passed++;
          console.log(`ok   ${testFile} > ${report.name} (${report.ms} ms)`);
        } else {
          results++;
          failed++;
          console.log(
            `FAIL ${testFile} > ${report.name} (${report.ms} ms)\n${report.error}`,
          );
        }
      }
    }
    if (!done) {
      throw new Error("the response ended before the last test reported");
    }
  } catch (error) {
    failed++;
    const why = abort.signal.aborted ? `no end after ${FILE_TIMEOUT_MS} ms` : String(error);
    console.log(
      `FAIL ${testFile}: the Worker did not finish (${results} results): ${why}`,
    );
  } finally {
    clearTimeout(timer);
    await mf.dispose().catch(() => {}); // a workerd that failed to start rejects this too
  }
}

if (skipped.length > 0) {
  console.log(`\nskipped on workerd (${skipped.length}):`);
  for (const line of skipped) console.log(`  ${line}`);
}
console.log(
  `workerd: ${passed} passed, ${failed} failed, ${skipped.length} skipped`,
);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
