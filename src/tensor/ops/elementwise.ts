/**
 * Element-wise ops with NumPy-style broadcasting (add, mul), scaling and sums.
 */
import { backend } from '../../backend/index.js';
import { Tensor, numel, opResult, shapeStr, type Shape } from '../tensor.js';
import { allocOutput } from './arena.js';

function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

/** Broadcast result shape, and per-input strides over it (0 on broadcast dims). */
export function broadcastShapes(a: Shape, b: Shape): { shape: number[]; aStrides: number[]; bStrides: number[] } {
  const nd = Math.max(a.length, b.length);
  const shape: number[] = [];
  const pa = [...new Array<number>(nd - a.length).fill(1), ...a];
  const pb = [...new Array<number>(nd - b.length).fill(1), ...b];
  for (let d = 0; d < nd; d++) {
    const x = pa[d]!, y = pb[d]!;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast ${shapeStr(a)} with ${shapeStr(b)}`);
    shape.push(Math.max(x, y));
  }
  const sa = contiguousStrides(pa), sb = contiguousStrides(pb);
  const aStrides = pa.map((x, d) => (x === 1 && shape[d] !== 1 ? 0 : sa[d]!));
  const bStrides = pb.map((x, d) => (x === 1 && shape[d] !== 1 ? 0 : sb[d]!));
  return { shape, aStrides, bStrides };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Accumulates g (laid out over `outShape`) into target's gradient, summing broadcast dims. */
function reduceInto(g: Float32Array, outShape: number[], target: Tensor, strides: number[]): void {
  const be = backend();
  if (g.length === target.size) be.axpy(1, g, target.grad!);
  else be.accumulateStrided(g, outShape, target.grad!, 0, strides);
}

/** a + b with broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const be = backend();
  if (sameShape(a.shape, b.shape)) {
    const out = allocOutput(a.size);
    be.add(a.f32, b.f32, out);
    return opResult(out, a.shape, 'add', [a, b], (g) => {
      if (a.requiresGrad) be.axpy(1, g, a.grad!);
      if (b.requiresGrad) be.axpy(1, g, b.grad!);
    });
  }
  const { shape, aStrides, bStrides } = broadcastShapes(a.shape, b.shape);
  const out = allocOutput(numel(shape));
  be.broadcastBinary(0, a.f32, aStrides, b.f32, bStrides, out, shape);
  return opResult(out, shape, 'add', [a, b], (g) => {
    if (a.requiresGrad) reduceInto(g, shape, a, aStrides);
    if (b.requiresGrad) reduceInto(g, shape, b, bStrides);
  });
}

/** a · b (element-wise) with broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const be = backend();
  const { shape, aStrides, bStrides } = broadcastShapes(a.shape, b.shape);
  const n = numel(shape);
  const out = allocOutput(n);
  if (sameShape(a.shape, b.shape)) be.mul(a.f32, b.f32, out);
  else be.broadcastBinary(1, a.f32, aStrides, b.f32, bStrides, out, shape);
  return opResult(out, shape, 'mul', [a, b], (g) => {
    // d(a·b)/da = b (broadcast to the output), reduced back to a's shape.
    const full = contiguousStrides(shape);
    if (a.requiresGrad) {
      const t = new Float32Array(n);
      be.broadcastBinary(1, g, full, b.f32, bStrides, t, shape);
      reduceInto(t, shape, a, aStrides);
    }
    if (b.requiresGrad) {
      const t = new Float32Array(n);
      be.broadcastBinary(1, g, full, a.f32, aStrides, t, shape);
      reduceInto(t, shape, b, bStrides);
    }
  });
}

/** alpha · x */
export function scale(x: Tensor, alpha: number): Tensor {
  const be = backend();
  const out = allocOutput(x.size);
  be.scale(x.f32, alpha, out);
  return opResult(out, x.shape, 'scale', [x], (g) => be.axpy(alpha, g, x.grad!));
}

/** Sum of all elements → scalar tensor (shape []). */
export function sum(x: Tensor): Tensor {
  const d = x.f32;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return opResult(Float32Array.of(s), [], 'sum', [x], (g) => {
    const gx = x.grad!, gv = g[0]!;
    for (let i = 0; i < gx.length; i++) gx[i] = gx[i]! + gv;
  });
}

export { contiguousStrides };
