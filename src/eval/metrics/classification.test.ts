/**
 * Accuracy and macro-F1 against scikit-learn's documented examples
 * (sklearn.metrics.accuracy_score and f1_score docstrings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGlmError } from '../../util/errors.js';
import { accuracy, macroF1 } from './classification.js';

test('accuracy_score docstring: y_pred [0,2,1,3], y_true [0,1,2,3] → 0.5', () => {
  assert.equal(accuracy([0, 2, 1, 3], [0, 1, 2, 3]), 0.5);
  assert.equal(accuracy([], []), 0);
});

test('f1_score docstring: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1] → per class [0.8, 0, 0], macro 0.26…', () => {
  // By hand: class 0 has tp 2, fp 1 (index 4), fn 0 → P 2/3, R 1, F1 0.8; classes 1 and 2 have
  // no true positive → F1 0. Macro = 0.8 / 3 = 0.2666…
  const r = macroF1([0, 2, 1, 0, 0, 1], [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(r.perLabel.map((l) => l.label), [0, 1, 2]);
  assert.ok(Math.abs(r.perLabel[0]!.f1 - 0.8) < 1e-12);
  assert.equal(r.perLabel[1]!.f1, 0);
  assert.equal(r.perLabel[2]!.f1, 0);
  assert.ok(Math.abs(r.macroF1 - 0.8 / 3) < 1e-12);
  assert.deepEqual(r.perLabel.map((l) => l.support), [2, 2, 2]);
});

test('macro-F1 with explicit labels counts a never-seen label as F1 0; string labels work', () => {
  const r = macroF1(['yes', 'yes', 'no'], ['yes', 'no', 'no'], ['no', 'yes', 'maybe']);
  // no: tp 1, fn 1 → P 1, R 1/2, F1 2/3; yes: tp 1, fp 1 → F1 2/3; maybe: 0. Macro = (4/3)/3.
  assert.ok(Math.abs(r.macroF1 - 4 / 9) < 1e-12);
  assert.throws(() => macroF1([1], [1, 2]), (e: unknown) => isGlmError(e, 'E_METRIC_INPUT'));
});
