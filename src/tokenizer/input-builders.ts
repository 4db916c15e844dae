/**
 * Model inputs for generation and multiple choice, in both layouts of spec §3.3:
 *  - 'original': [orig] `generate_samples.py` / `tasks/data_utils.py::build_input_from_ids`
 *    (BERT vocab ends Part A with [PAD] (eos = 0); no eos after a trailing [gMASK] in generation;
 *    the answer attaches to the LAST mask; multi-token choices are scored with [eop], one row per
 *    choice);
 *  - 'hub': the hub tokenizer's `__call__`, `build_inputs_for_generation` and
 *    `build_inputs_for_multiple_choice` ([CLS] … [SEP] for BERT, eos always; the FIRST mask;
 *    choices share one row, without [eop], under a block-diagonal mask).
 *
 * Builders work on ids and a SpecialTokenIdMap so that they serve any family (and symbolic tests).
 * Positions: row 0 = position, row 1 = block position (spec §2.1).
 */
import { GlmError } from '../util/errors.js';
import type { ModelInput } from '../model/inputs.js';
import { explicitMask, packRows, sepSees } from '../model/rows.js';
import type { GlmTokenizer, InputLayout, SpecialTokenIdMap } from './types.js';

/** One example. Targets are aligned with inputIds (no shift); hub `labels` = targets with −100 where lossMask is 0. */
export interface GlmExample {
  inputIds: number[];
  positionIds: number[];
  blockPositionIds: number[];
  /** Part A length: query i sees key j iff j ≤ i or j < sep (spec §2.3). */
  sep: number;
  /** Explicit [S][S] 0/1 mask, only where `sep` cannot express the pattern (hub multiple choice). */
  attentionMask?: number[][];
  targets?: number[];
  lossMask?: number[];
}

export interface SourceOptions {
  layout: InputLayout;
  /**
   * [orig] interactive generation: when the text has no mask token, " [gMASK]" (or " [MASK]" for
   * families without task masks) is appended. Default: true for 'original', false for 'hub'.
   */
  appendMaskIfMissing?: boolean;
  /** Append eos even after a trailing [gMASK]. Default: false for 'original' (generation), true for 'hub'. */
  eosAfterGMask?: boolean;
}

function maskIds(s: SpecialTokenIdMap): number[] {
  return [s.mask, s.sMask, s.gMask].filter((x): x is number => x !== undefined);
}

/**
 * Part A of an input from text (spec §3.3): [CLS] + tokens + end, where end is eos ('original':
 * [PAD] for BERT-vocab models, since eos = 0 there), or for 'hub' [SEP] for BERT and eos otherwise.
 */
export function encodeSource(tok: GlmTokenizer, text: string, opts: SourceOptions): number[] {
  const s = tok.special;
  let ids = tok.encode(text);
  const original = opts.layout === 'original';
  if (opts.appendMaskIfMissing ?? original) {
    if (!ids.some((id) => maskIds(s).includes(id))) ids = [...ids, ...tok.encode(` ${s.gMask !== undefined ? tok.idToToken(s.gMask) : tok.idToToken(s.mask)}`)];
  }
  return sourceFromIds(s, ids, { layout: opts.layout, bertVocab: tok.family === 'bert', ...(opts.eosAfterGMask !== undefined ? { eosAfterGMask: opts.eosAfterGMask } : {}) });
}

/** Same as encodeSource, from already tokenized text. `bertVocab`: the hub ends BERT inputs with [SEP]. */
export function sourceFromIds(s: SpecialTokenIdMap, ids: readonly number[], opts: { layout: InputLayout; bertVocab?: boolean; eosAfterGMask?: boolean }): number[] {
  const out = [s.cls, ...ids];
  if (opts.layout === 'hub') {
    out.push(opts.bertVocab ? s.sep : s.eos);
    return out;
  }
  const trailingGMask = s.gMask !== undefined && ids.length > 0 && ids[ids.length - 1] === s.gMask;
  if (!trailingGMask || opts.eosAfterGMask) out.push(s.eos);
  return out;
}

