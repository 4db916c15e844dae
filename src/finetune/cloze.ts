/**
 * Cloze scoring and its loss (spec §5.1), for fine-tuning and for evaluation.
 *
 * Single-token answers (GLMForSingleTokenCloze): each row is Part A + [sop], the [sop] slot at the
 * mask's position with block position 1; the logits at index sep (the [sop] slot) are read at the
 * verbalizer ids, and the loss is CE over those raw logits.
 *
 * Multi-token answers (GLMForMultiTokenCloze, 'original' layout): every candidate of an example
 * goes into ONE sequence in the multiple-choice layout of spec §3.3, built by
 * src/generate/score.ts: Part A, then per candidate `[sop] + answer` predicting `answer + [eop]`,
 * block-diagonal mask (candidates see Part A and themselves causally, never each other).
 * score = Σ log p(answer tokens, eop included) / len^lengthPenalty (len counts eop), which equals
 * scoring the candidates one row at a time (src/eval/cloze.ts; checked in cloze.test.ts).
 * Losses over an example's scores: cross_entropy, generative, mix, hinge (./ops.ts).
 */
import type { GLMModel } from '../model/glm.js';
import { blankRow, packRows } from '../model/rows.js';
import { Tensor, noGrad } from '../tensor/tensor.js';
import { add, scale } from '../tensor/ops/elementwise.js';
import { concat } from '../tensor/ops/shape.js';
import { buildChoiceLayout, candidateLogProbs, type ScoreItem } from '../generate/score.js';
import type { GenerationTokens } from '../generate/tokens.js';
import type { EncodedCloze } from '../tasks/encode.js';
import type { ClozeScorer } from '../eval/runners.js';
import { choiceLoss, gatherFlat, scaleBy, type ChoiceLoss } from '../tensor/ops/scoring.js';
import type { PromptEmbeddings } from '../model/glm.js';
import { GlmError } from '../util/errors.js';
import type { PromptEncoder } from './prompt-encoder.js';

/**
 * The `prompt` forward option for examples laid out one per row of length S, Part A first: the
 * k-th prompt token of an example takes row k of the encoder's output.
 */
export function promptRows(values: Tensor, batch: readonly EncodedCloze[], S: number): PromptEmbeddings {
  const K = values.shape[0]!;
  const rows: number[] = [], src: number[] = [];
  batch.forEach((e, b) => {
    if (e.promptPositions.length > K) {
      throw new GlmError('E_PTUNING_SPELL_LENGTH', `the pattern has ${e.promptPositions.length} prompt tokens but the prompt encoder only ${K} (spell_length); raise --spell-length`);
    }
    e.promptPositions.forEach((p, k) => {
      rows.push(b * S + p);
      src.push(k);
    });
  });
  return { rows: Int32Array.from(rows), values, src: Int32Array.from(src) };
}

export interface ClozeScoringOptions {
  /** Multi-token scores are divided by len^lengthPenalty (len counts eop). Default 0. */
  lengthPenalty?: number;
  /**
   * 'auto' (default): the single-token path when every answer of the example is one token, as
   * encodeCloze decided; 'multi': always score token by token with eop (multiple-choice tasks).
   */
  answerMode?: 'auto' | 'multi';
  /** Also score [eop] after multi-token answers ([orig], default true) or not ([hub], spec §0.2 #5). */
  includeEop?: boolean;
  /** P-tuning: the pattern's prompt tokens take this encoder's embeddings (./prompt-encoder.ts). */
  prompt?: PromptEncoder;
}

/** Scores of one batch, differentiable. */
export interface ClozeBatchScores {
  /**
   * Every answer of every example, flat [C]: raw verbalizer logits for single-token examples,
   * length-normalised log-probabilities for multi-token ones.
   */
  scores: Tensor;
  /** groups[e]: the indices in `scores` of example e's answers, in answer order. */
  groups: number[][];
  /** log p of every answer (single-token: log_softmax over the vocabulary at [sop]), per example. */
  logProbs: () => number[][];
}

const isSingle = (e: EncodedCloze, o: ClozeScoringOptions): boolean => e.singleToken && (o.answerMode ?? 'auto') === 'auto';

/** Single-token rows: [CLS] pattern [eos] [sop], padded; returns the logits [B, S, V] and the [sop] rows. */
function singleTokenForward(model: GLMModel, batch: readonly EncodedCloze[], tokens: GenerationTokens, train: boolean, prompt: Tensor | null): { logits: Tensor; sopRow: number[] } {
  // Padding after [sop] is causal (sep = A), so it never reaches the [sop] slot.
  const { input } = packRows(batch.map((e) => blankRow(e.tokens, [tokens.sop], e.maskPosition)), { padId: tokens.pad ?? tokens.eos });
  const sopRow = batch.map((e, b) => b * input.seqLen + e.tokens.length);
  const { logits } = model.forward(input, { train, ...(prompt ? { prompt: promptRows(prompt, batch, input.seqLen) } : {}) });
  return { logits, sopRow };
}

function logSoftmaxAt(logits: Float32Array, row: number, V: number, id: number): number {
  const base = row * V;
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[base + v]!);
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp(logits[base + v]! - max);
  return logits[base + id]! - max - Math.log(z);
}

/**
 * Forward pass(es) for a batch of encoded examples: one for the single-token examples, one for the
 * multi-token examples (all their candidates in one sequence each). Records autograd when enabled.
 */
