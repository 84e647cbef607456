// Copyright 2026 the desync authors. MIT license.
// The reference model of the primitives (primitives_model_test.ts): a plain,
// obviously-correct re-implementation of their documented semantics with
// arrays, run in lockstep with the library. Every call the program makes on
// a primitive is made on the model in the same synchronous block, so the
// model predicts, for every operation, what it completes with (which waiter
// a release hands the lock to, which value a receive gets, which case of a
// select wins) and what every counter reads.
//
// The semantics it encodes (issue 13; the primitives' JSDoc):
// - one FIFO wait queue per primitive, shared by plain waiters and select
//   cases; direct hand-off: whatever becomes available is granted to the
//   oldest waiter that can take it, synchronously;
// - Mutex: a release hands the lock to the oldest waiter, else unlocks; a
//   guard releases once;
// - Semaphore "fifo": served strictly from the head (a head that does not fit
//   blocks the rest; its leaving lets the rest be served); "first-fit": every
//   waiter that fits, oldest first; a newcomer waits on "fifo" whenever anyone
//   waits; acquire(0) is granted at once;
// - ManualResetEvent: set() grants every waiter, reset() only clears the flag;
// - Channel: a send hands its value to the oldest waiting receiver, else
//   buffers it, else waits; a receive takes from the buffer and moves the
//   oldest waiting sender's value into the room it made (capacity 0: takes
//   the value straight from that sender); close() fails the waiting sends
//   with their value and ends (no reason) or fails (with the reason) the
//   waiting receives; buffered values are still received after close;
// - Oneshot: one value, taken by one receiver; the other waiting receivers end;
// - StateBroadcast: a send bumps the version and grants every receive that
//   saw an older one, oldest first, with the latest value; close ends them;
// - timers: fire in (deadline, creation) order; a timeout signal aborts when
//   its timer fires;
// - select: polls its cases in key order and completes the first that can
//   complete; otherwise every case waits in its primitive's queue, and the
//   first granted wins: the others leave their queues having taken nothing;
// - an abort fails a waiter that has not been granted (an aborted signal
//   fails the operation at once, taking nothing); after the grant it changes
//   nothing. A signal's aborts are dispatched to its waiters in the order
//   they started waiting; a mutex or semaphore never grants a waiter whose
//   signal (its own, or its select's) has aborted, even while that abort is
//   still being dispatched (an earlier waiter's removal may serve the queue).

/** The aborted signal that forbids granting `w`, if any. */
function abortedSignal(w: MWaiter): MSig | null {
  if (w.sig?.aborted) return w.sig;
  if (w.group?.sig?.aborted) return w.group.sig;
  return null;
}

/** A normalized outcome value or reason: plain data, compared with JSON. */
export type Desc = { t: string; [key: string]: unknown };

/** What a granted operation holds (and must give back). */
export type Hold =
  | { kind: "guard"; m: number }
  | { kind: "permit"; s: number; count: number };

/** Where the model delivers an operation's outcome. */
export interface Sink {
  ok(value: Desc, hold?: Hold): void;
  err(reason: Desc): void;
}

export const VOID: Desc = { t: "void" };
export const DONE: Desc = { t: "recv", done: true, value: undefined };

export function recvDesc(value: number): Desc {
  return { t: "recv", done: false, value };
}

/** poll() results: not ready, or a thrown reason. */
export const NOT = Symbol("not ready");
export class Throw {
  readonly reason: Desc;
  constructor(reason: Desc) {
    this.reason = reason;
  }
}
type Poll = Desc | typeof NOT | Throw;

// ------------------------------------------------------------------ waiters

export class MQueue {
  readonly items: MWaiter[] = [];
  onRemoved: (() => void) | null = null;
}

export class MWaiter {
  queue: MQueue | null = null;
  sub: MSig | null = null;
  group: MGroup | null = null;
  key = "";
  req: unknown;
  readonly sink: Sink | null;
  /** A plain waiter's own signal (a select's cases have none: their group has it). */
  readonly sig: MSig | null;
  constructor(req: unknown, sink: Sink | null, sig: MSig | null) {
    this.req = req;
    this.sink = sink;
    this.sig = sig;
  }
}

