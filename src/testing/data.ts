/**
 * Test fixtures for the data pipeline (compiled with the library, imported only by tests):
 * a synthetic in-memory corpus, a small block vocabulary, a whitespace GlmTokenizer, and an
 * independent checker of the Part A / Part B layout.
 */
import assert from 'node:assert/strict';
import type { BlockExample } from '../data/blocks.js';
import type { DocumentSource } from '../data/sampler.js';
import type { BlockVocab } from '../data/vocab.js';
import type { GlmTokenizer, SpecialTokenIdMap } from '../tokenizer/types.js';

/** ids: 0 [PAD] = eos, 1 [CLS], 3 [MASK], 4 [sMASK], 5 [gMASK], 6 sop, 7 eop, 8 [dBLOCK]; 9 '.', 10 '?' end sentences. */
export function syntheticVocab(size = 1000): BlockVocab {
  const sentenceEnd = new Uint8Array(size);
  sentenceEnd[9] = 1;
  sentenceEnd[10] = 1;
  return { pad: 0, eos: 0, cls: 1, mask: 3, sMask: 4, gMask: 5, sop: 6, eop: 7, dBlock: 8, size, sentenceEnd, sentinelBase: size - 200 };
}

/** Deterministic xorshift32 in [0, 1). */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * Documents of random lengths in [minLen, maxLen]: text ids 11..(vocab−201), a sentence end
 * (9 or 10) with probability `sentenceEndProb`; a prompt of 1–4 tokens on a quarter of them.
 */
export function syntheticSource(n: number, minLen: number, maxLen: number, seed = 1, sentenceEndProb = 0.08, vocabSize = 1000): DocumentSource & { docs: number[][]; prompts: number[] } {
  const r = xorshift(seed);
  const docs: number[][] = [], prompts: number[] = [];
  for (let d = 0; d < n; d++) {
    const len = minLen + Math.floor(r() * (maxLen - minLen + 1));
    const doc: number[] = [];
    for (let i = 0; i < len; i++) doc.push(r() < sentenceEndProb ? 9 + Math.floor(r() * 2) : 11 + Math.floor(r() * (vocabSize - 212)));
    docs.push(doc);
    prompts.push(r() < 0.25 ? Math.min(len, 1 + Math.floor(r() * 4)) : 0);
  }
  return {
    docs, prompts, numDocs: n,
    docLength: (i) => docs[i]!.length,
    promptLength: (i) => prompts[i]!,
    readDoc: (i) => docs[i]!,
  };
}

/**
 * Checks a blank-infilling example against a direct re-derivation from the raw text and its
 * spans: Part A = text with each span replaced by one mask token, positions 0..sep−1, block 0,
 * no loss; Part B = per span [sop] + span → span + [eop], the span's mask position, block
 * positions 1..len+1, loss 1.
 */
export function checkBlockExample(text: readonly number[], ex: BlockExample, v: BlockVocab, maskIdOf: (partBIndex: number) => number): void {
  const spans = ex.spans!;
  assert.ok(spans && spans.length > 0, 'example has spans');
  const sorted = spans.map((s, k) => ({ s: s[0], e: s[1], k })).sort((a, b) => a.s - b.s);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.s >= sorted[i - 1]!.e, 'spans do not overlap');
  const partA: number[] = [];
  const maskIndex = new Array<number>(spans.length);
  let last = 0;
  for (const { s, e, k } of sorted) {
    partA.push(...text.slice(last, s));
    maskIndex[k] = partA.length;
    partA.push(maskIdOf(k));
    last = e;
  }
  partA.push(...text.slice(last));
  const sep = partA.length;
  assert.equal(ex.sep, sep, 'sep = Part A length');
  assert.deepEqual(ex.tokens.slice(0, sep), partA, 'Part A tokens');
  assert.deepEqual(ex.targets.slice(0, sep), partA, 'Part A targets are the inputs');
  assert.deepEqual(ex.positions.slice(0, sep), Array.from({ length: sep }, (_, i) => i), 'Part A positions 0..sep-1');
  assert.ok(ex.blockPositions.slice(0, sep).every((x) => x === 0), 'Part A block positions 0');
  assert.ok(ex.lossMask.slice(0, sep).every((x) => x === 0), 'no loss on Part A');
  let at = sep;
  spans.forEach(([s, e], k) => {
    const len = e - s;
    assert.deepEqual(ex.tokens.slice(at, at + len + 1), [v.sop, ...text.slice(s, e)], `Part B inputs of span ${k}`);
    assert.deepEqual(ex.targets.slice(at, at + len + 1), [...text.slice(s, e), v.eop], `Part B targets of span ${k}`);
    assert.ok(ex.positions.slice(at, at + len + 1).every((x) => x === maskIndex[k]), `Part B positions of span ${k} = its mask position ${maskIndex[k]}`);
    assert.deepEqual(ex.blockPositions.slice(at, at + len + 1), Array.from({ length: len + 1 }, (_, i) => i + 1), `block positions 1..${len + 1}`);
    assert.ok(ex.lossMask.slice(at, at + len + 1).every((x) => x === 1), 'loss on all of Part B');
    at += len + 1;
  });
  assert.equal(ex.tokens.length, text.length + 2 * spans.length, 'S = T + 2·spans');
  assert.equal(at, ex.tokens.length);
}

/**
 * A whitespace/punctuation tokenizer over a fixed word list (lower-cased), BERT-like ids:
 * [PAD] 0 (= eos), [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, sop 5, eop 6, [gMASK] 7, [sMASK] 8,
 * then '.', ',', '?', '!', ';', ':', then the words.
 */
export class FakeTokenizer implements GlmTokenizer {
  readonly family = 'custom' as const;
  readonly special: SpecialTokenIdMap = { pad: 0, eos: 0, unk: 1, cls: 2, sep: 3, mask: 4, sop: 5, eop: 6, gMask: 7, sMask: 8 };
  private readonly vocab: string[];
  private readonly ids = new Map<string, number>();
  constructor(words: readonly string[]) {
    this.vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '<|startofpiece|>', '<|endofpiece|>', '[gMASK]', '[sMASK]', '.', ',', '?', '!', ';', ':', ...new Set(words.map((w) => w.toLowerCase()))];
    this.vocab.forEach((t, i) => this.ids.set(t, i));
  }
  get numTokens(): number {
    return this.vocab.length;
  }
  get paddedVocabSize(): number {
    return Math.ceil(this.vocab.length / 128) * 128;
  }
  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of text.toLowerCase().matchAll(/\[(?:g|s)?mask\]|[a-z0-9']+|[.,?!;:]/g)) {
      const t = m[0] === '[mask]' ? '[MASK]' : m[0] === '[gmask]' ? '[gMASK]' : m[0] === '[smask]' ? '[sMASK]' : m[0];
      out.push(this.ids.get(t) ?? 1);
    }
    return out;
  }
  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    return ids.filter((i) => !(opts.skipSpecial && i < 9)).map((i) => this.vocab[i] ?? '[UNK]').join(' ');
  }
  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }
}
