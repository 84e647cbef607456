// Copyright 2026 the desync authors. MIT license.
/**
 * A bank account kept by a Cloudflare Durable Object, three ways: a Worker
 * module for workerd (bundled with the library by `main.ts`, which runs it
 * through miniflare and prints what happens).
 *
 * A Durable Object is one instance per id, single-threaded, and workerd holds
 * other requests back while a *storage* operation is in flight (its input
 * gates). But requests still interleave at every other `await`: a `fetch()`,
 * a timer. A withdrawal that reads the balance, awaits something (a fraud
 * check, an exchange rate), then writes the balance back, is the classic
 * read-await-write race, inside the object:
 *
 * 1. `PlainAccount`: plain object code. Two withdrawals of 80 from 100 both
 *    read 100, both pass the check, both write 20: 160 paid out of 100.
 * 2. `BlockingAccount`: the platform's `blockConcurrencyWhile()`. Correct,
 *    but while a withdrawal awaits, *no* other request to the object runs,
 *    not even one that does not touch the balance (a `ping`).
 * 3. `DesyncAccount`: the balance lives in a {@linkcode Desync}; a withdrawal
 *    is one `futureSync` job, which holds the balance across its `await`. The
 *    second withdrawal waits in the Desync's queue, and sees 20; the `ping`
 *    runs at once.
 *
 * The Worker's own `fetch` runs the scenario on one account: two concurrent
 * withdrawals of 80, and a `ping` 5 ms later whose wait it measures.
 *
 * @module
 */

import { Desync } from "../../mod.ts";
import {
  AMOUNT,
  OPENING_BALANCE,
  type Outcome,
  PING_AFTER_MS,
  TIMER_MS,
  type Via,
} from "./settings.ts";

// A Worker module exports only its handler and its Durable Object classes:
// workerd takes every export for one of them.

/** The part of workerd's `DurableObjectState` that the accounts use. */
export interface DurableObjectState {
  storage: {
    get<V>(key: string): Promise<V | undefined>;
    put<V>(key: string, value: V): Promise<void>;
  };
  blockConcurrencyWhile<R>(callback: () => Promise<R>): Promise<R>;
}

/** A Durable Object namespace binding, as far as the Worker uses it. */
export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(url: string): Promise<Response> };
}

/** The Worker's bindings: the three account classes, and the slow service's URL. */
export interface Env {
  PLAIN: DurableObjectNamespace;
  BLOCKING: DurableObjectNamespace;
  DESYNC: DurableObjectNamespace;
  /** An HTTP service that answers after a while (main.ts serves it on 127.0.0.1). */
  SLOW_SERVICE_URL: string;
}

/** The awaited call between a withdrawal's read and its write. */
async function external(via: Via, env: Env): Promise<void> {
  if (via === "fetch") await (await fetch(env.SLOW_SERVICE_URL)).text();
  else await new Promise((resolve) => setTimeout(resolve, TIMER_MS));
}

/** What the three accounts share: their requests, and the stored balance. */
abstract class Account {
  readonly ctx: DurableObjectState;
  readonly env: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }

  /** GET /withdraw?amount=80&via=timer, GET /balance, GET /ping. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/ping":
        return new Response("pong"); // touches nothing: it need not wait for anyone
      case "/balance":
        return Response.json(await this.balance());
      case "/withdraw": {
        const amount = Number(url.searchParams.get("amount"));
        const via: Via = url.searchParams.get("via") === "fetch" ? "fetch" : "timer";
        return Response.json(await this.withdraw(amount, via));
      }
      default:
        return new Response("not found", { status: 404 });
    }
  }

  /** Takes `amount` if the balance covers it; says whether it did. */
  abstract withdraw(amount: number, via: Via): Promise<boolean>;

  /** The balance now. */
  balance(): Promise<number> {
    return this.stored();
  }

  /** The balance in the object's storage. */
  async stored(): Promise<number> {
    return (await this.ctx.storage.get<number>("balance")) ?? OPENING_BALANCE;
  }
}

/** 1. Plain object code: requests interleave at the `await`, and both withdrawals pass. */
export class PlainAccount extends Account {
  override async withdraw(amount: number, via: Via): Promise<boolean> {
    const balance = await this.stored();
    await external(via, this.env); // the other withdrawal runs here, and reads the same balance
    if (balance < amount) return false;
    await this.ctx.storage.put("balance", balance - amount);
    return true;
  }
}

/** 2. `blockConcurrencyWhile`: correct, but the whole object stops while a withdrawal awaits. */
export class BlockingAccount extends Account {
  override withdraw(amount: number, via: Via): Promise<boolean> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const balance = await this.stored();
      await external(via, this.env); // no other request to the object runs here, not even a ping
      if (balance < amount) return false;
      await this.ctx.storage.put("balance", balance - amount);
      return true;
    });
  }
}

/** 3. The balance in a `Desync`: withdrawals take turns, across the `await`; the rest runs. */
export class DesyncAccount extends Account {
  /** The balance, read from storage by the first job that needs it. */
  readonly #balance = new Desync<number | undefined>(undefined);

  override withdraw(amount: number, via: Via): Promise<boolean> {
    return this.#balance.futureSync(async (balance) => {
      balance.value ??= await this.stored();
      await external(via, this.env); // the other withdrawal waits in the queue; a ping does not
      if (balance.value < amount) return false;
      balance.value -= amount;
      await this.ctx.storage.put("balance", balance.value);
      return true;
    });
  }

  override balance(): Promise<number> {
    // In the queue too: the balance after the withdrawals scheduled before.
    return this.#balance.futureSync(async (balance) => (balance.value ??= await this.stored()));
  }
}

/** Two concurrent withdrawals of `AMOUNT` from one account, and a `ping` during them. */
async function scenario(
  account: { fetch(url: string): Promise<Response> },
  via: Via,
): Promise<Outcome> {
  const call = async (path: string) => await (await account.fetch(`https://account${path}`)).json();
  const ping = async () => {
    const start = performance.now();
    await (await account.fetch("https://account/ping")).text();
    return performance.now() - start;
  };
  await ping(); // starts the object
  const idlePingMs = await ping();
  const start = performance.now();
  const withdrawals = [
    call(`/withdraw?amount=${AMOUNT}&via=${via}`),
    call(`/withdraw?amount=${AMOUNT}&via=${via}`),
  ];
  await new Promise((resolve) => setTimeout(resolve, PING_AFTER_MS));
  const pingMs = await ping();
  const results = await Promise.all(withdrawals);
  const elapsedMs = performance.now() - start;
  return { results, balance: await call("/balance"), pingMs, idlePingMs, elapsedMs };
}

/** The Worker: GET /scenario?variant=plain|blocking|desync&via=timer|fetch&account=<name>. */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const namespace = ({ plain: env.PLAIN, blocking: env.BLOCKING, desync: env.DESYNC } as const)[
      url.searchParams.get("variant") as "plain" | "blocking" | "desync"
    ];
    if (url.pathname !== "/scenario" || namespace === undefined) {
      return new Response("GET /scenario?variant=plain|blocking|desync&via=timer|fetch", {
        status: 404,
      });
    }
    const account = namespace.get(
      namespace.idFromName(url.searchParams.get("account") ?? "account"),
    );
    const via: Via = url.searchParams.get("via") === "fetch" ? "fetch" : "timer";
    return Response.json(await scenario(account, via));
  },
};
