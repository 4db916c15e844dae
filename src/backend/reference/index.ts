/**
 * The reference backend: every kernel of backend.ts in plain TypeScript.
 *
 * Written to be read and trusted, not to be fast. It is the oracle the native backend is
 * tested against, and the fallback when the native addon cannot load.
 */
import {
  type AttentionArgs,
  type AttentionBackwardArgs,
  type Backend,
  type F32,
  type GemmArgs,
  type GeluKind,
  type I32,
  GELU_ERF,
  MASK_EXPLICIT,
  MASK_FILL,
  MASK_SEP,
  sepSees,
  QUANT_BF16,
  QUANT_ROUND_ROWS,
  bf16TiledIndex,
  dropoutKeep,
} from '../backend.js';
import { erf } from './erf.js';

const SQRT_2_OVER_PI = 0.7978845608028654;
const INV_SQRT2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

function geluValue(x: number, kind: GeluKind): number {
  if (kind === GELU_ERF) return 0.5 * x * (1 + erf(x * INV_SQRT2));
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x)));
}

function geluDerivative(x: number, kind: GeluKind): number {
  if (kind === GELU_ERF) return 0.5 * (1 + erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
  const inner = SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x);
  const t = Math.tanh(inner);
  const dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner;
}

function gemm(g: GemmArgs): void {
  const { transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc } = g;
  for (let bi = 0; bi < g.batch; bi++) {
    const ao = bi * g.strideA, bo = bi * g.strideB, co = bi * g.strideC;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[ao + p * lda + i]! : a[ao + i * lda + p]!;
          const bv = transB ? b[bo + j * ldb + p]! : b[bo + p * ldb + j]!;
          acc += av * bv;
        }
        const idx = co + i * ldc + j;
        c[idx] = beta === 0 ? alpha * acc : alpha * acc + beta * c[idx]!;
      }
    }
  }
}

