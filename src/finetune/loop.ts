/**
 * The fine-tuning loop shared by the cloze, classifier-head and seq2seq trainers: epochs over
 * shuffled batches, AdamW on every parameter store (the model's, and the head's when there is
 * one), one global gradient-norm clip across them, linear decay with warmup (spec §5.1: warmup
 * 0.1, §5.3: 0.06; src/train/schedule.ts), evaluation after each epoch, and the best epoch kept.
 */
import { GlmError } from '../util/errors.js';
import type { ParamStore } from '../model/params.js';
import { Tensor, backward } from '../tensor/tensor.js';
import { setDropoutSeed } from '../tensor/ops/nn.js';
import { AdamW, gradNorm, type AdamWOptions } from '../train/optimizer.js';
import { learningRate, validateSchedule, type LrSchedule } from '../train/schedule.js';
import { ProgressBar, formatDuration } from '../train/progress.js';
import { Rng } from '../util/rng.js';

/** What a trainer provides to the loop. */
export interface FinetuneJob<T> {
  /** Encoded training items. */
  readonly train: readonly T[];
  /** Every trainable store (model first). */
  readonly stores: readonly ParamStore[];
  /** Tokens in one item (for the tokens/s readout). */
  tokensOf(item: T): number;
  /** The loss of one batch, recorded for autograd, dropout on. */
  loss(batch: readonly T[]): Tensor;
  /** Validation after an epoch: the number to maximise and the metrics to report. */
  evaluate?(epoch: number): Promise<{ score: number; metrics: Record<string, unknown> }>;
  /** Writes the current weights as a model folder. */
  save(dir: string, info: { epoch: number; score?: number; metrics?: Record<string, unknown> }): void;
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Warmup as a fraction of all steps. */
  warmup: number;
  weightDecay: number;
  /** Global gradient-norm clip (0 = off). Default 1. */
  clip?: number;
  adam?: Partial<Omit<AdamWOptions, 'lr' | 'weightDecay'>>;
  /** Seeds shuffling and dropout. */
  seed: number;
  /** Where the best model goes (a model folder); absent: nothing is saved. */
  bestDir?: string;
  /** Stop after this many optimizer steps in total (short runs). */
  maxSteps?: number;
  progress?: boolean;
  log?: (msg: string) => void;
  /** Called after every optimizer step with the rate it used. */
  onStep?: (r: { step: number; epoch: number; lr: number; loss: number; gradNorm: number }) => void;
}

export interface EpochRecord {
  epoch: number;
  steps: number;
  trainLoss: number;
  seconds: number;
  score?: number;
  metrics?: Record<string, unknown>;
}

export interface LoopResult {
  epochs: EpochRecord[];
  steps: number;
  bestEpoch: number;
  bestScore?: number;
  bestDir?: string;
  seconds: number;
}

/**
 * Fine-tuning defaults of GLM's single-GPU scripts: AdamW β (0.9, 0.999), ε 1e-8 (GLM's argument
 * defaults; the scripts do not override them), weight decay 0.1.
 */
export const FINETUNE_ADAM: Omit<AdamWOptions, 'lr'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export async function runFinetuneLoop<T>(job: FinetuneJob<T>, o: LoopOptions): Promise<LoopResult> {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new GlmError('E_FINETUNE_OPTION', `epochs must be a positive integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new GlmError('E_FINETUNE_OPTION', `batch size must be a positive integer, got ${o.batchSize}`);
  if (job.train.length === 0) throw new GlmError('E_FINETUNE_EMPTY', 'no training examples');
  const perEpoch = Math.ceil(job.train.length / o.batchSize);
  const total = Math.min(perEpoch * o.epochs, o.maxSteps ?? Infinity);
  const schedule: LrSchedule = { lr: o.lr, style: 'linear', warmup: o.warmup, decayIters: total, decayRatio: 0 };
  validateSchedule(schedule);
  const clip = o.clip ?? 1;
  const opts = job.stores.map((s) => new AdamW(s, { ...FINETUNE_ADAM, ...(o.adam ?? {}), weightDecay: o.weightDecay, lr: o.lr }));
  const bar = new ProgressBar(process.stderr, undefined, o.progress ?? true);
  const log = o.log ?? ((m: string): void => bar.log(m));
  const rng = new Rng(o.seed);
  setDropoutSeed(o.seed);

  const epochs: EpochRecord[] = [];
  let step = 0, bestScore: number | undefined, bestEpoch = 0;
  const t0 = performance.now();
  let ema = NaN;
  for (let epoch = 1; epoch <= o.epochs && step < total; epoch++) {
    const e0 = performance.now();
    const order = shuffled(job.train.length, rng);
    let lossSum = 0, batches = 0;
    for (let at = 0; at < order.length && step < total; at += o.batchSize) {
      const s0 = performance.now();
      const batch = order.slice(at, at + o.batchSize).map((i) => job.train[i]!);
      const lr = learningRate(schedule, step);
      for (const s of job.stores) s.zeroGrad();
      const loss = job.loss(batch);
      const value = loss.item();
      if (!Number.isFinite(value)) throw new GlmError('E_TRAIN_DIVERGED', `loss became ${value} at step ${step + 1}; lower the learning rate (${o.lr})`);
      backward(loss);
      const norm = Math.sqrt(job.stores.reduce((n, s) => n + gradNorm(s.grad) ** 2, 0));
      const coef = clip > 0 ? Math.min(1, clip / (norm + 1e-6)) : 1;
      for (const opt of opts) opt.update(coef, lr);
      step++;
      o.onStep?.({ step, epoch, lr, loss: value, gradNorm: norm });
      lossSum += value;
      batches++;
      ema = Number.isNaN(ema) ? value : 0.9 * ema + 0.1 * value;
      const dt = (performance.now() - s0) / 1000;
      bar.update({ step, total, loss: ema, lr, tokensPerSecond: batch.reduce((n, x) => n + job.tokensOf(x), 0) / dt, etaSeconds: (((performance.now() - t0) / 1000) / step) * (total - step) });
    }
    bar.done();
    const rec: EpochRecord = { epoch, steps: step, trainLoss: lossSum / Math.max(1, batches), seconds: (performance.now() - e0) / 1000 };
    if (job.evaluate) {
      const ev = await job.evaluate(epoch);
      rec.score = ev.score;
      rec.metrics = ev.metrics;
    }
    epochs.push(rec);
    const better = rec.score === undefined || bestScore === undefined || rec.score > bestScore;
    log(`epoch ${epoch}/${o.epochs}: train loss ${rec.trainLoss.toFixed(4)}${rec.score !== undefined ? `, validation score ${rec.score.toFixed(4)}` : ''} (${formatDuration(rec.seconds)})${better && o.bestDir ? ' — saved' : ''}`);
    if (better) {
      bestEpoch = epoch;
      if (rec.score !== undefined) bestScore = rec.score;
      if (o.bestDir) job.save(o.bestDir, { epoch, ...(rec.score !== undefined ? { score: rec.score } : {}), ...(rec.metrics ? { metrics: rec.metrics } : {}) });
    }
  }
  const out: LoopResult = { epochs, steps: step, bestEpoch, seconds: (performance.now() - t0) / 1000 };
  if (bestScore !== undefined) out.bestScore = bestScore;
  if (o.bestDir) out.bestDir = o.bestDir;
  return out;
}
