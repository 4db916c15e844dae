import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryHeap } from './heap.js';
import { Rng } from './rng.js';

test('BinaryHeap pops in the order of its comparator, with pushes in between', () => {
  const rng = new Rng(3);
  const heap = new BinaryHeap<[number, number]>((a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]));
  const all: [number, number][] = [];
  for (let i = 0; i < 500; i++) {
    const e: [number, number] = [rng.int(20), i];
    heap.push(e);
    all.push(e);
  }
  const popped: [number, number][] = [];
  while (heap.size > 250) popped.push(heap.pop()!);
  for (let i = 500; i < 600; i++) {
    const e: [number, number] = [rng.int(5), i];
    heap.push(e);
    all.push(e);
  }
  while (heap.size) popped.push(heap.pop()!);
  assert.equal(heap.pop(), undefined);
  assert.equal(popped.length, 600);
  // The first 250 are the 250 best of the first 500; the rest are the remaining ones in order.
  const byOrder = (a: [number, number], b: [number, number]): number => b[0] - a[0] || a[1] - b[1];
  const first = all.slice(0, 500).sort(byOrder).slice(0, 250);
  assert.deepEqual(popped.slice(0, 250), first);
  const chosen = new Set(first.map((e) => e[1]));
  assert.deepEqual(popped.slice(250), all.filter((e) => !chosen.has(e[1])).sort(byOrder));
});
