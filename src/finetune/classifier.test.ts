/**
 * Classifier head (spec §5.2): pooling rows for cls / start / pad, the head's math against a
 * direct computation for both variants, the hub key names in the saved file, a round trip through
 * saveFinetuned / loadFinetuned, refusals of stray or missing tensors, and a short training run
 * that fits a toy task with the model and head updated by their own AdamW.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { noGrad, backward } from '../tensor/tensor.js';
import { isGlmError } from '../util/errors.js';
import { loadFolder, saveModel } from '../io/checkpoint.js';
import { readSafetensorsHeader, readAll, writeSafetensors } from '../io/safetensors.js';
import { AdamW } from '../train/optimizer.js';
import { generationTokens } from '../generate/tokens.js';
import { encodeClassifier } from '../tasks/index.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { ClassifierHead, classifierBatch, classifierLogits, classifierLoss } from './classifier.js';
import { loadFinetuned, saveFinetuned, type FinetuneInfo } from './model-dir.js';

const tinyGlm = (seed: number): GLMModel => new GLMModel(makeConfig({ num_layers: 2, vocab_size: 128, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 64 })).initialize(seed);
const tok = new ToyTokenizer();
const tokens = generationTokens(tok.special);
const TEXTS = ['a lovely day', 'rain again and again', 'sunny', 'grey skies all week long'];
const enc = TEXTS.map((t, i) => encodeClassifier({ a: t }, i % 2, tok, 32));

test('pool rows: cls = 0, pad = sep − 1 (the eos), start = an appended [sop] at index sep', () => {
  const lens = enc.map((e) => e.tokens.length);
  const S = Math.max(...lens);
  assert.deepEqual([...classifierBatch(enc, tokens, 'cls').pooled], enc.map((_, b) => b * S));
  const pad = classifierBatch(enc, tokens, 'pad');
  assert.deepEqual([...pad.pooled], lens.map((l, b) => b * S + l - 1));
  pad.pooled.forEach((r) => assert.equal(pad.input.inputIds[r], tok.special.eos));
  const start = classifierBatch(enc, tokens, 'start');
  const S1 = S + 1;
  assert.deepEqual([...start.pooled], lens.map((l, b) => b * S1 + l));
  start.pooled.forEach((r, b) => {
    assert.equal(start.input.inputIds[r], tok.special.sop);
    assert.equal(start.input.positionIds[b * 2 * S1 + S1 + lens[b]!], 1, 'block position 1');
  });
  assert.deepEqual([...(start.input.mask as { sep: Int32Array }).sep], lens);
});

test('both head variants compute out_proj(tanh(dense(h))) at evaluation (no dropout); bad head options are refused', () => {
  const model = tinyGlm(1);
  for (const variant of ['orig', 'hub'] as const) {
    const head = new ClassifierHead(32, { variant, pool: 'cls', numLabels: 3 }).initialize(0.5, 7);
    const logits = noGrad(() => classifierLogits(model, head, enc, tokens, false)).f32;
    const { input, pooled } = classifierBatch(enc, tokens, 'cls');
    const hidden = noGrad(() => model.forward(input).hidden).f32;
    const W = (n: string): Float32Array => head.store.get(n).f32;
    pooled.forEach((r, b) => {
      const h = hidden.subarray(r * 32, (r + 1) * 32);
      const d = Array.from({ length: 32 }, (_, i) => Math.tanh(W('dense.bias')[i]! + h.reduce((s, x, j) => s + x * W('dense.weight')[i * 32 + j]!, 0)));
      for (let l = 0; l < 3; l++) {
        const want = W('out_proj.bias')[l]! + d.reduce((s, x, j) => s + x * W('out_proj.weight')[l * 32 + j]!, 0);
        assert.ok(Math.abs(logits[b * 3 + l]! - want) < 1e-4, `${variant} b${b} l${l}`);
      }
    });
  }
  assert.throws(() => new ClassifierHead(32, { variant: 'x' as 'orig', pool: 'cls', numLabels: 2 }), (e) => isGlmError(e, 'E_FINETUNE_OPTION'));
  assert.throws(() => new ClassifierHead(32, { variant: 'orig', pool: 'cls', numLabels: 1 }), (e) => isGlmError(e, 'E_FINETUNE_OPTION'));
});

test('a short run fits a toy task; the head is saved under hub names and loads back exactly; stray tensors are refused', () => {
  const model = tinyGlm(2);
  const head = new ClassifierHead(32, { variant: 'hub', pool: 'cls', numLabels: 2 }).initialize(0.02, 3);
  const opts = [new AdamW(model.params, { lr: 3e-3, weightDecay: 0 }), new AdamW(head.store, { lr: 3e-3, weightDecay: 0 })];
  const before = head.store.get('out_proj.weight').f32.slice();
  for (let i = 0; i < 40; i++) {
    model.params.zeroGrad();
    head.store.zeroGrad();
    backward(classifierLoss(model, head, enc, tokens, false));
    for (const o of opts) o.update();
  }
  assert.notDeepEqual(head.store.get('out_proj.weight').f32, before);
  const logits = noGrad(() => classifierLogits(model, head, enc, tokens, false)).f32;
  enc.forEach((e, b) => assert.equal(logits[b * 2 + e.label!]! > logits[b * 2 + 1 - e.label!]!, true, `example ${b} fitted`));

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-head-'));
  const base = path.join(root, 'base');
  saveModel(model, base);
  const dir = path.join(root, 'tuned');
  const info: FinetuneInfo = { format: 'glm-ts-finetune', version: 1, task: 'toy', mode: 'classifier', labels: ['0', '1'], head: head.spec, epoch: 1, baseModel: base };
  saveFinetuned(dir, model, info, head);
  const names = [...readSafetensorsHeader(path.join(dir, 'model.safetensors')).tensors.keys()];
  for (const k of ['dense.weight', 'dense.bias', 'out_proj.weight', 'out_proj.bias']) assert.ok(names.includes(k), k);
  const back = loadFinetuned(dir);
  assert.equal(back.info?.mode, 'classifier');
  const again = noGrad(() => classifierLogits(back.model, back.head!, enc, tokens, false)).f32;
  assert.deepEqual(again, logits);
  // Without the head loader, the extra tensors are refused (no silent dropping).
  assert.throws(() => loadFolder(dir), (e) => isGlmError(e, 'E_CHECKPOINT_UNEXPECTED_TENSOR'));

  // A stray tensor besides the head, or a missing head tensor, is an error naming it.
  const all = readAll(path.join(dir, 'model.safetensors'));
  const rewrite = (edit: (m: Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>) => void): void => {
    const m = new Map(Object.entries(all).map(([k, t]) => [k, { dtype: 'F32' as const, shape: [...t.shape], data: t.data as Float32Array }]));
    edit(m);
    writeSafetensors(path.join(dir, 'model.safetensors'), m);
  };
  rewrite((m) => m.set('pooler.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }));
  assert.throws(() => loadFinetuned(dir), (e) => isGlmError(e, 'E_CHECKPOINT_UNEXPECTED_TENSOR') && /pooler\.weight/.test((e as Error).message));
  rewrite((m) => m.delete('out_proj.bias'));
  assert.throws(() => loadFinetuned(dir), (e) => isGlmError(e, 'E_CHECKPOINT_MISSING_TENSOR') && /out_proj\.bias/.test((e as Error).message));
});
