/**
 * Scoring cloze answers with a GLMModel, one row per answer (spec §5.1):
 *   row = Part A ([CLS] pattern [eos]) + [sop] + answer[:-1] (+ answer's last token when eop is scored),
 *   Part B slots at the mask's position with block positions 1, 2, …;
 *   multi-token score = Σ log p(answer tokens, eop included) / len^lengthPenalty;
 *   single-token score = log p(verbalizer | [sop] position), whose argmax is the argmax of the raw
 *   verbalizer logits that GLMForSingleTokenCloze feeds to its cross-entropy.
 *
 * This is the plain "one by one" scorer for zero-shot evaluation and for checking faster scorers;
 * the fine-tuning code can score all candidates of an example in one pass with a block-diagonal
 * mask and must agree with it.
 */
import type { GLMModel } from '../model/glm.js';
import type { EncodedCloze } from '../tasks/encode.js';
import { noGrad } from '../tensor/tensor.js';
import { batchRows, type LmRow } from './lm-inputs.js';

export interface ClozeScoreOptions {
  sop: number;
  eop: number;
  /** Pads rows in a batch (eos). */
  pad: number;
  /** Divides multi-token scores by len^lengthPenalty (len counts eop). Default 0. */
  lengthPenalty?: number;
  /** Rows per forward pass. Default 8. */
  batchSize?: number;
}

function answerRow(e: EncodedCloze, answer: readonly number[], sop: number, eop: number): LmRow {
  const targets = e.singleToken ? [answer[0]!] : [...answer, eop];
  const partB = [sop, ...targets.slice(0, -1)];
  const A = e.tokens.length;
  return {
    ids: [...e.tokens, ...partB],
    positions: [...e.tokens.map((_, i) => i), ...partB.map(() => e.maskPosition)],
    blockPositions: [...e.tokens.map(() => 0), ...partB.map((_, i) => i + 1)],
    sep: A,
    targets: [...e.tokens.map(() => -1), ...targets],
  };
}

/** Scores of every answer of every example: result[i][j] for example i, answer j. */
export function scoreClozeAnswers(model: GLMModel, encoded: readonly EncodedCloze[], opts: ClozeScoreOptions): number[][] {
  const rows: { ex: number; row: LmRow }[] = [];
  encoded.forEach((e, i) => e.answers.forEach((a) => rows.push({ ex: i, row: answerRow(e, a, opts.sop, opts.eop) })));
  const V = model.config.vocab_size;
  const lp = opts.lengthPenalty ?? 0;
  const out: number[][] = encoded.map(() => []);
  const bs = opts.batchSize ?? 8;
  for (let at = 0; at < rows.length; at += bs) {
    const chunk = rows.slice(at, at + bs);
    const { input, seqLen: S } = batchRows(chunk.map((r) => r.row), opts.pad);
    const logits = noGrad(() => model.forward(input, { train: false }).logits).f32;
    chunk.forEach(({ ex, row }, b) => {
      let sum = 0, n = 0;
      row.targets.forEach((t, s) => {
        if (t < 0) return;
        const base = (b * S + s) * V;
        let max = -Infinity;
        for (let v = 0; v < V; v++) max = Math.max(max, logits[base + v]!);
        let z = 0;
        for (let v = 0; v < V; v++) z += Math.exp(logits[base + v]! - max);
        sum += logits[base + t]! - max - Math.log(z);
        n++;
      });
      out[ex]!.push(encoded[ex]!.singleToken || lp === 0 ? sum : sum / n ** lp);
    });
  }
  return out;
}
