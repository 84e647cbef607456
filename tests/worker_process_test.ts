// Copyright 2026 the desync authors. MIT license.
// A process that uses worker objects ends: on Node and Bun without closing its
// pool (idle workers are unref'd); on Deno, whose workers cannot be unref'd,
// once the pool is closed (the documented way: `await using`).

import assert from "node:assert/strict";

const SCRIPT = new URL("./fixtures/exit.process.ts", import.meta.url);

interface ChildProcess {
  execFile(
    file: string,
    args: string[],
    options: { timeout: number },
    callback: (error: Error | null, stdout: string, stderr: string) => void,
  ): void;
}

/** Runs the script with this runtime; resolves with its output, or rejects after `ms`. */
function runScript(ms: number): Promise<string> {
  const process = (globalThis as {
    process?: { execPath: string; getBuiltinModule?(name: string): unknown };
  }).process;
  const child = process?.getBuiltinModule?.("node:child_process") as ChildProcess | undefined;
  // Which runtime, without touching Deno.* (the test adapters' Deno throws for what it lacks).
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
  if (agent?.startsWith("Deno/")) return runDeno(ms);
  if (child === undefined || process === undefined) throw new Error("no way to start a process");
  const path = decodeURIComponent(SCRIPT.pathname);
  return new Promise((resolve, reject) => {
    child.execFile(process.execPath, [path], { timeout: ms }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function runDeno(ms: number): Promise<string> {
  const command = new Deno.Command("deno", { // --allow-run=deno names it so
    args: ["run", "--allow-read=.", SCRIPT.pathname, "--close"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder();
  if (code !== 0) throw new Error(`exit code ${code}: ${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test("worker: a program using worker objects ends by itself (Deno: once its pool is closed)", async () => {
  const output = await runScript(30_000);
  assert.match(output, /total 2/);
});
