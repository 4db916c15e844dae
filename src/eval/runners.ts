/**
 * Evaluation runners: loop over a task's examples, call a model-side function, and compute the
 * task's metrics. The model-side functions are seams, so the same runners serve zero-shot
 * scoring, fine-tuned models and the later `glm eval` CLI:
 *   - ClozeScorer: answer scores for encoded cloze examples (./cloze.ts provides one);
 *   - TextGenerator: a source text → generated text (beam search lives in src/generate);
 *   - BlankFiller: a text with [MASK]s → one string per blank.
 */
import { GlmError } from '../util/errors.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { encodeCloze, type EncodedCloze } from '../tasks/encode.js';
import type { Pvp } from '../tasks/pattern.js';
import type { InfillExample, Seq2SeqExample, TaskExample } from '../tasks/types.js';
import { accuracy, macroF1, type LabelF1 } from './metrics/classification.js';
import { rougeCorpus, DEFAULT_ROUGE_TYPES, type RougeScore, type RougeType } from './metrics/rouge.js';
import { fillBlanks, infillingBleu, INFILL_BLEU_DEFAULTS, type BleuOptions } from './metrics/index.js';
import type { BleuResult } from './metrics/bleu.js';

export type ClozeScorer = (batch: readonly EncodedCloze[]) => number[][] | Promise<number[][]>;
export type TextGenerator = (source: string, ex: Seq2SeqExample) => string | Promise<string>;
export type BlankFiller = (masked: string, ex: InfillExample) => string[] | Promise<string[]>;
export type Progress = (done: number, total: number) => void;

export interface ClozeEvalResult {
  n: number;
  accuracy: number;
  /** Label tasks only. */
  macroF1?: number;
  perLabel?: LabelF1[];
  predictions: { id: string; prediction: number; gold: number | undefined; scores: number[] }[];
}

/**
 * Accuracy (argmax of the scores against the gold answer; for several gold answers, any of them)
 * and, for label tasks, macro-F1 over the labels.
 */
export async function evaluateCloze(
  examples: readonly TaskExample[], pvp: Pvp, tok: GlmTokenizer, scorer: ClozeScorer,
  opts: { maxSeqLength: number; labels?: readonly string[] | null; batchSize?: number; onProgress?: Progress },
): Promise<ClozeEvalResult> {
  if (examples.length === 0) throw new GlmError('E_EVAL_EMPTY', 'no examples to evaluate');
  const bs = opts.batchSize ?? 16;
  const predictions: ClozeEvalResult['predictions'] = [];
  let correct = 0, labelled = 0;
  for (let at = 0; at < examples.length; at += bs) {
    const chunk = examples.slice(at, at + bs);
    const enc = chunk.map((ex) => encodeCloze(pvp, ex, tok, { maxSeqLength: opts.maxSeqLength }));
    const scores = await scorer(enc);
    chunk.forEach((ex, i) => {
      const s = scores[i]!;
      if (s.length !== enc[i]!.answers.length) throw new GlmError('E_EVAL_SCORER', `the scorer returned ${s.length} scores for ${enc[i]!.answers.length} answers of example ${ex.id}`);
      const pred = s.indexOf(Math.max(...s));
      const golds = ex.goldCandidates ?? (enc[i]!.gold !== undefined ? [enc[i]!.gold!] : []);
      if (golds.length) {
        labelled++;
        if (golds.includes(pred)) correct++;
      }
      predictions.push({ id: ex.id, prediction: pred, gold: golds[0], scores: s });
    });
    opts.onProgress?.(Math.min(at + bs, examples.length), examples.length);
  }
  const out: ClozeEvalResult = { n: examples.length, accuracy: labelled ? correct / labelled : 0, predictions };
  if (opts.labels) {
    const withGold = predictions.filter((p) => p.gold !== undefined);
    const f1 = macroF1(withGold.map((p) => opts.labels![p.prediction]!), withGold.map((p) => opts.labels![p.gold!]!), opts.labels);
    out.macroF1 = f1.macroF1;
    out.perLabel = f1.perLabel;
    out.accuracy = accuracy(withGold.map((p) => p.prediction), withGold.map((p) => p.gold!));
  }
  return out;
}

export interface Seq2SeqEvalResult {
  n: number;
  rouge: Record<RougeType, RougeScore>;
  outputs: { id: string; prediction: string; target: string }[];
}

/** ROUGE (rouge_score definitions, stemming on by default as GLM's in-loop evaluation) of generated texts. */
export async function evaluateSeq2Seq(
  examples: readonly Seq2SeqExample[], generate: TextGenerator,
  opts: { rougeTypes?: readonly RougeType[]; useStemmer?: boolean; onProgress?: Progress } = {},
): Promise<Seq2SeqEvalResult> {
  if (examples.length === 0) throw new GlmError('E_EVAL_EMPTY', 'no examples to evaluate');
  const outputs: Seq2SeqEvalResult['outputs'] = [];
  for (const [i, ex] of examples.entries()) {
    outputs.push({ id: ex.id, prediction: await generate(ex.source, ex), target: ex.target });
    opts.onProgress?.(i + 1, examples.length);
  }
  const rouge = rougeCorpus(outputs.map((o) => o.target), outputs.map((o) => o.prediction), opts.rougeTypes ?? DEFAULT_ROUGE_TYPES, { useStemmer: opts.useStemmer ?? true });
  return { n: examples.length, rouge, outputs };
}

export interface InfillEvalResult {
  byRatio: { ratio: number; n: number; bleu: BleuResult }[];
  outputs: { id: string; ratio: number; filled: string; original: string }[];
}

/** BLEU of the filled texts against the originals, per mask ratio (spec §5.5). */
export async function evaluateInfilling(
  examples: readonly InfillExample[], fill: BlankFiller, opts: { bleu?: BleuOptions; onProgress?: Progress } = {},
): Promise<InfillEvalResult> {
  if (examples.length === 0) throw new GlmError('E_EVAL_EMPTY', 'no examples to evaluate');
  const outputs: InfillEvalResult['outputs'] = [];
  for (const [i, ex] of examples.entries()) {
    const answers = await fill(ex.masked, ex);
    outputs.push({ id: ex.id, ratio: ex.ratio, filled: fillBlanks(ex.masked, answers), original: ex.original });
    opts.onProgress?.(i + 1, examples.length);
  }
  const byRatio = infillingBleu(outputs.map((o) => ({ ratio: o.ratio, hypothesis: o.filled, reference: o.original })), opts.bleu ?? INFILL_BLEU_DEFAULTS);
  return { byRatio, outputs };
}
