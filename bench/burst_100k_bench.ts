// Copyright 2026 the desync authors. MIT license.
// Scenario 1, burst, N = 100,000 (a deep backlog): the same cases as
// burst_bench.ts, in a file of their own so that they run in a fresh isolate.
// Every case and adapter is described in _burst.ts.

import { burstGroup } from "./_burst.ts";
import { size } from "./_shared.ts";

burstGroup(size(100_000, 2_000));
