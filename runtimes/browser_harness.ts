// Copyright 2026 the desync authors. MIT license.
// Bundled in front of one test file for the browser (build.ts): collects
// the file's Deno.test calls with the in-process runner (runner.ts) and
// reports each result to the driver (chromium.ts) through the page binding
// `__desyncReport`.

import { type Result, Runner } from "./runner.ts";

/** What the page sends to the driver, as JSON. */
export type Report =
  | ({ kind: "result"; file: string } & Result)
  | { kind: "done"; file: string }
  | { kind: "load-error"; error: string };

const page = globalThis as typeof globalThis & {
  __desyncReport?: (json: string) => void;
};

function report(message: Report): void {
  if (page.__desyncReport === undefined) {
    throw new Error("not run by runtimes/chromium.ts");
  }
  page.__desyncReport(JSON.stringify(message));
}

// A browser has no environment: Deno.env reads nothing, permissions are "denied".
const runner = new Runner({
  name: "chromium",
  version: navigator.userAgent,
  runner: "adapter",
});

/** Runs the tests that `file` registered, reporting each, then "done". */
export async function runRegisteredTests(file: string): Promise<void> {
  await runner.runRegistered((result) => report({ kind: "result", file, ...result }));
  report({ kind: "done", file });
}
