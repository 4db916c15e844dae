import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectFiles, shardFiles } from './select.js';
import { isGlmError } from '../util/errors.js';

test('weights: safetensors before bin, an index when there is no single file; tokenizer files and *.model; never code', () => {
  const both = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'modeling_glm.py', 'vocab.txt', 'spiece.model', 'onnx/model.onnx', 'sub/x.model'];
  assert.deepEqual(selectFiles('o/n', both), { files: ['config.json', 'model.safetensors', 'vocab.txt', 'spiece.model'], index: undefined });
  const sharded = ['config.json', 'pytorch_model.bin.index.json', 'pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'vocab.json', 'merges.txt'];
  const sel = selectFiles('o/n', sharded);
  assert.deepEqual(sel, { files: ['config.json', 'pytorch_model.bin.index.json', 'vocab.json', 'merges.txt'], index: 'pytorch_model.bin.index.json' });
  const index = JSON.stringify({ weight_map: { a: 'pytorch_model-00001-of-00002.bin', b: 'pytorch_model-00002-of-00002.bin', c: 'pytorch_model-00001-of-00002.bin' } });
  assert.deepEqual(shardFiles('o/n', sel.index!, index, sharded), ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']);
});

test('repositories glm-ts cannot load and bad indexes are named errors', () => {
  assert.throws(() => selectFiles('o/n', ['README.md', 'model.safetensors']), (e: unknown) => isGlmError(e, 'E_HUB_NOT_A_MODEL') && /o\/n has no config\.json/.test((e as Error).message));
  assert.throws(() => selectFiles('o/n', ['config.json', 'tf_model.h5']), (e: unknown) => isGlmError(e, 'E_HUB_NO_WEIGHTS'));
  const files = ['config.json', 'model.safetensors.index.json', 'model-1.safetensors'];
  assert.throws(() => shardFiles('o/n', 'model.safetensors.index.json', '{', files), (e: unknown) => isGlmError(e, 'E_HUB_INDEX'));
  assert.throws(() => shardFiles('o/n', 'model.safetensors.index.json', '{"weight_map": {"a": "model-2.safetensors"}}', files), (e: unknown) => isGlmError(e, 'E_HUB_INDEX') && /model-2/.test((e as Error).message));
  assert.throws(() => shardFiles('o/n', 'model.safetensors.index.json', '{"weight_map": {"a": "../../x"}}', files), (e: unknown) => isGlmError(e, 'E_HUB_INDEX') && /invalid shard/.test((e as Error).message));
});
