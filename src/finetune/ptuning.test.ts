/**
 * P-tuning (continuous prompts): the pattern's fixed tokens take the embeddings of a prompt
 * encoder (LSTM or MLP over trainable embeddings). With the model frozen, gradients reach the
 * encoder only; the encoder's gradient through the whole model matches finite differences; a
 * fine-tuned folder saves and reloads the encoder and scores the same; a few steps lower the loss.
 */
import { fileWriter, writeReviewFiles } from '../testing/review-files.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { saveModel } from '../io/checkpoint.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { encodeCloze, getPvp, type ClozeTask, type EncodedCloze } from '../tasks/index.js';
import { AdamW } from '../train/optimizer.js';
import { clozeBatchScores, clozeLoss } from './cloze.js';
import { PromptEncoder, type SpellFunc } from './prompt-encoder.js';
import { runFinetune } from './run.js';
import { runEval } from './evaluate.js';
import { loadFinetuned, readFinetuneInfo, saveFinetuned, type FinetuneInfo } from './model-dir.js';
import { resolveTask } from './task-file.js';
import { tokensOf } from './setup.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ptuning-'));
test.after(() => fs.rmSync(root, { recursive: true, force: true }));
const write = fileWriter(root);
writeReviewFiles(root, 3);
const taskFile = (name: string, verbalizer: Record<string, string>, template: string): string => write(`${name}.json`, JSON.stringify({
  name, labels: ['neg', 'pos'], textFields: ['text'], pattern: { template, verbalizer },
  files: { train: 'train.jsonl', validation: 'dev.jsonl', test: 'dev.jsonl' },
}));
const single = taskFile('single', { neg: ' bad', pos: ' good' }, '{text} It was [MASK].');
const multi = taskFile('multi', { neg: ' thumbs down', pos: ' thumbs up' }, '{text} All in all, verdict: [MASK].');

const config = makeConfig({ num_layers: 2, vocab_size: 128, hidden_size: 16, num_attention_heads: 2, max_sequence_length: 48 });
const modelDir = path.join(root, 'base');
saveModel(new GLMModel(config).initialize(3), modelDir);
const quiet = { progress: false, log: (): void => {} };
const tok = new ToyTokenizer();
const tokens = tokensOf(tok);

function encoded(file: string, split: 'train' | 'validation' = 'train'): EncodedCloze[] {
  const t = resolveTask(file) as ClozeTask;
  return t.load(split).map((e) => encodeCloze(getPvp(t), e, tok, { maxSeqLength: 48 }));
}
const freshModel = (): GLMModel => new GLMModel(config).initialize(3);
const encoder = (f: SpellFunc, n = 8): PromptEncoder => new PromptEncoder(config.hidden_size, { spellLength: n, spellFunc: f }).initialize(0.5, 11);
const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test('encodeCloze marks the pattern\'s fixed tokens as prompt positions', () => {
  const e = encoded(single)[0]!;
  // [CLS] the film was great  It was [MASK] . [eos]: " It", " was", "." are the pattern's own text.
  assert.deepEqual(e.promptPositions, [5, 6, 8]);
  assert.equal(e.maskPosition, 7);
});

for (const [file, label] of [[single, 'single-token'], [multi, 'multi-token']] as const) {
  for (const f of ['lstm', 'mlp', 'none'] as const) {
    test(`frozen model (${label}, ${f}): gradients reach only the prompt encoder`, () => {
      const model = freshModel();
      for (const [, p] of model.params.entries()) p.requiresGrad = false;
      const enc = encoder(f);
      model.params.zeroGrad();
      enc.store.zeroGrad();
      backward(clozeLoss(model, encoded(file).slice(0, 4), tokens, { prompt: enc, train: false }));
      assert.equal(maxAbs(model.params.grad), 0, 'a frozen model parameter got a gradient');
      for (const [name, t] of enc.store.entries()) assert.ok(maxAbs(t.grad!) > 0, `${name} got no gradient`);
    });
  }
}

test('unfrozen: the model gets gradients too (the frozen check above can fail)', () => {
  const model = freshModel();
  const enc = encoder('lstm');
  model.params.zeroGrad();
  backward(clozeLoss(model, encoded(single).slice(0, 4), tokens, { prompt: enc, train: false }));
  assert.ok(maxAbs(model.params.get('word_embeddings.weight').grad!) > 0);
  assert.ok(maxAbs(enc.store.get('prompt_spell.spell_embeddings.weight').grad!) > 0);
});

test('the encoder\'s gradient through the frozen model matches finite differences', () => {
  const model = freshModel();
  for (const [, p] of model.params.entries()) p.requiresGrad = false;
  const enc = encoder('lstm');
  const batch = [...encoded(single).slice(0, 2), ...encoded(multi).slice(0, 2)];
  const lossOf = (): number => noGrad(() => clozeLoss(model, batch, tokens, { prompt: enc, train: false }).item());
  enc.store.zeroGrad();
  backward(clozeLoss(model, batch, tokens, { prompt: enc, train: false }));
  const h = 1e-2;
  for (const name of ['prompt_spell.spell_embeddings.weight', 'prompt_spell.lstm_head.weight_hh_l1_reverse', 'prompt_spell.mlp_head.0.bias']) {
    const t = enc.store.get(name);
    for (const i of [0, Math.floor(t.size / 2), t.size - 1]) {
      const o = t.f32[i]!;
      t.f32[i] = o + h;
      const lp = lossOf();
      t.f32[i] = o - h;
      const lm = lossOf();
      t.f32[i] = o;
      const num = (lp - lm) / (2 * h);
      assert.ok(Math.abs(num - t.grad![i]!) <= 2e-2 * Math.max(1, Math.abs(num)) + 1e-4, `${name}[${i}]: analytic ${t.grad![i]} vs numeric ${num}`);
    }
  }
});