/** Calls fn(outIndex, aIndex, bIndex) over an N-d index space with per-dimension strides. */
function forEachStrided(shape: number[], stridesA: number[], stridesB: number[], fn: (i: number, ia: number, ib: number) => void): void {
  const nd = shape.length;
  const total = shape.reduce((x, y) => x * y, 1);
  if (total === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0, ib = 0;
  for (let i = 0; i < total; i++) {
    fn(i, ia, ib);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ia += stridesA[d]!;
      ib += stridesB[d]!;
      if (idx[d]! < shape[d]!) break;
      ia -= stridesA[d]! * shape[d]!;
      ib -= stridesB[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Score-matrix visibility for one (b, i, j) under the GLM mask forms. */
function visible(args: AttentionArgs, b: number, i: number, j: number): number {
  if (args.maskMode === MASK_SEP) {
    const mem = args.sk - args.sq;
    if (j < mem) return 1;
    const jj = j - mem;
    return sepSees(i, jj, args.sep![b]!) ? 1 : 0;
  }
  if (args.maskMode === MASK_EXPLICIT) return args.mask![(b * args.sq + i) * args.sk + j]!;
  return 1;
}

/** Probabilities of query row i into `row`; returns the row's max score and Σ exp(s − max). */
function attentionProbs(args: AttentionArgs, b: number, h: number, row: Float64Array, i: number): { max: number; sum: number } {
  const { q, k, ldq, ldk, headDim: D, sq, sk, scale } = args;
  const qo = (b * sq + i) * ldq + h * D;
  let max = -Infinity;
  for (let j = 0; j < sk; j++) {
    const ko = (b * sk + j) * ldk + h * D;
    let s = 0;
    for (let d = 0; d < D; d++) s += q[qo + d]! * k[ko + d]!;
    s *= scale;
    const mv = visible(args, b, i, j);
    s = s * mv + MASK_FILL * (1 - mv);
    row[j] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let j = 0; j < sk; j++) {
    row[j] = Math.exp(row[j]! - max);
    sum += row[j]!;
  }
  for (let j = 0; j < sk; j++) row[j] = row[j]! / sum;
  return { max, sum };
}

function attention(args: AttentionArgs): void {
  const { v, ldv, out, ldo, batch, heads, headDim: D, sq, sk, dropoutP, dropoutSeed, probs } = args;
  const row = new Float64Array(sk);
  const keepScale = dropoutP > 0 ? 1 / (1 - dropoutP) : 1;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < sq; i++) {
        const st = attentionProbs(args, b, h, row, i);
        const pBase = ((b * heads + h) * sq + i) * sk;
        if (probs) for (let j = 0; j < sk; j++) probs[pBase + j] = row[j]!;
        if (args.stats) {
          const so = ((b * heads + h) * sq + i) * 2;
          args.stats[so] = st.max;
          args.stats[so + 1] = 1 / st.sum;
        }
        const oo = (b * sq + i) * ldo + h * D;
        for (let d = 0; d < D; d++) out[oo + d] = 0;
        for (let j = 0; j < sk; j++) {
          let p = Math.fround(row[j]!);
          if (dropoutP > 0) p = dropoutKeep(dropoutSeed, pBase + j, dropoutP) ? p * keepScale : 0;
          if (p === 0) continue;
          const vo = (b * sk + j) * ldv + h * D;
          for (let d = 0; d < D; d++) out[oo + d] = out[oo + d]! + p * v[vo + d]!;
        }
      }
    }
  }
}

function attentionBackward(args: AttentionBackwardArgs): void {
  const { q, k, v, ldq, ldk, ldv, dout, ldo, dq, dk, dv, batch, heads, headDim: D, sq, sk, scale, dropoutP, dropoutSeed } = args;
  if (!args.probs && !args.stats) throw new TypeError('attentionBackward: probs or stats (from the forward call) is required');
  const keepScale = dropoutP > 0 ? 1 / (1 - dropoutP) : 1;
  const dp = new Float64Array(sk);
  // Without stored probabilities, each row is recomputed from Q and K (the reference needs no
  // statistics for that; it recomputes the softmax in double precision).
  const rowBuf = new Float64Array(sk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < sq; i++) {
        let probs: ArrayLike<number>, pOff: number;
        if (args.probs) {
          probs = args.probs;
          pOff = ((b * heads + h) * sq + i) * sk;
        } else {
          attentionProbs(args, b, h, rowBuf, i);
          probs = rowBuf;
          pOff = 0;
        }
        const pBase = ((b * heads + h) * sq + i) * sk;
        const oo = (b * sq + i) * ldo + h * D;
        // dP_dropped[j] = dOut · V[j]; dV[j] += P_dropped[j] · dOut
        for (let j = 0; j < sk; j++) {
          const vo = (b * sk + j) * ldv + h * D;
          const keep = dropoutP > 0 ? (dropoutKeep(dropoutSeed, pBase + j, dropoutP) ? keepScale : 0) : 1;
          const pd = probs[pOff + j]! * keep;
          let acc = 0;
          for (let d = 0; d < D; d++) {
            acc += dout[oo + d]! * v[vo + d]!;
            dv[vo + d] = dv[vo + d]! + pd * dout[oo + d]!;
          }
          dp[j] = acc * keep; // gradient w.r.t. the pre-dropout probability
        }
        let dot = 0;
        for (let j = 0; j < sk; j++) dot += probs[pOff + j]! * dp[j]!;
        const qo = (b * sq + i) * ldq + h * D;
        for (let j = 0; j < sk; j++) {
          const ds = probs[pOff + j]! * (dp[j]! - dot) * visible(args, b, i, j) * scale;
          if (ds === 0) continue;
          const ko = (b * sk + j) * ldk + h * D;
          for (let d = 0; d < D; d++) {
            dq[qo + d] = dq[qo + d]! + ds * k[ko + d]!;
            dk[ko + d] = dk[ko + d]! + ds * q[qo + d]!;
          }
        }
      }
    }
  }
}

const f32Scratch = new Float32Array(1);
const u32View = new Uint32Array(f32Scratch.buffer);

