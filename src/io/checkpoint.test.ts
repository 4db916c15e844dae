/** Bad checkpoints and bad inputs get clear, named errors (never random weights). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { loadFolder, saveModel } from './checkpoint.js';
import { readAll, writeSafetensors } from './safetensors.js';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import type { ModelInput } from '../model/inputs.js';
import { goldenDir, maxAbsDiff } from '../testing/helpers.js';
import { expectGlmError as expectCode } from '../testing/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ckpt-'));

function copyTiny(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(goldenDir('tiny', f), path.join(dir, f));
  return dir;
}

test('a config whose sizes do not match the weights names the tensor and both shapes', () => {
  const dir = copyTiny('wrong-config');
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  cfg.hidden_size = 32;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_SHAPE', /word_embeddings\.weight has shape \[160, 64\].*\[160, 32\]/);
});

test('more layers in config.json than in the file: the missing tensors are listed', () => {
  const dir = copyTiny('more-layers');
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  cfg.num_layers = 3;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_MISSING_TENSOR', /transformer\.layers\.2\.input_layernorm\.weight/);
});

test('a missing tensor is named', () => {
  const dir = copyTiny('missing');
  const all = readAll(path.join(dir, 'model.safetensors'));
  delete all['transformer.final_layernorm.bias'];
  writeSafetensors(path.join(dir, 'model.safetensors'), Object.fromEntries(Object.entries(all).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data as Float32Array }])));
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_MISSING_TENSOR', /transformer\.final_layernorm\.bias/);
});

test('an unexpected tensor is refused unless allowed; the glm. prefix is accepted', () => {
  const dir = copyTiny('prefixed');
  const all = readAll(path.join(dir, 'model.safetensors'));
  const entries = Object.entries(all).map(([k, v]) => [`glm.${k}`, { dtype: 'F32' as const, shape: v.shape, data: v.data as Float32Array }] as const);
  writeSafetensors(path.join(dir, 'model.safetensors'), Object.fromEntries([...entries, ['dense.weight', { dtype: 'F32' as const, shape: [2, 2], data: new Float32Array(4) }]]));
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_UNEXPECTED_TENSOR', /dense\.weight/);
  const { model, report } = loadFolder(dir, { allowUnexpected: true });
  assert.deepEqual(report.unexpected, ['dense.weight']);
  const ref = loadFolder(goldenDir('tiny')).model;
  assert.equal(maxAbsDiff(model.params.data, ref.params.data), 0);
});

test('a truncated or corrupted model.safetensors is detected before any weight is used', () => {
  const dir = copyTiny('truncated');
  const file = path.join(dir, 'model.safetensors');
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
  expectCode(() => loadFolder(dir), 'E_SAFETENSORS_TRUNCATED');
  const garbage = Buffer.from(bytes);
  garbage.write('{{{{not json', 8);
  fs.writeFileSync(file, garbage);
  assert.throws(() => loadFolder(dir), (e: unknown) => e instanceof GlmError && /^E_SAFETENSORS_/.test(e.code));
});

test('no config.json / no weights / bad config values are clear errors', () => {
  const dir = path.join(tmp, 'empty');
  fs.mkdirSync(dir, { recursive: true });
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_MISSING', /config\.json/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ num_layers: 2, vocab_size: 10, hidden_size: 6, num_attention_heads: 4, max_sequence_length: 8 }));
  expectCode(() => loadFolder(dir), 'E_CONFIG', /not divisible/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ num_layers: 2, vocab_size: 10, hidden_size: 8, num_attention_heads: 4, max_sequence_length: 8, gelu: 'relu' }));
  expectCode(() => loadFolder(dir), 'E_CONFIG', /gelu/);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ num_layers: 2, vocab_size: 10, hidden_size: 8, num_attention_heads: 4, max_sequence_length: 8 }));
  expectCode(() => loadFolder(dir), 'E_CHECKPOINT_MISSING', /model\.safetensors/);
});

test('save → load round trip is exact', () => {
  const model = new GLMModel(makeConfig({ num_layers: 1, vocab_size: 20, hidden_size: 8, num_attention_heads: 2, max_sequence_length: 10 })).initialize(7);
  saveModel(model, path.join(tmp, 'saved'));
  const { model: back } = loadFolder(path.join(tmp, 'saved'));
  assert.equal(maxAbsDiff(back.params.data, model.params.data), 0);
  assert.deepEqual(back.config, model.config);
});

function tinyInput(): ModelInput {
  const f = readAll(goldenDir('tiny', 'forward.safetensors'));
  return { batch: 3, seqLen: 28, inputIds: Int32Array.from(f['input_ids']!.data as Int32Array), positionIds: Int32Array.from(f['position_ids']!.data as Int32Array), mask: { sep: Int32Array.from(f['sep']!.data as Int32Array) } };
}

test('token ids outside the vocabulary are refused with their position', () => {
  const { model } = loadFolder(goldenDir('tiny'));
  const input = tinyInput();
  input.inputIds[30] = 160;
  expectCode(() => model.forward(input), 'E_TOKEN_ID', /token id 160 at \[1, 2\].*\[0, 160\)/);
  input.inputIds[30] = -1;
  expectCode(() => model.forward(input), 'E_TOKEN_ID');
});

test('positions beyond the position table are refused', () => {
  const { model } = loadFolder(goldenDir('tiny'));
  const input = tinyInput();
  input.positionIds[5] = 49; // table has max_sequence_length + 1 = 49 rows
  expectCode(() => model.forward(input), 'E_POSITION', /position 49 at \[0, 0, 5\].*49 rows/);
  const input2 = tinyInput();
  input2.positionIds[28 + 3] = 60;
  expectCode(() => model.forward(input2), 'E_POSITION', /block position 60/);
});

test('masks of the wrong shape are refused', () => {
  const { model } = loadFolder(goldenDir('tiny'));
  const input = tinyInput();
  expectCode(() => model.forward({ ...input, mask: { sep: Int32Array.of(1, 2) } }), 'E_MASK_SHAPE', /one per sample/);
  expectCode(() => model.forward({ ...input, mask: { attentionMask: new Float32Array(3 * 28 * 27), maskCols: 27 } }), 'E_MASK_SHAPE', /at least/);
  expectCode(() => model.forward({ ...input, mask: { attentionMask: new Float32Array(3 * 28 * 28 - 1), maskCols: 28 } }), 'E_MASK_SHAPE');
});
