/**
 * Neural-network ops: embedding sums, LayerNorm, GELU (plain and fused with a linear layer),
 * masked softmax, dropout, fused multi-head attention, and cross-entropy over a loss mask.
 */
import { backend } from '../../backend/index.js';
import { type GeluKind, type MaskMode, MASK_EXPLICIT, MASK_NONE, MASK_SEP } from '../../backend/backend.js';
import { Tensor, opResult, shapeStr } from '../tensor.js';
import { gemmBackward, gemmInto } from './linalg.js';
import { allocOutput } from './arena.js';

/**
 * Σ_t tables[t][ids[t]] — the sum of several embedding lookups (GLM adds word, position and
 * block-position embeddings). ids[t] are int32 tensors of one common shape [...]; out [..., C].
 * The caller validates id ranges (the model does, with a clear message).
 */
export function embeddingSum(tables: Tensor[], ids: Tensor[]): Tensor {
  const cols = tables[0]!.shape[1]!;
  const n = ids[0]!.size;
  const be = backend();
  // Every row is written by the first table's gather (accumulate = false).
  const out = allocOutput(n * cols);
  tables.forEach((t, i) => {
    if (t.shape[1] !== cols) throw new Error(`embeddingSum: table ${shapeStr(t.shape)} width differs from ${cols}`);
    be.gatherRows(t.f32, ids[i]!.i32, cols, out, i > 0);
  });
  return opResult(out, [...ids[0]!.shape, cols], 'embedding', tables, (g) => {
    tables.forEach((t, i) => {
      if (t.requiresGrad) be.scatterAddRows(g, ids[i]!.i32, cols, t.grad!);
    });
  });
}

/** Single-table embedding lookup. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  return embeddingSum([table], [ids]);
}

/** LayerNorm over the last dimension (biased variance). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const cols = x.shape[x.ndim - 1]!;
  if (gamma.size !== cols || beta.size !== cols) throw new Error(`layerNorm: γ/β ${shapeStr(gamma.shape)} do not match ${shapeStr(x.shape)}`);
  const rows = x.size / cols;
  const be = backend();
  const y = allocOutput(x.size);
  const mean = allocOutput(rows), rstd = allocOutput(rows);
  be.layerNorm(x.f32, gamma.f32, beta.f32, rows, cols, eps, y, mean, rstd);
  return opResult(y, x.shape, 'layerNorm', [x, gamma, beta], (g) => {
    // dx must exist for the kernel; when x needs no gradient, a scratch buffer takes it.
    const dx = x.requiresGrad ? x.grad! : new Float32Array(x.size);
    be.layerNormBackward(g, x.f32, gamma.f32, mean, rstd, rows, cols, dx, gamma.requiresGrad ? gamma.grad! : null, beta.requiresGrad ? beta.grad! : null);
  });
}

export function gelu(x: Tensor, kind: GeluKind): Tensor {
  const be = backend();
  const y = allocOutput(x.size);
  be.gelu(x.f32, y, kind);
  return opResult(y, x.shape, 'gelu', [x], (g) => be.geluBackward(x.f32, g, x.grad!, kind));
}

/**
 * gelu(x·Wᵀ + b): the MLP's first layer with the bias add and GELU fused after the GEMM.
 * x [..., in], W [out, in], b [out] → [..., out]. Keeps the pre-activation for backward.
 */
/**
 * Gradient of linearGelu's pre-activation, needed only inside its backward: one buffer reused
 * by every call (backward closures run one at a time). A fresh [rows, 4H] array per call is
 * untouched memory that the kernel then faults in page by page (measured on the GLM-Base train
 * step: geluBackward 26 ms per call on fresh buffers, 7.7 ms on a reused one).
 */
let preGradScratch = new Float32Array(0);
function preGradBuffer(n: number): Float32Array {
  if (preGradScratch.length < n) preGradScratch = new Float32Array(n);
  return preGradScratch.subarray(0, n).fill(0);
}

export function linearGelu(x: Tensor, weight: Tensor, bias: Tensor, kind: GeluKind): Tensor {
  const inF = weight.shape[1]!, outF = weight.shape[0]!;
  if (x.shape[x.ndim - 1] !== inF) throw new Error(`linearGelu: input ${shapeStr(x.shape)} does not match weight ${shapeStr(weight.shape)}`);
  const rows = x.size / inF;
  const be = backend();
  const pre = allocOutput(rows * outF);
  gemmInto(false, true, rows, outF, inF, x.f32, weight.f32, pre, 0);
  const y = allocOutput(rows * outF);
  be.biasGelu(pre, bias.f32, rows, outF, y, kind);
  return opResult(y, [...x.shape.slice(0, -1), outF], 'linearGelu', [x, weight, bias], (g) => {
    const dPre = preGradBuffer(rows * outF);
    be.geluBackward(pre, g, dPre, kind);
    gemmBackward(false, true, rows, outF, inF, x.f32, weight.f32, dPre, x.requiresGrad ? x.grad! : null, weight.requiresGrad ? weight.grad! : null);
    if (bias.requiresGrad) be.sumRows(dPre, rows, outF, bias.grad!, true);
  });
}

