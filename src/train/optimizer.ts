/**
 * AdamW (decoupled weight decay, PyTorch torch.optim.AdamW semantics) over a ParamStore's flat
 * buffers, and global-norm gradient clipping.
 *
 * Because the store lays out decayed weights first, one step is two fused kernel calls: one over
 * [0, decaySize) with weight decay, one over the rest (biases, LayerNorm) without.
 */
import { backend } from '../backend/index.js';
import type { ParamStore } from '../model/params.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** GLM pretraining defaults (spec §6.1): β = (0.9, 0.98), ε = 1e-6, weight decay 0.1. */
export const GLM_ADAMW: AdamWOptions = { lr: 1e-4, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1 };

export class AdamW {
  readonly opts: AdamWOptions;
  /** First and second moments, same layout as the store. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  constructor(readonly store: ParamStore, opts: Partial<AdamWOptions> = {}) {
    this.opts = { ...GLM_ADAMW, ...opts };
    this.m = new Float32Array(store.size);
    this.v = new Float32Array(store.size);
  }

  /**
   * One update with the store's gradients times gradScale (clip coefficient, 1/accumulation).
   * `lr` overrides the configured rate (schedules).
   */
  update(gradScale = 1, lr = this.opts.lr): void {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    this.step++;
    const bc1 = 1 - beta1 ** this.step, bc2 = 1 - beta2 ** this.step;
    const be = backend();
    const s = this.store, d = s.decaySize;
    be.adamw(s.data.subarray(0, d), s.grad.subarray(0, d), this.m.subarray(0, d), this.v.subarray(0, d), lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale);
    be.adamw(s.data.subarray(d), s.grad.subarray(d), this.m.subarray(d), this.v.subarray(d), lr, beta1, beta2, eps, 0, bc1, bc2, gradScale);
  }
}

/** sqrt(Σ g²) over a flat gradient buffer. */
export function gradNorm(grad: Float32Array): number {
  return Math.sqrt(backend().sumSquares(grad));
}

/**
 * Global-norm clipping coefficient, PyTorch's clip_grad_norm_: min(1, maxNorm/(norm + 1e-6)).
 * Returns the norm before clipping and the coefficient; the caller passes the coefficient to
 * AdamW.update (so the gradients are not rewritten) or applies it with clipGradients.
 */
export function clipCoefficient(grad: Float32Array, maxNorm: number): { norm: number; coef: number } {
  const norm = gradNorm(grad);
  return { norm, coef: Math.min(1, maxNorm / (norm + 1e-6)) };
}

/** Scales the gradients in place by the clip coefficient; returns {norm, coef}. */
export function clipGradients(grad: Float32Array, maxNorm: number): { norm: number; coef: number } {
  const r = clipCoefficient(grad, maxNorm);
  if (r.coef < 1) backend().scale(grad, r.coef, grad);
  return r;
}
