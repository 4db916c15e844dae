/**
 * Ops of the P-tuning prompt encoder (GLM's PromptSpell: a bidirectional LSTM and/or an MLP over
 * trainable prompt embeddings): sigmoid and relu, and `replaceRows`, which puts the encoder's
 * output in place of chosen rows of the word embeddings. The LSTM itself is composed from these
 * and linear / slice / add / mul / tanh (src/finetune/prompt-encoder.ts). Each op is a
 * forward/backward pair on the autograd tape.
 */
import { Tensor, opResult } from '../tensor.js';

/** Elementwise logistic sigmoid 1 / (1 + e^−x). */
export function sigmoid(x: Tensor): Tensor {
  const y = x.f32.map((v) => 1 / (1 + Math.exp(-v)));
  return opResult(y, x.shape, 'sigmoid', [x], (g) => {
    const gx = x.grad!;
    for (let i = 0; i < y.length; i++) gx[i] = gx[i]! + g[i]! * y[i]! * (1 - y[i]!);
  });
}

/** Elementwise max(0, x) (the gradient at 0 is taken as 0). */
export function relu(x: Tensor): Tensor {
  const src = x.f32;
  const y = src.map((v) => (v > 0 ? v : 0));
  return opResult(y, x.shape, 'relu', [x], (g) => {
    const gx = x.grad!;
    for (let i = 0; i < y.length; i++) if (src[i]! > 0) gx[i] = gx[i]! + g[i]!;
  });
}

/**
 * x viewed as [R, C] with rows[k] replaced by row src[k] of values [K, C] (src defaults to k).
 * The gradient of a replaced row of x is zero; values get the gradient of the rows they fill
 * (summed when one value row fills several rows). Rows must be distinct.
 */
export function replaceRows(x: Tensor, rows: Int32Array, values: Tensor, src?: Int32Array): Tensor {
  const C = x.shape[x.shape.length - 1]!;
  const R = x.size / C;
  const vC = values.shape[values.shape.length - 1]!;
  if (vC !== C) throw new Error(`replaceRows: values have ${vC} columns, x has ${C}`);
  const K = values.size / C;
  const from = src ?? Int32Array.from(rows, (_, k) => k);
  if (from.length !== rows.length) throw new Error(`replaceRows: ${from.length} source rows for ${rows.length} rows`);
  const seen = new Set<number>();
  rows.forEach((r, k) => {
    if (!(r >= 0 && r < R)) throw new Error(`replaceRows: row ${r} outside [0, ${R})`);
    if (seen.has(r)) throw new Error(`replaceRows: row ${r} given twice`);
    seen.add(r);
    if (!(from[k]! >= 0 && from[k]! < K)) throw new Error(`replaceRows: source row ${from[k]} outside [0, ${K})`);
  });
  const out = new Float32Array(x.f32);
  const v = values.f32;
  rows.forEach((r, k) => out.set(v.subarray(from[k]! * C, from[k]! * C + C), r * C));
  return opResult(out, x.shape, 'replaceRows', [x, values], (g) => {
    if (x.requiresGrad) {
      const gx = x.grad!;
      for (let r = 0; r < R; r++) {
        if (seen.has(r)) continue;
        for (let c = r * C; c < r * C + C; c++) gx[c] = gx[c]! + g[c]!;
      }
    }
    if (values.requiresGrad) {
      const gv = values.grad!;
      rows.forEach((r, k) => {
        const s = from[k]! * C;
        for (let c = 0; c < C; c++) gv[s + c] = gv[s + c]! + g[r * C + c]!;
      });
    }
  });
}
