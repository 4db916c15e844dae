/**
 * The baselines beside every model result: the word trigram (stupid backoff, both-side fill),
 * the bag-of-words classifiers and the blank-filling examples and scores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrigramModel } from './ngram.js';
import { NaiveBayes, LogisticRegression, majorityLabel, features } from './bow.js';
import { normalizeAnswer, words } from './words.js';
import { blankExamples, maskedText, filledText, scoreBlanks } from '../blank-filling.js';

test('words and answer normalisation', () => {
  assert.deepEqual(words("Don't stop, Mr. Smith!"), ["don't", 'stop', ',', 'mr', '.', 'smith', '!']);
  assert.equal(normalizeAnswer(' The  United-States. '), 'the united states');
});

test('trigram: stupid-backoff scores and a fill that uses the right context', () => {
  const m = new TrigramModel();
  for (let i = 0; i < 5; i++) m.add(words('the cat sat on the mat'));
  for (let i = 0; i < 3; i++) m.add(words('the dog ran to the park'));
  m.add(words('the cat ran home'));
  m.finish();
  assert.equal(m.mostFrequent(), 'the');
  // Seen trigram: count(the cat sat) / count(the cat) = 5/6.
  assert.ok(Math.abs(m.score('the', 'cat', 'sat') - Math.log(5 / 6)) < 1e-12);
  // Backoff to the bigram costs log 0.4.
  assert.ok(Math.abs(m.score('a', 'cat', 'sat') - (Math.log(0.4) + Math.log(5 / 6))) < 1e-12);
  // Left context alone says "cat" (6 of 9 after "the" at the start) but the right context "ran to" says "dog".
  assert.deepEqual(m.fill(['the'], ['ran', 'to', 'the'], 1), ['dog']);
  assert.deepEqual(m.fill(['the'], ['sat', 'on'], 1), ['cat']);
  assert.deepEqual(m.fill([], ['on', 'the', 'mat'], 3), ['the', 'cat', 'sat']);
});

test('naive Bayes and logistic regression learn a separable task; majority class', () => {
  const data = [];
  for (let i = 0; i < 30; i++) {
    data.push({ text: `great fun movie ${i}`, label: 'pos' }, { text: `awful boring film ${i}`, label: 'neg' });
  }
  data.push({ text: 'great', label: 'pos' });
  assert.equal(majorityLabel(data), 'pos');
  const nb = new NaiveBayes().fit(data);
  const lr = new LogisticRegression({ l2: 1e-4, epochs: 100, lr: 0.1, minCount: 1 }).fit(data);
  for (const m of [nb, lr]) {
    assert.equal(m.predict('a great movie'), 'pos');
    assert.equal(m.predict('so boring and awful'), 'neg');
  }
  assert.ok(features('a b a').includes('a b') && features('a b a').includes('b a'));
});

test('blank examples: deterministic, cut at plain words, and the gold text restores the original', () => {
  const docs = [Array.from({ length: 40 }, (_, i) => `word${i % 7 === 0 ? ',' : ''} alpha beta`).join(' ').replace(/word/g, 'w') + '\n\nshort para', 'The quick brown fox jumps over the lazy dog again and again while the cat watches from the old wooden fence near the river bank today.'];
  const o = { count: 5, spanWords: [1, 3] as const, windowWords: 20, seed: 7 };
  const a = blankExamples(docs, o);
  assert.deepEqual(blankExamples(docs, o), a);
  assert.ok(a.length === 2, `one blank per long paragraph, got ${a.length}`);
  for (const e of a) {
    assert.match(e.gold, /^[A-Za-z]+( [A-Za-z]+)*$/);
    assert.equal(e.gold.split(' ').length, e.span);
    assert.ok(maskedText(e).includes('[MASK]'));
    assert.ok(docs.some((d) => d.includes(filledText(e, e.gold))));
  }
  assert.equal(scoreBlanks(a, a.map((e) => e.gold.toUpperCase() + '.')).exactMatch, 1);
  const s = scoreBlanks(a, a.map((e) => e.gold.toUpperCase()));
  assert.equal(s.exactMatch, 1);
  assert.ok(Math.abs(s.bleu - 100) < 1e-9, String(s.bleu));
  assert.equal(scoreBlanks(a, a.map(() => 'zzz')).exactMatch, 0);
});