/** float32 → bf16 bits, round to nearest even; NaN stays a (quiet) NaN. */
function toBf16(x: number): number {
  f32Scratch[0] = x;
  const u = u32View[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function fromBf16(h: number): number {
  u32View[0] = (h << 16) >>> 0;
  return f32Scratch[0]!;
}

/** Round half to even (Math.round rounds halves up). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const referenceBackend: Backend = {
  name: 'reference',
  gemm,

  add(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
  },
  mul(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! * b[i]!;
  },
  axpy(alpha, x, y) {
    for (let i = 0; i < x.length; i++) y[i] = y[i]! + alpha * x[i]!;
  },
  scale(x, alpha, out) {
    for (let i = 0; i < x.length; i++) out[i] = alpha * x[i]!;
  },
  sumSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return s;
  },
  nonzeroRows(x, rows, cols, out) {
    let n = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = x[r * cols + c]!;
        if (v !== 0 || Number.isNaN(v)) {
          out[n++] = r;
          break;
        }
      }
    }
    return n;
  },

  broadcastBinary(op, a, aStrides, b, bStrides, out, shape) {
    forEachStrided(shape, aStrides, bStrides, (i, ia, ib) => {
      out[i] = op === 0 ? a[ia]! + b[ib]! : a[ia]! * b[ib]!;
    });
  },
  copyStrided(src, offset, strides, out, shape) {
    forEachStrided(shape, strides, strides, (i, ia) => {
      out[i] = src[offset + ia]!;
    });
  },
  accumulateStrided(src, shape, dst, offset, strides) {
    forEachStrided(shape, strides, strides, (i, ia) => {
      dst[offset + ia] = dst[offset + ia]! + src[i]!;
    });
  },

  addBias(x, bias, rows, cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) x[r * cols + c] = x[r * cols + c]! + bias[c]!;
  },
  sumRows(x, rows, cols, out, accumulate) {
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] = acc[c]! + x[r * cols + c]!;
    for (let c = 0; c < cols; c++) out[c] = accumulate ? out[c]! + acc[c]! : acc[c]!;
  },

  gatherRows(table, ids, cols, out, accumulate) {
    for (let r = 0; r < ids.length; r++) {
      const src = ids[r]! * cols, dst = r * cols;
      for (let c = 0; c < cols; c++) out[dst + c] = accumulate ? out[dst + c]! + table[src + c]! : table[src + c]!;
    }
  },
  scatterAddRows(dOut, ids, cols, dTable) {
    for (let r = 0; r < ids.length; r++) {
      const dst = ids[r]! * cols, src = r * cols;
      for (let c = 0; c < cols; c++) dTable[dst + c] = dTable[dst + c]! + dOut[src + c]!;
    }
  },

  layerNorm(x, gamma, beta, rows, cols, eps, y, mean, rstd) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mu = 0;
      for (let c = 0; c < cols; c++) mu += x[o + c]!;
      mu /= cols;
      let varSum = 0;
      for (let c = 0; c < cols; c++) varSum += (x[o + c]! - mu) ** 2;
      const rs = 1 / Math.sqrt(varSum / cols + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (let c = 0; c < cols; c++) y[o + c] = (x[o + c]! - mu) * rs * gamma[c]! + beta[c]!;
    }
  },
  layerNormBackward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols, mu = mean[r]!, rs = rstd[r]!;
      // xhat = (x − μ)·rstd; dxhat = dy·γ; dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat))
      let sumD = 0, sumDX = 0;
      for (let c = 0; c < cols; c++) {
        const xhat = (x[o + c]! - mu) * rs;
        const dxhat = dy[o + c]! * gamma[c]!;
        sumD += dxhat;
        sumDX += dxhat * xhat;
        if (dgamma) dgamma[c] = dgamma[c]! + dy[o + c]! * xhat;
        if (dbeta) dbeta[c] = dbeta[c]! + dy[o + c]!;
      }
      sumD /= cols;
      sumDX /= cols;
      for (let c = 0; c < cols; c++) {
        const xhat = (x[o + c]! - mu) * rs;
        const dxhat = dy[o + c]! * gamma[c]!;
        dx[o + c] = dx[o + c]! + rs * (dxhat - sumD - xhat * sumDX);
      }
    }
  },

  gelu(x, y, kind) {
    for (let i = 0; i < x.length; i++) y[i] = geluValue(x[i]!, kind);
  },
  geluBackward(x, dy, dx, kind) {
    for (let i = 0; i < x.length; i++) dx[i] = dx[i]! + dy[i]! * geluDerivative(x[i]!, kind);
  },
  biasGelu(x, bias, rows, cols, y, kind) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        x[i] = x[i]! + bias[c]!;
        y[i] = geluValue(x[i]!, kind);
      }
    }
  },

  softmax(x, mask, rows, cols, y) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) {
        const m = mask ? mask[o + c]! : 1;
        const s = x[o + c]! * m + MASK_FILL * (1 - m);
        y[o + c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(y[o + c]! - max);
      for (let c = 0; c < cols; c++) y[o + c] = Math.exp(y[o + c]! - max) / sum;
    }
  },
  softmaxBackward(y, dy, mask, rows, cols, dx) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += y[o + c]! * dy[o + c]!;
      for (let c = 0; c < cols; c++) {
        const m = mask ? mask[o + c]! : 1;
        dx[o + c] = dx[o + c]! + y[o + c]! * (dy[o + c]! - dot) * m;
      }
    }
  },

  dropout(x, p, seed, y) {
    const s = 1 / (1 - p);
    for (let i = 0; i < x.length; i++) y[i] = dropoutKeep(seed, i, p) ? x[i]! * s : 0;
  },
  dropoutBackward(dy, p, seed, dx) {
    const s = 1 / (1 - p);
    for (let i = 0; i < dy.length; i++) if (dropoutKeep(seed, i, p)) dx[i] = dx[i]! + dy[i]! * s;
  },

  attention,
  attentionBackward,

  crossEntropy(logits, targets, rows, vocab, smoothing, loss, lse) {
    for (let r = 0; r < rows; r++) {
      const o = r * vocab;
      let max = -Infinity;
      for (let c = 0; c < vocab; c++) if (logits[o + c]! > max) max = logits[o + c]!;
      let sum = 0, mean = 0;
      for (let c = 0; c < vocab; c++) {
        sum += Math.exp(logits[o + c]! - max);
        mean += logits[o + c]!;
      }
      mean /= vocab;
      const l = max + Math.log(sum);
      lse[r] = l;
      loss[r] = (1 - smoothing) * (l - logits[o + targets[r]!]!) + smoothing * (l - mean);
    }
  },
  crossEntropyBackward(logits, targets, lse, coef, rows, vocab, smoothing, dlogits, accumulate) {
    for (let r = 0; r < rows; r++) {
      const o = r * vocab, w = coef[r]!, l = lse[r]!;
      for (let c = 0; c < vocab; c++) {
        let g = 0;
        if (w !== 0) {
          g = Math.exp(logits[o + c]! - l) - smoothing / vocab;
          if (c === targets[r]) g -= 1 - smoothing;
          g *= w;
        }
        dlogits[o + c] = accumulate ? dlogits[o + c]! + g : g;
      }
    }
  },

  adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale) {
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (let i = 0; i < p.length; i++) {
      const grad = g[i]! * gradScale;
      let pi = p[i]! * (1 - lr * weightDecay);
      const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * grad);
      const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * grad * grad);
      pi -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
      p[i] = pi;
    }
  },

  quantize(w, rows, cols, format, out, scales) {
    if (format === QUANT_BF16) {
      out.fill(0);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[bf16TiledIndex(r, c, cols)] = toBf16(w[r * cols + c]!);
      return;
    }
    if (!scales) throw new TypeError('quantize: int8 needs scales');
    for (let r = 0; r < rows; r++) {
      let amax = 0;
      for (let c = 0; c < cols; c++) {
        const v = w[r * cols + c]!;
        if (!Number.isFinite(v)) throw new RangeError(`quantize: weight [${r}, ${c}] is not finite`);
        amax = Math.max(amax, Math.abs(v));
      }
      const inv = amax > 0 ? 127 / amax : 0;
      scales[r] = amax > 0 ? amax / 127 : 1;
      for (let c = 0; c < cols; c++) out[r * cols + c] = Math.min(127, Math.max(-127, roundHalfEven(w[r * cols + c]! * inv)));
    }
  },
  linearQuant(x, rows, inF, outF, format, wq, scales, bias, out) {
    const bf16 = format === QUANT_BF16;
    // bf16 with many rows: the activations are rounded to bf16 as well.
    const xs = bf16 && rows >= QUANT_ROUND_ROWS ? x.map((v) => fromBf16(toBf16(v))) : x;
    const deq = new Float64Array(inF);
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) deq[i] = bf16 ? fromBf16(wq[bf16TiledIndex(o, i, inF)]!) : wq[o * inF + i]! * scales![o]!;
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        for (let i = 0; i < inF; i++) acc += xs[r * inF + i]! * deq[i]!;
        out[r * outF + o] = acc + (bias ? bias[o]! : 0);
      }
    }
  },
};

export type { F32, I32 };
