// Copyright 2026 the desync authors. MIT license.
/**
 * The primitives in one program: an order desk. Orders arrive in bursts on a
 * channel; a dispatcher hands each to its customer's account (a `Desync`),
 * whose job pays through a payment service that allows 3 calls at a time,
 * and appends a two-line entry to a shared ledger whose write is slow.
 * Each part runs twice, the naive way and with a primitive, and prints what
 * it measured:
 *
 * 1. Waiting for "the next order, or 5 ms of silence". Naive:
 *    `Promise.race([channel.receive(), delay(5)])`. Every time the delay
 *    wins, the losing receive stays queued and later takes an order that
 *    nobody reads: orders vanish. `select()` with a receive case and a delay
 *    case completes exactly one of them: none vanish.
 * 2. Bounding the payment calls of all accounts together. Naive: nothing
 *    bounds them (each account is sequential, but 8 accounts pay at once).
 *    A `Semaphore(3)` shared by every account's jobs: never more than 3.
 * 3. Two-line ledger entries, written with an `await` between the lines.
 *    Naive: entries of different accounts interleave. A `Mutex` owning the
 *    ledger, its guard held across the awaits inside the job: never.
 *
 * Run: deno task demo:primitives   (or: npx -y deno@2.9.6 run examples/orders.ts)
 *
 * @module
 */

import { Desync } from "../mod.ts";
import { Channel, Mutex, select, Semaphore, TimerService } from "../primitives.ts";

/** One order: which account, how much. */
export interface Order {
  id: number;
  account: number;
  amount: number;
}

const ACCOUNTS = 8;
const BURSTS = 12;
const BURST_SIZE = 25;
const PAUSE_MS = 12;
const IDLE_MS = 5;
const PAYMENT_SLOTS = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The orders, in bursts of 25 separated by 12 ms pauses (longer than the 5 ms idle timeout). */
export async function produce(orders: Channel<Order>): Promise<number> {
  let id = 0;
  for (let burst = 0; burst < BURSTS; burst++) {
    for (let i = 0; i < BURST_SIZE; i++) {
      await orders.send({ id, account: id % ACCOUNTS, amount: 1 + (id % 7) });
      id++;
    }
    await sleep(PAUSE_MS);
  }
  orders.close();
  return id;
}

/** What one run of the desk measured. */
export interface Outcome {
  sent: number;
  /** Orders taken off the channel by a consumer and processed. */
  processed: number;
  /** Times the consumer saw 5 ms of silence. */
  idle: number;
  /** The most payment calls in flight at once, over all accounts. */
  peakPayments: number;
  /** Ledger entries whose two lines were separated by another entry's line. */
  torn: number;
}

interface Desk {
  next(): Promise<Order | "idle" | "closed">;
  pay(account: number, amount: number): Promise<void>;
  write(lines: [string, string]): Promise<void>;
}

/** Runs the desk: a dispatcher, 8 accounts, the payment service, the ledger. */
async function runDesk(
  desk: Desk,
  ledger: string[],
  payments: { inFlight: number; peak: number },
): Promise<Omit<Outcome, "sent">> {
  const accounts = Array.from({ length: ACCOUNTS }, () => new Desync({ paid: 0 }));
  const jobs: Promise<void>[] = [];
  let idle = 0;
  for (;;) {
    const next = await desk.next();
    if (next === "closed") break;
    if (next === "idle") {
      idle++;
      continue;
    }
    const order = next;
    jobs.push(accounts[order.account].futureSync(async (account) => {
      await desk.pay(order.account, order.amount);
      account.value.paid += order.amount;
      await desk.write([`order ${order.id}: account ${order.account}`, `  paid ${order.amount}`]);
    }));
  }
  await Promise.all(jobs);
  return { processed: jobs.length, idle, peakPayments: payments.peak, torn: tornEntries(ledger) };
}

function tornEntries(ledger: string[]): number {
  let torn = 0;
  for (let i = 0; i < ledger.length; i++) {
    if (ledger[i].startsWith("order ") && !(ledger[i + 1]?.startsWith("  paid"))) torn++;
  }
  return torn;
}

/** A payment call: 1-3 ms, counting the calls in flight. */
function paymentService(payments: { inFlight: number; peak: number }) {
  return async (account: number) => {
    payments.inFlight++;
    payments.peak = Math.max(payments.peak, payments.inFlight);
    await sleep(1 + (account % 3));
    payments.inFlight--;
  };
}

/** The naive desk: Promise.race for the timeout, nothing bounding payments, no lock on the ledger. */
export async function naive(): Promise<Outcome> {
  const orders = new Channel<Order>(16);
  const payments = { inFlight: 0, peak: 0 };
  const call = paymentService(payments);
  const ledger: string[] = [];
  const producing = produce(orders);
  const outcome = await runDesk(
    {
      async next() {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const idle = new Promise<"idle">((
          resolve,
        ) => (timer = setTimeout(() => resolve("idle"), IDLE_MS)));
        const received = orders.receive().then((r) => (r.done ? "closed" as const : r.value));
        const winner = await Promise.race([received, idle]);
        clearTimeout(timer);
        return winner;
      },
      pay: call,
      async write([first, second]) {
        ledger.push(first);
        await sleep(0); // the file write
        ledger.push(second);
      },
    },
    ledger,
    payments,
  );
  return { sent: await producing, ...outcome };
}

/** The same desk with select, a Semaphore and a Mutex. */
export async function withPrimitives(): Promise<Outcome> {
  const orders = new Channel<Order>(16);
  const timers = new TimerService();
  const payments = { inFlight: 0, peak: 0 };
  const call = paymentService(payments);
  const slots = new Semaphore(PAYMENT_SLOTS);
  const ledger = new Mutex<string[]>([]);
  const producing = produce(orders);
  const lines: string[] = [];
  const outcome = await runDesk(
    {
      async next() {
        const next = await select({ order: orders.receiveCase(), idle: timers.delayCase(IDLE_MS) });
        if (next.key === "idle") return "idle";
        return next.value.done ? "closed" : next.value.value;
      },
      async pay(account) {
        using _slot = await slots.acquire();
        await call(account);
      },
      async write([first, second]) {
        using file = await ledger.lock();
        file.value.push(first);
        await sleep(0); // the file write, with the ledger held
        file.value.push(second);
      },
    },
    lines,
    payments,
  );
  lines.push(...(await ledger.withLock((file) => file.value)));
  return { sent: await producing, ...outcome, torn: tornEntries(lines) };
}

function show(name: string, outcome: Outcome): void {
  console.log(
    `${name.padEnd(16)} sent ${outcome.sent}, processed ${outcome.processed} ` +
      `(lost ${outcome.sent - outcome.processed}, ${outcome.idle} idle timeouts); ` +
      `payments in flight at most ${outcome.peakPayments}; torn ledger entries ${outcome.torn}`,
  );
}

if (import.meta.main) {
  show("naive", await naive());
  show("with primitives", await withPrimitives());
}