export class MGroup {
  readonly members: MWaiter[] = [];
  decided = false;
  sub: MSig | null = null;
  readonly sink: Sink;
  readonly sig: MSig | null;
  constructor(sink: Sink, sig: MSig | null) {
    this.sink = sink;
    this.sig = sig;
  }
}

export class MSig {
  aborted = false;
  /** Waiters and selects subscribed, in the order they started waiting. */
  subs: (MWaiter | MGroup)[] = [];
  readonly reason: Desc;
  constructor(reason: Desc) {
    this.reason = reason;
  }
}

function push(queue: MQueue, waiter: MWaiter): void {
  queue.items.push(waiter);
  waiter.queue = queue;
}

function subscribe(sig: MSig, x: MWaiter | MGroup): void {
  sig.subs.push(x);
  x.sub = sig;
}

function unsubscribe(x: MWaiter | MGroup): void {
  const sig = x.sub;
  if (sig === null) return;
  x.sub = null;
  const i = sig.subs.indexOf(x);
  if (i >= 0) sig.subs.splice(i, 1);
}

function detach(w: MWaiter): void {
  const queue = w.queue;
  if (queue !== null) {
    queue.items.splice(queue.items.indexOf(w), 1);
    w.queue = null;
  }
  unsubscribe(w);
}

/** The commit point: unlinks `w`, and decides its select if it is a case. */
export function grant(w: MWaiter, value: Desc, hold?: Hold): void {
  detach(w);
  if (w.group !== null) decide(w.group, w, value, hold);
  else w.sink!.ok(value, hold);
}

export function fail(w: MWaiter, reason: Desc): void {
  detach(w);
  if (w.group !== null) failGroup(w.group, reason);
  else w.sink!.err(reason);
}

/**
 * A select is over: every other case leaves its queue having taken nothing.
 * All of them leave before any queue is told (a fifo semaphore serves when a
 * waiter leaves, and must not serve another case of this select).
 */
function finish(group: MGroup, winner: MWaiter | null): void {
  group.decided = true;
  const left: MQueue[] = [];
  for (const member of group.members) {
    if (member === winner || member.queue === null) continue;
    left.push(member.queue);
    detach(member);
  }
  unsubscribe(group);
  for (const queue of left) queue.onRemoved?.();
}

function decide(group: MGroup, winner: MWaiter, value: Desc, hold?: Hold): void {
  if (group.decided) throw new Error("model: a decided select was granted again");
  finish(group, winner);
  group.sink.ok({ t: "select", key: winner.key, value }, hold);
}

function failGroup(group: MGroup, reason: Desc): void {
  if (group.decided) return;
  finish(group, null);
  group.sink.err(reason);
}

/** Phase 2 of an abort (after the Desync jobs under it): its waiters, in order. */
export function dispatchAbort(sig: MSig): void {
  const subs = sig.subs;
  sig.subs = [];
  for (const x of subs) {
    x.sub = null;
    if (x instanceof MGroup) {
      if (!x.decided) failGroup(x, sig.reason);
    } else if (x.queue !== null) {
      const queue = x.queue;
      fail(x, sig.reason);
      queue.onRemoved?.();
    }
  }
}

/** A waiting operation: queued, and subscribed to its signal. */
function wait(queue: MQueue, req: unknown, sink: Sink, sig: MSig | null): MWaiter {
  const w = new MWaiter(req, sink, sig);
  push(queue, w);
  if (sig !== null) subscribe(sig, w);
  return w;
}

/** A select's case, as each primitive offers it. */
export interface MCase {
  poll(): Poll;
  enlist(w: MWaiter): void;
  /** What the case holds when it completes (a guard, permits). */
  hold?: Hold;
}

export function select(keys: string[], cases: MCase[], sink: Sink, sig: MSig | null): void {
  if (sig?.aborted) return sink.err(sig.reason);
  for (let i = 0; i < cases.length; i++) {
    const result = cases[i].poll();
    if (result instanceof Throw) return sink.err(result.reason);
    if (result !== NOT) {
      return sink.ok({ t: "select", key: keys[i], value: result }, cases[i].hold);
    }
  }
  const group = new MGroup(sink, sig);
  for (let i = 0; i < cases.length; i++) {
    const w = new MWaiter(undefined, null, null);
    w.group = group;
    w.key = keys[i];
    group.members.push(w);
    cases[i].enlist(w);
  }
  if (sig !== null) subscribe(sig, group);
}

