/**
 * The context check (src/eval/first-token.ts): the model side equals the independent scoring
 * path (generate/score.ts, one candidate per blank, no [eop]) on a tiny random model; the unigram
 * side equals the hand computation; the top-1 and distinct-answer counts follow the argmaxes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import { scoreCandidates } from '../generate/score.js';
import { evaluateFirstToken, unigramLogProbs, type FirstTokenExample } from './first-token.js';

const V = 64;
const sp = { cls: 60, eos: 61, sop: 62, mask: 63 };
const tokens = { ...sp, eop: 59, sep: 58, pad: 0 };
const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: V, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 32 })).initialize(9);
const examples: FirstTokenExample[] = Array.from({ length: 7 }, (_, i) => ({
  left: Array.from({ length: 3 + (i % 3) }, (_, j) => 1 + ((i * 7 + j * 3) % 50)),
  right: Array.from({ length: 2 + (i % 4) }, (_, j) => 1 + ((i * 5 + j * 11) % 50)),
  gold: 1 + ((i * 13) % 50),
}));

test('evaluateFirstToken: model −log p equals the scoring path; unigram side by hand', () => {
  const counts = new Float64Array(V);
  for (let v = 1; v <= 50; v++) counts[v] = v === examples[2]!.gold ? 500 : v;
  const uni = unigramLogProbs(counts, V);
  const total = counts.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(uni[5]! - Math.log((5 + 0.5) / (total + 0.5 * V))) < 1e-12);
  const r = evaluateFirstToken(model, examples, sp, uni, 3);
  const scores = scoreCandidates(model, examples.map((ex) => ({
    context: [sp.cls, ...ex.left, sp.mask, ...ex.right, sp.eos], maskPosition: 1 + ex.left.length, candidates: [[ex.gold]],
  })), tokens);
  const want = -scores.reduce((a, s) => a + s[0]!.logProb, 0) / examples.length;
  assert.ok(Math.abs(r.model.meanNll - want) < 1e-4, `${r.model.meanNll} vs ${want}`);
  assert.equal(r.examples, 7);
  assert.equal(r.unigram.token, examples[2]!.gold);
  const hits = examples.filter((ex) => ex.gold === examples[2]!.gold).length;
  assert.equal(r.unigram.top1, hits / 7);
  assert.ok(Math.abs(r.unigram.meanNll + examples.reduce((a, ex) => a + uni[ex.gold]!, 0) / 7) < 1e-12);
  assert.ok(r.model.distinctTop1 >= 1 && r.model.distinctTop1 <= 7);
  assert.ok(Math.abs(r.model.top1 * 7 - Math.round(r.model.top1 * 7)) < 1e-9, `top-1 ${r.model.top1} is not k/7`);
  assert.throws(() => evaluateFirstToken(model, [], sp, uni), /no blanks/);
});
