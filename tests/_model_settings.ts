// Copyright 2026 the desync authors. MIT license.
// The settings of a model-based test: CI runs a fixed batch (reproducible from
// the log); `-- --runs=N` soaks with a fresh seed; `-- --seed=S --path=P`
// replays a failure. Each may also come from an environment variable
// `<prefix>_RUNS` / `_SEED` / `_PATH` where `--allow-env` grants it (the Node
// and Bun adapter passes arguments that way).

/** What a model test runs. */
export interface ModelSettings {
  /** Programs to run. */
  numRuns: number;
  /** fast-check's seed. */
  seed: number;
  /** A failure's path to replay, if given. */
  path: string | undefined;
}

/**
 * Reads the settings of a model test.
 *
 * @param prefix The environment variables' prefix, e.g. "DESYNC_MODEL".
 * @param ci The batch CI runs when nothing is given.
 */
export function modelSettings(prefix: string, ci: { runs: number; seed: number }): ModelSettings {
  const setting = (name: string): string | undefined => {
    const flag = Deno.args.find((arg) => arg.startsWith(`--${name}=`));
    if (flag !== undefined) return flag.slice(name.length + 3);
    const variable = `${prefix}_${name.toUpperCase()}`;
    try {
      if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") {
        return undefined;
      }
      return Deno.env.get(variable);
    } catch {
      return undefined;
    }
  };
  const runs = setting("runs");
  const seed = setting("seed");
  const soak = runs !== undefined;
  return {
    numRuns: soak ? Number(runs) : ci.runs,
    seed: seed !== undefined ? Number(seed) : soak ? Math.floor(Math.random() * 2 ** 31) : ci.seed,
    path: setting("path"),
  };
}
