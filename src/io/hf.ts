/**
 * Loading GLM checkpoints in every layout users bring (spec §2.6, §2.7):
 *  - HF-layout folders: config.json + model.safetensors | pytorch_model.bin | a sharded
 *    model.safetensors.index.json / pytorch_model.bin.index.json;
 *  - the original Megatron/DeepSpeed `mp_rank_00_model_states.pt` (weights under "module"; the
 *    file, its folder, or a release folder with latest_checkpointed_iteration.txt), whose config is
 *    inferred from the tensor shapes and the saved `args` (original checkpoints default to the tanh
 *    GELU of [orig]).
 * Weights stream tensor by tensor straight into the model's flat float32 buffer (F16/BF16/F64
 * converted on the way); keys with the hub's `glm.` or DDP's `module.` prefix are accepted; missing
 * and unexpected tensors are reported by name; random weights are used only when asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { SafetensorsSource, ShardedSource, TorchSource, type TensorSource } from './tensor-source.js';
import { MEGATRON_INERT_GLOBALS } from './torch.js';
import { PyInert, type PyValue } from './pickle.js';
import { parseConfig, type GLMConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';

export type CheckpointFormat = 'safetensors' | 'pytorch' | 'sharded-safetensors' | 'sharded-pytorch' | 'megatron';

export interface CheckpointLocation {
  format: CheckpointFormat;
  /** The weights file (or index file). */
  file: string;
  /** config.json, when there is one. */
  configFile: string | undefined;
}

/** Tensor-name prefixes of fine-tuning heads that a base GLMModel does not use (spec §2.6, issue #178). */
export const KNOWN_EXTRA_PREFIXES = ['dense.', 'out_proj.', 'pool_layer.', 'multichoice_head.', 'prompt_spell.', 'classifier.'];

export interface LoadCheckpointOptions {
  /** Unknown tensors (not a GLM weight, not a known fine-tuning head) are an error unless this is set. */
  allowUnexpected?: boolean;
  /** Fields that override (or, for mp_rank files, complete) config.json. */
  config?: Partial<GLMConfig>;
  /** Extra pickle globals to record as inert data (never called), e.g. classes of a DeepSpeed version. */
  inertGlobals?: readonly string[];
  /** glm-10b-chinese hub conversion: copy embedding row `from` to `to` (50007 → 50009, spec §2.6, §8.8). */
  copyEmbeddingRow?: { from: number; to: number };
}

export interface CheckpointReport {
  format: CheckpointFormat;
  files: string[];
  /** Stored dtypes seen, e.g. { F16: 290 }. */
  dtypes: Record<string, number>;
  /** Stored tensors not used by the model (known heads always, others only with allowUnexpected). */
  unexpected: string[];
  /** Config fields inferred rather than read (mp_rank files). */
  inferred: string[];
  /** Total bytes of the weight files. */
  bytes: number;
}

function exists(f: string): boolean {
  return fs.existsSync(f);
}

/** Finds the weights in a folder or file, in the order config-folder formats are preferred. */
export function locateCheckpoint(p: string): CheckpointLocation {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new GlmError('E_CHECKPOINT_MISSING', 'no such checkpoint file or folder', { path: p, cause: e });
  }
  if (st.isFile()) {
    const dir = path.dirname(p);
    const cfg = exists(path.join(dir, 'config.json')) ? path.join(dir, 'config.json') : undefined;
    const base = path.basename(p);
    if (base.endsWith('.index.json')) return { format: base.includes('safetensors') ? 'sharded-safetensors' : 'sharded-pytorch', file: p, configFile: cfg };
    if (base.endsWith('.safetensors')) return { format: 'safetensors', file: p, configFile: cfg };
    if (/^mp_rank_\d+_model_states\.pt$/.test(base)) return megatronFile(p);
    return { format: cfg ? 'pytorch' : 'megatron', file: p, configFile: cfg };
  }
  const cfg = exists(path.join(p, 'config.json')) ? path.join(p, 'config.json') : undefined;
  const candidates: [string, CheckpointFormat][] = [
    ['model.safetensors', 'safetensors'],
    ['model.safetensors.index.json', 'sharded-safetensors'],
    ['pytorch_model.bin', 'pytorch'],
    ['pytorch_model.bin.index.json', 'sharded-pytorch'],
  ];
  for (const [f, format] of candidates) if (exists(path.join(p, f))) return { format, file: path.join(p, f), configFile: cfg };
  if (exists(path.join(p, 'mp_rank_00_model_states.pt'))) return megatronFile(path.join(p, 'mp_rank_00_model_states.pt'));
  const latest = ['latest_checkpointed_iteration.txt', 'latest'].map((f) => path.join(p, f)).find(exists);
  if (latest) {
    const it = fs.readFileSync(latest, 'utf8').trim();
    const f = path.join(p, it, 'mp_rank_00_model_states.pt');
    if (!exists(f)) throw new GlmError('E_CHECKPOINT_MISSING', `${path.basename(latest)} names iteration ${JSON.stringify(it)} but ${f} does not exist`, { path: p });
    return megatronFile(f);
  }
  throw new GlmError('E_CHECKPOINT_MISSING', 'no weights found: expected model.safetensors, pytorch_model.bin, a *.index.json, or mp_rank_00_model_states.pt', { path: p });
}

