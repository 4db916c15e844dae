/**
 * The benchmark cases, run inside a worker process (one case per process, so each case's peak
 * RSS is its own). Timing brackets match tools/bench/torch_glm_bench.py:
 *   train:   zero grads + forward + loss + backward (fwd_bwd), then grad clip 1.0 + AdamW step;
 *            batch generation is outside the timed region.
 *   forward: forward + loss without autograd (torch "score" mode).
 *   decode:  prefill of context + [sop] (timed separately), then G − 1 single-token greedy steps
 *            with the K/V cache; tokens/s counts the B·(G − 1) tokens of the single-token steps.
 */
import { performance } from 'node:perf_hooks';
import { GLMModel } from '../model/glm.js';
import { parseConfig, parameterCount, type GLMConfig } from '../model/config.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { maskedLmLoss } from '../train/step.js';
import { AdamW, clipCoefficient } from '../train/optimizer.js';
import { Rng } from '../util/rng.js';
import { argmaxLast, decodePrompt, decodeStepInput, randomBlankBatch } from './batch.js';
import type { CaseSpec } from './options.js';
import { median, round } from './stats.js';
import type { WorkMeter } from './work-counter.js';

export type Log = (msg: string) => void;

export interface CaseResult {
  ms_per_step: number;
  tokens_per_s: number;
  iter_ms: number[];
  [extra: string]: unknown;
}

function buildModel(spec: CaseSpec, log: Log): { model: GLMModel; cfg: GLMConfig; initMs: number } {
  const cfg = parseConfig(spec.config, `${spec.case} shape`);
  const t0 = performance.now();
  const model = new GLMModel(cfg).initialize(spec.seed);
  const initMs = performance.now() - t0;
  log(`${spec.case}: ${cfg.num_layers} layers, hidden ${cfg.hidden_size}, ${cfg.num_attention_heads} heads, vocab ${cfg.vocab_size}, ` +
    `${(parameterCount(cfg) / 1e6).toFixed(1)}M parameters (init ${(initMs / 1e3).toFixed(1)} s)`);
  return { model, cfg, initMs };
}

export function runTrain(spec: CaseSpec, log: Log, meter?: WorkMeter): CaseResult {
  const { model, cfg } = buildModel(spec, log);
  const B = spec.batch, S = spec.seq, V = cfg.vocab_size;
  const opt = new AdamW(model.params); // GLM defaults: lr 1e-4, β (0.9, 0.98), ε 1e-6, wd 0.1
  const rng = new Rng(spec.seed + 1);
  const steps: number[] = [], fb: number[] = [], losses: number[] = [], norms: number[] = [];
  for (let it = 0; it < spec.warmup + spec.iters; it++) {
    const { input, targets, lossMask } = randomBlankBatch(rng, B, S, V);
    if (it >= spec.warmup) meter?.start();
    const t0 = performance.now();
    model.params.zeroGrad();
    const loss = maskedLmLoss(model, { input, targets, lossMask }, { train: true });
    backward(loss);
    const t1 = performance.now();
    const { norm, coef } = clipCoefficient(model.params.grad, 1.0);
    opt.update(coef);
    const t2 = performance.now();
    meter?.stop();
    const warm = it < spec.warmup;
    log(`train ${warm ? 'warm-up' : 'iter'} ${warm ? it + 1 : it - spec.warmup + 1}: ${(t2 - t0).toFixed(0)} ms ` +
      `(fwd+bwd ${(t1 - t0).toFixed(0)}, clip+adamw ${(t2 - t1).toFixed(0)}), loss ${loss.item().toFixed(4)}`);
    if (!warm) {
      steps.push(t2 - t0);
      fb.push(t1 - t0);
      losses.push(loss.item());
      norms.push(norm);
    }
  }
  const med = median(steps);
  if (!losses.every(Number.isFinite) || !norms.every(Number.isFinite)) throw new Error(`train: non-finite loss or gradient norm (${losses}, ${norms})`);
  return {
    ms_per_step: round(med, 1),
    tokens_per_s: round((B * S) / (med / 1e3), 1),
    iter_ms: steps.map((t) => round(t, 1)),
    ms_fwd_bwd: round(median(fb), 1),
    ms_clip_adamw: round(med - median(fb), 1),
    loss_last: round(losses[losses.length - 1]!, 4),
    grad_norm_last: round(norms[norms.length - 1]!, 4),
  };
}

