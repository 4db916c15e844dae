/**
 * Fine-tuned model folders:
 *   config.json          the GLM config (unchanged)
 *   model.safetensors    the GLM weights, plus the classifier head under the hub's names
 *                        (dense.*, out_proj.*) when the mode is 'classifier'
 *   finetune.json        what the weights were tuned for: task, mode, pattern, labels, head,
 *                        lengths, the epoch and its validation metrics
 *   tokenizer files      copied so the folder is self-contained
 *
 * loadFinetuned() reads any model folder: a plain pretrained one (no finetune.json) or a
 * fine-tuned one, and loads exactly the head tensors finetune.json announces — any other extra
 * tensor is still an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { loadFolder } from '../io/checkpoint.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { SafetensorsReader, readSafetensorsHeader, writeSafetensors, type SafetensorsTensorInput } from '../io/safetensors.js';
import { configToJSON } from '../model/config.js';
import type { GLMModel } from '../model/glm.js';
import { ClassifierHead, HEAD_KEYS, type HeadSpec } from './classifier.js';
import { resolveModelSync } from '../hub/resolve.js';
import { PROMPT_PREFIX, PromptEncoder, type PromptSpec } from './prompt-encoder.js';
import type { ParamStore } from '../model/params.js';

export const FINETUNE_FILE = 'finetune.json';

export type FinetuneMode = 'cloze' | 'classifier' | 'seq2seq' | 'ptuning';

/** Contents of finetune.json. */
export interface FinetuneInfo {
  format: 'glm-ts-finetune';
  version: 1;
  /** Built-in task name, or the task file it was read from. */
  task: string;
  mode: FinetuneMode;
  /** Cloze: the pattern id. */
  pattern?: string;
  /** Classification labels in head / verbalizer order. */
  labels?: readonly string[];
  head?: Required<HeadSpec>;
  maxSeqLength?: number;
  /** Cloze scoring settings used in training. */
  cloze?: { answerMode: 'auto' | 'multi'; includeEop: boolean; lengthPenalty: number; loss: string };
  /** P-tuning: the prompt encoder's shape, and whether the model was frozen while it trained. */
  ptuning?: PromptSpec & { freezeModel: boolean };
  /** Seq2seq lengths and decoding defaults. */
  seq2seq?: { srcLen: number; tgtLen: number; maskKind: 'mask' | 'sMask'; numBeams: number; lengthPenalty: number; minLength: number; noRepeatNgram: number };
  epoch: number;
  score?: number;
  metrics?: Record<string, unknown>;
  baseModel: string;
}

