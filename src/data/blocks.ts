/**
 * The deterministic core of blank-infilling example construction (spec §1.3–§1.4):
 * span placement (`sampleSpans`, `sampleSpansInDocument`) and the Part A / Part B layout
 * (`makeBlockData`), plus the masked-LM baseline layout (`makeMaskedData`).
 * Ported from the original `blocklm_utils.ConstructBlockStrategy`; every random draw goes
 * through a `PyRandom` in the same order as the original so a seed reproduces its choices.
 */
import { GlmError } from '../util/errors.js';
import type { PyRandom } from './pyrandom.js';
import { type BlockVocab, sentinelIds } from './vocab.js';

/** A half-open span [start, end) of sample positions. */
export type Span = [number, number];

/** One raw sample (spec §1.1): `text` starts with [CLS]; `lossMask` is the document loss mask. */
export interface RawSample {
  text: number[];
  lossMask: number[];
}

/** One finished example, before batch padding. All arrays have length S except `sep`. */
export interface BlockExample {
  tokens: number[];
  targets: number[];
  lossMask: number[];
  /** Row 0: positions; row 1: block positions. */
  positions: number[];
  blockPositions: number[];
  /** Part A length: keys j < sep are visible to every query (spec §1.5). */
  sep: number;
  /** The masked spans of the raw text, in Part-B order (absent for suffix / causal examples). */
  spans?: Span[];
}

/** Which mask token Part A uses, after the original's `task` argument. */
export type BlockTask = 'bert' | 'gap_sentence' | 'generation';

export interface MakeBlockOptions {
  task: BlockTask;
  /** Shuffle Part B (true for every released model; false = the `--no-shuffle-block` ablation). */
  shuffleBlocks: boolean;
  /** Block positions 1..len+1 (true) or all 1 (`--no-block-position`). */
  blockPositionEncoding: boolean;
  /** T5-style sentinel tokens MASK{i}/sop{i}; Part B positions become maxSeqLength. */
  sentinelToken: boolean;
  /** Random offset added to every 1-D position (random_position). */
  randomPosition: boolean;
  maxSeqLength: number;
  /** Probability of replacing a Part-B input token by [dBLOCK] (token-level task only). */
  blockMaskProb: number;
  /** The stream for [dBLOCK] draws (the original used the unseeded global `random`). */
  blockMaskRng?: PyRandom;
}

/**
 * sample_spans: places spans of the given lengths (in this order) uniformly inside
 * [offset, offset + totalLength) with at least one free token between consecutive spans.
 */
export function sampleSpans(lengths: readonly number[], totalLength: number, rng: PyRandom, offset = 0): Span[] {
  let sum = 0;
  for (const l of lengths) sum += l;
  const m = totalLength - sum - lengths.length + 1;
  const places: number[] = [];
  for (let i = 0; i < lengths.length; i++) places.push(rng.randrange(m + 1));
  places.sort((a, b) => a - b);
  const spans: Span[] = [];
  for (let i = 0; i < lengths.length; i++) {
    const start = offset + places[i]!;
    spans.push([start, start + lengths[i]!]);
    offset += lengths[i]! + 1;
  }
  return spans;
}

/**
 * sample_span_in_document (spec §1.3 placement): shuffles `lengths` in place, splits the sample
 * into documents at eos, gives every document but the longest up to int(len·ratio) masked tokens
 * and the longest the rest. Returns fewer spans than lengths when they do not fit.
 */
export function sampleSpansInDocument(tokens: readonly number[], lengths: number[], rng: PyRandom, vocab: BlockVocab, bertRatio: number): Span[] {
  rng.shuffle(lengths);
  const T = tokens.length;
  const indices = [-1];
  for (let i = 0; i < T; i++) if (tokens[i] === vocab.eos) indices.push(i);
  let lastIndex = T;
  const documents: [number, number][] = [];
  for (let k = indices.length - 1; k >= 0; k--) {
    const index = indices[k]!;
    let startIndex = index;
    if (startIndex + 1 < T && tokens[startIndex + 1] === vocab.cls) startIndex++;
    let length = lastIndex - startIndex - 1;
    // The trailing segment was cut without its eos: its last token is excluded too.
    if (lastIndex === T && length > 0) length--;
    documents.push([startIndex + 1, length]);
    lastIndex = index;
  }
  // Stable sort by length (Python's list.sort is stable; so is Array.prototype.sort).
  documents.sort((a, b) => a[1] - b[1]);
  const spans: Span[] = [];
  let maskIndex = 0;
  for (let i = 0; i < documents.length; i++) {
    const [offset, length] = documents[i]!;
    let masked = 0, count = 0;
    if (i === documents.length - 1) {
      while (maskIndex + count < lengths.length && lengths[maskIndex + count]! + masked + count <= length) {
        masked += lengths[maskIndex + count]!;
        count++;
      }
      if (count > 0) spans.push(...sampleSpans(lengths.slice(maskIndex, maskIndex + count), length, rng, offset));
    } else {
      const total = Math.floor(length * bertRatio);
      while (maskIndex + count < lengths.length && lengths[maskIndex + count]! + masked <= total) {
        masked += lengths[maskIndex + count]!;
        count++;
      }
      if (count > 0) {
        spans.push(...sampleSpans(lengths.slice(maskIndex, maskIndex + count), length, rng, offset));
        maskIndex += count;
      }
    }
  }
  return spans;
}

