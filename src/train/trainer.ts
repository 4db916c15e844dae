/**
 * The pretraining loop: AdamW with the §6.1 schedule, gradient clipping and accumulation,
 * dropout, periodic validation loss, atomic checkpoints (keep the last K) and exact resume,
 * metrics JSONL, a live progress bar and the loss-curve SVG.
 *
 * Resume reproduces the uninterrupted run step for step: a checkpoint holds the weights, the
 * AdamW moments and step, the data position (batches are a pure function of their position)
 * and the dropout stream's state; evaluation saves and restores the dropout stream so it never
 * shifts the training randomness.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { GLMModel } from '../model/glm.js';
import { noGrad } from '../tensor/tensor.js';
import { getDropoutState, setDropoutSeed } from '../tensor/ops/nn.js';
import type { PaddedBatch } from '../data/batch.js';
import type { PretrainData } from '../data/pipeline.js';
import { AdamW, type AdamWOptions, clipCoefficient } from './optimizer.js';
import { accumulateGradients, maskedLmLoss } from './step.js';
import { type LrSchedule, learningRate, validateSchedule } from './schedule.js';
import { type LoadedCheckpoint, type TrainState, findLatestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoints.js';
import { MetricsLog, lossCurveSvg, type EvalRecord, type StepRecord } from './metrics.js';
import { ProgressBar } from './progress.js';

export interface TrainerOptions {
  /** Total optimizer steps. */
  steps: number;
  /** Micro-batches per optimizer step (losses averaged). Default 1. */
  gradAccumulation?: number;
  /** Global-norm clip (spec §6.1: 1.0); 0 disables. */
  clip?: number;
  /** AdamW β, ε and weight decay (lr comes from the schedule). */
  adam?: Partial<Omit<AdamWOptions, 'lr'>>;
  schedule: LrSchedule;
  /** Validation every N steps (0 = only at the start and end). */
  evalInterval: number;
  evalBatches: number;
  /** Checkpoint every N steps (0 = only at the end). */
  checkpointInterval: number;
  /** Checkpoints kept. Default 3. */
  keepCheckpoints?: number;
  /** Output folder: checkpoints/, metrics.jsonl, loss-curve.svg. */
  outDir: string;
  /** Stop (cleanly, with a checkpoint) after this many seconds of training. */
  maxSeconds?: number;
  /** Seeds the dropout stream. Default 1234. */
  seed?: number;
  /** Continue from the newest valid checkpoint in outDir/checkpoints. */
  resume?: boolean;
  /** Options recorded in checkpoints; a resume refuses a checkpoint whose record differs. */
  run?: Record<string, unknown>;
  /** Live progress bar on stderr. Default true. */
  progress?: boolean;
  /** Messages (checkpoints, evaluations). Default: above the progress bar. */
  log?: (msg: string) => void;
  /** Called after every optimizer step. */
  onStep?: (r: StepRecord) => void;
}

export interface TrainResult {
  steps: number;
  startStep: number;
  initialValidLoss?: number;
  finalValidLoss?: number;
  trainSeconds: number;
  tokensSeen: number;
  tokensPerSecond: number;
  /** Seconds spent building batches vs in forward/backward/update. */
  dataSeconds: number;
  computeSeconds: number;
  examples: number;
  lastCheckpoint: string;
  metricsFile: string;
  curveFile: string;
  stoppedByTime: boolean;
  resumedFrom?: string;
  skippedCheckpoints: { path: string; reason: string }[];
}

/** Token-weighted mean CE over fixed batches, without touching the dropout stream or gradients. */
export function evaluate(model: GLMModel, batches: readonly PaddedBatch[]): { loss: number; lossTokens: number } {
  const saved = getDropoutState();
  let sum = 0, n = 0;
  try {
    noGrad(() => {
      for (const b of batches) {
        sum += maskedLmLoss(model, b).item() * b.lossTokens;
        n += b.lossTokens;
      }
    });
  } finally {
    setDropoutSeed(saved);
  }
  return { loss: n > 0 ? sum / n : NaN, lossTokens: n };
}

