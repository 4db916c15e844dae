/**
 * maskedLmLoss computes logits only at positions with a loss (GLMModel.forward's logitRows).
 * It must give the same loss and the same gradients as crossEntropy over the full logits, with
 * label smoothing, fractional loss weights and dropout, on both backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { crossEntropy, setDropoutSeed } from '../tensor/ops/nn.js';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import { maxAbs, maxAbsDiff, testBackends } from '../testing/helpers.js';
import { lossRows, maskedLmLoss, type TrainBatch } from './step.js';

const cfg = makeConfig({ num_layers: 2, vocab_size: 97, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 40 });

function batch(): TrainBatch {
  const B = 2, S = 20, sep = Int32Array.of(13, 16);
  const ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S), targets = new Int32Array(B * S), lossMask = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      ids[b * S + s] = (b * 7 + s * 13 + 3) % cfg.vocab_size;
      targets[b * S + s] = (s * 5 + b) % cfg.vocab_size;
      const inB = s >= sep[b]!;
      lossMask[b * S + s] = inB ? (s % 3 === 0 ? 0.5 : 1) : 0;
      pos[b * 2 * S + s] = inB ? 2 : s;
      pos[b * 2 * S + S + s] = inB ? s - sep[b]! + 1 : 0;
    }
  }
  return { input: { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } }, targets, lossMask };
}

test('lossRows lists the positions with a nonzero weight', () => {
  assert.deepEqual([...lossRows(Float32Array.of(0, 1, 0, 0.5, -0, 2))], [1, 3, 5]);
  assert.equal(lossRows(new Float32Array(4)).length, 0);
});

for (const be of testBackends()) {
  test(`[${be.name}] logits at loss rows only: same loss and gradients as the full logits`, () => withBackend(be, () => {
    const model = new GLMModel(cfg).initialize(5);
    const b = batch();
    const rows = lossRows(b.lossMask);
    assert.ok(rows.length > 0 && rows.length < b.lossMask.length);
    // The selected logits are the same rows of the full logits.
    const full = noGrad(() => model.forward(b.input).logits);
    const part = noGrad(() => model.forward(b.input, { logitRows: rows }).logits);
    assert.deepEqual(part.shape, [rows.length, cfg.vocab_size]);
    const V = cfg.vocab_size;
    const picked = new Float32Array(rows.length * V);
    rows.forEach((r, n) => picked.set(full.f32.subarray(r * V, (r + 1) * V), n * V));
    assert.ok(maxAbsDiff(part.f32, picked) <= 1e-6 * maxAbs(picked));
    // Positions outside [0, B·S) are refused, naming the row.
    assert.throws(() => noGrad(() => model.forward(b.input, { logitRows: Int32Array.of(0, b.lossMask.length) })), /row 40 outside \[0, 40\)/);

    for (const smoothing of [0, 0.1]) {
      const run = (masked: boolean): { loss: number; grad: Float32Array } => {
        model.params.zeroGrad();
        setDropoutSeed(77); // dropout on: both passes draw the same masks
        const loss = masked
          ? maskedLmLoss(model, b, { train: true, labelSmoothing: smoothing })
          : crossEntropy(model.forward(b.input, { train: true }).logits, b.targets, b.lossMask, smoothing);
        const value = loss.item();
        backward(loss);
        return { loss: value, grad: model.params.grad.slice() };
      };
      const ref = run(false), got = run(true);
      assert.ok(Math.abs(got.loss - ref.loss) <= 1e-6 * Math.abs(ref.loss), `loss ${got.loss} vs ${ref.loss}`);
      assert.ok(maxAbsDiff(got.grad, ref.grad) <= 1e-5 * maxAbs(ref.grad), `gradients differ by ${maxAbsDiff(got.grad, ref.grad)}`);
    }
  }));
}

test('maskedLmLoss without any loss row is 0 with zero gradients', () => {
  const model = new GLMModel(cfg).initialize(5);
  const b = { ...batch(), lossMask: new Float32Array(40) };
  model.params.zeroGrad();
  const loss = maskedLmLoss(model, b, { train: false });
  assert.equal(loss.item(), 0);
  backward(loss);
  assert.equal(maxAbs(model.params.grad), 0);
});
