/**
 * Scoring answers for a blank: log P(answer | context) = Σ_t log p(a_t | context, [sop], a_<t),
 * optionally with [eop] at the end. All candidates of all items go through ONE forward pass in
 * the multiple-choice layout of spec §3.3: per item the context, then each candidate's
 * `[sop] + a[:-1]` (`[sop] + a` with eop) at (mask position, block positions 1..n), under a
 * block-diagonal mask: the context sees itself, each candidate sees the context and itself
 * causally, never another candidate.
 *
 * `buildChoiceLayout` + `candidateLogProbs` are differentiable (cloze fine-tuning, spec §5.1);
 * `scoreCandidates` is the inference shortcut.
 */
import { GlmError } from '../util/errors.js';
import type { GLMConfig } from '../model/config.js';
import type { GLMModel } from '../model/glm.js';
import type { ModelInput } from '../model/inputs.js';
import { explicitMask, packRows } from '../model/rows.js';
import { Tensor, noGrad } from '../tensor/tensor.js';
import { groupedLogProbs } from '../tensor/ops/scoring.js';
import type { GenerationTokens } from './tokens.js';

export interface ScoreItem {
  /** Part A (ids). */
  context: readonly number[];
  /** Index in `context` of the blank's mask token. */
  maskPosition: number;
  /** Answers to score (ids, without [sop] / [eop]). */
  candidates: readonly (readonly number[])[];
}

export interface ScoreOptions {
  /**
   * Also score [eop] after each answer ([orig] cloze scoring) instead of the answer tokens only
   * ([hub], the default; spec §0.2 #5).
   */
  includeEop?: boolean;
}

/** The batch and the bookkeeping to read candidate scores off its logits. */
export interface ChoiceLayout {
  input: ModelInput;
  /** Flat row (b·S + s) of the logits that predicts each scored token. */
  rows: Int32Array;
  /** The scored token of each row. */
  targets: Int32Array;
  /** The candidate (numbered across items) each row belongs to. */
  candidateOf: Int32Array;
  /** candidateIndex[item][k]: the global number of item's candidate k. */
  candidateIndex: number[][];
  numCandidates: number;
}

/** Lays out items (padded to the longest) with their block-diagonal mask [B, 1, S, S]. */
export function buildChoiceLayout(cfg: GLMConfig, items: readonly ScoreItem[], tokens: GenerationTokens, opts: ScoreOptions = {}): ChoiceLayout {
  const eop = opts.includeEop ?? false;
  const V = cfg.vocab_size, P = cfg.max_sequence_length;
  if (items.length === 0) throw new GlmError('E_INPUT_SHAPE', 'no items to score');
  const lens = items.map((it, i) => {
    const C = it.context.length;
    if (C === 0) throw new GlmError('E_INPUT_SHAPE', `item ${i}: empty context`);
    if (C > P + 1) throw new GlmError('E_POSITION', `item ${i}: context of ${C} tokens exceeds the position table (max_sequence_length ${P})`);
    if (!(Number.isInteger(it.maskPosition) && it.maskPosition >= 0 && it.maskPosition < C)) {
      throw new GlmError('E_GENERATE_OPTION', `item ${i}: maskPosition ${it.maskPosition} is outside the context [0, ${C})`);
    }
    if (it.candidates.length === 0) throw new GlmError('E_INPUT_SHAPE', `item ${i}: no candidates`);
    let total = C;
    it.candidates.forEach((c, k) => {
      if (c.length === 0 && !eop) throw new GlmError('E_INPUT_SHAPE', `item ${i}, candidate ${k}: an empty answer has nothing to score without includeEop`);
      if (c.length + 1 > P) throw new GlmError('E_POSITION', `item ${i}, candidate ${k}: ${c.length} tokens need block positions beyond max_sequence_length ${P}`);
      for (const id of [...it.context, ...c]) {
        if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new GlmError('E_TOKEN_ID', `item ${i}: token id ${id} is outside the vocabulary [0, ${V})`);
      }
      total += eop ? c.length + 1 : c.length;
    });
    return total;
  });
  const B = items.length, S = Math.max(...lens);
  const rows: number[] = [], targets: number[] = [], candidateOf: number[] = [];
  const candidateIndex: number[][] = [];
  // spanStart[b][s]: the first slot of the candidate slot s belongs to (-1 in the context).
  const spanStart: number[][] = [];
  let g = 0;
  const glmRows = items.map((it, b) => {
    const C = it.context.length;
    const ids = [...it.context], positions = it.context.map((_, s) => s), blockPositions = it.context.map(() => 0);
    const starts = it.context.map(() => -1);
    const idx: number[] = [];
    for (const c of it.candidates) {
      const inputs = [tokens.sop, ...(eop ? c : c.slice(0, -1))];
      const tgts = eop ? [...c, tokens.eop] : [...c];
      const start = ids.length;
      inputs.forEach((id, t) => {
        ids.push(id);
        positions.push(it.maskPosition);
        blockPositions.push(t + 1);
        starts.push(start);
        rows.push(b * S + start + t);
        targets.push(tgts[t]!);
        candidateOf.push(g);
      });
      idx.push(g++);
    }
    spanStart.push(starts);
    candidateIndex.push(idx);
    return { ids, positions, blockPositions, sep: C };
  });
  // Every slot sees the whole context; a candidate slot also sees its own candidate up to itself.
  // Padding rows see only themselves (never read).
  const mask = explicitMask(B, S, lens, (b, i, j) => {
    const start = spanStart[b]![i]!;
    return j < items[b]!.context.length || (start >= 0 && j >= start && j <= i);
  }, 'self');
  return {
    input: packRows(glmRows, { padId: tokens.pad ?? tokens.eos, mask }).input,
    rows: Int32Array.from(rows),
    targets: Int32Array.from(targets),
    candidateOf: Int32Array.from(candidateOf),
    candidateIndex,
    numCandidates: g,
  };
}

/**
 * Σ log_softmax over each candidate's rows of `logits` [B, S, V] (differentiable): a tensor
 * [numCandidates]. `perToken`, if given, receives each scored row's log-probability.
 */
export function candidateLogProbs(logits: Tensor, layout: ChoiceLayout, perToken?: Float32Array): Tensor {
  return groupedLogProbs(logits, layout.rows, layout.targets, layout.candidateOf, layout.numCandidates, perToken, 'candidateLogProbs');
}

export interface CandidateScore {
  /** Σ of tokenLogProbs. */
  logProb: number;
  /** log p of each scored token (the answer's, then [eop] with includeEop). */
  tokenLogProbs: number[];
}

/** Scores every candidate of every item in one forward pass: result[item][candidate]. */
export function scoreCandidates(model: GLMModel, items: readonly ScoreItem[], tokens: GenerationTokens, opts: ScoreOptions = {}): CandidateScore[][] {
  const layout = buildChoiceLayout(model.config, items, tokens, opts);
  const per = new Float32Array(layout.rows.length);
  const scores = noGrad(() => candidateLogProbs(model.forward(layout.input).logits, layout, per)).f32;
  const tokenLps: number[][] = Array.from({ length: layout.numCandidates }, () => []);
  layout.candidateOf.forEach((c, r) => tokenLps[c]!.push(per[r]!));
  return layout.candidateIndex.map((idx) => idx.map((c) => ({ logProb: scores[c]!, tokenLogProbs: tokenLps[c]! })));
}
