// Copyright 2026 the desync authors. MIT license.
// Deno.test on top of node:test. build.ts bundles it in front of each test
// file, and `node --expose-gc --test` runs the bundles (run.sh).

import process from "node:process";
import { test } from "node:test";
import { installDenoShim } from "./deno_shim.ts";

/** Generous: a hung test fails instead of hanging the run (Deno has no default). */
const TIMEOUT_MS = 60_000;

installDenoShim({
  runtime: {
    name: `node${process.versions.node.split(".")[0]}`,
    version: process.version,
    runner: "node:test",
  },
  env: process.env,
  memoryUsage: () => process.memoryUsage(),
  register({ name, fn, skip }) {
    if (skip !== undefined) test(name, { skip }, () => {});
    else test(name, { timeout: TIMEOUT_MS }, fn);
  },
});