/** Tokenizer files a model folder may hold (copied verbatim). */
const TOKENIZER_FILES = ['glm_tokenizer.json', 'tokenizer_config.json', 'tokenizer.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'cog-pretrain.model', 'spm.model', 'tokenizer-source.json', 'special_tokens_map.json'];

/** Writes the model (and head) into `dir`, with finetune.json and the base model's tokenizer files. */
export function saveFinetuned(dir: string, model: GLMModel, info: FinetuneInfo, head?: ClassifierHead | PromptEncoder): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, SafetensorsTensorInput>();
  for (const [name, t] of model.params.entries()) tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.f32 });
  if (head) for (const [name, t] of head.store.entries()) tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.f32 });
  const meta: Record<string, string> = { format: 'pt', glm_ts_finetune: info.task };
  // Keep the marker `glm infill` uses to pick the original input layout for glm-ts-trained models.
  try {
    const steps = readSafetensorsHeader(path.join(info.baseModel, 'model.safetensors')).metadata['glm_ts_steps'];
    if (steps !== undefined) meta['glm_ts_steps'] = steps;
  } catch {
    // A base model without that file cannot have been loaded; nothing to keep.
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, meta);
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(configToJSON(model.config), null, 2) + '\n');
  writeFileAtomic(path.join(dir, FINETUNE_FILE), JSON.stringify(info, null, 2) + '\n');
  if (path.resolve(info.baseModel) !== path.resolve(dir)) {
    for (const f of TOKENIZER_FILES) {
      const src = path.join(info.baseModel, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
  }
}

/** finetune.json of a folder, or null for a plain model folder. */
export function readFinetuneInfo(dir: string): FinetuneInfo | null {
  const file = path.join(dir, FINETUNE_FILE);
  if (!fs.existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GlmError('E_FINETUNE_INFO', `not valid JSON: ${(e as Error).message}`, { path: file });
  }
  const info = raw as Partial<FinetuneInfo>;
  if (info?.format !== 'glm-ts-finetune' || info.version !== 1) throw new GlmError('E_FINETUNE_INFO', 'expected {"format": "glm-ts-finetune", "version": 1, …}', { path: file });
  if (!['cloze', 'classifier', 'seq2seq', 'ptuning'].includes(info.mode as string)) throw new GlmError('E_FINETUNE_INFO', `mode must be cloze, classifier, seq2seq or ptuning, got ${JSON.stringify(info.mode)}`, { path: file });
  if (info.mode === 'ptuning' && !info.ptuning) throw new GlmError('E_FINETUNE_INFO', 'a ptuning model needs "ptuning" ({spellLength, spellFunc, freezeModel})', { path: file });
  if (info.mode === 'classifier' && (!info.head || !Array.isArray(info.labels))) throw new GlmError('E_FINETUNE_INFO', 'a classifier model needs "head" and "labels"', { path: file });
  return info as FinetuneInfo;
}

export interface LoadedFinetuned {
  model: GLMModel;
  info: FinetuneInfo | null;
  head: ClassifierHead | null;
  /** The P-tuning prompt encoder, when finetune.json announces one. */
  prompt: PromptEncoder | null;
}

/** Reads every tensor of `store` from the model file, checking names and shapes. */
function readStore(file: string, store: ParamStore, what: string): void {
  const reader = SafetensorsReader.open(file);
  try {
    for (const [name, t] of store.entries()) {
      if (!reader.has(name)) throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `finetune.json announces a ${what} but ${name} is missing`, { path: file });
      const shape = reader.info(name).shape;
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
        throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${name} has shape [${shape.join(', ')}] but the ${what} needs [${t.shape.join(', ')}]`, { path: file });
      }
      reader.readFloat32(name, { out: t.f32 });
    }
  } finally {
    reader.close();
  }
}

/** Loads a model folder; the classifier head too when finetune.json says there is one. */
export function loadFinetuned(nameOrDir: string): LoadedFinetuned {
  const dir = resolveModelSync(nameOrDir);
  if (!fs.existsSync(dir)) throw new GlmError('E_CHECKPOINT_MISSING', 'no such model folder', { path: dir });
  const info = readFinetuneInfo(dir);
  const withHead = info?.mode === 'classifier';
  const withPrompt = info?.mode === 'ptuning';
  const file = path.join(dir, 'model.safetensors');
  const { model, report } = loadFolder(dir, { allowUnexpected: withHead || withPrompt });
  if (!withHead && !withPrompt) return { model, info, head: null, prompt: null };
  // Only the announced extra tensors may be there.
  const allowed = (k: string): boolean => (withHead ? (HEAD_KEYS as readonly string[]).includes(k) : k.startsWith(PROMPT_PREFIX));
  const stray = report.unexpected.filter((k) => !allowed(k));
  if (stray.length) throw new GlmError('E_CHECKPOINT_UNEXPECTED_TENSOR', `unexpected tensor(s) besides the ${withHead ? 'classifier head' : 'prompt encoder'}: ${stray.slice(0, 8).join(', ')}`, { path: file });
  if (withPrompt) {
    const prompt = new PromptEncoder(model.config.hidden_size, { spellLength: info!.ptuning!.spellLength, spellFunc: info!.ptuning!.spellFunc });
    readStore(file, prompt.store, 'prompt encoder');
    return { model, info, head: null, prompt };
  }
  const head = new ClassifierHead(model.config.hidden_size, info!.head!);
  readStore(file, head.store, `classifier head (${info!.labels!.length} labels, hidden ${model.config.hidden_size})`);
  return { model, info, head, prompt: null };
}
