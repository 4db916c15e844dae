/**
 * GLMModel reuses activation buffers between passes (src/tensor/ops/arena.ts). Reuse must never
 * change a result: recycled buffers give bit-identical gradients, and a graph that is still
 * pending (forward without backward yet) keeps its buffers while other passes run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { add } from '../tensor/ops/elementwise.js';
import { crossEntropy, setDropoutSeed } from '../tensor/ops/nn.js';
import { GLMModel } from './glm.js';
import { makeConfig } from './config.js';
import type { ModelInput } from './inputs.js';
import { maxAbs, maxAbsDiff, testBackends } from '../testing/helpers.js';

const cfg = makeConfig({ num_layers: 2, vocab_size: 97, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 40 });

function batch(seed: number): { input: ModelInput; targets: Int32Array; lossMask: Float32Array } {
  const B = 2, S = 24, sep = Int32Array.of(14 + (seed % 3), 18);
  const ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S), targets = new Int32Array(B * S), lossMask = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      ids[b * S + s] = (seed * 31 + b * 7 + s * 13) % cfg.vocab_size;
      targets[b * S + s] = (seed * 17 + s * 5 + b) % cfg.vocab_size;
      const inB = s >= sep[b]!;
      lossMask[b * S + s] = inB ? 1 : 0;
      pos[b * 2 * S + s] = inB ? 3 : s;
      pos[b * 2 * S + S + s] = inB ? s - sep[b]! + 1 : 0;
    }
  }
  return { input: { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } }, targets, lossMask };
}

function model(): GLMModel {
  return new GLMModel(cfg).initialize(11);
}

function grads(m: GLMModel, seeds: number[]): Float32Array {
  m.params.zeroGrad();
  for (const s of seeds) {
    const b = batch(s);
    setDropoutSeed(1000 + s); // dropout is on (train: true); same masks on every model
    backward(crossEntropy(m.forward(b.input, { train: true }).logits, b.targets, b.lossMask));
  }
  return m.params.grad.slice();
}

for (const be of testBackends()) {
  test(`[${be.name}] recycled activation buffers give bit-identical gradients`, () => withBackend(be, () => {
    const warm = model();
    grads(warm, [1]); // fills the arena with dirty buffers
    noGrad(() => warm.forward(batch(5).input)); // and the inference arena
    const reused = grads(warm, [2]);
    const fresh = grads(model(), [2]);
    assert.equal(maxAbsDiff(reused, fresh), 0);
  }));

  test(`[${be.name}] a pending graph keeps its buffers while other passes run`, () => withBackend(be, () => {
    const m = model();
    grads(m, [1]); // the arena now holds consumed buffers that could be recycled
    m.params.zeroGrad();
    const b2 = batch(2), b3 = batch(3);
    setDropoutSeed(1002);
    const l2 = crossEntropy(m.forward(b2.input, { train: true }).logits, b2.targets, b2.lossMask);
    setDropoutSeed(1003);
    const l3 = crossEntropy(m.forward(b3.input, { train: true }).logits, b3.targets, b3.lossMask);
    noGrad(() => m.forward(batch(4).input));
    backward(add(l2, l3));
    const together = m.params.grad.slice();
    const separate = grads(model(), [2, 3]);
    assert.ok(maxAbsDiff(together, separate) <= 1e-6 * maxAbs(separate), `max diff ${maxAbsDiff(together, separate)}`);
  }));
}
