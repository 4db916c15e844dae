/**
 * What the data pipeline needs to know about a vocabulary: the command-token ids of spec §3.2
 * and which ids end a sentence (spec §1.1, §1.6). Built from a GlmTokenizer, or by hand in tests.
 */
import { GlmError } from '../util/errors.js';
import type { GlmTokenizer } from '../tokenizer/types.js';

export interface BlockVocab {
  /** [CLS] / ENC: starts every sample. */
  cls: number;
  /** End of document (eod). [PAD] = 0 for the BERT vocabulary. */
  eos: number;
  pad: number;
  mask: number;
  /** [sMASK]; falls back to [MASK] when the vocabulary has none (no task masks). */
  sMask: number;
  /** [gMASK]; falls back to [MASK] likewise. */
  gMask: number;
  sop: number;
  eop: number;
  /** [dBLOCK] (block_mask_prob only). */
  dBlock?: number;
  /** Number of ids (the model's vocab_size, padded). */
  size: number;
  /** sentenceEnd[id] = 1 when the token string holds a sentence-ending character (spec §1.6). */
  sentenceEnd: Uint8Array;
  /**
   * The narrower test of sample assembly (spec §1.1: `. ? ! ; :` or a newline, without the CJK
   * marks of §1.6). Falls back to `sentenceEnd` when absent.
   */
  cropSentenceEnd?: Uint8Array;
  /**
   * Extra ids for the sentinel-token ablation (spec §1.8): MASK{i} and sop{i} for span i ≥ 1,
   * at `sentinelBase + 2(i−1)` and `sentinelBase + 2(i−1) + 1`. Undefined when not set up.
   */
  sentinelBase?: number;
}

/** The characters the original's `contains_sentence_end` looks for (blocklm_utils / datasets). */
export const SENTENCE_END_CHARS = ['.', '?', '!', ';', ':', '。', '？', '！', '；', '…', '\n'] as const;

/** The narrower set of BlockDataset's `contains_sentence_end` (sample cropping, spec §1.1). */
export const CROP_SENTENCE_END_CHARS = ['.', '?', '!', ';', ':', '\n'] as const;

/** True when a token string contains a sentence-ending character. */
export function isSentenceEndToken(tok: string, chars: readonly string[] = SENTENCE_END_CHARS): boolean {
  for (const c of chars) if (tok.includes(c)) return true;
  return false;
}

/**
 * GPT-2 style byte-level vocabularies spell a newline as 'Ċ' (byte 0x0A shifted to U+010A);
 * count it as a newline so such tokenizers get the same boundaries as the original.
 */
function tokenString(tok: string, family: GlmTokenizer['family']): string {
  return family === 'gpt2' || family === 'roberta' ? tok.replace(/\u010a/g, '\n') : tok;
}

/** The block vocabulary of a tokenizer. `taskMask` picks [sMASK]/[gMASK] over [MASK] (spec §1.6, §1.7). */
export function blockVocabFromTokenizer(tok: GlmTokenizer, opts: { taskMask?: boolean; size?: number } = {}): BlockVocab {
  const s = tok.special;
  const size = opts.size ?? tok.paddedVocabSize;
  const sentenceEnd = new Uint8Array(size), cropSentenceEnd = new Uint8Array(size);
  for (let id = 0; id < Math.min(tok.numTokens, size); id++) {
    const t = tok.idToToken(id);
    if (t === undefined) continue;
    const str = tokenString(t, tok.family);
    if (isSentenceEndToken(str)) sentenceEnd[id] = 1;
    if (isSentenceEndToken(str, CROP_SENTENCE_END_CHARS)) cropSentenceEnd[id] = 1;
  }
  // Command tokens never end a sentence, even if their names contain ':' or '.'.
  for (const id of [s.pad, s.eos, s.cls, s.mask, s.sep, s.unk, s.sop, s.eop, s.gMask, s.sMask, s.dBlock]) {
    if (id !== undefined && id < size) sentenceEnd[id] = cropSentenceEnd[id] = 0;
  }
  const taskMask = opts.taskMask ?? false;
  if (taskMask && (s.gMask === undefined || s.sMask === undefined)) {
    throw new GlmError('E_DATA_VOCAB', `task masks ([sMASK]/[gMASK]) requested but the ${tok.family} tokenizer has no ${s.gMask === undefined ? '[gMASK]' : '[sMASK]'} token`);
  }
  const v: BlockVocab = {
    cls: s.cls, eos: s.eos, pad: s.pad, mask: s.mask,
    sMask: taskMask ? s.sMask! : s.mask,
    gMask: taskMask ? s.gMask! : s.mask,
    sop: s.sop, eop: s.eop, size, sentenceEnd, cropSentenceEnd,
  };
  if (s.dBlock !== undefined) v.dBlock = s.dBlock;
  return v;
}

/** The ids MASK{i} / sop{i} of the sentinel ablation; span 0 uses the plain [MASK] / [sop]. */
export function sentinelIds(v: BlockVocab, i: number): { mask: number; sop: number } {
  if (i === 0) return { mask: v.mask, sop: v.sop };
  if (v.sentinelBase === undefined) throw new GlmError('E_DATA_SENTINEL', 'sentinel tokens requested but the vocabulary reserves no sentinel ids');
  const mask = v.sentinelBase + 2 * (i - 1);
  if (mask + 1 >= v.size) {
    throw new GlmError('E_DATA_SENTINEL', `sentinel span ${i} needs ids ${mask}, ${mask + 1}, beyond the vocabulary size ${v.size}; raise vocab_size or shorten the sequence`);
  }
  return { mask, sop: mask + 1 };
}