/** True when `dir` holds weights in a layout other than model.safetensors (bin, index, mp_rank files). */
export function hasOtherWeights(dir: string): boolean {
  try {
    return locateCheckpoint(dir).format !== 'safetensors';
  } catch {
    return false;
  }
}

function megatronFile(file: string): CheckpointLocation {
  const dir = path.dirname(file);
  if (exists(path.join(dir, 'mp_rank_01_model_states.pt'))) {
    throw new GlmError('E_CHECKPOINT_MP', 'this is a model-parallel checkpoint (mp_rank_01 exists): merge it to one partition first (the original change_mp.py)', { path: dir });
  }
  return { format: 'megatron', file, configFile: exists(path.join(dir, 'config.json')) ? path.join(dir, 'config.json') : undefined };
}

/** Opens the weights of a located checkpoint. */
export function openTensorSource(loc: CheckpointLocation, opts: { inertGlobals?: readonly string[] } = {}): TensorSource {
  const inert = [...(loc.format === 'megatron' ? MEGATRON_INERT_GLOBALS : []), ...(opts.inertGlobals ?? [])];
  const torch = (f: string): TensorSource => new TorchSource(f, { inertGlobals: inert });
  switch (loc.format) {
    case 'safetensors':
      return new SafetensorsSource(loc.file);
    case 'sharded-safetensors':
      return new ShardedSource(loc.file, (f) => new SafetensorsSource(f));
    case 'sharded-pytorch':
      return new ShardedSource(loc.file, torch);
    case 'pytorch':
    case 'megatron':
      return torch(loc.file);
  }
}

/** The model key of a stored key: strips the hub's `glm.` (spec §0.2 #11) and DDP's `module.` prefixes. */
export function modelKey(key: string): string {
  let k = key;
  if (k.startsWith('module.')) k = k.slice(7);
  if (k.startsWith('glm.')) k = k.slice(4);
  return k;
}

