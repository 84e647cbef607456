// Copyright 2026 the desync authors. MIT license.
// Event-loop health: a backlog of 1,000,000 synchronous jobs must not starve
// timers, and must not starve the other queues of its scheduler.
//
// The bounds are deliberately generous (this runs on shared CI machines); the
// measured figures are printed so that regressions show up in the log.

import assert from "node:assert/strict";
import { Desync, Scheduler } from "../mod.ts";
import { desync, futureSync } from "../scheduler.ts";

const JOBS = 1_000_000;
const OTHER_JOBS = 1_000;

interface Ticks {
  /** Delay of the first setTimeout(0), from when it was set. */
  first: Promise<{ delay: number; progress: number }>;
  /** Number of setTimeout(0) turns the event loop took until `stop()`. */
  count: () => number;
  /** The longest gap between two turns, in ms. */
  maxGap: () => number;
  stop: () => Promise<void>;
}

/** Chains setTimeout(0) until stopped: how often does the event loop get a turn? */
function ticker(progress: () => number): Ticks {
  let count = 0;
  let maxGap = 0;
  let stopped = false;
  let resolveFirst!: (value: { delay: number; progress: number }) => void;
  const first = new Promise<{ delay: number; progress: number }>((r) => (resolveFirst = r));
  const start = performance.now();
  let last = start;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const tick = () => {
    const now = performance.now();
    if (count === 0) resolveFirst({ delay: now - start, progress: progress() });
    else maxGap = Math.max(maxGap, now - last);
    last = now;
    count++;
    if (stopped) resolveDone();
    else setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return {
    first,
    count: () => count,
    maxGap: () => maxGap,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

Deno.test(`a setTimeout(0) fires long before ${JOBS} queued sync jobs are done, and another queue progresses`, async () => {
  const sched = new Scheduler();
  const big = sched.queue();
  const small = sched.queue();
  let done = 0;
  const job = () => void done++;
  const enqueueStart = performance.now();
  for (let i = 0; i < JOBS; i++) desync(big, job);
  let smallDone = 0;
  let bigWhenSmallDone = -1;
  let smallFinishedAt = 0;
  for (let i = 0; i < OTHER_JOBS; i++) {
    desync(small, () => {
      if (++smallDone === OTHER_JOBS) {
        bigWhenSmallDone = done;
        smallFinishedAt = performance.now();
      }
    });
  }
  const enqueued = performance.now();
  // The timer is set now, before any job ran (they start in a microtask).
  const ticks = ticker(() => done);
  const finished = new Promise<number>((resolve) => desync(big, () => resolve(performance.now())));
  const first = await ticks.first;
  const end = await finished;
  await ticks.stop();
  const total = end - enqueued;
  console.log(
    [
      `event loop, ${JOBS} background sync jobs (+${OTHER_JOBS} on a second queue):`,
      `  enqueueing took ${ms(enqueued - enqueueStart)}; the backlog ran in ${ms(total)}`,
      `  setTimeout(0) set before the backlog fired after ${ms(first.delay)}, ` +
      `with ${first.progress} of ${JOBS} jobs done (${(100 * first.progress / JOBS).toFixed(2)}%)`,
      `  the event loop had ${ticks.count()} timer turns during the backlog; longest gap ${
        ms(ticks.maxGap())
      }`,
      `  the second queue's ${OTHER_JOBS} jobs were all done after ${
        ms(smallFinishedAt - enqueued)
      }, ` +
      `when ${bigWhenSmallDone} of the big queue's jobs had run`,
    ].join("\n"),
  );
  assert.equal(done, JOBS);
  assert.ok(
    first.progress < JOBS / 2,
    `the timer fired only after ${first.progress} of ${JOBS} jobs`,
  );
  assert.ok(first.delay < 250, `the timer fired after ${ms(first.delay)}`);
  assert.ok(
    ticks.count() >= 3 || total < 50,
    `only ${ticks.count()} timer turns in a ${ms(total)} backlog`,
  );
  assert.ok(ticks.maxGap() < 250, `the event loop waited ${ms(ticks.maxGap())} for a turn`);
  assert.ok(
    bigWhenSmallDone >= 0 && bigWhenSmallDone < JOBS / 10,
    `the second queue finished when ${bigWhenSmallDone} of ${JOBS} jobs of the first had run`,
  );
});

Deno.test(`with a caller waiting for the end of a ${JOBS}-job backlog, timers and another queue still progress`, async () => {
  const sched = new Scheduler();
  const big = sched.queue();
  const small = sched.queue();
  let done = 0;
  const job = () => void done++;
  for (let i = 0; i < JOBS; i++) desync(big, job);
  let smallDone = 0;
  let bigWhenSmallDone = -1;
  for (let i = 0; i < OTHER_JOBS; i++) {
    desync(small, () => {
      if (++smallDone === OTHER_JOBS) bigWhenSmallDone = done;
    });
  }
  const ticks = ticker(() => done);
  // Foreground work: the queue is driven up to this job on the caller's behalf.
  const waited = futureSync(big, () => done);
  const first = await ticks.first;
  assert.equal(await waited, JOBS);
  await ticks.stop();
  // Let the second queue finish if it had not yet.
  await futureSync(small, () => {});
  console.log(
    [
      `event loop, ${JOBS} sync jobs with a futureSync() waiting behind them:`,
      `  setTimeout(0) fired after ${ms(first.delay)} with ${first.progress} jobs done; ` +
      `${ticks.count()} timer turns, longest gap ${ms(ticks.maxGap())}`,
      `  the second queue's ${OTHER_JOBS} background jobs were done when ${bigWhenSmallDone} ` +
      `of the big queue's jobs had run`,
    ].join("\n"),
  );
  assert.ok(
    first.progress < JOBS / 2,
    `the timer fired only after ${first.progress} of ${JOBS} jobs`,
  );
  assert.ok(first.delay < 250, `the timer fired after ${ms(first.delay)}`);
  assert.ok(ticks.maxGap() < 250, `the event loop waited ${ms(ticks.maxGap())} for a turn`);
  assert.ok(
    bigWhenSmallDone >= 0 && bigWhenSmallDone < JOBS / 10,
    `the second queue finished only when ${bigWhenSmallDone} of ${JOBS} jobs of the first had run ` +
      `("a job on one object never waits behind another object's whole backlog")`,
  );
});

Deno.test("a long chain of awaited jobs does not starve timers", async () => {
  const data = new Desync(0);
  const CHAIN = 100_000;
  const ticks = ticker(() => 0);
  const start = performance.now();
  let firstAt = -1;
  void ticks.first.then(() => void (firstAt = done));
  let done = 0;
  for (let i = 0; i < CHAIN; i++) {
    done = await data.futureSync((n) => ++n.value);
  }
  const total = performance.now() - start;
  await ticks.stop();
  const first = await ticks.first;
  console.log(
    `event loop, ${CHAIN} awaited futureSync() jobs in ${ms(total)}: setTimeout(0) fired after ` +
      `${ms(first.delay)} (${firstAt} jobs done); ${ticks.count()} timer turns, longest gap ${
        ms(ticks.maxGap())
      }`,
  );
  assert.equal(done, CHAIN);
  assert.ok(firstAt < CHAIN / 2, `the timer fired only after ${firstAt} of ${CHAIN} awaited jobs`);
  assert.ok(ticks.maxGap() < 250, `the event loop waited ${ms(ticks.maxGap())} for a turn`);
  await data.close();
});
