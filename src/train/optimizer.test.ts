/** AdamW and gradient clipping against golden tiny/adamw.safetensors, on every backend. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { readAll, readSafetensorsHeader } from '../io/safetensors.js';
import { loadFolder } from '../io/checkpoint.js';
import { ParamStore } from '../model/params.js';
import { AdamW, clipCoefficient } from './optimizer.js';
import { goldenDir, maxAbsDiff, testBackends } from '../testing/helpers.js';

const golden = readAll(goldenDir('tiny', 'adamw.safetensors'));
const forward = readAll(goldenDir('tiny', 'forward.safetensors'));
const g = (k: string): Float32Array => golden[k]!.data as Float32Array;

for (const be of testBackends()) {
  test(`[${be.name}] clipping + 3 AdamW steps on the tiny model (golden tiny/adamw step1/step3)`, () => withBackend(be, () => {
    const { model } = loadFolder(goldenDir('tiny'));
    const store = model.params;
    for (const [name, t] of store.entries()) t.grad!.set(forward[`grad.${name}`]!.data as Float32Array);
    const { norm, coef } = clipCoefficient(store.grad, 1.0);
    assert.ok(Math.abs(norm - g('grad_norm_preclip')[0]!) <= 1e-5 * norm, `grad norm ${norm}`);
    assert.ok(Math.abs(coef - g('clip_coef')[0]!) <= 1e-5 * coef, `clip coef ${coef}`);
    // The golden no-decay group is exactly the biases and LayerNorm parameters.
    const noDecay = store.specs.filter((s) => !s.decay).map((s) => s.name).sort();
    const goldenNoDecay = (readSafetensorsHeader(goldenDir('tiny', 'adamw.safetensors')).metadata['no_decay'] ?? '').split(',').sort();
    assert.deepEqual(noDecay, goldenNoDecay);
    const opt = new AdamW(store, { lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1 });
    for (let step = 1; step <= 3; step++) {
      opt.update(coef);
      if (step === 1 || step === 3) {
        for (const [name, t] of store.entries()) {
          const d = maxAbsDiff(t.f32, g(`step${step}.${name}`));
          assert.ok(d <= 1e-5, `step ${step} ${name}: ${d}`);
        }
      }
    }
  }));

  test(`[${be.name}] AdamW with changing gradients, decay and no-decay groups (golden vec.*)`, () => withBackend(be, () => {
    const store = new ParamStore([
      { name: 'decay', shape: [12], decay: true, init: 'zeros' },
      { name: 'no_decay', shape: [4], decay: false, init: 'zeros' },
    ]);
    store.get('decay').f32.set(g('vec.init.decay'));
    store.get('no_decay').f32.set(g('vec.init.no_decay'));
    const opt = new AdamW(store, { lr: 1e-2, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1 });
    for (let t = 0; t < 5; t++) {
      store.get('decay').grad!.set(g('vec.grads.decay').subarray(t * 12, t * 12 + 12));
      store.get('no_decay').grad!.set(g('vec.grads.no_decay').subarray(t * 4, t * 4 + 4));
      opt.update();
      assert.ok(maxAbsDiff(store.get('decay').f32, g('vec.params.decay').subarray(t * 12, t * 12 + 12)) <= 1e-5, `decay step ${t + 1}`);
      assert.ok(maxAbsDiff(store.get('no_decay').f32, g('vec.params.no_decay').subarray(t * 4, t * 4 + 4)) <= 1e-5, `no_decay step ${t + 1}`);
    }
  }));
}

