/**
 * Low-precision inference: bf16 or int8 copies of the weight matrices that GLM multiplies by
 * (QKV, attention output, both MLP layers, and the tied word embedding as the LM head).
 *
 * Decoding one token at batch 1 reads every weight once, so its speed is set by memory
 * bandwidth: 2 bytes per weight (bf16) or 1 byte plus a per-row scale (int8) instead of 4; those
 * products keep float32 activations (weight-only). Products over many rows (prefill, scoring)
 * are compute-bound: with bf16, products of ≥ QUANT_ROUND_ROWS rows also round the activations
 * to bf16 and run on the AMX tile units where the CPU has them (the same rounding applies on
 * every backend and CPU); int8 expands its weights to float32 blocks for sgemm.
 *
 * The float32 parameters are kept (training and checkpoints use them); the copies are a
 * snapshot, so call GLMModel.quantize() again after the weights change.
 *
 * Accuracy (measured by src/model/quant.test.ts, on GLMModel.quantize()): int8 rounds each weight to within half a step
 * of its row's max |w| / 127, bf16 to a relative 2^-9; the test bounds the resulting logit
 * differences and checks that greedy choices and cloze rankings do not change.
 */
import { backend } from '../../backend/index.js';
import { type GeluKind, type QuantData, type QuantFormat, QUANT_BF16, QUANT_INT8, quantDataLength } from '../../backend/backend.js';
import { GlmError } from '../../util/errors.js';
import { Tensor, shapeStr } from '../tensor.js';
import { allocOutput } from './arena.js';

export type QuantKind = 'bf16' | 'int8';
export const QUANT_KINDS: readonly QuantKind[] = ['bf16', 'int8'];

/** A weight matrix W [rows = out, cols = in] in a low-precision format. */
export interface QuantizedMatrix {
  readonly kind: QuantKind;
  readonly format: QuantFormat;
  readonly rows: number;
  readonly cols: number;
  /** bf16 bit patterns (Uint16Array, AMX/VNNI tiles) or int8 codes (Int8Array, [rows, cols]). */
  readonly data: QuantData;
  /** int8: per-row scale (W ≈ code · scale[row]); null for bf16. */
  readonly scales: Float32Array | null;
}

/** Checks a user-supplied quantization name. */
export function parseQuantKind(name: string): QuantKind {
  if ((QUANT_KINDS as readonly string[]).includes(name)) return name as QuantKind;
  throw new GlmError('E_QUANT_KIND', `unknown quantization '${name}' (expected one of: ${QUANT_KINDS.join(', ')})`, { details: { name } });
}

/** Quantizes a 2-D float32 weight [out, in]. int8 throws a GlmError on a non-finite weight. */
export function quantizeMatrix(w: Tensor, kind: QuantKind, name = w.name ?? 'weight'): QuantizedMatrix {
  if (w.ndim !== 2) throw new GlmError('E_QUANT_SHAPE', `quantize: ${name} must be 2-D, got ${shapeStr(w.shape)}`);
  const [rows, cols] = w.shape as [number, number];
  const format: QuantFormat = kind === 'bf16' ? QUANT_BF16 : QUANT_INT8;
  const n = quantDataLength(format, rows, cols);
  const data = kind === 'bf16' ? new Uint16Array(n) : new Int8Array(n);
  const scales = kind === 'int8' ? new Float32Array(rows) : null;
  try {
    backend().quantize(w.f32, rows, cols, format, data, scales);
  } catch (e) {
    if (e instanceof RangeError) throw new GlmError('E_QUANT_NONFINITE', `quantize ${name} to ${kind}: ${e.message}`, { cause: e });
    throw e;
  }
  return { kind, format, rows, cols, data, scales };
}

/** Bytes held by a quantized matrix. */
export function quantizedBytes(q: QuantizedMatrix): number {
  return q.data.byteLength + (q.scales ? q.scales.byteLength : 0);
}

/**
 * y = x·Wᵀ + b with quantized W [out, in]: x [..., in] → y [..., out]. Inference only (the
 * result records no gradient).
 */
export function quantLinear(x: Tensor, w: QuantizedMatrix, bias: Tensor | null): Tensor {
  const inF = w.cols, outF = w.rows;
  if (x.shape[x.ndim - 1] !== inF) throw new Error(`quantLinear: input ${shapeStr(x.shape)} does not match weight [${outF}, ${inF}]`);
  if (bias && bias.size !== outF) throw new Error(`quantLinear: bias ${shapeStr(bias.shape)} does not match weight [${outF}, ${inF}]`);
  const rows = x.size / inF;
  const out = allocOutput(rows * outF);
  backend().linearQuant(x.f32, rows, inF, outF, w.format, w.data, w.scales, bias ? bias.f32 : null, out);
  return new Tensor(out, [...x.shape.slice(0, -1), outF]);
}

/** gelu(x·Wᵀ + b) with quantized W (the MLP's first layer), inference only. */
export function quantLinearGelu(x: Tensor, w: QuantizedMatrix, bias: Tensor, kind: GeluKind): Tensor {
  const pre = quantLinear(x, w, null);
  const rows = pre.size / w.rows;
  const y = allocOutput(pre.size);
  backend().biasGelu(pre.f32, bias.f32, rows, w.rows, y, kind);
  return new Tensor(y, pre.shape);
}