// ------------------------------------------------------------------ primitives

export class MMutex {
  locked = false;
  /** What the last holder wrote into the guard before releasing it. */
  value: string;
  readonly queue = new MQueue();
  readonly index: number;
  constructor(index: number) {
    this.index = index;
    this.value = `m${index}:initial`;
  }

  #guard(): Desc {
    return { t: "guard", value: this.value, released: false };
  }

  #hold(): Hold {
    return { kind: "guard", m: this.index };
  }

  lock(sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    if (!this.locked) {
      this.locked = true;
      return sink.ok(this.#guard(), this.#hold());
    }
    wait(this.queue, undefined, sink, sig);
  }

  tryLock(): Desc | undefined {
    if (this.locked) return undefined;
    this.locked = true;
    return this.#guard();
  }

  unlock(): void {
    for (let next = this.queue.items[0]; next !== undefined; next = this.queue.items[0]) {
      const aborted = abortedSignal(next);
      if (aborted !== null) {
        fail(next, aborted.reason);
        continue;
      }
      grant(next, this.#guard(), this.#hold());
      return;
    }
    this.locked = false;
  }

  lockCase(): MCase {
    return {
      poll: () => this.tryLock() ?? NOT,
      enlist: (w) => push(this.queue, w),
      hold: this.#hold(),
    };
  }
}

export class MSemaphore {
  readonly queue = new MQueue();
  #serving = false;
  #again = false;
  readonly index: number;
  available: number;
  readonly fifo: boolean;
  constructor(index: number, available: number, fifo: boolean) {
    this.index = index;
    this.available = available;
    this.fifo = fifo;
    if (fifo) this.queue.onRemoved = () => this.serve();
  }

  #permit(count: number): Desc {
    return { t: "permit", count, released: false };
  }

  #hold(count: number): Hold {
    return { kind: "permit", s: this.index, count };
  }

  take(n: number): boolean {
    if (n === 0) return true;
    if (n > this.available || (this.fifo && this.queue.items.length > 0)) return false;
    this.available -= n;
    return true;
  }

  acquire(n: number, sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    if (this.take(n)) return sink.ok(this.#permit(n), this.#hold(n));
    wait(this.queue, n, sink, sig);
  }

  release(n: number): void {
    this.available += n;
    this.serve();
  }

  serve(): void {
    if (this.#serving) {
      this.#again = true;
      return;
    }
    this.#serving = true;
    try {
      do {
        this.#again = false;
        for (;;) {
          const head = this.queue.items[0];
          const next = this.fifo
            ? (head !== undefined && this.#fits(head) ? head : undefined)
            : this.queue.items.find((w) => this.#fits(w));
          if (next === undefined) break;
          this.#grant(next);
        }
      } while (this.#again);
    } finally {
      this.#serving = false;
    }
  }

  #fits(w: MWaiter): boolean {
    return (w.req as number) <= this.available;
  }

  #grant(w: MWaiter): void {
    const aborted = abortedSignal(w);
    if (aborted !== null) return fail(w, aborted.reason);
    const n = w.req as number;
    this.available -= n;
    grant(w, this.#permit(n), this.#hold(n));
  }

  acquireCase(n: number): MCase {
    return {
      poll: () => (this.take(n) ? this.#permit(n) : NOT),
      enlist: (w) => {
        w.req = n;
        push(this.queue, w);
      },
      hold: this.#hold(n),
    };
  }
}

export class MEvent {
  readonly queue = new MQueue();
  isSet: boolean;
  constructor(isSet: boolean) {
    this.isSet = isSet;
  }

  set(): void {
    if (this.isSet) return;
    this.isSet = true;
    for (let w = this.queue.items[0]; w !== undefined; w = this.queue.items[0]) grant(w, VOID);
  }

  reset(): void {
    this.isSet = false;
  }

  wait(sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    if (this.isSet) return sink.ok(VOID);
    wait(this.queue, undefined, sink, sig);
  }

  waitCase(): MCase {
    return {
      poll: () => (this.isSet ? VOID : NOT),
      enlist: (w) => push(this.queue, w),
    };
  }
}

export class MChannel {
  readonly buffer: number[] = [];
  readonly senders = new MQueue();
  readonly receivers = new MQueue();
  closed = false;
  reason: Desc | null = null;
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  closedError(value: number): Desc {
    return { t: "closed", value, cause: this.reason };
  }

  offer(value: number): boolean {
    const receiver = this.receivers.items[0];
    if (receiver !== undefined) {
      grant(receiver, recvDesc(value));
      return true;
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      return true;
    }
    return false;
  }

  take(): number | typeof NOT {
    const sender = this.senders.items[0];
    if (this.buffer.length > 0) {
      const value = this.buffer.shift()!;
      if (sender !== undefined) {
        this.buffer.push(sender.req as number);
        grant(sender, VOID);
      }
      return value;
    }
    if (sender === undefined) return NOT;
    grant(sender, VOID);
    return sender.req as number;
  }

  poll(): Poll {
    const value = this.take();
    if (value !== NOT) return recvDesc(value);
    if (!this.closed) return NOT;
    if (this.reason !== null) return new Throw(this.reason);
    return DONE;
  }

  send(value: number, sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    if (this.closed) return sink.err(this.closedError(value));
    if (this.offer(value)) return sink.ok(VOID);
    wait(this.senders, value, sink, sig);
  }

  /** Returns the waiter when the receive waits. */
  receive(sink: Sink, sig: MSig | null): MWaiter | undefined {
    if (sig?.aborted) return void sink.err(sig.reason);
    const result = this.poll();
    if (result instanceof Throw) return void sink.err(result.reason);
    if (result !== NOT) return void sink.ok(result);
    return wait(this.receivers, undefined, sink, sig);
  }

  /** trySend: true/false, or a thrown reason. */
  trySend(value: number): boolean | Throw {
    if (this.closed) return new Throw(this.closedError(value));
    return this.offer(value);
  }

  tryReceive(): Desc | Throw {
    const value = this.take();
    if (value !== NOT) return { t: "try", ok: true, value };
    if (!this.closed) return { t: "try", ok: false, closed: false };
    if (this.reason !== null) return new Throw(this.reason);
    return { t: "try", ok: false, closed: true };
  }

  close(reason: Desc | null): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.reason = reason;
    for (let s = this.senders.items[0]; s !== undefined; s = this.senders.items[0]) {
      fail(s, this.closedError(s.req as number));
    }
    for (let r = this.receivers.items[0]; r !== undefined; r = this.receivers.items[0]) {
      if (reason === null) grant(r, DONE);
      else fail(r, reason);
    }
    return true;
  }

  receiveCase(): MCase {
    return { poll: () => this.poll(), enlist: (w) => push(this.receivers, w) };
  }

  sendCase(value: number): MCase {
    return {
      poll: () => {
        if (this.closed) return new Throw(this.closedError(value));
        return this.offer(value) ? VOID : NOT;
      },
      enlist: (w) => {
        w.req = value;
        push(this.senders, w);
      },
    };
  }
}

export class MOneshot {
  state: "empty" | "full" | "taken" = "empty";
  value = 0;
  closed = false;
  reason: Desc | null = null;
  readonly queue = new MQueue();

  #failed(): boolean {
    return this.closed && this.state === "empty" && this.reason !== null;
  }

  #take(): Desc | typeof NOT {
    if (this.state === "full") {
      this.state = "taken";
      return recvDesc(this.value);
    }
    return this.state === "taken" || this.closed ? DONE : NOT;
  }

  send(value: number): Throw | undefined {
    if (this.closed) return new Throw({ t: "closed", value, cause: this.reason });
    if (this.state !== "empty") return new Throw({ t: "closed", value, cause: null });
    const first = this.queue.items[0];
    if (first === undefined) {
      this.state = "full";
      this.value = value;
      return undefined;
    }
    this.state = "taken";
    grant(first, recvDesc(value));
    for (let w = this.queue.items[0]; w !== undefined; w = this.queue.items[0]) grant(w, DONE);
    return undefined;
  }

  receive(sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    if (this.#failed()) return sink.err(this.reason!);
    const now = this.#take();
    if (now !== NOT) return sink.ok(now);
    wait(this.queue, undefined, sink, sig);
  }

  tryReceive(): Desc {
    const now = this.#take();
    if (now === NOT) return { t: "try", ok: false, closed: false };
    return now.done
      ? { t: "try", ok: false, closed: true }
      : { t: "try", ok: true, value: now.value };
  }

  close(reason: Desc | null): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.reason = reason;
    for (let w = this.queue.items[0]; w !== undefined; w = this.queue.items[0]) {
      if (reason === null) grant(w, DONE);
      else fail(w, reason);
    }
    return true;
  }

  receiveCase(): MCase {
    return {
      poll: () => (this.#failed() ? new Throw(this.reason!) : this.#take()),
      enlist: (w) => push(this.queue, w),
    };
  }
}

export class MState {
  version = 0;
  value = 0;
  closed = false;
  reason: Desc | null = null;
  readonly queue = new MQueue();

  #update(): Desc {
    return { t: "state", done: false, version: this.version, value: this.value };
  }

  send(value: number): Throw | number {
    if (this.closed) return new Throw({ t: "closed", value, cause: this.reason });
    this.version++;
    this.value = value;
    for (;;) {
      const w = this.queue.items.find((w) => (w.req as number) < this.version);
      if (w === undefined) return this.version;
      grant(w, this.#update());
    }
  }

  poll(since: number): Poll {
    if (this.version > since) return this.#update();
    if (!this.closed) return NOT;
    if (this.reason !== null) return new Throw(this.reason);
    return { t: "state", done: true, version: this.version, value: undefined };
  }

  receive(since: number, sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    const now = this.poll(since);
    if (now instanceof Throw) return sink.err(now.reason);
    if (now !== NOT) return sink.ok(now);
    wait(this.queue, since, sink, sig);
  }

  close(reason: Desc | null): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.reason = reason;
    for (let w = this.queue.items[0]; w !== undefined; w = this.queue.items[0]) {
      if (reason === null) {
        grant(w, { t: "state", done: true, version: this.version, value: undefined });
      } else fail(w, reason);
    }
    return true;
  }

  receiveCase(since: number): MCase {
    return {
      poll: () => this.poll(since),
      enlist: (w) => {
        w.req = since;
        push(this.queue, w);
      },
    };
  }
}

