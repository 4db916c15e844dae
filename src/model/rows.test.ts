import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankRow, explicitMask, lastMaskColumns, packRows, sepSees, splitPositions } from './rows.js';
import { isGlmError } from '../util/errors.js';

test('blankRow: Part A at 0…A−1, Part B at the blank with block positions 1, 2, …; sep = |A|', () => {
  const r = blankRow([5, 6, 7], [1, 8], 1);
  assert.deepEqual(Array.from(r.ids), [5, 6, 7, 1, 8]);
  assert.deepEqual(Array.from(r.positions), [0, 1, 2, 1, 1]);
  assert.deepEqual(Array.from(r.blockPositions), [0, 0, 0, 1, 2]);
  assert.equal(r.sep, 3);
});

test('packRows lays rows out as [B, S], [B, 2, S] and sep, right-padded', () => {
  const rows = [blankRow([5, 6], [1], 0, { targets: [0, 0, 9], lossMask: [0, 0, 1] }), blankRow([4], [], 0)];
  const { input, targets, lossMask } = packRows(rows, { padId: 3, targetPad: 2 });
  assert.equal(input.batch, 2);
  assert.equal(input.seqLen, 3);
  assert.deepEqual(Array.from(input.inputIds), [5, 6, 1, 4, 3, 3]);
  // row 0: positions then block positions; row 1 likewise, padding 0
  assert.deepEqual(Array.from(input.positionIds), [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(input.mask, { sep: Int32Array.from([2, 1]) });
  assert.deepEqual(Array.from(targets), [0, 0, 9, 2, 2, 2]);
  assert.deepEqual(Array.from(lossMask), [0, 0, 1, 0, 0, 0]);
  const { positions, blockPositions } = splitPositions(input);
  assert.deepEqual(Array.from(positions), [0, 1, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(blockPositions), [0, 0, 1, 0, 0, 0]);
});

test("packRows: minLength, 'last' position padding, a given mask, and named errors", () => {
  const r = { ids: [1, 2], positions: [0, 4], blockPositions: [0, 2], sep: 1 };
  const { input } = packRows([r], { minLength: 4, positionPad: 'last', mask: { causal: true } });
  assert.equal(input.seqLen, 4);
  assert.deepEqual(Array.from(input.positionIds), [0, 4, 4, 4, 0, 2, 2, 2]);
  assert.deepEqual(input.mask, { causal: true });
  assert.throws(() => packRows([]), (e: unknown) => isGlmError(e, 'E_INPUT_SHAPE'));
  assert.throws(() => packRows([{ ...r, positions: [0] }]), (e: unknown) => isGlmError(e, 'E_INPUT'));
});

test('explicitMask: the given visibility inside each row, padding rows see nothing or themselves', () => {
  const m = explicitMask(1, 3, [2], (_b, i, j) => sepSees(i, j, 0), 'self');
  assert.ok('attentionMask' in m);
  if (!('attentionMask' in m)) return;
  assert.equal(m.maskCols, 3);
  assert.deepEqual(Array.from(m.attentionMask), [1, 0, 0, 1, 1, 0, 0, 0, 1]);
  const none = explicitMask(1, 2, [1], () => 1, 'none');
  assert.ok('attentionMask' in none && Array.from(none.attentionMask).join() === '1,0,0,0');
  assert.equal(sepSees(0, 1, 2), true);
  assert.equal(sepSees(0, 2, 2), false);
});

test('lastMaskColumns keeps the last T key columns of every row', () => {
  const mask = Float32Array.from([1, 2, 3, 4, 5, 6]); // rows 2, K 3
  assert.deepEqual(Array.from(lastMaskColumns(mask, 2, 3, 2)), [2, 3, 5, 6]);
  assert.equal(lastMaskColumns(mask, 2, 3, 3), mask);
});
