/**
 * Learning-rate schedules of GLM pretraining (spec §6.1, the original's `AnnealingLR`):
 *
 *   warm = warmup · decayIters
 *   it ≤ warm (warm > 0):  lr · it / warm                       (linear warmup from 0)
 *   t = (it − warm) / (decayIters − warm)
 *   cosine:    lr · [r + (1 − r) · (1 + cos(π · min(t, 1))) / 2]  (clamped at the end)
 *   linear:    lr · (1 − (1 − r) · t)                            (not clamped: keeps falling)
 *   constant:  lr
 *
 * `it` is the number of optimizer steps already taken, as in Megatron: the first update uses
 * lr(0), which is 0 when there is a warmup.
 */
import { GlmError } from '../util/errors.js';

export type DecayStyle = 'cosine' | 'linear' | 'constant';

export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  style: DecayStyle;
  /** Fraction of decayIters spent warming up (spec: 0.04–0.06 for released models). */
  warmup: number;
  /** Iterations over which the rate decays (the original's lr_decay_iters). */
  decayIters: number;
  /** Final rate as a fraction of lr (lr_decay_ratio). */
  decayRatio: number;
}

export function validateSchedule(s: LrSchedule): void {
  if (!(s.lr > 0)) throw new GlmError('E_TRAIN_OPTION', `learning rate must be > 0, got ${s.lr}`);
  if (!(s.warmup >= 0 && s.warmup <= 1)) throw new GlmError('E_TRAIN_OPTION', `warmup fraction must be in [0, 1], got ${s.warmup}`);
  if (!(s.decayIters >= 1)) throw new GlmError('E_TRAIN_OPTION', `decay iterations must be ≥ 1, got ${s.decayIters}`);
  if (!(s.decayRatio >= 0 && s.decayRatio <= 1)) throw new GlmError('E_TRAIN_OPTION', `final lr ratio must be in [0, 1], got ${s.decayRatio}`);
  if (!['cosine', 'linear', 'constant'].includes(s.style)) throw new GlmError('E_TRAIN_OPTION', `decay style must be cosine, linear or constant, got ${s.style}`);
}

/** The learning rate for the update after `it` completed iterations. */
export function learningRate(s: LrSchedule, it: number): number {
  const warm = s.warmup * s.decayIters;
  if (warm > 0 && it <= warm) return (s.lr * it) / warm;
  if (s.style === 'constant') return s.lr;
  const span = s.decayIters - warm;
  const t = span > 0 ? (it - warm) / span : 1;
  const r = s.decayRatio;
  if (s.style === 'cosine') return s.lr * (r + ((1 - r) * (1 + Math.cos(Math.PI * Math.min(t, 1)))) / 2);
  return s.lr * (1 - (1 - r) * t);
}
