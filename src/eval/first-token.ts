/**
 * Does a model use a blank's context, or only word frequencies? For single-token blanks, the log
 * probability the model gives the hidden token at [sop] (the first token of the answer, the one
 * GLM must predict from context alone) and whether it is the model's top choice, beside a unigram
 * model (token frequencies of the training text) on the same blanks.
 *
 * Row layout: Part A = [CLS] left [MASK] right [eos], Part B = [sop] predicting the hidden token at
 * the mask's position with block position 1 (spec §1.1), one forward per batch.
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import type { LmRow, LmSpecialTokens } from './lm-inputs.js';
import { scoreRows } from './lm.js';

export interface FirstTokenExample {
  left: readonly number[];
  right: readonly number[];
  /** The hidden token. */
  gold: number;
}

export interface FirstTokenSide {
  /** Mean −log p(hidden token), nats. */
  meanNll: number;
  /** Share of blanks whose top choice is the hidden token. */
  top1: number;
}

export interface FirstTokenReport {
  examples: number;
  model: FirstTokenSide & { /** Distinct top choices over all blanks (1 = the same answer everywhere). */ distinctTop1: number };
  unigram: FirstTokenSide & { /** Its one answer: the most frequent training token. */ token: number };
}

/** Unigram log-probabilities from token counts, add-½ smoothed over `vocab` ids. */
export function unigramLogProbs(counts: ArrayLike<number>, vocab: number): Float64Array {
  let total = 0;
  for (let v = 0; v < vocab; v++) total += counts[v] ?? 0;
  const out = new Float64Array(vocab);
  for (let v = 0; v < vocab; v++) out[v] = Math.log(((counts[v] ?? 0) + 0.5) / (total + 0.5 * vocab));
  return out;
}

export function firstTokenRow(ex: FirstTokenExample, sp: LmSpecialTokens & { mask: number }): LmRow {
  const ids = [sp.cls, ...ex.left, sp.mask, ...ex.right, sp.eos, sp.sop];
  const maskPos = 1 + ex.left.length, n = ids.length;
  const positions = ids.map((_, i) => (i === n - 1 ? maskPos : i));
  const blockPositions = ids.map((_, i) => (i === n - 1 ? 1 : 0));
  const targets = ids.map((_, i) => (i === n - 1 ? ex.gold : -1));
  return { ids, positions, blockPositions, targets, sep: n - 1 };
}

export function evaluateFirstToken(model: GLMModel, examples: readonly FirstTokenExample[], special: LmSpecialTokens, unigram: Float64Array, batchSize = 16): FirstTokenReport {
  if (examples.length === 0) throw new GlmError('E_LM_INPUT', 'no blanks to evaluate');
  const scored = scoreRows(model, examples.map((ex) => firstTokenRow(ex, special)), batchSize, special.eos).map((s) => s[0]!);
  let best = 0;
  for (let v = 1; v < unigram.length; v++) if (unigram[v]! > unigram[best]!) best = v;
  const n = examples.length;
  return {
    examples: n,
    model: {
      meanNll: -scored.reduce((a, s) => a + s.logProb, 0) / n,
      top1: scored.filter((s) => s.isArgmax).length / n,
      distinctTop1: new Set(scored.map((s) => s.argmax)).size,
    },
    unigram: {
      meanNll: -examples.reduce((a, ex) => a + (unigram[ex.gold] ?? Math.log(1e-12)), 0) / n,
      top1: examples.filter((ex) => ex.gold === best).length / n,
      token: best,
    },
  };
}
