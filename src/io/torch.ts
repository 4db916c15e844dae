/**
 * PyTorch checkpoints (`torch.save`): the zip format (`<archive>/data.pkl` + one stored entry per
 * storage) and the legacy format (consecutive pickles followed by raw storages). Only tensors and
 * plain containers are rebuilt, through the restricted unpickler of pickle.ts; tensor data is
 * never read until asked for, then streamed from the file in chunks into the destination array.
 */
import fs from 'node:fs';
import { GlmError } from '../util/errors.js';
import { ZipReader } from './zip.js';
import { BufferSource, PyInert, PyTuple, pyFunction, unpickle, type ByteSource, type PyDict, type PyGlobal, type PyValue } from './pickle.js';
import { f16BitsToF32 } from './safetensors.js';

export type TorchDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const TORCH_DTYPE_BYTES: Record<TorchDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

const STORAGE_TYPES: Record<string, TorchDType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

interface StorageType extends PyGlobal {
  readonly dtype: TorchDType;
}

/** A storage named by a persistent id: where its bytes are in the file. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: TorchDType;
  /** Elements in the storage. */
  readonly numel: number;
  /** Element offset into the root storage (legacy storage views), else 0. */
  readonly viewOffset: number;
}

/** A tensor: a strided view of a storage. Nothing is read until readTensor is called. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  /** In elements. */
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'tensor';
}

/** Globals of Megatron/DeepSpeed checkpoints outside the weights, recorded as inert data when allowed. */
export const MEGATRON_INERT_GLOBALS = [
  'argparse.Namespace', 'numpy.core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype', 'numpy.core.multiarray.scalar', 'torch.device',
];

function intList(v: PyValue, what: string, file: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new GlmError('E_TORCH_CORRUPT', `tensor ${what} is not a tuple of non-negative integers`, { path: file });
  }
  return items as number[];
}

/** The allow-list: tensor rebuilding, storage types, OrderedDict, sets, bytes; optional inert classes. */
export function torchGlobals(file: string, inert: ReadonlySet<string>): (module: string, name: string) => PyGlobal | undefined {
  const rebuild = (args: PyValue[]): TensorRef => {
    const [storage, offset, size, stride] = args;
    if (!storage || (storage as { kind?: string }).kind !== 'storage') throw new GlmError('E_TORCH_CORRUPT', 'tensor rebuilt from something that is not a storage', { path: file });
    if (typeof offset !== 'number') throw new GlmError('E_TORCH_CORRUPT', 'tensor storage offset is not an integer', { path: file });
    const shape = intList(size!, 'size', file), st = intList(stride!, 'stride', file);
    if (shape.length !== st.length) throw new GlmError('E_TORCH_CORRUPT', `tensor size [${shape}] and stride [${st}] differ in length`, { path: file });
    return { kind: 'tensor', storage: storage as StorageRef, offset, shape, stride: st };
  };
  return (module, name) => {
    const full = `${module}.${name}`;
    switch (full) {
      case 'collections.OrderedDict':
        return pyFunction(module, name, () => new Map());
      case 'torch._utils._rebuild_tensor_v2':
      case 'torch._utils._rebuild_tensor':
        return pyFunction(module, name, rebuild);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return pyFunction(module, name, (args) => args[0] ?? null);
      case 'torch.Size':
        return pyFunction(module, name, (args) => args[0] ?? new PyTuple([]));
      case 'builtins.set':
      case '__builtin__.set':
      case 'builtins.frozenset':
      case '__builtin__.frozenset':
        return pyFunction(module, name, (args) => new Set(Array.isArray(args[0]) ? args[0] : args[0] instanceof PyTuple ? args[0].items : []));
      case '_codecs.encode':
        // Protocol-2 pickles write bytes as _codecs.encode(text, "latin1"): a pure conversion.
        return pyFunction(module, name, (args) => Uint8Array.from(String(args[0] ?? ''), (c) => c.charCodeAt(0) & 0xff));
    }
    if (module === 'torch' && STORAGE_TYPES[name]) return { ...pyFunction(module, name), dtype: STORAGE_TYPES[name]! } as StorageType;
    if (inert.has(full)) return pyFunction(module, name, (args) => new PyInert(full, args));
    return undefined;
  };
}

