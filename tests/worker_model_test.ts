// Copyright 2026 the desync authors. MIT license.
// Model-based equivalence of worker objects: the same random program runs
// once against local Desyncs, each holding a ModelObject (a job calls the
// method on ref.value), and once against WorkerDesyncs hosting one on a pool
// of 2 workers. What must match (compare() below):
// - each object's final log (the order of its effects), and that each log
//   keeps the scheduling order (FIFO, async methods holding the object);
// - each promise's outcome: its value, or its error's name, message, `code`
//   and cause; a call that throws at once (a closed object): the error's name;
// - what reached each object's onError (name, message, code, cause), as a
//   multiset;
// - that every promise settles, and nothing reaches reportError or goes
//   unhandled.
// The differences the docs allow, and how they are tolerated:
// - Cancelling is a message to another thread: a signal aborted after its job
//   was scheduled may find the job not yet started (locally: dropped), running
//   or even done (in the worker, a reply may be on its way). For those jobs
//   (`loose` below) the log entry may be there or not, or marked cancelled
//   (`j5!`), and the outcome may be either the abort reason or what the method
//   did; what such a job threw after its abort is not compared either. Jobs
//   scheduled under an already aborted signal are compared strictly.
// - Error objects are rebuilt (RemoteError keeping the name): compared by
//   name, message, code and cause, never by class; a call that throws at once
//   is compared by the error's name (the messages name different classes).
// - `sync` is left out: it blocks on the worker side and throws
//   WouldBlockError in cases where a local Desync runs the job.
//
// CI runs a fixed-seed batch (CI_RUNS programs, 11 s on Deno, 8 to 10 s on Node 20 and Bun,
// 6 s in Chromium here; one
// pool for the whole batch, fresh objects per program). Soak with a fresh
// seed: `deno task test:soak:workers` (20,000 programs), or
// `deno test --allow-read=. tests/worker_model_test.ts -- --runs=2000`.
// A failure prints the seed, the path and the shrunk program; replay it with
// `-- --seed=<seed> --path=<path>` (or DESYNC_WORKER_MODEL_RUNS / _SEED /
// _PATH where `--allow-env` grants them; the Node and Bun adapter does).

import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { type Program, program, type Sig, type Via } from "./_worker_model_program.ts";
import { Desync } from "../mod.ts";
import { WorkerPool } from "../worker.ts";
import { workersAlive } from "../worker/connection.ts";
import { onReportedError, onUnhandledRejection } from "./_helpers.ts";
import { ModelObject, withSignal } from "./fixtures/model_object.ts";
import type { Api } from "./fixtures/model.worker.ts";
import { modelSettings } from "./_model_settings.ts";

const CI_RUNS = 800;

const CI_SEED = 20260714;

// ------------------------------------------------------------------ targets

/** One object of a run, local or in a worker: what a program does to it. */
interface Target {
  call(via: Via, name: string, args: unknown[], signal?: AbortSignal): PromiseLike<unknown> | void;
  after(promise: Promise<string>, detached: boolean, token: string, signal?: AbortSignal):
    | PromiseLike<unknown>
    | void;
  close(): Promise<void>;
}
type Make = (onError: (error: unknown) => void) => Target;

function local(onError: (error: unknown) => void): Target {
  const d = new Desync(new ModelObject(), { onError });
  const job = (name: string, args: unknown[]) => (ref: { value: ModelObject }, s?: AbortSignal) =>
    withSignal(
      s,
      () => (ref.value as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args),
    );
  return {
    call(via, name, args, signal) {
      const options = signal === undefined ? undefined : { signal };
      if (via === "desync") return d.desync(job(name, args), options);
      if (via === "futureSync") return d.futureSync(job(name, args), options);
      const future = d.futureDesync(job(name, args), options);
      if (via === "futureDesync") return future;
      return void future.detach();
    },
    after(promise, detached, token, signal) {
      const options = signal === undefined ? undefined : { signal };
      const future = d.after(
        promise,
        (ref, value, s) => withSignal(s, () => ref.value.take(value, token)),
        options,
      );
      if (!detached) return future;
      return void future.detach();
    },
    close: () => d.close(),
  };
}

function remote(pool: WorkerPool<Api>): Make {
  return (onError) => {
    const w = pool.createWith({ onError }, "ModelObject");
    const on = (signal?: AbortSignal) => signal === undefined ? w : w.withOptions({ signal });
    return {
      call(via, name, args, signal) {
        const h = on(signal) as unknown as Record<
          string,
          (...a: unknown[]) => PromiseLike<unknown> & { detach(): void }
        >;
        if (via === "desync") return void h.desync(name, ...args);
        if (via === "futureSync") return h.futureSync(name, ...args);
        const future = h.futureDesync(name, ...args);
        if (via === "futureDesync") return future;
        return void future.detach();
      },
      after(promise, detached, token, signal) {
        const future = on(signal).after(promise, "take", token);
        if (!detached) return future;
        return void future.detach();
      },
      close: () => w.close(),
    };
  };
}

