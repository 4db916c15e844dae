/**
 * `glm finetune` end to end: model folder + task → encoded training set → the mode's loss
 * (cloze, classifier head or seq2seq) → the shared loop (./trainer.ts) with per-epoch validation
 * → the best epoch saved as a model folder (./model-dir.ts) with train-log.json beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { crossEntropy } from '../tensor/ops/nn.js';
import {
  encodeClassifier, encodeCloze, encodeSeq2Seq, getPvp,
  type ClozeTask, type EncodedClassifier, type EncodedCloze, type EncodedSeq2Seq, type Seq2SeqExample, type Task, type TaskExample,
} from '../tasks/index.js';
import { clozeLoss } from './cloze.js';
import { ClassifierHead, classifierLoss, type HeadVariant, type PoolToken } from './classifier.js';
import { SEQ2SEQ_DECODING, SEQ2SEQ_LABEL_SMOOTHING, seq2seqBatch } from './seq2seq.js';
import { runFinetuneLoop, type FinetuneJob, type LoopResult } from './loop.js';
import { loadFinetuned, saveFinetuned, type FinetuneInfo, type FinetuneMode } from './model-dir.js';
import { evaluateClassifierModel, evaluateClozeModel, evaluateSummaries, rougeF } from './evaluate.js';
import { checkSeq2SeqLengths, defaultMaxSeqLength, defaultSeq2SeqLengths, loadSplit, openTokenizer, tokensOf } from './setup.js';
import { resolveTask } from './task-file.js';
import type { ChoiceLoss } from '../tensor/ops/scoring.js';
import { PromptEncoder, type SpellFunc } from './prompt-encoder.js';
import type { GLMModel } from '../model/glm.js';

/** The prompt encoder of a P-tuning run: options, then the config's spell_* fields, then defaults. */
function makePromptEncoder(model: GLMModel, train: readonly EncodedCloze[], o: FinetuneRunOptions, seed: number): PromptEncoder {
  const extra = model.config.extra ?? {};
  const cfgLen = typeof extra['spell_length'] === 'number' ? extra['spell_length'] : undefined;
  const cfgFunc = typeof extra['spell_func'] === 'string' ? (extra['spell_func'] as SpellFunc) : undefined;
  const needed = Math.max(0, ...train.map((e) => e.promptPositions.length));
  if (needed === 0 && o.spellLength === undefined) throw new GlmError('E_PTUNING_NO_PROMPT', 'the pattern has no fixed prompt tokens to replace; pick another --pattern');
  const spellLength = o.spellLength ?? cfgLen ?? needed;
  return new PromptEncoder(model.config.hidden_size, { spellLength, spellFunc: o.spellFunc ?? cfgFunc ?? 'lstm' }).initialize(model.config.initializer_range, seed);
}

export interface FinetuneRunOptions {
  /** Model folder to start from (a `glm pretrain` model, or a fine-tuned one). */
  model: string;
  /** Built-in task name or task file. */
  task: string;
  /** Default: cloze for classification / multiple choice, seq2seq for seq2seq tasks. */
  mode?: FinetuneMode;
  /** Cloze pattern id (default: the task's). */
  pattern?: string;
  tokenizer?: string | GlmTokenizer;
  /** SuperGLUE: folder of the jsonl files. */
  dataDir?: string;
  /** Output model folder (the best epoch). */
  out: string;
  /** Default 3. */
  epochs?: number;
  /** Default 16. */
  batch?: number;
  /** Default 1e-5 (cloze, classifier) or 3e-5 (seq2seq): GLM's values for its large models. */
  lr?: number;
  /** Default 0.1 (cloze, classifier) or 0.06 (seq2seq). */
  warmup?: number;
  /** Default 0.1. */
  weightDecay?: number;
  /** Default 1. */
  clip?: number;
  /** Default 1234. */
  seed?: number;
  maxSeqLength?: number;
  /** Use only the first N training / validation examples. */
  limitTrain?: number;
  limitEval?: number;
  /** With limitTrain / limitEval: a random subset (seeded by `seed`) instead of the first N. */
  randomSubset?: boolean;
  /** Stop after this many optimizer steps. */
  maxSteps?: number;
  /** Skip the per-epoch validation (the last epoch is saved). */
  noEval?: boolean;
  // cloze
  loss?: ChoiceLoss;
  lengthPenalty?: number;
  answerMode?: 'auto' | 'multi';
  includeEop?: boolean;
  // classifier head
  head?: HeadVariant;
  pool?: PoolToken;
  headDropout?: number;
  // seq2seq
  srcLen?: number;
  tgtLen?: number;
  beams?: number;
  /** Seq2seq validation: fewest generated tokens. */
  minLength?: number;
  noRepeatNgram?: number;
  maskKind?: 'mask' | 'sMask';
  // P-tuning (mode 'ptuning')
  /** Prompt embeddings (default: the config's spell_length, else the pattern's prompt-token count). */
  spellLength?: number;
  /** Default: the config's spell_func, else 'lstm'. */
  spellFunc?: SpellFunc;
  /** Train only the prompt encoder; the model's weights stay as they are. */
  freezeModel?: boolean;
  progress?: boolean;
  log?: (msg: string) => void;
}

