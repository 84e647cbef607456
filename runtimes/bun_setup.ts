// Copyright 2026 the desync authors. MIT license.
// Preloaded by `bun test --preload ./runtimes/bun_setup.ts <test files>`:
// Deno.test on top of bun:test, Bun's own runner, which runs the .ts files
// itself (no build step). bun:test rather than Bun's node:test layer: it is
// the runner Bun users run, and Deno.test's few features (tests, skips with
// a reason, steps run by the adapter) need nothing more. The few tests that
// bun test cannot run (skips.ts) run in a plain bun process (bun_process.ts).
//
// Bun runs every test file in one process, one file after the other.

import { test } from "bun:test";
import process from "node:process";
import { installDenoShim } from "./deno_shim.ts";
import { bun } from "./bun_npm.ts";

// gc() for the tests that check what is retained: Bun's own synchronous full
// collection, as --expose-gc gives Deno, Node and Chromium.
const withGc = globalThis as { gc?: () => void };
withGc.gc ??= () => bun.gc(true);

/** bun test's default is 5 s; the suite's longest tests need more, and Deno has none. */
const TIMEOUT_MS = 60_000;

installDenoShim({
  runtime: { name: "bun", version: bun.version, runner: "bun:test" },
  env: process.env,
  memoryUsage: () => process.memoryUsage(),
  register({ name, fn, skip }) {
    if (skip !== undefined) {
      // bun:test has no skip reason: print it, on a line of its own.
      console.log(`skip: ${name} # ${skip}`);
      test.skip(name, () => {});
    } else {
      test(name, fn, TIMEOUT_MS);
    }
  },
});
