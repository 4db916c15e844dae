/**
 * Model folders: `config.json` + `model.safetensors` in the HF layout (spec §2.6, §2.7).
 *
 * Loading (hf.ts's loadWeightsFrom, the one weight loader) maps the state-dict keys (with or
 * without the hub's `glm.` prefix) onto the model's parameters tensor by tensor, straight into the flat weight buffer (F16/BF16 widened on the
 * way), and refuses anything that does not fit: a missing tensor, a shape that disagrees with
 * config.json, an unexpected tensor. It never falls back to random weights.
 */
import { defaultModelDir } from './default-model.js';
import fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { writeSafetensors, type SafetensorsTensorInput } from './safetensors.js';
import { SafetensorsSource } from './tensor-source.js';
import { type GLMConfig, configToJSON } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { hasOtherWeights, loadCheckpoint, loadWeightsFrom, readConfigFile } from './hf.js';

export interface LoadOptions {
  /** Tensors present in the file but not in the model are an error unless this is set. */
  allowUnexpected?: boolean;
}

export interface LoadReport {
  /** Tensors in the file that the model does not use (only with allowUnexpected). */
  unexpected: string[];
  /** Stored dtypes seen, e.g. { F32: 29 }. */
  dtypes: Record<string, number>;
}

export function readConfig(dir: string): GLMConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new GlmError('E_CHECKPOINT_MISSING', `no config.json in ${dir}`, { path: dir });
  return readConfigFile(file);
}

/**
 * Loads weights from a safetensors file into an existing model. Strict: every stored tensor must
 * be a model parameter (task-head tensors too) unless allowUnexpected.
 */
export function loadWeights(model: GLMModel, file: string, opts: LoadOptions = {}): LoadReport {
  const src = new SafetensorsSource(file);
  try {
    return loadWeightsFrom(model, src, { ...opts, knownExtras: false });
  } finally {
    src.close();
  }
}

/**
 * Loads the folder `dir` (config.json + model.safetensors; any other layout hf.ts reads is
 * dispatched to loadCheckpoint); with no folder, the shipped English GLM (models/glm-en-small).
 * Hub names are resolved one layer up (src/hub/load.ts: the library's loadModel and loadModelAsync).
 */
export function loadFolder(dir: string = defaultModelDir(), opts: LoadOptions = {}): { model: GLMModel; report: LoadReport } {
  const file = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(file) && hasOtherWeights(dir)) {
    // Other layouts (pytorch_model.bin, sharded *.index.json, mp_rank_00_model_states.pt): hf.ts.
    const { model, report } = loadCheckpoint(dir, opts);
    return { model, report: { unexpected: report.unexpected, dtypes: report.dtypes } };
  }
  const config = readConfig(dir);
  if (!fs.existsSync(file)) throw new GlmError('E_CHECKPOINT_MISSING', `no model.safetensors in ${dir}`, { path: dir });
  const model = new GLMModel(config);
  const report = loadWeights(model, file, opts);
  return { model, report };
}

/** Writes `dir` with config.json and model.safetensors (F32, original key names), atomically per file. */
export function saveModel(model: GLMModel, dir: string, metadata: Record<string, string> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, SafetensorsTensorInput>();
  for (const [name, t] of model.params.entries()) tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.f32 });
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt', ...metadata });
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(configToJSON(model.config), null, 2) + '\n');
}
