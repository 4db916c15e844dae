/**
 * Beam search bookkeeping for one blank of one prompt, in the style of Hugging Face's
 * BeamSearchScorer as the GLM seq2seq evaluator uses it (spec §4.4):
 *   - scores are sums of log-probabilities (log_softmax, then the logits processors);
 *   - a finished hypothesis scores sum / max(len, 1) ** lengthPenalty, len counting the
 *     generated tokens without [sop] and without the end token;
 *   - the n best finished hypotheses are kept; `isDone` decides when no running beam can win.
 */

import type { Rng } from '../util/rng.js';

/** A finished hypothesis. */
export interface Hypothesis {
  tokens: number[];
  /** The model's log-probability of each token (unprocessed log_softmax). */
  logProbs: number[];
  /** Sum of the processed log-probabilities, the end token's included. */
  sumLogProbs: number;
  /** sumLogProbs / max(len, 1) ** lengthPenalty. */
  score: number;
  /** How it ended: an end token (its id), or null when cut at the maximum length. */
  endToken: number | null;
  /** The model's log-probability of the end token (null when cut at the maximum length). */
  endLogProb: number | null;
}

/**
 * When to stop searching a blank (HF `early_stopping`):
 *   - true: as soon as numBeams hypotheses are finished;
 *   - false (spec §4.4, the GLM default): when the best running beam, normalised by the current
 *     length, cannot beat the worst kept hypothesis — a heuristic that can miss the optimum when
 *     lengthPenalty > 0;
 *   - 'never': only when that is certain (normalising by the maximum length when
 *     lengthPenalty > 0), so enough beams find the exact optimum.
 */
export type EarlyStopping = boolean | 'never';

export class BeamHypotheses {
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
  readonly maxLength: number;
  readonly hyps: Hypothesis[] = [];
  private worst = Infinity;

  constructor(numBeams: number, lengthPenalty: number, earlyStopping: EarlyStopping, maxLength: number) {
    this.numBeams = numBeams;
    this.lengthPenalty = lengthPenalty;
    this.earlyStopping = earlyStopping;
    this.maxLength = maxLength;
  }

  /** sum / max(len, 1) ** lengthPenalty */
  normalise(sum: number, len: number): number {
    return sum / Math.max(len, 1) ** this.lengthPenalty;
  }

  get size(): number {
    return this.hyps.length;
  }

  /** Adds a hypothesis if it is among the numBeams best so far. */
  add(h: Omit<Hypothesis, 'score'>): void {
    const score = this.normalise(h.sumLogProbs, h.tokens.length);
    if (this.hyps.length < this.numBeams || score > this.worst) {
      this.hyps.push({ ...h, score });
      if (this.hyps.length > this.numBeams) {
        let wi = 0;
        this.hyps.forEach((x, i) => {
          if (x.score < this.hyps[wi]!.score) wi = i;
        });
        this.hyps.splice(wi, 1);
      }
      this.worst = Math.min(...this.hyps.map((x) => x.score));
    }
  }

  /**
   * Whether the search can stop, given the best running beam's summed score and the number of
   * tokens its beams have generated.
   */
  isDone(bestRunningSum: number, curLen: number): boolean {
    if (this.hyps.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    // 'never' with a positive penalty: a longer beam divides its (negative) sum by more, so the
    // most a running beam can reach is its sum over the maximum length.
    const len = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength : curLen;
    return this.worst >= this.normalise(bestRunningSum, len);
  }

  /** The best finished hypothesis (ties: the earliest added). */
  best(): Hypothesis | undefined {
    let b: Hypothesis | undefined;
    for (const h of this.hyps) if (!b || h.score > b.score) b = h;
    return b;
  }
}

/** A candidate continuation: beam `beam` extended by `token`, with the new summed score. */
export interface Candidate {
  beam: number;
  token: number;
  score: number;
}

/**
 * `count` entries of scores [nb, V] drawn without replacement with probability ∝ exp(score)
 * (GLM's `multinomial` over softmax(scores), spec §4.4), by the Gumbel-top-k trick: perturb each
 * finite score with Gumbel noise and keep the largest. Returned best score first.
 */
export function sampleCandidates(scores: readonly Float64Array[], count: number, rng: Rng): Candidate[] {
  const perturbed = scores.map((row) =>
    Float64Array.from(row, (s) => {
      if (s === -Infinity || Number.isNaN(s)) return -Infinity;
      let u = rng.uniform();
      while (u === 0) u = rng.uniform();
      return s - Math.log(-Math.log(u));
    }),
  );
  return topCandidates(perturbed, count)
    .map((c) => ({ ...c, score: scores[c.beam]![c.token]! }))
    .sort((a, b) => b.score - a.score || a.beam - b.beam || a.token - b.token);
}

/**
 * The top `count` entries of scores [nb, V] (flattened), best first; ties by lower flat index,
 * so the choice is deterministic. -Infinity entries are skipped.
 */
export function topCandidates(scores: readonly Float64Array[], count: number): Candidate[] {
  const V = scores[0]?.length ?? 0;
  const out: Candidate[] = [];
  // Bounded insertion into a sorted array: count is small (≤ 3·beams).
  for (let b = 0; b < scores.length; b++) {
    const row = scores[b]!;
    for (let t = 0; t < V; t++) {
      const s = row[t]!;
      if (s === -Infinity || Number.isNaN(s)) continue;
      if (out.length === count && s <= out[count - 1]!.score) continue;
      let i = out.length;
      while (i > 0 && out[i - 1]!.score < s) i--;
      out.splice(i, 0, { beam: b, token: t, score: s });
      if (out.length > count) out.pop();
    }
  }
  return out;
}
