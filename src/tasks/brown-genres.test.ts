/** The Brown-genres task: fixed splits by file (no document in two splits), four labels, the patterns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTask } from './registry.js';
import { brownGenres } from './brown-genres.js';
import { encodeCloze } from './encode.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { repoRoot } from '../testing/helpers.js';

test('brown-genres: passages of four genres, split by file, mixed order', () => {
  assert.equal(getTask('brown-genres'), brownGenres);
  const splits = (['train', 'validation', 'test'] as const).map((s) => brownGenres.load(s));
  const files = splits.map((xs) => new Set(xs.map((x) => String(x.meta!['file']))));
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (const f of files[i]!) assert.ok(!files[j]!.has(f), `${f} in two splits`);
  const [train, valid, test] = splits;
  assert.ok(train!.length > 4 * test!.length && test!.length > 100 && valid!.length > 100, `${train!.length}/${valid!.length}/${test!.length}`);
  for (const xs of splits) assert.deepEqual(new Set(xs.map((x) => x.label)), new Set(brownGenres.labels));
  assert.equal(new Set(train!.slice(0, 32).map((x) => x.label)).size, 4, 'the first 32 training passages should mix the genres');
  assert.ok(train!.every((x) => x.fields['text']!.split(' ').length >= 40 && !/\w\/(at|nn|in|vbd)\b/.test(x.fields['text']!)));
  assert.deepEqual(brownGenres.load('train', { limit: 5 }), train!.slice(0, 5));
});

test('brown-genres: pattern 1 has one-token answers and pattern 0 multi-token ones (shipped tokenizer)', () => {
  const tok = loadTokenizer(`${repoRoot()}/models/glm-en-small`);
  const ex = brownGenres.load('test', { limit: 1 })[0]!;
  assert.equal(encodeCloze(brownGenres.pvps['1']!, ex, tok, { maxSeqLength: 128 }).singleToken, true);
  assert.equal(encodeCloze(brownGenres.pvps['0']!, ex, tok, { maxSeqLength: 128 }).singleToken, false);
});
