/** safetensors: dtypes, error codes and the I/O helpers the reader and writer share. The format and the error contract: ../safetensors.ts. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { GlmError } from '../../util/errors.js';

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
export const SPEC_ONLY_DTYPES = new Set([
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

export const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
/** Size of the scratch buffer used for converting reads / encoding writes (multiple of 8). */
export const CHUNK_BYTES = 1 << 20;
/** fs.readSync / writeSync accept at most ~2 GiB per call. */
export const MAX_IO_BYTES = 1 << 30;

export function fail(
  code: SafetensorsErrorCode,
  message: string,
  path: string | undefined,
  details?: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new GlmError(code, message, { path, details, cause });
}

/** obj[key] = value, safe for keys such as "__proto__". */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function fmtBytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}