// ------------------------------------------------------------------ running

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
interface Observed {
  outcomes: Map<string, Outcome>;
  /** Final logs per object (read just before closing). */
  errors: string[][];
  /** Job tokens whose signal aborted after they were scheduled. */
  loose: Set<string>;
  hung: string[];
  stray: string[];
}

/** An error as compared: name, message, code, cause (recursively). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return `value ${JSON.stringify(error)}`;
  const code = (error as { code?: unknown }).code;
  let text = `${error.name}: ${error.message}`;
  if (code !== undefined) text += ` [${String(code)}]`;
  if (error.cause !== undefined) text += ` <- ${describe(error.cause)}`;
  return text;
}

function tick(how: "micro" | "macro" | "timer"): Promise<void> {
  if (how === "micro") return Promise.resolve().then(() => {}).then(() => {});
  return new Promise((resolve) => setTimeout(resolve, how === "macro" ? 0 : 3));
}

/** Whether `promise` settles within `ms`; never leaves a timer behind. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

let current: Observed | undefined;

async function run(prog: Program, make: Make): Promise<Observed> {
  const seen: Observed = {
    outcomes: new Map(),
    errors: [],
    loose: new Set(),
    hung: [],
    stray: [],
  };
  current = seen;
  const objects: Target[] = [];
  const closed: boolean[] = [];
  for (let i = 0; i < prog.objects; i++) {
    const errors: string[] = [];
    seen.errors.push(errors);
    objects.push(make((error) => errors.push(describe(error))));
    closed.push(false);
  }
  const observed: { key: string; done: Promise<unknown> }[] = [];
  const observe = (key: string, promise: PromiseLike<unknown>) => {
    const done = Promise.resolve(promise).then(
      (value) => void seen.outcomes.set(key, { ok: true, value }),
      (error) => void seen.outcomes.set(key, { ok: false, error: describe(error) }),
    );
    observed.push({ key, done });
  };
  const controllers = [new AbortController()];
  /** The jobs under each controller, to mark them loose when it aborts. */
  const under: string[][] = [[]];
  const signalFor = (sig: Sig, token: string): AbortSignal | undefined => {
    if (sig === "none") return undefined;
    if (sig === "pre") return AbortSignal.abort(new Error(`abort pre ${token}`));
    let index = 0;
    if (sig === "own") {
      index = controllers.push(new AbortController()) - 1;
      under.push([]);
    }
    if (!controllers[index].signal.aborted) under[index].push(token);
    return controllers[index].signal;
  };
  const deferred: { promise: Promise<string>; settle?: (ok: boolean) => void }[] = [];
  const schedule = (token: string, fn: () => PromiseLike<unknown> | void) => {
    try {
      const result = fn();
      if (result !== undefined) observe(token, result);
    } catch (error) {
      seen.outcomes.set(token, { ok: false, error: `threw ${(error as Error).name}` });
    }
  };
  for (const [i, step] of prog.ops.entries()) {
    const token = `j${i}`;
    switch (step.op) {
      case "call": {
        const m = step.method;
        const args = m.m === "append"
          ? [token]
          : m.m === "fail"
          ? [token, m.code]
          : m.m === "read"
          ? []
          : [token, m.how, m.n];
        const target = objects[step.o % objects.length];
        schedule(token, () => target.call(step.via, m.m, args, signalFor(step.sig, token)));
        break;
      }
      case "after": {
        const index = deferred.length;
        const entry: (typeof deferred)[number] = { promise: undefined as never };
        entry.promise = new Promise<string>((resolve, reject) => {
          entry.settle = (ok) => {
            entry.settle = undefined;
            if (ok) resolve(`v${index}`);
            else reject(new TypeError(`rejected p${index}`));
          };
        });
        // Observed here: with a signal aborted beforehand, neither after() looks at it
        // (alike), and bun test and the browser harness fail a test on an unhandled rejection.
        entry.promise.catch(() => {});
        deferred.push(entry);
        const target = objects[step.o % objects.length];
        schedule(
          token,
          () => target.after(entry.promise, step.detached, token, signalFor(step.sig, token)),
        );
        break;
      }
      case "settle":
        if (deferred.length > 0) deferred[step.k % deferred.length].settle?.(step.ok);
        break;
      case "abort": {
        const index = step.k % controllers.length;
        if (controllers[index].signal.aborted) break;
        for (const job of under[index]) seen.loose.add(job);
        controllers[index].abort(new Error(`abort c${index}`));
        break;
      }
      case "wait":
        await tick(step.how);
        break;
      case "await":
        if (observed.length > 0) await within(observed[step.k % observed.length].done, 30);
        break;
      case "close": {
        const index = step.o % objects.length;
        if (!closed[index]) {
          schedule(`final ${index}`, () => objects[index].call("futureSync", "read", []));
        }
        closed[index] = true;
        schedule(`close ${index} at ${i}`, () => objects[index].close());
        break;
      }
    }
  }
  for (const entry of deferred) entry.settle?.(true);
  for (const [index, target] of objects.entries()) {
    if (!closed[index]) schedule(`final ${index}`, () => target.call("futureSync", "read", []));
    schedule(`close ${index}`, () => target.close());
  }
  for (const { key, done } of observed) {
    if (!(await within(done, 5000))) seen.hung.push(key);
  }
  await tick("macro"); // error reports travel in microtasks
  current = undefined;
  for (const errors of seen.errors) errors.sort();
  return seen;
}

