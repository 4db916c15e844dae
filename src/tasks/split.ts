/**
 * Deterministic train / validation / test assignment by hashing a key (usually the text), so
 * duplicates always land in the same split and the split never depends on file order.
 */
import type { Split } from './types.js';

/** 32-bit FNV-1a over the UTF-16 code units of `s`. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** 10% test, 10% validation, 80% train, by hash of `key` (salted with `salt`). */
export function splitOf(key: string, salt = ''): Split {
  const r = fnv1a(salt + key) % 10;
  return r === 0 ? 'test' : r === 1 ? 'validation' : 'train';
}