function storageFromPid(pid: PyValue, file: string): { key: string; dtype: TorchDType; numel: number; view?: { key: string; offset: number; numel: number } } {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5) {
    throw new GlmError('E_TORCH_CORRUPT', 'unexpected persistent id (expected a storage reference)', { path: file });
  }
  const [, type, key, , numel, view] = pid.items;
  const dtype = (type as StorageType | undefined)?.dtype;
  if (!dtype) throw new GlmError('E_TORCH_CORRUPT', 'storage reference without a known storage type', { path: file });
  if (typeof key !== 'string' || typeof numel !== 'number') throw new GlmError('E_TORCH_CORRUPT', 'storage reference with a bad key or size', { path: file });
  if (view instanceof PyTuple && view.items.length >= 3) {
    const [vk, off, n] = view.items;
    return { key, dtype, numel, view: { key: String(vk), offset: Number(off), numel: Number(n) } };
  }
  return { key, dtype, numel };
}

/** Reads a file on demand for the unpickler (legacy checkpoints, where pickles precede the data). */
class FileSource implements ByteSource {
  pos: number;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly fd: number, private readonly size: number, private readonly file: string, start = 0) {
    this.pos = start;
  }
  read(n: number): Uint8Array {
    if (this.pos + n > this.size) throw new GlmError('E_TORCH_TRUNCATED', `file ends at ${this.size} bytes inside the pickle (needed ${n} bytes at ${this.pos}): the checkpoint is truncated`, { path: this.file });
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      const len = Math.max(n, 1 << 16);
      this.buf = Buffer.alloc(Math.min(len, this.size - this.pos));
      fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      this.bufStart = this.pos;
    }
    const s = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(s, s + n);
  }
  readLine(): string {
    let s = '';
    for (;;) {
      const c = this.read(1)[0]!;
      if (c === 0x0a) return s;
      s += String.fromCharCode(c);
    }
  }
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** An opened PyTorch checkpoint: the unpickled object graph plus lazy storage access. */
export class TorchCheckpoint {
  /** The unpickled top-level object (tensors are TensorRef). */
  root: PyValue = null;
  readonly format: 'zip' | 'legacy';
  private zip: ZipReader | undefined;
  private fd: number | undefined;
  private prefix = '';
  /** Legacy format: absolute offset of each storage's data. */
  private readonly legacyOffsets = new Map<string, number>();
  private readonly storages = new Map<string, StorageRef>();
  private scratch: Buffer | undefined;

  private constructor(readonly path: string, format: 'zip' | 'legacy') {
    this.format = format;
  }

