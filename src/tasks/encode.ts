/**
 * Examples → token ids, the task-side half of fine-tuning (the trainers add positions, masks and
 * losses; see ../README.md).
 *
 * Cloze (spec §3.3, §5.1): Part A = [CLS] pattern tokens [eos], each segment tokenised on its own,
 * the mask as one token. Truncation follows GLM's PVP.truncate: while too long, drop the last
 * token of the last non-empty shortenable segment of whichever of A and B has more shortenable
 * tokens (B on ties), until |A| + |B| + 2 + (|answer| + 1 for eop, or + 1 for [sop] when single
 * token) ≤ maxSeqLength. Multi-token answers share one Part A (truncated for the longest
 * answer), so all candidates can be scored in one pass; the original truncates per candidate,
 * which differs only when truncation happens.
 *
 * Classifier head (spec §5.2): [CLS] a [b] [eos]. Seq2seq (spec §5.3): the summarisation layout.
 */
import { GlmError } from '../util/errors.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import type { Pvp, Segment } from './pattern.js';
import type { Seq2SeqExample, TaskExample } from './types.js';

export interface EncodedCloze {
  /** Part A: [CLS] pattern [eos]. The model input appends [sop] (+ answer tokens) after it. */
  tokens: number[];
  /** Index in `tokens` of the mask; answer slots take this position (the last mask, spec §3.3). */
  maskPosition: number;
  /** Token ids of each answer, without eop, in answers(ex) order. */
  answers: number[][];
  /** Every answer is one token: read the logits at [sop] (GLMForSingleTokenCloze). */
  singleToken: boolean;
  /** Index of the gold answer, when labelled. */
  gold?: number;
  /** Tokens removed by truncation. */
  truncated: number;
  /**
   * Indices in `tokens` of the pattern's fixed text (its non-shortenable segments, the mask
   * excluded): the prompt tokens that P-tuning replaces with trainable embeddings.
   */
  promptPositions: number[];
}

export interface ClozeEncodeOptions {
  maxSeqLength: number;
  /** 'single' requires one-token answers, 'multi' scores answers token by token, 'auto' picks. Default 'auto'. */
  answerMode?: 'auto' | 'single' | 'multi';
}

type TokParts = { ids: number[]; shortenable: boolean }[];

function tokenizeParts(segs: readonly Segment[], tok: GlmTokenizer): TokParts {
  return segs.map((s) => ('mask' in s ? { ids: [tok.special.mask], shortenable: false } : { ids: tok.encode(s.text), shortenable: s.shortenable === true }));
}

const len = (p: TokParts, onlyShort = false): number => p.reduce((n, x) => n + (!onlyShort || x.shortenable ? x.ids.length : 0), 0);

function removeLast(p: TokParts): boolean {
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i]!.shortenable && p[i]!.ids.length > 0) {
      p[i]!.ids.pop();
      return true;
    }
  }
  return false;
}

/** GLM's PVP.truncate. Returns the number of tokens removed; throws when nothing shortenable is left. */
function truncate(a: TokParts, b: TokParts, extra: number, max: number, id: string): number {
  const over = len(a) + len(b) + extra - max;
  for (let k = 0; k < over; k++) {
    const ok = len(a, true) > len(b, true) ? removeLast(a) : removeLast(b);
    if (!ok) {
      throw new GlmError('E_TASK_TOO_LONG', `example ${id}: the pattern's fixed text and answers need ${len(a) + len(b) + extra} tokens, more than max length ${max}, and nothing shortenable is left`);
    }
  }
  return Math.max(0, over);
}

