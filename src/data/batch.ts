/**
 * Batching and padding (spec §1.9): examples of different lengths are right-padded with 0 in
 * tokens, targets, loss mask and both position rows; padding sits after `sep`, so real tokens
 * never attend to it, and it has loss 0.
 */
import type { ModelInput } from '../model/inputs.js';
import { packRows } from '../model/rows.js';
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
  if (examples.length === 0) throw new Error('padBatch: no examples');
  let lossTokens = 0, realTokens = 0;
  for (const e of examples) {
    for (const m of e.lossMask) lossTokens += m;
    realTokens += e.tokens.length;
  }
  const rows = examples.map((e) => ({ ids: e.tokens, positions: e.positions, blockPositions: e.blockPositions, sep: e.sep, targets: e.targets, lossMask: e.lossMask }));
  return { ...packRows(rows, { minLength }), lossTokens, realTokens };
}
