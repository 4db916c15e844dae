/** The built-in offline tasks load from their npm packages / committed files with the expected sizes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../util/errors.js';
import { encodeCloze } from './encode.js';
import { getPvp, getTask, taskNames } from './registry.js';
import { cleanEmail } from './spam.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import type { ClozeTask, InfillTask, Seq2SeqTask } from './types.js';

const SPLITS = ['train', 'validation', 'test'] as const;

test('sentiment: 3 × 1,000 sentences (empty last fixture element dropped), balanced, disjoint splits', () => {
  const t = getTask('sentiment') as ClozeTask;
  const parts = SPLITS.map((s) => t.load(s));
  assert.equal(parts.reduce((n, p) => n + p.length, 0), 3000);
  const all = parts.flat();
  assert.equal(all.filter((e) => e.label === '1').length, 1500);
  assert.ok(all.every((e) => e.fields['text']!.length > 0));
  const texts = parts.map((p) => new Set(p.map((e) => e.fields['text'])));
  for (const x of texts[2]!) assert.ok(!texts[0]!.has(x), 'a test sentence also in train');
  assert.ok(parts[2]!.length > 200 && parts[2]!.length < 400, `test size ${parts[2]!.length}`);
  // The multi-token verbalizer encodes to 2-token answers that share the first token.
  const e = encodeCloze(getPvp(t, '2'), parts[0]![0]!, new ToyTokenizer(), { maxSeqLength: 128 });
  assert.equal(e.singleToken, false);
});

test('spam: 6,046 messages, 4,150 ham / 1,896 spam, headers stripped', () => {
  const t = getTask('spam') as ClozeTask;
  const all = SPLITS.flatMap((s) => t.load(s));
  assert.equal(all.length, 6046);
  assert.equal(all.filter((e) => e.label === 'spam').length, 1896);
  // One spam message has a blank line inside its headers, so part of them survives; no other does.
  assert.ok(all.filter((e) => /^Return-Path:|^Received:/.test(e.fields['text']!)).length <= 1);
  const c = cleanEmail('From: a@b\nSubject: Hello\n  world\nX-Y: z\n\n<p>Hi&nbsp;there=\n!</p>\n');
  assert.deepEqual(c, { subject: 'Hello world', body: 'Hi there!' });
});

test('debian-summaries: 3,000 / 500 / 500 committed pairs', () => {
  const t = getTask('debian-summaries') as Seq2SeqTask;
  assert.deepEqual(SPLITS.map((s) => t.load(s).length), [3000, 500, 500]);
  const ex = t.load('test', { limit: 3 });
  assert.equal(ex.length, 3);
  assert.ok(ex.every((e) => e.source.split(' ').length >= 20 && e.target.length > 0));
});

test('infill-prose: 50 validation and 150 test passages at five ratios, blanks match spans', () => {
  const t = getTask('infill-prose') as InfillTask;
  const v = t.load('validation'), te = t.load('test');
  assert.equal(v.length, 250);
  assert.equal(te.length, 750);
  for (const ex of te) {
    let s = ex.masked;
    for (const span of ex.spans) s = s.replace('[MASK]', span);
    assert.equal(s, ex.original);
  }
  assert.deepEqual([...new Set(te.map((e) => e.ratio))].sort(), [0.1, 0.2, 0.3, 0.4, 0.5]);
});

test('registry: every built-in task is listed; unknown task and pattern names are named errors', () => {
  assert.deepEqual(taskNames().sort(), ['boolq', 'brown-genres', 'cb', 'copa', 'debian-summaries', 'infill-prose', 'multirc', 'record', 'rte', 'sentiment', 'spam', 'wic', 'wsc']);
  assert.throws(() => getTask('sst2'), (e: unknown) => isGlmError(e, 'E_TASK_UNKNOWN') && /sentiment/.test((e as Error).message));
  assert.throws(() => getPvp(getTask('sentiment'), '9'), (e: unknown) => isGlmError(e, 'E_TASK_PATTERN'));
  assert.throws(() => getPvp(getTask('debian-summaries')), (e: unknown) => isGlmError(e, 'E_TASK_KIND'));
});
