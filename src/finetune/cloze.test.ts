/**
 * Acceptance: multiple-choice scores computed in ONE forward pass (block-diagonal mask, every
 * candidate of an example in one sequence) equal the one-by-one scores of src/eval/cloze.ts
 * (one row per answer), for single-token verbalizers, multi-token verbalizers of different
 * lengths, with and without a length penalty, in a mixed batch. Also: the cloze loss is CE over
 * those scores, its gradient reaches the model, and a few steps of training separate a toy task.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { backward } from '../tensor/tensor.js';
import { testBackends } from '../testing/helpers.js';
import { scoreClozeAnswers } from '../eval/cloze.js';
import { encodeCloze, templatePvp, type TaskExample } from '../tasks/index.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { generationTokens } from '../generate/tokens.js';
import { clozeBatchScores, clozeLoss, clozeScorer } from './cloze.js';
import { AdamW } from '../train/optimizer.js';

const V = 128;
const tinyGlm = (seed: number): GLMModel => new GLMModel(makeConfig({ num_layers: 2, vocab_size: V, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 64 })).initialize(seed);

const EXS: TaskExample[] = [
  { id: 'a', fields: { text: 'a fine film with a plot' }, label: '1' },
  { id: 'b', fields: { text: 'dull and long and slow' }, label: '0' },
  { id: 'c', fields: { text: 'I liked it' }, label: '1' },
];
const single = templatePvp({ template: '{text} It was [MASK].', verbalizer: { '0': ' bad', '1': ' good' } });
// Candidates of 2 and 4 tokens that share their first token.
const multi = templatePvp({ template: '{text} Verdict: [MASK].', verbalizer: { '0': ' thumbs down', '1': ' thumbs up , really' } });

for (const be of testBackends()) {
  test(`[${be.name}] single-pass cloze scores equal one-by-one scores (single-token, multi-token, length penalty, mixed batch)`, () => withBackend(be, () => {
    const model = tinyGlm(5);
    const tok = new ToyTokenizer();
    const tokens = generationTokens(tok.special);
    const sp = { sop: tok.special.sop, eop: tok.special.eop, pad: tok.special.eos };
    const encS = EXS.map((e) => encodeCloze(single, e, tok, { maxSeqLength: 48 }));
    const encM = EXS.map((e) => encodeCloze(multi, e, tok, { maxSeqLength: 48 }));
    assert.ok(encS.every((e) => e.singleToken) && encM.every((e) => !e.singleToken));
    assert.deepEqual(encM[0]!.answers.map((a) => a.length), [2, 4]);
    // A mixed batch: single-token and multi-token examples interleaved.
    const mixed = [encM[0]!, encS[1]!, encM[2]!, encS[0]!];
    for (const lp of [0, 1]) {
      const want = scoreClozeAnswers(model, mixed, { ...sp, lengthPenalty: lp, batchSize: 1 });
      const got = clozeBatchScores(model, mixed, tokens, { lengthPenalty: lp }).logProbs();
      mixed.forEach((e, i) => e.answers.forEach((_, j) => {
        assert.ok(Math.abs(got[i]![j]! - want[i]![j]!) < 2e-4, `lp=${lp} ex ${i} ans ${j}: single pass ${got[i]![j]} vs one by one ${want[i]![j]}`);
      }));
      // The scorer used by evaluation returns the same numbers.
      const viaScorer = clozeScorer(model, tokens, { lengthPenalty: lp })(mixed) as number[][];
      assert.deepEqual(viaScorer, got);
    }
    // Forcing multi-token scoring of one-token answers scores answer + eop, like the one-by-one rows.
    const forced = clozeBatchScores(model, encS, tokens, { answerMode: 'multi' }).logProbs();
    const oneByOne = scoreClozeAnswers(model, encS.map((e) => ({ ...e, singleToken: false })), sp);
    forced.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - oneByOne[i]![j]!) < 2e-4)));
  }));
}

test('the multi-token cloze loss is CE over the single-pass scores and its gradient reaches the model', () => {
  const model = tinyGlm(6);
  const tok = new ToyTokenizer();
  const tokens = generationTokens(tok.special);
  const enc = EXS.map((e) => encodeCloze(multi, e, tok, { maxSeqLength: 48 }));
  const lp = clozeBatchScores(model, enc, tokens).logProbs();
  let want = 0;
  enc.forEach((e, i) => {
    const s = lp[i]!;
    const m = Math.max(...s);
    want += m + Math.log(s.reduce((z, x) => z + Math.exp(x - m), 0)) - s[e.gold!]!;
  });
  model.params.zeroGrad();
  const loss = clozeLoss(model, enc, tokens, { train: false });
  assert.ok(Math.abs(loss.item() - want / enc.length) < 1e-4, `${loss.item()} vs ${want / enc.length}`);
  backward(loss);
  let g = 0;
  for (const x of model.wordEmbeddings.grad!) g += x * x;
  assert.ok(g > 0, 'the word embeddings get a gradient');
  // generative = −mean score of the gold answer
  const gen = clozeLoss(model, enc, tokens, { train: false, loss: 'generative' }).item();
  assert.ok(Math.abs(gen + enc.reduce((t, e, i) => t + lp[i]![e.gold!]!, 0) / enc.length) < 1e-4);
});

test('a few steps of single-token and multi-token cloze training fit a toy task', () => {
  const tok = new ToyTokenizer();
  const tokens = generationTokens(tok.special);
  const words = ['great', 'lovely', 'awful', 'boring', 'superb', 'dreadful'];
  const labels = ['1', '1', '0', '0', '1', '0'];
  const exs: TaskExample[] = words.map((w, i) => ({ id: String(i), fields: { text: `the show was ${w}` }, label: labels[i]! }));
  for (const pvp of [single, multi]) {
    const model = tinyGlm(9);
    const enc = exs.map((e) => encodeCloze(pvp, e, tok, { maxSeqLength: 48 }));
    const opt = new AdamW(model.params, { lr: 3e-3, weightDecay: 0 });
    const first = clozeLoss(model, enc, tokens, { train: false }).item();
    for (let i = 0; i < 80; i++) {
      model.params.zeroGrad();
      backward(clozeLoss(model, enc, tokens, { train: false }));
      opt.update();
    }
    const last = clozeLoss(model, enc, tokens, { train: false }).item();
    const scores = clozeScorer(model, tokens)(enc) as number[][];
    const acc = enc.filter((e, i) => scores[i]!.indexOf(Math.max(...scores[i]!)) === e.gold).length / enc.length;
    assert.ok(last < first * 0.3, `${pvp.description}: loss ${first} → ${last}`);
    assert.equal(acc, 1, `${pvp.description}: training accuracy`);
  }
});
