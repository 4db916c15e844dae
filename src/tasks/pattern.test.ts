import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../util/errors.js';
import { MASK, lit, lowercaseFirst, removeFinalPunc, renderParts, short, templatePvp } from './pattern.js';
import type { TaskExample } from './types.js';

const ex = (fields: Record<string, string>, label?: string): TaskExample => ({ id: 'e1', fields, ...(label !== undefined ? { label } : {}) });

test('templatePvp: placeholders become shortenable segments, [MASK] the mask, labels map to answers', () => {
  const p = templatePvp({ template: '{text} It was [MASK]. {{literal}}', verbalizer: { neg: ' bad', pos: ' good' }, fixed: [] });
  const parts = p.parts(ex({ text: 'Loved it!' }, 'pos'));
  assert.deepEqual(parts.a, [short('Loved it!'), lit(' It was'), MASK, lit('. {literal}')]);
  assert.equal(renderParts(parts), 'Loved it! It was[MASK]. {literal}');
  assert.deepEqual(p.answers(ex({ text: 'x' })), [' bad', ' good']);
  assert.equal(p.gold(ex({ text: 'x' }, 'pos')), 1);
  assert.equal(p.gold(ex({ text: 'x' })), undefined);
  const fixed = templatePvp({ template: '{a}[MASK]{b}', verbalizer: { x: ' x', y: ' y' }, fixed: ['b'] });
  assert.deepEqual(fixed.parts(ex({ a: 'A', b: 'B' })).a, [short('A'), MASK, lit('B')]);
});

test('templatePvp: bad patterns and verbalizers are named errors', () => {
  const bad = (spec: Parameters<typeof templatePvp>[0], code = 'E_PATTERN'): void => {
    assert.throws(() => templatePvp(spec), (e: unknown) => isGlmError(e, code), JSON.stringify(spec));
  };
  bad({ template: '{text} no blank', verbalizer: { a: ' a', b: ' b' } });
  bad({ template: '[MASK] {text} [MASK]', verbalizer: { a: ' a', b: ' b' } });
  bad({ template: '{te xt} [MASK]', verbalizer: { a: ' a', b: ' b' } });
  bad({ template: '{text [MASK]', verbalizer: { a: ' a', b: ' b' } });
  bad({ template: '{text} [MASK]', verbalizer: { a: ' a' } });
  bad({ template: '{text} [MASK]', verbalizer: { a: ' a', b: '  ' } });
  const p = templatePvp({ template: '{text} [MASK]', verbalizer: { a: ' a', b: ' b' } });
  assert.throws(() => p.parts(ex({ other: 'x' })), (e: unknown) => isGlmError(e, 'E_TASK_FIELD_MISSING') && /field "text"/.test((e as Error).message));
  assert.throws(() => p.gold(ex({ text: 'x' }, 'c')), (e: unknown) => isGlmError(e, 'E_TASK_UNKNOWN_LABEL'));
});

test('GLM string helpers: rstrip(string.punctuation) and lowercase_first', () => {
  assert.equal(removeFinalPunc('The sun rose...!'), 'The sun rose');
  assert.equal(removeFinalPunc('"quoted."'), '"quoted');
  assert.equal(removeFinalPunc('keep (this) a'), 'keep (this) a');
  assert.equal(lowercaseFirst('The Man'), 'the Man');
  assert.equal(lowercaseFirst(''), '');
});