/** Index of the mask an answer attaches to: 'hub' the first mask token, 'original' the last (spec §0.2 #4). */
export function findMaskPosition(s: SpecialTokenIdMap, source: readonly number[], layout: InputLayout, only?: readonly number[]): number {
  const ids = only ?? maskIds(s);
  let pos = -1;
  for (let i = 0; i < source.length; i++) {
    if (ids.includes(source[i]!)) {
      pos = i;
      if (layout === 'hub') break;
    }
  }
  if (pos < 0) throw new GlmError('E_INPUT_NO_MASK', `the input has no mask token (${ids.join(', ')}) to generate into`);
  return pos;
}

export interface GenerationOptions {
  layout: InputLayout;
  /** G: maximum number of generated tokens (positions are prepared for all of them). */
  maxGenLength: number;
  /** Training: the answer tokens (no [eop]; it is appended). Omit for inference. */
  target?: readonly number[];
  /** Training with 'hub': pad the target to maxGenLength (else G shrinks to the target length). */
  padding?: boolean;
  /** Attach to this index of the source instead of the layout's mask rule. */
  maskPosition?: number;
}

/**
 * Generation input (spec §3.3 build_inputs_for_generation / [orig] seq2seq): Part A, then [sop]
 * (inference) or [sop] + (target + [eop])[:-1] with targets target + [eop] (training). Positions of
 * Part B repeat the mask position; block positions count 1..G. Inference returns the positions of
 * all G generation steps (positionIds has L + G entries while inputIds has L + 1).
 */
export function buildGenerationInput(s: SpecialTokenIdMap, source: readonly number[], opts: GenerationOptions): GlmExample & { maskPosition: number } {
  if (!(Number.isInteger(opts.maxGenLength) && opts.maxGenLength > 0)) throw new GlmError('E_INPUT', `maxGenLength must be a positive integer, got ${opts.maxGenLength}`);
  const L = source.length;
  const m = opts.maskPosition ?? findMaskPosition(s, source, opts.layout);
  if (m < 0 || m >= L) throw new GlmError('E_INPUT', `mask position ${m} is outside the source (length ${L})`);
  let G = opts.maxGenLength;
  if (!opts.target) {
    return {
      inputIds: [...source, s.sop],
      positionIds: [...range(0, L), ...new Array<number>(G).fill(m)],
      blockPositionIds: [...new Array<number>(L).fill(0), ...range(1, G + 1)],
      sep: L,
      maskPosition: m,
    };
  }
  const tgt = [...opts.target, s.eop].slice(0, G);
  if (!opts.padding) G = tgt.length;
  const padded = [...tgt, ...new Array<number>(G - tgt.length).fill(s.pad)];
  return {
    inputIds: [...source, s.sop, ...padded.slice(0, -1)],
    positionIds: [...range(0, L), ...new Array<number>(G).fill(m)],
    blockPositionIds: [...new Array<number>(L).fill(0), ...range(1, G + 1)],
    sep: L,
    targets: [...new Array<number>(L).fill(s.pad), ...padded],
    lossMask: [...new Array<number>(L).fill(0), ...tgt.map(() => 1), ...new Array<number>(G - tgt.length).fill(0)],
    maskPosition: m,
  };
}

/** Multiple-choice inputs and where each choice's log-probability is read. */
export interface MultipleChoiceInput {
  /** 'hub': one row; 'original': one row per choice. */
  rows: GlmExample[];
  /** For choice k: its row, and the positions (in that row) whose logits score its targets. */
  choices: { row: number; indices: number[]; targets: number[] }[];
  maskPosition: number;
}

/**
 * Multiple choice (spec §3.3, §5.1, §8.6). Score of choice k = Σ_t log_softmax(logits[row][indices[t]])[targets[t]].
 *  - 'hub': each choice c (no [eop]) adds [sop] + c[:-1] at the first plain [MASK]'s position,
 *    block positions 1..|c|; choices see the context and themselves causally, never each other.
 *  - 'original': one row per choice, [sop] + c with targets c + [eop] at the last mask token.
 */
