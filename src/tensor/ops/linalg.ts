/**
 * Matrix products: matmul (either operand transposed), batched matmul, and linear (x·Wᵀ + b).
 * Everything goes through backend.gemm, so the native backend runs it on its own sgemm (native/sgemm*.cc).
 */
import { backend } from '../../backend/index.js';
import { Tensor, opResult, shapeStr } from '../tensor.js';
import { allocOutput } from './arena.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** C += alpha·op(A)·op(B) for one or more stacked matrices of the given logical sizes. */
function gemmInto(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, c: Float32Array, beta: number, batch = 1,
  strideA = 0, strideB = 0, strideC = 0,
): void {
  backend().gemm({
    transA, transB, m, n, k, alpha: 1,
    a, lda: transA ? m : k, strideA,
    b, ldb: transB ? k : n, strideB,
    beta, c, ldc: n, strideC, batch,
  });
}

/**
 * Gradients of C = op(A)·op(B) (A: m×k after op, B: k×n after op), accumulated into dA and dB.
 *   dA = dC·op(B)ᵀ  (stored transposed when transA: dAᵀ = op(B)·dCᵀ)
 *   dB = op(A)ᵀ·dC  (stored transposed when transB: dBᵀ = dCᵀ·op(A))
 */
function gemmBackward(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, dC: Float32Array, dA: Float32Array | null, dB: Float32Array | null,
  batch = 1, strideA = 0, strideB = 0, strideC = 0,
): void {
  const be = backend();
  if (dA) {
    if (!transA) {
      // [m,n]·op(B)ᵀ[n,k]
      be.gemm({ transA: false, transB: !transB, m, n: k, k: n, alpha: 1, a: dC, lda: n, strideA: strideC, b, ldb: transB ? k : n, strideB, beta: 1, c: dA, ldc: k, strideC: strideA, batch });
    } else {
      // dA stored [k,m] = op(B)[k,n]·dCᵀ[n,m]
      be.gemm({ transA: transB, transB: true, m: k, n: m, k: n, alpha: 1, a: b, lda: transB ? k : n, strideA: strideB, b: dC, ldb: n, strideB: strideC, beta: 1, c: dA, ldc: m, strideC: strideA, batch });
    }
  }
  if (dB) {
    if (!transB) {
      // [k,n] = op(A)ᵀ[k,m]·dC[m,n]
      be.gemm({ transA: !transA, transB: false, m: k, n, k: m, alpha: 1, a, lda: transA ? m : k, strideA, b: dC, ldb: n, strideB: strideC, beta: 1, c: dB, ldc: n, strideC: strideB, batch });
    } else {
      // dB stored [n,k] = dCᵀ[n,m]·op(A)[m,k]
      be.gemm({ transA: true, transB: transA, m: n, n: k, k: m, alpha: 1, a: dC, lda: n, strideA: strideC, b: a, ldb: transA ? m : k, strideB: strideA, beta: 1, c: dB, ldc: k, strideC: strideB, batch });
    }
  }
}

/** Products smaller than this (m·n·k) skip the zero-row scan: it would cost more than it saves. */
const SPARSE_ROWS_MIN_WORK = 1 << 24;
/** Compact the rows when at most this fraction of the output-gradient rows is nonzero. */
const SPARSE_ROWS_MAX_FRACTION = 0.75;

/**
 * Backward of C = A·op(B) (A not transposed) that skips the rows of dC that are exactly zero:
 * such a row contributes nothing to dA (its row of dA stays as is) nor to dB. The LM head is the
 * case that matters: outside the loss mask the cross-entropy gradient of the logits is zero, so
 * the two vocabulary-sized products run on the loss rows only. Falls back to gemmBackward when
 * most rows are nonzero. (Skipping a zero row also skips 0·∞ = NaN from a non-finite B.)
 */
function gemmBackwardSparseRows(
  transB: boolean, m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, dC: Float32Array, dA: Float32Array | null, dB: Float32Array | null,
): void {
  const be = backend();
  if (m >= 16 && m * n * k >= SPARSE_ROWS_MIN_WORK) {
    const idx = new Int32Array(m);
    const nz = be.nonzeroRows(dC, m, n, idx);
    if (nz <= SPARSE_ROWS_MAX_FRACTION * m) {
      if (nz === 0) return;
      const rows = idx.subarray(0, nz);
      const gc = new Float32Array(nz * n);
      be.gatherRows(dC, rows, n, gc, false);
      const ac = dB ? new Float32Array(nz * k) : null;
      if (ac) be.gatherRows(a, rows, k, ac, false);
      const dAc = dA ? new Float32Array(nz * k) : null;
      gemmBackward(false, transB, nz, n, k, ac ?? a, b, gc, dAc, dB);
      if (dAc) be.scatterAddRows(dAc, rows, k, dA!);
      return;
    }
  }
  gemmBackward(false, transB, m, n, k, a, b, dC, dA, dB);
}

