/**
 * Accuracy of weight-only bf16 / int8 inference against float32 on a fixed test set.
 *
 * Model: the golden `small` checkpoint (4 layers, hidden 128, vocab 512) with its word embedding
 * scaled ×5, so that its logits spread like a trained model's (max |logit| ≈ 27 on the test
 * batch) instead of the near-uniform logits of a fresh initialisation, where every choice would
 * be a near-tie. Measured: bf16 0.46%, int8 1.19% of max |logit| (both backends).
 * Test set (fixed seeds): 4 sequences of 40 tokens for the logit comparison, 6 prompts decoded
 * greedily for 8 tokens with the K/V cache, 12 cloze questions with 3 candidates each.
 * Stated bounds (max |Δlogit| / max |logit| over the batch): bf16 ≤ 1%, int8 ≤ 2%.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { loadFolder } from '../io/checkpoint.js';
import { isGlmError } from '../util/errors.js';
import { noGrad, Tensor } from '../tensor/tensor.js';
import type { GLMModel } from './glm.js';
import type { ModelInput } from './inputs.js';
import { parseQuantKind, quantizeMatrix, type QuantKind } from '../tensor/ops/quant.js';
import { goldenDir, maxAbs, maxAbsDiff, testBackends } from '../testing/helpers.js';

const CLS = 1, EOS = 2, MASK = 3, SOP = 6;
const BOUND: Record<QuantKind, number> = { bf16: 0.01, int8: 0.02 };

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function sharpenedModel(): GLMModel {
  const { model } = loadFolder(goldenDir('small'));
  const e = model.wordEmbeddings.f32;
  for (let i = 0; i < e.length; i++) e[i] = e[i]! * 5;
  return model;
}

/** B sequences of S tokens: Part A of S − 8 tokens (one [MASK]) and an 8-token Part B. */
function scoringBatch(B: number, S: number, V: number): ModelInput {
  const r = lcg(7);
  const ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S), sep = new Int32Array(B).fill(S - 8);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < S; t++) ids[b * S + t] = 10 + r(V - 10);
    ids[b * S] = CLS;
    ids[b * S + 5] = MASK;
    ids[b * S + S - 8] = SOP;
    for (let t = 0; t < S; t++) {
      const inB = t >= S - 8;
      pos[b * 2 * S + t] = inB ? 5 : t;
      pos[b * 2 * S + S + t] = inB ? t - (S - 8) + 1 : 0;
    }
  }
  return { batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } };
}

/** Greedy fill of one [MASK] per prompt with the K/V cache; returns the generated ids [B, G]. */
function greedy(model: GLMModel, B: number, N: number, G: number): Int32Array {
  const V = model.config.vocab_size, r = lcg(11), mpos = Math.floor(N / 2);
  const S = N + 1, ids = new Int32Array(B * S), pos = new Int32Array(B * 2 * S);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < N; t++) ids[b * S + t] = 10 + r(V - 10);
    ids[b * S] = CLS;
    ids[b * S + N - 1] = EOS;
    ids[b * S + mpos] = MASK;
    ids[b * S + N] = SOP;
    for (let t = 0; t < N; t++) pos[b * 2 * S + t] = t;
    pos[b * 2 * S + N] = mpos;
    pos[b * 2 * S + S + N] = 1;
  }
  const cache = model.createCache(B, 'kv');
  const out = new Int32Array(B * G);
  let logits = model.forwardIncremental({ batch: B, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep: new Int32Array(B).fill(N) } }, cache, 'last');
  for (let k = 0; k < G; k++) {
    const next = new Int32Array(B), p = new Int32Array(B * 2);
    for (let b = 0; b < B; b++) {
      const row = logits.f32.subarray(b * V, (b + 1) * V);
      let best = 0;
      for (let c = 1; c < V; c++) if (row[c]! > row[best]!) best = c;
      next[b] = best;
      out[b * G + k] = best;
      p[2 * b] = mpos;
      p[2 * b + 1] = k + 2;
    }
    if (k + 1 < G) logits = model.forwardIncremental({ batch: B, seqLen: 1, inputIds: next, positionIds: p, mask: { sep: new Int32Array(B) } }, cache, 'last');
  }
  return out;
}

