/**
 * Differentiable ops for scoring answers (fine-tuning and choice scoring): picking rows or single
 * values out of a tensor, tanh (the classifier head), and the losses over a variable number of
 * answer scores per example (spec §5.1). Each is a forward/backward pair on the autograd tape.
 */
import { Tensor, opResult } from '../tensor.js';
import { GlmError } from '../../util/errors.js';
import { backend } from '../../backend/index.js';

/** Rows of a tensor viewed as [R, C]; lives with the shape ops (the LM head uses it too). */
export { gatherRows } from './shape.js';

/** Single values of the flat x: out[n] = x.flat[index[n]] → [N]. (Verbalizer logits at [sop].) */
export function gatherFlat(x: Tensor, index: Int32Array): Tensor {
  const src = x.f32;
  const out = new Float32Array(index.length);
  index.forEach((i, n) => {
    if (!(i >= 0 && i < src.length)) throw new Error(`gatherFlat: index ${i} outside [0, ${src.length})`);
    out[n] = src[i]!;
  });
  return opResult(out, [index.length], 'gatherFlat', [x], (g) => {
    const gx = x.grad!;
    index.forEach((i, n) => (gx[i] = gx[i]! + g[n]!));
  });
}

/** Elementwise tanh. */
export function tanh(x: Tensor): Tensor {
  const y = x.f32.map((v) => Math.tanh(v));
  return opResult(y, x.shape, 'tanh', [x], (g) => {
    const gx = x.grad!;
    for (let i = 0; i < y.length; i++) gx[i] = gx[i]! + g[i]! * (1 - y[i]! * y[i]!);
  });
}

/** Elementwise x · factor for a constant vector (length penalties). */
export function scaleBy(x: Tensor, factor: Float32Array): Tensor {
  if (factor.length !== x.size) throw new Error(`scaleBy: ${factor.length} factors for ${x.size} values`);
  const y = x.f32.map((v, i) => v * factor[i]!);
  return opResult(y, x.shape, 'scaleBy', [x], (g) => {
    const gx = x.grad!;
    for (let i = 0; i < y.length; i++) gx[i] = gx[i]! + g[i]! * factor[i]!;
  });
}

/** Losses over the answer scores of each example (spec §5.1; `mix` = generative + cross_entropy). */
export type ChoiceLoss = 'cross_entropy' | 'generative' | 'mix' | 'hinge';

/**
 * Mean over examples of a loss over their answer scores. `scores` [C] holds every candidate of
 * every example; groups[e] lists the indices of example e's candidates and gold[e] the position
 * of the right one within the group. Examples may have different numbers of candidates (the
 * original pads them and pushes padded scores to −10000, which is the same thing).
 *   cross_entropy: −log softmax(s)[gold]
 *   generative:    −s[gold]
 *   mix:           both
 *   hinge:         Σ_{j≠gold} max(0, margin − s[gold] + s[j])
 */
export function choiceLoss(scores: Tensor, groups: readonly (readonly number[])[], gold: readonly number[], kind: ChoiceLoss = 'cross_entropy', margin = 1): Tensor {
  if (groups.length !== gold.length) throw new Error(`choiceLoss: ${groups.length} groups but ${gold.length} gold indices`);
  if (groups.length === 0) throw new GlmError('E_FINETUNE_EMPTY', 'no labelled examples in the batch');
  const s = scores.f32;
  const E = groups.length;
  const dscore = new Float32Array(s.length); // ∂loss/∂s (before the 1/E mean)
  let total = 0;
  groups.forEach((grp, e) => {
    const gi = gold[e]!;
    if (!(gi >= 0 && gi < grp.length)) throw new Error(`choiceLoss: gold ${gi} outside the ${grp.length} candidates of example ${e}`);
    const gidx = grp[gi]!;
    if (kind === 'cross_entropy' || kind === 'mix') {
      let max = -Infinity;
      for (const c of grp) max = Math.max(max, s[c]!);
      let z = 0;
      for (const c of grp) z += Math.exp(s[c]! - max);
      const lse = max + Math.log(z);
      total += lse - s[gidx]!;
      for (const c of grp) dscore[c] = dscore[c]! + Math.exp(s[c]! - lse);
      dscore[gidx] = dscore[gidx]! - 1;
    }
    if (kind === 'generative' || kind === 'mix') {
      total -= s[gidx]!;
      dscore[gidx] = dscore[gidx]! - 1;
    }
    if (kind === 'hinge') {
      for (const c of grp) {
        if (c === gidx) continue;
        const h = margin - s[gidx]! + s[c]!;
        if (h > 0) {
          total += h;
          dscore[c] = dscore[c]! + 1;
          dscore[gidx] = dscore[gidx]! - 1;
        }
      }
    }
  });
  return opResult(Float32Array.of(total / E), [], `choiceLoss:${kind}`, [scores], (g) => {
    const gs = scores.grad!;
    const k = g[0]! / E;
    for (let i = 0; i < s.length; i++) gs[i] = gs[i]! + dscore[i]! * k;
  });
}

/**
 * Σ log_softmax(logits)[row, target] over each group's rows: [numGroups] (differentiable).
 * `rows` index the rows of logits viewed as [·, V]; `groupOf[r]` is the group of rows[r].
 * `perToken`, if given, receives each row's log-probability.
 */
export function groupedLogProbs(logits: Tensor, rows: Int32Array, targets: Int32Array, groupOf: Int32Array, numGroups: number, perToken?: Float32Array, name = 'groupedLogProbs'): Tensor {
  const V = logits.shape[logits.ndim - 1]!;
  const R = rows.length;
  const compact = new Float32Array(R * V);
  const src = logits.f32;
  for (let r = 0; r < R; r++) compact.set(src.subarray(rows[r]! * V, (rows[r]! + 1) * V), r * V);
  const be = backend();
  const nll = new Float32Array(R), lse = new Float32Array(R);
  be.crossEntropy(compact, targets, R, V, 0, nll, lse);
  const out = new Float32Array(numGroups);
  for (let r = 0; r < R; r++) {
    out[groupOf[r]!] = out[groupOf[r]!]! - nll[r]!;
    if (perToken) perToken[r] = -nll[r]!;
  }
  return opResult(out, [numGroups], name, [logits], (g) => {
    // d(−NLL_r)/dlogits = onehot − softmax: crossEntropyBackward with coef −g.
    const coef = new Float32Array(R);
    for (let r = 0; r < R; r++) coef[r] = -g[groupOf[r]!]!;
    const d = new Float32Array(R * V);
    be.crossEntropyBackward(compact, targets, lse, coef, R, V, 0, d, false);
    const grad = logits.grad!;
    for (let r = 0; r < R; r++) {
      const base = rows[r]! * V;
      for (let v = 0; v < V; v++) grad[base + v] = grad[base + v]! + d[r * V + v]!;
    }
  });
}
