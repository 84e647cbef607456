// Copyright 2026 the desync authors. MIT license.
// Runs a random program (_primitives_model_program.ts) on the primitives and
// on their reference model (_primitives_model.ts) in lockstep, and checks:
//
// - after every operation, once the microtasks ran: every operation the
//   model says completed did, with the same outcome (the same guard value
//   and permit count, the same received value, the same select case, the
//   same rejection: its signal's reason, a ChannelClosedError carrying the
//   value not sent and the close reason), every operation it says waits
//   still waits, and every counter reads the same (locked, waiting,
//   available, size, waitingSenders, waitingReceivers, closed, isSet,
//   pending timers, the clock). Since the model hands over in FIFO order and
//   a select's losers take nothing there, this checks grant order, direct
//   hand-off and the atomicity of select;
// - invariants on what the library actually handed out, independently of
//   the model: never two holders of one mutex, and never a guard already
//   released when it arrives; permits conserved (free + held = initial +
//   released extra - forgotten, never negative); every value received at
//   most once, only after it was sent on that channel, never the value of a
//   send that failed or of a select's send case that lost;
// - Desync jobs that use the primitives inside: a Desync's jobs start in the
//   order they were scheduled, one at a time (a job holding a guard across
//   awaits holds its Desync too), never a job cancelled before it started;
//   each eligible job does start; `futureSync` settles as documented
//   (rejected with the reason when aborted, queued or running); nothing
//   reaches an error handler;
// - at the end the program closes the channels and the oneshot, sets the
//   event, adds permits, advances the clock past every deadline, aborts
//   every signal and releases everything granted (repeatedly, as releases
//   grant more): then every promise has settled, nothing waits anywhere, the
//   buffered values drain, every send that completed was received exactly
//   once, and the Desyncs close. A run that does not finish in time is
//   reported as a hang.

import { Desync, Scheduler } from "../mod.ts";
import {
  Channel,
  ChannelClosedError,
  ManualClock,
  ManualResetEvent,
  Mutex,
  MutexGuard,
  Oneshot,
  Permit,
  ReleasedError,
  select,
  type SelectCase,
  Semaphore,
  StateBroadcast,
  TimerService,
} from "../primitives.ts";
import {
  type Desc,
  dispatchAbort,
  DONE,
  grant as modelGrant,
  type Hold,
  type MCase,
  MChannel,
  MEvent,
  MMutex,
  MOneshot,
  MSemaphore,
  MSig,
  MState,
  MTimers,
  select as modelSelect,
  type Sink,
  Throw,
} from "./_primitives_model.ts";
import {
  type Act,
  CAPACITIES,
  type Case,
  type How,
  MUTEXES,
  type Op,
  POLICIES,
  type Program,
  type Sig,
} from "./_primitives_model_program.ts";

/** Counters over all programs, printed by the test. */
export const stats = {
  programs: 0,
  ops: 0,
  skipped: 0,
  handles: 0,
  jobs: 0,
  granted: 0,
  rejected: 0,
  selects: 0,
  selectsWaited: 0,
  aborts: 0,
  closes: 0,
  releases: 0,
  received: 0,
  fired: 0,
  /** Operations that waited, then were granted (a hand-off) or failed. */
  handoffs: 0,
  failedWaiting: 0,
  iterations: 0,
  abandoned: 0,
};

type Outcome = { s: "ok"; d: Desc } | { s: "err"; d: Desc };

/** One waiting operation (by the driver, or by a job when it starts). */
interface Handle {
  id: number;
  label: string;
  act: Act;
  sig: Sig;
  controller: AbortController | null;
  msig: MSig | null;
  signal: AbortSignal | undefined;
  /** Whether the operation was made (a job's operation: once the job started). */
  issued: boolean;
  expected: Outcome | undefined;
  actual: Outcome | undefined;
  /** What the model says it holds, and whether it was given back. */
  hold: Hold | null;
  released: boolean;
  /** The guard or permit the library handed out. */
  object: MutexGuard<string> | Permit | null;
  job: Job | null;
}

interface Job {
  id: number;
  d: number;
  handle: Handle;
  hold: boolean;
  via: "futureSync" | "desync";
  state: "queued" | "running" | "ended" | "cancelled";
  expected: Outcome | undefined;
  actual: Outcome | undefined;
  gate: () => void;
  gateOpen: boolean;
  gated: Promise<void>;
  how: How;
}

const PENDING = "pending";

function show(outcome: Outcome | undefined): string {
  return outcome === undefined ? PENDING : `${outcome.s} ${JSON.stringify(outcome.d)}`;
}

/** A macrotask hop, as the scheduler yields: setImmediate, else a MessageChannel, else a timer. */
const host = globalThis as typeof globalThis & { setImmediate?: (callback: () => void) => unknown };
const workerd = typeof navigator === "object" &&
  (navigator as { userAgent?: string } | null)?.userAgent === "Cloudflare-Workers";
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof host.setImmediate === "function") host.setImmediate(resolve);
    else if (typeof MessageChannel === "function" && !workerd) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else setTimeout(resolve, 0);
  });
}

class Violation extends Error {}

/** Microtasks without progress after which the program is taken to be quiet. */
const QUIET_TICKS = 12;

export class Run {
  readonly violations: string[] = [];
  /** Errors that reached reportError or the unhandled rejection event (set by the test). */
  readonly stray: string[] = [];
  readonly #program: Program;
  #step = "setup";
  #dead = false;
  #progress = 0;

  // The library.
  readonly #mutexes: Mutex<string>[] = [];
  readonly #semaphores: Semaphore[] = [];
  readonly #channels: Channel<number>[] = [];
  readonly #event: ManualResetEvent;
  readonly #oneshot = new Oneshot<number>();
  readonly #state = new StateBroadcast<number>();
  readonly #clock = new ManualClock(0);
  readonly #timers = new TimerService({ clock: this.#clock });
  readonly #schedulers: Scheduler[] = [];
  readonly #desyncs: Desync<number>[] = [];
  readonly #shared: AbortController[] = [];

