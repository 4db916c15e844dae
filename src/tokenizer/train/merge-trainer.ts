/**
 * Merge-count training shared by the BPE and WordPiece trainers (the algorithm of Sennrich et
 * al. 2016 as implemented by HF tokenizers' BpeTrainer): repeatedly merge the most frequent
 * adjacent symbol pair over the word-frequency table, updating pair counts incrementally (only the
 * words containing the merged pair are touched). Ties go to the lexicographically smallest pair, so
 * training is deterministic.
 */
import { BinaryHeap } from '../../util/heap.js';

export interface MergeResult {
  /** Merges in order, as [left, right]. */
  merges: [string, string][];
  /** Initial symbols, most frequent first (ties by string). */
  alphabet: string[];
}

interface Word {
  syms: number[];
  count: number;
}

/**
 * @param words word → count; each word is split into initial symbols by `split`.
 * @param maxMerges stop after this many merges.
 * @param minCount stop when the best pair occurs fewer times.
 */
export function trainMerges(
  words: Map<string, number>, split: (w: string) => string[], maxMerges: number,
  opts: { minCount?: number; continuingPrefix?: string } = {},
): MergeResult {
  const minCount = opts.minCount ?? 2;
  const prefix = opts.continuingPrefix ?? '';
  // WordPiece continuation pieces carry "##"; a merged token keeps only the left one's prefix.
  const mergedPart = (right: string): string => (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
  const symId = new Map<string, number>();
  const symStr: string[] = [];
  const symCount: number[] = [];
  const intern = (s: string): number => {
    let id = symId.get(s);
    if (id === undefined) {
      id = symStr.length;
      symId.set(s, id);
      symStr.push(s);
      symCount.push(0);
    }
    return id;
  };
  const table: Word[] = [];
  for (const [w, count] of words) {
    const syms = split(w).map(intern);
    for (const s of syms) symCount[s]! += count;
    table.push({ syms, count });
  }
  const alphabet = symStr.map((s, i) => [s, symCount[i]!] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[0]);

  // Pair key: two symbol ids packed into one number (ids stay far below 2^26).
  const SHIFT = 2 ** 26;
  const key = (a: number, b: number): number => a * SHIFT + b;
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const add = (a: number, b: number, wi: number, c: number): void => {
    const k = key(a, b);
    pairCount.set(k, (pairCount.get(k) ?? 0) + c);
    if (c > 0) {
      let s = where.get(k);
      if (!s) where.set(k, (s = new Set()));
      s.add(wi);
    }
  };
  table.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.syms.length; i++) add(w.syms[i]!, w.syms[i + 1]!, wi, w.count);
  });

  // Max-heap of [count, key] with lazy invalidation (an entry is stale when its count changed).
  const cmpStr = (ka: number, kb: number): number => {
    const a1 = symStr[Math.floor(ka / SHIFT)]!, b1 = symStr[Math.floor(kb / SHIFT)]!;
    if (a1 !== b1) return a1 < b1 ? -1 : 1;
    const a2 = symStr[ka % SHIFT]!, b2 = symStr[kb % SHIFT]!;
    return a2 < b2 ? -1 : a2 > b2 ? 1 : 0;
  };
  const better = (x: [number, number], y: [number, number]): boolean => x[0] > y[0] || (x[0] === y[0] && cmpStr(x[1], y[1]) < 0);
  const heap = new BinaryHeap<[number, number]>(better);
  const push = (e: [number, number]): void => heap.push(e);
  for (const [k, c] of pairCount) if (c > 0) push([c, k]);

  const merges: [string, string][] = [];
  while (merges.length < maxMerges && heap.size) {
    const [c, k] = heap.pop()!;
    if (pairCount.get(k) !== c) continue; // stale
    if (c < minCount) break;
    const a = Math.floor(k / SHIFT), b = k % SHIFT;
    const merged = intern(symStr[a]! + mergedPart(symStr[b]!));
    merges.push([symStr[a]!, symStr[b]!]);
    const touched = new Set<number>();
    for (const wi of where.get(k) ?? []) {
      const w = table[wi]!;
      const s = w.syms;
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] !== a || s[i + 1] !== b) continue;
        // Remove the pairs around the occurrence, merge, add the new ones.
        if (i > 0) {
          add(s[i - 1]!, a, wi, -w.count);
          touched.add(key(s[i - 1]!, a));
        }
        if (i + 2 < s.length) {
          add(b, s[i + 2]!, wi, -w.count);
          touched.add(key(b, s[i + 2]!));
        }
        s.splice(i, 2, merged);
        if (i > 0) {
          add(s[i - 1]!, merged, wi, w.count);
          touched.add(key(s[i - 1]!, merged));
        }
        if (i + 1 < s.length) {
          add(merged, s[i + 1]!, wi, w.count);
          touched.add(key(merged, s[i + 1]!));
        }
      }
    }
    pairCount.delete(k);
    where.delete(k);
    for (const t of touched) {
      const n = pairCount.get(t) ?? 0;
      if (n > 0) push([n, t]);
      else pairCount.delete(t);
    }
  }
  return { merges, alphabet };
}
