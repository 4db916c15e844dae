/**
 * Finite-difference gradient checks of the fine-tuning ops (gatherRows, gatherFlat, tanh, scaleBy,
 * and choiceLoss in its four kinds over groups of different sizes), plus choiceLoss values
 * against direct formulas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, backward } from '../tensor.js';
import { randomArray } from '../../testing/helpers.js';
import { choiceLoss, gatherFlat, gatherRows, scaleBy, tanh, type ChoiceLoss } from './scoring.js';

/** L = Σ f(x)·w; compares dL/dx with central differences at every coordinate (float64 math where it matters). */
function gradCheck(label: string, x: Tensor, f: (x: Tensor) => Tensor): void {
  const out = f(x);
  const w = randomArray(out.size, 99);
  const L = (): number => {
    const y = f(x).f32;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * w[i]!;
    return s;
  };
  x.grad = null;
  backward(f(x), w);
  const g = x.grad!;
  const h = 1e-2;
  for (let i = 0; i < x.size; i++) {
    const v = x.f32[i]!;
    x.f32[i] = v + h;
    const up = L();
    x.f32[i] = v - h;
    const down = L();
    x.f32[i] = v;
    const num = (up - down) / (2 * h);
    assert.ok(Math.abs(num - g[i]!) <= 2e-2 * Math.max(1, Math.abs(num)), `${label}: d/dx[${i}] analytic ${g[i]} vs numeric ${num}`);
  }
}

const param = (n: number, shape: number[], seed: number, s = 1): Tensor => new Tensor(randomArray(n, seed, s), shape, true);

test('gatherRows, gatherFlat, tanh and scaleBy have correct gradients', () => {
  gradCheck('gatherRows', param(24, [2, 3, 4], 1), (x) => gatherRows(x, Int32Array.of(5, 0, 5, 2)));
  gradCheck('gatherFlat', param(12, [3, 4], 2), (x) => gatherFlat(x, Int32Array.of(11, 3, 3, 0)));
  gradCheck('tanh', param(10, [10], 3, 2), tanh);
  gradCheck('scaleBy', param(4, [4], 4), (x) => scaleBy(x, Float32Array.of(1, 0.5, -2, 0.25)));
});

test('choiceLoss: values match the formulas and gradients match finite differences, for groups of different sizes', () => {
  const groups = [[0, 1], [2, 3, 4], [5, 6, 7, 8]];
  const gold = [1, 0, 3];
  const s = Array.from(randomArray(9, 5, 2));
  const lse = (xs: number[]): number => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((z, x) => z + Math.exp(x - m), 0));
  };
  const ce = groups.reduce((t, g, e) => t + lse(g.map((i) => s[i]!)) - s[g[gold[e]!]!]!, 0) / 3;
  const gen = groups.reduce((t, g, e) => t - s[g[gold[e]!]!]!, 0) / 3;
  const hinge = groups.reduce((t, g, e) => t + g.reduce((u, i) => (i === g[gold[e]!] ? u : u + Math.max(0, 1 - s[g[gold[e]!]!]! + s[i]!)), 0), 0) / 3;
  const want: Record<ChoiceLoss, number> = { cross_entropy: ce, generative: gen, mix: ce + gen, hinge };
  for (const kind of ['cross_entropy', 'generative', 'mix', 'hinge'] as ChoiceLoss[]) {
    const x = new Tensor(Float32Array.from(s), [9], true);
    assert.ok(Math.abs(choiceLoss(x, groups, gold, kind).item() - want[kind]) < 1e-5, kind);
    gradCheck(`choiceLoss ${kind}`, x, (t) => choiceLoss(t, groups, gold, kind));
  }
  assert.throws(() => choiceLoss(new Tensor(new Float32Array(2), [2], true), [[0, 1]], [2]), /gold 2 outside/);
});
