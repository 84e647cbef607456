// Copyright 2026 the desync authors. MIT license.
// poolifier's worker entry (bench/worker_anchors.ts): named task functions.

import { ThreadWorker } from "poolifier";
import { add, work } from "./_tasks.ts";

export default new ThreadWorker<[number, number] | number, number>({
  add: (data) => add(...(data as [number, number])),
  work: (data) => work(data as number),
});
