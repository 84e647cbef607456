// Copyright 2026 the desync authors. MIT license.
/**
 * Runs the Durable Object account of `account.ts` in workerd, the runtime of
 * Cloudflare Workers, on this machine: esbuild bundles `account.ts` with this
 * repository's own `mod.ts`; miniflare (from npm, with the workerd binary in
 * its npm dependencies) runs the bundle with the three account classes as
 * Durable Objects; a small HTTP service on 127.0.0.1 answers after 50 ms,
 * for the withdrawals that await a `fetch()`. Then each variant runs the
 * scenario on a fresh account (balance 100, two concurrent withdrawals of 80,
 * an unrelated `ping` 5 ms later), once with a 30 ms timer and once with that
 * `fetch()` between read and write, and the table shows what happened.
 *
 * Run: deno task demo:durable   (add --json for the rows as JSON)
 *
 * The npm packages are loaded by `import()` of a pinned `npm:` specifier at
 * run time, so that `deno check` of the repository does not type-check them.
 *
 * @module
 */

import {
  AMOUNT,
  FETCH_MS,
  OPENING_BALANCE,
  type Outcome,
  PING_AFTER_MS,
  TIMER_MS,
  type Via,
} from "./settings.ts";

const MINIFLARE = "npm:miniflare@4.20260730.0";
const ESBUILD = "npm:esbuild@0.28.2";
/** workerd's compatibility date: that of the workerd that this miniflare ships. */
const COMPATIBILITY_DATE = "2026-07-30";

/** The three ways of writing the account, in the table's order. */
export const VARIANTS = ["plain", "blocking", "desync"] as const;
export type Variant = typeof VARIANTS[number];

/** One row of the table: one variant, one kind of awaited call. */
export interface Row extends Outcome {
  variant: Variant;
  via: Via;
}

interface Miniflare {
  dispatchFetch(url: string): Promise<Response>;
  dispose(): Promise<void>;
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
  stop(): Promise<void> | void;
}

/** `account.ts` and the library, as one ES module for workerd. */
async function bundle(): Promise<string> {
  const esbuild: Esbuild = await import(ESBUILD);
  try {
    const result = await esbuild.build({
      entryPoints: [new URL("./account.ts", import.meta.url).pathname],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "warning",
    });
    return result.outputFiles[0].text;
  } finally {
    await esbuild.stop();
  }
}

/** Runs every variant with both kinds of awaited call; `rounds` times each, fresh accounts. */
export async function measure(rounds = 1): Promise<Row[]> {
  const script = await bundle();
  const slowService = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => {
      await new Promise((resolve) => setTimeout(resolve, FETCH_MS));
      return new Response("checked");
    },
  );
  const { Miniflare } = await import(MINIFLARE) as {
    Miniflare: new (options: Record<string, unknown>) => Miniflare;
  };
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { PLAIN: "PlainAccount", BLOCKING: "BlockingAccount", DESYNC: "DesyncAccount" },
    bindings: { SLOW_SERVICE_URL: `http://127.0.0.1:${slowService.addr.port}/` },
    host: "127.0.0.1",
    port: 0,
  });
  const rows: Row[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const via of ["timer", "fetch"] as const) {
        for (const variant of VARIANTS) {
          const query = `variant=${variant}&via=${via}&account=${variant}-${via}-${round}`;
          const response = await mf.dispatchFetch(`http://127.0.0.1/scenario?${query}`);
          if (!response.ok) {
            throw new Error(`${query}: ${response.status} ${await response.text()}`);
          }
          rows.push({ variant, via, ...(await response.json() as Outcome) });
        }
      }
    }
  } finally {
    await mf.dispose();
    await slowService.shutdown();
  }
  return rows;
}

const LABELS: Record<Variant, string> = {
  plain: "plain object code",
  blocking: "blockConcurrencyWhile",
  desync: "state in a Desync (futureSync)",
};

/** The rows as a table, with what they mean. */
export function table(rows: readonly Row[]): string {
  const lines = [
    `Balance ${OPENING_BALANCE}, two concurrent withdrawals of ${AMOUNT}, an unrelated ping ` +
    `${PING_AFTER_MS} ms later.`,
    "",
    "variant                         awaits          results       paid out  balance  " +
    "ping waited  both took",
  ];
  for (const row of rows) {
    const paid = row.results.filter(Boolean).length * AMOUNT;
    const awaits = row.via === "timer" ? `${TIMER_MS} ms timer` : `${FETCH_MS} ms fetch()`;
    lines.push(
      LABELS[row.variant].padEnd(32) + awaits.padEnd(16) +
        row.results.join(", ").padEnd(14) + `${paid}`.padEnd(10) + `${row.balance}`.padEnd(9) +
        `${Math.round(row.pingMs)} ms`.padEnd(13) + `${Math.round(row.elapsedMs)} ms`,
    );
  }
  lines.push(
    "",
    "ping waited: how long the unrelated request took (an idle one takes " +
      `${Math.round(Math.max(...rows.map((row) => row.idlePingMs)))} ms or less here).`,
    `Plain code paid out more than the ${OPENING_BALANCE} there was: both withdrawals read ` +
      `${OPENING_BALANCE} before either wrote.`,
    "blockConcurrencyWhile is correct, but the ping waited for the withdrawals' awaits.",
    "With a Desync the withdrawals took turns and the ping did not wait.",
  );
  return lines.join("\n");
}

if (import.meta.main) {
  const rows = await measure();
  console.log(Deno.args.includes("--json") ? JSON.stringify(rows, null, 2) : table(rows));
}
