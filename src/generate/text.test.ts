/**
 * Text-level filling with a real GLM tokenizer (BERT vocabulary): equal to the id-level API on
 * the encoded prompt, both layouts, and streamed text deltas that add up to each answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend, referenceBackend } from '../backend/index.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { infill } from './infill.js';
import { encodePrompts, infillText, streamInfillText, textDelta } from './text.js';
import { generationTokens } from './tokens.js';
import { tinyModel } from '../testing/test-model.js';

const tok = loadTokenizer('glm-large');
const model = tinyModel({ vocab: tok.paddedVocabSize, hidden: 32, layers: 2, maxSeq: 64, seed: 5 });
const TEXT = 'paris is the [MASK] of france , and [MASK] is its river .';

test('infillText = infill on the encoded prompt, then decoded; layouts end Part A as the spec says', () =>
  withBackend(referenceBackend, () => {
    const s = tok.special;
    for (const layout of ['original', 'hub'] as const) {
      const { contexts } = encodePrompts(tok, [TEXT], { layout });
      assert.equal(contexts[0]![0], s.cls);
      assert.equal(contexts[0]!.at(-1), layout === 'original' ? s.eos : s.sep);
      const [r] = infillText(model, tok, TEXT, { layout, maxLength: 4 });
      const [ids] = infill(model, contexts, generationTokens(s), { maxLength: 4 });
      assert.deepEqual(r!.filled, ids!.filled);
      assert.equal(r!.text, tok.decode(ids!.filled, { skipSpecial: true }));
      r!.blanks.forEach((b, j) => assert.equal(b.text, tok.decode(ids!.blanks[j]!.tokens, { skipSpecial: true })));
      assert.ok(r!.text.startsWith('paris is the'), r!.text);
      assert.ok(r!.pieces.includes('<|startofpiece|>'), r!.pieces);
    }
    // No mask in the text: [MASK] is appended (BERT has no [gMASK]), as [orig] interactive generation does.
    const { contexts } = encodePrompts(tok, ['a sentence without blanks'], { layout: 'original' });
    assert.ok(contexts[0]!.includes(s.mask));
  }));

test('streamed text deltas add up to each answer', async () => {
  const events: { blank: number; text: string }[] = [];
  let results: { blanks: { text: string }[] }[] = [];
  for await (const e of streamInfillText(model, tok, [TEXT, 'the [MASK] sat on the mat .'], { maxLength: 5, strategy: 'sample', seed: 4 })) {
    if (e.type === 'done') results = e.results;
    else if (e.type === 'token' && e.prompt === 0) events.push({ blank: e.blank, text: e.text });
    else if (e.type === 'blank' && e.prompt === 0) events.push({ blank: e.blank, text: e.text });
  }
  results[0]!.blanks.forEach((b, j) => {
    const streamed = events.filter((e) => e.blank === j).map((e) => e.text).join('');
    assert.equal(streamed, b.text, `blank ${j}`);
  });
});

test('textDelta holds back an incomplete character', () => {
  const fake = { decode: (ids: readonly number[]) => ids.map((i) => (i === 9 ? '\uFFFD' : String.fromCharCode(97 + i))).join('') };
  const t = fake as unknown as Parameters<typeof textDelta>[0];
  assert.deepEqual(textDelta(t, [0, 1], 'a'), { delta: 'b', shown: 'ab' });
  assert.deepEqual(textDelta(t, [0, 9], 'a'), { delta: '', shown: 'a' });
});
