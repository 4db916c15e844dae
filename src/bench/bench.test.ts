/** The benchmark harness: batch shapes, flag handling, environment plan, and the self-check gate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, type Backend } from '../backend/index.js';
import { CLS, MASK, SOP, decodePrompt, decodeStepInput, randomBlankBatch } from './batch.js';
import { parseBenchArgs } from './options.js';
import { planEnv } from './proc.js';
import { SELFCHECK_SHAPES, selfCheck } from './selfcheck.js';
import { median } from './stats.js';
import { torchArgs, torchThroughput } from './torch.js';
import { Rng } from '../util/rng.js';

test('randomBlankBatch: Part A / Part B layout like torch_glm_bench.py', () => {
  const B = 3, S = 64, V = 100;
  const { input, targets, lossMask } = randomBlankBatch(new Rng(5), B, S, V);
  assert.equal(input.inputIds.length, B * S);
  assert.equal(input.positionIds.length, B * 2 * S);
  const sep = (input.mask as { sep: Int32Array }).sep;
  for (let b = 0; b < B; b++) {
    const s = sep[b]!, ids = input.inputIds.subarray(b * S, (b + 1) * S);
    const p0 = input.positionIds.subarray(b * 2 * S, b * 2 * S + S), p1 = input.positionIds.subarray(b * 2 * S + S, (b + 1) * 2 * S);
    assert.ok(s >= Math.floor(0.8 * S) && s < Math.ceil(0.9 * S), `sep ${s}`);
    assert.equal(ids[0], CLS);
    for (let t = 0; t < s; t++) {
      assert.equal(p0[t], t);
      assert.equal(p1[t], 0);
      assert.equal(lossMask[b * S + t], 0);
    }
    for (let t = s; t < S; t++) {
      assert.equal(lossMask[b * S + t], 1);
      assert.ok(p1[t]! >= 1 && p1[t]! <= 5);
      if (p1[t] === 1) assert.equal(ids[t], SOP); // span starts with [sop]
      else assert.equal(p0[t], p0[t - 1]); // same span, same position
      assert.equal(ids[p0[t]!], MASK); // the span's position holds a [MASK] in Part A
      assert.ok(p0[t]! >= 1 && p0[t]! < s - 1);
    }
  }
  for (const t of targets) assert.ok(t >= 10 && t < V);
});

test('decodePrompt and decodeStepInput: context + [sop] at the [MASK] position', () => {
  const { input, maskPos } = decodePrompt(new Rng(1), 2, 16, 50);
  assert.equal(input.seqLen, 17);
  assert.equal(maskPos, 8);
  assert.deepEqual(Array.from((input.mask as { sep: Int32Array }).sep), [16, 16]);
  assert.equal(input.inputIds[16], SOP);
  assert.equal(input.inputIds[8], MASK);
  assert.equal(input.positionIds[16], 8); // row 0 of [sop]
  assert.equal(input.positionIds[17 + 16], 1); // row 1 of [sop]
  const step = decodeStepInput(Int32Array.of(11, 12), maskPos, 3);
  assert.deepEqual(Array.from(step.positionIds), [8, 4, 8, 4]);
  assert.deepEqual(Array.from((step.mask as { sep: Int32Array }).sep), [0, 0]);
});

test('parseBenchArgs: default shapes (Base for train/forward, Large for decode) and overrides', () => {
  const o = parseBenchArgs([]);
  assert.deepEqual(o.cases, ['train', 'forward', 'decode']);
  const [train, , decode] = o.specs;
  assert.equal(train!.config['num_layers'], 12);
  assert.equal(train!.config['hidden_size'], 768);
  assert.equal(train!.config['max_sequence_length'], 512);
  assert.equal(train!.config['attention_dropout_prob'], 0);
  assert.equal(train!.batch, 4);
  assert.equal(decode!.config['num_layers'], 24);
  assert.equal(decode!.config['hidden_size'], 1024);
  assert.equal(decode!.config['max_sequence_length'], 257);
  assert.equal(decode!.batch, 1);
  assert.equal(o.threads, 2);
  assert.equal(o.torch, true);
  assert.equal(o.unsetOpenblasEnv, false);
  const p = parseBenchArgs(['--case', 'decode', '--config', 'base', '--layers', '2', '--gen', '5', '--no-torch', '--unset-openblas-env']);
  assert.deepEqual(p.cases, ['decode']);
  assert.equal(p.specs[0]!.config['num_layers'], 2);
  assert.equal(p.specs[0]!.config['hidden_size'], 768);
  assert.equal(p.torch, false);
  assert.equal(p.unsetOpenblasEnv, true);
  assert.throws(() => parseBenchArgs(['--case', 'nope']), /unknown case/);
  assert.throws(() => parseBenchArgs(['--hidden', '100', '--heads', '12']), /divisible/);
  assert.throws(() => parseBenchArgs(['--bogus']), /bogus/);
});

test('torchArgs: same shape, --threads 1, --cache kv for decode, score for forward', () => {
  const o = parseBenchArgs(['--warmup', '0', '--iters', '2']);
  const a = torchArgs(o.specs[1]!);
  assert.deepEqual(a.slice(0, 2), ['--mode', 'score']);
  assert.equal(a[a.indexOf('--threads') + 1], '1');
  assert.equal(a[a.indexOf('--seq') + 1], '512');
  assert.equal(a[a.indexOf('--max-seq-len') + 1], '512');
  assert.equal(a[a.indexOf('--iters') + 1], '2');
  const d = torchArgs(o.specs[2]!);
  assert.equal(d[d.indexOf('--cache') + 1], 'kv');
  assert.equal(d[d.indexOf('--context') + 1], '256');
  assert.equal(torchThroughput('decode', { results: { gen_tokens_per_s_steps: 13, ms_per_new_token_steps: 76 } })!.tokensPerS, 13);
  // LM head and thread variants: train / forward pass --lm-head; decode has no LM-head choice.
  assert.equal(a[a.indexOf('--lm-head') + 1], 'full');
  const rows = torchArgs(o.specs[0]!, 'loss-rows', 2);
  assert.equal(rows[rows.indexOf('--lm-head') + 1], 'loss-rows');
  assert.equal(rows[rows.indexOf('--threads') + 1], '2');
  assert.equal(torchArgs(o.specs[2]!, 'loss-rows').includes('--lm-head'), false);
});

test('planEnv: thread variables on both sides, --unset-openblas-env removes the tuning variables', () => {
  const base = { PATH: '/bin', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '1048576', GLM_BACKEND: 'reference' };
  const keep = planEnv(2, false, base);
  assert.equal(keep.ours['OPENBLAS_CORETYPE'], 'Haswell');
  assert.equal(keep.torch['OPENBLAS_L2_SIZE'], '1048576');
  assert.equal(keep.ours['OPENBLAS_NUM_THREADS'], '2');
  assert.equal(keep.torch['OPENBLAS_NUM_THREADS'], '2');
  assert.equal(keep.ours['GLM_BACKEND'], undefined);
  const unset = planEnv(1, true, base);
  for (const env of [unset.ours, unset.torch]) {
    assert.equal(env['OPENBLAS_CORETYPE'], undefined);
    assert.equal(env['OPENBLAS_L2_SIZE'], undefined);
    assert.equal(env['OPENBLAS_NUM_THREADS'], '1');
  }
  assert.equal(unset.record.unset_openblas_env, true);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

test('selfCheck: passes on the reference backend, fails on a subtly wrong kernel', () => {
  const tiny = [SELFCHECK_SHAPES[0]!];
  assert.equal(selfCheck('reference', tiny).ok, true);
  // A "fast" attention that ignores the sep mask beyond the causal part.
  const broken: Backend = {
    ...referenceBackend,
    name: 'native',
    attention: (a) => referenceBackend.attention({ ...a, sep: a.sep ? new Int32Array(a.sep.length) : null }),
  };
  const r = selfCheck(broken, tiny);
  assert.equal(r.ok, false);
  assert.ok(r.shapes[0]!.logits_max_abs_diff > 1e-4);
  // A GEMM that is off by a relative 1e-3 only.
  const sloppy: Backend = {
    ...referenceBackend,
    name: 'native',
    gemm: (g) => {
      referenceBackend.gemm(g);
      for (let i = 0; i < g.c.length; i += 7) g.c[i] = g.c[i]! * (1 + 1e-3);
    },
  };
  assert.equal(selfCheck(sloppy, tiny).ok, false);
});

test('countingBackend: executed FLOPs and streamed bytes of the timed region only', async () => {
  const { referenceBackend } = await import('../backend/index.js');
  const { WorkMeter, countingBackend } = await import('./work-counter.js');
  const meter = new WorkMeter();
  const be = countingBackend(referenceBackend, meter);
  const g = (m: number, n: number, k: number): void => be.gemm({ transA: false, transB: true, m, n, k, alpha: 1, a: new Float32Array(m * k), lda: k, strideA: 0, b: new Float32Array(n * k), ldb: k, strideB: 0, beta: 0, c: new Float32Array(m * n), ldc: n, strideC: 0, batch: 1 });
  g(3, 4, 5); // not counted: meter stopped
  meter.start();
  g(3, 4, 5);
  g(1, 6, 7); // matrix-vector: streams the 7×6 matrix
  meter.stop();
  g(8, 8, 8);
  assert.equal(meter.counts.flop, 2 * 3 * 4 * 5 + 2 * 6 * 7);
  assert.equal(meter.counts.gemmFlop, meter.counts.flop);
  assert.equal(meter.counts.streamedBytes, 4 * 6 * 7);
});

test('summarize: medians over all iterations of all runs of one commit, per case and sgemm path', async () => {
  const { summarize } = await import('./summary.js');
  const line = (commit: string, path: string, iter: number[], layers = 12): Record<string, unknown> => ({ case: 'train', layers, hidden: 768, batch: 4, seq: 512, commit, native: { gemm_path: path }, iter_ms: iter, ms_per_step: 1000, tokens_per_s: 2048 });
  const rows = summarize([line('a', 'avx512', [1000, 3000]), line('a', 'avx512', [2000]), line('b', 'avx512', [1]), line('a', 'openblas', [500]), line('a', 'avx512', [9], 24)], 'a');
  const own = rows.find((r) => r.gemm_path === 'avx512' && r.shape === '12x768, 4x512')!;
  assert.deepEqual([own.runs, own.samples, own.median_ms_per_step, own.median_tokens_per_s], [2, 3, 2000, 1024]);
  assert.equal(rows.find((r) => r.gemm_path === 'openblas')!.median_tokens_per_s, 4096);
  assert.equal(rows.length, 3); // the 24-layer shape is its own group
});
