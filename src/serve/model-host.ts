/**
 * The model a server holds: weights (a plain or fine-tuned model folder, loaded once), its
 * tokenizer, the Part A layout and the generation tokens.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer, InputLayout } from '../tokenizer/types.js';
import { generationTokens, type GenerationTokens } from '../generate/tokens.js';
import { loadFinetuned, type FinetuneInfo } from '../finetune/model-dir.js';
import type { PromptEncoder } from '../finetune/prompt-encoder.js';
import type { ClassifierHead } from '../finetune/classifier.js';
import { openTokenizer } from '../finetune/setup.js';

export interface ServedModel {
  dir: string;
  /** The folder's name, reported by /health and the completions API. */
  name: string;
  model: GLMModel;
  tokenizer: GlmTokenizer;
  tokens: GenerationTokens;
  layout: InputLayout;
  /** finetune.json of a fine-tuned folder, else null. */
  info: FinetuneInfo | null;
  head: ClassifierHead | null;
  /** The P-tuning prompt encoder of a `--mode ptuning` folder, else null. */
  prompt: PromptEncoder | null;
}

/** 'original' for models written by `glm pretrain` (the `glm infill` rule), else the tokenizer's default. */
function layoutOf(dir: string, tok: GlmTokenizer): InputLayout {
  try {
    if (readSafetensorsHeader(path.join(dir, 'model.safetensors')).metadata['glm_ts_steps'] !== undefined) return 'original';
  } catch {
    // loadFinetuned has already read the file; a header it accepted is readable.
  }
  return tok.defaultLayout ?? 'original';
}

export function openServedModel(dir: string, tokenizer?: string): ServedModel {
  const { model, info, head, prompt } = loadFinetuned(dir);
  const tok = openTokenizer(dir, tokenizer, model);
  return { dir, name: path.basename(path.resolve(dir)), model, tokenizer: tok, tokens: generationTokens(tok.special), layout: layoutOf(dir, tok), info, head, prompt };
}

