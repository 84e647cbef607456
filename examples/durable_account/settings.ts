// Copyright 2026 the desync authors. MIT license.
/**
 * The numbers of the Durable Object account example, shared by the Worker
 * (`account.ts`) and its driver (`main.ts`).
 *
 * @module
 */

/** Every account opens with this balance. */
export const OPENING_BALANCE = 100;
/** Each of the two concurrent withdrawals takes this much. */
export const AMOUNT = 80;
/** How long a withdrawal's timer runs, between its read and its write. */
export const TIMER_MS = 30;
/** How long the slow service (main.ts) takes to answer a withdrawal's fetch(). */
export const FETCH_MS = 50;
/** How long after the withdrawals the unrelated `ping` is sent. */
export const PING_AFTER_MS = 5;

/** What a withdrawal awaits between reading the balance and writing it. */
export type Via = "timer" | "fetch";

/** What one run of the scenario saw. */
export interface Outcome {
  /** Whether each of the two withdrawals went through. */
  results: boolean[];
  /** The balance afterwards. */
  balance: number;
  /** How long the `ping` sent during the withdrawals took, in ms. */
  pingMs: number;
  /** How long a `ping` to the idle object took just before, in ms. */
  idlePingMs: number;
  /** How long the two withdrawals took together, in ms. */
  elapsedMs: number;
}
