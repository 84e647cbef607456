// Copyright 2026 the desync authors. MIT license.
// Scenario 5, async jobs (the held-queue path): N = 10,000 jobs that each
// await an already-resolved promise and then increment the counter
// (`workAsync`). Each serializer must hold its queue until a job's promise
// settles before starting the next. Scheduled fire-and-forget, then the last
// one is awaited, as in the burst scenario:
// - promise chain (baseline): `last = last.then(workAsync)`, await `last`.
// - desync: `Desync` · `desync(job)` N-1 times, `await futureSync(job)`.
// - desync: `JobQueue` · `desync(q, job)`, `await futureSync(q, job)`.
// - fastq (`promise(worker, 1)`, worker `(task) => task()`) · `push(job)`;
//   p-queue (`concurrency: 1`) · `add(job)`; p-limit(1) · `limit(job)`;
//   async-mutex · `runExclusive(job)`; @henrygd/queue(1) · `add(job)`;
//   each awaiting the promise of the last job.
// Serializers are created once per case and reused; each iteration checks
// that all N jobs ran.

import { fireAndAwaitGroup } from "./_burst.ts";
import { count, size, workAsync } from "./_shared.ts";

const n = size(10_000, 1_000);
fireAndAwaitGroup(`async jobs N=${count(n)}`, n, {
  job: workAsync,
  promisedJob: workAsync,
  fastqWorker: (task) => Promise.resolve(task()),
});
