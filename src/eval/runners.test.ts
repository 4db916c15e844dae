import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../util/errors.js';
import { templatePvp } from '../tasks/pattern.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { evaluateCloze, evaluateInfilling, evaluateSeq2Seq } from './runners.js';

const pvp = templatePvp({ template: '{text} It was [MASK].', verbalizer: { neg: ' bad', pos: ' good' } });
const exs = [
  { id: '1', fields: { text: 'yes' }, label: 'pos' },
  { id: '2', fields: { text: 'no' }, label: 'neg' },
  { id: '3', fields: { text: 'yes yes' }, label: 'neg' },
  { id: '4', fields: { text: 'no no' }, label: 'pos' },
];

test('evaluateCloze: argmax predictions, accuracy and macro-F1 from a scorer seam', async () => {
  // Scorer: "pos" when the text starts with "yes" (Part A token 1 is the first text token).
  const tok = new ToyTokenizer();
  const yes = tok.encode('yes')[0];
  const r = await evaluateCloze(exs, pvp, tok, (batch) => batch.map((e) => (e.tokens[1] === yes ? [0, 1] : [1, 0])), { maxSeqLength: 32, labels: ['neg', 'pos'], batchSize: 3 });
  assert.deepEqual(r.predictions.map((p) => p.prediction), [1, 0, 1, 0]);
  assert.equal(r.accuracy, 0.5);
  // neg: tp 1, fp 1, fn 1 → F1 0.5; pos likewise → macro 0.5.
  assert.equal(r.macroF1, 0.5);
  await assert.rejects(evaluateCloze(exs, pvp, tok, (b) => b.map(() => [1]), { maxSeqLength: 32 }), (e: unknown) => isGlmError(e, 'E_EVAL_SCORER'));
  await assert.rejects(evaluateCloze([], pvp, tok, () => [], { maxSeqLength: 32 }), (e: unknown) => isGlmError(e, 'E_EVAL_EMPTY'));
});

test('evaluateCloze: multiple-choice with several gold candidates counts any of them', async () => {
  const mc = { id: 'm', description: '', parts: () => ({ a: [{ text: 'q' }, { mask: true as const }] }), answers: () => [' a', ' b', ' c'], gold: () => 0 };
  const r = await evaluateCloze([{ id: 'x', fields: {}, candidates: [' a', ' b', ' c'], goldCandidates: [0, 2] }], mc, new ToyTokenizer(), (b) => b.map(() => [0, 1, 5]), { maxSeqLength: 16 });
  assert.equal(r.accuracy, 1);
});

test('evaluateSeq2Seq: ROUGE of generated texts through the generator seam', async () => {
  const data = [{ id: 'a', source: 'long text one', target: 'the first summary' }, { id: 'b', source: 'long text two', target: 'second summary here' }];
  const perfect = await evaluateSeq2Seq(data, (_s, ex) => ex.target);
  assert.equal(perfect.rouge['rouge1']!.fmeasure, 1);
  assert.equal(perfect.rouge['rougeLsum']!.fmeasure, 1);
  const echo = await evaluateSeq2Seq(data, async (s) => s, { rougeTypes: ['rouge1'] });
  assert.equal(echo.rouge['rouge1']!.fmeasure, 0);
  assert.deepEqual(echo.outputs.map((o) => o.prediction), ['long text one', 'long text two']);
});

test('evaluateInfilling: an oracle filler scores BLEU 100 at every ratio; wrong blank counts are errors', async () => {
  const data = [0.1, 0.5].map((ratio) => ({ id: String(ratio), ratio, masked: 'the [MASK] sat on the [MASK] today', original: 'the cat sat on the mat today', spans: ['cat', 'mat'] }));
  const r = await evaluateInfilling(data, (_m, ex) => [...ex.spans]);
  assert.deepEqual(r.byRatio.map((x) => [x.ratio, Math.round(x.bleu.score)]), [[0.1, 100], [0.5, 100]]);
  const worse = await evaluateInfilling(data, () => ['dog', 'rug']);
  assert.ok(worse.byRatio[0]!.bleu.score < 100);
  await assert.rejects(evaluateInfilling(data, () => ['cat']), (e: unknown) => isGlmError(e, 'E_INFILL_ANSWERS'));
});
