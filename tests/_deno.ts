// Copyright 2026 the desync authors. MIT license.
// For the tests that run a Deno subprocess (Deno only; skipped elsewhere, see
// runtimes/skips.ts).

/**
 * The Deno to run a subprocess with: the one running this test when it may
 * be run; else the `deno` on PATH, which `--allow-run=deno` grants (a grant
 * by name resolves PATH, and does not cover Deno.execPath() when PATH reaches
 * Deno through a symlink, as .tools/node_modules/.bin/deno does).
 *
 * @param why What the subprocess is for, for the error without the grant.
 */
export function denoCommand(why: string): string {
  const self = Deno.execPath();
  if (Deno.permissions.querySync({ name: "run", command: self }).state === "granted") return self;
  if (Deno.permissions.querySync({ name: "run", command: "deno" }).state === "granted") {
    return "deno";
  }
  throw new Error(`${why}: run the test with --allow-run=deno`);
}
