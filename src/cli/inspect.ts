/**
 * `glm inspect DIR`: what a checkpoint is, without loading its weights (headers only): config,
 * parameter count, stored dtypes, tokenizer family and special-token ids, and the memory needed to
 * run and to train it with glm-ts (float32 compute).
 */
import { resolveModel } from '../hub/resolve.js';
import fs from 'node:fs';
import path from 'node:path';
import { locateCheckpoint, openTensorSource, inferConfig, readConfigFile, modelKey, type CheckpointFormat } from '../io/hf.js';
import { ShardedSource } from '../io/tensor-source.js';
import { configToJSON, parameterCount, type GLMConfig } from '../model/config.js';
import { glmParamSpecs } from '../model/params.js';
import { hasTokenizerFiles, loadTokenizer } from '../tokenizer/load.js';
import type { SpecialTokenIdMap } from '../tokenizer/types.js';
import type { Command } from 'commander';

export interface CheckpointMemoryNeeds {
  /** float32 weights: 4 bytes per parameter. */
  weights: number;
  /** Inference, batch 1 at max_sequence_length: weights + memory cache + one layer's activations + logits. */
  run: number;
  /** Training with AdamW, batch 1 at max_sequence_length: weights, gradients, two Adam moments, activations. */
  train: number;
  notes: string[];
}

export interface InspectResult {
  path: string;
  format: CheckpointFormat;
  files: string[];
  bytes: number;
  config: Record<string, unknown>;
  inferred: string[];
  parameters: number;
  /** Stored tensors by dtype (model weights only). */
  dtypes: Record<string, number>;
  /** Stored tensors that are not GLM weights (fine-tuning heads etc.). */
  extraTensors: string[];
  tokenizer: { family: string; source: 'files' | 'guess'; numTokens?: number; paddedVocabSize?: number; special?: SpecialTokenIdMap } | null;
  /** config.json's special_token_ids, when present. */
  configSpecialTokenIds?: Record<string, number | undefined>;
  memory: CheckpointMemoryNeeds;
}

/** Largest element count of one Float32Array in Node 20 (V8): glm-ts keeps all weights in one. */
const MAX_TYPED_ARRAY = 2 ** 32 - 1;

/** Memory glm-ts needs for `cfg` (bytes), batch 1 at the full sequence length. */
export function estimateMemory(cfg: GLMConfig): CheckpointMemoryNeeds {
  const P = parameterCount(cfg);
  const S = cfg.max_sequence_length, h = cfg.hidden_size, L = cfg.num_layers, n = cfg.num_attention_heads, V = cfg.vocab_size;
  const f = 4;
  const weights = P * f;
  const mems = (L + 1) * S * h * f;
  const layer = (S * 4 * h + 4 * S * h + n * S * S) * f; // MLP hidden, QKV + context, attention scores
  const logits = S * V * f;
  const run = weights + mems + layer + logits;
  // Activations kept for backward per layer ≈ S·h·(34 + 5·n·S/h) values (Korthikanti et al. 2022), here in float32.
  const acts = L * S * h * (34 + (5 * n * S) / h) * f + 2 * logits;
  const train = 4 * weights + acts;
  const notes = [
    'glm-ts computes in float32: F16/BF16 checkpoints take twice their file size once loaded',
    'run = weights + memory cache (L+1 × S × h) + one layer of activations + logits, batch 1, S = max_sequence_length',
    'train = weights + gradients + AdamW m and v (16 bytes/parameter) + activations for batch 1; scale activations by the batch size',
  ];
  if (P > MAX_TYPED_ARRAY) {
    notes.push(`${P.toLocaleString('en-US')} parameters exceed the ${MAX_TYPED_ARRAY.toLocaleString('en-US')}-element limit of one Float32Array in Node 20: glm-ts cannot hold this model in memory (glm convert still works, tensor by tensor)`);
  }
  return { weights, run, train, notes };
}

function guessTokenizer(V: number): InspectResult['tokenizer'] {
  const family = V === 30592 ? 'bert' : V === 50304 ? 'gpt2 or roberta' : V === 50048 ? 'sentencepiece (Chinese)' : 'unknown';
  return { family, source: 'guess' };
}

