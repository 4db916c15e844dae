/**
 * Small statistics used to check the example generator: Pearson's chi-square goodness-of-fit test
 * with its p-value from the regularised upper incomplete gamma function, and the exact expected
 * masked length of the "draw spans until ≥ threshold" rule (spec §1.3).
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x) = Γ(a, x)/Γ(a): series for x < a + 1, Lentz's continued fraction otherwise. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lnPre) * h;
}

/** P(χ²_df ≥ stat). */
export function chiSquareSf(stat: number, df: number): number {
  return gammaQ(df / 2, stat / 2);
}

export interface ChiSquareResult {
  stat: number;
  df: number;
  p: number;
  /** The bins after merging (observed, expected). */
  bins: { observed: number; expected: number }[];
}

/**
 * Pearson's test of counts against probabilities (renormalised). Adjacent bins are merged from
 * the tail until every expected count is ≥ minExpected, so the χ² approximation holds.
 */
export function chiSquareTest(observed: readonly number[], probs: readonly number[], minExpected = 5): ChiSquareResult {
  if (observed.length !== probs.length) throw new Error('chiSquareTest: observed and probs differ in length');
  const n = observed.reduce((a, b) => a + b, 0);
  const z = probs.reduce((a, b) => a + b, 0);
  const bins: { observed: number; expected: number }[] = [];
  let o = 0, e = 0;
  for (let i = observed.length - 1; i >= 0; i--) {
    o += observed[i]!;
    e += (n * probs[i]!) / z;
    if (e >= minExpected) {
      bins.unshift({ observed: o, expected: e });
      o = 0;
      e = 0;
    }
  }
  if (bins.length === 0) throw new Error('chiSquareTest: too few observations');
  bins[0]!.observed += o;
  bins[0]!.expected += e;
  let stat = 0;
  for (const b of bins) stat += (b.observed - b.expected) ** 2 / b.expected;
  const df = bins.length - 1;
  return { stat, df, p: chiSquareSf(stat, df), bins };
}

/**
 * Exact E[Σ lengths] and Var[Σ lengths] when i.i.d. lengths with P(k) = probs[k−1] (k ≥ 1) are drawn
 * until the sum reaches `threshold` (nothing is drawn for threshold ≤ 0).
 */
export function stoppedSumMoments(probs: readonly number[], threshold: number): { mean: number; variance: number } {
  if (threshold <= 0) return { mean: 0, variance: 0 };
  const z = probs.reduce((a, b) => a + b, 0);
  const p = probs.map((x) => x / z);
  // visit[s]: probability that the partial sum ever equals s (s < threshold).
  const visit = new Float64Array(threshold);
  visit[0] = 1;
  let m1 = 0, m2 = 0;
  for (let s = 0; s < threshold; s++) {
    const v = visit[s]!;
    if (v === 0) continue;
    for (let k = 1; k <= p.length; k++) {
      const q = v * p[k - 1]!;
      if (s + k < threshold) visit[s + k] += q;
      else {
        m1 += q * (s + k);
        m2 += q * (s + k) ** 2;
      }
    }
  }
  return { mean: m1, variance: m2 - m1 * m1 };
}
