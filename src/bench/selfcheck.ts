/**
 * Correctness gate run before any timing, so a fast but wrong kernel cannot produce a benchmark
 * number: the benchmarked backend and the reference backend run the same model (same random
 * weights) on the same inputs, and their results must agree.
 *
 * Per shape (a tiny one and a mid-sized one with odd sizes, so remainder paths run):
 *   - forward + loss + backward with autograd: logits max |Δ| ≤ 1e-4, gradients
 *     max |Δ| / max |g_ref| ≤ 1e-3;
 *   - forward without autograd (the inference path): logits max |Δ| ≤ 1e-4;
 *   - K/V-cache decoding (prefill + 3 single-token steps, forwardIncremental 'last') on the
 *     benchmarked backend against the reference backend's full forward over the same tokens:
 *     logits max |Δ| ≤ 1e-4.
 *   - the timed train / forward path itself: maskedLmLoss (LM head over the loss rows only,
 *     logitRows) with and without autograd: loss |Δ| ≤ 1e-4, gradients as above;
 *   - quantized inference (what profile --quant times): the model quantized to int8 and to bf16,
 *     forward logits on both backends with the same quantized weights: max |Δ| / max |logit|
 *     ≤ 1e-4 (int8) and 1e-2 (bf16: 8 significant bits, rounded at different points of the sum).
 * With the reference backend itself selected the check still runs (trivially equal except the
 * decode comparison, which then checks the cache path against the full pass).
 */
import { performance } from 'node:perf_hooks';
import { referenceBackend, withBackend, type Backend, type BackendName } from '../backend/index.js';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import type { ModelInput } from '../model/inputs.js';
import { packRows, splitPositions } from '../model/rows.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import { Rng } from '../util/rng.js';
import { maskedLmLoss } from '../train/step.js';
import type { QuantKind } from '../tensor/ops/quant.js';
import { argmaxLast, decodePrompt, decodeStepInput, randomBlankBatch } from './batch.js';
import { maxAbs, maxAbsDiff } from './stats.js';

export const LOGITS_TOL = 1e-4;
export const GRAD_REL_TOL = 1e-3;
// Relative to max |logit|: bf16 keeps 8 significant bits (2^-8 ≈ 3.9e-3), so rows rounded on one
// side at a different point of the sum differ by a few bf16 ulps after the layers.
export const QUANT_LOGITS_REL_TOL = { int8: 1e-4, bf16: 1e-2 } as const;

export interface SelfCheckShape {
  layers: number; hidden: number; heads: number; vocab: number; seq: number; batch: number; context: number;
}

export const SELFCHECK_SHAPES: readonly SelfCheckShape[] = [
  { layers: 2, hidden: 64, heads: 4, vocab: 160, seq: 32, batch: 2, context: 20 },
  { layers: 2, hidden: 128, heads: 2, vocab: 1001, seq: 100, batch: 2, context: 45 },
];

export interface SelfCheckShapeResult extends SelfCheckShape {
  logits_max_abs_diff: number;
  grad_max_rel_diff: number;
  loss_abs_diff: number;
  nograd_logits_max_abs_diff: number;
  decode_logits_max_abs_diff: number;
  loss_rows_train_loss_abs_diff: number;
  loss_rows_grad_max_rel_diff: number;
  loss_rows_nograd_loss_abs_diff: number;
  quant_logits_max_rel_diff: Record<string, number>;
  ok: boolean;
}

export interface SelfCheckResult {
  backend: string;
  reference: 'reference';
  tolerances: { logits_abs: number; grad_rel: number; quant_logits_rel: Record<string, number> };
  shapes: SelfCheckShapeResult[];
  ok: boolean;
  ms: number;
}