  /** Opens and unpickles `file` (the structure only). `inertGlobals` are recorded as data instead of refused. */
  static open(file: string, opts: { inertGlobals?: readonly string[] } = {}): TorchCheckpoint {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (e) {
      throw new GlmError('E_CHECKPOINT_MISSING', 'no such file', { path: file, cause: e });
    }
    const inert = new Set(opts.inertGlobals ?? []);
    if (size >= 4 && ZipReader.isZip(file)) {
      const c = new TorchCheckpoint(file, 'zip');
      try {
        c.openZip(inert);
      } catch (e) {
        c.close();
        throw e;
      }
      return c;
    }
    const c = new TorchCheckpoint(file, 'legacy');
    try {
      c.openLegacy(size, inert);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private persistent(file: string) {
    return (pid: PyValue): StorageRef => {
      const s = storageFromPid(pid, file);
      const existing = this.storages.get(s.key);
      const root = existing ?? { kind: 'storage' as const, key: s.key, dtype: s.dtype, numel: s.numel, viewOffset: 0 };
      if (!existing) this.storages.set(s.key, root);
      if (s.view) return { kind: 'storage', key: s.key, dtype: s.dtype, numel: s.view.numel, viewOffset: s.view.offset };
      return root;
    };
  }

  private openZip(inert: Set<string>): void {
    this.zip = ZipReader.open(this.path);
    const pkl = [...this.zip.entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
    if (!pkl) throw new GlmError('E_TORCH_CORRUPT', 'zip archive has no data.pkl: not a PyTorch checkpoint', { path: this.path });
    this.prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
    const order = this.zip.entries.get(this.prefix + 'byteorder');
    if (order && this.zip.readEntry(order.name).toString('latin1').trim() !== 'little') {
      throw new GlmError('E_TORCH_UNSUPPORTED', 'big-endian PyTorch checkpoints are not supported', { path: this.path });
    }
    const data = this.zip.readEntry(pkl);
    this.root = unpickle(new BufferSource(data, this.path), { findGlobal: torchGlobals(this.path, inert), persistentLoad: this.persistent(this.path), file: this.path });
    for (const s of this.storages.values()) {
      const e = this.zip.entries.get(`${this.prefix}data/${s.key}`);
      if (!e) throw new GlmError('E_TORCH_CORRUPT', `storage ${s.key} has no data entry in the archive`, { path: this.path });
      const want = s.numel * TORCH_DTYPE_BYTES[s.dtype];
      if (e.size !== want) throw new GlmError('E_TORCH_CORRUPT', `storage ${s.key} (${s.dtype} × ${s.numel}) needs ${want} bytes but its entry has ${e.size}`, { path: this.path });
      this.zip.dataOffset(e); // validates that the data lies inside the file
    }
  }

  private openLegacy(size: number, inert: Set<string>): void {
    const fd = fs.openSync(this.path, 'r');
    this.fd = fd;
    const head = Buffer.alloc(Math.min(2, size));
    fs.readSync(fd, head, 0, head.length, 0);
    if (head[0] !== 0x80) {
      throw new GlmError('E_TORCH_FORMAT', 'not a PyTorch checkpoint (neither a zip archive nor a legacy pickle)', { path: this.path });
    }
    const src = new FileSource(fd, size, this.path);
    const plain = { findGlobal: () => undefined, file: this.path };
    const magic = unpickle(src, plain);
    if (BigInt(magic as number | bigint) !== LEGACY_MAGIC) {
      throw new GlmError('E_TORCH_FORMAT', 'a pickle, but not a PyTorch checkpoint (wrong magic number)', { path: this.path });
    }
    const protocol = unpickle(src, plain);
    if (protocol !== 1001) throw new GlmError('E_TORCH_UNSUPPORTED', `legacy checkpoint protocol ${String(protocol)} (expected 1001)`, { path: this.path });
    const sys = unpickle(src, plain);
    if (sys instanceof Map && sys.get('little_endian') === false) throw new GlmError('E_TORCH_UNSUPPORTED', 'big-endian PyTorch checkpoints are not supported', { path: this.path });
    this.root = unpickle(src, { findGlobal: torchGlobals(this.path, inert), persistentLoad: this.persistent(this.path), file: this.path });
    const keys = unpickle(src, plain);
    if (!Array.isArray(keys)) throw new GlmError('E_TORCH_CORRUPT', 'legacy checkpoint: storage key list missing', { path: this.path });
    let pos = src.pos;
    const n8 = Buffer.alloc(8);
    for (const k of keys) {
      const s = this.storages.get(String(k));
      if (!s) throw new GlmError('E_TORCH_CORRUPT', `legacy checkpoint: storage ${String(k)} is listed but never used`, { path: this.path });
      if (pos + 8 > size || fs.readSync(fd, n8, 0, 8, pos) !== 8) throw new GlmError('E_TORCH_TRUNCATED', `file ends before storage ${s.key}: the checkpoint is truncated`, { path: this.path });
      const numel = Number(n8.readBigInt64LE(0));
      if (numel !== s.numel) throw new GlmError('E_TORCH_CORRUPT', `storage ${s.key} holds ${numel} elements, its reference says ${s.numel}`, { path: this.path });
      this.legacyOffsets.set(s.key, pos + 8);
      pos += 8 + numel * TORCH_DTYPE_BYTES[s.dtype];
      if (pos > size) throw new GlmError('E_TORCH_TRUNCATED', `storage ${s.key} ends at byte ${pos} but the file has ${size}: the checkpoint is truncated`, { path: this.path });
    }
  }

  /**
   * Streams the bytes [start, end) (relative to the storage's root data) in chunks, each chunk a
   * whole number of elements.
   */
  private streamStorage(s: StorageRef, start: number, end: number, cb: (chunk: Buffer, offset: number) => void): void {
    if (this.zip) {
      this.zip.streamEntry(`${this.prefix}data/${s.key}`, cb, { start, end });
      return;
    }
    const base = this.legacyOffsets.get(s.key);
    if (base === undefined) throw new GlmError('E_TORCH_CORRUPT', `storage ${s.key} has no data`, { path: this.path });
    if (!this.scratch || this.scratch.length < Math.min(1 << 20, end - start)) this.scratch = Buffer.alloc(Math.max(8, Math.min(1 << 20, end - start)));
    const buf = this.scratch;
    for (let o = start; o < end; ) {
      const n = Math.min(buf.length, end - o);
      if (fs.readSync(this.fd!, buf, 0, n, base + o) !== n) throw new GlmError('E_TORCH_TRUNCATED', `storage ${s.key} is truncated`, { path: this.path });
      cb(buf.subarray(0, n), o);
      o += n;
    }
  }

  /**
   * Reads a floating-point tensor into `out` (length = its element count) as float32: F16 and
   * BF16 widened exactly, F64 rounded. Integer tensors give E_CHECKPOINT_DTYPE naming `name`.
   */
  readFloat32(t: TensorRef, out: Float32Array, name = 'tensor'): void {
    const dtype = t.storage.dtype;
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16' && dtype !== 'F64') {
      throw new GlmError('E_CHECKPOINT_DTYPE', `tensor ${name} is ${dtype}, expected a floating-point dtype (F32, F16, BF16)`, { path: this.path, details: { tensor: name, dtype } });
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (out.length !== numel) throw new GlmError('E_CHECKPOINT_SHAPE', `tensor ${name} has ${numel} elements, destination has ${out.length}`, { path: this.path });
    if (numel === 0) return;
    const eb = TORCH_DTYPE_BYTES[dtype];
    // Highest element touched, to check the view stays inside its storage.
    let last = t.offset;
    for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
    if (last >= t.storage.numel) {
      throw new GlmError('E_TORCH_CORRUPT', `tensor ${name} reaches element ${last} of a ${t.storage.numel}-element storage`, { path: this.path });
    }
    const base = t.storage.viewOffset + t.offset;
    const convert = converter(dtype);
    if (isContiguous(t.shape, t.stride)) {
      this.streamStorage(t.storage, base * eb, (base + numel) * eb, (chunk, off) => convert(chunk, out, off / eb - base));
      return;
    }
    // Strided view (rare in state dicts): read the spanned range, then gather.
    const span = new Float32Array(last - t.offset + 1);
    this.streamStorage(t.storage, base * eb, (base + span.length) * eb, (chunk, off) => convert(chunk, span, off / eb - base));
    const idx = new Array<number>(t.shape.length).fill(0);
    for (let i = 0; i < numel; i++) {
      let src = 0;
      for (let d = 0; d < idx.length; d++) src += idx[d]! * t.stride[d]!;
      out[i] = span[src]!;
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d]! < t.shape[d]!) break;
        idx[d] = 0;
      }
    }
  }

