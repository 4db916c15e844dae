/**
 * The one-by-one cloze scorer on a tiny random GLM equals a direct computation: Part A prefilled
 * bidirectionally through the incremental decoder, then [sop] + answer decoded causally, summing
 * log-softmax (float64) over the answer tokens and eop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { testBackends } from '../testing/helpers.js';
import { encodeCloze } from '../tasks/encode.js';
import { templatePvp } from '../tasks/pattern.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { scoreClozeAnswers } from './cloze.js';
import { evaluateCloze } from './runners.js';

const V = 64;

function direct(model: GLMModel, a: number[], maskPos: number, targets: number[], sop: number): number {
  const cache = model.createCache(1, 'kv');
  const posA = new Int32Array(2 * a.length);
  a.forEach((_, i) => (posA[i] = i));
  model.forwardIncremental({ batch: 1, seqLen: a.length, inputIds: Int32Array.from(a), positionIds: posA, mask: { sep: Int32Array.of(a.length) } }, cache);
  const b = [sop, ...targets.slice(0, -1)];
  const posB = new Int32Array(2 * b.length);
  b.forEach((_, i) => { posB[i] = maskPos; posB[b.length + i] = i + 1; });
  const logits = model.forwardIncremental({ batch: 1, seqLen: b.length, inputIds: Int32Array.from(b), positionIds: posB, mask: { sep: Int32Array.of(0) } }, cache).f32;
  let sum = 0;
  targets.forEach((t, s) => {
    const row = logits.subarray(s * V, (s + 1) * V);
    const max = Math.max(...row);
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    sum += row[t]! - max - Math.log(z);
  });
  return sum;
}

for (const be of testBackends()) {
  test(`[${be.name}] scoreClozeAnswers equals the direct computation (single- and multi-token, length penalty)`, () => withBackend(be, () => {
    const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: V, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 48 })).initialize(11);
    const tok = new ToyTokenizer();
    const single = templatePvp({ template: '{text} It was [MASK].', verbalizer: { '0': ' bad', '1': ' good' } });
    const multi = templatePvp({ template: '{text} Verdict: [MASK].', verbalizer: { '0': ' thumbs down', '1': ' thumbs up really' } });
    const exs = [{ id: 'a', fields: { text: 'a fine film' }, label: '1' }, { id: 'b', fields: { text: 'dull and long and slow' }, label: '0' }];
    const sp = { sop: tok.special.sop, eop: tok.special.eop, pad: tok.special.eos };
    for (const pvp of [single, multi]) {
      const enc = exs.map((e) => encodeCloze(pvp, e, tok, { maxSeqLength: 40 }));
      for (const lp of [0, 1]) {
        const got = scoreClozeAnswers(model, enc, { ...sp, lengthPenalty: lp, batchSize: 3 });
        enc.forEach((e, i) => e.answers.forEach((ans, j) => {
          const targets = e.singleToken ? ans : [...ans, tok.special.eop];
          const want = direct(model, e.tokens, e.maskPosition, targets, tok.special.sop) / (e.singleToken || lp === 0 ? 1 : targets.length ** lp);
          assert.ok(Math.abs(got[i]![j]! - want) < 1e-4, `${pvp.id} lp=${lp} ex ${i} ans ${j}: ${got[i]![j]} vs ${want}`);
        }));
      }
    }
  }));

  test(`[${be.name}] zero-shot evaluateCloze end to end with a multi-token verbalizer`, async () => {
    await withBackend(be, async () => {
      const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: V, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 48 })).initialize(3);
      const tok = new ToyTokenizer();
      const pvp = templatePvp({ template: '{text} Verdict: [MASK].', verbalizer: { '0': ' thumbs down', '1': ' thumbs up' } });
      const exs = ['good', 'bad', 'fine', 'awful', 'nice'].map((w, i) => ({ id: String(i), fields: { text: `it was ${w}` }, label: String(i % 2) }));
      const sp = { sop: tok.special.sop, eop: tok.special.eop, pad: tok.special.eos };
      const r = await evaluateCloze(exs, pvp, tok, (b) => scoreClozeAnswers(model, b, sp), { maxSeqLength: 40, labels: ['0', '1'] });
      assert.equal(r.n, 5);
      const want = r.predictions.filter((p) => p.prediction === p.gold).length / 5;
      assert.equal(r.accuracy, want);
      assert.ok(r.macroF1 !== undefined && r.macroF1 >= 0 && r.macroF1 <= 1);
      assert.ok(r.predictions.every((p) => p.scores.length === 2 && p.scores.every(Number.isFinite)));
    });
  });
}
