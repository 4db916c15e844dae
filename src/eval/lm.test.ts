/**
 * LM evaluation on a tiny random GLM: the batched single-forward scoring of evaluateLastWord /
 * evaluatePerplexity must equal a direct computation that feeds Part A to the incremental decoder
 * (bidirectional prefill) and then Part B causally, with the layout written out here from spec §5.4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { isGlmError } from '../util/errors.js';
import { testBackends } from '../testing/helpers.js';
import { evaluateLastWord, evaluatePerplexity } from './lm.js';
import { lastWordRow, perplexityWindows, type LmSpecialTokens } from './lm-inputs.js';

const SP: LmSpecialTokens = { cls: 1, eos: 2, sop: 3, mask: 4 };
const V = 40;

function tinyModel(): GLMModel {
  const cfg = makeConfig({ num_layers: 2, vocab_size: V, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 48 });
  return new GLMModel(cfg).initialize(7);
}

/** Log-softmax rows (float64) of the given logits [S, V]. */
function logSoftmax(logits: Float32Array, s: number): Float64Array {
  const row = logits.subarray(s * V, (s + 1) * V);
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return Float64Array.from(row, (x) => x - max - Math.log(sum));
}

/**
 * Direct path: prefill Part A (sep = |A|, bidirectional), then Part B in one causal chunk that
 * sees the whole cache. Returns the log-probs of Part B's targets.
 */
function direct(model: GLMModel, a: number[], b: number[], bPos: number, targets: number[]): { logProbs: number[]; argmax: number[] } {
  const cache = model.createCache(1, 'kv');
  const posA = new Int32Array(2 * a.length);
  a.forEach((_, i) => (posA[i] = i));
  model.forwardIncremental({ batch: 1, seqLen: a.length, inputIds: Int32Array.from(a), positionIds: posA, mask: { sep: Int32Array.of(a.length) } }, cache);
  const posB = new Int32Array(2 * b.length);
  b.forEach((_, i) => { posB[i] = bPos; posB[b.length + i] = i + 1; });
  const logits = model.forwardIncremental({ batch: 1, seqLen: b.length, inputIds: Int32Array.from(b), positionIds: posB, mask: { sep: Int32Array.of(0) } }, cache).f32;
  const logProbs: number[] = [], argmax: number[] = [];
  targets.forEach((t, s) => {
    const lp = logSoftmax(logits, s);
    logProbs.push(lp[t]!);
    argmax.push(lp.indexOf(Math.max(...lp)));
  });
  return { logProbs, argmax };
}

