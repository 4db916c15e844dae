/**
 * One optimisation step on a blank-infilling batch: forward, masked cross-entropy, backward,
 * global-norm clipping and AdamW. The pretraining loop (and the benchmark) call this.
 */
import type { GLMModel } from '../model/glm.js';
import type { ModelInput } from '../model/inputs.js';
import { backward } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import { type AdamW, clipCoefficient } from './optimizer.js';

export interface TrainBatch {
  input: ModelInput;
  /** [B·S], aligned with input ids (no shift, spec §1.4). */
  targets: Int32Array;
  /** [B·S], 1 where the token is trained on. */
  lossMask: Float32Array;
}

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

/** Accumulates the gradient of one micro-batch's loss (times `scaleBy`) into the model's grads. */
export function accumulateGradients(model: GLMModel, batch: TrainBatch, opts: StepOptions = {}, scaleBy = 1): number {
  const { logits } = model.forward(batch.input, { train: opts.train ?? true });
  const loss = crossEntropy(logits, batch.targets, batch.lossMask, opts.labelSmoothing ?? 0);
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
