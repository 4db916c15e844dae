/** safetensors: the streamed reader. The format and the error contract: ../safetensors.ts. */
import * as fs from 'node:fs';
import { GlmError } from '../../util/errors.js';
import { DTYPE_BYTES, isFloatDType, LITTLE_ENDIAN_HOST, CHUNK_BYTES, fail, setOwn } from './common.js';
import { f16Table } from './float16.js';
import { SafetensorsTensorInfo, SafetensorsHeader, describeShape, openForRead, readExactly, readHeaderFromFd } from './header.js';

/** A tensor as returned by read(): the array type follows the stored dtype. */
export type SafetensorsTensor =
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'I32' | 'I64'; shape: number[]; data: Int32Array }
  | { dtype: 'U8' | 'BOOL'; shape: number[]; data: Uint8Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array };

export interface ReadOptions<T> {
  /** Destination array (length must equal the tensor's element count); allocated when absent. */
  out?: T;
  /** When given, the stored shape must equal it (else E_SAFETENSORS_SHAPE_MISMATCH). */
  shape?: readonly number[];
}

export function swapBytesInPlace(u8: Uint8Array, elemBytes: number): void {
  if (elemBytes === 1) return;
  for (let i = 0; i + elemBytes <= u8.length; i += elemBytes) {
    for (let a = i, b = i + elemBytes - 1; a < b; a++, b--) {
      const t = u8[a]!;
      u8[a] = u8[b]!;
      u8[b] = t;
    }
  }
}

/**
 * Streamed reader: the header is validated on open, each read* call reads one tensor
 * with positioned reads. Call close() when done (or use withSafetensors / readAll).
 */
export class SafetensorsReader {
  readonly header: SafetensorsHeader;
  private fd: number | undefined;
  private scratch: Uint8Array | undefined;

  private constructor(fd: number, header: SafetensorsHeader) {
    this.fd = fd;
    this.header = header;
  }

