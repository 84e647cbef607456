// Copyright 2026 the desync authors. MIT license.
// Runs the test suite in headless Chromium: bundles each test file with the
// in-page runner (build.ts, browser_harness.ts), serves the bundles from
// 127.0.0.1, opens one fresh page per test file, and collects the results
// the page reports. Prints one line per test, the skipped tests with their
// reasons, and "chromium: N passed, N failed, N skipped"; exits 1 on failure.
//
// Usage: tsx runtimes/chromium.ts [path to a chromium binary]
//
// The pages are cross-origin isolated (COOP: same-origin and COEP:
// require-corp on every response, the worker bundles included), so that
// SharedArrayBuffer exists in the page and in its workers, as on the other
// runtimes. DESYNC_CHROMIUM_ISOLATED=0 serves them without those headers:
// crossOriginIsolated is false and SharedArrayBuffer undefined, what a page
// on an ordinary site gets (run.sh chromium-unisolated).

import { createServer } from "node:http";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { basename, dirname, join, normalize, sep } from "node:path";
import process from "node:process";
import type { Report } from "./browser_harness.ts";
import { buildBundles } from "./build.ts";

interface Page {
  exposeFunction(name: string, fn: (json: string) => void): Promise<void>;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(
    event: "console",
    listener: (message: { type(): string; text(): string }) => void,
  ): void;
  goto(url: string): Promise<unknown>;
  close(): Promise<void>;
}
interface Browser {
  version(): string;
  newContext(): Promise<{ newPage(): Promise<Page>; close(): Promise<void> }>;
  close(): Promise<void>;
}

// playwright-core, loaded with require so that Deno's checks of this folder
// need no npm dependency. It drives the system's Chromium; it never downloads one.
const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core") as {
  chromium: { launch(options: Record<string, unknown>): Promise<Browser> };
};

const executablePath = process.argv[2] ?? "/usr/bin/chromium-headless-shell";
const FILE_TIMEOUT_MS = 180_000;

const ISOLATED = process.env.DESYNC_CHROMIUM_ISOLATED !== "0";
const LABEL = ISOLATED ? "chromium" : "chromium-unisolated";
/** Cross-origin isolation: on every response, or a worker bundle would be refused. */
const ISOLATION_HEADERS: Record<string, string> = ISOLATED
  ? {
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-resource-policy": "same-origin",
  }
  : {};

const bundles = await buildBundles("chromium");
const outDir = dirname(bundles[0].output);

// Serve the bundles (and their source maps), and the worker entries' bundles
// under /workers/ (worker_entries.ts), from a loopback-only server: a real
// http origin, where the page is a secure context like any site on localhost.
const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  if (url.pathname === "/") {
    const script = url.searchParams.get("bundle") ?? "";
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      ...ISOLATION_HEADERS,
    });
    response.end(
      `<!doctype html><meta charset="utf-8"><title>desync tests</title>` +
        `<script type="module">import(${JSON.stringify("/" + encodeURIComponent(script))})` +
        `.catch((e) => __desyncReport(JSON.stringify({ kind: "load-error", error: e.stack ?? String(e) })));` +
        `</script>`,
    );
    return;
  }
  const path = join(outDir, normalize(decodeURIComponent(url.pathname)));
  try {
    if (!path.startsWith(outDir + sep)) throw new Error("outside the output folder");
    const body = readFileSync(path);
    const type = path.endsWith(".map") ? "application/json" : "text/javascript";
    response.writeHead(200, {
      "content-type": `${type}; charset=utf-8`,
      ...ISOLATION_HEADERS,
    });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  chromiumSandbox: false,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // gc() for the one test that checks what a pending input retains; the
    // same V8 flag that Deno's test task passes with --v8-flags.
    "--js-flags=--expose-gc",
  ],
});
console.log(
  `chromium ${browser.version()} (${executablePath}), ` +
    (ISOLATED
      ? "pages cross-origin isolated (COOP+COEP; DESYNC_CHROMIUM_ISOLATED=0 turns it off)"
      : "pages NOT cross-origin isolated (DESYNC_CHROMIUM_ISOLATED=0)"),
);

let passed = 0;
let failed = 0;
const skipped: string[] = [];

try {
  for (const { testFile, output } of bundles) {
    // A fresh context (profile) and page per test file, as Deno gives each file its own isolate.
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    let results = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "done" after ${FILE_TIMEOUT_MS} ms`)),
        FILE_TIMEOUT_MS,
      );
      void page.exposeFunction("__desyncReport", (json: string) => {
        const message = JSON.parse(json) as Report;
        if (message.kind === "done") {
          clearTimeout(timer);
          resolve();
        } else if (message.kind === "load-error") {
          clearTimeout(timer);
          reject(new Error(`the test file failed to load: ${message.error}`));
        } else if (message.status === "skipped") {
          results++;
          skipped.push(`${testFile} > ${message.name}: ${message.reason}`);
          console.log(`skip ${testFile} > ${message.name} # ${message.reason}`);
        } else if (message.status === "passed") {
          results++;
          passed++;
          console.log(`ok   ${testFile} > ${message.name} (${message.ms} ms)`);
        } else {
          results++;
          failed++;
          console.log(
            `FAIL ${testFile} > ${message.name} (${message.ms} ms)\n${message.error}`,
          );
        }
      }).then(() => {
        page.on(
          "pageerror",
          (error) => pageErrors.push(error.stack ?? String(error)),
        );
        return page.goto(
          `http://127.0.0.1:${port}/?bundle=${encodeURIComponent(basename(output))}`,
        );
      }).catch(reject);
    });
    try {
      await done;
    } catch (error) {
      failed++;
      console.log(
        `FAIL ${testFile}: the page did not finish (${results} results): ${error}`,
      );
      for (const text of pageErrors) console.log(`  page error: ${text}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}

if (skipped.length > 0) {
  console.log(`\nskipped on ${LABEL} (${skipped.length}):`);
  for (const line of skipped) console.log(`  ${line}`);
}
console.log(
  `${LABEL}: ${passed} passed, ${failed} failed, ${skipped.length} skipped`,
);
process.exitCode = failed > 0 ? 1 : 0;