export function runForward(spec: CaseSpec, log: Log, meter?: WorkMeter): CaseResult {
  const { model, cfg } = buildModel(spec, log);
  const B = spec.batch, S = spec.seq, V = cfg.vocab_size;
  const rng = new Rng(spec.seed + 3);
  const times: number[] = [];
  let lastLoss = NaN;
  for (let it = 0; it < spec.warmup + spec.iters; it++) {
    const { input, targets, lossMask } = randomBlankBatch(rng, B, S, V);
    if (it >= spec.warmup) meter?.start();
    const t0 = performance.now();
    const loss = noGrad(() => maskedLmLoss(model, { input, targets, lossMask }).item());
    const t1 = performance.now();
    meter?.stop();
    const warm = it < spec.warmup;
    log(`forward ${warm ? 'warm-up' : 'iter'} ${warm ? it + 1 : it - spec.warmup + 1}: ${(t1 - t0).toFixed(0)} ms, loss ${loss.toFixed(4)}`);
    if (!warm) times.push(t1 - t0);
    lastLoss = loss;
  }
  if (!Number.isFinite(lastLoss)) throw new Error(`forward: non-finite loss ${lastLoss}`);
  const med = median(times);
  return {
    ms_per_step: round(med, 1),
    tokens_per_s: round((B * S) / (med / 1e3), 1),
    iter_ms: times.map((t) => round(t, 1)),
    loss_last: round(lastLoss, 4),
  };
}

export function runDecode(spec: CaseSpec, log: Log, meter?: WorkMeter): CaseResult {
  const { model, cfg } = buildModel(spec, log);
  const B = spec.batch, N = spec.context, G = spec.gen, V = cfg.vocab_size;
  const prompt = decodePrompt(new Rng(spec.seed + 2), B, N, V);
  const once = (timed: boolean): { prefill: number; steps: number; tokens: Int32Array; cacheBytes: number } => {
    const t0 = performance.now();
    const cache = model.createCache(B, 'kv');
    let next = argmaxLast(model.forwardIncremental(prompt.input, cache, 'last').f32, B, V);
    const t1 = performance.now();
    if (timed) meter?.start();
    const out = new Int32Array(B * G);
    for (let k = 1; k < G; k++) {
      for (let b = 0; b < B; b++) out[b * G + k - 1] = next[b]!;
      next = argmaxLast(model.forwardIncremental(decodeStepInput(next, prompt.maskPos, k), cache, 'last').f32, B, V);
    }
    for (let b = 0; b < B; b++) out[b * G + G - 1] = next[b]!;
    const t2 = performance.now();
    meter?.stop();
    return { prefill: t1 - t0, steps: t2 - t1, tokens: out, cacheBytes: cache.bytes() };
  };
  const pre: number[] = [], dec: number[] = [], tot: number[] = [];
  let tokens = new Int32Array(0), cacheBytes = 0;
  for (let it = 0; it < spec.warmup + spec.iters; it++) {
    const r = once(it >= spec.warmup);
    const warm = it < spec.warmup;
    log(`decode ${warm ? 'warm-up' : 'iter'} ${warm ? it + 1 : it - spec.warmup + 1}: prefill ${r.prefill.toFixed(0)} ms, ` +
      `${G - 1} steps ${r.steps.toFixed(0)} ms (${(r.steps / (G - 1)).toFixed(1)} ms/token)`);
    if (!warm) {
      pre.push(r.prefill);
      dec.push(r.steps);
      tot.push(r.prefill + r.steps);
    }
    tokens = r.tokens;
    cacheBytes = r.cacheBytes;
  }
  const medDec = median(dec);
  return {
    ms_per_step: round(medDec / (G - 1), 2),
    tokens_per_s: round((B * (G - 1)) / (medDec / 1e3), 2),
    iter_ms: dec.map((t) => round(t / (G - 1), 2)),
    prefill_ms: round(median(pre), 1),
    prefill_ms_all: pre.map((t) => round(t, 1)),
    decode_ms: round(medDec, 1),
    decode_ms_all: dec.map((t) => round(t, 1)),
    prefill_tokens_per_s: round((B * (N + 1)) / (median(pre) / 1e3), 1),
    gen_tokens_per_s_incl_prefill: round((B * G) / (median(tot) / 1e3), 2),
    kv_cache_mb: round(cacheBytes / 2 ** 20, 1),
    generated_first: Array.from(tokens.subarray(0, Math.min(8, G))),
  };
}
