/**
 * safetensors reader / writer.
 *
 * File layout: u64 little-endian header length N, N bytes of UTF-8 JSON
 * (tensor name -> {dtype, shape, data_offsets: [begin, end]}, plus an optional
 * "__metadata__": {string: string}), then the data section. Offsets are relative
 * to the start of the data section (byte 8 + N).
 *
 * Reading is streamed: the header is validated on open, then each tensor is read
 * with fs.readSync at its own offset (never the whole file). Writing streams each
 * tensor to a temporary file that is fsynced and renamed into place.
 *
 * All failures caused by bad input are `GlmError`s with an `E_SAFETENSORS_*` code
 * (see SafetensorsErrorCode).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { GlmError } from '../util/errors.js';

// ---------------------------------------------------------------------------
// dtypes
// ---------------------------------------------------------------------------

/** dtypes glm-ts can read and write. */
export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I8', 'U8', 'BOOL'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];
export type FloatDType = 'F64' | 'F32' | 'F16' | 'BF16';
export type IntDType = 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
  BOOL: 1,
});

/** dtypes defined by the safetensors format that glm-ts does not handle. */
const SPEC_ONLY_DTYPES = new Set([
  'I16', 'U16', 'U32', 'U64', 'C64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4',
]);

export function isSafetensorsDType(x: unknown): x is SafetensorsDType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, x);
}

export function isFloatDType(d: SafetensorsDType): d is FloatDType {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Error codes raised by this module (GlmError.code). */
export type SafetensorsErrorCode =
  | 'E_SAFETENSORS_FILE_NOT_FOUND'
  | 'E_SAFETENSORS_NOT_A_FILE'
  | 'E_SAFETENSORS_IO'
  | 'E_SAFETENSORS_TOO_SMALL'
  | 'E_SAFETENSORS_HEADER_BEYOND_FILE'
  | 'E_SAFETENSORS_HEADER_TOO_LARGE'
  | 'E_SAFETENSORS_BAD_JSON'
  | 'E_SAFETENSORS_BAD_HEADER'
  | 'E_SAFETENSORS_UNKNOWN_DTYPE'
  | 'E_SAFETENSORS_BAD_SHAPE'
  | 'E_SAFETENSORS_OFFSET_MISMATCH'
  | 'E_SAFETENSORS_OVERLAP'
  | 'E_SAFETENSORS_TRUNCATED'
  | 'E_SAFETENSORS_TRAILING_DATA'
  | 'E_SAFETENSORS_TENSOR_NOT_FOUND'
  | 'E_SAFETENSORS_DTYPE_MISMATCH'
  | 'E_SAFETENSORS_SHAPE_MISMATCH'
  | 'E_SAFETENSORS_INT_RANGE'
  | 'E_SAFETENSORS_CLOSED'
  | 'E_SAFETENSORS_INVALID_TENSOR'
  | 'E_SAFETENSORS_WRITE_FAILED';

/** Largest header accepted on read (100 MB, same bound as the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
/** Size of the scratch buffer used for converting reads / encoding writes (multiple of 8). */
const CHUNK_BYTES = 1 << 20;
/** fs.readSync / writeSync accept at most ~2 GiB per call. */
const MAX_IO_BYTES = 1 << 30;

function fail(
  code: SafetensorsErrorCode,
  message: string,
  path: string | undefined,
  details?: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new GlmError(code, message, { path, details, cause });
}

/** obj[key] = value, safe for keys such as "__proto__". */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function fmtBytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}

// ---------------------------------------------------------------------------
// scalar conversions (exported for reuse)
// ---------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bits -> binary32 bits (exact; handles subnormals, inf, NaN payloads). */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal
  if (mant === 0) return sign >>> 0; // +-0
  // subnormal: value = mant * 2^-24; normalise into a binary32 normal number.
  let e = 113; // biased f32 exponent for 2^-14, before normalising
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

let F16_TABLE: Uint32Array | undefined;
function f16Table(): Uint32Array {
  if (F16_TABLE === undefined) {
    F16_TABLE = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16BitsToF32Bits(h);
  }
  return F16_TABLE;
}

