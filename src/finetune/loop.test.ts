/**
 * The fine-tuning loop: step count per epoch, linear warmup then linear decay to 0 (spec §5.1),
 * one gradient-norm clip across every store, AdamW moving the parameters, maxSteps, and the best
 * epoch (by validation score) being the one saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParamStore } from '../model/params.js';
import { add, mul, sum } from '../tensor/ops/elementwise.js';
import { runFinetuneLoop, type FinetuneJob } from './loop.js';

function job(scores: number[], saved: number[]): FinetuneJob<number> & { a: ParamStore; b: ParamStore } {
  const a = new ParamStore([{ name: 'w', shape: [3], decay: true, init: 'ones' }]);
  const b = new ParamStore([{ name: 'v', shape: [2], decay: false, init: 'ones' }]);
  a.get('w').f32.set([1, -2, 3]);
  b.get('v').f32.set([4, 0.5]);
  return {
    a, b, train: [0, 1, 2, 3, 4], stores: [a, b], tokensOf: () => 1,
    // Σw² + Σv²: gradient norm 2·sqrt(Σw² + Σv²) = 2·sqrt(30.25) = 11 at the start.
    loss: () => {
      const w = a.get('w'), v = b.get('v');
      return add(sum(mul(w, w)), sum(mul(v, v)));
    },
    evaluate: async (epoch) => ({ score: scores[epoch - 1]!, metrics: { epoch } }),
    save: (_dir, info) => void saved.push(info.epoch),
  };
}

test('steps, linear warmup + decay, clipping across stores, best epoch saved', async () => {
  const saved: number[] = [];
  const j = job([0.5, 0.7, 0.6], saved);
  const steps: { step: number; epoch: number; lr: number; gradNorm: number }[] = [];
  const r = await runFinetuneLoop(j, { epochs: 3, batchSize: 2, lr: 0.1, warmup: 0.25, weightDecay: 0, seed: 1, bestDir: '/unused', progress: false, log: () => {}, onStep: (s) => steps.push(s) });
  // 5 items, batch 2 → 3 steps per epoch, 9 in all; warm = 0.25·9 = 2.25 steps.
  assert.equal(r.steps, 9);
  assert.deepEqual(steps.map((s) => s.epoch), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
  const want = steps.map((_, it) => (it <= 2.25 ? (0.1 * it) / 2.25 : 0.1 * (1 - (it - 2.25) / (9 - 2.25))));
  steps.forEach((s, i) => assert.ok(Math.abs(s.lr - want[i]!) < 1e-12, `step ${i}: lr ${s.lr} vs ${want[i]}`));
  assert.ok(Math.abs(steps[0]!.gradNorm - 11) < 1e-5, 'one norm over both stores');
  assert.ok(steps[steps.length - 1]!.lr > 0 && steps[steps.length - 1]!.lr < 0.02);
  assert.deepEqual(saved, [1, 2], 'saved when the validation score improves');
  assert.equal(r.bestEpoch, 2);
  assert.equal(r.bestScore, 0.7);
  // Both stores moved towards 0.
  assert.ok(Math.abs(j.a.get('w').f32[2]!) < 3 && Math.abs(j.b.get('v').f32[0]!) < 4);
  const capped = await runFinetuneLoop(job([1, 1, 1], []), { epochs: 3, batchSize: 2, lr: 0.1, warmup: 0, weightDecay: 0, seed: 1, maxSteps: 4, progress: false, log: () => {} });
  assert.equal(capped.steps, 4);
  assert.equal(capped.epochs.length, 2);
});
