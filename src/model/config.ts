/**
 * GLMConfig: the one configuration object that flows through model, training and checkpoints.
 *
 * Field names are the Hugging Face GLMConfig names (spec §2.7), so a hub `config.json` loads as
 * is and ours loads in the hub code. Additions: `gelu` ("erf" | "tanh", spec §0.2 #1),
 * `layernorm_epsilon`, `init_method` (spec §0.2 #9), `position_init` and `special_token_ids`.
 */
import { GlmError } from '../util/errors.js';

export type GeluName = 'erf' | 'tanh';

export interface SpecialTokenIds {
  PAD?: number;
  CLS?: number;
  eos?: number;
  MASK?: number;
  sMASK?: number;
  gMASK?: number;
  sop?: number;
  eop?: number;
  [name: string]: number | undefined;
}

export interface GLMConfig {
  model_type: 'glm';
  num_layers: number;
  vocab_size: number;
  hidden_size: number;
  num_attention_heads: number;
  /** P: position tables have P + 1 rows. */
  max_sequence_length: number;
  embedding_dropout_prob: number;
  attention_dropout_prob: number;
  output_dropout_prob: number;
  layernorm_epsilon: number;
  initializer_range: number;
  gelu: GeluName;
  block_position_encoding: boolean;
  relative_encoding: boolean;
  output_predict: boolean;
  attention_scale: number;
  /** 'orig' scales the output projections by 1/sqrt(2L) (spec §2.5); 'hub' does not. */
  init_method: 'orig' | 'hub';
  /**
   * How the two learned position tables start: 'normal' (spec §2.5, the default) or 'sinusoidal'
   * (Vaswani et al.'s table at the same RMS), which lets short runs learn to attend to neighbours
   * sooner (docs/pretraining.md). Only initialisation: the tables are trained either way.
   */
  position_init?: 'normal' | 'sinusoidal';
  special_token_ids?: SpecialTokenIds;
  /** Unknown fields of a loaded config.json are kept so that export writes them back. */
  extra?: Record<string, unknown>;
}

export const DEFAULT_CONFIG: Omit<GLMConfig, 'num_layers' | 'vocab_size' | 'hidden_size' | 'num_attention_heads' | 'max_sequence_length'> = {
  model_type: 'glm',
  embedding_dropout_prob: 0.1,
  attention_dropout_prob: 0.1,
  output_dropout_prob: 0.1,
  layernorm_epsilon: 1e-5,
  initializer_range: 0.02,
  gelu: 'erf',
  block_position_encoding: true,
  relative_encoding: false,
  output_predict: true,
  attention_scale: 1.0,
  init_method: 'orig',
};

const KNOWN = new Set([
  'model_type', 'num_layers', 'vocab_size', 'hidden_size', 'num_attention_heads', 'max_sequence_length',
  'embedding_dropout_prob', 'attention_dropout_prob', 'output_dropout_prob', 'layernorm_epsilon',
  'initializer_range', 'gelu', 'block_position_encoding', 'relative_encoding', 'output_predict',
  'attention_scale', 'init_method', 'position_init', 'special_token_ids',
]);

