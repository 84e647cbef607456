// Copyright 2026 the desync authors. MIT license.
// The pool option resourceLimits: node:worker_threads' per-worker heap and
// stack limits, checked at the pool's construction.

import { describe } from "../_engine/validate.ts";

/**
 * Memory limits for each worker of a pool, as `node:worker_threads` takes
 * them (see {@linkcode WorkerPoolOptions.resourceLimits}). Every field is a
 * number of megabytes > 0; an omitted one keeps Node's default.
 *
 * @example Limits for small workers
 * ```ts
 * import type { WorkerResourceLimits } from "@desync/desync/worker";
 *
 * const limits: WorkerResourceLimits = { maxOldGenerationSizeMb: 64, stackSizeMb: 4 };
 * ```
 */
export interface WorkerResourceLimits {
  /**
   * The main heap's size limit.
   *
   * @default {Node's default for the process}
   *
   * @example 64 MB
   * ```ts
   * const limits = { maxOldGenerationSizeMb: 64 };
   * ```
   */
  maxOldGenerationSizeMb?: number;
  /**
   * The heap space for recently created objects.
   *
   * @default {Node's default for the process}
   *
   * @example 16 MB
   * ```ts
   * const limits = { maxYoungGenerationSizeMb: 16 };
   * ```
   */
  maxYoungGenerationSizeMb?: number;
  /**
   * The memory range reserved for generated code.
   *
   * @default {Node's default for the process}
   *
   * @example 16 MB
   * ```ts
   * const limits = { codeRangeSizeMb: 16 };
   * ```
   */
  codeRangeSizeMb?: number;
  /**
   * The thread's stack size.
   *
   * @default {4}
   *
   * @example 8 MB
   * ```ts
   * const limits = { stackSizeMb: 8 };
   * ```
   */
  stackSizeMb?: number;
}

const KEYS = [
  "maxOldGenerationSizeMb",
  "maxYoungGenerationSizeMb",
  "codeRangeSizeMb",
  "stackSizeMb",
] as const;

/** Checks the pool option `resourceLimits`; returns a copy (or undefined). */
export function resourceLimits(value: unknown): WorkerResourceLimits | undefined {
  if (value === undefined) return undefined;
  const method = "new WorkerPool";
  // Checked here rather than by assertOptions, so that messages name options.resourceLimits.
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${method}(): "options.resourceLimits" must be an object of sizes in megabytes (${
        KEYS.join(", ")
      }), got ${describe(value)}`,
    );
  }
  for (const key in value) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new TypeError(
        `${method}(): unknown key "${key}" in "options.resourceLimits"; accepted: ${
          KEYS.join(", ")
        }`,
      );
    }
  }
  const limits: WorkerResourceLimits = {};
  for (const key of KEYS) {
    const size = (value as Record<string, unknown>)[key];
    if (size === undefined) continue;
    if (typeof size !== "number" || !(size > 0) || size === Infinity) {
      throw new TypeError(
        `${method}(): "options.resourceLimits.${key}" must be a number of megabytes > 0, ` +
          `got ${describe(size)}`,
      );
    }
    limits[key] = size;
  }
  return limits;
}