interface TimerReq {
  deadline: number;
  seq: number;
}

export class MTimers {
  now = 0;
  #seq = 0;
  readonly queue = new MQueue();

  #insert(w: MWaiter, deadline: number): void {
    w.req = { deadline, seq: this.#seq++ } satisfies TimerReq;
    push(this.queue, w);
  }

  delay(ms: number, sink: Sink, sig: MSig | null): void {
    if (sig?.aborted) return sink.err(sig.reason);
    const deadline = this.now + ms;
    if (deadline <= this.now) return sink.ok(VOID);
    const w = new MWaiter(undefined, sink, sig);
    this.#insert(w, deadline);
    if (sig !== null) subscribe(sig, w);
  }

  delayCase(ms: number): MCase {
    let deadline = 0;
    return {
      poll: () => {
        deadline = this.now + ms;
        return deadline <= this.now ? VOID : NOT;
      },
      enlist: (w) => this.#insert(w, deadline),
    };
  }

  /** A timeout signal's timer: firing it calls `abort`. */
  timeout(ms: number, abort: () => void): void {
    this.#insert(new MWaiter(undefined, { ok: abort, err: () => {} }, null), this.now + ms);
  }

  earliest(): number {
    let earliest = Infinity;
    for (const w of this.queue.items) earliest = Math.min(earliest, (w.req as TimerReq).deadline);
    return earliest;
  }

  /** Fires every timer due at `now`, in (deadline, creation) order. */
  fireDue(): void {
    for (;;) {
      let due: MWaiter | undefined;
      for (const w of this.queue.items) {
        const r = w.req as TimerReq;
        if (r.deadline > this.now) continue;
        const d = due?.req as TimerReq | undefined;
        if (
          d === undefined || r.deadline < d.deadline || (r.deadline === d.deadline && r.seq < d.seq)
        ) {
          due = w;
        }
      }
      if (due === undefined) return;
      grant(due, VOID);
    }
  }
}
