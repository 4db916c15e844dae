/**
 * Per-row logit arithmetic for decoding (spec §4.3, §4.4), in float64 over one vocabulary row V:
 * log-softmax, the logits processors (min length, no-repeat-ngram, suppressed tokens), top-k /
 * top-p filtering, and the draws. Everything here is plain functions over arrays, so the
 * property tests can exercise them directly.
 */
import type { Rng } from '../util/rng.js';

/** log_softmax of one row, in float64. */
export function logSoftmax(row: ArrayLike<number>): Float64Array {
  const V = row.length;
  let mx = -Infinity;
  for (let i = 0; i < V; i++) if (row[i]! > mx) mx = row[i]!;
  let se = 0;
  for (let i = 0; i < V; i++) se += Math.exp(row[i]! - mx);
  const lse = mx + Math.log(se);
  const out = new Float64Array(V);
  for (let i = 0; i < V; i++) out[i] = row[i]! - lse;
  return out;
}

/** Index of the largest value (the first one on ties); -1 when every value is -Infinity or NaN. */
export function argmax(row: ArrayLike<number>): number {
  let best = -1, bv = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > bv) {
      bv = row[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * Tokens that would repeat an n-gram already present in `generated` (fairseq
 * NoRepeatNGramLogitsProcessor): for every earlier occurrence of the last n−1 tokens, the token
 * that followed it. Only the blank's own generated tokens count (spec §4.4).
 */
export function bannedNgramTokens(generated: readonly number[], n: number): number[] {
  if (n <= 0 || generated.length + 1 < n) return [];
  if (n === 1) return [...new Set(generated)];
  const L = generated.length, start = L - n + 1;
  const out: number[] = [];
  for (let i = 0; i + n - 1 < L; i++) {
    let same = true;
    for (let j = 0; j < n - 1; j++) {
      if (generated[i + j] !== generated[start + j]) {
        same = false;
        break;
      }
    }
    if (same) out.push(generated[i + n - 1]!);
  }
  return out;
}

export interface ProcessorOptions {
  /** Tokens that end a blank (eop, eos). */
  stopTokens: readonly number[];
  /** While fewer tokens than this have been generated, the stop tokens are banned. */
  minLength: number;
  /** Ban tokens that would repeat an n-gram of this size (0 = off). */
  noRepeatNgram: number;
  /** Never generated. */
  suppress: readonly number[];
}

/** Sets banned entries of `scores` to -Infinity in place (HF logits-processor semantics). */
export function applyProcessors(scores: Float64Array, generated: readonly number[], o: ProcessorOptions): void {
  if (generated.length < o.minLength) for (const t of o.stopTokens) scores[t] = -Infinity;
  for (const t of bannedNgramTokens(generated, o.noRepeatNgram)) scores[t] = -Infinity;
  for (const t of o.suppress) scores[t] = -Infinity;
}

/** Keeps the k largest logits (ties with the k-th value kept too), the rest → -Infinity (spec §4.3). */
export function topKFilter(logits: Float64Array, k: number): void {
  if (k <= 0 || k >= logits.length) return;
  const sorted = Float64Array.from(logits).sort();
  const kth = sorted[logits.length - k]!;
  for (let i = 0; i < logits.length; i++) if (logits[i]! < kth) logits[i] = -Infinity;
}

/**
 * Nucleus filter (spec §4.3): sort descending, softmax, cumulative sum; a token is removed when
 * the probability mass ranked strictly above it already exceeds p. The top token always stays.
 */
export function topPFilter(logits: Float64Array, p: number): void {
  if (!(p > 0 && p < 1)) return;
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const probs = softmaxOf(logits);
  let cum = 0;
  for (let r = 0; r < order.length; r++) {
    const i = order[r]!;
    if (r > 0 && cum > p) logits[i] = -Infinity;
    cum += probs[i]!;
  }
}

/** softmax of one row (float64); -Infinity entries get probability 0. */
export function softmaxOf(logits: ArrayLike<number>): Float64Array {
  const lp = logSoftmax(logits);
  for (let i = 0; i < lp.length; i++) lp[i] = Math.exp(lp[i]!);
  return lp;
}

/** Draws an index with probability proportional to `probs` (which sum to ~1). */
export function drawFrom(probs: Float64Array, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i]!;
  const u = rng.uniform() * total;
  let acc = 0, last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! <= 0) continue;
    acc += probs[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last; // rounding: u landed on the very top of the range
}

export interface SamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
}

/**
 * The sampling distribution of spec §4.3: scores / T, then top-k, then top-p, then softmax.
 * `scores` already carries the processors' -Infinity entries. Returns probabilities.
 */
export function samplingDistribution(scores: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const x = new Float64Array(scores.length);
  for (let i = 0; i < x.length; i++) x[i] = scores[i]! / o.temperature;
  topKFilter(x, o.topK);
  topPFilter(x, o.topP);
  return softmaxOf(x);
}