/**
 * 2-D matmul op(A)·op(B). A may have leading dims when not transposed ([..., m, k] → rows
 * flattened); B must be 2-D. Shapes: A [.., M, K] (or [K, M] with transA), B [K, N] (or [N, K]).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (b.ndim !== 2) throw new Error(`matmul: B must be 2-D, got ${shapeStr(b.shape)}`);
  if (transA && a.ndim !== 2) throw new Error(`matmul: a transposed A must be 2-D, got ${shapeStr(a.shape)}`);
  if (a.ndim < 2) throw new Error(`matmul: A must be at least 2-D, got ${shapeStr(a.shape)}`);
  const aLast = a.shape[a.ndim - 1]!;
  const m = transA ? aLast : a.size / aLast;
  const k = transA ? a.shape[0]! : aLast;
  const kb = transB ? b.shape[1]! : b.shape[0]!;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  if (k !== kb) throw new Error(`matmul: inner sizes differ: A ${shapeStr(a.shape)}${transA ? 'ᵀ' : ''} · B ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''}`);
  const out = allocOutput(m * n);
  gemmInto(transA, transB, m, n, k, a.f32, b.f32, out, 0);
  const outShape = transA ? [m, n] : [...a.shape.slice(0, -1), n];
  return opResult(out, outShape, 'matmul', [a, b], (g) => {
    const dA = a.requiresGrad ? a.grad! : null, dB = b.requiresGrad ? b.grad! : null;
    if (transA) gemmBackward(transA, transB, m, n, k, a.f32, b.f32, g, dA, dB);
    else gemmBackwardSparseRows(transB, m, n, k, a.f32, b.f32, g, dA, dB);
  });
}

/** Batched matmul: A [Bt, M, K] (or [Bt, K, M]), B [Bt, K, N] (or [Bt, N, K]) → [Bt, M, N]. */
export function bmm(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new Error(`bmm: expected A [Bt,·,·] and B [Bt,·,·], got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  const batch = a.shape[0]!;
  const m = transA ? a.shape[2]! : a.shape[1]!;
  const k = transA ? a.shape[1]! : a.shape[2]!;
  const kb = transB ? b.shape[2]! : b.shape[1]!;
  const n = transB ? b.shape[1]! : b.shape[2]!;
  if (k !== kb) throw new Error(`bmm: inner sizes differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`);
  const out = allocOutput(batch * m * n);
  const sA = m * k, sB = k * n, sC = m * n;
  gemmInto(transA, transB, m, n, k, a.f32, b.f32, out, 0, batch, sA, sB, sC);
  return opResult(out, [batch, m, n], 'bmm', [a, b], (g) => {
    gemmBackward(transA, transB, m, n, k, a.f32, b.f32, g, a.requiresGrad ? a.grad! : null, b.requiresGrad ? b.grad! : null, batch, sA, sB, sC);
  });
}

/**
 * Linear layer y = x·Wᵀ + b with PyTorch's weight layout W [out, in].
 * x [..., in] → y [..., out]. The bias add is fused after the GEMM.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const inF = weight.shape[1]!, outF = weight.shape[0]!;
  if (x.shape[x.ndim - 1] !== inF) throw new Error(`linear: input ${shapeStr(x.shape)} does not match weight ${shapeStr(weight.shape)}`);
  if (bias && bias.size !== outF) throw new Error(`linear: bias ${shapeStr(bias.shape)} does not match weight ${shapeStr(weight.shape)}`);
  const rows = x.size / inF;
  const out = allocOutput(rows * outF);
  const be = backend();
  gemmInto(false, true, rows, outF, inF, x.f32, weight.f32, out, 0);
  if (bias) be.addBias(out, bias.f32, rows, outF);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return opResult(out, [...x.shape.slice(0, -1), outF], 'linear', inputs, (g) => {
    gemmBackward(false, true, rows, outF, inF, x.f32, weight.f32, g, x.requiresGrad ? x.grad! : null, weight.requiresGrad ? weight.grad! : null);
    if (bias && bias.requiresGrad) be.sumRows(g, rows, outF, bias.grad!, true);
  });
}

export { gemmInto, gemmBackward };
