/**
 * SuperGLUE loaders and patterns on small hand-written rows in the official jsonl formats. The
 * rendered patterns are compared with spec §5.1 (GLM's pvp.py segments joined, "[MASK]" for the
 * blank; the verbalizer brings the space before the answer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGlmError } from '../util/errors.js';
import { renderParts } from './pattern.js';
import { getPvp, getTask } from './registry.js';
import type { ClozeTask, TaskExample } from './types.js';

function dir(files: Record<string, object[]>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-superglue-'));
  for (const [name, rows] of Object.entries(files)) fs.writeFileSync(path.join(d, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return d;
}
const task = (n: string): ClozeTask => getTask(n) as ClozeTask;
const render = (t: ClozeTask, id: string, ex: TaskExample): string => renderParts(getPvp(t, id).parts(ex));

test('BoolQ: patterns 0–5 and both verbalizers; labels from JSON booleans', () => {
  const d = dir({ 'val.jsonl': [{ question: 'is the sky blue', passage: 'The sky is blue.', idx: 0, label: true }] });
  const [ex] = task('boolq').load('validation', { dataDir: d });
  assert.equal(ex!.label, 'true');
  const t = task('boolq');
  assert.equal(render(t, '0', ex!), 'The sky is blue. Question: is the sky blue? Answer:[MASK].');
  assert.equal(render(t, '2', ex!), 'The sky is blue. Based on the previous passage, is the sky blue?[MASK].');
  assert.equal(render(t, '4', ex!), 'Based on the following passage is the sky blue?[MASK]. The sky is blue.');
  assert.deepEqual(getPvp(t, '4').answers(ex!), [' No', ' Yes']);
  assert.deepEqual(getPvp(t, '5').answers(ex!), [' false', ' true']);
  assert.equal(getPvp(t).id, '4', 'default pattern');
  assert.equal(getPvp(t).gold(ex!), 1);
});

test('RTE and CB: hypothesis loses final punctuation; p0–p4 renderings; CB verbalizers', () => {
  const d = dir({ 'train.jsonl': [{ premise: 'A man sleeps.', hypothesis: 'Someone rests.', label: 'entailment', idx: 3 }] });
  const rte = task('rte');
  const [ex] = rte.load('train', { dataDir: d });
  assert.equal(render(rte, '0', ex!), '"Someone rests" ?[MASK], "A man sleeps."');
  assert.equal(render(rte, '1', ex!), 'Someone rests?[MASK], A man sleeps.');
  assert.equal(render(rte, '2', ex!), '"Someone rests" ?[MASK]. "A man sleeps."');
  assert.equal(render(rte, '3', ex!), 'Someone rests?[MASK]. A man sleeps.');
  assert.equal(render(rte, '4', ex!), 'A man sleeps. question: Someone rests True or False? answer:[MASK]');
  assert.deepEqual(getPvp(rte, '0').answers(ex!), [' Yes', ' No']);
  assert.deepEqual(getPvp(rte, '4').answers(ex!), [' true', ' false']);
  const cb = task('cb');
  const [c] = cb.load('train', { dataDir: dir({ 'train.jsonl': [{ premise: 'P.', hypothesis: 'H!', label: 'neutral', idx: 0 }] }) });
  assert.equal(render(cb, '4', c!), 'P. question: H! true, false or neither? answer:[MASK]');
  assert.deepEqual(getPvp(cb, '3').answers(c!), [' Yes', ' No', ' Maybe']);
  assert.deepEqual(getPvp(cb, '4').answers(c!), [' true', ' false', ' neither']);
  assert.equal(getPvp(cb).gold(c!), 2);
  assert.deepEqual(cb.metrics, ['accuracy', 'macro-f1']);
});

test('WiC and MultiRC renderings; MultiRC is flattened to one example per answer option', () => {
  const wic = task('wic');
  const [w] = wic.load('train', { dataDir: dir({ 'train.jsonl': [{ word: 'bank', sentence1: 'He sat on the bank.', sentence2: 'The bank was closed.', label: false, idx: 0 }] }) });
  assert.equal(render(wic, '1', w!), 'He sat on the bank. The bank was closed. Does bank have the same meaning in both sentences?[MASK]');
  assert.equal(render(wic, '2', w!), 'bank . Sense (1) (a) "He sat on the bank." ([MASK]) "The bank was closed."');
  assert.deepEqual(getPvp(wic, '2').answers(w!), ['2', 'b']);
  const mr = task('multirc');
  const rows = mr.load('validation', { dataDir: dir({ 'val.jsonl': [{ idx: 0, passage: { text: 'Tom ate an apple. ', questions: [{ idx: 0, question: 'What did Tom eat?', answers: [{ idx: 0, text: 'an apple', label: 1 }, { idx: 1, text: 'a pear', label: 0 }] }] } }] }) });
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => r.label), ['1', '0']);
  assert.equal(render(mr, '0', rows[0]!), 'Tom ate an apple. Question: What did Tom eat? Is it an apple?[MASK].');
  assert.equal(render(mr, '3', rows[1]!), 'Tom ate an apple What did Tom eat- [[MASK]]a pear');
  assert.deepEqual(getPvp(mr, '3').answers(rows[0]!), [' False', ' True']);
});

test('COPA: candidates lower-cased without final punctuation, joiner by question, mirrored training rows', () => {
  const copa = task('copa');
  const row = { premise: 'The man broke his toe.', choice1: 'He dropped a hammer on his foot.', choice2: 'He got a hole in his sock.', question: 'cause', label: 0, idx: 1 };
  const train = copa.load('train', { dataDir: dir({ 'train.jsonl': [row] }) });
  assert.equal(train.length, 2);
  assert.deepEqual(train[0]!.candidates, [' he dropped a hammer on his foot', ' he got a hole in his sock']);
  assert.deepEqual(train[0]!.goldCandidates, [0]);
  assert.deepEqual(train[1]!.goldCandidates, [1], 'mirror swaps the gold');
  assert.equal(render(copa, '0', train[0]!), '"he dropped a hammer on his foot" or "he got a hole in his sock"? The man broke his toe because[MASK].');
  assert.equal(render(copa, '1', train[0]!), 'he dropped a hammer on his foot or he got a hole in his sock? The man broke his toe because[MASK].');
  const val = copa.load('validation', { dataDir: dir({ 'val.jsonl': [{ ...row, question: 'effect' }] }) });
  assert.equal(val.length, 1);
  assert.match(render(copa, '0', val[0]!), /toe, so\[MASK\]\.$/);
  assert.equal(getPvp(copa).gold(val[0]!), 0);
});

test('WSC: pronoun marked with asterisks (index repaired), train keeps label-True rows, mix loss and length penalty 1', () => {
  const wsc = task('wsc');
  const rows = [
    // Pronoun glued to the period: GLM splits the word, then marks it.
    { text: 'Mark told Pete many lies about himself.', target: { span1_text: 'Mark', span1_index: 0, span2_text: 'himself', span2_index: 6 }, label: true, idx: 0 },
    // Index off by one (7 instead of 6): repaired.
    { text: 'Mark told Pete many lies about himself today.', target: { span1_text: 'Pete', span1_index: 2, span2_text: 'himself', span2_index: 7 }, label: false, idx: 1 },
  ];
  const train = wsc.load('train', { dataDir: dir({ 'train.jsonl': rows }) });
  assert.equal(train.length, 1, 'label False rows are dropped from training');
  assert.equal(train[0]!.fields['text'], 'Mark told Pete many lies about *himself* .');
  assert.deepEqual(train[0]!.candidates, [' Mark']);
  assert.equal(render(wsc, '2', train[0]!), "Mark told Pete many lies about *himself* . Question: In the passage above, what does the pronoun '*himself*' refer to? Answer:[MASK].");
  const val = wsc.load('validation', { dataDir: dir({ 'val.jsonl': rows }) });
  assert.equal(val.length, 2);
  assert.equal(val[1]!.fields['text'], 'Mark told Pete many lies about *himself* today.');
  assert.equal(val[1]!.goldCandidates, undefined);
  assert.equal(val[1]!.meta!['label'], false);
  const bad = { ...rows[0]!, target: { ...rows[0]!.target, span2_index: 2 } };
  assert.throws(() => wsc.load('validation', { dataDir: dir({ 'val.jsonl': [bad] }) }), (e: unknown) => isGlmError(e, 'E_TASK_FIELD_TYPE') && /line 1/.test((e as Error).message));
  const p = getPvp(wsc);
  assert.equal(p.lengthPenalty, 1);
  assert.equal(p.loss, 'mix');
});

test('ReCoRD: entities as candidates, @highlight rewritten, training negatives capped at 9', () => {
  const text = 'Paris is in France.@highlight\nBerlin A B C D E F G H I J';
  const ents = ['Paris', 'France', 'Berlin', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map((e) => ({ start: text.indexOf(e), end: text.indexOf(e) + e.length - 1 }));
  const row = { idx: 5, passage: { text, entities: ents }, qas: [{ idx: 0, query: 'The capital of @placeholder is Paris.', answers: [{ start: 12, end: 17, text: 'France' }] }] };
  const rec = task('record');
  const [tr] = rec.load('train', { dataDir: dir({ 'train.jsonl': [row] }) });
  assert.equal(tr!.candidates!.length, 10);
  assert.equal(tr!.candidates![0], ' France');
  assert.deepEqual(tr!.goldCandidates, [0]);
  const [ev] = rec.load('validation', { dataDir: dir({ 'val.jsonl': [row] }) });
  assert.equal(ev!.candidates!.length, 13);
  assert.equal(ev!.candidates![ev!.goldCandidates![0]!], ' France');
  assert.equal(render(rec, '0', ev!), 'Paris is in France.- Berlin A B C D E F G H I J The capital of[MASK] is Paris.');
});

test('SuperGLUE bad files: missing data folder, missing field, unknown label, empty text — each names the line', () => {
  assert.throws(() => task('rte').load('train'), (e: unknown) => isGlmError(e, 'E_TASK_DATA_MISSING'));
  const cases: [object, string, RegExp][] = [
    [{ premise: 'p', label: 'entailment' }, 'E_TASK_FIELD_MISSING', /line 2: missing field "hypothesis"/],
    [{ premise: 'p', hypothesis: 'h', label: 'maybe' }, 'E_TASK_UNKNOWN_LABEL', /line 2: unknown label "maybe"/],
    [{ premise: '  ', hypothesis: 'h', label: 'entailment' }, 'E_TASK_EMPTY_TEXT', /line 2: field "premise" is empty/],
  ];
  for (const [bad, code, msg] of cases) {
    const d = dir({ 'train.jsonl': [{ premise: 'p', hypothesis: 'h', label: 'entailment' }, bad] });
    assert.throws(() => task('rte').load('train', { dataDir: d }), (e: unknown) => isGlmError(e, code) && msg.test((e as Error).message) && (e as Error).message.includes('train.jsonl'));
  }
  // Test files may be unlabelled.
  const t = task('rte').load('test', { dataDir: dir({ 'test.jsonl': [{ premise: 'p', hypothesis: 'h', idx: 0 }] }) });
  assert.equal(t[0]!.label, undefined);
});