/** Cloze: per question the candidate (1–3 tokens) with the highest Σ log p; returns the choices. */
function cloze(model: GLMModel, questions: number, candidates: number, N: number): Int32Array {
  const V = model.config.vocab_size, r = lcg(23), L = 3, mpos = 4;
  const S = N + L, rows = questions * candidates;
  const ids = new Int32Array(rows * S), pos = new Int32Array(rows * 2 * S), sep = new Int32Array(rows).fill(N);
  const targets = new Int32Array(rows * S), len = new Int32Array(rows);
  for (let q = 0; q < questions; q++) {
    const ctx = Array.from({ length: N }, () => 10 + r(V - 10));
    ctx[0] = CLS;
    ctx[mpos] = MASK;
    for (let c = 0; c < candidates; c++) {
      const row = q * candidates + c, n = 1 + r(L), cand = Array.from({ length: n }, () => 10 + r(V - 10));
      len[row] = n;
      for (let t = 0; t < N; t++) {
        ids[row * S + t] = ctx[t]!;
        pos[row * 2 * S + t] = t;
      }
      for (let t = 0; t < L; t++) {
        ids[row * S + N + t] = t === 0 ? SOP : t - 1 < n ? cand[t - 1]! : 0;
        targets[row * S + N + t] = t < n ? cand[t]! : 0;
        pos[row * 2 * S + N + t] = mpos;
        pos[row * 2 * S + S + N + t] = t + 1;
      }
    }
  }
  const logits = noGrad(() => model.forward({ batch: rows, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep } }).logits.f32);
  const choice = new Int32Array(questions);
  for (let q = 0; q < questions; q++) {
    let best = -Infinity;
    for (let c = 0; c < candidates; c++) {
      const row = q * candidates + c;
      let score = 0;
      for (let t = 0; t < len[row]!; t++) {
        const o = (row * S + N + t) * V, lg = logits.subarray(o, o + V);
        let mx = -Infinity;
        for (let v = 0; v < V; v++) mx = Math.max(mx, lg[v]!);
        let se = 0;
        for (let v = 0; v < V; v++) se += Math.exp(lg[v]! - mx);
        score += lg[targets[row * S + N + t]!]! - mx - Math.log(se);
      }
      if (score > best) {
        best = score;
        choice[q] = c;
      }
    }
  }
  return choice;
}

for (const be of testBackends()) {
  test(`[${be.name}] bf16 / int8 inference: logits within the stated bound, greedy and cloze choices unchanged`, () => withBackend(be, () => {
    const model = sharpenedModel();
    const input = scoringBatch(4, 40, model.config.vocab_size);
    const ref = noGrad(() => model.forward(input).logits.f32);
    const refGreedy = greedy(model, 6, 16, 8);
    const refCloze = cloze(model, 12, 3, 12);
    const scale = maxAbs(ref);
    assert.ok(scale > 3, `test model should have spread logits (max |logit| ${scale})`);
    for (const kind of ['bf16', 'int8'] as const) {
      model.quantize(kind);
      assert.equal(model.quantization, kind);
      const got = noGrad(() => model.forward(input).logits.f32);
      const rel = maxAbsDiff(got, ref) / scale;
      assert.ok(rel > 0, `${kind}: quantized logits should differ from float32`);
      if (process.env["GLM_QUANT_REPORT"]) console.log(`${be.name} ${kind}: max abs diff ${maxAbsDiff(got, ref)} max logit ${scale} rel ${rel}`);
      assert.ok(rel <= BOUND[kind], `${kind}: max |Δlogit| / max |logit| = ${rel.toExponential(3)} > ${BOUND[kind]}`);
      assert.deepEqual(greedy(model, 6, 16, 8), refGreedy, `${kind}: greedy outputs changed`);
      assert.deepEqual(cloze(model, 12, 3, 12), refCloze, `${kind}: cloze choices changed`);
      // The K/V decode path and the full pass agree under quantization too.
      const full = noGrad(() => model.forward(input).logits.f32);
      const cache = model.createCache(input.batch, 'kv');
      const inc = model.forwardIncremental(input, cache, 'all').f32;
      assert.ok(maxAbsDiff(inc, full) <= 1e-4 * scale, `${kind}: incremental vs full pass`);
    }
    // Training-mode forward ignores the quantized copies (gradients need the float32 weights).
    const train = model.forward(input).logits.f32;
    assert.ok(maxAbsDiff(train, ref) <= 1e-5 * scale, 'autograd forward uses float32 weights');
    model.quantize(null);
    assert.equal(model.quantization, null);
    assert.equal(model.quantizedBytes(), 0);
  }));
}

test('quantization names and non-finite weights give named errors', () => {
  assert.equal(parseQuantKind('int8'), 'int8');
  assert.throws(() => parseQuantKind('fp8'), (e: unknown) => isGlmError(e, 'E_QUANT_KIND') && /fp8/.test((e as Error).message));
  const w = new Tensor(Float32Array.of(1, Number.NaN, 2, 3), [2, 2]);
  assert.throws(() => quantizeMatrix(w, 'int8', 'w'), (e: unknown) => isGlmError(e, 'E_QUANT_NONFINITE') && /w/.test((e as Error).message));
  assert.equal(quantizeMatrix(w, 'bf16').data.length, 16 * 32); // tiled: rows padded to 16, columns to 32
  assert.throws(() => quantizeMatrix(new Tensor(new Float32Array(4), [4]), 'bf16'), (e: unknown) => isGlmError(e, 'E_QUANT_SHAPE'));
});
