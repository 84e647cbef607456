// Copyright 2026 the desync authors. MIT license.
// Comlink's worker entry (bench/worker_anchors.ts): a web Worker on Deno and
// Bun, node:worker_threads through Comlink's node adapter on Node.

import * as Comlink from "comlink";
import { add, work } from "./_tasks.ts";

export const api = { add, work };
export type Api = typeof api;

const threads = (globalThis as { process?: { getBuiltinModule?(n: string): unknown } }).process
  ?.getBuiltinModule?.("node:worker_threads") as { parentPort: unknown; workerData: unknown };
// The main side says which kind of worker this is (web Workers have no workerData).
if (threads?.workerData === "comlink-node") {
  const adapter = await import("comlink/dist/esm/node-adapter.mjs");
  const nodeEndpoint = adapter.default as unknown as (port: unknown) => Comlink.Endpoint;
  Comlink.expose(api, nodeEndpoint(threads.parentPort));
} else {
  Comlink.expose(api);
}
