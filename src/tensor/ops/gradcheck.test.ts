/**
 * Finite-difference gradient checks for every autograd op, on every backend under test.
 *
 * For an op f and fixed random weights w, L(x) = Σ f(x)·w; the analytic dL/dx from backward()
 * is compared with the central difference (L(x + h·e_i) − L(x − h·e_i)) / 2h on sampled
 * coordinates of every input. float32 forward passes limit the precision, hence h = 1e-2 and a
 * relative tolerance of 2e-2 (a wrong backward is off by O(1)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../../backend/index.js';
import { GELU_ERF, GELU_TANH } from '../../backend/backend.js';
import { Tensor, backward, intTensor } from '../tensor.js';
import { add, mul, scale, sum } from './elementwise.js';
import { bmm, linear, matmul } from './linalg.js';
import { concat, permute, reshape, slice, transpose } from './shape.js';
import { crossEntropy, dropout, embeddingSum, gelu, layerNorm, linearGelu, selfAttention, setDropoutSeed, softmax } from './nn.js';
import { backwardSentinel } from './arena.js';
import { randomArray, testBackends } from '../../testing/helpers.js';

let seedCounter = 1;
function param(shape: number[], scaleBy = 1, offset = 0): Tensor {
  const data = randomArray(shape.reduce((a, b) => a * b, 1), seedCounter++ * 7919, scaleBy);
  if (offset) for (let i = 0; i < data.length; i++) data[i] = data[i]! + offset;
  return new Tensor(data, shape, true);
}

/** Checks dL/d(input) for every input of `f` by central differences. */
function gradCheck(label: string, inputs: Tensor[], f: () => Tensor, samples = 12, h = 1e-2, tol = 2e-2): void {
  setDropoutSeed(42);
  const out0 = f();
  const w = randomArray(out0.size, 99991);
  const lossOf = (): number => {
    setDropoutSeed(42);
    const o = f().f32;
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i]! * w[i]!;
    return s;
  };
  for (const t of inputs) t.grad = null;
  setDropoutSeed(42);
  const out = f();
  backward(out, w);
  inputs.forEach((t, k) => {
    const g = t.grad!;
    assert.ok(g, `${label}: input ${k} got no gradient`);
    const d = t.f32;
    const n = Math.min(samples, d.length);
    for (let s = 0; s < n; s++) {
      const i = Math.floor(((s + 0.5) / n) * d.length);
      const orig = d[i]!;
      d[i] = orig + h;
      const lp = lossOf();
      d[i] = orig - h;
      const lm = lossOf();
      d[i] = orig;
      const num = (lp - lm) / (2 * h);
      const err = Math.abs(num - g[i]!);
      assert.ok(err <= tol * Math.max(1, Math.abs(num)), `${label}: input ${k}[${i}] analytic ${g[i]} vs numeric ${num}`);
    }
  });
}

