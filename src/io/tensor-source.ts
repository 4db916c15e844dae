/**
 * One interface over every stored-weights format glm-ts reads: safetensors, PyTorch `.bin`/`.pt`
 * (zip or legacy) and sharded indexes of either. Tensors are listed from headers only and read one
 * at a time, converted to float32, into a caller-provided array.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { GlmError } from '../util/errors.js';
import { SafetensorsReader, isFloatDType } from './safetensors.js';
import { TorchCheckpoint, flattenTensors, type TensorRef } from './torch.js';
import type { PyValue } from './pickle.js';

export interface StoredTensorInfo {
  dtype: string;
  shape: number[];
  /** File holding the tensor. */
  file: string;
}

export interface TensorSource {
  readonly path: string;
  names(): string[];
  info(name: string): StoredTensorInfo;
  /** Reads a floating-point tensor as float32 into `out` (F16/BF16 widened); integer tensors give E_CHECKPOINT_DTYPE. */
  readFloat32(name: string, out: Float32Array): void;
  close(): void;
}

export class SafetensorsSource implements TensorSource {
  private readonly reader: SafetensorsReader;
  constructor(readonly path: string) {
    this.reader = SafetensorsReader.open(path);
  }
  names(): string[] {
    return this.reader.names();
  }
  info(name: string): StoredTensorInfo {
    const i = this.reader.info(name);
    return { dtype: i.dtype, shape: i.shape.slice(), file: this.path };
  }
  readFloat32(name: string, out: Float32Array): void {
    const i = this.reader.info(name);
    if (!isFloatDType(i.dtype)) throw new GlmError('E_CHECKPOINT_DTYPE', `tensor ${name} is ${i.dtype}, expected a floating-point dtype (F32, F16, BF16)`, { path: this.path, details: { tensor: name, dtype: i.dtype } });
    this.reader.readFloat32(name, { out });
  }
  close(): void {
    this.reader.close();
  }
}

/** Where the state dict sits inside a torch checkpoint: the root, or under 'module' (Megatron/DeepSpeed), 'model' or 'state_dict'. */
export function stateDictOf(root: PyValue): { dict: PyValue; under?: string } {
  if (root instanceof Map) {
    for (const key of ['module', 'model', 'state_dict']) {
      const v = root.get(key);
      if (v instanceof Map) return { dict: v, under: key };
    }
  }
  return { dict: root };
}

export class TorchSource implements TensorSource {
  readonly checkpoint: TorchCheckpoint;
  private readonly tensors: Map<string, TensorRef>;
  /** The key the weights were found under ('module' for mp_rank_00_model_states.pt). */
  readonly under: string | undefined;

  constructor(readonly path: string, opts: { inertGlobals?: readonly string[] } = {}) {
    this.checkpoint = TorchCheckpoint.open(path, opts);
    const sd = stateDictOf(this.checkpoint.root);
    this.under = sd.under;
    this.tensors = new Map();
    for (const [k, t] of flattenTensors(sd.dict)) this.tensors.set(k.startsWith('module.') ? k.slice(7) : k, t);
    if (this.tensors.size === 0) {
      this.checkpoint.close();
      throw new GlmError('E_CHECKPOINT_EMPTY', 'the checkpoint holds no tensors (expected a state dict, or one under "module")', { path });
    }
  }
  names(): string[] {
    return [...this.tensors.keys()];
  }
  private ref(name: string): TensorRef {
    const t = this.tensors.get(name);
    if (!t) throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `no tensor ${name}`, { path: this.path });
    return t;
  }
  info(name: string): StoredTensorInfo {
    const t = this.ref(name);
    return { dtype: t.storage.dtype, shape: t.shape.slice(), file: this.path };
  }
  readFloat32(name: string, out: Float32Array): void {
    this.checkpoint.readFloat32(this.ref(name), out, name);
  }
  close(): void {
    this.checkpoint.close();
  }
}

/** A `*.index.json` ({"weight_map": {tensor: shard file}}) over safetensors or torch shards. */
export class ShardedSource implements TensorSource {
  private readonly shards = new Map<string, TensorSource>();
  private readonly where = new Map<string, string>();

  constructor(readonly path: string, open: (file: string) => TensorSource) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path, 'utf8'));
    } catch (e) {
      throw new GlmError('E_CHECKPOINT_INDEX', `cannot read the shard index: ${(e as Error).message}`, { path, cause: e });
    }
    const map = (raw as { weight_map?: unknown })?.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new GlmError('E_CHECKPOINT_INDEX', 'shard index has no "weight_map" object', { path });
    const dir = nodePath.dirname(path);
    try {
      for (const [name, f] of Object.entries(map as Record<string, unknown>)) {
        if (typeof f !== 'string') throw new GlmError('E_CHECKPOINT_INDEX', `weight_map entry ${name} is not a file name`, { path });
        const file = nodePath.resolve(dir, f);
        if (nodePath.relative(nodePath.resolve(dir), file).startsWith('..')) throw new GlmError('E_CHECKPOINT_INDEX', `shard ${f} lies outside the checkpoint folder`, { path });
        if (!this.shards.has(file)) {
          if (!fs.existsSync(file)) throw new GlmError('E_CHECKPOINT_MISSING', `shard ${f} listed in the index does not exist`, { path });
          this.shards.set(file, open(file));
        }
        if (!this.shards.get(file)!.names().includes(name)) throw new GlmError('E_CHECKPOINT_INDEX', `the index places ${name} in ${f}, which does not contain it`, { path });
        this.where.set(name, file);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }
  names(): string[] {
    return [...this.where.keys()];
  }
  private shard(name: string): TensorSource {
    const f = this.where.get(name);
    if (!f) throw new GlmError('E_CHECKPOINT_MISSING_TENSOR', `no tensor ${name} in the index`, { path: this.path });
    return this.shards.get(f)!;
  }
  info(name: string): StoredTensorInfo {
    return this.shard(name).info(name);
  }
  readFloat32(name: string, out: Float32Array): void {
    this.shard(name).readFloat32(name, out);
  }
  close(): void {
    for (const s of this.shards.values()) s.close();
  }
  /** The distinct shard files. */
  files(): string[] {
    return [...this.shards.keys()];
  }
}