function positiveInt(raw: Record<string, unknown>, key: string, where: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new GlmError('E_CONFIG', `${where}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function prob(raw: Record<string, unknown>, key: string, where: string, dflt: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new GlmError('E_CONFIG', `${where}: "${key}" must be in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a parsed config.json object and fills defaults. `where` names the source in errors. */
export function parseConfig(raw: unknown, where = 'config'): GLMConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GlmError('E_CONFIG', `${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  if (r['model_type'] !== undefined && r['model_type'] !== 'glm') {
    throw new GlmError('E_CONFIG', `${where}: model_type is ${JSON.stringify(r['model_type'])}, expected "glm"`);
  }
  // GLM-4 / ChatGLM configs also say model_type "glm" (spec §10); they have no max_sequence_length.
  if (r['max_sequence_length'] === undefined && (r['num_hidden_layers'] !== undefined || r['rope_theta'] !== undefined)) {
    throw new GlmError('E_CONFIG', `${where}: this looks like a GLM-4/ChatGLM causal model config, not a blank-infilling GLM`);
  }
  const cfg: GLMConfig = {
    ...DEFAULT_CONFIG,
    num_layers: positiveInt(r, 'num_layers', where),
    vocab_size: positiveInt(r, 'vocab_size', where),
    hidden_size: positiveInt(r, 'hidden_size', where),
    num_attention_heads: positiveInt(r, 'num_attention_heads', where),
    max_sequence_length: positiveInt(r, 'max_sequence_length', where),
    embedding_dropout_prob: prob(r, 'embedding_dropout_prob', where, 0.1),
    attention_dropout_prob: prob(r, 'attention_dropout_prob', where, 0.1),
    output_dropout_prob: prob(r, 'output_dropout_prob', where, 0.1),
  };
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new GlmError('E_CONFIG', `${where}: hidden_size ${cfg.hidden_size} is not divisible by num_attention_heads ${cfg.num_attention_heads}`);
  }
  const eps = r['layernorm_epsilon'];
  if (eps !== undefined) {
    if (typeof eps !== 'number' || !(eps > 0)) throw new GlmError('E_CONFIG', `${where}: layernorm_epsilon must be > 0`);
    cfg.layernorm_epsilon = eps;
  }
  if (r['gelu'] !== undefined) {
    if (r['gelu'] !== 'erf' && r['gelu'] !== 'tanh') throw new GlmError('E_CONFIG', `${where}: gelu must be "erf" or "tanh", got ${JSON.stringify(r['gelu'])}`);
    cfg.gelu = r['gelu'];
  }
  if (r['init_method'] !== undefined) {
    if (r['init_method'] !== 'orig' && r['init_method'] !== 'hub') throw new GlmError('E_CONFIG', `${where}: init_method must be "orig" or "hub"`);
    cfg.init_method = r['init_method'];
  }
  if (r['position_init'] !== undefined) {
    if (r['position_init'] !== 'normal' && r['position_init'] !== 'sinusoidal') throw new GlmError('E_CONFIG', `${where}: position_init must be "normal" or "sinusoidal", got ${JSON.stringify(r['position_init'])}`);
    cfg.position_init = r['position_init'];
  }
  for (const key of ['block_position_encoding', 'relative_encoding', 'output_predict'] as const) {
    if (r[key] !== undefined) {
      if (typeof r[key] !== 'boolean') throw new GlmError('E_CONFIG', `${where}: ${key} must be a boolean`);
      cfg[key] = r[key] as boolean;
    }
  }
  if (cfg.relative_encoding) throw new GlmError('E_UNSUPPORTED', `${where}: relative_encoding (Transformer-XL style) is not supported; no released GLM uses it`);
  if (r['attention_scale'] !== undefined) {
    if (r['attention_scale'] !== 1 && r['attention_scale'] !== 1.0) throw new GlmError('E_UNSUPPORTED', `${where}: attention_scale ${String(r['attention_scale'])} is not supported (every released GLM uses 1.0)`);
  }
  if (typeof r['initializer_range'] === 'number') cfg.initializer_range = r['initializer_range'];
  if (r['special_token_ids'] !== undefined) {
    const s = r['special_token_ids'];
    if (typeof s !== 'object' || s === null) throw new GlmError('E_CONFIG', `${where}: special_token_ids must be an object`);
    for (const [k, v] of Object.entries(s)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= cfg.vocab_size) {
        throw new GlmError('E_CONFIG', `${where}: special token ${k} = ${JSON.stringify(v)} is not an id below vocab_size ${cfg.vocab_size}`);
      }
    }
    cfg.special_token_ids = { ...(s as SpecialTokenIds) };
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k)) extra[k] = v;
  if (Object.keys(extra).length) cfg.extra = extra;
  return cfg;
}

/** Builds a config from sizes, with defaults for the rest. */
export function makeConfig(sizes: Pick<GLMConfig, 'num_layers' | 'vocab_size' | 'hidden_size' | 'num_attention_heads' | 'max_sequence_length'> & Partial<GLMConfig>): GLMConfig {
  return parseConfig({ ...DEFAULT_CONFIG, ...sizes }, 'config');
}

/** The config as written to config.json (HF names first, extras kept). */
export function configToJSON(cfg: GLMConfig): Record<string, unknown> {
  const { extra, ...rest } = cfg;
  return { ...(extra ?? {}), ...rest };
}

/** Parameters per layer 12h² + 13h, plus the embedding tables and the final LayerNorm. */
export function parameterCount(cfg: GLMConfig): number {
  const h = cfg.hidden_size;
  const positions = (cfg.max_sequence_length + 1) * h * (cfg.block_position_encoding ? 2 : 1);
  return cfg.vocab_size * h + positions + cfg.num_layers * (12 * h * h + 13 * h) + 2 * h;
}

/** Named shapes matching the published GLM sizes (spec §2.7), for benchmarks and `--config`. */
export const PRESETS: Record<string, Pick<GLMConfig, 'num_layers' | 'vocab_size' | 'hidden_size' | 'num_attention_heads' | 'max_sequence_length'>> = {
  base: { num_layers: 12, hidden_size: 768, num_attention_heads: 12, vocab_size: 30592, max_sequence_length: 512 },
  large: { num_layers: 24, hidden_size: 1024, num_attention_heads: 16, vocab_size: 30592, max_sequence_length: 512 },
  '410m': { num_layers: 30, hidden_size: 1024, num_attention_heads: 16, vocab_size: 30592, max_sequence_length: 512 },
  '515m': { num_layers: 30, hidden_size: 1152, num_attention_heads: 18, vocab_size: 30592, max_sequence_length: 512 },
  '2b': { num_layers: 36, hidden_size: 2048, num_attention_heads: 32, vocab_size: 50304, max_sequence_length: 1024 },
  '10b': { num_layers: 48, hidden_size: 4096, num_attention_heads: 64, vocab_size: 50304, max_sequence_length: 1024 },
};