  // The model.
  readonly #mMutexes: MMutex[] = [];
  readonly #mSemaphores: MSemaphore[] = [];
  readonly #mChannels: MChannel[] = [];
  readonly #mEvent: MEvent;
  readonly #mOneshot = new MOneshot();
  readonly #mState = new MState();
  readonly #mTimers = new MTimers();
  readonly #mShared: MSig[] = [];

  // Bookkeeping.
  readonly #handles: Handle[] = [];
  readonly #jobs: Job[][] = [];
  /** Reasons (abort, close) by identity, so that outcomes compare as data. */
  readonly #reasons = new Map<unknown, string>();
  /** The reason each abortable controller aborts with. */
  readonly #abortWith = new Map<AbortController, Error>();
  readonly #initial: number[];
  /** Per semaphore: permits added by semRelease, permits forgotten. */
  readonly #extra: number[] = [];
  readonly #forgotten: number[] = [];
  /** What the library handed out: holders per mutex, permits held per semaphore. */
  readonly #holders: number[] = [];
  readonly #held: number[] = [];
  /** Values sent per channel (by value): how the send ended; values received. */
  readonly #sent = new Map<number, { ch: number; how: "pending" | "ok" | "failed" | "lost" }>();
  readonly #received = new Set<number>();
  #nextValue = 1;
  /** The handle whose operation is being made (its immediate outcome is not a hand-off). */
  #issuing: Handle | null = null;
  readonly #errors: unknown[] = [];

