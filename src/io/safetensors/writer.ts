/** safetensors: the streamed, atomic writer. The format and the error contract: ../safetensors.ts. */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { GlmError } from '../../util/errors.js';
import { SAFETENSORS_DTYPES, SafetensorsDType, DTYPE_BYTES, isSafetensorsDType, isFloatDType, LITTLE_ENDIAN_HOST, CHUNK_BYTES, MAX_IO_BYTES, fail, fmtBytes } from './common.js';
import { f32Scratch, u32Scratch, f32BitsToF16Bits, f32BitsToBf16Bits } from './float16.js';
import { numelOf, describeShape } from './header.js';
import { swapBytesInPlace, SafetensorsReader } from './reader.js';

/**
 * A tensor to write. Give either `data` (values, converted to `dtype`) or `raw`
 * (the exact little-endian bytes, e.g. from SafetensorsReader.readRaw).
 *  - F32/F16/BF16/F64: data is any array of numbers (Float32Array typical); F16/BF16 round to nearest even.
 *  - I32/I64/I8/U8: data must hold integers in the dtype's range (I64: safe integers).
 *  - BOOL: data holds 0/1.
 */
export interface SafetensorsTensorInput {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data?: ArrayLike<number>;
  raw?: Uint8Array;
}

export type SafetensorsTensorsInput =
  | Readonly<Record<string, SafetensorsTensorInput>>
  | ReadonlyMap<string, SafetensorsTensorInput>;

export interface PlannedTensor {
  name: string;
  input: SafetensorsTensorInput;
  numel: number;
  nbytes: number;
}

