// Copyright 2026 the desync authors. MIT license.
// The types that make worker objects checked end to end: method names are the
// keys of an instance whose values are methods, arguments and results must be
// structured-cloneable as far as the type system can tell.

import type { Desync } from "../desync/desync.ts";
import type { WorkerDesync } from "./object.ts";

/**
 * A class that {@linkcode serve} can host: any constructor of objects.
 *
 * @example A hosted class
 * ```ts
 * import type { HostedClass } from "@desync/desync/worker";
 *
 * class Counter {
 *   n: number;
 *   constructor(n: number) {
 *     this.n = n;
 *   }
 * }
 * const hosted: HostedClass = Counter;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type HostedClass = abstract new (...args: any) => object;

/**
 * What {@linkcode serve} returns in a worker entry: the hosted classes by
 * name. Its type is what a {@linkcode WorkerPool} is typed with
 * (`new WorkerPool<typeof api>(...)`); at run time the main side never sees it.
 *
 * @typeParam C The hosted classes by name.
 *
 * @example Typing a pool with a worker entry's API
 * ```ts
 * import { WorkerPool } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPool<Api>(
 *   new URL("../tests/fixtures/counter.worker.ts", import.meta.url),
 * );
 * assert.equal(await pool.create("Counter", 2).futureSync("get"), 2);
 * ```
 */
export interface WorkerApi<C extends Record<string, HostedClass>> {
  /**
   * The hosted classes.
   *
   * @example Listing them (in the worker entry)
   * ```ts ignore
   * export const api = serve({ Counter });
   * console.log(Object.keys(api.classes)); // ["Counter"]
   * ```
   */
  readonly classes: C;
}

/**
 * `true` when a value of type `X` certainly holds something structured clone
 * rejects (a function, symbol, promise, WeakMap) or mangles (an object with
 * methods loses them), looking a few levels deep; `false` otherwise (`any` is
 * not checked). {@linkcode Method} uses it.
 *
 * @typeParam X The type to check.
 * @typeParam D The depth reached (internal; leave it out).
 *
 * @example Checking types
 * ```ts
 * import type { Uncloneable } from "@desync/desync/worker";
 *
 * const plain: Uncloneable<{ a: number[]; when: Date }> = false;
 * const callback: Uncloneable<{ onDone: () => void }> = true;
 * ```
 */
export type Uncloneable<X, D extends unknown[] = []> = 0 extends (1 & X) ? false // any: unchecked
  : D["length"] extends 4 ? false
  : X extends (
    | ((...args: never[]) => unknown)
    | symbol
    | PromiseLike<unknown>
    | WeakMap<object, unknown>
    | WeakSet<object>
  ) ? true
  : X extends (
    Date | RegExp | Map<unknown, unknown> | Set<unknown> | ArrayBuffer | ArrayBufferView | Error
  ) ? false
  : X extends readonly unknown[] ? Uncloneable<X[number], [...D, 0]>
  : X extends object
    ? true extends { [K in keyof X]-?: Uncloneable<X[K], [...D, 0]> }[keyof X] ? true
    : false
  : false;

/**
 * The names of `T`'s methods whose arguments and result can cross a thread:
 * no functions, symbols, promises (other than the returned one) or objects
 * with methods (class instances lose their prototype when cloned), checked a
 * few levels deep. A method that fails the check is not callable through a
 * {@linkcode WorkerDesync}: a type error at the call site instead of a
 * `DataCloneError` at run time.
 *
 * @typeParam T The hosted instance's type.
 *
 * @example Which methods are callable
 * ```ts
 * import type { Method } from "@desync/desync/worker";
 *
 * class Counter {
 *   add(by: number): void {}
 *   callback(): () => void {
 *     return () => {};
 *   }
 * }
 * const ok: Method<Counter> = "add";
 * // @ts-expect-error: its result is a function, which cannot be cloned
 * const notOk: Method<Counter> = "callback";
 * ```
 */
export type Method<T> =
  & {
    // deno-lint-ignore no-explicit-any
    [K in keyof T]: T[K] extends (...args: any) => any
      // A Desync parameter takes a reference, which travels as a marker (see Reference).
      ? true extends Uncloneable<{ [I in keyof Parameters<T[K]>]: Sent<Parameters<T[K]>[I]> }>
        ? never
      : true extends Uncloneable<Awaited<ReturnType<T[K]>>> ? never
      : K
      : never;
  }[keyof T]
  & string;