export function buildMultipleChoiceInput(s: SpecialTokenIdMap, source: readonly number[], choices: readonly (readonly number[])[], opts: { layout: InputLayout }): MultipleChoiceInput {
  if (choices.length === 0) throw new GlmError('E_INPUT', 'multiple choice needs at least one choice');
  choices.forEach((c, k) => {
    if (c.length === 0) throw new GlmError('E_INPUT', `choice ${k} is empty`);
  });
  const L = source.length;
  if (opts.layout === 'original') {
    const m = findMaskPosition(s, source, 'original');
    const rows: GlmExample[] = [];
    const out: MultipleChoiceInput['choices'] = [];
    choices.forEach((c, k) => {
      const tgt = [...c, s.eop];
      rows.push({
        inputIds: [...source, s.sop, ...c],
        positionIds: [...range(0, L), ...tgt.map(() => m)],
        blockPositionIds: [...new Array<number>(L).fill(0), ...range(1, tgt.length + 1)],
        sep: L,
        targets: [...new Array<number>(L).fill(s.pad), ...tgt],
        lossMask: [...new Array<number>(L).fill(0), ...tgt.map(() => 1)],
      });
      out.push({ row: k, indices: range(L, L + tgt.length), targets: tgt });
    });
    return { rows, choices: out, maskPosition: m };
  }
  const m = findMaskPosition(s, source, 'hub', [s.mask]);
  const ids = [...source], pos = range(0, L), block = new Array<number>(L).fill(0);
  const out: MultipleChoiceInput['choices'] = [];
  for (const c of choices) {
    const start = ids.length;
    ids.push(s.sop, ...c.slice(0, -1));
    pos.push(...c.map(() => m));
    block.push(...range(1, c.length + 1));
    out.push({ row: 0, indices: range(start, start + c.length), targets: [...c] });
  }
  const S = ids.length;
  const mask = Array.from({ length: S }, () => new Array<number>(S).fill(0));
  for (let i = 0; i < S; i++) for (let j = 0; j < L; j++) mask[i]![j] = 1;
  for (const c of out) for (const i of c.indices) for (const j of c.indices) if (j <= i) mask[i]![j] = 1;
  return { rows: [{ inputIds: ids, positionIds: pos, blockPositionIds: block, sep: L, attentionMask: mask }], choices: out, maskPosition: m };
}

/** Hub-style labels: targets where the loss applies, −100 elsewhere. */
export function hubLabels(e: GlmExample): number[] {
  if (!e.targets || !e.lossMask) throw new GlmError('E_INPUT', 'this example has no targets');
  return e.targets.map((t, i) => (e.lossMask![i] ? t : -100));
}

/** A batch ready for GLMModel.forward, plus aligned targets and loss mask. */
export interface CollatedBatch {
  input: ModelInput;
  targets: Int32Array;
  lossMask: Float32Array;
}

/**
 * Right-pads examples into one batch. Token ids are padded with `padId` (the original pads with
 * eos, the hub with pad; both are the same id for every family but RoBERTa), positions with 0
 * ('original') or the row's last position ('hub' multiple choice), loss mask with 0. Rows with an
 * explicit mask, or a batch mixing lengths under 'hub', get a [B, 1, S, S] mask with zero padding.
 */
export function collate(examples: readonly GlmExample[], opts: { padId: number; positionPad?: 'zero' | 'last' }): CollatedBatch {
  if (examples.length === 0) throw new GlmError('E_INPUT', 'cannot collate an empty batch');
  examples.forEach((e, b) => {
    const n = e.inputIds.length;
    if (e.positionIds.length < n || e.blockPositionIds.length < n) throw new GlmError('E_INPUT', `example ${b}: fewer positions than tokens`);
  });
  const rows = examples.map((e) => ({ ids: e.inputIds, positions: e.positionIds, blockPositions: e.blockPositionIds, sep: e.sep, targets: e.targets, lossMask: e.lossMask }));
  const S = Math.max(...examples.map((e) => e.inputIds.length));
  const mask = examples.some((e) => e.attentionMask)
    ? explicitMask(examples.length, S, examples.map((e) => e.inputIds.length), (b, i, j) => {
      const e = examples[b]!;
      return e.attentionMask ? e.attentionMask[i]![j]! : sepSees(i, j, e.sep);
    }, 'none')
    : undefined;
  return packRows(rows, { padId: opts.padId, targetPad: opts.padId, positionPad: opts.positionPad, ...(mask ? { mask } : {}) });
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}
