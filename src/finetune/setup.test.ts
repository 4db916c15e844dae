/** loadSplit: the first N examples, or a seeded random subset in split order (spam's split starts with ham only). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTask, type ClozeTask } from '../tasks/index.js';
import { loadSplit } from './setup.js';

test('loadSplit with sampleSeed draws a label-mixed, reproducible subset in split order', () => {
  const spam = getTask('spam') as ClozeTask;
  const all = loadSplit(spam, 'train', {});
  const first = loadSplit(spam, 'train', { limit: 64 });
  assert.deepEqual(new Set(first.map((e) => e.label)), new Set(['ham']), 'the prefix is one label (why sampling is needed)');
  const a = loadSplit(spam, 'train', { limit: 64, sampleSeed: 7 });
  assert.equal(a.length, 64);
  assert.deepEqual(new Set(a.map((e) => e.label)), new Set(['ham', 'spam']));
  assert.deepEqual(loadSplit(spam, 'train', { limit: 64, sampleSeed: 7 }), a);
  assert.notDeepEqual(loadSplit(spam, 'train', { limit: 64, sampleSeed: 8 }).map((e) => e.id), a.map((e) => e.id));
  const pos = a.map((e) => all.findIndex((x) => x.id === e.id));
  assert.ok(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1]!)), 'a subset of the split, in its order');
  assert.equal(loadSplit(spam, 'test', { limit: 100000, sampleSeed: 7 }).length, loadSplit(spam, 'test', {}).length);
});
