// Copyright 2026 the desync authors. MIT license.
// The work of the workers demo: a CPU-bound loop, and the class that owns it.
// Plain module: both the worker entry and the main-thread comparison use it.

/**
 * Runs `iterations` steps of an int32 xorshift generator: pure CPU, no
 * allocation. (int32-only arithmetic: V8 deoptimizes loops mixing `>>> 0` at
 * random, which would make the timings swing.)
 */
export function crunch(iterations: number, seed = 1): number {
  let x = seed | 0 || 1;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  return x;
}

/** How many iterations take about `ms` milliseconds on this thread. */
export function calibrate(ms: number): number {
  crunch(1_000_000); // warm up the JIT
  let iterations = 1_000_000;
  for (;;) {
    const start = performance.now();
    crunch(iterations);
    const took = performance.now() - start;
    if (took >= 20) return Math.round((iterations * ms) / took);
    iterations *= 4;
  }
}

/** An object whose jobs are CPU-heavy: it keeps a running checksum of its work. */
export class Cruncher {
  #checksum = 0;
  #jobs = 0;

  /** One heavy job. */
  run(iterations: number): number {
    this.#checksum ^= crunch(iterations, ++this.#jobs);
    return this.#checksum;
  }

  /**
   * One heavy job, timed: when it started and ended, in milliseconds since
   * the epoch (comparable across threads, unlike `performance.now()`).
   */
  runTimed(iterations: number): [start: number, end: number] {
    const start = performance.timeOrigin + performance.now();
    this.run(iterations);
    return [start, performance.timeOrigin + performance.now()];
  }

  /** How many jobs ran. */
  jobs(): number {
    return this.#jobs;
  }
}