/** Decode IEEE binary16 bits to a number. */
export function f16BitsToF32(h: number): number {
  u32Scratch[0] = f16BitsToF32Bits(h & 0xffff);
  return f32Scratch[0]!;
}

/** Decode bfloat16 bits to a number. */
export function bf16BitsToF32(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** binary32 bits -> binary16 bits, round-to-nearest-even; overflow -> inf, NaN stays NaN. */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // inf, or NaN: keep the top payload bits and force a quiet NaN so it never becomes inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const he = exp - 112; // binary16 biased exponent
  if (he >= 0x1f) return sign | 0x7c00; // too large: inf
  if (he <= 0) {
    // result is subnormal (or zero) in binary16
    if (he < -10) return sign; // below half the smallest subnormal: +-0
    const m = mant | 0x800000; // 24-bit significand (exp > 0 here, so the implicit bit is set)
    const shift = 14 - he; // 14..24
    let hm = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (hm & 1) === 1)) hm++; // may carry into the smallest normal: correct
    return sign | hm;
  }
  let r = sign | (he << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r++; // carry may reach inf: correct
  return r;
}

/** binary32 bits -> bfloat16 bits, round-to-nearest-even; NaN stays NaN. */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encode a number (rounded to float32 first) as IEEE binary16 bits, round-to-nearest-even. */
export function f32ToF16Bits(v: number): number {
  f32Scratch[0] = v;
  return f32BitsToF16Bits(u32Scratch[0]!);
}

/** Encode a number (rounded to float32 first) as bfloat16 bits, round-to-nearest-even. */
export function f32ToBf16Bits(v: number): number {
  f32Scratch[0] = v;
  return f32BitsToBf16Bits(u32Scratch[0]!);
}

// ---------------------------------------------------------------------------
// header
// ---------------------------------------------------------------------------

export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Number of elements (1 for a 0-d scalar). */
  readonly numel: number;
  /** Byte range [begin, end) relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly path: string;
  /** The `__metadata__` entry ({} when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file (data offset) order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  /** N, the JSON header length in bytes (including padding). */
  readonly headerLength: number;
  /** Absolute file offset of the data section (8 + N). */
  readonly dataStart: number;
  readonly fileSize: number;
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describeShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

function openForRead(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail('E_SAFETENSORS_FILE_NOT_FOUND', 'no such file', path, undefined, e);
    if (code === 'EISDIR') fail('E_SAFETENSORS_NOT_A_FILE', 'is a directory, not a safetensors file', path, undefined, e);
    fail('E_SAFETENSORS_IO', `cannot open: ${(e as Error).message}`, path, undefined, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fail('E_SAFETENSORS_NOT_A_FILE', st.isDirectory() ? 'is a directory, not a safetensors file' : 'not a regular file', path);
    }
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Read exactly dst.byteLength bytes at absolute file position `pos`. */
function readExactly(fd: number, dst: Uint8Array, pos: number, path: string): void {
  let done = 0;
  while (done < dst.byteLength) {
    const want = Math.min(dst.byteLength - done, MAX_IO_BYTES);
    let n: number;
    try {
      n = fs.readSync(fd, dst, done, want, pos + done);
    } catch (e) {
      fail('E_SAFETENSORS_IO', `read failed at offset ${pos + done}: ${(e as Error).message}`, path, undefined, e);
    }
    if (n === 0) {
      fail(
        'E_SAFETENSORS_TRUNCATED',
        `unexpected end of file at offset ${pos + done} (needed ${fmtBytes(dst.byteLength - done)} more; was the file modified while open?)`,
        path,
        { offset: pos + done },
      );
    }
    done += n;
  }
}

function readHeaderFromFd(fd: number, fileSize: number, path: string): SafetensorsHeader {
  if (fileSize < 8) {
    fail('E_SAFETENSORS_TOO_SMALL', `file is ${fmtBytes(fileSize)}, too small to be safetensors (needs at least 8 bytes)`, path, {
      fileSize,
    });
  }
  const lenBuf = new Uint8Array(8);
  readExactly(fd, lenBuf, 0, path);
  const n64 = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n64 > BigInt(fileSize - 8)) {
    fail(
      'E_SAFETENSORS_HEADER_BEYOND_FILE',
      `header length ${n64} exceeds the ${fmtBytes(fileSize - 8)} available after the 8-byte prefix ` +
        `(file size ${fmtBytes(fileSize)}); the file is truncated or not a safetensors file`,
      path,
      { headerLength: n64.toString(), fileSize },
    );
  }
  const headerLength = Number(n64);
  if (headerLength > MAX_HEADER_BYTES) {
    fail('E_SAFETENSORS_HEADER_TOO_LARGE', `header length ${fmtBytes(headerLength)} exceeds the ${fmtBytes(MAX_HEADER_BYTES)} limit`, path, {
      headerLength,
    });
  }
  const headerBytes = new Uint8Array(headerLength);
  readExactly(fd, headerBytes, 8, path);
  return parseSafetensorsHeader(headerBytes, fileSize, path);
}

