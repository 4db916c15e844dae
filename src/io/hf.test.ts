/**
 * Checkpoint loading in every layout: HF folders (safetensors, pytorch_model.bin, sharded
 * indexes), the original mp_rank_00_model_states.pt; missing/unexpected keys by name; shape and
 * dtype errors; peak memory below 1.5x the checkpoint size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadCheckpoint, locateCheckpoint } from './hf.js';
import { loadFolder } from './checkpoint.js';
import { readAll, writeSafetensors } from './safetensors.js';
import { writeTorchCheckpoint } from './torch-writer.js';
import { GlmError } from '../util/errors.js';
import { goldenDir, repoRoot } from '../testing/helpers.js';
import { expectGlmError as expectCode } from '../testing/helpers.js';

const fx = (...p: string[]): string => path.join(repoRoot(), 'test-fixtures', 'torch', ...p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-hf-'));

/** A folder with the fixture config.json and the given weights file under its usual name. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) fs.copyFileSync(from, path.join(dir, to));
  return dir;
}

const expected = (): Record<string, Float32Array> => Object.fromEntries(Object.entries(readAll(fx('expected.safetensors'))).map(([k, v]) => [k, v.data as Float32Array]));

test('HF folder with pytorch_model.bin loads to exactly the saved tensors', () => {
  const dir = folder('bin', { 'config.json': fx('config.json'), 'pytorch_model.bin': fx('pytorch_model.bin') });
  const { model, report } = loadCheckpoint(dir);
  assert.equal(report.format, 'pytorch');
  assert.deepEqual(report.dtypes, { F32: 29 });
  const want = expected();
  for (const [name, t] of model.params.entries()) assert.deepEqual(t.f32, want[name], name);
  assert.equal(model.config.gelu, 'erf', 'hub-format folders default to the hub GELU');
});

test('F16 / BF16 files are widened on load; dtypes are reported', () => {
  for (const [file, dtype, tol] of [['legacy_f16.bin', 'F16', 2e-3], ['bf16.bin', 'BF16', 2e-2]] as const) {
    const dir = folder(`w-${dtype}`, { 'config.json': fx('config.json'), 'pytorch_model.bin': fx(file) });
    const { model, report } = loadCheckpoint(dir);
    assert.deepEqual(report.dtypes, { [dtype]: 29 });
    const want = expected();
    for (const [name, t] of model.params.entries()) {
      for (let i = 0; i < t.f32.length; i++) assert.ok(Math.abs(t.f32[i]! - want[name]![i]!) <= tol * Math.max(1, Math.abs(want[name]![i]!)), `${name}[${i}]`);
    }
  }
});

test('original mp_rank_00_model_states.pt: weights under "module", config inferred (heads from args, tanh GELU)', () => {
  const { model, report, location } = loadCheckpoint(fx('megatron'));
  assert.equal(report.format, 'megatron');
  assert.match(location.file, /7[\\/]mp_rank_00_model_states\.pt$/);
  assert.equal(model.config.num_layers, 2);
  assert.equal(model.config.hidden_size, 16);
  assert.equal(model.config.num_attention_heads, 2);
  assert.equal(model.config.vocab_size, 64);
  assert.equal(model.config.max_sequence_length, 16);
  assert.equal(model.config.gelu, 'tanh');
  assert.deepEqual(report.inferred, ['gelu=tanh (original checkpoints use the tanh approximation)']);
  const half = loadCheckpoint(folder('f16', { 'config.json': fx('config.json'), 'pytorch_model.bin': fx('legacy_f16.bin') })).model;
  assert.deepEqual(model.params.data, half.params.data);
  // The file directly, and an override of the inferred GELU.
  assert.equal(loadCheckpoint(fx('megatron', '7', 'mp_rank_00_model_states.pt'), { config: { gelu: 'erf' } }).model.config.gelu, 'erf');
  // Model-parallel partitions are refused with a pointer to merging.
  const mp = path.join(tmp, 'mp');
  fs.mkdirSync(mp, { recursive: true });
  fs.copyFileSync(fx('megatron', '7', 'mp_rank_00_model_states.pt'), path.join(mp, 'mp_rank_00_model_states.pt'));
  fs.copyFileSync(fx('megatron', '7', 'mp_rank_00_model_states.pt'), path.join(mp, 'mp_rank_01_model_states.pt'));
  expectCode(() => loadCheckpoint(mp), 'E_CHECKPOINT_MP', /change_mp/);
});

test('sharded safetensors and sharded pytorch indexes load; broken indexes are named', () => {
  const golden = readAll(goldenDir('tiny', 'model.safetensors'));
  const names = Object.keys(golden);
  const half = Math.floor(names.length / 2);
  const parts = [names.slice(0, half), names.slice(half)];
  const st = path.join(tmp, 'sharded-st');
  const pt = path.join(tmp, 'sharded-pt');
  for (const d of [st, pt]) {
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(goldenDir('tiny', 'config.json'), path.join(d, 'config.json'));
  }
  const mapSt: Record<string, string> = {}, mapPt: Record<string, string> = {};
  parts.forEach((ns, i) => {
    const stName = `model-0000${i + 1}-of-00002.safetensors`, ptName = `pytorch_model-0000${i + 1}-of-00002.bin`;
    writeSafetensors(path.join(st, stName), Object.fromEntries(ns.map((n) => [n, { dtype: 'F32' as const, shape: golden[n]!.shape, data: golden[n]!.data as Float32Array }])));
    writeTorchCheckpoint(path.join(pt, ptName), Object.fromEntries(ns.map((n) => [`glm.${n}`, { shape: golden[n]!.shape, data: golden[n]!.data as Float32Array }])));
    for (const n of ns) {
      mapSt[n] = stName;
      mapPt[`glm.${n}`] = ptName;
    }
  });
  fs.writeFileSync(path.join(st, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: mapSt }));
  fs.writeFileSync(path.join(pt, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: {}, weight_map: mapPt }));
  const ref = loadFolder(goldenDir('tiny')).model;
  for (const d of [st, pt]) {
    const { model, report } = loadCheckpoint(d);
    assert.equal(report.files.length, 2);
    assert.deepEqual(model.params.data, ref.params.data, d);
  }
  assert.equal(locateCheckpoint(pt).format, 'sharded-pytorch');
  const wrong = { ...mapSt, [names[0]!]: 'model-00002-of-00002.safetensors' };
  fs.writeFileSync(path.join(st, 'model.safetensors.index.json'), JSON.stringify({ weight_map: wrong }));
  expectCode(() => loadCheckpoint(st), 'E_CHECKPOINT_INDEX', new RegExp(names[0]!.replace(/\./g, '\\.')));
  fs.writeFileSync(path.join(st, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...mapSt, [names[0]!]: 'gone.safetensors' } }));
  expectCode(() => loadCheckpoint(st), 'E_CHECKPOINT_MISSING', /gone\.safetensors/);
  fs.writeFileSync(path.join(st, 'model.safetensors.index.json'), '{"weight_map": ');
  expectCode(() => loadCheckpoint(st), 'E_CHECKPOINT_INDEX');
});

test('missing and unexpected keys by name; known heads tolerated; shape mismatch, wrong dtype and truncation named', () => {
  const want = expected();
  const write = (dir: string, tensors: Record<string, Float32Array>): string => {
    const d = folder(dir, { 'config.json': fx('config.json') });
    const shapes = readAll(fx('expected.safetensors'));
    writeTorchCheckpoint(path.join(d, 'pytorch_model.bin'), Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { shape: shapes[k.replace(/^(module\.)?(glm\.)?/, '')]?.shape ?? [v.length], data: v }])));
    return d;
  };
  const withoutBias = { ...want };
  delete withoutBias['transformer.final_layernorm.bias'];
  expectCode(() => loadCheckpoint(write('missing', withoutBias)), 'E_CHECKPOINT_MISSING_TENSOR', /transformer\.final_layernorm\.bias/);
  expectCode(() => loadCheckpoint(write('unexpected', { ...want, 'mystery.weight': new Float32Array(4) })), 'E_CHECKPOINT_UNEXPECTED_TENSOR', /mystery\.weight/);
  const { report } = loadCheckpoint(write('unexpected', { ...want, 'mystery.weight': new Float32Array(4) }), { allowUnexpected: true });
  assert.deepEqual(report.unexpected, ['mystery.weight']);
  const heads = loadCheckpoint(write('heads', { ...want, 'dense.weight': new Float32Array(4), 'out_proj.bias': new Float32Array(2) }));
  assert.deepEqual(heads.report.unexpected, ['dense.weight', 'out_proj.bias'], 'glm-2b ships unused dense/out_proj (issue #178)');
  const prefixed = Object.fromEntries(Object.entries(want).map(([k, v]) => [`module.glm.${k}`, v]));
  assert.deepEqual(loadCheckpoint(write('prefixed', prefixed)).model.params.get('word_embeddings.weight').f32, want['word_embeddings.weight']);
  expectCode(() => loadCheckpoint(write('twice', { ...want, 'glm.word_embeddings.weight': want['word_embeddings.weight']! })), 'E_CHECKPOINT_KEYS', /stored twice/);
  expectCode(() => loadCheckpoint(fx('pytorch_model.bin'), { config: { hidden_size: 32, num_attention_heads: 2 } }), 'E_CHECKPOINT_SHAPE', /word_embeddings\.weight has shape \[64, 16\].*\[64, 32\]/);
  expectCode(() => loadCheckpoint(fx('wrong_dtype.bin')), 'E_CHECKPOINT_DTYPE', /word_embeddings\.weight is I64/);
  const bytes = fs.readFileSync(fx('pytorch_model.bin'));
  const cut = folder('cut', { 'config.json': fx('config.json') });
  fs.writeFileSync(path.join(cut, 'pytorch_model.bin'), bytes.subarray(0, bytes.length - 3000));
  expectCode(() => loadCheckpoint(cut), 'E_ZIP_TRUNCATED');
  expectCode(() => loadCheckpoint(path.join(tmp, 'nope')), 'E_CHECKPOINT_MISSING');
  expectCode(() => loadCheckpoint(folder('empty', { 'config.json': fx('config.json') })), 'E_CHECKPOINT_MISSING', /no weights found/);
});

test('copyEmbeddingRow copies a row (the 10B-Chinese [gMASK] 50007 → 50009 conversion)', () => {
  const { model } = loadCheckpoint(fx('pytorch_model.bin'), { copyEmbeddingRow: { from: 7, to: 9 } });
  const E = model.params.get('word_embeddings.weight').f32;
  assert.deepEqual(E.subarray(9 * 16, 10 * 16), E.subarray(7 * 16, 8 * 16));
  assert.deepEqual(E.subarray(7 * 16, 8 * 16), expected()['word_embeddings.weight']!.subarray(7 * 16, 8 * 16));
});

test('loading a 40 MB pytorch_model.bin peaks below 1.5x its size (weights stream tensor by tensor)', { timeout: 120_000 }, () => {
  const dir = path.join(tmp, 'big');
  fs.mkdirSync(dir, { recursive: true });
  // 4 layers, hidden 256, vocab 30592 (BERT-sized vocabulary): about 10.4 M parameters, 41.7 MB in F32.
  const cfg = { model_type: 'glm', num_layers: 4, hidden_size: 256, num_attention_heads: 4, vocab_size: 30592, max_sequence_length: 512 };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const script = `
    import { GLMModel } from ${JSON.stringify(path.join(repoRoot(), 'dist', 'model', 'glm.js'))};
    import { makeConfig } from ${JSON.stringify(path.join(repoRoot(), 'dist', 'model', 'config.js'))};
    import { writeTorchCheckpoint } from ${JSON.stringify(path.join(repoRoot(), 'dist', 'io', 'torch-writer.js'))};
    const m = new GLMModel(makeConfig(${JSON.stringify(cfg)})).initialize(1);
    writeTorchCheckpoint(${JSON.stringify(path.join(dir, 'pytorch_model.bin'))}, new Map(m.params.entries().map(([n, t]) => [n, { shape: t.shape, data: t.f32 }])));
  `;
  const w = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(w.status, 0, w.stderr);
  const size = fs.statSync(path.join(dir, 'pytorch_model.bin')).size;
  // Measured in a fresh process: maxRSS is the lifetime peak, so the baseline is taken after imports.
  const probe = `
    import v8 from 'node:v8'; import vm from 'node:vm';
    import { loadCheckpoint } from ${JSON.stringify(path.join(repoRoot(), 'dist', 'io', 'hf.js'))};
    v8.setFlagsFromString('--expose-gc'); const gc = vm.runInNewContext('gc'); gc();
    const before = process.resourceUsage().maxRSS * 1024;
    const { model } = loadCheckpoint(${JSON.stringify(dir)});
    const peak = process.resourceUsage().maxRSS * 1024;
    let s = 0; for (let i = 0; i < model.params.data.length; i += 4099) s += model.params.data[i];
    console.log(JSON.stringify({ before, peak, checksum: s, n: model.params.size }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { before: number; peak: number; checksum: number; n: number };
  assert.ok(size >= m.n * 4 && size < m.n * 4 + (64 << 10), `checkpoint ${size} bytes for ${m.n} F32 parameters`);
  assert.ok(Number.isFinite(m.checksum) && m.checksum !== 0, 'weights were loaded');
  const growth = m.peak - m.before;
  console.log(`# peak RSS growth ${(growth / 1048576).toFixed(1)} MB for a ${(size / 1048576).toFixed(1)} MB checkpoint (${(growth / size).toFixed(2)}x)`);
  assert.ok(growth < 1.5 * size, `peak RSS grew ${(growth / 1048576).toFixed(1)} MB for a ${(size / 1048576).toFixed(1)} MB checkpoint (limit 1.5x)`);
});
