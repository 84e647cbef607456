// Copyright 2026 the desync authors. MIT license.
// Scenario 1, burst, N = 10,000: schedule N jobs fire-and-forget on one
// serializer, then await the last one; desync (`Desync.desync` N-1 times, then
// `await futureSync`) vs a bare promise chain (`last = last.then(job)`, the
// baseline), fastq, p-queue, p-limit, async-mutex and @henrygd/queue. Every
// case and adapter is described in _burst.ts.

import { burstGroup } from "./_burst.ts";
import { size } from "./_shared.ts";

burstGroup(size(10_000, 1_000));