  constructor(program: Program) {
    this.#program = program;
    for (let m = 0; m < MUTEXES; m++) {
      this.#mutexes.push(new Mutex(`m${m}:initial`));
      this.#mMutexes.push(new MMutex(m));
      this.#holders.push(0);
    }
    POLICIES.forEach((policy, s) => {
      const permits = program.permits[s] ?? 0;
      this.#semaphores.push(new Semaphore(permits, { policy }));
      this.#mSemaphores.push(new MSemaphore(s, permits, policy === "fifo"));
      this.#extra.push(0);
      this.#forgotten.push(0);
      this.#held.push(0);
    });
    this.#initial = POLICIES.map((_, s) => program.permits[s] ?? 0);
    for (const capacity of CAPACITIES) {
      this.#channels.push(new Channel<number>(capacity));
      this.#mChannels.push(new MChannel(capacity));
    }
    this.#event = new ManualResetEvent(program.eventSet);
    this.#mEvent = new MEvent(program.eventSet);
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      this.#abortWith.set(controller, this.#reason(`s${i}`));
      this.#shared.push(controller);
      this.#mShared.push(new MSig({ t: "reason", id: `s${i}` }));
    }
    const onError = (error: unknown) => void this.#errors.push(error);
    for (const mode of program.desyncs) {
      const scheduler = new Scheduler({
        maxConcurrency: mode === "manual" ? 0 : Infinity,
        onError,
      });
      this.#schedulers.push(scheduler);
      this.#desyncs.push(new Desync(0, { scheduler }));
      this.#jobs.push([]);
    }
  }

  /** Runs the program; resolves with the violations (empty: it passed). */
  async run(timeoutMs = 10_000): Promise<string[]> {
    stats.programs++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.violations.push(
          `hang: the program did not finish within ${timeoutMs} ms (at ${this.#step})`,
        );
        this.#dead = true;
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([this.#body(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    for (const error of this.#errors) {
      this.violations.push(`an error reached onError: ${String(error)}`);
    }
    for (const stray of this.stray) this.violations.push(stray);
    return this.violations;
  }

  async #body(): Promise<void> {
    try {
      const ops = this.#program.ops;
      for (let i = 0; i < ops.length; i++) {
        this.#step = `op #${i} ${JSON.stringify(ops[i])}`;
        stats.ops++;
        await this.#op(ops[i]);
        await this.#settle();
        this.#check();
      }
      await this.#end();
    } catch (error) {
      if (!(error instanceof Violation)) {
        this.violations.push(`${this.#step}: threw ${String((error as Error)?.stack ?? error)}`);
      }
    }
  }

  #fail(message: string): never {
    this.violations.push(`${this.#step}: ${message}`);
    throw new Violation(message);
  }

  // ---------------------------------------------------------------- operations

  #op(op: Op): Promise<void> | void {
    switch (op.op) {
      case "start": {
        const handle = this.#handle(op.act, op.sig, op.timeoutMs, null);
        this.#issue(handle);
        return;
      }
      case "job":
        return this.#scheduleJob(op);
      case "release": {
        const holding = this.#handles.filter((h) =>
          (h.hold !== null && !h.released && !(h.job?.gateOpen ?? false)) ||
          (h.act.a === "iterate" && h.job!.state === "running" && !h.job!.gateOpen)
        );
        if (holding.length === 0) return void stats.skipped++;
        const handle = holding[op.k % holding.length];
        if (handle.job !== null) {
          handle.job.how = op.how;
          handle.job.gateOpen = true;
          handle.job.gate();
        } else this.#release(handle, op.how);
        return;
      }
      case "abort": {
        const abortable = this.#handles.filter((h) => h.controller !== null);
        if (abortable.length === 0) return void stats.skipped++;
        const handle = abortable[op.k % abortable.length];
        this.#abort(handle.controller!, handle.msig!);
        return;
      }
      case "tryLock": {
        const handle = this.#handle({ a: "lock", m: op.m }, "none", 0, null);
        handle.issued = true;
        const guard = this.#mutexes[op.m].tryLock();
        const expected = this.#mMutexes[op.m].tryLock();
        if (expected === undefined) {
          if (guard !== undefined) this.#fail(`tryLock() gave a guard; the model: undefined`);
          handle.expected = handle.actual = { s: "ok", d: { t: "undefined" } };
        } else {
          if (guard === undefined) this.#fail(`tryLock() gave undefined; the model: a guard`);
          handle.expected = { s: "ok", d: expected };
          handle.hold = { kind: "guard", m: op.m };
          this.#observed(handle, { s: "ok", d: this.#guardDesc(guard) }, guard);
        }
        return;
      }
      case "tryAcquire": {
        const handle = this.#handle({ a: "acquire", s: op.s, n: op.n }, "none", 0, null);
        handle.issued = true;
        const permit = this.#semaphores[op.s].tryAcquire(op.n);
        const ok = this.#mSemaphores[op.s].take(op.n);
        if (!ok) {
          if (permit !== undefined) {
            this.#fail(`tryAcquire(${op.n}) gave a permit; the model: none`);
          }
          handle.expected = handle.actual = { s: "ok", d: { t: "undefined" } };
        } else {
          if (permit === undefined) {
            this.#fail(`tryAcquire(${op.n}) gave undefined; the model: a permit`);
          }
          handle.expected = { s: "ok", d: { t: "permit", count: op.n, released: false } };
          handle.hold = { kind: "permit", s: op.s, count: op.n };
          this.#observed(handle, { s: "ok", d: this.#permitDesc(permit) }, permit);
        }
        return;
      }
      case "semRelease":
        this.#semaphores[op.s].release(op.n);
        this.#mSemaphores[op.s].release(op.n);
        this.#extra[op.s] += op.n;
        return;
      case "trySend": {
        const value = this.#value(op.ch);
        const expected = this.#mChannels[op.ch].trySend(value);
        let actual: boolean | Throw;
        try {
          actual = this.#channels[op.ch].trySend(value);
        } catch (error) {
          actual = new Throw(this.#errorDesc(error));
        }
        this.#same(`trySend(${value}) on channel ${op.ch}`, expected, actual);
        this.#sent.get(value)!.how = expected === true ? "ok" : "failed";
        return;
      }
      case "tryReceive": {
        const expected = this.#mChannels[op.ch].tryReceive();
        let actual: Desc | Throw;
        try {
          const result = this.#channels[op.ch].tryReceive();
          actual = result.ok
            ? { t: "try", ok: true, value: result.value }
            : { t: "try", ok: false, closed: result.closed };
          if (result.ok) this.#receive(op.ch, result.value);
        } catch (error) {
          actual = new Throw(this.#errorDesc(error));
        }
        this.#same(`tryReceive() on channel ${op.ch}`, expected, actual);
        return;
      }
      case "close": {
        stats.closes++;
        const reason = op.reason ? this.#reason(`close c${op.ch}`) : undefined;
        const expected = this.#mChannels[op.ch].close(
          reason === undefined ? null : this.#errorDesc(reason),
        );
        const actual = this.#channels[op.ch].close(reason);
        this.#same(`close() of channel ${op.ch}`, expected, actual);
        return;
      }
      case "set":
        this.#event.set();
        this.#mEvent.set();
        return;
      case "reset":
        this.#event.reset();
        this.#mEvent.reset();
        return;
      case "oneshotSend": {
        const value = this.#value(-1);
        const expected = this.#mOneshot.send(value);
        let actual: Throw | undefined;
        try {
          this.#oneshot.send(value);
        } catch (error) {
          actual = new Throw(this.#errorDesc(error));
        }
        this.#same(`oneshot.send(${value})`, expected, actual);
        this.#sent.get(value)!.how = expected === undefined ? "ok" : "failed";
        return;
      }
      case "oneshotClose": {
        const reason = op.reason ? this.#reason("close oneshot") : undefined;
        const expected = this.#mOneshot.close(
          reason === undefined ? null : this.#errorDesc(reason),
        );
        this.#same("oneshot.close()", expected, this.#oneshot.close(reason));
        return;
      }
      case "stateSend": {
        const value = this.#nextValue++;
        const expected = this.#mState.send(value);
        let actual: Throw | number;
        try {
          actual = this.#state.send(value);
        } catch (error) {
          actual = new Throw(this.#errorDesc(error));
        }
        this.#same(`state.send(${value})`, expected, actual);
        return;
      }
      case "stateClose": {
        const reason = op.reason ? this.#reason("close state") : undefined;
        const expected = this.#mState.close(reason === undefined ? null : this.#errorDesc(reason));
        this.#same("state.close()", expected, this.#state.close(reason));
        return;
      }
      case "advance":
        return this.#advance(op.ms);
      case "macro":
        return macrotask();
    }
  }

  #same(what: string, expected: unknown, actual: unknown): void {
    const e = JSON.stringify(expected instanceof Throw ? { threw: expected.reason } : expected);
    const a = JSON.stringify(actual instanceof Throw ? { threw: actual.reason } : actual);
    if (e !== a) this.#fail(`${what}: got ${a}, the model expected ${e}`);
  }

  /** A fresh value to send on channel `ch` (-1: the oneshot). */
  #value(ch: number): number {
    const value = this.#nextValue++;
    this.#sent.set(value, { ch, how: "pending" });
    return value;
  }

  #reason(label: string): Error {
    const reason = new Error(label);
    this.#reasons.set(reason, label);
    return reason;
  }

  /** A new handle with its signal. */
  #handle(act: Act, sig: Sig, timeoutMs: number, job: Job | null): Handle {
    stats.handles++;
    const id = this.#handles.length;
    let controller: AbortController | null = null;
    let msig: MSig | null = null;
    let signal: AbortSignal | undefined;
    if (sig === "own" || sig === "pre") {
      const reason = this.#reason(`abort h${id}`);
      msig = new MSig({ t: "reason", id: `abort h${id}` });
      const own = new AbortController();
      signal = own.signal;
      if (sig === "pre") {
        own.abort(reason);
        msig.aborted = true;
      } else {
        controller = own;
        this.#abortWith.set(own, reason);
      }
    } else if (sig === "s0" || sig === "s1") {
      const i = sig === "s0" ? 0 : 1;
      controller = this.#shared[i];
      msig = this.#mShared[i];
      signal = controller.signal;
    } else if (sig === "timeout") {
      msig = new MSig({ t: "timeout" });
      const model = msig;
      this.#mTimers.timeout(timeoutMs, () => {
        stats.fired++;
        model.aborted = true;
        dispatchAbort(model);
      });
      signal = this.#timers.timeout(timeoutMs);
    }
    const handle: Handle = {
      id,
      label: `h${id} ${JSON.stringify(act)} sig ${sig}${job !== null ? ` (job ${job.id})` : ""}`,
      act,
      sig,
      controller,
      msig,
      signal,
      issued: false,
      expected: undefined,
      actual: undefined,
      hold: null,
      released: false,
      object: null,
      job,
    };
    this.#handles.push(handle);
    return handle;
  }

  #abort(controller: AbortController, msig: MSig): void {
    if (controller.signal.aborted) return;
    stats.aborts++;
    // Phase 1, as the signal's listener does it: the Desync jobs under it.
    msig.aborted = true;
    for (const jobs of this.#jobs) {
      for (const job of jobs) {
        if (job.handle.msig !== msig) continue;
        if (job.state === "queued") {
          job.state = "cancelled";
          job.expected ??= { s: "err", d: msig.reason };
        } else if (job.state === "running") job.expected ??= { s: "err", d: msig.reason };
      }
    }
    controller.abort(this.#abortWith.get(controller));
    // Phase 2: the primitives' waiters under it (a job started in phase 1 was modelled as it ran).
    dispatchAbort(msig);
  }

  /** Makes the handle's operation, on the library and on the model. */
  #sink(handle: Handle): Sink {
    return {
      ok: (d, hold) => {
        if (handle.expected !== undefined) {
          this.#fail(`${handle.label}: the model settled it twice`);
        }
        if (handle !== this.#issuing) stats.handoffs++;
        handle.expected = { s: "ok", d };
        if (hold !== undefined) handle.hold = hold;
      },
      err: (d) => {
        if (handle.expected !== undefined) {
          this.#fail(`${handle.label}: the model settled it twice`);
        }
        if (handle !== this.#issuing) stats.failedWaiting++;
        handle.expected = { s: "err", d };
      },
    };
  }

  #issue(handle: Handle): Promise<unknown> {
    handle.issued = true;
    this.#issuing = handle;
    try {
      return this.#issueNow(handle);
    } finally {
      this.#issuing = null;
    }
  }

  #issueNow(handle: Handle): Promise<unknown> {
    const sink = this.#sink(handle);
    const options = handle.signal === undefined ? undefined : { signal: handle.signal };
    const act = handle.act;
    let promise: Promise<unknown>;
    let describe: (value: unknown) => Desc;
    switch (act.a) {
      case "lock":
        promise = this.#mutexes[act.m].lock(options);
        this.#mMutexes[act.m].lock(sink, handle.msig);
        describe = (v) => this.#guardDesc(v);
        break;
      case "acquire":
        promise = this.#semaphores[act.s].acquire(act.n, options);
        this.#mSemaphores[act.s].acquire(act.n, sink, handle.msig);
        describe = (v) => this.#permitDesc(v);
        break;
      case "send": {
        const value = this.#value(act.ch);
        promise = this.#channels[act.ch].send(value, options);
        this.#mChannels[act.ch].send(value, sink, handle.msig);
        describe = (v) => this.#voidDesc(v);
        this.#trackSend(promise, value);
        break;
      }
      case "recv":
        promise = this.#channels[act.ch].receive(options);
        this.#mChannels[act.ch].receive(sink, handle.msig);
        describe = (v) => this.#recvDesc(act.ch, v);
        break;
      case "wait":
        promise = this.#event.wait(options);
        this.#mEvent.wait(sink, handle.msig);
        describe = (v) => this.#voidDesc(v);
        break;
      case "oneshot":
        promise = this.#oneshot.receive(options);
        this.#mOneshot.receive(sink, handle.msig);
        describe = (v) => this.#recvDesc(-1, v);
        break;
      case "state": {
        const since = Math.max(0, this.#mState.version + act.since);
        promise = this.#state.receive(since, options);
        this.#mState.receive(since, sink, handle.msig);
        describe = (v) => this.#stateDesc(v);
        break;
      }
      case "iterate":
        throw new Error("iterate is run by its job");
      case "delay":
        promise = this.#timers.delay(act.ms, options);
        this.#mTimers.delay(act.ms, sink, handle.msig);
        describe = (v) => this.#voidDesc(v);
        break;
      case "select": {
        stats.selects++;
        const keys = act.cases.map((_, i) => `k${i}`);
        const real: Record<string, SelectCase<unknown>> = {};
        const model: MCase[] = [];
        const kinds: ((value: unknown) => Desc)[] = [];
        const sends: (number | undefined)[] = [];
        act.cases.forEach((c, i) => {
          const [r, m, d, v] = this.#case(c);
          real[keys[i]] = r;
          model.push(m);
          kinds.push(d);
          sends.push(v);
        });
        promise = select(real, options);
        modelSelect(keys, model, sink, handle.msig);
        if (handle.expected === undefined) stats.selectsWaited++;
        describe = (v) => {
          const { key, value } = v as { key: string; value: unknown };
          const i = keys.indexOf(key);
          if (i < 0) return { t: "unexpected", text: `key ${String(key)}` };
          return { t: "select", key, value: kinds[i](value) };
        };
        // A send case that did not win never delivers its value.
        promise.then((v) => {
          const { key } = v as { key: string };
          sends.forEach((value, i) => {
            if (value === undefined) return;
            this.#sent.get(value)!.how = keys[i] === key ? "ok" : "lost";
          });
        }, () => {
          for (const value of sends) if (value !== undefined) this.#sent.get(value)!.how = "lost";
        });
        break;
      }
    }
    promise.then(
      (value) => this.#observed(handle, { s: "ok", d: describe(value) }, value),
      (error) => this.#observed(handle, { s: "err", d: this.#errorDesc(error) }, undefined),
    );
    return promise;
  }

  /** A select case: the library's, the model's, how to describe its value, the value it sends. */
  #case(c: Case): [SelectCase<unknown>, MCase, (value: unknown) => Desc, number | undefined] {
    switch (c.c) {
      case "lock":
        return [
          this.#mutexes[c.m].lockCase(),
          this.#mMutexes[c.m].lockCase(),
          (v) => this.#guardDesc(v),
          undefined,
        ];
      case "acquire":
        return [
          this.#semaphores[c.s].acquireCase(c.n),
          this.#mSemaphores[c.s].acquireCase(c.n),
          (v) => this.#permitDesc(v),
          undefined,
        ];
      case "recv":
        return [
          this.#channels[c.ch].receiveCase(),
          this.#mChannels[c.ch].receiveCase(),
          (v) => this.#recvDesc(c.ch, v),
          undefined,
        ];
      case "send": {
        const value = this.#value(c.ch);
        return [
          this.#channels[c.ch].sendCase(value),
          this.#mChannels[c.ch].sendCase(value),
          (v) => this.#voidDesc(v),
          value,
        ];
      }
      case "wait":
        return [
          this.#event.waitCase(),
          this.#mEvent.waitCase(),
          (v) => this.#voidDesc(v),
          undefined,
        ];
      case "oneshot":
        return [
          this.#oneshot.receiveCase(),
          this.#mOneshot.receiveCase(),
          (v) => this.#recvDesc(-1, v),
          undefined,
        ];
      case "state": {
        const since = Math.max(0, this.#mState.version + c.since);
        return [
          this.#state.receiveCase(since),
          this.#mState.receiveCase(since),
          (v) => this.#stateDesc(v),
          undefined,
        ];
      }
      case "delay":
        return [
          this.#timers.delayCase(c.ms),
          this.#mTimers.delayCase(c.ms),
          (v) => this.#voidDesc(v),
          undefined,
        ];
    }
  }

  #trackSend(promise: Promise<unknown>, value: number): void {
    promise.then(
      () => void (this.#sent.get(value)!.how = "ok"),
      () => void (this.#sent.get(value)!.how = "failed"),
    );
  }

  /** The library settled a handle's operation. */
  #observed(handle: Handle, outcome: Outcome, value: unknown): void {
    this.#progress++;
    if (handle.actual !== undefined) {
      this.violations.push(`${handle.label}: settled twice`);
      return;
    }
    handle.actual = outcome;
    if (outcome.s === "err") {
      stats.rejected++;
      return;
    }
    stats.granted++;
    // What it holds: a guard or a permit, directly or as a select's value.
    const held = handle.act.a === "select" ? (value as { value: unknown }).value : value;
    if (held instanceof MutexGuard) {
      handle.object = held;
      const m = Number(/^m(\d+):/.exec(held.value)?.[1]);
      if (++this.#holders[m] > 1) {
        this.violations.push(
          `${this.#step}: mutex ${m} has two holders (the second: ${handle.label})`,
        );
      }
    } else if (held instanceof Permit) {
      handle.object = held;
      const s = this.#permitOwner(handle);
      if (s !== undefined) this.#held[s] += held.count;
    }
  }

  /** Which semaphore a handle's permit is from (the act, or the select case that won). */
  #permitOwner(handle: Handle): number | undefined {
    const act = handle.act;
    if (act.a === "acquire") return act.s;
    if (act.a !== "select" || handle.actual?.s !== "ok") return undefined;
    const key = String(handle.actual.d.key);
    const c = act.cases[Number(key.slice(1))];
    return c?.c === "acquire" ? c.s : undefined;
  }

  #guardDesc(value: unknown): Desc {
    if (!(value instanceof MutexGuard)) return { t: "unexpected", text: String(value) };
    return {
      t: "guard",
      value: value.released ? undefined : value.value,
      released: value.released,
    };
  }

  #permitDesc(value: unknown): Desc {
    if (!(value instanceof Permit)) return { t: "unexpected", text: String(value) };
    return { t: "permit", count: value.count, released: value.released };
  }

  #stateDesc(value: unknown): Desc {
    const result = value as { done: boolean; version: number; value: unknown };
    if (typeof result !== "object" || result === null) {
      return { t: "unexpected", text: String(value) };
    }
    return { t: "state", done: result.done, version: result.version, value: result.value };
  }

  #voidDesc(value: unknown): Desc {
    return value === undefined ? { t: "void" } : { t: "unexpected", text: String(value) };
  }

  /** A receive's result (ch -1: the oneshot), noting the value as received. */
  #recvDesc(ch: number, value: unknown): Desc {
    const result = value as IteratorResult<number, undefined>;
    if (typeof result !== "object" || result === null) {
      return { t: "unexpected", text: String(value) };
    }
    if (!result.done) this.#receive(ch, result.value);
    return result.done ? DONE : { t: "recv", done: false, value: result.value };
  }

  /** Exactly-once delivery, checked on what the library handed out. */
  #receive(ch: number, value: number): void {
    stats.received++;
    const sent = this.#sent.get(value);
    if (sent === undefined || sent.ch !== ch) {
      this.violations.push(`${this.#step}: received ${value} on ${ch}, which was never sent there`);
    } else if (sent.how === "failed" || sent.how === "lost") {
      this.violations.push(
        `${this.#step}: received ${value}, whose send ${
          sent.how === "failed" ? "failed" : "was a select case that lost"
        }`,
      );
    }
    if (this.#received.has(value)) this.violations.push(`${this.#step}: received ${value} twice`);
    this.#received.add(value);
  }

  #errorDesc(error: unknown): Desc {
    const label = this.#reasons.get(error);
    if (label !== undefined) return { t: "reason", id: label };
    if (error instanceof ChannelClosedError) {
      return {
        t: "closed",
        value: error.value,
        cause: error.cause === undefined ? null : this.#errorDesc(error.cause),
      };
    }
    if (error instanceof DOMException && error.name === "TimeoutError") return { t: "timeout" };
    return { t: "other", text: String(error) };
  }

  /** Gives back what a handle holds, on the library and the model (lockstep). */
  #release(handle: Handle, how: How): void {
    const hold = handle.hold!;
    const object = handle.object;
    if (handle.released) return;
    handle.released = true;
    stats.releases++;
    if (hold.kind === "guard") {
      if (!(object instanceof MutexGuard)) this.#fail(`${handle.label}: no guard to release`);
      const value = `m${hold.m}:h${handle.id}`;
      object.value = value;
      this.#mMutexes[hold.m].value = value;
      this.#holders[hold.m]--;
      if (how === "dispose") object[Symbol.dispose]();
      else object.release();
      if (how === "twice") object.release();
      this.#mMutexes[hold.m].unlock();
      if (!object.released) {
        this.#fail(`${handle.label}: the guard is not released after release()`);
      }
      try {
        void object.value;
        this.#fail(`${handle.label}: a released guard's value can still be read`);
      } catch (error) {
        if (!(error instanceof ReleasedError)) throw error;
      }
    } else {
      if (!(object instanceof Permit)) this.#fail(`${handle.label}: no permit to release`);
      this.#held[hold.s] -= hold.count;
      if (how === "forget") {
        const count = object.forget();
        if (count !== hold.count) this.#fail(`${handle.label}: forget() gave ${count}`);
        this.#forgotten[hold.s] += hold.count;
      } else {
        if (how === "dispose") object[Symbol.dispose]();
        else object.release();
        if (how === "twice") object.release();
        this.#mSemaphores[hold.s].release(hold.count);
      }
      if (!object.released) this.#fail(`${handle.label}: the permit is not released`);
    }
  }

  // ---------------------------------------------------------------- jobs

  #scheduleJob(op: Extract<Op, { op: "job" }>): void {
    const d = op.d % this.#desyncs.length;
    const desync = this.#desyncs[d];
    let gate!: () => void;
    const gated = new Promise<void>((resolve) => (gate = resolve));
    const job: Job = {
      id: stats.jobs++,
      d,
      handle: undefined as unknown as Handle,
      hold: op.hold,
      via: op.via,
      state: "queued",
      expected: undefined,
      actual: undefined,
      gate,
      gateOpen: false,
      gated,
      how: "release",
    };
    job.handle = this.#handle(op.act, op.sig, op.timeoutMs, job);
    this.#jobs[d].push(job);
    const handle = job.handle;
    const run = async () => {
      this.#jobStarted(job);
      if (handle.act.a === "iterate") {
        await this.#iterate(job, handle.act.ch, handle.act.k);
        this.#progress++;
        job.state = "ended";
        job.expected ??= { s: "ok", d: { t: "void" } };
        return;
      }
      const promise = this.#issue(handle);
      try {
        await promise;
      } catch {
        // the outcome is checked through the handle
      }
      if (handle.hold !== null && handle.actual?.s === "ok") {
        if (job.hold && !job.gateOpen) await job.gated;
        if (!handle.released) this.#release(handle, job.how);
      }
      this.#progress++;
      job.state = "ended";
      job.expected ??= { s: "ok", d: { t: "void" } };
    };
    const options = handle.signal === undefined ? undefined : { signal: handle.signal };
    if (handle.msig?.aborted) {
      job.state = "cancelled";
      job.expected = { s: "err", d: handle.msig.reason };
    }
    if (op.via === "futureSync") {
      desync.futureSync(run, options).then(
        () => this.#jobSettled(job, { s: "ok", d: { t: "void" } }),
        (error) => this.#jobSettled(job, { s: "err", d: this.#errorDesc(error) }),
      );
    } else {
      desync.desync(run, options);
    }
  }

  /**
   * A job iterating a channel: up to `k` next() calls, each a receive the
   * model follows; its gate opening while one waits abandons the iteration.
   */
  async #iterate(job: Job, ch: number, k: number): Promise<void> {
    const iterator = this.#channels[ch][Symbol.asyncIterator]();
    for (let i = 0; i < k; i++) {
      const sub = this.#handle({ a: "recv", ch }, "none", 0, job);
      sub.label = `h${sub.id} next() #${i} of job ${job.id}'s iteration of channel ${ch}`;
      sub.issued = true;
      stats.iterations++;
      const promise = iterator.next();
      this.#issuing = sub;
      const waiter = this.#mChannels[ch].receive(this.#sink(sub), null);
      this.#issuing = null;
      promise.then(
        (value) => this.#observed(sub, { s: "ok", d: this.#recvDesc(ch, value) }, value),
        (error) => this.#observed(sub, { s: "err", d: this.#errorDesc(error) }, undefined),
      );
      const first = await Promise.race([
        promise.then((result) => (result.done ? "end" : "value"), () => "end"),
        job.gated.then(() => "gate"),
      ]);
      if (first === "gate") {
        // Abandoned (what `break` in a for-await does, here while a next() waits).
        await iterator.return!();
        if (waiter !== undefined && waiter.queue !== null) {
          stats.abandoned++;
          modelGrant(waiter, DONE);
        }
        await promise.catch(() => {});
        return;
      }
      if (first === "end") return;
    }
    await iterator.return!();
  }

  #jobSettled(job: Job, outcome: Outcome): void {
    this.#progress++;
    if (job.actual !== undefined) this.violations.push(`job ${job.id}: its promise settled twice`);
    job.actual = outcome;
  }

  /** A job's function was called: it must be its Desync's next job, with none running. */
  #jobStarted(job: Job): void {
    this.#progress++;
    try {
      if (job.state !== "queued") {
        this.#fail(
          `job ${job.id} (${job.handle.label}) started, but the model has it ${job.state}`,
        );
      }
      for (const other of this.#jobs[job.d]) {
        if (other === job) break;
        if (other.state === "queued" || other.state === "running") {
          this.#fail(
            `job ${job.id} started while the earlier job ${other.id} of its Desync is ` +
              other.state,
          );
        }
      }
    } catch (error) {
      if (!(error instanceof Violation)) throw error;
      this.#dead = true;
    }
    job.state = "running";
  }

  /** The jobs that should start now: each Desync's oldest job not ended nor cancelled. */
  #startable(): Job[] {
    const due: Job[] = [];
    for (const jobs of this.#jobs) {
      const next = jobs.find((job) => job.state === "queued" || job.state === "running");
      if (next?.state === "queued") due.push(next);
    }
    return due;
  }

  // ---------------------------------------------------------------- settling and checks

  /** Lets the microtasks run until nothing moves, and the Desyncs start what they should. */
  /**
   * Resolves once QUIET_TICKS microtasks in a row saw no progress (no
   * operation settled, no job started or ended). Microtasks, not awaits: on
   * Node every promise pays for node:test's async hooks. The longest quiet
   * stretch measured between two steps of progress was 3 microtasks.
   */
  #quiet(): Promise<void> {
    return new Promise((resolve) => {
      let quiet = 0;
      let ticks = 0;
      let before = this.#progress;
      const tick = () => {
        quiet = this.#progress === before ? quiet + 1 : 0;
        before = this.#progress;
        if (quiet >= QUIET_TICKS || ++ticks > 2000) resolve();
        else queueMicrotask(tick);
      };
      queueMicrotask(tick);
    });
  }

  async #settle(): Promise<void> {
    for (let round = 0;; round++) {
      if (this.#dead) throw new Violation("dead");
      await this.#quiet();
      const due = this.#startable();
      if (due.length === 0) return;
      if (round === 50) {
        this.#fail(
          `jobs ${due.map((job) => job.id).join(", ")} never started (their Desync is free)`,
        );
      }
      let auto = false;
      for (const job of due) {
        if (this.#program.desyncs[job.d] === "manual") this.#schedulers[job.d].runReady();
        else auto = true;
      }
      if (auto) await macrotask();
    }
  }

  /** Compares every outcome and counter with the model. */
  #check(): void {
    if (this.violations.length > 0) throw new Violation("violations");
    for (const handle of this.#handles) {
      if (!handle.issued) continue;
      const e = show(handle.expected);
      const a = show(handle.actual);
      if (e !== a) this.#fail(`${handle.label}: got ${a}, the model expected ${e}`);
    }
    for (const jobs of this.#jobs) {
      for (const job of jobs) {
        if (job.via !== "futureSync") continue;
        const e = show(job.expected);
        const a = show(job.actual);
        if (e !== a) this.#fail(`job ${job.id}'s futureSync: got ${a}, the model expected ${e}`);
      }
    }
    const counters: [string, unknown, unknown][] = [];
    this.#mutexes.forEach((mutex, m) => {
      const model = this.#mMutexes[m];
      counters.push([`mutex ${m} locked`, mutex.locked, model.locked]);
      counters.push([`mutex ${m} waiting`, mutex.waiting, model.queue.items.length]);
      counters.push([`mutex ${m} holders`, this.#holders[m], model.locked ? 1 : 0]);
    });
    this.#semaphores.forEach((semaphore, s) => {
      const model = this.#mSemaphores[s];
      counters.push([`semaphore ${s} available`, semaphore.available, model.available]);
      counters.push([`semaphore ${s} waiting`, semaphore.waiting, model.queue.items.length]);
      counters.push([
        `semaphore ${s}: available + held (the permits conserved)`,
        semaphore.available + this.#held[s],
        this.#initial[s] + this.#extra[s] - this.#forgotten[s],
      ]);
    });
    this.#channels.forEach((channel, ch) => {
      const model = this.#mChannels[ch];
      counters.push([`channel ${ch} size`, channel.size, model.buffer.length]);
      counters.push([
        `channel ${ch} waitingSenders`,
        channel.waitingSenders,
        model.senders.items.length,
      ]);
      counters.push([
        `channel ${ch} waitingReceivers`,
        channel.waitingReceivers,
        model.receivers.items.length,
      ]);
      counters.push([`channel ${ch} closed`, channel.closed, model.closed]);
    });
    counters.push(["event isSet", this.#event.isSet, this.#mEvent.isSet]);
    counters.push(["event waiting", this.#event.waiting, this.#mEvent.queue.items.length]);
    counters.push(["oneshot waiting", this.#oneshot.waiting, this.#mOneshot.queue.items.length]);
    counters.push(["oneshot closed", this.#oneshot.closed, this.#mOneshot.closed]);
    counters.push(["oneshot sent", this.#oneshot.sent, this.#mOneshot.state !== "empty"]);
    counters.push(["state version", this.#state.version, this.#mState.version]);
    counters.push(["state closed", this.#state.closed, this.#mState.closed]);
    counters.push(["state waiting", this.#state.waiting, this.#mState.queue.items.length]);
    counters.push(["timers pending", this.#timers.pending, this.#mTimers.queue.items.length]);
    counters.push(["clock", this.#clock.now(), this.#mTimers.now]);
    for (const [what, actual, expected] of counters) {
      if (actual !== expected) this.#fail(`${what}: ${actual}, the model expected ${expected}`);
    }
    this.#semaphores.forEach((semaphore, s) => {
      if (semaphore.available < 0) this.#fail(`semaphore ${s} has ${semaphore.available} permits`);
    });
  }

  #oneshotTry(): Desc {
    const result = this.#oneshot.tryReceive();
    if (result.ok) this.#receive(-1, result.value);
    return result.ok
      ? { t: "try", ok: true, value: result.value }
      : { t: "try", ok: false, closed: result.closed };
  }

  /** Moves the clock forward one due deadline at a time, as the model fires them. */
  async #advance(ms: number): Promise<void> {
    const target = this.#mTimers.now + ms;
    for (;;) {
      const next = this.#mTimers.earliest();
      if (next > target) break;
      if (next > this.#mTimers.now) this.#mTimers.now = next;
      this.#mTimers.fireDue();
      await this.#clock.advanceTo(this.#mTimers.now);
      await this.#settle();
      this.#check();
    }
    this.#mTimers.now = target;
    await this.#clock.advanceTo(target);
  }

  // ---------------------------------------------------------------- the end

  async #end(): Promise<void> {
    this.#step = "the end: closing the channels and the oneshot, setting the event";
    const reason = this.#program.endReason;
    this.#channels.forEach((channel, ch) => {
      const r = reason ? this.#reason(`end close c${ch}`) : undefined;
      const expected = this.#mChannels[ch].close(r === undefined ? null : this.#errorDesc(r));
      this.#same(`close() of channel ${ch}`, expected, channel.close(r));
    });
    this.#same("oneshot.close()", this.#mOneshot.close(null), this.#oneshot.close());
    this.#same("state.close()", this.#mState.close(null), this.#state.close());
    this.#event.set();
    this.#mEvent.set();
    this.#semaphores.forEach((semaphore, s) => {
      semaphore.release(3);
      this.#mSemaphores[s].release(3);
      this.#extra[s] += 3;
    });
    await this.#settle();
    this.#check();
    this.#step = "the end: advancing the clock past every deadline";
    await this.#advance(1000);
    await this.#settle();
    this.#check();
    this.#step = "the end: aborting every signal";
    for (const handle of this.#handles) {
      if (handle.controller !== null) this.#abort(handle.controller, handle.msig!);
    }
    await this.#settle();
    this.#check();
    for (const handle of this.#handles) {
      if (handle.act.a === "iterate" && !handle.job!.gateOpen) {
        handle.job!.gateOpen = true;
        handle.job!.gate();
      }
    }
    for (let round = 0;; round++) {
      this.#step = `the end: releasing what is held (round ${round})`;
      const holding = this.#handles.filter((h) => h.hold !== null && !h.released);
      if (holding.length === 0) break;
      if (round === 50) this.#fail(`still held after 50 rounds of releases`);
      for (const handle of holding) {
        if (handle.job !== null) {
          if (!handle.job.gateOpen) {
            handle.job.gateOpen = true;
            handle.job.gate();
          }
        } else this.#release(handle, "release");
      }
      await this.#settle();
      this.#check();
    }
    this.#step = "the end: draining the channels";
    this.#channels.forEach((channel, ch) => {
      for (let i = 0; i < 10; i++) {
        const expected = this.#mChannels[ch].tryReceive();
        let actual: Desc | Throw;
        try {
          const result = channel.tryReceive();
          actual = result.ok
            ? { t: "try", ok: true, value: result.value }
            : { t: "try", ok: false, closed: result.closed };
          if (result.ok) this.#receive(ch, result.value);
        } catch (error) {
          actual = new Throw(this.#errorDesc(error));
        }
        this.#same(`tryReceive() on channel ${ch}`, expected, actual);
        if (actual instanceof Throw || !actual.ok) break;
      }
    });
    this.#same("oneshot.tryReceive()", this.#mOneshot.tryReceive(), this.#oneshotTry());
    this.#check();
    this.#step = "the end: every promise settled, nothing waits, every value accounted for";
    for (const handle of this.#handles) {
      if (handle.issued && handle.actual === undefined) this.#fail(`${handle.label} never settled`);
    }
    for (const jobs of this.#jobs) {
      for (const job of jobs) {
        if (job.state !== "ended" && job.state !== "cancelled") {
          this.#fail(`job ${job.id} is still ${job.state}`);
        }
        if (job.via === "futureSync" && job.actual === undefined) {
          this.#fail(`job ${job.id}'s futureSync never settled`);
        }
      }
    }
    const waits: [string, number][] = [
      ...this.#mutexes.map((m, i): [string, number] => [`mutex ${i} waiting`, m.waiting]),
      ...this.#mutexes.map((m, i): [string, number] => [`mutex ${i} locked`, m.locked ? 1 : 0]),
      ...this.#semaphores.map((s, i): [string, number] => [`semaphore ${i} waiting`, s.waiting]),
      ...this.#channels.map((c, i): [string, number] => [`channel ${i} senders`, c.waitingSenders]),
      ...this.#channels.map((
        c,
        i,
      ): [string, number] => [`channel ${i} receivers`, c.waitingReceivers]),
      ...this.#channels.map((c, i): [string, number] => [`channel ${i} size`, c.size]),
      ["event waiting", this.#event.waiting],
      ["oneshot waiting", this.#oneshot.waiting],
      ["state waiting", this.#state.waiting],
      ["timers pending", this.#timers.pending],
    ];
    for (const [what, count] of waits) if (count !== 0) this.#fail(`${what}: ${count} at the end`);
    for (const [value, sent] of this.#sent) {
      if (sent.how === "pending") this.#fail(`the send of ${value} never settled`);
      if (sent.how === "ok" && !this.#received.has(value)) {
        this.#fail(`${value} was sent on channel ${sent.ch} and never received`);
      }
      if (sent.how !== "ok" && this.#received.has(value)) {
        this.#fail(
          `${value} was received, but its send ${
            sent.how === "lost" ? "was a select case that lost" : "failed"
          }`,
        );
      }
    }
    this.#step = "the end: closing the Desyncs";
    await Promise.all(this.#desyncs.map((desync) => desync.close()));
  }
}