export interface FinetuneRunResult {
  task: string;
  mode: FinetuneMode;
  pattern?: string;
  out: string;
  trainExamples: number;
  validationExamples: number;
  loop: LoopResult;
}

const DEFAULT_LR: Record<FinetuneMode, number> = { cloze: 1e-5, classifier: 1e-5, seq2seq: 3e-5, ptuning: 1e-5 };
const DEFAULT_WARMUP: Record<FinetuneMode, number> = { cloze: 0.1, classifier: 0.1, seq2seq: 0.06, ptuning: 0.1 };

/** How finetune.json names the task: the built-in name, or the task file's absolute path. */
function taskRef(t: string): string {
  return fs.existsSync(t) ? path.resolve(t) : t;
}

function modeFor(task: Task, mode: FinetuneMode | undefined): FinetuneMode {
  if (task.kind === 'infill') throw new GlmError('E_TASK_KIND', `task ${task.name} is an evaluation-only infilling set; use glm eval`);
  if (task.kind === 'seq2seq') {
    if (mode && mode !== 'seq2seq') throw new GlmError('E_FINETUNE_OPTION', `task ${task.name} is seq2seq; --mode ${mode} does not apply`);
    return 'seq2seq';
  }
  if (mode === 'seq2seq') throw new GlmError('E_FINETUNE_OPTION', `task ${task.name} is ${task.kind}; use --mode cloze, classifier or ptuning`);
  if (mode === 'classifier' && !task.classifierInput) throw new GlmError('E_FINETUNE_OPTION', `task ${task.name} is multiple choice: it has no classifier input, use --mode cloze`);
  return mode ?? 'cloze';
}

