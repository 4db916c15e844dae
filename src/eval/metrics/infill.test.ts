import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../util/rng.js';
import { isGlmError } from '../../util/errors.js';
import { fillBlanks, infillingBleu, maskWords } from './infill.js';
import { perplexityFromNll } from './perplexity.js';

const TEXT = 'the quick brown fox jumps over the lazy dog and runs far away from the farm';

test('maskWords masks ⌊n·r⌋ words, merges runs into one [MASK], and fillBlanks restores the text', () => {
  for (const ratio of [0, 0.1, 0.3, 0.5, 1]) {
    for (let seed = 0; seed < 20; seed++) {
      const m = maskWords(TEXT, ratio, new Rng(seed));
      const n = TEXT.split(' ').length;
      assert.equal(m.maskedWords, Math.floor(n * ratio));
      assert.equal(m.spans.join(' ').split(' ').filter(Boolean).length, m.maskedWords);
      assert.ok(!m.masked.includes('[MASK] [MASK]'), 'adjacent blanks must be merged');
      assert.equal(fillBlanks(m.masked, m.spans), TEXT);
    }
  }
  assert.deepEqual(maskWords(TEXT, 0.3, new Rng(7)), maskWords(TEXT, 0.3, new Rng(7)), 'seeded');
  assert.throws(() => maskWords(TEXT, 1.5, new Rng(0)), (e: unknown) => isGlmError(e, 'E_INFILL_RATIO'));
  assert.throws(() => fillBlanks('a [MASK] b', []), (e: unknown) => isGlmError(e, 'E_INFILL_ANSWERS'));
});

test('infillingBleu groups by ratio; a perfect fill scores 100, an empty fill scores less', () => {
  const r = infillingBleu([
    { ratio: 0.5, hypothesis: TEXT, reference: TEXT },
    { ratio: 0.1, hypothesis: TEXT, reference: TEXT },
    { ratio: 0.5, hypothesis: 'the quick fox', reference: TEXT },
  ]);
  assert.deepEqual(r.map((x) => [x.ratio, x.n]), [[0.1, 1], [0.5, 2]]);
  assert.ok(Math.abs(r[0]!.bleu.score - 100) < 1e-9);
  assert.ok(r[1]!.bleu.score < 100);
});

test('perplexityFromNll: exp of the mean NLL and the word-adjusted form', () => {
  const p = perplexityFromNll(10 * Math.log(4), 10, 6);
  assert.ok(Math.abs(p.perplexity - 4) < 1e-12);
  assert.ok(Math.abs(p.adjustedPerplexity! - Math.exp((10 * Math.log(4)) / 5)) < 1e-12);
  assert.throws(() => perplexityFromNll(1, 0), (e: unknown) => isGlmError(e, 'E_METRIC_INPUT'));
});
