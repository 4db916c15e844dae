/**
 * Model folders: `config.json` + `model.safetensors` in the HF layout (spec §2.6, §2.7).
 *
 * Loading maps the state-dict keys (with or without the hub's `glm.` prefix) onto the model's
 * parameters tensor by tensor, straight into the flat weight buffer (F16/BF16 widened on the
 * way), and refuses anything that does not fit: a missing tensor, a shape that disagrees with
 * config.json, an unexpected tensor. It never falls back to random weights.
 */
import fs from 'node:fs';
import { writeFileStreamAtomic } from './atomic-write.js';
import path from 'node:path';
import { GlmError } from './errors.js';
import { SafetensorsReader, writeSafetensors, type SafetensorsTensorInput } from './safetensors.js';
import { type GLMConfig, configToJSON, parseConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { hasOtherWeights, loadCheckpoint } from './hf.js';
import { resolveModelSync } from '../hub/resolve.js';

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
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GlmError('E_CONFIG', `config.json is not valid JSON: ${(e as Error).message}`, { path: file, cause: e });
  }
  return parseConfig(raw, file);
}

/** The model key for a stored key: strips the hub port's `glm.` prefix. */
export function canonicalKey(key: string): string {
  return key.startsWith('glm.') ? key.slice(4) : key;
}

/** Loads weights from a safetensors file into an existing model. */
export function loadWeights(model: GLMModel, file: string, opts: LoadOptions = {}): LoadReport {
  const reader = SafetensorsReader.open(file);
  try {
    const stored = new Map<string, string>(); // canonical → stored name
    for (const name of reader.names()) {
      const key = canonicalKey(name);
      if (stored.has(key)) throw new GlmError('E_CHECKPOINT_KEYS', `tensor ${key} is stored twice (as ${stored.get(key)} and ${name})`, { path: file });
      stored.set(key, name);
    }
    const missing = model.params.specs.map((s) => s.name).filter((n) => !stored.has(n));
    const unexpected = [...stored.keys()].filter((k) => !model.params.has(k));
    if (missing.length) {
      throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`, {
        path: file,
        details: { missing },
      });
    }
    if (unexpected.length && !opts.allowUnexpected) {
      throw new GlmError('E_CHECKPOINT_UNEXPECTED_TENSOR', `unexpected tensor(s) not used by a ${model.config.num_layers}-layer GLM: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`, {
        path: file,
        details: { unexpected },
      });
    }
    const dtypes: Record<string, number> = {};
    for (const [name, t] of model.params.entries()) {
      const info = reader.info(stored.get(name)!);
      if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
        throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${name} has shape [${info.shape.join(', ')}] but config.json implies [${t.shape.join(', ')}]`, {
          path: file,
          details: { tensor: name, stored: info.shape, expected: t.shape },
        });
      }
      dtypes[info.dtype] = (dtypes[info.dtype] ?? 0) + 1;
      reader.readFloat32(stored.get(name)!, { out: t.f32 });
    }
    return { unexpected, dtypes };
  } finally {
    reader.close();
  }
}

/**
 * Loads `dir` (config.json + model.safetensors; any other layout hf.ts reads is dispatched to
 * loadCheckpoint). A Hub name (OWNER/NAME[@REV]) already in the Hugging Face cache loads from
 * there; to download one, use loadModelAsync (src/hub/load.ts).
 */
export function loadModel(nameOrDir: string, opts: LoadOptions = {}): { model: GLMModel; report: LoadReport } {
  const dir = resolveModelSync(nameOrDir);
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

/** Writes a file through a temporary name, fsync and rename, so a crash leaves the old one intact. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  writeFileStreamAtomic(file, (out) => out.write(typeof content === 'string' ? Buffer.from(content, 'utf8') : content));
}
