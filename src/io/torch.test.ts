/**
 * PyTorch checkpoints: fixtures written by real torch.save (scripts/make-fixtures/torch_checkpoints.py)
 * load to identical tensors; malicious pickles are refused and nothing runs; truncated and
 * corrupt archives, wrong dtypes give clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TorchCheckpoint, flattenTensors } from './torch.js';
import { PyInert, type PyValue } from './pickle.js';
import { writeTorchCheckpoint } from './torch-writer.js';
import { ZipReader, crc32 } from './zip.js';
import { readAll } from './safetensors.js';
import { GlmError } from '../util/errors.js';
import { repoRoot } from '../testing/helpers.js';

const fx = (...p: string[]): string => path.join(repoRoot(), 'test-fixtures', 'torch', ...p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-torch-'));
const MARKER = '/tmp/glm-ts-pickle-pwned';

function expectCode(fn: () => unknown, code: string, pattern?: RegExp): GlmError {
  let err: GlmError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlmError, `expected GlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    err = e;
    return true;
  });
  return err!;
}

function readAllTorch(file: string): Map<string, { shape: number[]; dtype: string; data: Float32Array }> {
  const c = TorchCheckpoint.open(file);
  try {
    const out = new Map<string, { shape: number[]; dtype: string; data: Float32Array }>();
    for (const [k, t] of flattenTensors(c.root)) {
      const data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      c.readFloat32(t, data, k);
      out.set(k, { shape: t.shape, dtype: t.storage.dtype, data });
    }
    return out;
  } finally {
    c.close();
  }
}

test('pytorch_model.bin written by torch.save loads to tensors identical to expected.safetensors', () => {
  const got = readAllTorch(fx('pytorch_model.bin'));
  const want = readAll(fx('expected.safetensors'));
  assert.deepEqual([...got.keys()], Object.keys(want));
  for (const [k, t] of got) {
    assert.equal(t.dtype, 'F32');
    assert.deepEqual(t.shape, want[k]!.shape, k);
    assert.deepEqual(t.data, want[k]!.data, k);
  }
});

test('F16 (legacy format) and BF16 checkpoints widen exactly to float32', () => {
  const want = readAll(fx('expected.safetensors'));
  const f16 = readAllTorch(fx('legacy_f16.bin'));
  const bf16 = readAllTorch(fx('bf16.bin'));
  const roundF16 = (x: number): number => {
    const b = new Float32Array([x]);
    // round-to-nearest-even into binary16 via Math.fround of the scaled mantissa
    const e = Math.floor(Math.log2(Math.abs(b[0]!)));
    const q = 2 ** (Math.max(e, -14) - 10);
    const r = Math.round(b[0]! / q);
    return (Math.abs(b[0]! / q - Math.trunc(b[0]! / q)) === 0.5 ? 2 * Math.round(b[0]! / q / 2) : r) * q;
  };
  const roundBf16 = (x: number): number => {
    const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
    const r = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16;
    return new Float32Array(new Uint32Array([r >>> 0]).buffer)[0]!;
  };
  for (const [k, w] of Object.entries(want)) {
    const a = f16.get(k)!, b = bf16.get(k)!;
    assert.equal(a.dtype, 'F16');
    assert.equal(b.dtype, 'BF16');
    for (let i = 0; i < w.data.length; i++) {
      const x = (w.data as Float32Array)[i]!;
      assert.equal(a.data[i], Math.fround(roundF16(x)), `${k}[${i}] f16`);
      assert.equal(b.data[i], roundBf16(x), `${k}[${i}] bf16`);
    }
  }
});

test('dtypes, strided and offset views, shared storages, 0-d tensors and Parameters', () => {
  const want = JSON.parse(fs.readFileSync(fx('views.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
  const c = TorchCheckpoint.open(fx('views.bin'));
  try {
    const refs = flattenTensors(c.root);
    assert.deepEqual([...refs.keys()], Object.keys(want));
    for (const [k, t] of refs) {
      assert.deepEqual(t.shape, want[k]!.shape, k);
      if (k === 'i64') {
        expectCode(() => c.readFloat32(t, new Float32Array(5), k), 'E_CHECKPOINT_DTYPE', /tensor i64 is I64/);
        continue;
      }
      const out = new Float32Array(want[k]!.values.length);
      c.readFloat32(t, out, k);
      assert.deepEqual([...out], want[k]!.values.map((v) => Math.fround(v)), k);
    }
    assert.equal(refs.get('shared_a')!.storage, refs.get('shared_b')!.storage, 'one storage shared by two views');
  } finally {
    c.close();
  }
});

test('malicious pickles (os.system via GLOBAL, exec via STACK_GLOBAL) are refused by name and nothing runs', () => {
  fs.rmSync(MARKER, { force: true });
  const a = expectCode(() => TorchCheckpoint.open(fx('evil_reduce.bin')), 'E_PICKLE_GLOBAL', /posix\.system/);
  assert.equal(a.details?.['global'], 'posix.system');
  expectCode(() => TorchCheckpoint.open(fx('evil_exec.bin')), 'E_PICKLE_GLOBAL', /builtins\.exec/);
  assert.equal(fs.existsSync(MARKER), false, 'the payload must not have run');
});

test('mp_rank_00_model_states.pt: args and RNG state become inert records only when allowed', () => {
  const file = fx('megatron', '7', 'mp_rank_00_model_states.pt');
  expectCode(() => TorchCheckpoint.open(file), 'E_PICKLE_GLOBAL', /argparse\.Namespace|numpy/);
  const c = TorchCheckpoint.open(file, { inertGlobals: ['argparse.Namespace', 'numpy.core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype'] });
  try {
    const root = c.root as Map<PyValue, PyValue>;
    assert.equal(root.get('iteration'), 7);
    const args = root.get('args');
    assert.ok(args instanceof PyInert);
    assert.equal((args.state as Map<PyValue, PyValue>).get('num_attention_heads'), 2);
    assert.equal(flattenTensors(root.get('module')!).size, 29);
  } finally {
    c.close();
  }
});

test('truncated zip, corrupted data and non-checkpoint files give clear errors', () => {
  const bytes = fs.readFileSync(fx('pytorch_model.bin'));
  const cut = path.join(tmp, 'cut.bin');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
  expectCode(() => TorchCheckpoint.open(cut), 'E_ZIP_TRUNCATED', /truncated/);
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  expectCode(() => TorchCheckpoint.open(cut), 'E_ZIP_TRUNCATED');
  // Flip one byte inside the first storage: the CRC-32 check catches it when the tensor is read.
  const c0 = TorchCheckpoint.open(fx('pytorch_model.bin'));
  const first = [...flattenTensors(c0.root).values()][0]!;
  c0.close();
  const bad = Buffer.from(bytes);
  const z = ZipReader.open(fx('pytorch_model.bin'));
  const entry = [...z.entries.values()].find((e) => e.name.endsWith(`/data/${first.storage.key}`))!;
  const at = z.dataOffset(entry) + 17;
  z.close();
  bad[at] = bad[at]! ^ 0xff;
  const badFile = path.join(tmp, 'bad.bin');
  fs.writeFileSync(badFile, bad);
  const c = TorchCheckpoint.open(badFile);
  try {
    const t = [...flattenTensors(c.root).values()][0]!;
    expectCode(() => c.readFloat32(t, new Float32Array(t.shape.reduce((a, b) => a * b, 1))), 'E_ZIP_CRC', /corrupt/);
  } finally {
    c.close();
  }
  const text = path.join(tmp, 'text.bin');
  fs.writeFileSync(text, 'hello, not a checkpoint');
  expectCode(() => TorchCheckpoint.open(text), 'E_TORCH_FORMAT');
  const legacy = fs.readFileSync(fx('legacy_f16.bin'));
  fs.writeFileSync(cut, legacy.subarray(0, legacy.length - 10));
  expectCode(() => TorchCheckpoint.open(cut), 'E_TORCH_TRUNCATED');
});

test('the torch writer round-trips, and torch.load reads its files when PyTorch is installed', () => {
  const file = path.join(tmp, 'w.bin');
  const a = Float32Array.from({ length: 12 }, (_, i) => i * 0.25 - 1);
  writeTorchCheckpoint(file, { 'x.weight': { shape: [3, 4], data: a }, scalar: { shape: [], data: Float32Array.of(2.5) } });
  const got = readAllTorch(file);
  assert.deepEqual(got.get('x.weight')!.data, a);
  assert.deepEqual(got.get('scalar')!.shape, []);
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const py = spawnSync('/usr/bin/python3', ['-c', `import torch; sd = torch.load(${JSON.stringify(file)}); print(sd['x.weight'].sum().item(), list(sd['scalar'].shape))`], { encoding: 'utf8' });
  if (py.status === 0) assert.equal(py.stdout.trim(), '4.5 []');
  else assert.ok(py.error || /No module named/.test(py.stderr), `python3 failed: ${py.stderr}`);
});
