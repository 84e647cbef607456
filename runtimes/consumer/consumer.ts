// Copyright 2026 the desync authors. MIT license.
// Uses @desync/desync as an npm user does after `npx jsr add @desync/desync`:
// by package name, through the package's "exports", with the types its
// declarations give. Type-checked only (tsc --noEmit), under
// moduleResolution "bundler" and "nodenext" (tsconfig.*.json beside this
// file); the package itself is built by pack.ts. The @ts-expect-error lines
// check that the types are precise, not `any`.

import {
  ClosedError,
  Desync,
  type DesyncOptions,
  pipe,
  type Ref,
  Scheduler,
  type SchedulerFuture,
  WouldBlockError,
} from "@desync/desync";
import { desync, futureSync, type JobQueue, queue } from "@desync/desync/scheduler";
import { pipeIn } from "@desync/desync/pipe";

interface Account {
  balance: number;
}

const options: DesyncOptions = {
  onError: (error: unknown) => console.error(error),
};
const account = new Desync<Account>({ balance: 100 }, options);

account.desync((a: Ref<Account>) => {
  a.value.balance -= 10;
});
const balance: number = account.sync((a) => a.value.balance);
const later: Promise<number> = account.futureSync(async (a) => {
  await Promise.resolve();
  return a.value.balance;
});
const future: SchedulerFuture<string> = account.futureDesync((a) => String(a.value.balance));
const afterInput: Promise<number> = account.after(
  Promise.resolve(5),
  (a, n: number) => a.value.balance + n,
);

// @ts-expect-error the job gets a Ref<Account>, which has no `balance` of its own
account.desync((a) => a.balance);
// @ts-expect-error futureSync's result is the job's, not any
const wrong: Promise<string> = account.futureSync((a) => a.value.balance);

const sched = new Scheduler({ maxConcurrency: 4 });
const shared = new Desync(0, { scheduler: sched });
const q: JobQueue = queue();
desync(q, () => {});
const fromQueue: Promise<number> = futureSync(q, () => 1);

async function streams(): Promise<number[]> {
  const results = pipe(shared, [1, 2, 3], (n, item: number) => n.value + item);
  const collected: number[] = [];
  for await (const value of results) collected.push(value);
  await pipeIn(shared, [4, 5], (n, item) => void (n.value += item));
  return collected;
}

function isExpected(error: unknown): boolean {
  return error instanceof ClosedError || error instanceof WouldBlockError;
}

export { afterInput, balance, fromQueue, future, isExpected, later, streams, wrong };
