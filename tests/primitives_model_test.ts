// Copyright 2026 the desync authors. MIT license.
// Model-based property tests of the primitives: random programs mixing
// mutexes, semaphores, channels, an event, a oneshot, timers, select and
// Desync jobs that use them, run in lockstep with the reference model of
// _primitives_model.ts (what is checked: _primitives_model_run.ts).
//
// CI runs a fixed-seed batch (CI_RUNS programs: 10,000 on Deno, about 5 s on
// a 2-core machine; 4,000 elsewhere, 3 to 10 s). The soak batch runs more,
// with a fresh seed each time (100,000 programs: about a minute):
//
//   deno test --sanitize-ops --sanitize-resources tests/primitives_model_test.ts -- --runs=100000
//
// A failure prints the seed, the path and the shrunk program; replay it with
// `-- --seed=<seed> --path=<path>`. Without arguments, the environment
// variables DESYNC_PRIMITIVES_MODEL_RUNS / _SEED / _PATH are read when
// `--allow-env` grants them (on Node and Bun, the adapter grants them).

import fc from "npm:fast-check@4.10.2";
import { Run, stats } from "./_primitives_model_run.ts";
import { pinnedPrograms, program } from "./_primitives_model_program.ts";
import { onReportedError, onUnhandledRejection } from "./_helpers.ts";
import { modelSettings } from "./_model_settings.ts";

/**
 * The CI batch: fixed, so that a failure is reproducible from the log. A
 * program takes about 0.5 ms on Deno and 1 to 2.5 ms on Node and in workerd
 * (2-core machine), so the other runtimes run fewer.
 */
const onDeno = typeof navigator === "object" &&
  (navigator as { userAgent?: string }).userAgent?.startsWith("Deno/") === true;
const CI_RUNS = onDeno ? 10_000 : 4_000;
const CI_SEED = 20260613;

const { numRuns, seed, path: pathSetting } = modelSettings("DESYNC_PRIMITIVES_MODEL", {
  runs: CI_RUNS,
  seed: CI_SEED,
});

Deno.test(
  `primitives model: ${numRuns} programs (seed ${seed}) match the model and keep the invariants`,
  async () => {
    let current: Run | null = null;
    const stopErrors = onReportedError((error) => {
      if (current !== null) current.stray.push(`reportError: ${String(error)}`);
      else throw error;
    });
    const stopRejections = onUnhandledRejection((reason) => {
      if (current !== null) current.stray.push(`unhandled rejection: ${String(reason)}`);
      else throw reason;
    });
    const started = performance.now();
    try {
      await fc.assert(
        fc.asyncProperty(program, async (prog) => {
          const run = new Run(prog);
          current = run;
          try {
            const violations = await run.run();
            if (violations.length > 0) {
              throw new Error(`${violations.length} violation(s):\n  ${violations.join("\n  ")}`);
            }
          } finally {
            current = null;
          }
        }),
        {
          numRuns,
          seed,
          path: pathSetting,
          endOnFailure: false,
          examples: pathSetting === undefined ? pinnedPrograms.map(({ program }) => [program]) : [],
        },
      );
    } finally {
      stopErrors();
      stopRejections();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        [
          `primitives model: ${stats.programs} programs (seed ${seed}) in ${seconds} s`,
          `  ${stats.ops} operations (${stats.skipped} without a target), ${stats.handles} ` +
          `waiting operations (${stats.jobs} in Desync jobs), ${stats.selects} selects ` +
          `(${stats.selectsWaited} waited)`,
          `  ${stats.granted} granted, ${stats.rejected} rejected (${stats.handoffs} granted and ` +
          `${stats.failedWaiting} failed after waiting); ${stats.aborts} aborts, ` +
          `${stats.fired} timeouts fired, ${stats.closes} closes, ${stats.releases} releases, ` +
          `${stats.received} values received; ${stats.iterations} next() of channel iterators ` +
          `(${stats.abandoned} abandoned while waiting)`,
        ].join("\n"),
      );
    }
  },
);
