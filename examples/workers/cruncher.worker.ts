// Copyright 2026 the desync authors. MIT license.
// The worker entry of the workers demo: the classes whose objects may live in
// its workers. The main side imports only its type.

import { serve } from "../../worker.ts";
import { Cruncher } from "./cruncher.ts";

export const api = serve({ Cruncher });
export type Api = typeof api;
