// Copyright 2026 the desync authors. MIT license.
// Model-based property tests: random programs over several schedulers,
// Desyncs and queues, checked against the reference model in _model.ts.
//
// CI runs a fixed-seed batch of 3,000 programs (about 16 s on a 2-core
// machine). The soak batch (`deno task test:soak`) runs more, with a fresh
// seed each time (about 5 ms a program):
//
//   deno test --sanitize-ops --sanitize-resources --v8-flags=--expose-gc \
//     tests/model_test.ts -- --runs=50000
//
// A failure prints the seed, the path and the shrunk program; replay it with
// `-- --seed=<seed> --path=<path>`. Without arguments, the environment
// variables DESYNC_MODEL_RUNS / DESYNC_MODEL_SEED / DESYNC_MODEL_PATH are read
// when `--allow-env` grants them.

import fc from "npm:fast-check@4.10.2";
import { Run, stats } from "./_model.ts";
import { pinnedPrograms, program } from "./_model_program.ts";
import { onReportedError, onUnhandledRejection } from "./_helpers.ts";
import { modelSettings } from "./_model_settings.ts";

/** The CI batch: fixed, so that a failure is reproducible from the log. */
const CI_RUNS = 3000;
const CI_SEED = 20260601;

const { numRuns, seed, path: pathSetting } = modelSettings("DESYNC_MODEL", {
  runs: CI_RUNS,
  seed: CI_SEED,
});

Deno.test(`model: ${numRuns} random programs (seed ${seed}) keep order, exclusivity and settlement`, async () => {
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
        // Counterexamples found before run first (not with a replayed path).
        examples: pathSetting === undefined ? pinnedPrograms.map(({ program }) => [program]) : [],
      },
    );
  } finally {
    stopErrors();
    stopRejections();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const faults = stats.throws + stats.rejects + stats.abortsPre + stats.abortsBeforeStart +
      stats.abortsDuringJob + stats.inputRejections + stats.sourceFailures + stats.processFailures +
      stats.pipeCancels + stats.closes;
    console.log(
      [
        `model: ${stats.programs} programs (seed ${seed}) in ${seconds} s`,
        `  operations: ${stats.ops} top-level + ${stats.nestedOps} from inside jobs; ` +
        `${stats.jobsRun} jobs and ${stats.pipeItems} pipe items ran`,
        `  faults injected: ${faults} = ${stats.throws} throws, ${stats.rejects} rejections, ` +
        `${stats.abortsPre} pre-aborted signals, ${stats.abortsBeforeStart} aborts while queued, ` +
        `${stats.abortsDuringJob} aborts while running (${stats.cancelsWhileRunning} released the ` +
        `caller at once: ${JSON.stringify(stats.cancelsByApi)}), ` +
        `${stats.inputRejections} after() inputs rejected, ` +
        `${stats.sourceFailures} failing pipe sources, ${stats.processFailures} failing pipe items, ` +
        `${stats.pipeCancels} cancelled pipe outputs, ${stats.closes} closes`,
        `  sync/trySync: ${stats.syncCalls} calls, ${stats.syncExact} with an exact prediction; ` +
        `errors thrown at call sites: ${JSON.stringify(stats.syncErrors)}`,
        `  fire-and-forget errors reported: ${stats.reports} (${stats.reportsAfterCancel} of jobs ` +
        `whose caller an abort had released)`,
        `  pulls and budget: ${stats.awaitedFutures} futures awaited inside jobs, ` +
        `${stats.budgetChecks} starts of unpulled background work checked against the budget, ` +
        `${stats.livenessChecks} idle targets checked for stuck work`,
      ].join("\n"),
    );
  }
});
