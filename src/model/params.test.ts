/**
 * Initialisation (spec §2.5) and the `position_init: "sinusoidal"` option: the sinusoid table's
 * values and RMS, a relative shift being a rotation, every other weight unchanged, the option
 * saved with the config and refused when misspelt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GLMModel } from './glm.js';
import { configToJSON, makeConfig, parseConfig } from './config.js';
import { sinusoidalTable } from './params.js';

const sizes = { num_layers: 2, vocab_size: 97, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 40 };

test('sinusoidalTable: sin/cos columns, RMS of the normal init, shift by k = the same rotation at every row', () => {
  const h = 16, P = 50, rms = 0.02, d = new Float32Array(P * h);
  sinusoidalTable(d, h, rms);
  const s = rms * Math.SQRT2;
  assert.ok(Math.abs(d[0 * h + 0]! - 0) < 1e-7 && Math.abs(d[0 * h + 1]! - s) < 1e-7, 'row 0 = [0, s, 0, s, …]');
  const w1 = 1 / Math.pow(10000, 2 / h);
  assert.ok(Math.abs(d[7 * h + 2]! - s * Math.sin(7 * w1)) < 1e-7 && Math.abs(d[7 * h + 3]! - s * Math.cos(7 * w1)) < 1e-7);
  const mean2 = d.reduce((a, x) => a + x * x, 0) / d.length;
  assert.ok(Math.abs(Math.sqrt(mean2) - rms) < 1e-6, `rms ${Math.sqrt(mean2)}`);
  // (sin, cos) pair i at row p+k is row p's pair rotated by k·ω_i: the same map for every p.
  const k = 3;
  for (const p of [0, 10, 40]) {
    for (let i = 0; i < h / 2; i++) {
      const w = 1 / Math.pow(10000, (2 * i) / h), c = Math.cos(k * w), sn = Math.sin(k * w);
      const [a, b] = [d[p * h + 2 * i]!, d[p * h + 2 * i + 1]!];
      assert.ok(Math.abs(d[(p + k) * h + 2 * i]! - (a * c + b * sn)) < 1e-6);
      assert.ok(Math.abs(d[(p + k) * h + 2 * i + 1]! - (b * c - a * sn)) < 1e-6);
    }
  }
});

test('position_init "sinusoidal": both position tables are sinusoids, every other weight is the normal init unchanged', () => {
  const normal = new GLMModel(makeConfig(sizes)).initialize(5);
  const sin = new GLMModel(makeConfig({ ...sizes, position_init: 'sinusoidal' })).initialize(5);
  const P = sizes.max_sequence_length + 1, h = sizes.hidden_size, want = new Float32Array(P * h);
  sinusoidalTable(want, h, 0.02);
  for (const [name, t] of sin.params.entries()) {
    const other = normal.params.get(name).f32;
    if (name.includes('position_embeddings')) {
      assert.deepEqual(Array.from(t.f32), Array.from(want), name);
      assert.notDeepEqual(Array.from(t.f32), Array.from(other), name);
    } else {
      assert.deepEqual(Array.from(t.f32), Array.from(other), name);
    }
  }
});

test('position_init is saved with the config and checked when read', () => {
  const cfg = makeConfig({ ...sizes, position_init: 'sinusoidal' });
  assert.equal(parseConfig(configToJSON(cfg), 'x').position_init, 'sinusoidal');
  assert.equal(makeConfig(sizes).position_init, undefined);
  assert.throws(() => parseConfig({ ...configToJSON(cfg), position_init: 'sine' }, 'x'), /position_init must be "normal" or "sinusoidal"/);
});