// ------------------------------------------------------------------ comparing

const TOKEN = /\bj(\d+)\b/;

/** What two runs may differ in is removed: entries of loose jobs. */
function strict(value: unknown, loose: Set<string>): unknown {
  if (!Array.isArray(value)) return value;
  return value.filter((entry) => !loose.has(`j${TOKEN.exec(String(entry))?.[1]}`));
}

/** The log keeps scheduling order: job numbers strictly increase. */
function fifo(value: unknown): boolean {
  if (!Array.isArray(value)) return true;
  const numbers = value.map((entry) => Number(TOKEN.exec(String(entry))?.[1]));
  return numbers.every((n, i) => i === 0 || n > numbers[i - 1]);
}

function compare(a: Observed, b: Observed): string[] {
  const problems: string[] = [];
  const loose = a.loose;
  for (const [side, seen] of [["local", a], ["worker", b]] as const) {
    for (const key of seen.hung) problems.push(`${side}: ${key} never settled`);
    for (const stray of seen.stray) problems.push(`${side}: ${stray}`);
    for (const [key, outcome] of seen.outcomes) {
      if (outcome.ok && !fifo(outcome.value)) {
        problems.push(`${side}: ${key} saw a log out of order: ${JSON.stringify(outcome.value)}`);
      }
    }
  }
  const keys = new Set([...a.outcomes.keys(), ...b.outcomes.keys()]);
  for (const key of [...keys].sort()) {
    const show = (x: Outcome | undefined) =>
      x === undefined
        ? "nothing"
        : x.ok
        ? `ok ${JSON.stringify(strict(x.value, loose))}`
        : `error ${x.error}`;
    const [x, y] = [show(a.outcomes.get(key)), show(b.outcomes.get(key))];
    if (x === y) continue;
    // A job cancelled after it was scheduled: its reason, or what it did.
    if (
      loose.has(key) && (/^error Error: abort c\d+$/.test(x) || /^error Error: abort c\d+$/.test(y))
    ) continue;
    problems.push(`${key}: local ${x}, worker ${y}`);
  }
  // What a loose job threw after its abort reaches onError locally only.
  const reported = (errors: string[]) =>
    JSON.stringify(errors.filter((e) => !loose.has(`j${TOKEN.exec(e)?.[1]}`)));
  for (let i = 0; i < a.errors.length; i++) {
    const [x, y] = [reported(a.errors[i]), reported(b.errors[i])];
    if (x !== y) problems.push(`object ${i}'s onError: local ${x}, worker ${y}`);
  }
  return problems;
}

// ------------------------------------------------------------------ the test

const { numRuns, seed, path: pathSetting } = modelSettings("DESYNC_WORKER_MODEL", {
  runs: CI_RUNS,
  seed: CI_SEED,
});

Deno.test(`worker: ${numRuns} programs (seed ${seed}) give the same results locally and in workers`, async () => {
  const before = workersAlive();
  const pool = new WorkerPool<Api>(new URL("./fixtures/model.worker.ts", import.meta.url), {
    size: 2,
  });
  const stopErrors = onReportedError((error) => {
    if (current === undefined) throw error;
    current.stray.push(`reportError: ${describe(error)}`);
  });
  const stopRejections = onUnhandledRejection((reason) => {
    if (current === undefined) throw reason;
    current.stray.push(`unhandled rejection: ${describe(reason)}`);
  });
  const started = performance.now();
  let programs = 0;
  try {
    await pool.create("ModelObject").ready; // the first worker's start is not a program's
    await fc.assert(
      fc.asyncProperty(program, async (prog) => {
        programs++;
        const problems = compare(await run(prog, local), await run(prog, remote(pool)));
        if (problems.length > 0) {
          throw new Error(`${problems.length} difference(s):\n  ${problems.join("\n  ")}`);
        }
      }),
      { numRuns, seed, path: pathSetting, endOnFailure: false },
    );
  } finally {
    stopErrors();
    stopRejections();
    await pool.close();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`worker model: ${programs} programs (seed ${seed}) in ${seconds} s`);
  }
  assert.equal(pool.workers, 0, "the pool still has workers");
  assert.equal(workersAlive(), before, "a worker was left running");
});
