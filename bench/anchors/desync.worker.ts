// Copyright 2026 the desync authors. MIT license.
// desync's worker entry (bench/worker_anchors.ts): one hosted class with the
// same two tasks as the other libraries' entries.

import { serve } from "../../worker.ts";
import { add, work } from "./_tasks.ts";

export class Tasks {
  add(a: number, b: number): number {
    return add(a, b);
  }
  work(n: number): number {
    return work(n);
  }
}

export const api = serve({ Tasks });
export type Api = typeof api;