/**
 * The arguments of method `K` of `T`.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 *
 * @example The arguments of a method
 * ```ts
 * import type { MethodArgs } from "@desync/desync/worker";
 *
 * class Counter {
 *   add(by: number, note?: string): void {}
 * }
 * const args: MethodArgs<Counter, "add"> = [1, "one"];
 * ```
 */
export type MethodArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown
  ? { [I in keyof A]: Reference<A[I]> }
  : never;

/**
 * What the main side passes for a hosted method's parameter of type `X`: a
 * parameter typed `Desync<U>` (an object on the same worker, see
 * {@linkcode WorkerPool.createWith}'s `near`) takes that object's
 * `WorkerDesync<U>`; any other type is passed as is.
 *
 * @typeParam X A parameter's type in the hosted class.
 *
 * @example A reference parameter
 * ```ts
 * import type { Desync } from "@desync/desync";
 * import type { Reference, WorkerDesync } from "@desync/desync/worker";
 *
 * class Account {
 *   balance = 0;
 * }
 * const check = (handle: WorkerDesync<Account>): Reference<Desync<Account>> => handle;
 * const plain: Reference<number> = 1;
 * ```
 */
export type Reference<X> = X extends Desync<infer U> ? WorkerDesync<U> : X;

/**
 * What crosses the thread for a hosted method's parameter of type `X`: a
 * reference (`Desync<U>`, see {@linkcode Reference}) travels as a marker,
 * shown as `null`; any other type as is. {@linkcode Method} checks these.
 *
 * @typeParam X A parameter's type in the hosted class.
 *
 * @example A reference parameter travels as a marker
 * ```ts
 * import type { Desync } from "@desync/desync";
 * import type { Sent } from "@desync/desync/worker";
 *
 * const marker: Sent<Desync<number>> = null;
 * const plain: Sent<string> = "as is";
 * ```
 */
export type Sent<X> = X extends Desync<infer _> ? null : X;

/**
 * The awaited result of method `K` of `T`.
 *
 * @typeParam T The hosted instance's type.
 * @typeParam K The method's name.
 *
 * @example The result of an async method
 * ```ts
 * import type { MethodResult } from "@desync/desync/worker";
 *
 * class Store {
 *   async load(): Promise<string[]> {
 *     return [];
 *   }
 * }
 * const result: MethodResult<Store, "load"> = ["a"];
 * ```
 */
export type MethodResult<T, K extends keyof T> = T[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

/**
 * The names of the classes a worker entry serves.
 *
 * @typeParam A The worker entry's API (`typeof api`).
 *
 * @example The names of an API's classes
 * ```ts
 * import type { ClassName } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 *
 * const name: ClassName<Api> = "Counter";
 * ```
 */
export type ClassName<A> = A extends WorkerApi<infer C> ? keyof C & string : never;

/**
 * The constructor arguments of class `N` of API `A`.
 *
 * @typeParam A The worker entry's API.
 * @typeParam N The class's name.
 *
 * @example A constructor's arguments
 * ```ts
 * import type { ConstructorArgs } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 *
 * const args: ConstructorArgs<Api, "Counter"> = [5];
 * ```
 */
export type ConstructorArgs<A, N extends ClassName<A>> = A extends WorkerApi<infer C>
  ? N extends keyof C ? C[N] extends abstract new (...args: infer P) => unknown ? P : never
  : never
  : never;

/**
 * An instance of class `N` of API `A`: the `T` of its `WorkerDesync<T>`.
 *
 * @typeParam A The worker entry's API.
 * @typeParam N The class's name.
 *
 * @example Typing a handle
 * ```ts
 * import type { InstanceOf, WorkerDesync } from "@desync/desync/worker";
 * import type { Api } from "../tests/fixtures/counter.worker.ts";
 *
 * type CounterHandle = WorkerDesync<InstanceOf<Api, "Counter">>;
 * ```
 */
export type InstanceOf<A, N extends ClassName<A>> = A extends WorkerApi<infer C>
  ? N extends keyof C ? C[N] extends abstract new (...args: never) => infer I ? I : never
  : never
  : never;
