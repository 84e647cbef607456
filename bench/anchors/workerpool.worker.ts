// Copyright 2026 the desync authors. MIT license.
// workerpool's worker entry (bench/worker_anchors.ts).

import workerpool from "workerpool";
import { add, work } from "./_tasks.ts";

workerpool.worker({ add, work });
