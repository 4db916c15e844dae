/**
 * `glm convert`: any checkpoint glm-ts reads → an HF-layout folder (model.safetensors with the
 * original GLM key names and shapes, config.json with the hub GLMConfig fields, tokenizer files),
 * so that the hub's Python code could load it (spec §2.6, §2.7).
 *
 * Conversion streams tensor by tensor from the source to the output and never builds a model, so
 * it needs memory for the largest single tensor only (the word embedding: 824 MB in float32 for
 * GLM-10B), which also makes 10B checkpoints convertible. Tensors are validated against the
 * config exactly as loading does (missing, unexpected, shape, dtype).
 */
import fs from 'node:fs';
import { writeFileAtomic, writeFileStreamAtomic } from '../util/atomic-write.js';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { f32ToBf16Bits, f32ToF16Bits } from '../io/safetensors.js';
import { KNOWN_EXTRA_PREFIXES, inferConfig, locateCheckpoint, modelKey, openTensorSource, readConfigFile, type CheckpointFormat, type LoadCheckpointOptions } from '../io/hf.js';
import { configToJSON, parameterCount, type GLMConfig } from '../model/config.js';
import { glmParamSpecs } from '../model/params.js';
import { hasTokenizerFiles, loadTokenizer, type LoadTokenizerOptions, type LoadedTokenizer } from '../tokenizer/load.js';
import { configSpecialTokenIds, saveTokenizer } from '../tokenizer/save.js';

export type ExportDType = 'f32' | 'f16' | 'bf16';
const ST_DTYPE = { f32: 'F32', f16: 'F16', bf16: 'BF16' } as const;
const TORCH_DTYPE_NAME = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' } as const;

export interface ConvertOptions extends LoadCheckpointOptions {
  /** Output dtype; default: the source's dtype when all weights share one of F32/F16/BF16, else f32. */
  dtype?: ExportDType;
  /** Tokenizer to write (built-in name, folder, or a loaded tokenizer); default: the source folder's own, if any. */
  tokenizer?: string | LoadedTokenizer;
  tokenizerOptions?: LoadTokenizerOptions;
}

export interface ConvertReport {
  source: string;
  format: CheckpointFormat;
  out: string;
  dtype: ExportDType;
  tensors: number;
  parameters: number;
  bytes: number;
  /** Source tensors not written (fine-tuning heads, or unknown ones with allowUnexpected). */
  dropped: string[];
  inferred: string[];
  tokenizer: string | null;
}

/** The hub GLMConfig defaults for fields glm-ts does not model (spec §2.7), so that config.json is complete. */
const HUB_DEFAULTS: Record<string, unknown> = {
  checkpoint_activations: false,
  checkpoint_num_layers: 1,
  parallel_output: true,
  spell_length: null,
  spell_func: 'lstm',
  pool_token: 'cls',
};

function hubConfigJson(cfg: GLMConfig, dtype: ExportDType, tok: LoadedTokenizer | undefined): Record<string, unknown> {
  const j: Record<string, unknown> = { ...HUB_DEFAULTS, ...configToJSON(cfg) };
  j['model_type'] = 'glm';
  j['architectures'] ??= ['GLMModel'];
  j['auto_map'] ??= {
    AutoConfig: 'configuration_glm.GLMConfig',
    AutoModel: 'modeling_glm.GLMModel',
    AutoModelForSeq2SeqLM: 'modeling_glm.GLMForConditionalGeneration',
    AutoModelForMultipleChoice: 'modeling_glm.GLMForMultipleChoice',
    AutoModelForSequenceClassification: 'modeling_glm.GLMForSequenceClassification',
  };
  j['torch_dtype'] = TORCH_DTYPE_NAME[dtype];
  if (tok) j['special_token_ids'] = configSpecialTokenIds(tok);
  return j;
}

function encodeInto(src: Float32Array, dtype: ExportDType, out: Buffer): void {
  if (dtype === 'f32') {
    out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return;
  }
  const enc = dtype === 'f16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < src.length; i++) out.writeUInt16LE(enc(src[i]!), 2 * i);
}