export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function planTensors(tensors: SafetensorsTensorsInput, path: string): PlannedTensor[] {
  const entries: [string, SafetensorsTensorInput][] =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafetensorsTensorInput>).entries()] : Object.entries(tensors);
  const plan: PlannedTensor[] = [];
  for (const [name, input] of entries) {
    const q = JSON.stringify(name);
    const bad = (msg: string): never => fail('E_SAFETENSORS_INVALID_TENSOR', `cannot write tensor ${q}: ${msg}`, path, { tensor: name });
    if (name === '') bad('empty tensor name');
    if (name === '__metadata__') bad('"__metadata__" is reserved');
    if (input === null || typeof input !== 'object') bad('expected {dtype, shape, data}');
    if (!isSafetensorsDType(input.dtype)) bad(`unsupported dtype ${JSON.stringify(input.dtype)} (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
    if (!Array.isArray(input.shape) || !input.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`invalid shape ${JSON.stringify(input.shape)} (must be an array of non-negative integers)`);
    }
    const numel = numelOf(input.shape);
    const nbytes = numel * DTYPE_BYTES[input.dtype];
    if (!Number.isSafeInteger(nbytes)) bad(`shape ${describeShape(input.shape)} is too large`);
    if ((input.data === undefined) === (input.raw === undefined)) bad('give exactly one of `data` or `raw`');
    if (input.raw !== undefined) {
      if (!(input.raw instanceof Uint8Array)) bad('`raw` must be a Uint8Array');
      if (input.raw.byteLength !== nbytes) {
        bad(`raw has ${fmtBytes(input.raw.byteLength)}, ${input.dtype} ${describeShape(input.shape)} needs ${fmtBytes(nbytes)}`);
      }
    } else if (input.data!.length !== numel) {
      bad(`data has ${input.data!.length} elements, shape ${describeShape(input.shape)} needs ${numel}`);
    }
    plan.push({ name, input, numel, nbytes });
  }
  plan.sort((a, b) => compareUtf8(a.name, b.name));
  return plan;
}

export function buildHeader(plan: PlannedTensor[], metadata: Readonly<Record<string, string>> | undefined, path: string): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        fail('E_SAFETENSORS_INVALID_TENSOR', `metadata value for key ${JSON.stringify(k)} must be a string, got ${typeof v}`, path);
      }
    }
    const m = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${m.join(',')}}`);
  }
  let offset = 0;
  for (const t of plan) {
    const entry = { dtype: t.input.dtype, shape: [...t.input.shape], data_offsets: [offset, offset + t.nbytes] };
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify(entry)}`);
    offset += t.nbytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const pad = (8 - (json.length % 8)) % 8; // data section starts on an 8-byte boundary (prefix is 8 bytes)
  const out = new Uint8Array(8 + json.length + pad);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length + pad), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length);
  return out;
}

export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = fs.writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, MAX_IO_BYTES));
    done += n;
  }
}

export function intRange(dtype: SafetensorsDType): [number, number] {
  switch (dtype) {
    case 'I32':
      return [-2147483648, 2147483647];
    case 'I8':
      return [-128, 127];
    case 'U8':
      return [0, 255];
    case 'BOOL':
      return [0, 1];
    default:
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  }
}

export function writeTensorData(fd: number, t: PlannedTensor, scratch: Uint8Array, path: string): void {
  const { input } = t;
  if (input.raw !== undefined) {
    writeFully(fd, input.raw);
    return;
  }
  const data = input.data!;
  const dtype = input.dtype;
  // Fast path: the caller's memory already has the on-disk layout.
  if (
    LITTLE_ENDIAN_HOST &&
    ((dtype === 'F32' && data instanceof Float32Array) ||
      (dtype === 'F64' && data instanceof Float64Array) ||
      (dtype === 'U8' && data instanceof Uint8Array))
  ) {
    writeFully(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  const size = DTYPE_BYTES[dtype];
  const perChunk = Math.floor(scratch.byteLength / size);
  const isInt = !isFloatDType(dtype);
  const [lo, hi] = intRange(dtype);
  const trustedI32 = data instanceof Int32Array && (dtype === 'I32' || dtype === 'I64');
  for (let start = 0; start < t.numel; start += perChunk) {
    const count = Math.min(perChunk, t.numel - start);
    if (isInt && !trustedI32) {
      for (let i = 0; i < count; i++) {
        const v = data[start + i]!;
        if (!Number.isInteger(v) || v < lo || v > hi) {
          fail(
            'E_SAFETENSORS_INVALID_TENSOR',
            `cannot write tensor ${JSON.stringify(t.name)}: element ${start + i} = ${v} is not a valid ${dtype} value (integer in [${lo}, ${hi}])`,
            path,
            { tensor: t.name, index: start + i },
          );
        }
      }
    }
    switch (dtype) {
      case 'F32': {
        const dst = new Float32Array(scratch.buffer, 0, count);
        for (let i = 0; i < count; i++) dst[i] = data[start + i]!;
        break;
      }
      case 'F64': {
        const dst = new Float64Array(scratch.buffer, 0, count);
        for (let i = 0; i < count; i++) dst[i] = data[start + i]!;
        break;
      }
      case 'F16':
      case 'BF16': {
        const conv = dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
        const dst = new Uint16Array(scratch.buffer, 0, count);
        if (data instanceof Float32Array) {
          const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
          for (let i = 0; i < count; i++) dst[i] = conv(bits[start + i]!);
        } else {
          for (let i = 0; i < count; i++) {
            f32Scratch[0] = data[start + i]!;
            dst[i] = conv(u32Scratch[0]!);
          }
        }
        break;
      }
      case 'I32': {
        const dst = new Int32Array(scratch.buffer, 0, count);
        for (let i = 0; i < count; i++) dst[i] = data[start + i]!;
        break;
      }
      case 'I64': {
        const dst = new Int32Array(scratch.buffer, 0, count * 2);
        for (let i = 0; i < count; i++) {
          const v = data[start + i]!;
          const high = Math.floor(v / 4294967296);
          dst[2 * i] = v - high * 4294967296; // low 32 bits (ToInt32 wraps)
          dst[2 * i + 1] = high;
        }
        break;
      }
      case 'I8': {
        const dst = new Int8Array(scratch.buffer, 0, count);
        for (let i = 0; i < count; i++) dst[i] = data[start + i]!;
        break;
      }
      case 'U8':
      case 'BOOL': {
        for (let i = 0; i < count; i++) scratch[i] = data[start + i]!;
        break;
      }
    }
    const view = scratch.subarray(0, count * size);
    if (!LITTLE_ENDIAN_HOST) swapBytesInPlace(view, size);
    writeFully(fd, view);
  }
}

export function fsyncDirBestEffort(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported on every platform / filesystem (e.g. Windows); the rename already happened
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // ignore
      }
    }
  }
}

/**
 * Write tensors to `path` in the safetensors format: sorted by name, header padded
 * with spaces so the data section starts on an 8-byte boundary, each tensor streamed
 * to disk in turn (no whole-file buffer). Atomic: writes `path.tmp-<pid>`, fsyncs,
 * renames over `path`, then fsyncs the directory where possible. Input validation
 * errors are E_SAFETENSORS_INVALID_TENSOR; I/O errors E_SAFETENSORS_WRITE_FAILED.
 */
export function writeSafetensors(
  path: string,
  tensors: SafetensorsTensorsInput,
  metadata?: Readonly<Record<string, string>>,
): void {
  const plan = planTensors(tensors, path);
  const header = buildHeader(plan, metadata, path);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    writeFully(fd, header);
    const scratch = new Uint8Array(CHUNK_BYTES);
    for (const t of plan) writeTensorData(fd, t, scratch, path);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // ignore
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // ignore: may not exist
    }
    if (e instanceof GlmError) throw e;
    fail('E_SAFETENSORS_WRITE_FAILED', `cannot write safetensors file: ${(e as Error).message}`, path, undefined, e);
  }
  fsyncDirBestEffort(nodePath.dirname(nodePath.resolve(path)));
}