  close(): void {
    this.zip?.close();
    this.zip = undefined;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i]!;
  }
  return true;
}

let F16: Float32Array | undefined;
function f16Table(): Float32Array {
  if (!F16) {
    F16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16[h] = f16BitsToF32(h);
  }
  return F16;
}

/** Little-endian chunk → float32 values at out[at…]. Chunks start on element boundaries. */
function converter(dtype: 'F32' | 'F16' | 'BF16' | 'F64'): (chunk: Buffer, out: Float32Array, at: number) => void {
  switch (dtype) {
    case 'F32':
      return (c, out, at) => new Uint8Array(out.buffer, out.byteOffset + at * 4, c.length).set(c);
    case 'F16': {
      const table = f16Table();
      return (c, out, at) => {
        for (let i = 0, n = c.length >> 1; i < n; i++) out[at + i] = table[c[2 * i]! | (c[2 * i + 1]! << 8)]!;
      };
    }
    case 'BF16': {
      return (c, out, at) => {
        const u = new Uint32Array(out.buffer, out.byteOffset + at * 4, c.length >> 1);
        for (let i = 0; i < u.length; i++) u[i] = ((c[2 * i]! | (c[2 * i + 1]! << 8)) << 16) >>> 0;
      };
    }
    case 'F64':
      return (c, out, at) => {
        const v = new DataView(c.buffer, c.byteOffset, c.length);
        for (let i = 0, n = c.length >> 3; i < n; i++) out[at + i] = v.getFloat64(8 * i, true);
      };
  }
}

/**
 * The tensors of a (possibly nested) state dict, flattened to dotted names. Non-tensor leaves
 * (e.g. `_metadata`, step counters) are skipped.
 */
export function flattenTensors(v: PyValue, prefix = '', out = new Map<string, TensorRef>()): Map<string, TensorRef> {
  if (isTensorRef(v)) out.set(prefix, v);
  else if (v instanceof Map) {
    for (const [k, x] of v as PyDict) if (typeof k === 'string' || typeof k === 'number') flattenTensors(x, prefix ? `${prefix}.${k}` : String(k), out);
  }
  return out;
}
