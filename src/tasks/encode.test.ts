import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../util/errors.js';
import { encodeClassifier, encodeCloze, encodeSeq2Seq } from './encode.js';
import { MASK, lit, short, templatePvp, type Pvp } from './pattern.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import type { TaskExample } from './types.js';

const ex = (fields: Record<string, string>, label?: string): TaskExample => ({ id: 'e1', fields, ...(label !== undefined ? { label } : {}) });
const SENT = templatePvp({ template: '{text} It was [MASK].', verbalizer: { '0': ' bad', '1': ' good' } });

test('encodeCloze: [CLS] pattern [eos], mask position, single-token answers, gold index', () => {
  const tok = new ToyTokenizer();
  const e = encodeCloze(SENT, ex({ text: 'A fine film' }, '1'), tok, { maxSeqLength: 64 });
  const w = (s: string): number => tok.encode(s)[0]!;
  assert.deepEqual(e.tokens, [2, w('A'), w(' fine'), w(' film'), w(' It'), w(' was'), 3, w('.'), 1]);
  assert.equal(e.maskPosition, 6);
  assert.deepEqual(e.answers, [[w(' bad')], [w(' good')]]);
  assert.equal(e.singleToken, true);
  assert.equal(e.gold, 1);
  assert.equal(e.truncated, 0);
});

test('encodeCloze: multi-token answers; "single" mode refuses them with a named error', () => {
  const tok = new ToyTokenizer();
  const p = templatePvp({ template: '{text} Verdict: [MASK].', verbalizer: { '0': ' thumbs down', '1': ' thumbs up' } });
  const e = encodeCloze(p, ex({ text: 'Meh' }, '0'), tok, { maxSeqLength: 64 });
  assert.equal(e.singleToken, false);
  assert.deepEqual(e.answers.map((a) => a.length), [2, 2]);
  assert.equal(e.answers[0]![0], e.answers[1]![0], 'shared first token');
  assert.throws(() => encodeCloze(p, ex({ text: 'Meh' }), tok, { maxSeqLength: 64, answerMode: 'single' }), (x: unknown) => isGlmError(x, 'E_VERBALIZER_NOT_SINGLE_TOKEN'));
});

test('encodeCloze truncation: the side with more shortenable tokens loses its last shortenable tokens first', () => {
  const tok = new ToyTokenizer();
  const pvp: Pvp = {
    id: 't', description: '', answers: () => [' yes', ' no'], gold: () => undefined,
    parts: (e) => ({ a: [short(e.fields['x']!), lit(' ?'), short(e.fields['y']!)], b: [MASK, short(e.fields['z']!)] }),
  };
  // A: 4 + 1 + 3 tokens (7 shortenable), B: 1 + 2 (2 shortenable). Single token: budget |A|+|B|+3.
  const e = encodeCloze(pvp, ex({ x: 'a b c d', y: ' e f g', z: ' h i' }), tok, { maxSeqLength: 13 });
  // 8 + 3 + 3 = 14 > 13: one token goes, from A's last shortenable segment ("g").
  assert.equal(e.truncated, 1);
  assert.equal(tok.decode(e.tokens, { skipSpecial: true }), 'a b c d ? e f h i');
  const e2 = encodeCloze(pvp, ex({ x: 'a b c d', y: ' e f g', z: ' h i' }), tok, { maxSeqLength: 9 });
  // Remove 5: y loses 3 (A has 7 > 2), then x loses 2 (A 4 > 2 … 3 > 2).
  assert.equal(tok.decode(e2.tokens, { skipSpecial: true }), 'a b ? h i');
  // Multi-token budget counts the longest answer + eop instead of [sop].
  const multi: Pvp = { ...pvp, answers: () => [' one two three', ' four'] };
  assert.equal(encodeCloze(multi, ex({ x: 'a b c d', y: ' e f g', z: ' h i' }), tok, { maxSeqLength: 16 }).truncated, 1); // 11 + 2 + 4 = 17
  assert.throws(() => encodeCloze(pvp, ex({ x: 'a', y: ' b', z: ' c' }), tok, { maxSeqLength: 4 }), (x: unknown) => isGlmError(x, 'E_TASK_TOO_LONG') && /example e1/.test((x as Error).message));
});

test('encodeCloze: a mask typed inside the data is refused, naming the example', () => {
  const tok = new ToyTokenizer();
  assert.throws(() => encodeCloze(SENT, ex({ text: 'fill [MASK] here' }), tok, { maxSeqLength: 64 }), (x: unknown) => isGlmError(x, 'E_TASK_TEXT_HAS_MASK'));
});

test('encodeSeq2Seq: [CLS] [MASK] " Content:" source, padded to srcLen; target + eop cut to tgtLen', () => {
  const tok = new ToyTokenizer();
  const e = encodeSeq2Seq({ id: 's', source: 'long text here', target: 'short one' }, tok, { srcLen: 10, tgtLen: 3 });
  assert.deepEqual(e.source.slice(0, 2), [2, 3]);
  assert.equal(tok.decode(e.source.slice(2, e.sourceLength)), ' Content: long text here');
  assert.equal(e.source.length, 10);
  assert.deepEqual(e.source.slice(e.sourceLength), new Array(10 - e.sourceLength).fill(0));
  assert.equal(e.maskPosition, 1);
  assert.deepEqual(e.target, [...tok.encode(' short one'), 7]);
  assert.equal(encodeSeq2Seq({ id: 's', source: 'x', target: 'a b c d' }, tok, { srcLen: 10, tgtLen: 3 }).target.includes(7), false, 'eop lost when cut');
  assert.equal(encodeSeq2Seq({ id: 's', source: 'x', target: 'y' }, tok, { srcLen: 10, tgtLen: 3, maskKind: 'sMask' }).source[1], 9);
});

test('encodeClassifier: [CLS] a b [eos], the longer text shortened first', () => {
  const tok = new ToyTokenizer();
  const e = encodeClassifier({ a: 'one two three four', b: ' five' }, 1, tok, 5);
  assert.equal(tok.decode(e.tokens, { skipSpecial: true }), 'one two five');
  assert.equal(e.label, 1);
  assert.equal(e.truncated, 2); // 4 + 1 + 2 = 7 > 5
});