for (const be of testBackends()) {
  const run = (name: string, fn: () => void): void => {
    test(`[${be.name}] gradcheck ${name}`, () => withBackend(be, fn));
  };

  run('matmul, all transpose combinations', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = param(transA ? [5, 4] : [4, 5]);
        const b = param(transB ? [3, 5] : [5, 3]);
        gradCheck(`matmul tA=${transA} tB=${transB}`, [a, b], () => matmul(a, b, { transA, transB }));
      }
    }
    const a3 = param([2, 3, 5]), b2 = param([5, 4]);
    gradCheck('matmul with leading dims', [a3, b2], () => matmul(a3, b2));
  });

  run('bmm, all transpose combinations', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = param(transA ? [3, 5, 4] : [3, 4, 5]);
        const b = param(transB ? [3, 2, 5] : [3, 5, 2]);
        gradCheck(`bmm tA=${transA} tB=${transB}`, [a, b], () => bmm(a, b, { transA, transB }));
      }
    }
  });

  run('matmul backward on the nonzero gradient rows only (LM head under a loss mask)', () => {
    // m·n·k = 2^24 reaches the sparse-row path; half the rows are outside the loss mask, so
    // their logits gradients are exactly zero and the products run on the other half.
    const R = 64, V = 1024, H = 256;
    const x = param([R, H], 0.5), emb = param([V, H], 0.5);
    const targets = Int32Array.from({ length: R }, (_, i) => (i * 37) % V);
    const lossMask = Float32Array.from({ length: R }, (_, i) => (i % 4 < 2 ? 1 : 0));
    gradCheck('matmul sparse rows', [x, emb], () => crossEntropy(matmul(x, emb, { transB: true }), targets, lossMask), 4, 1e-2, 3e-2);
    // Rows outside the mask get exactly zero gradient; rows inside match the dense products.
    x.grad = null;
    emb.grad = null;
    backward(crossEntropy(matmul(x, emb, { transB: true }), targets, lossMask));
    const gx = x.grad!, ge = emb.grad!;
    for (let r = 0; r < R; r++) {
      if (lossMask[r]) continue;
      for (let c = 0; c < H; c++) assert.equal(gx[r * H + c], 0, `row ${r} outside the mask has a gradient`);
    }
    // Dense reference: dX = dLogits·E and dE = dLogitsᵀ·X with the explicit softmax gradient.
    const den = lossMask.reduce((p, q) => p + q, 0);
    const dl = new Float64Array(R * V);
    for (let r = 0; r < R; r++) {
      if (!lossMask[r]) continue;
      let mx = -Infinity;
      const lg = new Float64Array(V);
      for (let c = 0; c < V; c++) {
        let acc = 0;
        for (let h = 0; h < H; h++) acc += x.f32[r * H + h]! * emb.f32[c * H + h]!;
        lg[c] = acc;
        mx = Math.max(mx, acc);
      }
      let sum = 0;
      for (let c = 0; c < V; c++) sum += Math.exp(lg[c]! - mx);
      for (let c = 0; c < V; c++) dl[r * V + c] = (Math.exp(lg[c]! - mx) / sum - (c === targets[r] ? 1 : 0)) / den;
    }
    for (const [r, c] of [[0, 0], [1, 255], [5, 100], [60, 17]] as const) {
      let want = 0;
      for (let v = 0; v < V; v++) want += dl[r * V + v]! * emb.f32[v * H + c]!;
      assert.ok(Math.abs(gx[r * H + c]! - want) <= 1e-5 + 1e-3 * Math.abs(want), `dX[${r},${c}] ${gx[r * H + c]} vs ${want}`);
    }
    for (const [v, c] of [[0, 0], [37, 3], [1023, 255], [500, 128]] as const) {
      let want = 0;
      for (let r = 0; r < R; r++) want += dl[r * V + v]! * x.f32[r * H + c]!;
      assert.ok(Math.abs(ge[v * H + c]! - want) <= 1e-5 + 1e-3 * Math.abs(want), `dE[${v},${c}] ${ge[v * H + c]} vs ${want}`);
    }
  });

  run('backward sentinel (identity that reports backward)', () => {
    const x = param([3, 4]);
    let calls = 0;
    gradCheck('sentinel', [x], () => mul(backwardSentinel(x, () => calls++), x));
    assert.ok(calls >= 1, 'onBackward ran');
  });

  run('linear (x·Wᵀ + b)', () => {
    const x = param([2, 3, 6]), w = param([4, 6]), b = param([4]);
    gradCheck('linear', [x, w, b], () => linear(x, w, b));
  });

  run('add / mul with broadcasting, scale, sum', () => {
    const a = param([3, 4]), b = param([4]), c = param([3, 1]), d = param([3, 4]);
    gradCheck('add bias-broadcast', [a, b], () => add(a, b));
    gradCheck('add column-broadcast', [a, c], () => add(c, a));
    gradCheck('add same shape', [a, d], () => add(a, d));
    gradCheck('mul broadcast', [a, b], () => mul(a, b));
    gradCheck('mul same shape', [a, d], () => mul(a, d));
    gradCheck('mul column-broadcast', [c, a], () => mul(c, a));
    gradCheck('scale', [a], () => scale(a, -2.5));
    gradCheck('sum', [a], () => sum(a));
  });

  run('layerNorm (x, γ, β)', () => {
    const x = param([4, 8], 2), g = param([8], 1, 1.5), b = param([8]);
    gradCheck('layerNorm', [x, g, b], () => layerNorm(x, g, b, 1e-5), 20);
  });

  run('gelu erf and tanh, fused linear + gelu', () => {
    const x = param([5, 7], 3);
    gradCheck('gelu erf', [x], () => gelu(x, GELU_ERF));
    gradCheck('gelu tanh', [x], () => gelu(x, GELU_TANH));
    const xi = param([3, 5]), w = param([6, 5]), b = param([6]);
    gradCheck('linearGelu erf', [xi, w, b], () => linearGelu(xi, w, b, GELU_ERF));
    gradCheck('linearGelu tanh', [xi, w, b], () => linearGelu(xi, w, b, GELU_TANH));
  });

  run('softmax with and without a mask', () => {
    const x = param([4, 6], 2);
    const m = new Tensor(Float32Array.from({ length: 24 }, (_, i) => (i % 6 <= Math.floor(i / 6) + 1 ? 1 : 0)), [4, 6]);
    gradCheck('softmax', [x], () => softmax(x));
    gradCheck('softmax masked', [x], () => softmax(x, m));
  });

  run('dropout with a fixed seed', () => {
    const x = param([6, 10]);
    gradCheck('dropout p=0.3', [x], () => dropout(x, 0.3, 1234));
  });

  run('embedding sum (gather + scatter-add gradient, repeated ids)', () => {
    const t1 = param([7, 4]), t2 = param([5, 4]);
    const ids1 = intTensor([1, 3, 3, 0, 6, 1], [2, 3]), ids2 = intTensor([0, 0, 4, 2, 2, 2], [2, 3]);
    gradCheck('embeddingSum', [t1, t2], () => embeddingSum([t1, t2], [ids1, ids2]), 28);
  });

  run('fused self-attention under sep, explicit and no mask, with dropout', () => {
    const B = 2, S = 5, H = 8, N = 2;
    const qkv = param([B, S, 3 * H]);
    gradCheck('attention sep', [qkv], () => selfAttention(qkv, { heads: N, mask: { kind: 'sep', sep: Int32Array.of(3, 0) } }), 40);
    const explicit = Float32Array.from({ length: B * S * S }, (_, i) => ((i * 7) % 3 === 0 ? 0 : 1));
    gradCheck('attention explicit', [qkv], () => selfAttention(qkv, { heads: N, mask: { kind: 'explicit', mask: explicit } }), 40);
    gradCheck('attention none', [qkv], () => selfAttention(qkv, { heads: N, mask: { kind: 'none' } }), 40);
    gradCheck('attention dropout', [qkv], () => selfAttention(qkv, { heads: N, mask: { kind: 'sep', sep: Int32Array.of(2, 4) }, dropoutP: 0.2 }), 40);
  });

  run('cross-entropy over a loss mask, with and without label smoothing', () => {
    const logits = param([6, 9], 2);
    const targets = Int32Array.of(1, 8, 0, 4, 4, 2), lossMask = Float32Array.of(1, 0, 1, 1, 0, 1);
    gradCheck('crossEntropy', [logits], () => crossEntropy(logits, targets, lossMask), 30);
    gradCheck('crossEntropy smoothed', [logits], () => crossEntropy(logits, targets, lossMask, 0.1), 30);
  });

  run('reshape, permute / transpose, slice, concat', () => {
    const x = param([2, 3, 4]);
    gradCheck('reshape', [x], () => reshape(x, [6, -1]));
    gradCheck('permute', [x], () => permute(x, [2, 0, 1]));
    gradCheck('transpose', [x], () => transpose(x, 0, 2));
    gradCheck('slice', [x], () => slice(x, 1, 1, 3));
    const y = param([2, 2, 4]);
    gradCheck('concat', [x, y], () => concat([x, y], 1));
  });
}