export function clozeBatchScores(model: GLMModel, batch: readonly EncodedCloze[], tokens: GenerationTokens, opts: ClozeScoringOptions & { train?: boolean } = {}): ClozeBatchScores {
  const train = opts.train ?? false;
  const V = model.config.vocab_size;
  const lp = opts.lengthPenalty ?? 0;
  const eop = opts.includeEop ?? true;
  const singles = batch.map((e, i) => (isSingle(e, opts) ? i : -1)).filter((i) => i >= 0);
  const multis = batch.map((e, i) => (isSingle(e, opts) ? -1 : i)).filter((i) => i >= 0);
  const parts: Tensor[] = [];
  const groups: number[][] = batch.map(() => []);
  const readers: (() => void)[] = [];
  const logProbs: number[][] = batch.map(() => []);
  let at = 0;
  const prompt = opts.prompt ? opts.prompt.forward() : null;
  if (singles.length) {
    const sub = singles.map((i) => batch[i]!);
    const { logits, sopRow } = singleTokenForward(model, sub, tokens, train, prompt);
    const idx: number[] = [];
    sub.forEach((e, k) => e.answers.forEach((a) => {
      groups[singles[k]!]!.push(at++);
      idx.push(sopRow[k]! * V + a[0]!);
    }));
    parts.push(gatherFlat(logits, Int32Array.from(idx)));
    readers.push(() => {
      const l = logits.f32;
      sub.forEach((e, k) => (logProbs[singles[k]!] = e.answers.map((a) => logSoftmaxAt(l, sopRow[k]!, V, a[0]!))));
    });
  }
  if (multis.length) {
    const sub = multis.map((i) => batch[i]!);
    const items: ScoreItem[] = sub.map((e) => ({ context: e.tokens, maskPosition: e.maskPosition, candidates: e.answers }));
    const layout = buildChoiceLayout(model.config, items, tokens, { includeEop: eop });
    // Each example's sequence starts with its Part A, so prompt positions index row k directly.
    const { logits } = model.forward(layout.input, { train, ...(prompt ? { prompt: promptRows(prompt, sub, layout.input.seqLen) } : {}) });
    let s = candidateLogProbs(logits, layout);
    if (lp !== 0) {
      const f = new Float32Array(layout.numCandidates);
      sub.forEach((e, k) => e.answers.forEach((a, j) => (f[layout.candidateIndex[k]![j]!] = 1 / (a.length + (eop ? 1 : 0)) ** lp)));
      s = scaleBy(s, f);
    }
    sub.forEach((_, k) => layout.candidateIndex[k]!.forEach((c) => groups[multis[k]!]!.push(at + c)));
    at += layout.numCandidates;
    parts.push(s);
    const sv = s;
    readers.push(() => sub.forEach((_, k) => (logProbs[multis[k]!] = layout.candidateIndex[k]!.map((c) => sv.f32[c]!))));
  }
  const scores = parts.length === 1 ? parts[0]! : concat(parts, 0);
  let read = false;
  return {
    scores,
    groups,
    logProbs: () => {
      if (!read) readers.forEach((r) => r());
      read = true;
      return logProbs;
    },
  };
}

/** Loss options of cloze fine-tuning. */
export interface ClozeLossOptions extends ClozeScoringOptions {
  /** Loss over multi-token answer scores. Default 'cross_entropy'. Single-token examples always use CE (GLM). */
  loss?: ChoiceLoss;
  train?: boolean;
}

/**
 * The mean loss of a batch (examples without a gold answer are skipped). Single-token examples:
 * CE over raw verbalizer logits; multi-token ones: `loss` over their scores.
 */
export function clozeLoss(model: GLMModel, batch: readonly EncodedCloze[], tokens: GenerationTokens, opts: ClozeLossOptions = {}): Tensor {
  const labelled = batch.filter((e) => e.gold !== undefined);
  const fwd = clozeBatchScores(model, labelled, tokens, { ...opts, train: opts.train ?? true });
  const single = labelled.map((e, i) => (isSingle(e, opts) ? i : -1)).filter((i) => i >= 0);
  const multi = labelled.map((e, i) => (isSingle(e, opts) ? -1 : i)).filter((i) => i >= 0);
  const terms: Tensor[] = [];
  if (single.length) {
    const l = choiceLoss(fwd.scores, single.map((i) => fwd.groups[i]!), single.map((i) => labelled[i]!.gold!), 'cross_entropy');
    terms.push(scale(l, single.length / labelled.length));
  }
  if (multi.length) {
    const l = choiceLoss(fwd.scores, multi.map((i) => fwd.groups[i]!), multi.map((i) => labelled[i]!.gold!), opts.loss ?? 'cross_entropy');
    terms.push(scale(l, multi.length / labelled.length));
  }
  return terms.length === 1 ? terms[0]! : add(terms[0]!, terms[1]!);
}

/**
 * The evaluation scorer (for src/eval/runners.ts evaluateCloze): log-probabilities of every
 * answer, all candidates of an example in one forward pass, no autograd.
 */
export function clozeScorer(model: GLMModel, tokens: GenerationTokens, opts: ClozeScoringOptions = {}): ClozeScorer {
  return (batch) => noGrad(() => clozeBatchScores(model, batch, tokens, { ...opts, train: false }).logProbs());
}
