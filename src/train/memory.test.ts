/**
 * Memory is owned by construction: 200 training steps of a small model must not grow the heap,
 * the typed-array memory or the resident set once warmed up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { withBackend } from '../backend/index.js';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import { AdamW } from './optimizer.js';
import { trainStep, type TrainBatch } from './step.js';
import { testBackends } from '../testing/helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function batch(step: number): TrainBatch {
  const B = 2, S = 48, V = 256;
  const ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S), targets = new Int32Array(B * S), lossMask = new Float32Array(B * S);
  const sep = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    sep[b] = 30 + ((step + b) % 8);
    for (let s = 0; s < S; s++) {
      ids[b * S + s] = (step * 31 + b * 7 + s * 13) % V;
      targets[b * S + s] = (step * 17 + s * 5 + b) % V;
      const inB = s >= sep[b]!;
      lossMask[b * S + s] = inB ? 1 : 0;
      pos[b * 2 * S + s] = inB ? 5 : s;
      pos[b * 2 * S + S + s] = inB ? s - sep[b]! + 1 : 0;
    }
  }
  return { input: { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } }, targets, lossMask };
}

function measure(): { rss: number; heap: number; ab: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, ab: m.arrayBuffers };
}

for (const be of testBackends()) {
  test(`[${be.name}] 200 training steps do not grow memory`, { timeout: 600_000 }, () => withBackend(be, () => {
    const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: 256, hidden_size: 64, num_attention_heads: 4, max_sequence_length: 64 })).initialize(3);
    const opt = new AdamW(model.params, { lr: 1e-3 });
    const steps = 200;
    let before = { rss: 0, heap: 0, ab: 0 };
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      if (i === 20) before = measure();
      losses.push(trainStep(model, opt, batch(i)).loss);
    }
    const after = measure();
    const mb = (x: number): string => (x / 1048576).toFixed(2) + ' MB';
    // Per step the model allocates ~3 MB of activations; a leak of one step's buffers would show.
    assert.ok(after.ab - before.ab < 1 * 1048576, `arrayBuffers grew ${mb(after.ab - before.ab)}`);
    assert.ok(after.heap - before.heap < 4 * 1048576, `JS heap grew ${mb(after.heap - before.heap)}`);
    assert.ok(after.rss - before.rss < 24 * 1048576, `RSS grew ${mb(after.rss - before.rss)}`);
    assert.ok(losses.every(Number.isFinite));
  }));
}