export function inspectCheckpoint(p: string, opts: { inertGlobals?: readonly string[] } = {}): InspectResult {
  const loc = locateCheckpoint(p);
  const src = openTensorSource(loc, opts);
  try {
    let config: GLMConfig;
    let inferred: string[] = [];
    if (loc.configFile) config = readConfigFile(loc.configFile);
    else ({ config, inferred } = inferConfig(src));
    const wanted = new Set(glmParamSpecs(config).map((s) => s.name));
    const dtypes: Record<string, number> = {};
    const extraTensors: string[] = [];
    for (const name of src.names()) {
      const k = modelKey(name);
      if (!wanted.has(k)) {
        extraTensors.push(k);
        continue;
      }
      const d = src.info(name).dtype;
      dtypes[d] = (dtypes[d] ?? 0) + 1;
    }
    const files = src instanceof ShardedSource ? src.files() : [loc.file];
    const dir = fs.statSync(p).isDirectory() ? p : path.dirname(p);
    let tokenizer: InspectResult['tokenizer'] = guessTokenizer(config.vocab_size);
    if (hasTokenizerFiles(dir)) {
      const t = loadTokenizer(dir);
      tokenizer = { family: t.family, source: 'files', numTokens: t.numTokens, paddedVocabSize: t.paddedVocabSize, special: t.special };
    }
    return {
      path: p, format: loc.format, files, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0),
      config: configToJSON(config), inferred, parameters: parameterCount(config), dtypes, extraTensors, tokenizer,
      memory: estimateMemory(config),
      ...(config.special_token_ids ? { configSpecialTokenIds: { ...config.special_token_ids } } : {}),
    };
  } finally {
    src.close();
  }
}

function gib(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

/** Human-readable report. */
export function formatInspect(r: InspectResult): string {
  const c = r.config;
  const lines = [
    `checkpoint   ${r.path} (${r.format}, ${r.files.length} file${r.files.length > 1 ? 's' : ''}, ${gib(r.bytes)})`,
    `model        ${c['num_layers']} layers, hidden ${c['hidden_size']}, ${c['num_attention_heads']} heads, vocab ${c['vocab_size']}, max_sequence_length ${c['max_sequence_length']}, gelu ${c['gelu']}`,
    `parameters   ${r.parameters.toLocaleString('en-US')}`,
    `dtype        ${Object.entries(r.dtypes).map(([d, n]) => `${d} × ${n}`).join(', ')}`,
  ];
  if (r.extraTensors.length) lines.push(`extra        ${r.extraTensors.length} tensor(s) not used by GLMModel: ${r.extraTensors.slice(0, 6).join(', ')}${r.extraTensors.length > 6 ? ', …' : ''}`);
  if (r.inferred.length) lines.push(`inferred     ${r.inferred.join('; ')}`);
  if (r.tokenizer) {
    const t = r.tokenizer;
    lines.push(`tokenizer    ${t.family}${t.source === 'guess' ? ' (guessed from vocab_size; no tokenizer files)' : `, ${t.numTokens} tokens → ${t.paddedVocabSize}`}`);
    if (t.special) lines.push(`special ids  ${Object.entries(t.special).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  if (r.configSpecialTokenIds && !r.tokenizer?.special) lines.push(`special ids  ${Object.entries(r.configSpecialTokenIds).map(([k, v]) => `${k}=${v}`).join(' ')} (config.json)`);
  lines.push(`memory       weights ${gib(r.memory.weights)} (float32); run ≈ ${gib(r.memory.run)}; train ≈ ${gib(r.memory.train)} (batch 1, full length)`);
  for (const n of r.memory.notes) lines.push(`             ${n}`);
  lines.push('config.json  ' + JSON.stringify(c));
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('describe a checkpoint (any layout glm-ts reads) without loading its weights')
    .argument('<path>', 'checkpoint folder or file, or a Hub name OWNER/NAME[@REVISION]')
    .option('--json', 'print JSON instead of text')
    .option('--allow-global <names...>', 'pickle globals to record as inert data (never called)')
    .action(async (name: string, o: { json?: boolean; allowGlobal?: string[] }) => {
      const p = await resolveModel(name);
      const r = inspectCheckpoint(p, o.allowGlobal ? { inertGlobals: o.allowGlobal } : {});
      process.stdout.write(o.json ? JSON.stringify(r) + '\n' : formatInspect(r));
    });
}
