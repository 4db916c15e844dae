/** safetensors: the header: parsing and strict validation, and reading it from a file. The format and the error contract: ../safetensors.ts. */
import * as fs from 'node:fs';
import { SAFETENSORS_DTYPES, SafetensorsDType, DTYPE_BYTES, SPEC_ONLY_DTYPES, isSafetensorsDType, MAX_HEADER_BYTES, MAX_IO_BYTES, fail, setOwn, fmtBytes } from './common.js';

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

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function describeShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

export function openForRead(path: string): { fd: number; size: number } {
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
export function readExactly(fd: number, dst: Uint8Array, pos: number, path: string): void {
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

export function readHeaderFromFd(fd: number, fileSize: number, path: string): SafetensorsHeader {
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

export function validateEntry(name: string, raw: unknown, path: string): SafetensorsTensorInfo {
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