export async function runFinetune(o: FinetuneRunOptions): Promise<FinetuneRunResult> {
  const log = o.log ?? ((m: string): void => void process.stderr.write(m + '\n'));
  const task = resolveTask(o.task);
  const mode = modeFor(task, o.mode);
  if (mode !== 'ptuning') {
    if (o.freezeModel) throw new GlmError('E_FINETUNE_OPTION', '--freeze-model needs --mode ptuning');
    if (o.spellLength !== undefined || o.spellFunc !== undefined) throw new GlmError('E_FINETUNE_OPTION', '--spell-length and --spell-func need --mode ptuning');
  }
  const data = { ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}) };
  const hasValid = !o.noEval && task.splits.includes('validation');
  // Read (and validate) the task's files before the model, so bad data fails fast.
  const evalLimit = o.limitEval ?? (mode === 'seq2seq' ? 100 : undefined);
  const sample = o.randomSubset ? { sampleSeed: o.seed ?? 1234 } : {};
  const rawTrain = loadSplit(task, 'train', { ...data, ...sample, ...(o.limitTrain !== undefined ? { limit: o.limitTrain } : {}) });
  const rawValid = hasValid ? loadSplit(task, 'validation', { ...data, ...sample, ...(evalLimit !== undefined ? { limit: evalLimit } : {}) }) : [];
  const { model } = loadFinetuned(o.model);
  const tok = openTokenizer(o.model, o.tokenizer, model);
  const tokens = tokensOf(tok);
  const base: Omit<FinetuneInfo, 'mode' | 'epoch'> = { format: 'glm-ts-finetune', version: 1, task: taskRef(o.task), baseModel: o.model };
  const loopOpts = {
    epochs: o.epochs ?? 3, batchSize: o.batch ?? 16, lr: o.lr ?? DEFAULT_LR[mode], warmup: o.warmup ?? DEFAULT_WARMUP[mode],
    weightDecay: o.weightDecay ?? 0.1, clip: o.clip ?? 1, seed: o.seed ?? 1234, bestDir: o.out, progress: o.progress ?? true, log,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
  };
  log(`fine-tuning ${o.model} on ${task.name} (${mode}): ${model.config.num_layers} layers, hidden ${model.config.hidden_size}; lr ${loopOpts.lr}, ${loopOpts.epochs} epoch(s), batch ${loopOpts.batchSize}`);

  let job: FinetuneJob<unknown>;
  let trainN = 0, validN = 0, patternId: string | undefined;
  if (mode === 'seq2seq') {
    const lens = defaultSeq2SeqLengths(model);
    const srcLen = o.srcLen ?? lens.srcLen, tgtLen = o.tgtLen ?? lens.tgtLen;
    checkSeq2SeqLengths(model, srcLen, tgtLen);
    const maskKind = o.maskKind ?? 'mask';
    const enc = (ex: Parameters<typeof encodeSeq2Seq>[0]): EncodedSeq2Seq => encodeSeq2Seq(ex, tok, { srcLen, tgtLen, maskKind });
    const train = (rawTrain as Seq2SeqExample[]).map(enc);
    const valid = rawValid as Seq2SeqExample[];
    trainN = train.length;
    validN = valid.length;
    const D = SEQ2SEQ_DECODING;
    const dec = { numBeams: o.beams ?? D.numBeams, lengthPenalty: o.lengthPenalty ?? D.lengthPenalty, minLength: o.minLength ?? D.minLength, noRepeatNgram: o.noRepeatNgram ?? D.noRepeatNgram };
    const info = (epoch: number, score?: number, metrics?: Record<string, unknown>): FinetuneInfo => ({
      ...base, mode, epoch, seq2seq: { srcLen, tgtLen, maskKind, ...dec }, ...(score !== undefined ? { score } : {}), ...(metrics ? { metrics } : {}),
    });
    job = {
      train, stores: [model.params],
      tokensOf: (e) => (e as EncodedSeq2Seq).sourceLength + (e as EncodedSeq2Seq).target.length,
      loss: (b) => {
        const batch = seq2seqBatch(b as EncodedSeq2Seq[], tokens);
        const { logits } = model.forward(batch.input, { train: true });
        return crossEntropy(logits, batch.targets, batch.lossMask, SEQ2SEQ_LABEL_SMOOTHING);
      },
      ...(valid.length ? {
        evaluate: async () => {
          const r = await evaluateSummaries(model, tok, valid, { srcLen, tgtLen, maskKind, ...dec });
          const f = rougeF(r.rouge);
          // Model selection: mean of ROUGE-1, ROUGE-2 and ROUGE-L F1.
          return { score: ((f['rouge1'] ?? 0) + (f['rouge2'] ?? 0) + (f['rougeL'] ?? 0)) / 3, metrics: { rouge: f } };
        },
      } : {}),
      save: (dir, i) => saveFinetuned(dir, model, info(i.epoch, i.score, i.metrics)),
    };
  } else {
    const t = task as ClozeTask;
    const maxSeqLength = o.maxSeqLength ?? defaultMaxSeqLength(model);
    const trainEx = rawTrain as TaskExample[];
    const validEx = rawValid as TaskExample[];
    validN = validEx.length;
    if (mode === 'classifier') {
      const labels = t.labels!;
      const head = new ClassifierHead(model.config.hidden_size, { variant: o.head ?? 'orig', pool: o.pool ?? 'cls', numLabels: labels.length, ...(o.headDropout !== undefined ? { dropout: o.headDropout } : {}) });
      head.initialize(model.config.initializer_range, loopOpts.seed);
      const train = trainEx.filter((e) => e.label !== undefined).map((e) => encodeClassifier(t.classifierInput!(e), labels.indexOf(e.label!), tok, maxSeqLength));
      trainN = train.length;
      const info = (epoch: number, score?: number, metrics?: Record<string, unknown>): FinetuneInfo => ({
        ...base, mode, epoch, labels, head: head.spec, maxSeqLength, ...(score !== undefined ? { score } : {}), ...(metrics ? { metrics } : {}),
      });
      job = {
        train, stores: [model.params, head.store],
        tokensOf: (e) => (e as EncodedClassifier).tokens.length,
        loss: (b) => classifierLoss(model, head, b as EncodedClassifier[], tokens, true),
        ...(validEx.length ? {
          evaluate: async () => {
            const r = evaluateClassifierModel(model, head, tok, t, validEx, { maxSeqLength });
            return { score: r.accuracy, metrics: { accuracy: r.accuracy, macroF1: r.macroF1 } };
          },
        } : {}),
        save: (dir, i) => saveFinetuned(dir, model, info(i.epoch, i.score, i.metrics), head),
      };
    } else {
      const pvp = getPvp(t, o.pattern);
      patternId = pvp.id;
      const answerMode = o.answerMode ?? (t.kind === 'multiple-choice' ? 'multi' : 'auto');
      const scoring = { answerMode, includeEop: o.includeEop ?? true, lengthPenalty: o.lengthPenalty ?? pvp.lengthPenalty ?? 0 };
      const loss = o.loss ?? pvp.loss ?? 'cross_entropy';
      const train = trainEx.map((e) => encodeCloze(pvp, e, tok, { maxSeqLength, answerMode })).filter((e) => e.gold !== undefined);
      trainN = train.length;
      log(`pattern ${pvp.id}: ${pvp.description} (${train.some((e) => !e.singleToken) || answerMode === 'multi' ? 'multi-token scoring' : 'single-token scoring'})`);
      const prompt = mode === 'ptuning' ? makePromptEncoder(model, train, o, loopOpts.seed) : undefined;
      const freeze = prompt !== undefined && o.freezeModel === true;
      if (freeze) for (const [, p] of model.params.entries()) p.requiresGrad = false;
      if (prompt) log(`prompt encoder: ${prompt.spec.spellFunc}, ${prompt.spec.spellLength} prompt embeddings, ${prompt.store.size} parameters${freeze ? '; model frozen' : ''}`);
      const info = (epoch: number, score?: number, metrics?: Record<string, unknown>): FinetuneInfo => ({
        ...base, mode, epoch, pattern: pvp.id, maxSeqLength, cloze: { ...scoring, loss }, ...(t.labels ? { labels: t.labels } : {}),
        ...(prompt ? { ptuning: { ...prompt.spec, freezeModel: freeze } } : {}),
        ...(score !== undefined ? { score } : {}), ...(metrics ? { metrics } : {}),
      });
      const scoringP = { ...scoring, ...(prompt ? { prompt } : {}) };
      job = {
        train, stores: freeze ? [prompt!.store] : prompt ? [model.params, prompt.store] : [model.params],
        tokensOf: (e) => (e as EncodedCloze).tokens.length + (e as EncodedCloze).answers.reduce((n, a) => n + a.length + 1, 0),
        loss: (b) => clozeLoss(model, b as EncodedCloze[], tokens, { ...scoringP, loss, train: true }),
        ...(validEx.length ? {
          evaluate: async () => {
            const r = await evaluateClozeModel(model, tok, t, pvp, validEx, { ...scoringP, maxSeqLength });
            return { score: r.accuracy, metrics: { accuracy: r.accuracy, ...(r.macroF1 !== undefined ? { macroF1: r.macroF1 } : {}) } };
          },
        } : {}),
        save: (dir, i) => saveFinetuned(dir, model, info(i.epoch, i.score, i.metrics), prompt),
      };
    }
  }
  log(`${trainN} training examples${validN ? `, ${validN} validation examples` : ', no validation'}`);
  const loop = await runFinetuneLoop(job, loopOpts);
  const result: FinetuneRunResult = { task: task.name, mode, out: o.out, trainExamples: trainN, validationExamples: validN, loop, ...(patternId !== undefined ? { pattern: patternId } : {}) };
  writeFileAtomic(path.join(o.out, 'train-log.json'), JSON.stringify({ ...result, options: { ...o, tokenizer: typeof o.tokenizer === 'string' ? o.tokenizer : undefined, log: undefined } }, null, 2) + '\n');
  return result;
}