function checkShape(selected: Backend | BackendName, sh: SelfCheckShape): SelfCheckShapeResult {
  const cfg = makeConfig({
    num_layers: sh.layers, hidden_size: sh.hidden, num_attention_heads: sh.heads, vocab_size: sh.vocab,
    max_sequence_length: Math.max(sh.seq, sh.context + 8),
    embedding_dropout_prob: 0, attention_dropout_prob: 0, output_dropout_prob: 0,
    // Larger than GLM's 0.02 so attention is far from uniform and every weight matters.
    initializer_range: 0.1,
  });
  const model = new GLMModel(cfg).initialize(4242);
  // Non-trivial LayerNorm parameters and biases (they start as ones / zeros).
  const rngP = new Rng(99);
  const d = model.params.data;
  for (let i = model.params.decaySize; i < d.length; i++) d[i] = d[i]! + 0.1 * rngP.normal();
  const { input, targets, lossMask } = randomBlankBatch(new Rng(7), sh.batch, sh.seq, sh.vocab);

  const trainPass = (b: Backend | BackendName): { logits: Float32Array; grad: Float32Array; loss: number } =>
    withBackend(b, () => {
      model.params.zeroGrad();
      const { logits } = model.forward(input, { train: true });
      const loss = crossEntropy(logits, targets, lossMask);
      backward(loss);
      return { logits: logits.f32.slice(), grad: model.params.grad.slice(), loss: loss.item() };
    });
  const inferPass = (b: Backend | BackendName, inp: ModelInput): Float32Array =>
    withBackend(b, () => noGrad(() => model.forward(inp).logits.f32.slice()));

  const ref = trainPass('reference');
  // (With the reference backend selected, the first pass is reused: the decode check remains.)
  const sel = selected === 'reference' || selected === referenceBackend ? ref : trainPass(selected);
  model.params.zeroGrad();
  const logitsDiff = maxAbsDiff(sel.logits, ref.logits);
  const gradDiff = maxAbsDiff(sel.grad, ref.grad) / Math.max(maxAbs(ref.grad), 1e-30);
  const nogradDiff = maxAbsDiff(inferPass(selected, input), ref.logits);

  // Decode: prefill + 3 steps on the selected backend with the K/V cache.
  const B = sh.batch, N = sh.context, V = sh.vocab, steps = 3;
  const prompt = decodePrompt(new Rng(8), B, N, V);
  const stepLogits: Float32Array[] = [];
  const fed: Int32Array[] = [];
  withBackend(selected, () => {
    const cache = model.createCache(B, 'kv');
    let lg = model.forwardIncremental(prompt.input, cache, 'last').f32;
    stepLogits.push(lg.slice());
    for (let k = 1; k <= steps; k++) {
      const next = argmaxLast(lg, B, V);
      fed.push(next);
      lg = model.forwardIncremental(decodeStepInput(next, prompt.maskPos, k), cache, 'last').f32;
      stepLogits.push(lg.slice());
    }
  });
  // The same tokens in one full pass on the reference backend.
  const S0 = N + 1, S = S0 + steps;
  const { positions, blockPositions } = splitPositions(prompt.input);
  const rows = Array.from({ length: B }, (_, b) => {
    const at = (a: Int32Array): number[] => Array.from(a.subarray(b * S0, (b + 1) * S0));
    const gen = fed.map((f, k) => ({ id: f[b]!, block: k + 2 }));
    return {
      ids: [...at(prompt.input.inputIds), ...gen.map((g) => g.id)],
      positions: [...at(positions), ...gen.map(() => prompt.maskPos)],
      blockPositions: [...at(blockPositions), ...gen.map((g) => g.block)],
      sep: N,
    };
  });
  const full = inferPass('reference', packRows(rows).input);
  let decodeDiff = 0;
  for (let k = 0; k <= steps; k++) {
    for (let b = 0; b < B; b++) {
      const want = full.subarray((b * S + N + k) * V, (b * S + N + k + 1) * V);
      const got = stepLogits[k]!.subarray(b * V, (b + 1) * V);
      decodeDiff = Math.max(decodeDiff, maxAbsDiff(got, want));
    }
  }
  // The timed path: maskedLmLoss with the LM head over the loss rows (logitRows).
  const batch = { input, targets, lossMask };
  const rowsTrain = (b: Backend | BackendName): { loss: number; grad: Float32Array } =>
    withBackend(b, () => {
      model.params.zeroGrad();
      const loss = maskedLmLoss(model, batch, { train: true });
      backward(loss);
      return { loss: loss.item(), grad: model.params.grad.slice() };
    });
  const rowsNograd = (b: Backend | BackendName): number => withBackend(b, () => noGrad(() => maskedLmLoss(model, batch).item()));
  const rRef = rowsTrain('reference'), rSel = rowsTrain(selected);
  model.params.zeroGrad();
  const rowsLossDiff = Math.abs(rSel.loss - rRef.loss);
  const rowsGradDiff = maxAbsDiff(rSel.grad, rRef.grad) / Math.max(maxAbs(rRef.grad), 1e-30);
  const rowsNogradDiff = Math.abs(rowsNograd(selected) - rowsNograd('reference'));
  // Quantized inference: the same quantized weights on both backends.
  const quantDiff: Record<string, number> = {};
  for (const kind of ['int8', 'bf16'] as QuantKind[]) {
    withBackend('reference', () => model.quantize(kind));
    const want = inferPass('reference', input);
    quantDiff[kind] = maxAbsDiff(inferPass(selected, input), want) / Math.max(maxAbs(want), 1e-30);
  }
  model.quantize(null);
  const ok = logitsDiff <= LOGITS_TOL && gradDiff <= GRAD_REL_TOL && nogradDiff <= LOGITS_TOL && decodeDiff <= LOGITS_TOL &&
    Number.isFinite(sel.loss) && Math.abs(sel.loss - ref.loss) <= LOGITS_TOL &&
    Number.isFinite(rSel.loss) && rowsLossDiff <= LOGITS_TOL && rowsGradDiff <= GRAD_REL_TOL && rowsNogradDiff <= LOGITS_TOL &&
    Object.entries(quantDiff).every(([k, d]) => d <= QUANT_LOGITS_REL_TOL[k as QuantKind]);
  return {
    ...sh,
    logits_max_abs_diff: logitsDiff,
    grad_max_rel_diff: gradDiff,
    loss_abs_diff: Math.abs(sel.loss - ref.loss),
    nograd_logits_max_abs_diff: nogradDiff,
    decode_logits_max_abs_diff: decodeDiff,
    loss_rows_train_loss_abs_diff: rowsLossDiff,
    loss_rows_grad_max_rel_diff: rowsGradDiff,
    loss_rows_nograd_loss_abs_diff: rowsNogradDiff,
    quant_logits_max_rel_diff: quantDiff,
    ok,
  };
}

/** Checks `selected` (a backend or its name) against the reference backend on `shapes`. */
export function selfCheck(selected: Backend | BackendName, shapes_: readonly SelfCheckShape[] = SELFCHECK_SHAPES): SelfCheckResult {
  const t0 = performance.now();
  const shapes = shapes_.map((sh) => checkShape(selected, sh));
  return {
    backend: typeof selected === 'string' ? selected : selected.name,
    reference: 'reference',
    tolerances: { logits_abs: LOGITS_TOL, grad_rel: GRAD_REL_TOL, quant_logits_rel: QUANT_LOGITS_REL_TOL },
    shapes,
    ok: shapes.every((s) => s.ok),
    ms: Math.round(performance.now() - t0),
  };
}
