/**
 * Parity with the PyTorch float32 reference: ../shared/golden/{tiny,small} (tolerances from its
 * README), on every backend under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withBackend } from '../backend/index.js';
import { readAll, type SafetensorsTensor } from '../io/safetensors.js';
import { loadFolder } from '../io/checkpoint.js';
import { backward } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import type { GLMModel } from './glm.js';
import type { ModelInput } from './inputs.js';
import { goldenDir, maxAbs, maxAbsDiff, testBackends } from '../testing/helpers.js';

type Golden = Record<string, SafetensorsTensor>;
const f32 = (g: Golden, k: string): Float32Array => g[k]!.data as Float32Array;
const i32 = (g: Golden, k: string): Int32Array => g[k]!.data as Int32Array;

function batchInput(g: Golden, prefix = ''): ModelInput {
  const ids = g[`${prefix}input_ids`]!;
  const [B, S] = ids.shape as [number, number];
  return { batch: B, seqLen: S, inputIds: ids.data as Int32Array, positionIds: i32(g, `${prefix}position_ids`), mask: { sep: i32(g, `${prefix}sep`) } };
}

function withGelu(model: GLMModel, gelu: 'erf' | 'tanh'): GLMModel {
  // Same weights, other GELU: a fresh model over the same ParamStore.
  return new (model.constructor as new (c: GLMModel['config'], p: GLMModel['params']) => GLMModel)({ ...model.config, gelu }, model.params);
}

const tinyForward = readAll(goldenDir('tiny', 'forward.safetensors'));
const smallForward = readAll(goldenDir('small', 'forward.safetensors'));
const explicit = readAll(goldenDir('tiny', 'explicit_mask.safetensors'));
const decode = readAll(goldenDir('tiny', 'decode.safetensors'));
const smoothing = JSON.parse(fs.readFileSync(goldenDir('tiny', 'label_smoothing.json'), 'utf8')) as Record<string, number | number[][]>;

for (const be of testBackends()) {
  const run = <T>(fn: () => T): T => withBackend(be, fn);

  test(`[${be.name}] tiny forward: logits and loss, erf and tanh (golden tiny/forward)`, () => run(() => {
    const { model } = loadFolder(goldenDir('tiny'));
    const input = batchInput(tinyForward);
    const lossMask = Float32Array.from(i32(tinyForward, 'loss_mask'));
    for (const gelu of ['erf', 'tanh'] as const) {
      const m = withGelu(model, gelu);
      const { logits } = m.forward(input);
      const d = maxAbsDiff(logits.f32, f32(tinyForward, `logits_${gelu}`));
      assert.ok(d <= 1e-4, `${gelu} logits max diff ${d}`);
      const perToken = new Float32Array(input.batch * input.seqLen);
      const loss = crossEntropy(logits, i32(tinyForward, 'targets'), lossMask, 0, perToken);
      assert.ok(Math.abs(loss.item() - f32(tinyForward, `loss_${gelu}`)[0]!) <= 1e-5, `${gelu} loss ${loss.item()}`);
      assert.ok(maxAbsDiff(perToken, f32(tinyForward, `ce_${gelu}`)) <= 1e-4, `${gelu} per-token CE`);
    }
  }));

  test(`[${be.name}] tiny gradients of the erf loss, every parameter (golden tiny/forward grad.*)`, () => run(() => {
    const { model } = loadFolder(goldenDir('tiny'));
    const input = batchInput(tinyForward);
    model.params.zeroGrad();
    const { logits } = model.forward(input);
    const loss = crossEntropy(logits, i32(tinyForward, 'targets'), Float32Array.from(i32(tinyForward, 'loss_mask')));
    backward(loss);
    for (const [name, t] of model.params.entries()) {
      const ref = f32(tinyForward, `grad.${name}`);
      const d = maxAbsDiff(t.grad!, ref);
      assert.ok(d <= 1e-3 * maxAbs(ref), `grad ${name}: max diff ${d} vs max |g| ${maxAbs(ref)}`);
    }
  }));

  test(`[${be.name}] label smoothing 0.1 (golden tiny/label_smoothing.json)`, () => run(() => {
    const input = batchInput(tinyForward);
    const { model } = loadFolder(goldenDir('tiny'));
    const lossMask = Float32Array.from(i32(tinyForward, 'loss_mask'));
    for (const gelu of ['erf', 'tanh'] as const) {
      const { logits } = withGelu(model, gelu).forward(input);
      const per = new Float32Array(input.batch * input.seqLen);
      const loss = crossEntropy(logits, i32(tinyForward, 'targets'), lossMask, 0.1, per);
      assert.ok(Math.abs(loss.item() - (smoothing[`loss_${gelu}`] as number)) <= 1e-5, `${gelu} smoothed loss ${loss.item()}`);
      assert.ok(maxAbsDiff(per, (smoothing[`per_token_${gelu}`] as number[][]).flat()) <= 1e-4, `${gelu} per-token smoothed CE`);
    }
  }));

  test(`[${be.name}] explicit 4-D mask, multiple-choice layout (golden tiny/explicit_mask)`, () => run(() => {
    const { model } = loadFolder(goldenDir('tiny'));
    const ids = explicit['input_ids']!;
    const [B, S] = ids.shape as [number, number];
    const mask = explicit['attention_mask']!;
    const { logits } = model.forward({
      batch: B, seqLen: S, inputIds: ids.data as Int32Array, positionIds: i32(explicit, 'position_ids'),
      mask: { attentionMask: mask.data as Float32Array, maskCols: mask.shape[3]! },
    });
    const d = maxAbsDiff(logits.f32, f32(explicit, 'logits'));
    assert.ok(d <= 1e-4, `explicit-mask logits max diff ${d}`);
    // Choice log-probabilities from our logits.
    const V = model.config.vocab_size, idx = i32(explicit, 'choice_index'), tok = i32(explicit, 'choice_tokens');
    const want = f32(explicit, 'choice_logprob');
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < 3; c++) {
        let lp = 0;
        for (let t = 0; t < 4; t++) {
          const pos = idx[(b * 3 + c) * 4 + t]!;
          if (pos < 0) continue;
          const row = logits.f32.subarray((b * S + pos) * V, (b * S + pos + 1) * V);
          let mx = -Infinity;
          for (const x of row) mx = Math.max(mx, x);
          let se = 0;
          for (const x of row) se += Math.exp(x - mx);
          lp += row[tok[(b * 3 + c) * 4 + t]!]! - mx - Math.log(se);
        }
        assert.ok(Math.abs(lp - want[b * 3 + c]!) <= 1e-4, `choice ${b},${c}: ${lp} vs ${want[b * 3 + c]}`);
      }
    }
  }));

  for (const kind of ['mems', 'kv'] as const) {
    test(`[${be.name}] incremental greedy decoding with a ${kind} cache (golden tiny/decode)`, () => run(() => {
      const { model } = loadFolder(goldenDir('tiny'));
      const cache = model.createCache(1, kind, true);
      const pre = batchInput(decode, 'prefill_');
      const preLogits = model.forwardIncremental(pre, cache);
      assert.ok(maxAbsDiff(preLogits.f32, f32(decode, 'prefill_logits')) <= 1e-4, 'prefill logits');
      for (let l = 0; l <= model.config.num_layers; l++) {
        assert.ok(maxAbsDiff(cache.memory(l), f32(decode, `prefill_mems.${l}`)) <= 1e-4, `prefill mems ${l}`);
      }
      const V = model.config.vocab_size;
      const argmax = (row: Float32Array): number => row.reduce((bi, x, i, a) => (x > a[bi]! ? i : bi), 0);
      const gen = [argmax(preLogits.f32.subarray(12 * V, 13 * V))];
      const stepWant = f32(decode, 'step_logits');
      const ours = new Float32Array(5 * V); // our logits for positions 12..16
      ours.set(preLogits.f32.subarray(12 * V, 13 * V), 0);
      const maskPos = 6;
      for (let k = 1; k <= 4; k++) {
        const step = model.forwardIncremental({
          batch: 1, seqLen: 1, inputIds: Int32Array.of(gen[k - 1]!), positionIds: Int32Array.of(maskPos, k + 1), mask: { sep: Int32Array.of(0) },
        }, cache);
        assert.ok(maxAbsDiff(step.f32, stepWant.subarray((k - 1) * V, k * V)) <= 1e-4, `step ${k} logits`);
        ours.set(step.f32, k * V);
        gen.push(argmax(step.f32));
      }
      assert.deepEqual(gen, [...i32(decode, 'generated_ids')]);
      for (let l = 0; l <= model.config.num_layers; l++) {
        assert.ok(maxAbsDiff(cache.memory(l), f32(decode, `final_mems.${l}`)) <= 1e-4, `final mems ${l}`);
      }
      const full = model.forward(batchInput(decode, 'full_')).logits.f32;
      assert.ok(maxAbsDiff(full, f32(decode, 'full_logits')) <= 1e-4, 'full recompute vs golden');
      // Incremental decoding equals our own full recompute (golden README: ≤ 1e-5).
      const d = maxAbsDiff(full.subarray(12 * V, 17 * V), ours);
      assert.ok(d <= 1e-5, `incremental vs full recompute: ${d}`);
    }));
  }

  test(`[${be.name}] small forward logits and loss (golden small/forward)`, () => run(() => {
    const { model } = loadFolder(goldenDir('small'));
    const input = batchInput(smallForward);
    const { logits } = model.forward(input);
    const d = maxAbsDiff(logits.f32, f32(smallForward, 'logits_erf'));
    assert.ok(d <= 2e-4, `small logits max diff ${d}`);
    const loss = crossEntropy(logits, i32(smallForward, 'targets'), Float32Array.from(i32(smallForward, 'loss_mask')));
    assert.ok(Math.abs(loss.item() - f32(smallForward, 'loss_erf')[0]!) <= 1e-5, `small loss ${loss.item()}`);
  }));
}
