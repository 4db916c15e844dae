/**
 * One optimisation step on a blank-infilling batch: forward, masked cross-entropy, backward,
 * global-norm clipping and AdamW. The pretraining loop (and the benchmark) call this.
 */
import type { GLMModel } from '../model/glm.js';
import type { ModelInput } from '../model/inputs.js';
import { backward, type Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import { type AdamW, clipCoefficient } from './optimizer.js';
import type { TrainBatch } from '../data/batch.js';

export type { TrainBatch };


export interface StepOptions {
  /** Global-norm clip (spec §6.1: 1.0); 0 disables. */
  clip?: number;
  lr?: number;
  labelSmoothing?: number;
  /** Dropout on (default true). */
  train?: boolean;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** Loss-mask tokens in the batch. */
  tokens: number;
}

/** Indices of the positions with a nonzero loss weight. */
export function lossRows(lossMask: Float32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < lossMask.length; i++) if (lossMask[i] !== 0) n++;
  const rows = new Int32Array(n);
  for (let i = 0, j = 0; i < lossMask.length; i++) if (lossMask[i] !== 0) rows[j++] = i;
  return rows;
}

/**
 * Σ CE(logits, targets)·lossMask / Σ lossMask (spec §1.9), with logits computed only at the
 * positions that carry a loss: the same value as crossEntropy over the full [B, S, V] logits
 * (rows of weight 0 add nothing to either sum), without the LM-head product and softmax for
 * the other ~85 % of a blank-infilling batch.
 */
export function maskedLmLoss(model: GLMModel, batch: TrainBatch, opts: { train?: boolean; labelSmoothing?: number } = {}): Tensor {
  const rows = lossRows(batch.lossMask);
  const train = opts.train ?? false;
  if (rows.length === 0) return crossEntropy(model.forward(batch.input, { train }).logits, batch.targets, batch.lossMask, opts.labelSmoothing ?? 0);
  const { logits } = model.forward(batch.input, { train, logitRows: rows });
  const targets = new Int32Array(rows.length), weights = new Float32Array(rows.length);
  rows.forEach((r, n) => {
    targets[n] = batch.targets[r]!;
    weights[n] = batch.lossMask[r]!;
  });
  return crossEntropy(logits, targets, weights, opts.labelSmoothing ?? 0);
}

/** Accumulates the gradient of one micro-batch's loss (times `scaleBy`) into the model's grads. */
export function accumulateGradients(model: GLMModel, batch: TrainBatch, opts: StepOptions = {}, scaleBy = 1): number {
  const loss = maskedLmLoss(model, batch, { train: opts.train ?? true, labelSmoothing: opts.labelSmoothing ?? 0 });
  const value = loss.item();
  backward(loss, Float32Array.of(scaleBy));
  return value;
}

/** forward + backward + clip + AdamW on one batch. */
export function trainStep(model: GLMModel, opt: AdamW, batch: TrainBatch, opts: StepOptions = {}): StepResult {
  model.params.zeroGrad();
  const loss = accumulateGradients(model, batch, opts);
  const clip = opts.clip ?? 1.0;
  const { norm, coef } = clip > 0 ? clipCoefficient(model.params.grad, clip) : { norm: NaN, coef: 1 };
  opt.update(coef, opts.lr);
  let tokens = 0;
  for (const m of batch.lossMask) tokens += m;
  return { loss, gradNorm: norm, tokens };
}