test('a few AdamW steps on the prompt encoder alone lower the loss', () => {
  // Weights of a larger scale than the N(0, 0.02) start, so the frozen model's output depends on its input.
  const model = new GLMModel(makeConfig({ ...config, initializer_range: 0.3 })).initialize(3);
  for (const [, p] of model.params.entries()) p.requiresGrad = false;
  const enc = encoder('lstm');
  // Mostly " good": a prompt alone can move the frozen model's answer towards it (with balanced
  // labels the best a text-blind prompt can do is ln 2, where an untrained model already is).
  const all = encoded(single);
  const batch = [...all.filter((e) => e.gold === 1), all.find((e) => e.gold === 0)!];
  const lossOf = (): number => noGrad(() => clozeLoss(model, batch, tokens, { prompt: enc, train: false }).item());
  const before = lossOf();
  const opt = new AdamW(enc.store, { lr: 3e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  for (let s = 0; s < 30; s++) {
    enc.store.zeroGrad();
    backward(clozeLoss(model, batch, tokens, { prompt: enc, train: false }));
    opt.update(1, 3e-2);
  }
  const after = lossOf();
  assert.ok(after < 0.85 * before, `loss ${before} → ${after}`);
});

test('saveFinetuned / loadFinetuned keep the prompt encoder: same scores after reload', () => {
  const model = freshModel();
  const enc = encoder('lstm', 8);
  const dir = path.join(root, 'saved');
  const info: FinetuneInfo = { format: 'glm-ts-finetune', version: 1, task: single, baseModel: modelDir, mode: 'ptuning', epoch: 1, ptuning: { ...enc.spec, freezeModel: true } };
  saveFinetuned(dir, model, info, enc);
  const back = loadFinetuned(dir);
  assert.ok(back.prompt);
  assert.deepEqual(back.prompt.spec, enc.spec);
  for (const [name, t] of enc.store.entries()) assert.deepEqual(back.prompt.store.get(name).f32, t.f32, name);
  const batch = [...encoded(single), ...encoded(multi)];
  const a = noGrad(() => clozeBatchScores(model, batch, tokens, { prompt: enc }).logProbs());
  const b = noGrad(() => clozeBatchScores(back.model, batch, tokens, { prompt: back.prompt! }).logProbs());
  assert.deepEqual(b, a);
  // The prompt changes the scores (so the comparison above is not vacuous).
  const plain = noGrad(() => clozeBatchScores(model, batch, tokens).logProbs());
  assert.notDeepEqual(plain, a);
  // finetune.json without its encoder tensors is a named error.
  const bad = path.join(root, 'no-encoder');
  saveFinetuned(bad, model, info);
  assert.throws(() => loadFinetuned(bad), /prompt encoder but prompt_spell\.spell_embeddings\.weight is missing/);
});

test('runFinetune --mode ptuning --freeze-model: the folder reloads, glm eval gives the saved validation score, the model is unchanged', async () => {
  const out = path.join(root, 'pt');
  const r = await runFinetune({ model: modelDir, task: multi, mode: 'ptuning', freezeModel: true, spellFunc: 'lstm', tokenizer: tok, out, epochs: 3, batch: 5, lr: 1e-2, warmup: 0, ...quiet });
  assert.equal(r.mode, 'ptuning');
  const info = readFinetuneInfo(out)!;
  assert.equal(info.mode, 'ptuning');
  // Default spell_length: the pattern's prompt tokens " All" " in" " all" "," " verdict" ":" ".".
  assert.deepEqual(info.ptuning, { spellLength: 7, spellFunc: 'lstm', freezeModel: true });
  const loaded = loadFinetuned(out);
  assert.ok(loaded.prompt);
  const base = loadFinetuned(modelDir).model;
  for (const [name, t] of base.params.entries()) assert.deepEqual(loaded.model.params.get(name).f32, t.f32, `frozen ${name} changed`);
  const ev = await runEval({ model: out, task: multi, split: 'validation', tokenizer: tok });
  assert.equal(ev.mode, 'ptuning');
  assert.equal(ev.metrics['accuracy'], info.score);
  const zs = await runEval({ model: out, task: multi, split: 'validation', tokenizer: tok, zeroShot: true });
  assert.equal(zs.mode, 'zero-shot-cloze');
});

test('--freeze-model without ptuning, and a spell_length below the pattern\'s prompt tokens, are named errors', async () => {
  await assert.rejects(runFinetune({ model: modelDir, task: single, freezeModel: true, tokenizer: tok, out: path.join(root, 'x'), ...quiet }), /--freeze-model needs --mode ptuning/);
  await assert.rejects(runFinetune({ model: modelDir, task: single, spellFunc: 'mlp', tokenizer: tok, out: path.join(root, 'z'), ...quiet }), /--spell-length and --spell-func need --mode ptuning/);
  await assert.rejects(runFinetune({ model: modelDir, task: single, mode: 'ptuning', spellLength: 2, tokenizer: tok, out: path.join(root, 'y'), ...quiet }), (e: Error & { code?: string }) => e.code === 'E_PTUNING_SPELL_LENGTH');
});
