/** Small numeric helpers for the benchmark. */

/** Median (the mean of the two middle values for an even count, like Python's statistics.median). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export { maxAbs, maxAbsDiff } from '../util/compare.js';
