/**
 * BLEU against sacreBLEU's own published values (github.com/mjpost/sacrebleu):
 *  - README.md, "Using the Python API" / "Variable Number of References" (corpus BLEU with its
 *    printed precisions, BP, lengths);
 *  - test/test_bleu.py (test_corpus_bleu, test_raw_bleu, test_effective_order, test_statistics,
 *    test_scoring, test_offset, test_degenerate_statistics, test_max_ngram_order);
 *  - test/test_sentence_bleu.py (smoothing variants on the #98 example).
 * sacreBLEU's `raw_corpus_bleu(h, r, v)` is corpus BLEU with floor smoothing v, tokenize 'none',
 * effective order on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../../util/errors.js';
import { computeBleu, corpusBleu, sentenceBleu, tokenize13a, type BleuOptions } from './bleu.js';

const EPSILON = 1e-8; // test_bleu.py's tolerance

const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

const raw = (h: string[], r: string[][], floor = 0.1): number =>
  corpusBleu(h, r, { smooth: 'floor', smoothValue: floor, tokenize: 'none', effectiveOrder: true }).score / 100;

test('README example: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)', () => {
  const b = corpusBleu(HYPS, REFS);
  assert.equal(b.score.toFixed(2), '48.53');
  assert.deepEqual(b.precisions.map((p) => p.toFixed(1)), ['82.4', '50.0', '45.5', '37.5']);
  assert.equal(b.bp.toFixed(3), '0.943');
  assert.equal(b.sysLen, 17);
  assert.equal(b.refLen, 18);
});

test('README variable number of references: BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889, ref_len = 19)', () => {
  const b = corpusBleu(HYPS, [['', REFS[0]![1]!, REFS[0]![2]!], REFS[1]!]);
  assert.equal(b.score.toFixed(2), '29.44');
  assert.deepEqual(b.precisions.map((p) => p.toFixed(1)), ['82.4', '42.9', '27.3', '12.5']);
  assert.equal(b.bp.toFixed(3), '0.889');
  assert.equal(b.refLen, 19);
});

test('test_corpus_bleu cases (13a default, none tokenizer, no smoothing, empty hypotheses)', () => {
  const cases: [string[], BleuOptions, number][] = [
    [HYPS, {}, 48.530827],
    [['', '', ''], {}, 0.0],
    [HYPS, { tokenize: 'none' }, 49.1919566],
    [HYPS, { tokenize: '13a' }, 48.530827],
    [HYPS, { smooth: 'none' }, 48.530827],
  ];
  for (const [h, o, want] of cases) {
    const got = corpusBleu(h, REFS, o).score;
    // test_bleu.py compares to EPSILON, but its expected values are printed to 6–7 decimals.
    assert.ok(Math.abs(got - want) < 1e-6, `${JSON.stringify(o)}: ${got} vs ${want}`);
  }
});

test('test_raw_bleu, test_effective_order, test_offset', () => {
  const cases: [string[], string[][], number][] = [
    [['this is a test', 'another test'], [['ref1', 'ref2']], 0.0],
    [['this is a test'], [['this is a test']], 1.0],
    [['this is a fest'], [['this is a test']], 0.223606797749979],
    [['test'], [['a test']], 0.3678794411714425],
    [['a test'], [['a test']], 1.0],
    [['a little test'], [['a test']], 0.03218297948685433],
  ];
  for (const [h, r, want] of cases) {
    const got = raw(h, r, 0.01);
    assert.ok(Math.abs(got - want) < EPSILON, `${h[0]}: ${got} vs ${want}`);
  }
  const h = ['am I am a character sequence'], r = [['I am a symbol string sequence a a']];
  assert.ok(Math.abs(raw(h, r, 0) - 0) < EPSILON);
  assert.ok(Math.abs(raw(h, r) - 0.1555722182) < EPSILON, `${raw(h, r)}`);
});

test('test_statistics: counts [4, 2, 1, 0], totals [6, 5, 4, 3]', () => {
  const b = corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], { tokenize: 'none', smooth: 'floor', smoothValue: 0.01, effectiveOrder: true });
  assert.deepEqual(b.counts, [4, 2, 1, 0]);
  assert.deepEqual(b.totals, [6, 5, 4, 3]);
});

test('test_scoring and test_degenerate_statistics (compute_bleu from statistics)', () => {
  assert.ok(Math.abs(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100 - 0.8375922397) < EPSILON);
  const degenerate: [number[], number[], number, number, number][] = [
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ];
  for (const [c, t, sys, ref, offset] of degenerate) {
    assert.equal(computeBleu(c, t, sys, ref, { smooth: 'floor', smoothValue: offset }).score / 100, 0);
  }
});

test('test_max_ngram_order: 77.65 60.50 53.93 48.53 46.14 43.28 for orders 1–6', () => {
  const want = ['77.65', '60.50', '53.93', '48.53', '46.14', '43.28'];
  want.forEach((w, i) => assert.equal(corpusBleu(HYPS, REFS, { maxNgramOrder: i + 1 }).score.toFixed(2), w, `order ${i + 1}`));
});

test('test_sentence_bleu.py: smoothing variants on the #98 example (tolerance 1e-3)', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: [BleuOptions, number][] = [
    [{ smooth: 'exp' }, 8.493],
    [{ smooth: 'none' }, 0.0],
    [{ smooth: 'floor' }, 4.51688],
    [{ smooth: 'floor', smoothValue: 0.1 }, 4.51688],
    [{ smooth: 'floor', smoothValue: 0.5 }, 10.1],
    [{ smooth: 'add-k' }, 14.882],
    [{ smooth: 'add-k', smoothValue: 1 }, 14.882],
    [{ smooth: 'add-k', smoothValue: 2 }, 21.389],
    [{ smooth: 'exp', tokenize: 'none' }, 7.347],
  ];
  for (const [o, want] of cases) {
    const got = sentenceBleu(SYS, [REF], o).score;
    assert.ok(Math.abs(got - want) < 1e-3, `${JSON.stringify(o)}: ${got} vs ${want}`);
  }
  // Example #141: no matching n-gram at all gives 0 whatever the smoothing.
  for (const smooth of ['exp', 'none', 'floor', 'add-k'] as const) assert.equal(sentenceBleu('this is a cat', ['okay thanks'], { smooth }).score, 0);
});

test('13a tokenisation: punctuation split, digits keep their separators, entities decoded', () => {
  // The apostrophe (0x27) is not in 13a's symbol class, so contractions stay whole.
  assert.equal(tokenize13a("It wasn't surprising."), "It wasn't surprising .");
  assert.equal(tokenize13a('Pay $3.50, or 1,000 (in 2-3 days)&amp;more'), 'Pay $ 3.50 , or 1,000 ( in 2 - 3 days ) & more');
  assert.equal(tokenize13a('a<skipped>b &quot;q&quot;'), 'ab " q "');
});

test('bad BLEU input: mismatched streams and empty references are named errors', () => {
  assert.throws(() => corpusBleu(['a', 'b'], [['a']]), (e: unknown) => isGlmError(e, 'E_METRIC_INPUT'));
  assert.throws(() => corpusBleu(['a'], [['']]), (e: unknown) => isGlmError(e, 'E_METRIC_INPUT'));
  assert.throws(() => corpusBleu(['a'], [['a']], { tokenize: 'intl' as never }), (e: unknown) => isGlmError(e, 'E_BLEU_OPTION'));
});