  /** Open and validate a safetensors file (throws GlmError on any problem). */
  static open(path: string): SafetensorsReader {
    const { fd, size } = openForRead(path);
    try {
      return new SafetensorsReader(fd, readHeaderFromFd(fd, size, path));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  get path(): string {
    return this.header.path;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** Header entry for `name` (throws E_SAFETENSORS_TENSOR_NOT_FOUND). */
  info(name: string): SafetensorsTensorInfo {
    const t = this.header.tensors.get(name);
    if (t === undefined) {
      const names = this.names();
      const leaf = name.slice(name.lastIndexOf('.') + 1);
      const similar = names.filter(
        (n) => n.includes(name) || name.endsWith(n) || (leaf !== '' && (n === leaf || n.endsWith('.' + leaf))),
      );
      const shown = (similar.length > 0 ? similar : names).slice(0, 5);
      const more = (similar.length > 0 ? similar : names).length - shown.length;
      const list = shown.map((n) => JSON.stringify(n)).join(', ') + (more > 0 ? `, ... (${more} more)` : '');
      fail(
        'E_SAFETENSORS_TENSOR_NOT_FOUND',
        names.length === 0
          ? `tensor ${JSON.stringify(name)} not found: the file has no tensors`
          : `tensor ${JSON.stringify(name)} not found among ${names.length} tensors; ${similar.length > 0 ? 'similar' : 'available'}: ${list}`,
        this.path,
        { tensor: name, available: names.slice(0, 20) },
      );
    }
    return t;
  }

  /** Close the file descriptor. Idempotent. */
  close(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      this.scratch = undefined;
      fs.closeSync(fd);
    }
  }

  /** The exact stored bytes (little-endian) of one tensor, in a fresh buffer. */
  readRaw(name: string): Uint8Array {
    const t = this.info(name);
    const out = new Uint8Array(t.end - t.begin);
    readExactly(this.requireFd(), out, this.header.dataStart + t.begin, this.path);
    return out;
  }

  /** Read one tensor in its natural array type (see SafetensorsTensor). */
  read(name: string): SafetensorsTensor {
    const t = this.info(name);
    const shape = t.shape.slice();
    switch (t.dtype) {
      case 'F32':
      case 'F16':
      case 'BF16':
        return { dtype: t.dtype, shape, data: this.readFloat32(name) };
      case 'F64': {
        const data = new Float64Array(t.numel);
        this.readDirect(t, new Uint8Array(data.buffer));
        return { dtype: t.dtype, shape, data };
      }
      case 'I32':
      case 'I64':
        return { dtype: t.dtype, shape, data: this.readInt32(name) };
      case 'U8':
      case 'BOOL': {
        const data = new Uint8Array(t.numel);
        this.readDirect(t, data);
        return { dtype: t.dtype, shape, data };
      }
      case 'I8': {
        const data = new Int8Array(t.numel);
        this.readDirect(t, new Uint8Array(data.buffer));
        return { dtype: t.dtype, shape, data };
      }
    }
  }

  /**
   * Read a floating-point tensor (F32, F16, BF16, F64) as Float32Array. F16/BF16 are
   * widened exactly; F64 is rounded to nearest float32. Integer tensors are rejected.
   */
  readFloat32(name: string, options: ReadOptions<Float32Array> = {}): Float32Array {
    const t = this.info(name);
    if (!isFloatDType(t.dtype)) {
      fail('E_SAFETENSORS_DTYPE_MISMATCH', `tensor ${JSON.stringify(name)} is ${t.dtype}, expected a float dtype (F32/F16/BF16/F64)`, this.path, {
        tensor: name,
        dtype: t.dtype,
      });
    }
    this.checkShape(t, options.shape);
    const out = this.prepareOut(t, options.out, Float32Array);
    const outU32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
    switch (t.dtype) {
      case 'F32':
        this.readDirect(t, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
        break;
      case 'F16': {
        const table = f16Table();
        this.forEachChunk(t, (chunk, start, count) => {
          const src = new Uint16Array(chunk.buffer, 0, count);
          for (let i = 0; i < count; i++) outU32[start + i] = table[src[i]!]!;
        });
        break;
      }
      case 'BF16':
        this.forEachChunk(t, (chunk, start, count) => {
          const src = new Uint16Array(chunk.buffer, 0, count);
          for (let i = 0; i < count; i++) outU32[start + i] = src[i]! << 16;
        });
        break;
      case 'F64':
        this.forEachChunk(t, (chunk, start, count) => {
          const src = new Float64Array(chunk.buffer, 0, count);
          for (let i = 0; i < count; i++) out[start + i] = src[i]!;
        });
        break;
    }
    return out;
  }

  /**
   * Read an integer tensor (I32, I64, I8, U8, BOOL) as Int32Array. I64 values must fit
   * in int32, else E_SAFETENSORS_INT_RANGE naming the tensor and element. Float
   * tensors are rejected.
   */
  readInt32(name: string, options: ReadOptions<Int32Array> = {}): Int32Array {
    const t = this.info(name);
    if (isFloatDType(t.dtype)) {
      fail('E_SAFETENSORS_DTYPE_MISMATCH', `tensor ${JSON.stringify(name)} is ${t.dtype}, expected an integer dtype (I32/I64/I8/U8/BOOL)`, this.path, {
        tensor: name,
        dtype: t.dtype,
      });
    }
    this.checkShape(t, options.shape);
    const out = this.prepareOut(t, options.out, Int32Array);
    switch (t.dtype) {
      case 'I32':
        this.readDirect(t, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
        break;
      case 'I64':
        this.forEachChunk(t, (chunk, start, count) => {
          const src = new Int32Array(chunk.buffer, 0, count * 2);
          for (let i = 0; i < count; i++) {
            const lo = src[2 * i]!;
            const hi = src[2 * i + 1]!;
            if (hi !== lo >> 31) {
              const value = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
              fail(
                'E_SAFETENSORS_INT_RANGE',
                `tensor ${JSON.stringify(name)} (I64) element ${start + i} = ${value} does not fit in int32`,
                this.path,
                { tensor: name, index: start + i, value: value.toString() },
              );
            }
            out[start + i] = lo;
          }
        });
        break;
      case 'I8':
        this.forEachChunk(t, (chunk, start, count) => {
          const src = new Int8Array(chunk.buffer, 0, count);
          for (let i = 0; i < count; i++) out[start + i] = src[i]!;
        });
        break;
      case 'U8':
      case 'BOOL':
        this.forEachChunk(t, (chunk, start, count) => {
          for (let i = 0; i < count; i++) out[start + i] = chunk[i]!;
        });
        break;
    }
    return out;
  }

  private requireFd(): number {
    if (this.fd === undefined) fail('E_SAFETENSORS_CLOSED', 'reader is closed', this.path);
    return this.fd;
  }

  private checkShape(t: SafetensorsTensorInfo, expected: readonly number[] | undefined): void {
    if (expected === undefined) return;
    if (expected.length !== t.shape.length || expected.some((d, i) => d !== t.shape[i])) {
      fail(
        'E_SAFETENSORS_SHAPE_MISMATCH',
        `tensor ${JSON.stringify(t.name)} has shape ${describeShape(t.shape)}, expected ${describeShape(expected)}`,
        this.path,
        { tensor: t.name, shape: t.shape.slice(), expected: expected.slice() },
      );
    }
  }

  private prepareOut<T extends Float32Array | Int32Array>(
    t: SafetensorsTensorInfo,
    out: T | undefined,
    ctor: new (n: number) => T,
  ): T {
    if (out === undefined) return new ctor(t.numel);
    if (out.length !== t.numel) {
      fail(
        'E_SAFETENSORS_SHAPE_MISMATCH',
        `output array for tensor ${JSON.stringify(t.name)} has ${out.length} elements, tensor has ${t.numel} (${describeShape(t.shape)})`,
        this.path,
        { tensor: t.name },
      );
    }
    return out;
  }

  /** Read the tensor's bytes straight into `dst` (same element size), byte-swapping on BE hosts. */
  private readDirect(t: SafetensorsTensorInfo, dst: Uint8Array): void {
    readExactly(this.requireFd(), dst, this.header.dataStart + t.begin, this.path);
    if (!LITTLE_ENDIAN_HOST) swapBytesInPlace(dst, DTYPE_BYTES[t.dtype]);
  }

  /**
   * Read the tensor in chunks into a reusable scratch buffer (host byte order,
   * aligned at offset 0 of its ArrayBuffer): cb(chunk, firstElement, elementCount).
   */
  private forEachChunk(t: SafetensorsTensorInfo, cb: (chunk: Uint8Array, start: number, count: number) => void): void {
    const fd = this.requireFd();
    const size = DTYPE_BYTES[t.dtype];
    if (this.scratch === undefined) this.scratch = new Uint8Array(CHUNK_BYTES);
    const scratch = this.scratch;
    const perChunk = Math.floor(CHUNK_BYTES / size);
    for (let start = 0; start < t.numel; start += perChunk) {
      const count = Math.min(perChunk, t.numel - start);
      const view = scratch.subarray(0, count * size);
      readExactly(fd, view, this.header.dataStart + t.begin + start * size, this.path);
      if (!LITTLE_ENDIAN_HOST) swapBytesInPlace(view, size);
      cb(scratch, start, count);
    }
  }
}

/** Open `path`, run fn with the reader, always close. */
export function withSafetensors<T>(path: string, fn: (reader: SafetensorsReader) => T): T {
  const r = SafetensorsReader.open(path);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

/** Read one tensor from `path` in its natural array type. */
export function readSafetensorsTensor(path: string, name: string): SafetensorsTensor {
  return withSafetensors(path, (r) => r.read(name));
}

/** Read every tensor of `path` (one at a time) into a record name -> {dtype, shape, data}. */
export function readAll(path: string): Record<string, SafetensorsTensor> {
  return withSafetensors(path, (r) => {
    const out: Record<string, SafetensorsTensor> = {};
    for (const name of r.names()) setOwn(out, name, r.read(name));
    return out;
  });
}