/**
 * Validate a header given its raw JSON bytes and the total file size. Exposed for
 * callers that obtained the bytes some other way; most callers want readSafetensorsHeader.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, path = '<memory>'): SafetensorsHeader {
  const headerLength = headerBytes.byteLength;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (e) {
    fail('E_SAFETENSORS_BAD_JSON', 'header is not valid UTF-8', path, undefined, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const preview = text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');
    fail('E_SAFETENSORS_BAD_JSON', `header is not valid JSON (${(e as Error).message}); starts with ${JSON.stringify(preview)}`, path, undefined, e);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    fail('E_SAFETENSORS_BAD_JSON', `header JSON must be an object, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`, path);
  }

  const metadata: Record<string, string> = {};
  const infos: SafetensorsTensorInfo[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        fail('E_SAFETENSORS_BAD_HEADER', '"__metadata__" must be an object of string -> string', path);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          fail('E_SAFETENSORS_BAD_HEADER', `"__metadata__" value for key ${JSON.stringify(k)} must be a string, got ${typeof v}`, path);
        }
        setOwn(metadata, k, v);
      }
      continue;
    }
    infos.push(validateEntry(name, raw, path));
  }

  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;

  // Overlap check on the tensors that occupy bytes, in offset order.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev: SafetensorsTensorInfo | undefined;
  let maxEnd = 0;
  for (const t of infos) {
    if (t.end > maxEnd) maxEnd = t.end;
    if (t.end === t.begin) continue;
    if (prev !== undefined && t.begin < prev.end) {
      fail(
        'E_SAFETENSORS_OVERLAP',
        `tensors ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end}) and ${JSON.stringify(t.name)} [${t.begin}, ${t.end}) overlap`,
        path,
        { a: prev.name, b: t.name },
      );
    }
    prev = t;
  }

  if (dataLength < maxEnd) {
    const last = infos.find((t) => t.end === maxEnd);
    fail(
      'E_SAFETENSORS_TRUNCATED',
      `file is truncated: header describes ${fmtBytes(maxEnd)} of tensor data (file size should be ${fmtBytes(dataStart + maxEnd)}), ` +
        `but the file is ${fmtBytes(fileSize)} (${fmtBytes(dataLength)} of data)` +
        (last !== undefined ? `; tensor ${JSON.stringify(last.name)} ends at data offset ${maxEnd}` : ''),
      path,
      { expectedFileSize: dataStart + maxEnd, actualFileSize: fileSize, expectedDataBytes: maxEnd, actualDataBytes: dataLength },
    );
  }
  if (dataLength > maxEnd) {
    fail(
      'E_SAFETENSORS_TRAILING_DATA',
      `data section is ${fmtBytes(dataLength)} but the tensors only cover ${fmtBytes(maxEnd)} ` +
        `(file size ${fmtBytes(fileSize)}, expected ${fmtBytes(dataStart + maxEnd)})`,
      path,
      { expectedFileSize: dataStart + maxEnd, actualFileSize: fileSize },
    );
  }

  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const t of infos) tensors.set(t.name, t);
  return { path, metadata, tensors, headerLength, dataStart, fileSize };
}

function validateEntry(name: string, raw: unknown, path: string): SafetensorsTensorInfo {
  const q = JSON.stringify(name);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('E_SAFETENSORS_BAD_HEADER', `entry for tensor ${q} must be an object {dtype, shape, data_offsets}`, path, { tensor: name });
  }
  const e = raw as Record<string, unknown>;
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!(key in e)) fail('E_SAFETENSORS_BAD_HEADER', `tensor ${q} is missing "${key}"`, path, { tensor: name });
  }
  const dtype = e['dtype'];
  if (!isSafetensorsDType(dtype)) {
    const what = typeof dtype === 'string' ? JSON.stringify(dtype) : `a ${typeof dtype}`;
    const why =
      typeof dtype === 'string' && SPEC_ONLY_DTYPES.has(dtype)
        ? 'is a safetensors dtype that glm-ts does not support'
        : 'is not a known dtype';
    fail('E_SAFETENSORS_UNKNOWN_DTYPE', `tensor ${q} has dtype ${what}, which ${why} (supported: ${SAFETENSORS_DTYPES.join(', ')})`, path, {
      tensor: name,
      dtype,
    });
  }
  const shape = e['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(
      'E_SAFETENSORS_BAD_SHAPE',
      `tensor ${q} has invalid shape ${JSON.stringify(shape)} (must be an array of non-negative integers)`,
      path,
      { tensor: name },
    );
  }
  const dims = shape as number[];
  const numel = numelOf(dims);
  const nbytes = numel * DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(nbytes)) {
    fail('E_SAFETENSORS_BAD_SHAPE', `tensor ${q} shape ${describeShape(dims)} is too large`, path, { tensor: name });
  }
  const offs = e['data_offsets'];
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
    fail(
      'E_SAFETENSORS_OFFSET_MISMATCH',
      `tensor ${q} has invalid data_offsets ${JSON.stringify(offs)} (must be [begin, end] non-negative integers)`,
      path,
      { tensor: name },
    );
  }
  const [begin, end] = offs as [number, number];
  if (end < begin) {
    fail('E_SAFETENSORS_OFFSET_MISMATCH', `tensor ${q} has data_offsets [${begin}, ${end}] with end < begin`, path, { tensor: name });
  }
  if (end - begin !== nbytes) {
    fail(
      'E_SAFETENSORS_OFFSET_MISMATCH',
      `tensor ${q} (${dtype} ${describeShape(dims)}) needs ${fmtBytes(nbytes)} but data_offsets [${begin}, ${end}] span ${fmtBytes(end - begin)}`,
      path,
      { tensor: name, expectedBytes: nbytes, actualBytes: end - begin },
    );
  }
  return { name, dtype, shape: Object.freeze(dims.slice()), numel, begin, end };
}

/** Open `path`, read and strictly validate only its header. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const { fd, size } = openForRead(path);
  try {
    return readHeaderFromFd(fd, size, path);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// reader
// ---------------------------------------------------------------------------

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

function swapBytesInPlace(u8: Uint8Array, elemBytes: number): void {
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

// ---------------------------------------------------------------------------
// writer
// ---------------------------------------------------------------------------

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

interface PlannedTensor {
  name: string;
  input: SafetensorsTensorInput;
  numel: number;
  nbytes: number;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function planTensors(tensors: SafetensorsTensorsInput, path: string): PlannedTensor[] {
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

function buildHeader(plan: PlannedTensor[], metadata: Readonly<Record<string, string>> | undefined, path: string): Uint8Array {
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

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = fs.writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, MAX_IO_BYTES));
    done += n;
  }
}

function intRange(dtype: SafetensorsDType): [number, number] {
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

function writeTensorData(fd: number, t: PlannedTensor, scratch: Uint8Array, path: string): void {
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

function fsyncDirBestEffort(dir: string): void {
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