/** Encodes one example for cloze scoring or training. */
export function encodeCloze(pvp: Pvp, ex: TaskExample, tok: GlmTokenizer, opts: ClozeEncodeOptions): EncodedCloze {
  const parts = pvp.parts(ex);
  const a = tokenizeParts(parts.a, tok), b = tokenizeParts(parts.b ?? [], tok);
  const segs = [...parts.a, ...(parts.b ?? [])];
  const masks = segs.filter((s) => 'mask' in s).length;
  if (masks !== 1) throw new GlmError('E_PATTERN', `example ${ex.id}: pattern ${pvp.id} produced ${masks} masks, expected exactly one`);
  segs.forEach((s, i) => {
    // Command tokens are cut out of raw text, so "[MASK]" typed in a field would become a second blank.
    if (!('mask' in s) && [...a, ...b][i]!.ids.includes(tok.special.mask)) {
      throw new GlmError('E_TASK_TEXT_HAS_MASK', `example ${ex.id}: the text ${JSON.stringify(s.text.slice(0, 60))} contains a mask token`);
    }
  });
  const answerTexts = pvp.answers(ex);
  if (answerTexts.length === 0) throw new GlmError('E_TASK_NO_ANSWERS', `example ${ex.id}: no answers to score`);
  const answers = answerTexts.map((t, i) => {
    const ids = tok.encode(t);
    if (ids.length === 0) throw new GlmError('E_TASK_EMPTY_ANSWER', `example ${ex.id}: answer ${i} (${JSON.stringify(t)}) has no tokens`);
    return ids;
  });
  const mode = opts.answerMode ?? 'auto';
  const allSingle = answers.every((x) => x.length === 1);
  if (mode === 'single' && !allSingle) {
    const bad = answerTexts.find((_, i) => answers[i]!.length !== 1)!;
    throw new GlmError('E_VERBALIZER_NOT_SINGLE_TOKEN', `example ${ex.id}: verbalization ${JSON.stringify(bad)} is not a single token; use multi-token scoring`);
  }
  const singleToken = mode === 'single' || (mode === 'auto' && allSingle);
  // [CLS] + [eos], plus [sop] (single token) or the longest answer + eop (multi token).
  const extra = 2 + (singleToken ? 1 : Math.max(...answers.map((x) => x.length)) + 1);
  const truncated = truncate(a, b, extra, opts.maxSeqLength, ex.id);
  const body = [...a, ...b].flatMap((p) => p.ids);
  const promptPositions: number[] = [];
  let at = 1; // after [CLS]
  [...a, ...b].forEach((p, i) => {
    if (!p.shortenable && !('mask' in segs[i]!)) p.ids.forEach((_, j) => promptPositions.push(at + j));
    at += p.ids.length;
  });
  const tokens = [tok.special.cls, ...body, tok.special.eos];
  const maskPosition = tokens.lastIndexOf(tok.special.mask);
  const gold = pvp.gold(ex);
  if (gold !== undefined && (gold < 0 || gold >= answers.length)) {
    throw new GlmError('E_TASK_UNKNOWN_LABEL', `example ${ex.id}: gold answer index ${gold} is outside the ${answers.length} answers`);
  }
  return { tokens, maskPosition, answers, singleToken, truncated, promptPositions, ...(gold !== undefined ? { gold } : {}) };
}

export interface EncodedClassifier {
  /** [CLS] a [b] [eos] */
  tokens: number[];
  label?: number;
  truncated: number;
}

/** Classifier-head input: [CLS] a b [eos], dropping tokens from the end of the longer text first. */
export function encodeClassifier(input: { a: string; b?: string }, labelIndex: number | undefined, tok: GlmTokenizer, maxSeqLength: number): EncodedClassifier {
  const a = tok.encode(input.a), b = input.b !== undefined ? tok.encode(input.b) : [];
  const over = a.length + b.length + 2 - maxSeqLength;
  for (let k = 0; k < over; k++) {
    if (a.length >= b.length) a.pop();
    else b.pop();
  }
  if (a.length + b.length === 0) throw new GlmError('E_TASK_EMPTY_TEXT', 'classifier input has no tokens');
  return { tokens: [tok.special.cls, ...a, ...b, tok.special.eos], truncated: Math.max(0, over), ...(labelIndex !== undefined ? { label: labelIndex } : {}) };
}

export interface Seq2SeqEncodeOptions {
  /** Source length; the source is truncated to it and right-padded with pad (spec §5.3). */
  srcLen: number;
  /** Target length including eop (eop is lost when the target is cut). */
  tgtLen: number;
  /** The blank: [MASK], or [sMASK] for task-mask models. Default 'mask'. */
  maskKind?: 'mask' | 'sMask';
}

export interface EncodedSeq2Seq {
  /** [CLS] [mask] " Content:" tokens(" " + source), truncated and padded to srcLen. */
  source: number[];
  /** Tokens before padding. */
  sourceLength: number;
  /** Always 1: the blank follows [CLS]. */
  maskPosition: number;
  /** tokens(" " + target) + [eop], cut to tgtLen. */
  target: number[];
}

/** Summarisation encoding of spec §5.3 (CNN/DM-style source with a leading blank). */
export function encodeSeq2Seq(ex: Seq2SeqExample, tok: GlmTokenizer, opts: Seq2SeqEncodeOptions): EncodedSeq2Seq {
  if (!(opts.srcLen >= 4 && opts.tgtLen >= 1)) throw new GlmError('E_TASK_LENGTHS', `srcLen must be ≥ 4 and tgtLen ≥ 1, got ${opts.srcLen} and ${opts.tgtLen}`);
  const maskId = opts.maskKind === 'sMask' ? tok.special.sMask : tok.special.mask;
  if (maskId === undefined) throw new GlmError('E_TASK_NO_SMASK', 'this tokenizer has no [sMASK]');
  let source = [tok.special.cls, maskId, ...tok.encode(' Content:'), ...tok.encode(' ' + ex.source)];
  source = source.slice(0, opts.srcLen);
  const sourceLength = source.length;
  while (source.length < opts.srcLen) source.push(tok.special.pad);
  const target = [...tok.encode(' ' + ex.target), tok.special.eop].slice(0, opts.tgtLen);
  return { source, sourceLength, maskPosition: 1, target };
}
