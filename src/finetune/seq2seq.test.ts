/**
 * Seq2seq (spec §5.3): the training batch layout (source padded inside Part A, [sop] + target[:-1]
 * at the mask position with block positions 1…, targets and loss mask on the real target tokens),
 * and end to end: a tiny model trained with the label-smoothed loss on two pairs reproduces both
 * targets by beam search.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { backward } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import { AdamW } from '../train/optimizer.js';
import { generationTokens } from '../generate/tokens.js';
import { encodeSeq2Seq } from '../tasks/index.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { SEQ2SEQ_LABEL_SMOOTHING, generateSummaries, seq2seqBatch } from './seq2seq.js';

const tok = new ToyTokenizer();
const tokens = generationTokens(tok.special);
const PAIRS = [
  { id: 'a', source: 'a small tool to list files in a folder', target: 'list files' },
  { id: 'b', source: 'library for reading and writing images', target: 'image library for all' },
];

test('seq2seqBatch lays out spec §5.3: padded source in Part A, [sop] + target[:-1] at the mask position', () => {
  const enc = PAIRS.map((p) => encodeSeq2Seq(p, tok, { srcLen: 16, tgtLen: 6 }));
  const b = seq2seqBatch(enc, tokens);
  const T = Math.max(...enc.map((e) => e.target.length));
  const S = 16 + T;
  assert.equal(b.input.seqLen, S);
  assert.deepEqual([...(b.input.mask as { sep: Int32Array }).sep], [16, 16]);
  enc.forEach((e, r) => {
    const ids = [...b.input.inputIds.subarray(r * S, (r + 1) * S)];
    const pos = [...b.input.positionIds.subarray(r * 2 * S, r * 2 * S + S)];
    const blk = [...b.input.positionIds.subarray(r * 2 * S + S, (r + 1) * 2 * S)];
    assert.deepEqual(ids.slice(0, 16), e.source);
    assert.equal(ids[16], tok.special.sop);
    assert.deepEqual(ids.slice(17, 16 + e.target.length), e.target.slice(0, -1));
    assert.deepEqual(pos, [...Array.from({ length: 16 }, (_, i) => i), ...new Array(T).fill(1)]);
    assert.deepEqual(blk, [...new Array(16).fill(0), ...Array.from({ length: T }, (_, i) => i + 1)]);
    const tg = [...b.targets.subarray(r * S + 16, r * S + 16 + e.target.length)];
    assert.deepEqual(tg, e.target);
    assert.equal(tg[tg.length - 1], tok.special.eop);
    const lm = [...b.lossMask.subarray(r * S, (r + 1) * S)];
    assert.deepEqual(lm, [...new Array(16).fill(0), ...Array.from({ length: T }, (_, t) => (t < e.target.length ? 1 : 0))]);
  });
});

test('a tiny model trained with the label-smoothed seq2seq loss reproduces its targets by beam search', () => {
  const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: 128, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 32 })).initialize(4);
  const enc = PAIRS.map((p) => encodeSeq2Seq(p, tok, { srcLen: 16, tgtLen: 8 }));
  const batch = seq2seqBatch(enc, tokens);
  const opt = new AdamW(model.params, { lr: 1e-2, weightDecay: 0 });
  let first = NaN, last = NaN;
  for (let i = 0; i < 60; i++) {
    model.params.zeroGrad();
    const loss = crossEntropy(model.forward(batch.input, { train: false }).logits, batch.targets, batch.lossMask, SEQ2SEQ_LABEL_SMOOTHING);
    if (i === 0) first = loss.item();
    last = loss.item();
    backward(loss);
    opt.update();
  }
  assert.ok(last < first / 3, `loss ${first} → ${last}`);
  const out = generateSummaries(model, tok, tokens, enc, { numBeams: 3, maxLength: 7, noRepeatNgram: 0 });
  assert.deepEqual(out, PAIRS.map((p) => p.target));
});
