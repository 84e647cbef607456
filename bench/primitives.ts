// Copyright 2026 the desync authors. MIT license.
// The primitives benchmark: desync's Mutex, Semaphore and Channel next to a
// hand-rolled minimal baseline, the await-only floor and the npm anchors, all
// in ONE process, case after case (the engine and method of bench/mixed.ts).
//
//   deno run bench/primitives.ts           # a readable table and the targets
//   deno run bench/primitives.ts --json    # for bench/report.ts (the table goes to stderr)
//   options: --smoke --rounds=11 --runs=40 --sample-ms=250 --min-sample-ms=50 --warmup=1
//            --slow-ms=1000 --slow-rounds=3 --gc, as in bench/mixed.ts; --only=<ids> with
//            ids mutex, mutex-2, mutex-100, semaphore, semaphore-16, channel-0, channel-1,
//            channel-64, abort-2500, abort-10k
//
// No permission is needed.
//
// Method: that of bench/mixed.ts (calibrated samples of consecutive runs,
// rounds with the case order rotated, a warm-up round, the median over the
// rounds, ratios taken round by round), plus one rule from the research that
// chose these scenarios: every (scenario, library) pair runs its own copy of
// the driver loop, compiled from the driver's source text (`copyOf`). With one
// shared driver, the loop's call sites (`lib.lock()`, `await`) see every
// library's promises and go megamorphic, which made every promise-based
// library 2–4× slower than alone; with a copy per pair each call site sees
// one library, as in an application that uses one of them. A library's own
// internals are shared by its cases, as they are in an application.
//
// Scenarios (ops per run: 10,000; waiters: 2,500 and 10,000):
// - mutex, uncontended: one task, `lock` then `unlock` N times; the critical
//   section is the suite's job (a counter increment), checked to have run N
//   times.
// - mutex, contended: T tasks (2, 100) share the N lock/unlock pairs, N/T
//   each: after the first, every lock is a hand-off to a queued waiter.
// - semaphore, 4 permits: one task (uncontended), or 16 tasks sharing N
//   acquire/release pairs.
// - channel SPSC, capacity 0 (rendezvous), 1 and 64: one producer awaits
//   `send(i)` N times, one consumer awaits `receive()` N times and checks
//   that item i arrives i-th.
// - abort, W waiters: W receivers wait on an empty channel (or a held lock),
//   each with its own AbortController; all are aborted newest-first (the
//   worst case for a queue that scans from its head), then every waiter's
//   promise is checked to have rejected. ns per waiter: create + wait +
//   abort + settle. 10,000 next to 2,500 shows whether the cost per waiter
//   grows with the number of waiters (an O(n) scan on abort would make the
//   whole quadratic: 4× the waiters, 4× the scan per waiter).
//
// Rows:
// - floor: the same driver with a primitive that never waits (every call
//   returns an already resolved promise): the loop and its awaits alone. In
//   the abort scenarios: an AbortController and a once-listener that rejects
//   a promise, per waiter: what any abortable wait must pay.
// - hand-rolled (the baseline, ratios to it are the targets): the least code
//   that does the job with direct FIFO hand-off, below in this file. A lock of
//   n permits with an array + head-index queue of resolvers; a bounded channel
//   with three such queues (buffer, waiting senders, waiting receivers); for
//   aborts, a doubly linked waiter list with O(1) unlink.
// - desync: Mutex, Semaphore, Channel from ../primitives.ts.
// - hand-rolled + guard (lock scenarios): the hand-rolled lock, resolving
//   each lock with a small guard object (release once, as desync's guards
//   do) instead of `undefined`. Not a baseline: it measures what returning a
//   guard costs by itself (the allocation, and the `then` lookup V8 makes on
//   every object a promise is resolved with).
// - async-mutex 0.5.0: Mutex, Semaphore (no channel; no per-waiter abort).
// - effect: Semaphore (`withPermits`) and Queue (`bounded`), each run one
//   `Effect.runPromise` of a program doing the whole run in fibers; in the
//   abort scenario one `Effect.runPromise(Queue.take(queue), { signal })` per
//   waiter. Fibers do not suspend on an uncontended permit, so T fibers
//   locking in turn never contend; the rows "with yieldNow" yield inside the
//   section so that they do (and pay for the yield).
// - ts-chan 0.6: `Chan` with `setUnsafe(true)` (by default every operation
//   yields to the macrotask queue); `Chan(1)` / `Chan(4)` as mutex / semaphore
//   (`send` = lock, `tryRecv` = unlock).
// - @std/async (JSR only) cannot be installed here: see NOTES.

