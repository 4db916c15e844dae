/** Bad task files give clear errors naming the file and line (missing fields, unknown labels, empty text, bad JSON). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGlmError, type GlmError } from '../util/errors.js';
import { customTask } from './custom.js';
import { encodeCloze } from './encode.js';
import { getPvp } from './registry.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';

function file(lines: string[]): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'glm-task-')), 'data.jsonl');
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const spec = (f: string) => customTask({
  name: 'reviews', labels: ['neg', 'pos'], textFields: ['text'],
  pattern: { template: '{text} It was [MASK].', verbalizer: { neg: ' bad', pos: ' good' } },
  files: { train: f, test: f },
});

test('a valid custom task loads, encodes, and numeric/boolean labels compare as strings', () => {
  const f = file(['{"text": "Great phone.", "label": "pos"}', '', '{"text": "Broke in a day.", "label": "neg"}']);
  const t = spec(f);
  const rows = t.load('train');
  assert.deepEqual(rows.map((r) => [r.id, r.label]), [[`${f}:1`, 'pos'], [`${f}:3`, 'neg']]);
  const e = encodeCloze(getPvp(t), rows[0]!, new ToyTokenizer(), { maxSeqLength: 32 });
  assert.equal(e.gold, 1);
  const num = customTask({ labels: ['0', '1'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { '0': ' n', '1': ' y' } }, files: { train: file(['{"t": "x", "label": 1}']) } });
  assert.equal(num.load('train')[0]!.label, '1');
});

test('bad rows: each error names the file, the line and the field', () => {
  const cases: [string[], string, RegExp][] = [
    [['{"text": "ok", "label": "pos"}', '{"label": "pos"}'], 'E_TASK_FIELD_MISSING', /line 2: missing field "text"/],
    [['{"text": "ok", "label": "meh"}'], 'E_TASK_UNKNOWN_LABEL', /line 1: unknown label "meh" in field "label" \(expected one of "neg", "pos"\)/],
    [['{"text": "ok", "label": "pos"}', '{"text": "ok", "label": "pos"}', '{"text": "   ", "label": "neg"}'], 'E_TASK_EMPTY_TEXT', /line 3: field "text" is empty/],
    [['{"text": 42, "label": "pos"}'], 'E_TASK_FIELD_TYPE', /line 1: field "text" must be a string/],
    [['{"text": "ok"}'], 'E_TASK_FIELD_MISSING', /line 1: missing field "label" \(the label\)/],
    [['{"text": "ok", "label": "pos"}', '{"text": "ok", "label": "pos"'], 'E_TASK_JSON', /line 2: not valid JSON/],
    [['["text", "pos"]'], 'E_TASK_JSON', /line 1: expected a JSON object, got an array/],
    [['', '  '], 'E_TASK_EMPTY_FILE', /no examples/],
  ];
  for (const [lines, code, msg] of cases) {
    const f = file(lines);
    assert.throws(() => spec(f).load('train'), (e: unknown) => {
      const g = e as GlmError;
      return isGlmError(e, code) && msg.test(g.message) && g.message.startsWith(f) && g.path === f;
    }, `${code} ${msg}`);
  }
  // The same missing label is fine in the test split.
  assert.equal(spec(file(['{"text": "ok"}'])).load('test')[0]!.label, undefined);
  assert.throws(() => spec('/nonexistent/x.jsonl').load('train'), (e: unknown) => isGlmError(e, 'E_TASK_FILE'));
});

test('bad task specs are refused up front', () => {
  assert.throws(() => customTask({ labels: ['a'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { a: ' a', b: ' b' } }, files: {} }), (e: unknown) => isGlmError(e, 'E_TASK_SPEC'));
  assert.throws(() => customTask({ labels: ['a', 'c'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { a: ' a', b: ' b' } }, files: {} }), (e: unknown) => isGlmError(e, 'E_TASK_SPEC') && /"c"/.test((e as Error).message));
});
