/** `glm convert`: HF-layout export with original key names, shapes and dtypes; round trips to identical logits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertCheckpoint } from './export.js';
import { loadCheckpoint } from '../io/hf.js';
import { loadFolder } from '../io/checkpoint.js';
import { readAll, readSafetensorsHeader, f32ToBf16Bits, f32ToF16Bits, f16BitsToF32, bf16BitsToF32 } from '../io/safetensors.js';
import { GlmError } from '../util/errors.js';
import { noGrad } from '../tensor/tensor.js';
import { trainTokenizer } from '../tokenizer/train/train.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { ModelInput } from '../model/inputs.js';
import { goldenDir, repoRoot } from '../testing/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-export-'));
const fx = (...p: string[]): string => path.join(repoRoot(), 'test-fixtures', 'torch', ...p);

function tinyInput(): ModelInput {
  const f = readAll(goldenDir('tiny', 'forward.safetensors'));
  return { batch: 3, seqLen: 28, inputIds: Int32Array.from(f['input_ids']!.data as Int32Array), positionIds: Int32Array.from(f['position_ids']!.data as Int32Array), mask: { sep: Int32Array.from(f['sep']!.data as Int32Array) } };
}

test('golden tiny → glm convert → load gives identical logits; names, shapes and dtype are the original ones', () => {
  const out = path.join(tmp, 'tiny-f32');
  const report = convertCheckpoint(goldenDir('tiny'), out, { dtype: 'f32' });
  assert.equal(report.tensors, 29);
  const src = readSafetensorsHeader(goldenDir('tiny', 'model.safetensors'));
  const dst = readSafetensorsHeader(path.join(out, 'model.safetensors'));
  assert.deepEqual([...dst.tensors.keys()].sort(), [...src.tensors.keys()].sort());
  for (const [k, t] of src.tensors) {
    assert.deepEqual(dst.tensors.get(k)!.shape, t.shape, k);
    assert.equal(dst.tensors.get(k)!.dtype, 'F32');
  }
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(cfg.model_type, 'glm');
  assert.equal(cfg.torch_dtype, 'float32');
  assert.deepEqual(cfg.architectures, ['GLMModel']);
  assert.equal(cfg.auto_map.AutoModelForSeq2SeqLM, 'modeling_glm.GLMForConditionalGeneration');
  for (const f of ['num_layers', 'hidden_size', 'num_attention_heads', 'vocab_size', 'max_sequence_length', 'checkpoint_activations', 'pool_token']) assert.ok(f in cfg, f);
  const a = loadFolder(goldenDir('tiny')).model;
  const b = loadCheckpoint(out).model;
  const input = tinyInput();
  const la = noGrad(() => a.forward(input).logits.f32);
  const lb = noGrad(() => b.forward(input).logits.f32);
  assert.deepEqual(lb, la, 'identical logits');
  assert.deepEqual(b.config, { ...a.config, extra: b.config.extra });
});

test('--dtype f16 / bf16 write rounded values the loader widens back exactly', () => {
  const ref = readAll(goldenDir('tiny', 'model.safetensors'));
  for (const [dtype, enc, dec] of [['f16', f32ToF16Bits, f16BitsToF32], ['bf16', f32ToBf16Bits, bf16BitsToF32]] as const) {
    const out = path.join(tmp, `tiny-${dtype}`);
    convertCheckpoint(goldenDir('tiny'), out, { dtype });
    const h = readSafetensorsHeader(path.join(out, 'model.safetensors'));
    assert.ok([...h.tensors.values()].every((t) => t.dtype === dtype.toUpperCase()));
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).torch_dtype, dtype === 'f16' ? 'float16' : 'bfloat16');
    const { model, report } = loadCheckpoint(out);
    assert.deepEqual(report.dtypes, { [dtype.toUpperCase()]: 29 });
    for (const [name, t] of model.params.entries()) {
      const src = ref[name]!.data as Float32Array;
      for (let i = 0; i < src.length; i += 7) assert.equal(t.f32[i], dec(enc(src[i]!)), `${name}[${i}]`);
    }
  }
});

test('mp_rank_00 (F16, inferred config) with a trained tokenizer → HF folder that loads with its tokenizer', () => {
  const corpus = path.join(tmp, 'c.txt');
  fs.writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log.\n'.repeat(50));
  const tokDir = path.join(tmp, 'tok');
  trainTokenizer({ type: 'wordpiece', vocabSize: 40, data: [corpus], out: tokDir });
  const out = path.join(tmp, 'meg');
  const report = convertCheckpoint(fx('megatron'), out, { tokenizer: tokDir });
  assert.equal(report.format, 'megatron');
  assert.equal(report.dtype, 'f16', 'the source dtype is kept by default');
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(cfg.gelu, 'tanh');
  assert.equal(cfg.special_token_ids.MASK, loadTokenizer(tokDir).special.mask);
  const tok = loadTokenizer(out);
  assert.deepEqual(tok.encode('the cat [MASK] on the mat'), loadTokenizer(tokDir).encode('the cat [MASK] on the mat'));
  const a = loadCheckpoint(fx('megatron')).model;
  const b = loadCheckpoint(out).model;
  assert.deepEqual(b.params.data, a.params.data, 'F16 → F16 is lossless');
  assert.equal(b.config.gelu, 'tanh');
  // A second conversion of the output is byte-identical.
  convertCheckpoint(out, path.join(tmp, 'meg2'));
  assert.deepEqual(fs.readFileSync(path.join(tmp, 'meg2', 'model.safetensors')), fs.readFileSync(path.join(out, 'model.safetensors')));
});

test('a tokenizer larger than the model vocabulary, and bad sources, are refused', () => {
  assert.throws(() => convertCheckpoint(goldenDir('tiny'), path.join(tmp, 'x'), { tokenizer: 'gpt2' }), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKENIZER_MISMATCH' && /50266 tokens.*160/.test(e.message));
  assert.equal(fs.existsSync(path.join(tmp, 'x', 'model.safetensors')), false, 'nothing is written when validation fails');
  assert.throws(() => convertCheckpoint(fx('wrong_dtype.bin'), path.join(tmp, 'y')), (e: unknown) => e instanceof GlmError && e.code === 'E_CHECKPOINT_DTYPE');
  assert.throws(() => convertCheckpoint(fx('evil_reduce.bin'), path.join(tmp, 'z')), (e: unknown) => e instanceof GlmError && e.code === 'E_PICKLE_GLOBAL');
});