/**
 * make_block_data (spec §1.4): Part A = the text with each span replaced by one mask token,
 * Part B = per span (in shuffled order) [sop] + span, targets span + [eop], positions of the
 * span's mask, block positions 1..len+1. `spans` is reordered in place to Part-B order
 * (unless `preordered`, which keeps the given order: the golden cases list it explicitly).
 */
export function makeBlockData(tokens: readonly number[], spans: Span[], rng: PyRandom | null, vocab: BlockVocab, opts: MakeBlockOptions, preordered = false): BlockExample {
  const T = tokens.length;
  const p = new Array<number>(T).fill(1);
  for (const [s, e] of spans) for (let i = s + 1; i < e; i++) p[i] = 0;
  let acc = -1;
  for (let i = 0; i < T; i++) p[i] = acc += p[i]!;
  if (opts.randomPosition && p[T - 1]! < opts.maxSeqLength - 1) {
    if (!rng) throw new Error('makeBlockData: randomPosition needs an rng');
    const bias = rng.randrange(0, opts.maxSeqLength - p[T - 1]!);
    for (let i = 0; i < T; i++) p[i]! += bias;
  }
  if (!preordered) {
    if (!opts.shuffleBlocks) spans.sort((a, b) => a[0] - b[0]);
    else {
      if (!rng) throw new Error('makeBlockData: shuffling Part B needs an rng');
      rng.shuffle(spans);
    }
  }
  const partB = spans.map(([s, e], idx) => ({ s, e, idx: opts.sentinelToken ? idx : 0 }));
  const bTokens: number[] = [], bTargets: number[] = [], bPos: number[] = [], bBlock: number[] = [];
  for (const { s, e, idx } of partB) {
    const { sop } = sentinelIds(vocab, idx);
    bTokens.push(sop);
    for (let i = s; i < e; i++) {
      let t = tokens[i]!;
      if (opts.blockMaskProb > 0 && opts.task === 'bert') {
        const r = opts.blockMaskRng ?? rng;
        if (!r) throw new Error('makeBlockData: blockMaskProb needs an rng');
        if (r.random() < opts.blockMaskProb) {
          if (vocab.dBlock === undefined) throw new GlmError('E_DATA_VOCAB', 'block_mask_prob > 0 needs a [dBLOCK] token, and this vocabulary has none');
          t = vocab.dBlock;
        }
      }
      bTokens.push(t);
      bTargets.push(tokens[i]!);
    }
    bTargets.push(vocab.eop);
    const len = e - s + 1;
    for (let k = 0; k < len; k++) {
      bPos.push(opts.sentinelToken ? opts.maxSeqLength : p[s]!);
      bBlock.push(opts.blockPositionEncoding ? k + 1 : 1);
    }
  }
  // Part A: spans in text order, each replaced by its mask token.
  const sorted = [...partB].sort((a, b) => a.s - b.s);
  const aTokens: number[] = [], aPos: number[] = [];
  let last = 0;
  for (const { s, e, idx } of sorted) {
    let maskId: number;
    if (opts.task === 'generation') maskId = vocab.gMask;
    else if (opts.task === 'gap_sentence') maskId = vocab.sMask;
    else maskId = sentinelIds(vocab, idx).mask;
    for (let i = last; i < s; i++) {
      aTokens.push(tokens[i]!);
      aPos.push(p[i]!);
    }
    aTokens.push(maskId);
    aPos.push(p[s]!);
    last = e;
  }
  for (let i = last; i < T; i++) {
    aTokens.push(tokens[i]!);
    aPos.push(p[i]!);
  }
  for (const { s, e } of partB) {
    for (let i = s; i < e; i++) {
      if (tokens[i] === vocab.eos) throw new GlmError('E_DATA_EOS_IN_SPAN', `a masked span [${s}, ${e}) covers the end-of-document token at ${i}`);
    }
  }
  const sep = aTokens.length;
  return {
    tokens: [...aTokens, ...bTokens],
    targets: [...aTokens, ...bTargets],
    lossMask: [...new Array<number>(sep).fill(0), ...new Array<number>(bTokens.length).fill(1)],
    positions: [...aPos, ...bPos],
    blockPositions: [...new Array<number>(sep).fill(0), ...bBlock],
    sep,
    spans: partB.map(({ s, e }) => [s, e] as Span),
  };
}

/**
 * make_masked_data: the BERT-style masked-LM baseline. Span tokens become [MASK] in place,
 * targets are the original tokens, loss only on masked tokens (times the document loss mask),
 * positions 0..T−1, no block positions, and the whole sample is visible (sep = T).
 */
export function makeMaskedData(tokens: readonly number[], lossMask: readonly number[], spans: readonly Span[], vocab: BlockVocab): BlockExample {
  const T = tokens.length;
  const out = [...tokens];
  const mlm = new Array<number>(T).fill(0);
  for (const [s, e] of spans) {
    for (let i = s; i < e; i++) {
      out[i] = vocab.mask;
      mlm[i] = 1;
    }
  }
  return {
    tokens: out,
    targets: [...tokens],
    lossMask: lossMask.map((m, i) => m * mlm[i]!),
    positions: Array.from({ length: T }, (_, i) => i),
    blockPositions: new Array<number>(T).fill(0),
    sep: T,
    spans: spans.map(([s, e]) => [s, e] as Span),
  };
}
