// Copyright 2026 the desync authors. MIT license.
// Loading the library creates nothing and schedules nothing. workerd refuses a
// whole script that makes I/O objects, timers or random values in its global
// scope (an AbortController made at module load once broke every Durable
// Object using mod.ts), and a library that starts work at import costs its
// users even when unused. Each entry is imported in a fresh Deno whose
// globals record any call made during the import (setImmediate removed, as
// in a browser, where the library takes other paths).

import assert from "node:assert/strict";
import { denoCommand } from "./_deno.ts";

/** What workerd refuses in the global scope, and what no import should start. */
const FORBIDDEN = [
  "AbortController",
  "AbortSignal.timeout",
  "AbortSignal.any",
  "setTimeout",
  "setInterval",
  "queueMicrotask",
  "Math.random",
  "crypto.getRandomValues",
  "crypto.randomUUID",
  "fetch",
  "Worker",
  "MessageChannel",
  "SharedArrayBuffer",
  "BroadcastChannel",
];

/** The script run in the subprocess: trap every FORBIDDEN global, import `entries`, report. */
function script(entries: string[], forbidden: string[]): string {
  return `
const caught = [];
const restore = [];
for (const path of ${JSON.stringify(forbidden)}) {
  const parts = path.split(".");
  const name = parts.pop();
  const owner = parts.reduce((o, p) => o[p], globalThis);
  const original = owner[name];
  const trap = function (...args) {
    caught.push(path + " (" + (new Error().stack.split("\\n")[2] ?? "?").trim() + ")");
    return new.target ? Reflect.construct(original, args) : original.apply(this, args);
  };
  Object.defineProperty(owner, name, { value: trap, writable: true, configurable: true });
  restore.push(() => Object.defineProperty(owner, name, { value: original, writable: true, configurable: true }));
}
// As in a browser: no setImmediate, so the code for browsers is the one loaded.
const setImmediateFn = globalThis.setImmediate;
delete globalThis.setImmediate;
for (const entry of ${JSON.stringify(entries)}) await import(entry);
globalThis.setImmediate = setImmediateFn;
for (const undo of restore) undo();
console.log(JSON.stringify(caught));
Deno.exit(0); // even if something made at load would keep the process alive
`;
}

async function importsCreate(entries: URL[], forbidden = FORBIDDEN): Promise<string[]> {
  const { success, stdout, stderr } = await new Deno.Command(
    denoCommand("this test imports the library in a fresh `deno eval`"),
    {
      args: ["eval", "--no-lock", script(entries.map((e) => e.href), forbidden)],
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const text = new TextDecoder();
  if (!success) throw new Error(`deno eval failed:\n${text.decode(stderr)}`);
  return JSON.parse(text.decode(stdout));
}

Deno.test("load: importing any entry creates no I/O object, timer or random value", async (t) => {
  const root = new URL("../", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const entries = Object.values(config.exports as Record<string, string>)
    .map((path) => new URL(path, root));
  assert.ok(entries.length >= 5, `entries: ${entries.join(", ")}`);

  await t.step("the check sees a global created at load (not vacuous)", async () => {
    const bad = new URL(
      "data:application/typescript,export const never: AbortController = new AbortController();",
    );
    const caught = await importsCreate([bad, ...entries]);
    assert.equal(caught.length, 1, JSON.stringify(caught));
    assert.match(caught[0], /^AbortController \(at data:application\/typescript/);
  });

  await t.step("every entry of deno.json's exports", async () => {
    assert.deepEqual(await importsCreate(entries), []);
  });
});