import { Effect, Queue, Semaphore as EffectSemaphore } from "effect";
import { Mutex as AsyncMutex, Semaphore as AsyncSemaphore } from "async-mutex";
import { Chan } from "ts-chan";
import { Channel, Mutex, Semaphore } from "../primitives.ts";
import { type PrimitivesResults, primitivesText } from "./_render_primitives.ts";
import {
  type Case,
  measureRounds,
  parseOptions,
  progress,
  type Role,
  type Scenario,
} from "./_rounds.ts";
import { count, expectRan, state, work } from "./_shared.ts";

/** Said in the output: what was not run, and how to read some rows. */
const NOTES: string[] = [
  "hand-rolled + guard is not a baseline: it is the hand-rolled lock resolving every lock with a " +
  "small guard object, as desync's Mutex and Semaphore do (Channel.receive likewise resolves " +
  "with a { done, value } object). A promise resolved with an object costs an allocation and a " +
  "`then` lookup (V8 must check for a thenable), which the baseline, resolving with undefined, " +
  "does not pay.",
  "@std/async 1.5.0 is not run: it is published on JSR only, which cannot be reached from this " +
  "machine. Measured in the research, not rerun (a different script on the same kind of " +
  "machine): its unstable Semaphore(1) as a mutex 284 ns uncontended and 350–401 ns per " +
  "contended hand-off; Semaphore(4) 312 ns uncontended and 386 ns with 16 tasks; its Channel " +
  "171 ns per item at capacity 64 and 143 ns at capacity 0; an abort 27,936 ns per waiter at " +
  "10,000 waiters and 88,149 ns at 40,000 (its Deque removes an aborted waiter with a scan).",
  "async-mutex has no channel and no per-waiter cancellation (only cancel(), which rejects every " +
  "waiter): it has rows in the lock scenarios only.",
  "effect: each run is one Effect.runPromise of a program doing the whole run in fibers. Fibers " +
  "do not suspend on an uncontended permit, so its contended rows without a yield never contend; " +
  "the rows with Effect.yieldNow in the section do, and include the yield's own cost.",
  "ts-chan runs with setUnsafe(true): by default every operation yields to the macrotask queue " +
  "(2–3 µs each). As mutex and semaphore it is a Chan(1) / Chan(4): send = lock, " +
  "tryRecv = unlock.",
];

// ------------------------------------------------------------- the drivers
//
// Each driver is compiled anew for every (scenario, library) pair (`copyOf`),
// so it must not refer to anything outside its parameters.

/** What the lock driver needs of a mutex or a semaphore. */
interface LockAdapter<G> {
  /** Takes one permit (the lock); resolves with what `unlock` needs. */
  lock(): Promise<G>;
  unlock(guard: G): void;
}

/** What the channel driver needs of a channel. */
interface ChannelAdapter<R> {
  send(value: number): Promise<unknown>;
  receive(): Promise<R>;
  /** The item in what `receive` resolved with. */
  valueOf(received: R): number;
}

/** What the abort driver needs: a wait that `signal` can abort. */
interface WaitAdapter {
  wait(signal: AbortSignal): Promise<unknown>;
}

/** `tasks` tasks share `ops` lock/job/unlock sections, `ops / tasks` each. */
function lockDriver<G>(
  lib: LockAdapter<G>,
  job: () => void,
  ops: number,
  tasks: number,
  running: Promise<void>[],
): Promise<void[]> {
  const each = ops / tasks;
  async function task(): Promise<void> {
    for (let i = 0; i < each; i++) {
      const guard = await lib.lock();
      job();
      lib.unlock(guard);
    }
  }
  for (let t = 0; t < tasks; t++) running[t] = task();
  return Promise.all(running);
}

/**
 * One producer sends 0…items-1, one consumer receives them; resolves with
 * how many arrived in order.
 */
