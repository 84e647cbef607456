// Copyright 2026 the desync authors. MIT license.
// The statistics of the mixed-process run (bench/mixed.ts), shared with the
// report (bench/_render.ts): medians and quartiles of samples, and ratios
// taken round by round. Pure functions, no I/O.

/** The median and the quartiles of some values. */
export interface Spread {
  median: number;
  /** First quartile. */
  q1: number;
  /** Third quartile. */
  q3: number;
}

/**
 * The `p` quantile (0 ≤ p ≤ 1) of ascending `sorted` values, interpolated
 * linearly between the two nearest ranks (the usual "type 7" definition, so
 * with 11 values the quartiles are the 3rd and 8th).
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * p;
  const below = Math.floor(at);
  const above = Math.ceil(at);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** The median and the quartiles of `values` (NaN for no values). */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75) };
}

/** Samples taken in some of the rounds: `values[i]` in round `rounds[i]`. */
export interface RoundSamples {
  samples: readonly number[];
  /** The round of each sample, ascending. */
  sampledRounds: readonly number[];
}

/**
 * The spread of `a ÷ b` over the rounds in which both were sampled: the ratio
 * of two cases measured side by side (in the same round, moments apart), so
 * that drift of the machine between rounds cancels out instead of widening
 * the spread.
 */
export function pairedSpreadByRound(a: RoundSamples, b: RoundSamples): Spread {
  return spread(ratiosByRound(a, b).samples);
}

/**
 * `a ÷ b` in each round in which both were sampled, as samples of their own
 * (a ratio of ratios can then be paired again, round by round).
 */
export function ratiosByRound(a: RoundSamples, b: RoundSamples): RoundSamples {
  const samples: number[] = [];
  const sampledRounds: number[] = [];
  a.sampledRounds.forEach((round, i) => {
    const j = b.sampledRounds.indexOf(round);
    if (j < 0) return;
    samples.push(a.samples[i] / b.samples[j]);
    sampledRounds.push(round);
  });
  return { samples, sampledRounds };
}
