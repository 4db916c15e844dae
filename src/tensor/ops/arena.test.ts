/**
 * The activation arena: buffers are recycled by length across resets, unused ones are dropped,
 * and allocOutput only draws from an arena inside withArena.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, allocOutput, withArena } from './arena.js';

test('arena recycles buffers of the same length after reset and drops unused ones', () => {
  const a = new Arena();
  const b1 = a.take(10), b2 = a.take(10), b3 = a.take(7);
  assert.notEqual(b1, b2);
  assert.equal(a.bytes(), 27 * 4);
  a.reset();
  const c1 = a.take(10), c2 = a.take(7), c3 = a.take(5);
  assert.ok(c1 === b1 || c1 === b2, 'a length-10 buffer is reused');
  assert.equal(c2, b3);
  assert.notEqual(c3, b1);
  a.reset(); // the second length-10 buffer went unused in the last round: dropped
  assert.equal(a.bytes(), (10 + 7 + 5) * 4);
});

test('allocOutput uses the arena only inside withArena (and restores the previous one)', () => {
  const a = new Arena();
  const outside = allocOutput(4);
  assert.equal(a.bytes(), 0);
  const inside = withArena(a, () => {
    const v = allocOutput(4);
    withArena(null, () => assert.equal(allocOutput(3).length, 3));
    return v;
  });
  assert.notEqual(inside, outside);
  assert.equal(a.bytes(), 16);
  a.reset();
  assert.equal(withArena(a, () => allocOutput(4)), inside);
});