function sameRun(a: Record<string, unknown>, b: Record<string, unknown>): string | null {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    // Step count, time limit and (with it) the default decay length may change on resume.
    if (k === 'steps' || k === 'maxMinutes' || k === 'decayIters') continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return null;
}

export async function train(model: GLMModel, data: PretrainData, opts: TrainerOptions): Promise<TrainResult> {
  validateSchedule(opts.schedule);
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new GlmError('E_TRAIN_OPTION', `steps must be a positive integer, got ${opts.steps}`);
  const accum = opts.gradAccumulation ?? 1;
  if (!Number.isInteger(accum) || accum < 1) throw new GlmError('E_TRAIN_OPTION', `gradient accumulation must be a positive integer, got ${accum}`);
  const clip = opts.clip ?? 1.0;
  const keep = opts.keepCheckpoints ?? 3;
  const run: Record<string, unknown> = { ...(opts.run ?? {}), steps: opts.steps };
  const bar = new ProgressBar(process.stderr, undefined, opts.progress ?? true);
  const log = opts.log ?? ((m: string): void => bar.log(m));
  fs.mkdirSync(opts.outDir, { recursive: true });
  const ckptDir = path.join(opts.outDir, 'checkpoints');
  const metrics = new MetricsLog(path.join(opts.outDir, 'metrics.jsonl'));
  const curveFile = path.join(opts.outDir, 'loss-curve.svg');
  const opt = new AdamW(model.params, { ...(opts.adam ?? {}), lr: opts.schedule.lr });

  const state: TrainState = { step: 0, adamStep: 0, dataPosition: 0, dropoutState: (opts.seed ?? 1234) >>> 0, tokensSeen: 0, trainSeconds: 0, run };
  let resumed: LoadedCheckpoint | null = null;
  if (opts.resume) {
    resumed = findLatestCheckpoint(ckptDir);
    for (const s of resumed?.skipped ?? []) log(`warning: skipping damaged checkpoint ${s.path}: ${s.reason}`);
    if (resumed) {
      const diff = sameRun(resumed.state.run, run);
      if (diff) throw new GlmError('E_RESUME_MISMATCH', `checkpoint ${resumed.path} was written by a run with a different "${diff}" (${JSON.stringify(resumed.state.run[diff])} vs ${JSON.stringify(run[diff])})`);
      restoreCheckpoint(resumed.path, model, opt, resumed.state.adamStep);
      Object.assign(state, resumed.state, { run });
      metrics.truncateAfter(state.step);
      log(`resumed from ${resumed.path} (step ${state.step}, data position ${state.dataPosition})`);
    } else log(`no checkpoint in ${ckptDir}: starting from scratch`);
  }
  // A fresh start (including a resume that found no checkpoint) rewrites the metrics from step 0.
  if (!resumed && fs.existsSync(metrics.file)) fs.rmSync(metrics.file);
  setDropoutSeed(state.dropoutState);

  const validSet = data.validBatches(opts.evalBatches);
  const startStep = state.step;
  let initialValid: number | undefined;
  const doEval = (): number | undefined => {
    if (!validSet.length) return undefined;
    const e = evaluate(model, validSet);
    const rec: EvalRecord = { type: 'valid', step: state.step, loss: e.loss, lossTokens: e.lossTokens, elapsedSeconds: state.trainSeconds };
    metrics.append(rec);
    state.validLoss = e.loss;
    return e.loss;
  };
  if (!resumed) {
    initialValid = doEval();
    if (initialValid !== undefined) log(`step 0: validation loss ${initialValid.toFixed(4)} (${validSet.length} batches)`);
  } else {
    initialValid = metrics.read().find((r) => r.type === 'valid')?.loss;
  }

  let dataSeconds = 0, computeSeconds = 0, examples = 0, stoppedByTime = false;
  let emaLoss = NaN, emaTps = NaN;
  let lastCkpt = '';
  const checkpoint = (): void => {
    state.adamStep = opt.step;
    state.dropoutState = getDropoutState();
    lastCkpt = saveCheckpoint(ckptDir, model, opt, state, keep);
  };
  const prevSeconds = state.trainSeconds;
  while (state.step < opts.steps) {
    if (opts.maxSeconds !== undefined && state.trainSeconds - prevSeconds >= opts.maxSeconds) {
      stoppedByTime = true;
      break;
    }
    const t0 = performance.now();
    const lr = learningRate(opts.schedule, state.step);
    model.params.zeroGrad();
    let lossSum = 0, tokens = 0, lossTokens = 0;
    const modes: string[] = [];
    for (let m = 0; m < accum; m++) {
      const d0 = performance.now();
      const db = data.trainBatch(state.dataPosition);
      state.dataPosition = db.next;
      const d1 = performance.now();
      dataSeconds += (d1 - d0) / 1000;
      lossSum += accumulateGradients(model, db.batch, { train: true }, 1 / accum);
      computeSeconds += (performance.now() - d1) / 1000;
      tokens += db.batch.realTokens;
      lossTokens += db.batch.lossTokens;
      examples += db.batch.input.batch;
      modes.push(db.mode);
    }
    const u0 = performance.now();
    const { norm, coef } = clip > 0 ? clipCoefficient(model.params.grad, clip) : { norm: NaN, coef: 1 };
    opt.update(coef, lr);
    computeSeconds += (performance.now() - u0) / 1000;
    const loss = lossSum / accum;
    if (!Number.isFinite(loss)) throw new GlmError('E_TRAIN_DIVERGED', `loss became ${loss} at step ${state.step + 1}; lower the learning rate (${opts.schedule.lr})`);
    state.step++;
    const dt = (performance.now() - t0) / 1000;
    state.trainSeconds += dt;
    state.tokensSeen += tokens;
    const rec: StepRecord = {
      type: 'train', step: state.step, loss, lr, gradNorm: norm, mode: [...new Set(modes)].join('+'), tokens, lossTokens,
      tokensPerSecond: tokens / dt, elapsedSeconds: state.trainSeconds,
    };
    metrics.append(rec);
    opts.onStep?.(rec);
    emaLoss = Number.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
    emaTps = Number.isNaN(emaTps) ? tokens / dt : 0.9 * emaTps + 0.1 * (tokens / dt);
    const perStep = (state.trainSeconds - prevSeconds) / (state.step - startStep);
    let eta = perStep * (opts.steps - state.step);
    if (opts.maxSeconds !== undefined) eta = Math.min(eta, Math.max(0, opts.maxSeconds - (state.trainSeconds - prevSeconds)));
    const evalNow = opts.evalInterval > 0 && state.step % opts.evalInterval === 0 && state.step < opts.steps;
    if (evalNow) {
      const v = doEval();
      if (v !== undefined) log(`step ${state.step}: validation loss ${v.toFixed(4)}`);
    }
    bar.update({ step: state.step, total: opts.steps, loss: emaLoss, tokensPerSecond: emaTps, etaSeconds: eta, lr, ...(state.validLoss !== undefined ? { validLoss: state.validLoss } : {}) }, evalNow);
    if (opts.checkpointInterval > 0 && state.step % opts.checkpointInterval === 0 && state.step < opts.steps) checkpoint();
  }
  bar.done();
  const finalValid = doEval();
  if (finalValid !== undefined) log(`step ${state.step}: final validation loss ${finalValid.toFixed(4)}`);
  checkpoint();
  writeFileAtomic(curveFile, lossCurveSvg(metrics.read()));
  const result: TrainResult = {
    steps: state.step, startStep, trainSeconds: state.trainSeconds, tokensSeen: state.tokensSeen,
    tokensPerSecond: state.tokensSeen / Math.max(1e-9, state.trainSeconds), dataSeconds, computeSeconds, examples,
    lastCheckpoint: lastCkpt, metricsFile: metrics.file, curveFile, stoppedByTime, skippedCheckpoints: resumed?.skipped ?? [],
  };
  if (initialValid !== undefined) result.initialValidLoss = initialValid;
  if (finalValid !== undefined) result.finalValidLoss = finalValid;
  if (resumed) result.resumedFrom = resumed.path;
  return result;
}
