/**
 * Batching and padding (spec §1.9): examples of different lengths are right-padded with 0 in
 * tokens, targets, loss mask and both position rows; padding sits after `sep`, so real tokens
 * never attend to it, and it has loss 0.
 */
import type { ModelInput } from '../model/inputs.js';
import type { BlockExample } from './blocks.js';

/** One training batch: the model input and, aligned with its ids, the targets and loss weights. */
export interface TrainBatch {
  input: ModelInput;
  /** [B·S], aligned with input ids (no shift, spec §1.4). */
  targets: Int32Array;
  /** [B·S], 1 where the token is trained on. */
  lossMask: Float32Array;
}


export interface PaddedBatch extends TrainBatch {
  /** Number of loss-mask tokens (Σ lossMask). */
  lossTokens: number;
  /** Σ real (unpadded) lengths: what the model actually processes. */
  realTokens: number;
}

/** pad_batch + tensor layout: input_ids [B, S], position_ids [B, 2, S], sep [B]. */
export function padBatch(examples: readonly BlockExample[], minLength = 0): PaddedBatch {
  const B = examples.length;
  if (B === 0) throw new Error('padBatch: no examples');
  let S = minLength;
  for (const e of examples) S = Math.max(S, e.tokens.length);
  const ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S), targets = new Int32Array(B * S);
  const lossMask = new Float32Array(B * S), sep = new Int32Array(B);
  let lossTokens = 0, realTokens = 0;
  examples.forEach((e, b) => {
    const n = e.tokens.length;
    ids.set(e.tokens, b * S);
    targets.set(e.targets, b * S);
    for (let i = 0; i < n; i++) lossMask[b * S + i] = e.lossMask[i]!;
    pos.set(e.positions, b * 2 * S);
    pos.set(e.blockPositions, b * 2 * S + S);
    sep[b] = e.sep;
    for (const m of e.lossMask) lossTokens += m;
    realTokens += n;
  });
  return { input: { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } }, targets, lossMask, lossTokens, realTokens };
}
