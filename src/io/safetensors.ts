/**
 * safetensors reader / writer (this file lists the public API; the code is split by job under
 * ./safetensors/: common (dtypes, error codes), float16, header, reader, writer).
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
export { DTYPE_BYTES, FloatDType, IntDType, MAX_HEADER_BYTES, SAFETENSORS_DTYPES, SafetensorsDType, SafetensorsErrorCode, isFloatDType, isSafetensorsDType } from './safetensors/common.js';
export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './safetensors/float16.js';
export { SafetensorsHeader, SafetensorsTensorInfo, parseSafetensorsHeader, readSafetensorsHeader } from './safetensors/header.js';
export { ReadOptions, SafetensorsReader, SafetensorsTensor, readAll, readSafetensorsTensor, withSafetensors } from './safetensors/reader.js';
export { SafetensorsTensorInput, SafetensorsTensorsInput, writeSafetensors } from './safetensors/writer.js';
