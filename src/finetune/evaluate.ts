/**
 * Evaluation of a model on a task, through the runners of src/eval: cloze scoring (zero-shot or
 * fine-tuned), the classifier head, beam-search summarisation (ROUGE), and greedy blank filling
 * (infilling BLEU). `runEval` is `glm eval`: it picks the right one from the model folder's
 * finetune.json (or zero-shot cloze / generation for a plain pretrained model).
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { noGrad } from '../tensor/tensor.js';
import { infill } from '../generate/index.js';
import { buildContext } from '../generate/tokens.js';
import { accuracy, macroF1, type LabelF1 } from '../eval/metrics/classification.js';
import { evaluateCloze, evaluateInfilling, evaluateSeq2Seq, type ClozeEvalResult, type InfillEvalResult, type Progress, type Seq2SeqEvalResult } from '../eval/runners.js';
import { encodeClassifier, encodeSeq2Seq, getPvp, type ClozeTask, type InfillExample, type Pvp, type Seq2SeqExample, type Split, type TaskExample } from '../tasks/index.js';
import { clozeScorer, type ClozeScoringOptions } from './cloze.js';
import { classifierLogits, type ClassifierHead } from './classifier.js';
import { SEQ2SEQ_DECODING, generateSummaries, type BeamOptions } from './seq2seq.js';
import { loadFinetuned, type FinetuneInfo, type FinetuneMode } from './model-dir.js';
import { defaultMaxSeqLength, defaultSeq2SeqLengths, loadSplit, openTokenizer, tokensOf } from './setup.js';
import { resolveTask } from './task-file.js';

/** Cloze accuracy (and macro-F1 for label tasks), every candidate of an example in one pass. */
export function evaluateClozeModel(
  model: GLMModel, tok: GlmTokenizer, task: ClozeTask, pvp: Pvp, examples: readonly TaskExample[],
  opts: ClozeScoringOptions & { maxSeqLength: number; batchSize?: number; onProgress?: Progress },
): Promise<ClozeEvalResult> {
  const scorer = clozeScorer(model, tokensOf(tok), opts);
  return evaluateCloze(examples, pvp, tok, scorer, {
    maxSeqLength: opts.maxSeqLength, labels: task.labels, batchSize: opts.batchSize ?? 16,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

export interface ClassifierEvalResult {
  n: number;
  accuracy: number;
  macroF1: number;
  perLabel: LabelF1[];
  predictions: { id: string; prediction: number; gold: number | undefined }[];
}

/** Accuracy and macro-F1 of the classifier head. */
export function evaluateClassifierModel(
  model: GLMModel, head: ClassifierHead, tok: GlmTokenizer, task: ClozeTask, examples: readonly TaskExample[],
  opts: { maxSeqLength: number; batchSize?: number; onProgress?: Progress },
): ClassifierEvalResult {
  if (!task.classifierInput || !task.labels) throw new GlmError('E_TASK_KIND', `task ${task.name} has no classifier input (multiple-choice tasks need cloze scoring)`);
  const labels = task.labels;
  if (labels.length !== head.spec.numLabels) throw new GlmError('E_FINETUNE_OPTION', `the head has ${head.spec.numLabels} outputs but task ${task.name} has ${labels.length} labels`);
  const tokens = tokensOf(tok);
  const bs = opts.batchSize ?? 16;
  const predictions: ClassifierEvalResult['predictions'] = [];
  for (let at = 0; at < examples.length; at += bs) {
    const chunk = examples.slice(at, at + bs);
    const enc = chunk.map((ex) => encodeClassifier(task.classifierInput!(ex), ex.label !== undefined ? labels.indexOf(ex.label) : undefined, tok, opts.maxSeqLength));
    const logits = noGrad(() => classifierLogits(model, head, enc, tokens, false)).f32;
    const L = labels.length;
    chunk.forEach((ex, i) => {
      const row = Array.from(logits.subarray(i * L, (i + 1) * L));
      predictions.push({ id: ex.id, prediction: row.indexOf(Math.max(...row)), gold: enc[i]!.label });
    });
    opts.onProgress?.(Math.min(at + bs, examples.length), examples.length);
  }
  const gold = predictions.filter((p) => p.gold !== undefined);
  if (gold.length === 0) throw new GlmError('E_EVAL_EMPTY', 'no labelled examples to evaluate');
  const f1 = macroF1(gold.map((p) => labels[p.prediction]!), gold.map((p) => labels[p.gold!]!), labels);
  return { n: examples.length, accuracy: accuracy(gold.map((p) => p.prediction), gold.map((p) => p.gold!)), macroF1: f1.macroF1, perLabel: f1.perLabel, predictions };
}

export interface SummaryEvalOptions extends BeamOptions {
  srcLen: number;
  tgtLen: number;
  maskKind?: 'mask' | 'sMask';
  onProgress?: Progress;
}

/** Beam-search outputs for every source, then ROUGE (rouge_score definitions, stemmed). */
export async function evaluateSummaries(model: GLMModel, tok: GlmTokenizer, examples: readonly Seq2SeqExample[], opts: SummaryEvalOptions): Promise<Seq2SeqEvalResult> {
  const tokens = tokensOf(tok);
  const enc = examples.map((ex) => encodeSeq2Seq(ex, tok, { srcLen: opts.srcLen, tgtLen: opts.tgtLen, ...(opts.maskKind ? { maskKind: opts.maskKind } : {}) }));
  const outs = generateSummaries(model, tok, tokens, enc, { maxLength: opts.tgtLen - 1, ...opts }, opts.onProgress);
  const byId = new Map(examples.map((ex, i) => [ex.id, outs[i]!]));
  return evaluateSeq2Seq(examples, (_src, ex) => byId.get(ex.id)!);
}

/** Greedy left-to-right blank filling (spec §5.5), then BLEU per mask ratio. */
export async function evaluateInfillModel(model: GLMModel, tok: GlmTokenizer, examples: readonly InfillExample[], opts: { maxLength?: number; batchSize?: number; onProgress?: Progress } = {}): Promise<InfillEvalResult> {
  const tokens = tokensOf(tok);
  const P = model.config.max_sequence_length;
  const bs = opts.batchSize ?? 8;
  const answers = new Map<string, string[]>();
  for (let at = 0; at < examples.length; at += bs) {
    const chunk = examples.slice(at, at + bs);
    const ctx = chunk.map((ex) => buildContext(tok.encode(ex.masked), tokens, { appendMask: false }));
    for (const [i, c] of ctx.entries()) {
      if (c.length > P + 1) throw new GlmError('E_TASK_TOO_LONG', `example ${chunk[i]!.id}: ${c.length} tokens exceed the model's max_sequence_length ${P}`);
    }
    const res = infill(model, ctx, tokens, { strategy: 'greedy', maxLength: Math.min(opts.maxLength ?? 16, P - 1) });
    res.forEach((r, i) => answers.set(chunk[i]!.id + '@' + chunk[i]!.ratio, r.blanks.map((b) => tok.decode(b.tokens, { skipSpecial: true }).trim())));
    opts.onProgress?.(Math.min(at + bs, examples.length), examples.length);
  }
  return evaluateInfilling(examples, (_m, ex) => answers.get(ex.id + '@' + ex.ratio)!);
}

/** The seed of `glm eval --limit N --random-subset`: every model sees the same examples. */
export const RANDOM_SUBSET_SEED = 1234;

export interface EvalRunOptions {
  model: string;
  task: string;
  split?: Split;
  /** Score the cloze pattern with the weights as they are, ignoring a fine-tuned head / mode. */
  zeroShot?: boolean;
  pattern?: string;
  tokenizer?: string | GlmTokenizer;
  dataDir?: string;
  limit?: number;
  /** With limit: a random subset (fixed seed RANDOM_SUBSET_SEED) instead of the first N. */
  randomSubset?: boolean;
  batch?: number;
  maxSeqLength?: number;
  /** Cloze: 'multi' forces token-by-token scoring; includeEop false = hub scoring. */
  answerMode?: 'auto' | 'multi';
  includeEop?: boolean;
  lengthPenalty?: number;
  /** Seq2seq decoding. */
  beams?: number;
  maxLength?: number;
  minLength?: number;
  noRepeatNgram?: number;
  srcLen?: number;
  tgtLen?: number;
  onProgress?: Progress;
}

export interface EvalReport {
  task: string;
  split: Split;
  model: string;
  /** How the model was used. */
  mode: FinetuneMode | 'zero-shot-cloze' | 'zero-shot-seq2seq' | 'infill';
  pattern?: string;
  n: number;
  /** accuracy / macroF1 / rouge / bleu by ratio. */
  metrics: Record<string, unknown>;
  seconds: number;
  /** Per-example outputs (not printed by default). */
  outputs: unknown[];
}

/** `glm eval`: evaluates a model folder on a task split. */
export async function runEval(o: EvalRunOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const { model, info, head, prompt } = loadFinetuned(o.model);
  const tok = openTokenizer(o.model, o.tokenizer, model);
  const task = resolveTask(o.task);
  const split = o.split ?? 'test';
  const lim = { ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.randomSubset ? { sampleSeed: RANDOM_SUBSET_SEED } : {}) };
  const tuned: FinetuneInfo | null = o.zeroShot ? null : info;
  if (tuned && !o.zeroShot && tuned.task !== o.task && tuned.task !== task.name) {
    process.stderr.write(`glm eval: note: the model was fine-tuned on ${tuned.task}, evaluating on ${task.name}\n`);
  }
  const base = { task: task.name, split, model: o.model };
  const done = (r: Omit<EvalReport, 'task' | 'split' | 'model' | 'seconds'>): EvalReport => ({ ...base, ...r, seconds: (performance.now() - t0) / 1000 });
  const maxSeqLength = o.maxSeqLength ?? tuned?.maxSeqLength ?? defaultMaxSeqLength(model);
  const prog = o.onProgress ? { onProgress: o.onProgress } : {};

  if (task.kind === 'infill') {
    const ex = loadSplit(task, split, lim);
    const r = await evaluateInfillModel(model, tok, ex, { ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}), ...prog });
    return done({ mode: 'infill', n: ex.length, metrics: { bleu: Object.fromEntries(r.byRatio.map((b) => [String(b.ratio), b.bleu.score])) }, outputs: r.outputs });
  }
  if (task.kind === 'seq2seq') {
    const ex = loadSplit(task, split, lim);
    const s = tuned?.seq2seq;
    const D = SEQ2SEQ_DECODING;
    const lens = defaultSeq2SeqLengths(model);
    const r = await evaluateSummaries(model, tok, ex, {
      srcLen: o.srcLen ?? s?.srcLen ?? lens.srcLen, tgtLen: o.tgtLen ?? s?.tgtLen ?? lens.tgtLen, maskKind: s?.maskKind ?? 'mask',
      numBeams: o.beams ?? s?.numBeams ?? D.numBeams, lengthPenalty: o.lengthPenalty ?? s?.lengthPenalty ?? D.lengthPenalty,
      minLength: o.minLength ?? s?.minLength ?? D.minLength, noRepeatNgram: o.noRepeatNgram ?? s?.noRepeatNgram ?? D.noRepeatNgram,
      ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}), ...(o.batch !== undefined ? { batchSize: o.batch } : {}), ...prog,
    });
    return done({ mode: tuned?.mode === 'seq2seq' ? 'seq2seq' : 'zero-shot-seq2seq', n: ex.length, metrics: { rouge: rougeF(r.rouge) }, outputs: r.outputs });
  }
  const ex = loadSplit(task, split, lim);
  if (tuned?.mode === 'classifier') {
    const r = evaluateClassifierModel(model, head!, tok, task, ex, { maxSeqLength, ...(o.batch !== undefined ? { batchSize: o.batch } : {}), ...prog });
    return done({ mode: 'classifier', n: r.n, metrics: { accuracy: r.accuracy, macroF1: r.macroF1, perLabel: r.perLabel }, outputs: r.predictions });
  }
  const patternId = o.pattern ?? tuned?.pattern;
  const pvp = getPvp(task, patternId);
  const c = tuned?.cloze;
  const r = await evaluateClozeModel(model, tok, task, pvp, ex, {
    maxSeqLength, answerMode: o.answerMode ?? c?.answerMode ?? (task.kind === 'multiple-choice' ? 'multi' : 'auto'),
    includeEop: o.includeEop ?? c?.includeEop ?? true, lengthPenalty: o.lengthPenalty ?? c?.lengthPenalty ?? pvp.lengthPenalty ?? 0,
    ...(prompt && !o.zeroShot ? { prompt } : {}),
    ...(o.batch !== undefined ? { batchSize: o.batch } : {}), ...prog,
  });
  const metrics: Record<string, unknown> = { accuracy: r.accuracy };
  if (r.macroF1 !== undefined) metrics['macroF1'] = r.macroF1;
  if (r.perLabel) metrics['perLabel'] = r.perLabel;
  return done({ mode: tuned?.mode === 'cloze' || tuned?.mode === 'ptuning' ? tuned.mode : 'zero-shot-cloze', pattern: pvp.id, n: r.n, metrics, outputs: r.predictions });
}

/** The F-measures of a ROUGE result, by type. */
export function rougeF(r: Seq2SeqEvalResult['rouge']): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.fmeasure]));
}
