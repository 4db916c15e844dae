/**
 * Shared setup of `glm finetune` and `glm eval`: the tokenizer of a model folder, the command
 * tokens, and length defaults that fit the model's position table.
 */
import { GlmError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { hasTokenizerFiles, loadTokenizer } from '../tokenizer/load.js';
import { generationTokens, type GenerationTokens } from '../generate/tokens.js';
import type { Split, Task } from '../tasks/types.js';

/** The tokenizer given (object, name or folder), else the one in the model folder. */
export function openTokenizer(modelDir: string, tokenizer: string | GlmTokenizer | undefined, model: GLMModel): GlmTokenizer {
  let tok: GlmTokenizer;
  if (tokenizer && typeof tokenizer !== 'string') tok = tokenizer;
  else {
    if (!tokenizer && !hasTokenizerFiles(modelDir)) throw new GlmError('E_CLI_OPTION', 'the model folder has no tokenizer files; pass --tokenizer NAME|DIR', { path: modelDir });
    tok = loadTokenizer(tokenizer ?? modelDir);
  }
  if (tok.paddedVocabSize > model.config.vocab_size) {
    throw new GlmError('E_CLI_OPTION', `the tokenizer has ${tok.paddedVocabSize} ids but the model's vocab_size is ${model.config.vocab_size}`);
  }
  return tok;
}

export function tokensOf(tok: GlmTokenizer): GenerationTokens {
  return generationTokens(tok.special);
}

/** Cloze / classifier inputs: GLM's 256, capped by the position table. */
export function defaultMaxSeqLength(model: GLMModel): number {
  return Math.min(256, model.config.max_sequence_length);
}

/** Seq2seq lengths: source ≤ 128 and target ≤ 32 tokens, capped by the position table. */
export function defaultSeq2SeqLengths(model: GLMModel): { srcLen: number; tgtLen: number } {
  const P = model.config.max_sequence_length;
  return { srcLen: Math.min(128, P), tgtLen: Math.min(32, P - 1) };
}

/** The examples of a split, with a clear error when the task has no such split. */
/**
 * A task split, optionally cut to `limit` examples: the first ones, or with `sampleSeed` a seeded
 * random subset (kept in split order), for splits whose order groups the labels (spam is all ham
 * first).
 */
export function loadSplit<T extends Task>(task: T, split: Split, opts: { dataDir?: string; limit?: number; sampleSeed?: number }): ReturnType<T['load']> {
  if (!task.splits.includes(split)) throw new GlmError('E_TASK_SPLIT', `task ${task.name} has no ${split} split (splits: ${task.splits.join(', ')})`);
  const lo: { dataDir?: string; limit?: number } = {};
  if (opts.dataDir !== undefined) lo.dataDir = opts.dataDir;
  const sample = opts.sampleSeed !== undefined && opts.limit !== undefined;
  if (opts.limit !== undefined && !sample) lo.limit = opts.limit;
  let out = task.load(split, lo) as unknown[];
  if (sample && out.length > opts.limit!) {
    const rng = new Rng(opts.sampleSeed!);
    const idx = out.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const keep = idx.slice(0, opts.limit!).sort((x, y) => x - y);
    out = keep.map((i) => out[i]);
  }
  if (out.length === 0) throw new GlmError('E_TASK_EMPTY', `task ${task.name} has no examples in its ${split} split`);
  return out as ReturnType<T['load']>;
}

/** Checks that encoded seq2seq sources fit (they are already cut to srcLen; this guards positions). */
export function checkSeq2SeqLengths(model: GLMModel, srcLen: number, tgtLen: number): void {
  const P = model.config.max_sequence_length;
  if (srcLen > P + 1) throw new GlmError('E_FINETUNE_OPTION', `source length ${srcLen} needs positions up to ${srcLen - 1}, beyond the model's max_sequence_length ${P}`);
  if (tgtLen > P) throw new GlmError('E_FINETUNE_OPTION', `target length ${tgtLen} needs block positions up to ${tgtLen}, beyond the model's max_sequence_length ${P}`);
}