/** Converts `src` (any layout loadCheckpoint reads) into the HF-layout folder `dst`. */
export function convertCheckpoint(srcPath: string, dst: string, opts: ConvertOptions = {}): ConvertReport {
  const loc = locateCheckpoint(srcPath);
  const src = openTensorSource(loc, opts.inertGlobals ? { inertGlobals: opts.inertGlobals } : {});
  try {
    let config: GLMConfig;
    let inferred: string[] = [];
    if (loc.configFile) config = readConfigFile(loc.configFile, opts.config);
    else ({ config, inferred } = inferConfig(src, opts.config));

    // Validate names, shapes and dtypes before writing anything.
    const stored = new Map<string, string>();
    for (const n of src.names()) {
      const k = modelKey(n);
      if (stored.has(k)) throw new GlmError('E_CHECKPOINT_KEYS', `tensor ${k} is stored twice (as ${stored.get(k)} and ${n})`, { path: src.path });
      stored.set(k, n);
    }
    const specs = glmParamSpecs(config);
    const missing = specs.map((s) => s.name).filter((n) => !stored.has(n));
    if (missing.length) throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`, { path: src.path, details: { missing } });
    const wanted = new Set(specs.map((s) => s.name));
    const dropped = [...stored.keys()].filter((k) => !wanted.has(k));
    const unknown = dropped.filter((k) => !KNOWN_EXTRA_PREFIXES.some((p) => k.startsWith(p)));
    if (unknown.length && !opts.allowUnexpected) {
      throw new GlmError('E_CHECKPOINT_UNEXPECTED_TENSOR', `unexpected tensor(s) not used by a ${config.num_layers}-layer GLM: ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', …' : ''} (allow with --allow-unexpected)`, { path: src.path, details: { unexpected: unknown } });
    }
    const dtypes = new Set<string>();
    for (const s of specs) {
      const info = src.info(stored.get(s.name)!);
      if (info.shape.length !== s.shape.length || info.shape.some((d, i) => d !== s.shape[i])) {
        throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${s.name} has shape [${info.shape.join(', ')}] but the config implies [${s.shape.join(', ')}]`, { path: info.file, details: { tensor: s.name } });
      }
      if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) {
        throw new GlmError('E_CHECKPOINT_DTYPE', `tensor ${s.name} is ${info.dtype}, expected a floating-point dtype (F32, F16, BF16)`, { path: info.file, details: { tensor: s.name } });
      }
      dtypes.add(info.dtype);
    }
    const only = dtypes.size === 1 ? [...dtypes][0] : undefined;
    const dtype: ExportDType = opts.dtype ?? (only === 'F16' ? 'f16' : only === 'BF16' ? 'bf16' : 'f32');

    let tok: LoadedTokenizer | undefined;
    if (typeof opts.tokenizer === 'string') tok = loadTokenizer(opts.tokenizer, opts.tokenizerOptions);
    else if (opts.tokenizer) tok = opts.tokenizer;
    else {
      const dir = fs.statSync(srcPath).isDirectory() ? srcPath : path.dirname(srcPath);
      if (hasTokenizerFiles(dir)) tok = loadTokenizer(dir, opts.tokenizerOptions);
    }
    if (tok && tok.numTokens > config.vocab_size) {
      throw new GlmError('E_TOKENIZER_MISMATCH', `tokenizer ${tok.name ?? ''} has ${tok.numTokens} tokens but the model's vocab_size is ${config.vocab_size}`, { path: srcPath });
    }

    fs.mkdirSync(dst, { recursive: true });
    const ordered = [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const bytes = writeStreamingSafetensors(path.join(dst, 'model.safetensors'), ordered, (name) => {
      const spec = specs.find((s) => s.name === name)!;
      const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
      src.readFloat32(stored.get(name)!, data);
      if (name === 'word_embeddings.weight' && opts.copyEmbeddingRow) {
        const { from, to } = opts.copyEmbeddingRow;
        const h = spec.shape[1]!;
        if (!(from >= 0 && from < spec.shape[0]! && to >= 0 && to < spec.shape[0]!)) throw new GlmError('E_CONFIG', `copyEmbeddingRow ${from} → ${to} is outside the ${spec.shape[0]}-row embedding`);
        data.copyWithin(to * h, from * h, (from + 1) * h);
      }
      return data;
    }, dtype, { format: 'pt', producer: 'glm-ts convert' });
    writeFileAtomic(path.join(dst, 'config.json'), JSON.stringify(hubConfigJson(config, dtype, tok), null, 2) + '\n');
    if (tok) saveTokenizer(tok, dst);
    return {
      source: srcPath, format: loc.format, out: dst, dtype, tensors: specs.length, parameters: parameterCount(config), bytes,
      dropped, inferred, tokenizer: tok ? (tok.name ?? tok.family) : null,
    };
  } finally {
    src.close();
  }
}

/**
 * Writes a safetensors file whose tensors are produced one at a time by `read` (so only one tensor
 * is in memory), encoded to `dtype`. Atomic: temporary file, fsync, rename. Returns the file size.
 */
export function writeStreamingSafetensors(
  file: string, tensors: readonly { name: string; shape: readonly number[] }[], read: (name: string) => Float32Array,
  dtype: ExportDType, metadata: Record<string, string> = {},
): number {
  const eb = dtype === 'f32' ? 4 : 2;
  let offset = 0;
  const entries: string[] = [`"__metadata__":${JSON.stringify(metadata)}`];
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * eb;
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: ST_DTYPE[dtype], shape: [...t.shape], data_offsets: [offset, offset + n] })}`);
    offset += n;
  }
  let header = Buffer.from(`{${entries.join(',')}}`, 'utf8');
  header = Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8, 0x20)]);
  return writeFileStreamAtomic(file, (out) => {
    const write = (b: Uint8Array): void => out.write(b);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      write(len);
      write(header);
      const CHUNK = 1 << 20; // elements
      const buf = Buffer.alloc(CHUNK * eb);
      for (const t of tensors) {
        const data = read(t.name);
        if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${t.name}: ${data.length} values for shape [${t.shape.join(', ')}]`, { path: file });
        for (let s = 0; s < data.length; s += CHUNK) {
          const part = data.subarray(s, Math.min(data.length, s + CHUNK));
          const out = buf.subarray(0, part.length * eb);
          encodeInto(part, dtype, out);
          write(out);
        }
      }
    return out.position;
  });
}
