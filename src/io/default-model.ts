/**
 * The shipped English GLM (models/glm-en-small in the package): what `glm infill | score | eval |
 * finetune | serve` and `loadModel()` use when no model is named. A missing or incomplete folder
 * is a named error, never a silent fallback to random weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { repoRoot } from '../util/repo-root.js';

export const DEFAULT_MODEL_NAME = 'glm-en-small';

/** Where the shipped model lives (whether or not it is there); GLM_DEFAULT_MODEL overrides it. */
export function defaultModelPath(): string {
  return process.env['GLM_DEFAULT_MODEL'] || path.join(repoRoot(), 'models', DEFAULT_MODEL_NAME);
}

/** The shipped model's folder, checked to hold config, weights and tokenizer. */
export function defaultModelDir(): string {
  const dir = defaultModelPath();
  const missing = ['config.json', 'model.safetensors', 'glm_tokenizer.json'].filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) {
    throw new GlmError('E_DEFAULT_MODEL_MISSING', `no model was named and the shipped model is incomplete (missing ${missing.join(', ')}); pass --model DIR, or restore models/${DEFAULT_MODEL_NAME} from the repository${process.env['GLM_DEFAULT_MODEL'] ? ' (or fix GLM_DEFAULT_MODEL)' : ''}`, { path: dir });
  }
  return dir;
}
