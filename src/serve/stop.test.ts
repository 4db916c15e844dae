/** Stop sequences: where to cut, and how much text a stream may already show. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findStop, safeLength } from './stop.js';

test('findStop finds the earliest stop string', () => {
  assert.equal(findStop('hello world. bye\n', ['\n', '.']), 11);
  assert.equal(findStop('no stop here', ['\n', 'xyz']), -1);
  assert.equal(findStop('anything', []), -1);
});

test('safeLength holds back a suffix that may still grow into a stop string', () => {
  assert.equal(safeLength('hello wor', ['world']), 6);
  assert.equal(safeLength('hello w', ['world', 'wx']), 6);
  assert.equal(safeLength('hello', ['world']), 5);
  assert.equal(safeLength('abcab', ['abc']), 3);
  assert.equal(safeLength('text', []), 4);
});