test('lastWordRow: the §5.4 layouts (bi, uni, left truncation) written out by hand', () => {
  const bi = lastWordRow([10, 11, 12], [20, 21], SP, 'bi', 48);
  assert.deepEqual(bi.ids, [1, 10, 11, 12, 4, 2, 3, 20]);
  assert.deepEqual(bi.positions, [0, 1, 2, 3, 4, 5, 4, 4]);
  assert.deepEqual(bi.blockPositions, [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.equal(bi.sep, 6);
  assert.deepEqual(bi.targets, [-1, -1, -1, -1, -1, -1, 20, 21]);
  const uni = lastWordRow([10, 11, 12], [20, 21], SP, 'uni', 48);
  assert.deepEqual(uni.ids, [1, 10, 4, 2, 3, 11, 12, 20]);
  assert.deepEqual(uni.positions, [0, 1, 2, 3, 2, 2, 2, 2]);
  assert.deepEqual(uni.blockPositions, [0, 0, 0, 0, 1, 2, 3, 4]);
  assert.equal(uni.sep, 4);
  assert.deepEqual(uni.targets, [-1, -1, -1, -1, -1, -1, 20, 21]);
  // maxLength 7 leaves room for 2 context tokens: the oldest one goes.
  assert.deepEqual(lastWordRow([10, 11, 12], [20, 21], SP, 'bi', 7).ids, [1, 11, 12, 4, 2, 3, 20]);
  assert.throws(() => lastWordRow([10], [], SP, 'bi', 48), (e: unknown) => isGlmError(e, 'E_LM_INPUT'));
  assert.throws(() => lastWordRow([10], [20, 21, 22], SP, 'bi', 5), (e: unknown) => isGlmError(e, 'E_LM_INPUT'));
});

test('perplexityWindows: every token after the first is scored exactly once, Part A without eos', () => {
  const ids = Array.from({ length: 30 }, (_, i) => 5 + (i % 30));
  for (const mode of ['bi', 'uni'] as const) {
    const ws = perplexityWindows(ids, SP, mode, 12, 4);
    assert.equal(ws.length, 6); // ceil((30 − 12) / 4) + 1
    const seen = new Array<number>(30).fill(0);
    for (const w of ws) {
      const scored = w.row.targets.filter((t) => t >= 0);
      w.docIndex.slice(w.docIndex.length - scored.length).forEach((d, i) => {
        seen[d]!++;
        assert.equal(scored[i], ids[d]);
      });
      assert.ok(!w.row.ids.slice(0, w.row.sep).includes(SP.eos));
      assert.equal(w.row.ids[w.row.sep - 1], SP.mask);
    }
    assert.deepEqual(seen, [0, ...new Array<number>(29).fill(1)], mode);
  }
  const w1 = perplexityWindows(ids, SP, 'bi', 12, 4)[1]!.row;
  assert.equal(w1.sep, 1 + 8 + 1); // [CLS] + W − stride tokens + [mask]
});

for (const be of testBackends()) {
  test(`[${be.name}] evaluateLastWord equals the direct incremental computation, batched or not`, () => withBackend(be, () => {
    const model = tinyModel();
    const exs = [
      { context: [10, 11, 12, 13, 14], answer: [20, 21] },
      { context: [15, 16], answer: [22] },
      { context: [17, 18, 19, 5, 6, 7, 8], answer: [23, 24, 25] },
    ];
    for (const mode of ['bi', 'uni'] as const) {
      const r1 = evaluateLastWord(model, exs, { special: SP, mode, batchSize: 1 });
      const r3 = evaluateLastWord(model, exs, { special: SP, mode, batchSize: 3 });
      exs.forEach((ex, i) => {
        const ctx = ex.context;
        const d = mode === 'bi'
          ? direct(model, [SP.cls, ...ctx, SP.mask, SP.eos], [SP.sop, ...ex.answer.slice(0, -1)], 1 + ctx.length, ex.answer)
          : direct(model, [SP.cls, ctx[0]!, SP.mask, SP.eos], [SP.sop, ...[...ctx.slice(1), ...ex.answer].slice(0, -1)], 2, [...ctx.slice(1), ...ex.answer]);
        const lp = d.logProbs.slice(d.logProbs.length - ex.answer.length).reduce((a, x) => a + x, 0);
        assert.ok(Math.abs(r1.examples[i]!.logProb - lp) < 1e-4, `${mode} ex ${i}: ${r1.examples[i]!.logProb} vs ${lp}`);
        assert.ok(Math.abs(r3.examples[i]!.logProb - lp) < 1e-4, `${mode} batched ex ${i}`);
        const ok = d.argmax.slice(d.argmax.length - ex.answer.length).every((a, j) => a === ex.answer[j]);
        assert.equal(r1.examples[i]!.correct, ok);
      });
    }
  }));

  test(`[${be.name}] last-word accuracy counts an answer correct only when every token is the argmax`, () => withBackend(be, () => {
    const model = tinyModel();
    const context = [10, 11, 12, 13];
    // Build the model's own greedy 3-token answer with the direct path.
    const answer: number[] = [];
    for (let k = 0; k < 3; k++) {
      const d = direct(model, [SP.cls, ...context, SP.mask, SP.eos], [SP.sop, ...answer], 1 + context.length, [...answer, 0]);
      answer.push(d.argmax[k]!);
    }
    const wrongLast = [...answer.slice(0, 2), (answer[2]! + 1) % V];
    const r = evaluateLastWord(model, [{ context, answer }, { context, answer: wrongLast }], { special: SP });
    assert.deepEqual(r.examples.map((e) => e.correct), [true, false]);
    assert.equal(r.accuracy, 0.5);
    assert.equal(r.correct, 1);
  }));

  test(`[${be.name}] evaluatePerplexity equals summing the direct per-window NLLs (bi and uni)`, () => withBackend(be, () => {
    const model = tinyModel();
    const ids = Array.from({ length: 30 }, (_, i) => 5 + ((i * 7) % 31));
    const W = 12, s = 4;
    for (const mode of ['bi', 'uni'] as const) {
      const r = evaluatePerplexity(model, ids, { special: SP, mode, windowTokens: W, stride: s, words: 20 });
      const rb = evaluatePerplexity(model, ids, { special: SP, mode, windowTokens: W, stride: s, batchSize: 4 });
      const want = new Float64Array(ids.length).fill(NaN);
      for (let k = 0; k * s < ids.length - W + s || k === 0; k++) {
        const toks = ids.slice(k * s, k * s + W);
        const promptLen = k === 0 || mode === 'uni' ? 1 : W - s;
        const text = toks.slice(promptLen);
        const d = direct(model, [SP.cls, ...toks.slice(0, promptLen), SP.mask], [SP.sop, ...text.slice(0, -1)], 1 + promptLen, text);
        text.forEach((_, i) => {
          const doc = k * s + promptLen + i;
          if (k === 0 || doc >= k * s + W - s) want[doc] = -d.logProbs[i]!;
        });
      }
      assert.equal(r.tokens, ids.length - 1);
      let sum = 0;
      for (let i = 1; i < ids.length; i++) {
        assert.ok(Math.abs(r.tokenNll[i]! - want[i]!) < 1e-4, `${mode} token ${i}: ${r.tokenNll[i]} vs ${want[i]}`);
        sum += want[i]!;
      }
      assert.ok(Number.isNaN(r.tokenNll[0]!));
      assert.ok(Math.abs(r.perplexity - Math.exp(sum / (ids.length - 1))) < 1e-3 * r.perplexity);
      assert.ok(Math.abs(r.adjustedPerplexity! - Math.exp(sum / 19)) < 1e-3 * r.adjustedPerplexity!);
      assert.ok(Math.abs(rb.nll - r.nll) < 1e-3, 'batching must not change the result');
    }
  }));
}