function argsOf(src: TensorSource): Record<string, unknown> {
  if (!(src instanceof TorchSource)) return {};
  const root = src.checkpoint.root;
  const args = root instanceof Map ? root.get('args') : undefined;
  const state = args instanceof PyInert ? args.state : undefined;
  const out: Record<string, unknown> = {};
  if (state instanceof Map) for (const [k, v] of state as Map<PyValue, PyValue>) if (typeof k === 'string' && (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')) out[k] = v;
  return out;
}

/**
 * A config from the tensor shapes (mp_rank files have no config.json): layers, hidden size,
 * vocabulary and position-table sizes are exact; the head count comes from the saved args when
 * present, else from head size 64 (true of every released GLM), and is reported as inferred.
 */
export function inferConfig(src: TensorSource, overrides: Partial<GLMConfig> = {}): { config: GLMConfig; inferred: string[] } {
  const byKey = new Map(src.names().map((n) => [modelKey(n), n] as const));
  const shape = (k: string): number[] => {
    const n = byKey.get(k);
    if (!n) throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `cannot infer the model size: no ${k} in the checkpoint`, { path: src.path });
    return src.info(n).shape;
  };
  const [V, h] = shape('word_embeddings.weight') as [number, number];
  const P = shape('transformer.position_embeddings.weight')[0]! - 1;
  let L = 0;
  for (const k of byKey.keys()) {
    const m = /^transformer\.layers\.(\d+)\./.exec(k);
    if (m) L = Math.max(L, Number(m[1]) + 1);
  }
  const args = argsOf(src);
  const inferred: string[] = [];
  let heads = overrides.num_attention_heads ?? (typeof args['num_attention_heads'] === 'number' ? args['num_attention_heads'] : undefined);
  if (heads === undefined) {
    heads = Math.max(1, Math.round(h / 64));
    inferred.push(`num_attention_heads=${heads} (head size 64; pass config.num_attention_heads to override)`);
  }
  const raw: Record<string, unknown> = {
    num_layers: L, vocab_size: V, hidden_size: h, num_attention_heads: heads, max_sequence_length: P,
    block_position_encoding: byKey.has('transformer.block_position_embeddings.weight'),
    gelu: 'tanh', // the original code's GELU (spec §0.2 #1)
    ...overrides,
  };
  if (overrides.gelu === undefined) inferred.push('gelu=tanh (original checkpoints use the tanh approximation)');
  return { config: parseConfig(raw, src.path), inferred };
}

/**
 * Streams every model parameter from `src` into `model` (see module doc). Stored tensors the
 * model does not use are an error unless allowUnexpected, except (with knownExtras, the default)
 * those of the task heads in KNOWN_EXTRA_PREFIXES.
 */
export function loadWeightsFrom(model: GLMModel, src: TensorSource, opts: LoadCheckpointOptions & { knownExtras?: boolean } = {}): { dtypes: Record<string, number>; unexpected: string[] } {
  const stored = new Map<string, string>();
  for (const name of src.names()) {
    const k = modelKey(name);
    if (stored.has(k)) throw new GlmError('E_CHECKPOINT_KEYS', `tensor ${k} is stored twice (as ${stored.get(k)} and ${name})`, { path: src.path });
    stored.set(k, name);
  }
  const missing = model.params.specs.map((s) => s.name).filter((n) => !stored.has(n));
  if (missing.length) {
    throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`, { path: src.path, details: { missing } });
  }
  const unexpected = [...stored.keys()].filter((k) => !model.params.has(k));
  const unknown = opts.knownExtras === false ? unexpected : unexpected.filter((k) => !KNOWN_EXTRA_PREFIXES.some((p) => k.startsWith(p)));
  if (unknown.length && !opts.allowUnexpected) {
    throw new GlmError('E_CHECKPOINT_UNEXPECTED_TENSOR', `unexpected tensor(s) not used by a ${model.config.num_layers}-layer GLM: ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', …' : ''} (allow with --allow-unexpected)`, {
      path: src.path,
      details: { unexpected: unknown },
    });
  }
  const dtypes: Record<string, number> = {};
  for (const [name, t] of model.params.entries()) {
    const info = src.info(stored.get(name)!);
    if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
      throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${name} has shape [${info.shape.join(', ')}] but the config implies [${t.shape.join(', ')}]`, {
        path: info.file,
        details: { tensor: name, stored: info.shape, expected: t.shape },
      });
    }
    src.readFloat32(stored.get(name)!, t.f32);
    dtypes[info.dtype] = (dtypes[info.dtype] ?? 0) + 1;
  }
  if (opts.copyEmbeddingRow) {
    const { from, to } = opts.copyEmbeddingRow;
    const E = model.params.get('word_embeddings.weight');
    const [V, h] = E.shape as [number, number];
    if (!(from >= 0 && from < V && to >= 0 && to < V)) throw new GlmError('E_CONFIG', `copyEmbeddingRow ${from} → ${to} is outside the ${V}-row embedding`);
    E.f32.copyWithin(to * h, from * h, (from + 1) * h);
  }
  return { dtypes, unexpected };
}

/**
 * Loads a checkpoint folder or file (see module doc) into a new GLMModel. Never falls back to
 * random weights: a missing file or tensor is an error.
 */
export function loadCheckpoint(p: string, opts: LoadCheckpointOptions = {}): { model: GLMModel; report: CheckpointReport; location: CheckpointLocation } {
  const loc = locateCheckpoint(p);
  const src = openTensorSource(loc, opts.inertGlobals ? { inertGlobals: opts.inertGlobals } : {});
  try {
    let config: GLMConfig;
    let inferred: string[] = [];
    if (loc.configFile) {
      config = readConfigFile(loc.configFile, opts.config);
    } else {
      ({ config, inferred } = inferConfig(src, opts.config));
    }
    const model = new GLMModel(config);
    const { dtypes, unexpected } = loadWeightsFrom(model, src, opts);
    const files = src instanceof ShardedSource ? src.files() : [loc.file];
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    return { model, report: { format: loc.format, files, dtypes, unexpected, inferred, bytes }, location: loc };
  } finally {
    src.close();
  }
}

/**
 * Reads a model config file (config.json or any file of its fields), with `overrides` applied on
 * top of its fields. The one config.json reader: loading, conversion, inspection, pretraining
 * (--config FILE) and resuming all use it.
 */
export function readConfigFile(file: string, overrides: Partial<GLMConfig> = {}): GLMConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GlmError('E_CONFIG', `${path.basename(file)} is not valid JSON: ${(e as Error).message}`, { path: file, cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return parseConfig(raw, file);
  return parseConfig({ ...(raw as Record<string, unknown>), ...overrides }, file);
}
