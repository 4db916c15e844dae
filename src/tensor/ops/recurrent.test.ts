/**
 * Finite-difference gradient checks for the prompt-encoder ops (as gradcheck.test.ts does for the
 * others): L(x) = Σ f(x)·w, analytic dL/dx against central differences on every coordinate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, backward } from '../tensor.js';
import { add, mul } from './elementwise.js';
import { linear } from './linalg.js';
import { slice } from './shape.js';
import { tanh } from './scoring.js';
import { relu, replaceRows, sigmoid } from './recurrent.js';
import { randomArray } from '../../testing/helpers.js';

let seed = 1;
const param = (shape: number[], s = 1): Tensor => new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed++ * 7919, s), shape, true);

function gradCheck(label: string, inputs: Tensor[], f: () => Tensor, h = 1e-2, tol = 2e-2): void {
  const w = randomArray(f().size, 99991);
  const lossOf = (): number => f().f32.reduce((s, v, i) => s + v * w[i]!, 0);
  for (const t of inputs) t.grad = null;
  backward(f(), w);
  inputs.forEach((t, k) => {
    const g = t.grad!;
    assert.ok(g, `${label}: input ${k} got no gradient`);
    const d = t.f32;
    for (let i = 0; i < d.length; i++) {
      const o = d[i]!;
      d[i] = o + h;
      const lp = lossOf();
      d[i] = o - h;
      const lm = lossOf();
      d[i] = o;
      const num = (lp - lm) / (2 * h);
      assert.ok(Math.abs(num - g[i]!) <= tol * Math.max(1, Math.abs(num)), `${label}: input ${k}[${i}] analytic ${g[i]} vs numeric ${num}`);
    }
  });
}

test('gradcheck sigmoid', () => {
  const x = param([3, 4], 2);
  gradCheck('sigmoid', [x], () => sigmoid(x));
});

test('gradcheck relu (away from the kink)', () => {
  const x = param([3, 5], 2);
  for (let i = 0; i < x.size; i++) if (Math.abs(x.f32[i]!) < 0.05) x.f32[i] = 0.3;
  gradCheck('relu', [x], () => relu(x));
});

test('gradcheck replaceRows: replaced rows take the values\' gradient, the others x\'s', () => {
  const x = param([2, 4, 3]), v = param([2, 3]);
  const rows = Int32Array.from([1, 6, 4]), src = Int32Array.from([0, 1, 0]);
  gradCheck('replaceRows', [x, v], () => replaceRows(x, rows, v, src));
  x.grad = null;
  v.grad = null;
  const y = replaceRows(x, rows, v, src);
  assert.deepEqual(Array.from(y.f32.subarray(18, 21)), Array.from(v.f32.subarray(3, 6)));
  assert.deepEqual(Array.from(y.f32.subarray(0, 3)), Array.from(x.f32.subarray(0, 3)));
  backward(y, new Float32Array(y.size).fill(1));
  assert.deepEqual(Array.from(x.grad!.subarray(3, 6)), [0, 0, 0]);
  assert.deepEqual(Array.from(v.grad!.subarray(0, 3)), [2, 2, 2]);
  assert.throws(() => replaceRows(x, Int32Array.from([1, 1]), v), /twice/);
  assert.throws(() => replaceRows(x, Int32Array.from([8]), v), /outside/);
});

test('gradcheck an LSTM cell composed of linear, slice, sigmoid, tanh, mul, add', () => {
  const H = 3;
  const xt = param([1, 4]), h0 = param([1, H]), c0 = param([1, H]);
  const wih = param([4 * H, 4], 0.5), whh = param([4 * H, H], 0.5), b = param([4 * H], 0.5);
  const cell = (): Tensor => {
    const gates = add(linear(xt, wih, b), linear(h0, whh, null));
    const gate = (k: number): Tensor => slice(gates, 1, k * H, (k + 1) * H);
    const c = add(mul(sigmoid(gate(1)), c0), mul(sigmoid(gate(0)), tanh(gate(2))));
    return mul(sigmoid(gate(3)), tanh(c));
  };
  gradCheck('lstm cell', [xt, h0, c0, wih, whh, b], cell);
});
