// Copyright 2026 the desync authors. MIT license.
// piscina's and tinypool's worker entry (bench/worker_anchors.ts): the
// default export is the task, `work` is run by name.

import { add, work } from "./_tasks.ts";

export default function task([a, b]: [number, number]): number {
  return add(a, b);
}
export { work };
