// Copyright 2026 the desync authors. MIT license.
// The demo's claim, checked: the Desync version conserves money and never
// overdraws, on the demo's own workload.

import assert from "node:assert/strict";
import { plannedTransfers, withDesync } from "../examples/bank.ts";

Deno.test("bank demo: the Desync version conserves money and never overdraws", async () => {
  const transfers = plannedTransfers();
  const outcome = await withDesync(transfers);
  assert.equal(outcome.balances.reduce((sum, b) => sum + b, 0), 5 * 1_000);
  assert.ok(outcome.balances.every((b) => b >= 0));
  assert.ok(outcome.declined < transfers.length, "some transfers went through");
});
