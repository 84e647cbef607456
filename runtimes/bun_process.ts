// Copyright 2026 the desync authors. MIT license.
// The tests that bun test cannot run, in a plain bun process: those that
// expect an error to reach reportError or to be an unhandled rejection
// (skips.ts, bunProcessTests). Under bun test, the runner claims such errors
// before any listener sees them; in a plain Bun program they reach
// process.on("uncaughtException" / "unhandledRejection") as in Node, which is
// what the tests listen to (tests/_helpers.ts). The adapter's own runner
// (runner.ts) runs them, one file at a time.
//
// Usage: bun runtimes/bun_process.ts <test files>
// Prints "ok"/"FAIL" per test and a last line "bun-process: N passed, N failed".

import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bun } from "./bun_npm.ts";
import { Runner } from "./runner.ts";
import { bunProcessTests } from "./skips.ts";

const withGc = globalThis as { gc?: () => void };
withGc.gc ??= () => bun.gc(true); // as in bun_setup.ts

const wanted = bunProcessTests();
const runner = new Runner(
  { name: "bun", version: bun.version, runner: "adapter" },
  process.env,
  () => process.memoryUsage(),
);
let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  await import(pathToFileURL(resolve(file)).href);
  await runner.runRegistered((result) => {
    if (result.status === "skipped") {
      console.log(`skip ${file} > ${result.name} # ${result.reason}`);
    } else if (result.status === "passed") {
      passed++;
      console.log(`ok   ${file} > ${result.name} (${result.ms} ms)`);
    } else {
      failed++;
      console.log(
        `FAIL ${file} > ${result.name} (${result.ms} ms)\n${result.error}`,
      );
    }
  }, (name) => wanted.has(name));
}
console.log(`bun-process: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