async function channelDriver<R>(lib: ChannelAdapter<R>, items: number): Promise<number> {
  async function produce(): Promise<void> {
    for (let i = 0; i < items; i++) await lib.send(i);
  }
  const producing = produce();
  let inOrder = 0;
  for (let i = 0; i < items; i++) {
    if (lib.valueOf(await lib.receive()) === i) inOrder++;
  }
  await producing;
  return inOrder;
}

/**
 * `waiters` waits, each with its own AbortController, aborted newest-first;
 * resolves with how many rejected. The arrays are preallocated by the case
 * and emptied before returning.
 */
async function abortDriver(
  lib: WaitAdapter,
  waiters: number,
  controllers: (AbortController | undefined)[],
  pending: (Promise<void> | undefined)[],
): Promise<number> {
  let rejected = 0;
  const onRejected = () => {
    rejected++;
  };
  for (let i = 0; i < waiters; i++) {
    const controller = new AbortController();
    controllers[i] = controller;
    pending[i] = lib.wait(controller.signal).then(undefined, onRejected);
  }
  for (let i = waiters - 1; i >= 0; i--) controllers[i]!.abort();
  for (let i = 0; i < waiters; i++) {
    await pending[i];
    pending[i] = controllers[i] = undefined;
  }
  return rejected;
}

/**
 * A fresh copy of a driver, compiled from its source text: its own inline
 * caches and type feedback, shared with no other (scenario, library) pair.
 */
function copyOf<A extends unknown[], R>(driver: (...args: A) => R): (...args: A) => R {
  return new Function(`return ${driver.toString()}`)();
}

function expectCount(what: string, expected: number, seen: number): void {
  if (seen !== expected) throw new Error(`${what}: expected ${expected}, saw ${seen}`);
}

// ------------------------------------------------------ hand-rolled baselines

/**
 * A FIFO queue on an array and a head index: `shift` is O(1) (no
 * `Array.prototype.shift`), and a queue that empties reuses its array.
 */
class ArrayQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  get size(): number {
    return this.#tail - this.#head;
  }

  push(item: T): void {
    this.#items[this.#tail++] = item;
  }

  /** The oldest item; the queue must not be empty. */
  shift(): T {
    const items = this.#items;
    const item = items[this.#head] as T;
    items[this.#head++] = undefined;
    if (this.#head === this.#tail) {
      this.#head = this.#tail = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#tail) {
      // Never empty (a channel's buffer in a steady stream): move the live part down.
      items.copyWithin(0, this.#head, this.#tail);
      items.fill(undefined, this.#tail - this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
    return item;
  }
}

/** The minimal lock of `permits` permits: a counter and a queue of resolvers, FIFO hand-off. */
class HandRolledLock {
  #free: number;
  #waiting = new ArrayQueue<() => void>();

  constructor(permits: number) {
    this.#free = permits;
  }

  lock(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the permit to the oldest waiter, if any: nobody can barge in between. */
  unlock(): void {
    if (this.#waiting.size > 0) this.#waiting.shift()();
    else this.#free++;
  }
}

/**
 * The hand-rolled lock resolving with a guard object, as desync's API does:
 * not a baseline, but what that shape costs (an allocation, and the `then`
 * lookup that resolving a promise with an object makes).
 */
class HandRolledGuardedLock {
  #free: number;
  #waiting = new ArrayQueue<(guard: HandRolledGuard) => void>();

  constructor(permits: number) {
    this.#free = permits;
  }

  lock(): Promise<HandRolledGuard> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(new HandRolledGuard(this));
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  unlock(): void {
    if (this.#waiting.size > 0) this.#waiting.shift()(new HandRolledGuard(this));
    else this.#free++;
  }
}

/** Releases its lock once; a second release does nothing. */
class HandRolledGuard {
  #lock: HandRolledGuardedLock | null;

  constructor(lock: HandRolledGuardedLock) {
    this.#lock = lock;
  }

  release(): void {
    const lock = this.#lock;
    if (lock === null) return;
    this.#lock = null;
    lock.unlock();
  }
}

/** The minimal bounded channel (capacity 0 = rendezvous), FIFO, direct hand-off. */
class HandRolledChannel<T> {
  readonly #capacity: number;
  #buffer = new ArrayQueue<T>();
  #senders = new ArrayQueue<{ value: T; resolve: () => void }>();
  #receivers = new ArrayQueue<(value: T) => void>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  send(value: T): Promise<void> {
    if (this.#receivers.size > 0) {
      this.#receivers.shift()(value);
      return Promise.resolve();
    }
    if (this.#buffer.size < this.#capacity) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#senders.push({ value, resolve }));
  }

  receive(): Promise<T> {
    if (this.#buffer.size > 0) {
      const value = this.#buffer.shift();
      if (this.#senders.size > 0) {
        // The buffer has room again: the oldest waiting sender's value moves in.
        const sender = this.#senders.shift();
        this.#buffer.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    if (this.#senders.size > 0) {
      const sender = this.#senders.shift();
      sender.resolve();
      return Promise.resolve(sender.value);
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
  }
}

interface WaitNode {
  prev: WaitNode | null;
  next: WaitNode | null;
}

/** The minimal abortable wait queue: a doubly linked list, O(1) unlink, a listener per waiter. */
class HandRolledWaitList {
  #head: WaitNode | null = null;
  #tail: WaitNode | null = null;

  wait(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      const node: WaitNode = { prev: this.#tail, next: null };
      if (this.#tail === null) this.#head = node;
      else this.#tail.next = node;
      this.#tail = node;
      signal.addEventListener("abort", () => {
        this.#unlink(node);
        reject(signal.reason);
      }, { once: true });
    });
  }

  #unlink(node: WaitNode): void {
    if (node.prev === null) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.#tail = node.prev;
    else node.next.prev = node.prev;
  }
}

// ---------------------------------------------------------------- scenarios

const RESOLVED: Promise<void> = Promise.resolve();

/** What a case is: its role, its library, its name ("<library> · <API used>"). */
type Row = [role: Role, library: string, name: string];

function rowCase([role, library, name]: Row, run: () => Promise<void>): Case {
  return { name, library, role, run };
}

/** The floor's lock: never waits. */
const NO_LOCK: LockAdapter<void> = { lock: () => RESOLVED, unlock() {} };

/** A case of a lock scenario, run by its own copy of the driver. */
function lockCase<G>(
  title: string,
  ops: number,
  tasks: number,
  row: Row,
  lib: LockAdapter<G>,
): Case {
  const drive = copyOf(lockDriver<G>);
  const running = new Array<Promise<void>>(tasks).fill(RESOLVED);
  return rowCase(row, async () => {
    const before = state.count;
    await drive(lib, work, ops, tasks, running);
    expectRan(before, ops, title);
  });
}

/** Effect's semaphore: one program per run, `tasks` fibers of `ops / tasks` sections each. */
function effectLockCase(
  title: string,
  ops: number,
  tasks: number,
  permits: number,
  yieldInSection: boolean,
): Case {
  const semaphore = EffectSemaphore.makeUnsafe(permits);
  const job = Effect.sync(work);
  const section = semaphore.withPermits(1)(
    yieldInSection ? Effect.andThen(Effect.yieldNow, job) : job,
  );
  const each = ops / tasks;
  const task = Effect.gen(function* () {
    for (let i = 0; i < each; i++) yield* section;
  });
  const program = tasks === 1 ? task : Effect.all(Array.from({ length: tasks }, () => task), {
    concurrency: "unbounded",
    discard: true,
  });
  const inSection = yieldInSection ? "yieldNow, then job" : "job";
  const fibers = tasks === 1 ? "one fiber" : `${tasks} fibers`;
  const name =
    `effect · Semaphore.makeUnsafe(${permits}) · withPermits(1)(${inSection}), ${fibers}`;
  return rowCase(["comparator", "effect", name], async () => {
    const before = state.count;
    await Effect.runPromise(program);
    expectRan(before, ops, title);
  });
}

/**
 * A lock scenario: `tasks` tasks (1 = uncontended) share `ops` sections
 * under a lock of `permits` permits: the mutexes for 1, the semaphores above.
 */
function lockScenario(id: string, ops: number, tasks: number, permits: number): Scenario {
  const who = tasks === 1 ? "one task" : `${tasks} tasks`;
  const title = permits === 1
    ? `mutex, ${who} (${count(ops)} lock+unlock)`
    : `semaphore, ${permits} permits, ${who} (${count(ops)} acquire+release)`;
  const hand = new HandRolledLock(permits);
  const guarded = new HandRolledGuardedLock(permits);
  const mutex = new Mutex(state);
  const semaphore = new Semaphore(permits);
  const asyncMutex = new AsyncMutex();
  const asyncSemaphore = new AsyncSemaphore(permits);
  const chan = new Chan<undefined>(permits).setUnsafe(true);
  const at = <G>(row: Row, lib: LockAdapter<G>) => lockCase(title, ops, tasks, row, lib);
  const ours = permits === 1
    ? at(["desync", "desync", "desync: Mutex · await lock(), guard.release()"], {
      lock: () => mutex.lock(),
      unlock: (guard) => guard.release(),
    })
    : at(["desync", "desync", "desync: Semaphore · await acquire(1), permit.release()"], {
      lock: () => semaphore.acquire(1),
      unlock: (permit) => permit.release(),
    });
  const anchor = permits === 1
    ? at(["comparator", "async-mutex", "async-mutex · Mutex · await acquire(), release()"], {
      lock: () => asyncMutex.acquire(),
      unlock: (release) => release(),
    })
    : at(["comparator", "async-mutex", "async-mutex · Semaphore · await acquire(), release()"], {
      lock: () => asyncSemaphore.acquire(),
      unlock: ([, release]) => release(),
    });
  return {
    id,
    title,
    jobs: ops,
    cases: [
      at(["floor", "floor", "floor · await a resolved promise, no lock"], NO_LOCK),
      at(["baseline", "hand-rolled", "hand-rolled · counter + FIFO hand-off, array queue"], {
        lock: () => hand.lock(),
        unlock: () => hand.unlock(),
      }),
      ours,
      at([
        "comparator",
        "hand-rolled + guard",
        "hand-rolled + guard · the same, resolving with a guard",
      ], {
        lock: () => guarded.lock(),
        unlock: (guard) => guard.release(),
      }),
      anchor,
      effectLockCase(title, ops, tasks, permits, false),
      ...(tasks === 1 ? [] : [effectLockCase(title, ops, tasks, permits, true)]),
      at([
        "comparator",
        "ts-chan",
        `ts-chan · Chan(${permits}) as a lock · await send(), tryRecv()`,
      ], {
        lock: () => chan.send(undefined),
        unlock: () => chan.tryRecv(),
      }),
    ],
  };
}

/** A case of a channel scenario, run by its own copy of the driver. */
function channelCase<R>(
  title: string,
  items: number,
  row: Row,
  lib: ChannelAdapter<R>,
): Case {
  const drive = copyOf(channelDriver<R>);
  return rowCase(row, async () => {
    expectCount(`${title}: items received in order`, items, await drive(lib, items));
  });
}

/** Effect's bounded queue: one program per run, a producer and a consumer fiber. */
function effectChannelCase(title: string, items: number, capacity: number): Case {
  const program = Effect.gen(function* () {
    const queue = yield* Queue.bounded<number>(capacity);
    const produce = Effect.gen(function* () {
      for (let i = 0; i < items; i++) yield* Queue.offer(queue, i);
    });
    const consume = Effect.gen(function* () {
      let inOrder = 0;
      for (let i = 0; i < items; i++) if ((yield* Queue.take(queue)) === i) inOrder++;
      return inOrder;
    });
    const [, inOrder] = yield* Effect.all([produce, consume], { concurrency: 2 });
    return inOrder;
  });
  const name = `effect · Queue.bounded(${capacity}) · offer, take; producer and consumer fibers`;
  return rowCase(["comparator", "effect", name], async () => {
    expectCount(`${title}: items received in order`, items, await Effect.runPromise(program));
  });
}

/** One producer, one consumer, a channel of `capacity`. */
function channelScenario(id: string, items: number, capacity: number): Scenario {
  const title = `channel SPSC, capacity ${capacity} (${count(items)} items)`;
  const at = <R>(row: Row, lib: ChannelAdapter<R>) => channelCase(title, items, row, lib);
  let next = 0;
  const hand = new HandRolledChannel<number>(capacity);
  const ours = new Channel<number>(capacity);
  const chan = new Chan<number>(capacity).setUnsafe(true);
  return {
    id,
    title,
    jobs: items,
    cases: [
      at(["floor", "floor", "floor · await a resolved promise per send and per receive"], {
        send: () => RESOLVED,
        receive() {
          const value = next;
          next = value + 1 === items ? 0 : value + 1;
          return Promise.resolve(value);
        },
        valueOf: (value) => value,
      }),
      at(["baseline", "hand-rolled", "hand-rolled · bounded channel, array queues"], {
        send: (value) => hand.send(value),
        receive: () => hand.receive(),
        valueOf: (value) => value,
      }),
      at(["desync", "desync", "desync: Channel · await send(i), await receive()"], {
        send: (value) => ours.send(value),
        receive: () => ours.receive(),
        valueOf: (result) => result.value as number,
      }),
      // Effect's bounded queue needs room for one item at least.
      ...(capacity === 0 ? [] : [effectChannelCase(title, items, capacity)]),
      at(["comparator", "ts-chan", `ts-chan · Chan(${capacity}) · await send(i), await recv()`], {
        send: (value) => chan.send(value),
        receive: () => chan.recv(),
        valueOf: (result) => result.value as number,
      }),
    ],
  };
}

/** A case of an abort scenario, run by its own copy of the driver. */
function abortCase(
  title: string,
  waiters: number,
  row: Row,
  lib: WaitAdapter,
): Case {
  const drive = copyOf(abortDriver);
  const controllers = new Array<AbortController | undefined>(waiters).fill(undefined);
  const pending = new Array<Promise<void> | undefined>(waiters).fill(undefined);
  return rowCase(row, async () => {
    expectCount(
      `${title}: waiters rejected`,
      waiters,
      await drive(lib, waiters, controllers, pending),
    );
  });
}

/** `waiters` waits, each aborted by its own controller, newest first. */
function abortScenario(id: string, waiters: number): Scenario {
  const title = `abort, ${count(waiters)} waiters (ns per waiter)`;
  const at = (row: Row, lib: WaitAdapter) => abortCase(title, waiters, row, lib);
  const hand = new HandRolledWaitList();
  const channel = new Channel<number>(0);
  const mutex = new Mutex(state);
  mutex.tryLock(); // held for good: every lock() waits
  const semaphore = new Semaphore(0);
  const queue = Effect.runSync(Queue.bounded<number>(1));
  const chan = new Chan<number>(0).setUnsafe(true);
  return {
    id,
    title,
    jobs: waiters,
    cases: [
      at(["floor", "floor", "floor · AbortController + a once-listener rejecting a promise"], {
        wait: (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
      }),
      at(["baseline", "hand-rolled", "hand-rolled · linked waiter list, O(1) unlink"], hand),
      at(["desync", "desync", "desync: Channel · receive({ signal }) on an empty channel"], {
        wait: (signal) => channel.receive({ signal }),
      }),
      at(["desync", "desync", "desync: Mutex · lock({ signal }) on a held mutex"], {
        wait: (signal) => mutex.lock({ signal }),
      }),
      at(["desync", "desync", "desync: Semaphore · acquire(1, { signal }), no permit"], {
        wait: (signal) => semaphore.acquire(1, { signal }),
      }),
      at(["comparator", "effect", "effect · runPromise(Queue.take(empty queue), { signal })"], {
        wait: (signal) => Effect.runPromise(Queue.take(queue), { signal }),
      }),
      at(["comparator", "ts-chan", "ts-chan · Chan(0) · recv(signal)"], {
        wait: (signal) => chan.recv(signal),
      }),
    ],
  };
}

/** Every scenario, at full or smoke sizes. */
function scenarios(smoke: boolean): Scenario[] {
  const ops = smoke ? 400 : 10_000; // a multiple of every task count
  const [fewer, more] = smoke ? [100, 400] : [2_500, 10_000];
  return [
    lockScenario("mutex", ops, 1, 1),
    lockScenario("mutex-2", ops, 2, 1),
    lockScenario("mutex-100", ops, 100, 1),
    lockScenario("semaphore", ops, 1, 4),
    lockScenario("semaphore-16", ops, 16, 4),
    channelScenario("channel-0", ops, 0),
    channelScenario("channel-1", ops, 1),
    channelScenario("channel-64", ops, 64),
    abortScenario("abort-2500", fewer),
    abortScenario("abort-10k", more),
  ];
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  const measured = await measureRounds("primitives", scenarios(options.smoke), options);
  const results: PrimitivesResults = { ...measured, notes: NOTES };
  if (options.json) {
    progress(`${primitivesText(results)}\n`); // the readable tables for whoever watches
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(primitivesText(results));
  }
}
