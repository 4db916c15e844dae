/**
 * Shape ops: reshape (a view, no copy), permute/transpose, slice and concat (strided copies).
 */
import { backend } from '../../backend/index.js';
import { Tensor, numel, opResult, shapeStr, type Shape } from '../tensor.js';
import { contiguousStrides } from './elementwise.js';
import { allocOutput } from './arena.js';

/**
 * Rows of x viewed as [R, C] (C = last dim): out[n] = x[rows[n]] → [N, C]; the gradient is
 * scatter-added back. Pools one token per sequence (classifier head) and picks the positions
 * whose logits a loss needs (GLMModel.forward's logitRows).
 */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  const C = x.shape[x.ndim - 1]!;
  const R = x.size / C;
  const src = x.f32;
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, n) => {
    if (!(Number.isInteger(r) && r >= 0 && r < R)) throw new Error(`gatherRows: row ${r} outside [0, ${R})`);
    out.set(src.subarray(r * C, (r + 1) * C), n * C);
  });
  return opResult(out, [rows.length, C], 'gatherRows', [x], (g) => {
    const gx = x.grad!;
    rows.forEach((r, n) => {
      const o = r * C, i = n * C;
      for (let c = 0; c < C; c++) gx[o + c] = gx[o + c]! + g[i + c]!;
    });
  });
}

/** Same data, new shape (one dimension may be -1). The gradient flows back unchanged. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const dims = [...shape];
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) {
    const known = dims.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    dims[unknown] = x.size / known;
  }
  if (numel(dims) !== x.size) throw new Error(`reshape: cannot view ${shapeStr(x.shape)} as ${shapeStr(shape)}`);
  if (x.dtype === 'i32') return new Tensor(x.data, dims);
  const out = opResult(x.f32, dims, 'reshape', [x], (g) => backend().axpy(1, g, x.grad!));
  return out;
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: number[]): Tensor {
  if (perm.length !== x.ndim || [...perm].sort().some((p, i) => p !== i)) {
    throw new Error(`permute: ${JSON.stringify(perm)} is not a permutation of ${x.ndim} dims`);
  }
  const inStrides = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const strides = perm.map((p) => inStrides[p]!);
  const be = backend();
  const out = allocOutput(x.size);
  be.copyStrided(x.f32, 0, strides, out, shape);
  return opResult(out, shape, 'permute', [x], (g) => be.accumulateStrided(g, shape, x.grad!, 0, strides));
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[d0] = d1;
  perm[d1] = d0;
  return permute(x, perm);
}

/** x[..., start:end, ...] along `dim` (a copy). */
export function slice(x: Tensor, dim: number, start: number, end: number): Tensor {
  const size = x.shape[dim];
  if (size === undefined || start < 0 || end > size || start > end) {
    throw new Error(`slice: [${start}, ${end}) out of range for dim ${dim} of ${shapeStr(x.shape)}`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = [...x.shape];
  shape[dim] = end - start;
  const offset = start * strides[dim]!;
  const be = backend();
  const out = allocOutput(numel(shape));
  be.copyStrided(x.f32, offset, strides, out, shape);
  return opResult(out, shape, 'slice', [x], (g) => be.accumulateStrided(g, shape, x.grad!, offset, strides));
}

/** Concatenation along `dim`. */
export function concat(xs: Tensor[], dim: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const first = xs[0]!;
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== dim && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${xs.map((u) => shapeStr(u.shape)).join(', ')} differ outside dim ${dim}`);
    }
  }
  const shape = [...first.shape];
  shape[dim] = xs.reduce((s, t) => s + t.shape[dim]!, 0);
  const outStrides = contiguousStrides(shape);
  const out = new Float32Array(numel(shape));
  const be = backend();
  // Each input is written into a strided window of the output, so its copy is the adjoint of a slice.
  const offsets: number[] = [];
  let at = 0;
  for (const t of xs) {
    offsets.push(at * outStrides[dim]!);
    be.accumulateStrided(t.f32, t.shape as number[], out, at * outStrides[dim]!, outStrides);
    at += t.shape[dim]!;
  }
  return opResult(out, shape, 'concat', xs, (g) => {
    xs.forEach((t, i) => {
      if (!t.requiresGrad) return;
      const part = new Float32Array(t.size);
      be.copyStrided(g, offsets[i]!, outStrides, part, t.shape as number[]);
      be.axpy(1, part, t.grad!);
    });
  });
}
