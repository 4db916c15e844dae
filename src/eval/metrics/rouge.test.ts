/**
 * ROUGE against the reference values published in Google's rouge_score tests
 * (google-research/google-research, rouge/rouge_scorer_test.py). That file takes its
 * "…AgainstRouge155" numbers from manual runs of the official ROUGE-1.5.5 perl script; the
 * others are hand-computed there (each case cites its test name). ROUGE-N is also cross-checked
 * against npm js-rouge@3.2.3 with the same tokenizer, where the two definitions coincide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jsRouge from 'js-rouge';
import { isGlmError } from '../../util/errors.js';
import { lcsIndices, rougeCorpus, rougeLsumTokens, rougeScore, rougeTokenize } from './rouge.js';
import { PREDICTIONS, PREDICTION_MULTI_0, TARGETS, TARGET_MULTI_0 } from './testdata/rouge-score-testdata.js';

function near(actual: number, expected: number, places = 7, what = ''): void {
  // assertAlmostEqual(places=p): round(actual − expected, p) == 0.
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -places, `${what}: ${actual} vs ${expected} (places ${places})`);
}

test('testRouge1 / testRouge2 / testRougeL{Consecutive,NonConsecutive} (rouge_scorer_test.py)', () => {
  let r = rougeScore('testing one two', 'testing', ['rouge1'])['rouge1']!;
  near(r.precision, 1, 7, 'P'); near(r.recall, 1 / 3, 7, 'R'); near(r.fmeasure, 1 / 2, 7, 'F');
  r = rougeScore('testing one two', 'testing one', ['rouge2'])['rouge2']!;
  near(r.precision, 1, 7, 'P'); near(r.recall, 1 / 2, 7, 'R'); near(r.fmeasure, 2 / 3, 7, 'F');
  for (const pred of ['testing one', 'testing two']) {
    r = rougeScore('testing one two', pred, ['rougeL'])['rougeL']!;
    near(r.precision, 1, 7, 'P'); near(r.recall, 2 / 3, 7, 'R'); near(r.fmeasure, 4 / 5, 7, 'F');
  }
  const multi = rougeScore('testing one two', 'testing one', ['rouge1', 'rougeL']);
  assert.deepEqual(Object.keys(multi).sort(), ['rouge1', 'rougeL']);
  near(multi['rouge1']!.fmeasure, 4 / 5, 7, 'rouge1 F');
});

test('testRougeEmpty and testValidRougeTypes / testInvalidRougeTypes (rouge_scorer_test.py)', () => {
  for (const t of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']) {
    const r = rougeScore('testing one two', '', [t])[t]!;
    assert.deepEqual([r.precision, r.recall, r.fmeasure], [0, 0, 0], t);
  }
  for (const t of ['rouge1', 'rouge9', 'rougeL', 'rougeLsum']) assert.deepEqual(Object.keys(rougeScore('testing one two', 'testing', [t])), [t]);
  for (const t of ['rougen', 'rouge0', 'rouge10']) {
    assert.throws(() => rougeScore('testing one two', 'testing', [t]), (e: unknown) => isGlmError(e, 'E_ROUGE_TYPE'));
  }
});

test('ROUGE-1 / ROUGE-2 / ROUGE-L against ROUGE-1.5.5 (rouge_scorer_test.py …AgainstRouge155)', () => {
  const cases: [string, boolean, number, [number, number, number]][] = [
    // [type, stemmer, line, [recall, precision, fmeasure]]
    ['rouge1', false, 0, [0.40741, 0.6875, 0.51163]],
    ['rouge1', false, 1, [0.40476, 0.65385, 0.5]],
    ['rouge1', true, 0, [0.40741, 0.6875, 0.51163]],
    ['rouge1', true, 1, [0.42857, 0.69231, 0.52941]],
    ['rouge2', false, 0, [0.30769, 0.53333, 0.39024]],
    ['rouge2', false, 1, [0.29268, 0.48, 0.36364]],
    ['rouge2', true, 0, [0.30769, 0.53333, 0.39024]],
    ['rouge2', true, 1, [0.29268, 0.48, 0.36364]],
    ['rougeL', false, 0, [0.40741, 0.6875, 0.51163]],
    ['rougeL', false, 1, [0.40476, 0.65385, 0.5]],
  ];
  for (const [type, stem, line, [rec, prec, f]] of cases) {
    const s = rougeScore(TARGETS[line]!, PREDICTIONS[line]!, [type], { useStemmer: stem })[type]!;
    const what = `${type} stem=${stem} line ${line}`;
    near(s.recall, rec, 5, `${what} R`);
    near(s.precision, prec, 5, `${what} P`);
    near(s.fmeasure, f, 5, `${what} F`);
  }
});

test('ROUGE-Lsum with stemming against ROUGE-1.5.5 (testRougeLSumAgainstRouge155WithStemming)', () => {
  const s = rougeScore(TARGET_MULTI_0, PREDICTION_MULTI_0, ['rougeLsum'], { useStemmer: true })['rougeLsum']!;
  near(s.recall, 0.36538, 5, 'R');
  near(s.precision, 0.66667, 5, 'P');
  near(s.fmeasure, 0.47205, 5, 'F');
});

test('summary-level LCS: the ROUGE paper §3.2 example (testSummaryLevelLcs, testRougeLsum, testUnionLcs)', () => {
  // testLcsTable: indices into ref of the LCS of [1..5] and [2,5,3,4].
  assert.deepEqual(lcsIndices(['1', '2', '3', '4', '5'], ['2', '5', '3', '4']), [1, 2, 3]);
  assert.deepEqual(lcsIndices(['1', '2', '3', '4', '5'], ['8', '9']), []);
  const ref = [['1', '2', '3', '4', '5']];
  const cans = [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']];
  const s = rougeLsumTokens(ref, cans);
  assert.equal(s.recall, 0.8); // 4 / 5
  assert.equal(s.precision, 0.4); // 4 / 10
  near(s.fmeasure, 0.5333, 3, 'F');
  assert.equal(rougeLsumTokens([['reference']], [[]]).recall, 0);
  const r = rougeScore('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5', ['rougeLsum'])['rougeLsum']!;
  near(r.recall, 0.8, 7, 'R'); near(r.precision, 0.4, 7, 'P'); near(r.fmeasure, 0.5333, 3, 'F');
  for (const [t, p] of [['w1 w2 w3 w4 w5', ''], ['', 'w1'], ['w1 w2 w3 w4 w5', '/']] as const) {
    const z = rougeScore(t, p, ['rougeLsum'])['rougeLsum']!;
    assert.deepEqual([z.precision, z.recall, z.fmeasure], [0, 0, 0], `${JSON.stringify(t)} / ${JSON.stringify(p)}`);
  }
  // testRougeLSumSentenceSplitting-style: sentence order does not matter for Lsum, it does for L.
  const swapped = rougeScore('first sentence\nsecond sentence', 'second sentence\nfirst sentence', ['rougeL', 'rougeLsum']);
  assert.equal(swapped['rougeLsum']!.fmeasure, 1);
  assert.ok(swapped['rougeL']!.fmeasure < 1);
});

test('tokenizer: lower-case, non-alphanumerics to spaces, stemming only for tokens longer than 3', () => {
  assert.deepEqual(rougeTokenize("The quick-brown fox's 2 DOGS!"), ['the', 'quick', 'brown', 'fox', 's', '2', 'dogs']);
  assert.deepEqual(rougeTokenize('running runs ran caresses', true), ['run', 'run', 'ran', 'caress']);
  assert.deepEqual(rougeTokenize('ties', true), ['tie']);
  assert.deepEqual(rougeTokenize('¡Über naïve café!'), ['ber', 'na', 've', 'caf']);
});

test('ROUGE-1 and ROUGE-2 F equal js-rouge@3.2.3 n() when given the same tokenizer', () => {
  const pairs: [string, string][] = [
    [TARGETS[0]!, PREDICTIONS[0]!],
    [TARGETS[1]!, PREDICTIONS[1]!],
    ['the cat sat on the mat with the hat', 'the cat was on the mat the the'],
    ['police killed the gunman', 'the gunman police killed'],
    ['a a a b b c', 'a b b b c c c c'],
  ];
  const tokenizer = (s: string): string[] => rougeTokenize(s);
  for (const [t, p] of pairs) {
    for (const n of [1, 2]) {
      const ours = rougeScore(t, p, [`rouge${n}`])[`rouge${n}`]!.fmeasure;
      const theirs = jsRouge.n(p, t, { n, tokenizer });
      near(ours, theirs, 12, `rouge${n} ${JSON.stringify(p).slice(0, 30)}`);
    }
  }
});

test('corpus ROUGE is the mean of per-example scores; mismatched lengths are an error', () => {
  const c = rougeCorpus(['testing one two', 'testing one two'], ['testing', 'testing one'], ['rouge1']);
  near(c['rouge1']!.fmeasure, (1 / 2 + 4 / 5) / 2, 12, 'mean F');
  assert.throws(() => rougeCorpus(['a'], [], ['rouge1']), (e: unknown) => isGlmError(e, 'E_METRIC_INPUT'));
});