/**
 * Softmax over the last dimension under an optional 0/1 mask of the same shape, GLM style:
 * masked scores become −65504 (a fully masked row is uniform).
 */
export function softmax(x: Tensor, mask: Tensor | null = null): Tensor {
  const cols = x.shape[x.ndim - 1]!;
  if (mask && mask.size !== x.size) throw new Error(`softmax: mask ${shapeStr(mask.shape)} does not match ${shapeStr(x.shape)}`);
  const rows = x.size / cols;
  const be = backend();
  const y = allocOutput(x.size);
  be.softmax(x.f32, mask ? mask.f32 : null, rows, cols, y);
  return opResult(y, x.shape, 'softmax', [x], (g) => be.softmaxBackward(y, g, mask ? mask.f32 : null, rows, cols, x.grad!));
}

let dropoutCounter = 0;
/** A fresh dropout seed from a seeded stream (see setDropoutSeed). */
export function nextDropoutSeed(): number {
  dropoutCounter = (dropoutCounter + 0x6d2b79f5) >>> 0;
  let t = dropoutCounter;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
/** Seeds the dropout stream (the trainer saves and restores it with checkpoints). */
export function setDropoutSeed(seed: number): void {
  dropoutCounter = seed >>> 0;
}
export function getDropoutState(): number {
  return dropoutCounter;
}

/** Inverted dropout with probability p; p = 0 returns x itself. */
export function dropout(x: Tensor, p: number, seed = nextDropoutSeed()): Tensor {
  if (p <= 0) return x;
  if (p >= 1) throw new Error(`dropout: p must be < 1, got ${p}`);
  const be = backend();
  const y = allocOutput(x.size);
  be.dropout(x.f32, p, seed, y);
  return opResult(y, x.shape, 'dropout', [x], (g) => be.dropoutBackward(g, p, seed, x.grad!));
}

/** The attention mask forms of GLM (spec §2.3). */
export type AttentionMask =
  | { kind: 'none' }
  | { kind: 'sep'; sep: Int32Array }
  | { kind: 'explicit'; mask: Float32Array };

export interface AttentionOptions {
  heads: number;
  mask: AttentionMask;
  dropoutP?: number;
}

function maskArgs(mask: AttentionMask): { maskMode: MaskMode; sep: Int32Array | null; mask: Float32Array | null } {
  if (mask.kind === 'sep') return { maskMode: MASK_SEP, sep: mask.sep, mask: null };
  if (mask.kind === 'explicit') return { maskMode: MASK_EXPLICIT, sep: null, mask: mask.mask };
  return { maskMode: MASK_NONE, sep: null, mask: null };
}

/**
 * Fused self-attention from a fused QKV projection.
 * qkv [B, S, 3H] with Q = [..., 0:H], K = [..., H:2H], V = [..., 2H:3H] (contiguous split);
 * heads N, D = H/N; scores Q·(Kᵀ/√D) under the GLM mask; returns the context [B, S, H].
 * Explicit masks are [B, S, S] 0/1.
 */
export function selfAttention(qkv: Tensor, opts: AttentionOptions): Tensor {
  if (qkv.ndim !== 3 || qkv.shape[2]! % 3 !== 0) throw new Error(`selfAttention: qkv must be [B, S, 3H], got ${shapeStr(qkv.shape)}`);
  const [batch, s, h3] = qkv.shape as [number, number, number];
  const h = h3 / 3;
  const heads = opts.heads;
  if (h % heads !== 0) throw new Error(`selfAttention: hidden ${h} is not divisible by ${heads} heads`);
  const D = h / heads;
  const be = backend();
  const buf = qkv.f32;
  const out = allocOutput(batch * s * h);
  // For backward only the softmax statistics per query row are kept ([B, N, S, 2], written by
  // the kernel): the backward recomputes the probabilities from Q and K (one more Q·Kᵀ product,
  // a few percent of the attention time) instead of keeping a [B, N, S, S] buffer per layer.
  const stats = qkv.requiresGrad ? allocOutput(batch * heads * s * 2) : null;
  const dropoutP = opts.dropoutP ?? 0;
  const dropoutSeed = dropoutP > 0 ? nextDropoutSeed() : 0;
  const args = {
    q: buf, ldq: h3, k: buf.subarray(h), ldk: h3, v: buf.subarray(2 * h), ldv: h3,
    batch, heads, headDim: D, sq: s, sk: s, scale: 1 / Math.sqrt(D),
    ...maskArgs(opts.mask), dropoutP, dropoutSeed, out, ldo: h, probs: null, stats,
  };
  be.attention(args);
  return opResult(out, [batch, s, h], 'attention', [qkv], (g) => {
    const d = qkv.grad!;
    be.attentionBackward({ ...args, dout: g, dq: d, dk: d.subarray(h), dv: d.subarray(2 * h) });
  });
}

/** One sample's keys and values for cachedAttention: rows with row stride `ld`. */
export interface KeyValueRows {
  k: Float32Array;
  v: Float32Array;
  ld: number;
}

export interface CachedAttentionOptions {
  batch: number;
  /** New query rows per sample (S). */
  seq: number;
  hidden: number;
  heads: number;
  /** Row stride of q, and where sample b's first query row starts (b · qSampleStride). */
  ldq: number;
  qSampleStride: number;
  /** Key rows per sample: the cached memory and the new chunk (M + S). */
  keys: number;
  kv: (b: number) => KeyValueRows;
  /** sep [B] counted over the new chunk (every cached row is visible), or explicit [B, S, M + S]. */
  mask: AttentionMask;
}

/**
 * Attention of a new chunk over a decoding cache (inference only: no autograd). Queries are the
 * S rows per sample of q; keys and values are the M + S rows per sample that kv(b) gives (the
 * cache, then the new chunk). Returns the context [B, S, H].
 */
export function cachedAttention(q: Float32Array, o: CachedAttentionOptions): Tensor {
  const { batch: B, seq: S, hidden: H, heads: N, keys: T } = o;
  const D = H / N;
  const be = backend();
  const { maskMode, sep, mask } = maskArgs(o.mask);
  const ctx = new Float32Array(B * S * H);
  for (let b = 0; b < B; b++) {
    const { k, v, ld } = o.kv(b);
    be.attention({
      q: q.subarray(b * o.qSampleStride), ldq: o.ldq, k, ldk: ld, v, ldv: ld,
      batch: 1, heads: N, headDim: D, sq: S, sk: T, scale: 1 / Math.sqrt(D),
      maskMode, sep: sep ? sep.subarray(b, b + 1) : null, mask: mask ? mask.subarray(b * S * T, (b + 1) * S * T) : null,
      dropoutP: 0, dropoutSeed: 0, out: ctx.subarray(b * S * H), ldo: H, probs: null,
    });
  }
  return new Tensor(ctx, [B, S, H]);
}

/**
 * Σ_r CE(logits[r], targets[r])·lossMask[r] / Σ lossMask — GLM's token-level mean (spec §1.9),
 * optionally label-smoothed: per row (1−ε)·NLL + ε·mean_c(−log_softmax). logits [..., V].
 * Returns the scalar loss; `perToken` (if given) receives every row's (unmasked) CE.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, lossMask: Float32Array, smoothing = 0, perToken?: Float32Array): Tensor {
  const vocab = logits.shape[logits.ndim - 1]!;
  const rows = logits.size / vocab;
  if (targets.length !== rows || lossMask.length !== rows) {
    throw new Error(`crossEntropy: ${rows} rows of logits but ${targets.length} targets and ${lossMask.length} mask entries`);
  }
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0 || t >= vocab) throw new Error(`crossEntropy: target ${t} at row ${r} is outside the vocabulary [0, ${vocab})`);
  }
  const be = backend();
  const loss = perToken ?? new Float32Array(rows);
  const lse = new Float32Array(rows);
  be.crossEntropy(logits.f32, targets, rows, vocab, smoothing, loss, lse);
  let num = 0, den = 0;
  for (let r = 0; r < rows; r++) {
    num += loss[r]! * lossMask[r]!;
    den += lossMask[r]!;
  }
  const value = den > 0 ? num / den : 0;
  return opResult(Float32Array.of(value), [], 'crossEntropy', [logits], (g) => {
    const coef = new Float32Array(rows);
    if (den > 0) for (let r = 0; r < rows; r++) coef[r] = (g[0]! * lossMask[r]!) / den;
    be.crossEntropyBackward(logits.f32, targets, lse, coef, rows, vocab, smoothing, logits.grad!, true);
  });
}
