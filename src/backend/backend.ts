/**
 * The kernel interface every backend implements.
 *
 * A backend is a bag of kernels over flat typed arrays in row-major order. It knows nothing of
 * tensors, shapes or autograd: the tensor core (src/tensor) and the model (src/model) decide
 * what to call and keep the bookkeeping. Two implementations exist:
 *   - `reference` (src/backend/reference): plain TypeScript, written to be read; the oracle.
 *   - `native` (native/*.cc through src/backend/native): C++ N-API addon, our own sgemm for every
 *     matmul, OpenMP-threaded loops for the rest.
 *
 * Conventions shared by every kernel:
 *   - Arrays are passed as views (`subarray`) so an "offset" is just a view; nothing is copied.
 *   - `out` arguments are written, never read, unless the doc says "accumulates" (`+=`).
 *   - Letters in shape comments: B batch, S query length, K key length (memory + S), H hidden,
 *     N heads, D head size (H = N·D), V vocabulary, R rows, C columns.
 *   - Masked attention scores follow GLM exactly: `s·m + (-65504)·(1-m)` with m ∈ {0,1}; a row
 *     with every key masked therefore becomes uniform over all K keys (it is not zeroed).
 *   - Dropout draws come from `dropoutKeep` below (a counter-based hash), so both backends drop
 *     exactly the same elements for the same (seed, offset).
 */

export type F32 = Float32Array;
export type I32 = Int32Array;

export const GELU_ERF = 0;
export const GELU_TANH = 1;
export type GeluKind = typeof GELU_ERF | typeof GELU_TANH;

export const MASK_NONE = 0;
export const MASK_SEP = 1;
export const MASK_EXPLICIT = 2;
export type MaskMode = typeof MASK_NONE | typeof MASK_SEP | typeof MASK_EXPLICIT;

export const MASK_FILL = -65504;

/** Weight formats of the low-precision linear kernels (see Backend.quantize). */
export const QUANT_BF16 = 0;
export const QUANT_INT8 = 1;
export type QuantFormat = typeof QUANT_BF16 | typeof QUANT_INT8;
/** Quantized weights: bf16 bit patterns (Uint16Array) or int8 codes (Int8Array). */
export type QuantData = Uint16Array | Int8Array;
/** bf16 products with at least this many rows round the activations to bf16 as well. */
export const QUANT_ROUND_ROWS = 32;

/**
 * Length of the quantized data of W [rows, cols]: int8 is row-major [rows, cols]; bf16 is tiled
 * for AMX / VNNI (see Backend.quantize), rows padded to a multiple of 16 and cols to 32.
 */
export function quantDataLength(format: QuantFormat, rows: number, cols: number): number {
  if (format === QUANT_INT8) return rows * cols;
  return Math.ceil(rows / 16) * 16 * Math.ceil(cols / 32) * 32;
}

/** Index of W[o][i] in the tiled bf16 layout (cols = the unpadded input size). */
export function bf16TiledIndex(o: number, i: number, cols: number): number {
  const ip = Math.ceil(cols / 32) * 32;
  return ((o >> 4) * (ip >> 5) + (i >> 5)) * 512 + ((i & 31) >> 1) * 32 + (o & 15) * 2 + (i & 1);
}

/** Batched strided GEMM: for b in [0,batch): C_b = alpha·op(A_b)·op(B_b) + beta·C_b. */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  /** op(A) is m×k, op(B) is k×n, C is m×n. */
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: F32;
  /** Row stride of A as stored (≥ k when !transA, ≥ m when transA). */
  lda: number;
  /** Element distance between consecutive batch items of A (ignored when batch = 1). */
  strideA: number;
  b: F32;
  ldb: number;
  strideB: number;
  beta: number;
  c: F32;
  ldc: number;
  strideC: number;
  batch: number;
}

/**
 * Fused multi-head attention over strided Q/K/V views.
 * Q: [B, S, ldq] rows, head h uses columns [h·D, (h+1)·D); same for K and V with K rows.
 * Rows of batch item b start at b·S·ldq (Q, out) and b·K·ldk (K, V): i.e. the batch stride is
 * rows × row stride.
 */
export interface AttentionArgs {
  q: F32;
  ldq: number;
  k: F32;
  ldk: number;
  v: F32;
  ldv: number;
  batch: number;
  heads: number;
  headDim: number;
  /** Query rows S. */
  sq: number;
  /** Key rows K = M + S (M memory rows in front, always visible). */
  sk: number;
  /** Scores are Q·(Kᵀ·scale); GLM uses scale = 1/sqrt(D). */
  scale: number;
  maskMode: MaskMode;
  /**
   * MASK_SEP: sep[b] (length B). With M = sk − sq memory columns, query i sees key column j iff
   * j < M, or (j − M) ≤ i, or (j − M) < sep[b].
   */
  sep: I32 | null;
  /** MASK_EXPLICIT: 0/1 mask [B, S, K] (the caller slices the last K columns of a wider mask). */
  mask: F32 | null;
  /** Attention-probability dropout (0 = off); kept probabilities are scaled by 1/(1−p). */
  dropoutP: number;
  dropoutSeed: number;
  /** Output context: [B, S, ldo], head h written at columns [h·D, (h+1)·D). */
  out: F32;
  ldo: number;
  /** Optional: the softmax probabilities before dropout [B, N, S, K], kept for backward. */
  probs: F32 | null;
  /**
   * Optional: per query row, the max of its masked scaled scores and 1 / Σ_j exp(s_j − max),
   * [B, N, S, 2] — what the backward pass needs to recompute the probabilities instead of
   * keeping the S×K probs (recomputed with the same masking and arithmetic as the forward).
   */
  stats?: F32 | null;
}

export interface AttentionBackwardArgs extends AttentionArgs {
  /**
   * probs from the forward call; when null, `stats` from the forward call is required and the
   * probabilities are recomputed from Q and K (one more Q·Kᵀ product, no S×K buffer kept).
   */
  probs: F32 | null;
  /** Gradient of the context: [B, S, ldo]. */
  dout: F32;
  /** Gradients of Q, K, V, same layouts as q/k/v (ld = ldq/ldk/ldv). Accumulates (+=). */
  dq: F32;
  dk: F32;
  dv: F32;
}

export interface Backend {
  readonly name: 'reference' | 'native';

  /** See GemmArgs. */
  gemm(args: GemmArgs): void;

  // ---- element-wise (all lengths equal to out.length unless stated) ----
  /** out = a + b */
  add(a: F32, b: F32, out: F32): void;
  /** out = a · b (element-wise) */
  mul(a: F32, b: F32, out: F32): void;
  /** y += alpha · x */
  axpy(alpha: number, x: F32, y: F32): void;
  /** out = alpha · x (out may be x) */
  scale(x: F32, alpha: number, out: F32): void;
  /** Σ x² in double precision. */
  sumSquares(x: F32): number;
  /**
   * Indices of the rows of x [R, C] that hold any element other than ±0 (NaN counts as nonzero),
   * ascending, written to out[0, count); returns count. out has length ≥ R. Lets a product skip
   * the rows of a gradient that are known to be zero (e.g. logits outside the loss mask).
   */
  nonzeroRows(x: F32, rows: number, cols: number, out: I32): number;

  /**
   * Generic strided binary op over an N-d output (N ≤ 8): out[i] = a[ia] (op) b[ib], where ia / ib
   * come from per-dimension element strides (0 on a broadcast dimension). op: 0 add, 1 mul.
   * out is contiguous with `shape`.
   */
  broadcastBinary(op: 0 | 1, a: F32, aStrides: number[], b: F32, bStrides: number[], out: F32, shape: number[]): void;
  /**
   * Strided copy: out (contiguous, `shape`) [i] = src[offset + Σ idx_d · strides_d]. Used for
   * transpose / permute / slice. N ≤ 8.
   */
  copyStrided(src: F32, offset: number, strides: number[], out: F32, shape: number[]): void;
  /**
   * Strided accumulate, the adjoint of copyStrided: dst[offset + Σ idx_d · strides_d] += src[i]
   * for src contiguous with `shape`. Strides may be 0 (sum over a broadcast dimension).
   */
  accumulateStrided(src: F32, shape: number[], dst: F32, offset: number, strides: number[]): void;

  // ---- rows × columns helpers ----
  /** x[r, c] += bias[c] for x [R, C]. */
  addBias(x: F32, bias: F32, rows: number, cols: number): void;
  /** out[c] (+)= Σ_r x[r, c]; accumulates when `accumulate`. x [R, C], out [C]. */
  sumRows(x: F32, rows: number, cols: number, out: F32, accumulate: boolean): void;

  // ---- embeddings ----
  /** out[r, :] (+)= table[ids[r], :] for r < ids.length; table [V, C]. Throws nothing: ids are checked by the caller. */
  gatherRows(table: F32, ids: I32, cols: number, out: F32, accumulate: boolean): void;
  /** dTable[ids[r], :] += dOut[r, :] (scatter-add; repeated ids add up). */
  scatterAddRows(dOut: F32, ids: I32, cols: number, dTable: F32): void;

  // ---- LayerNorm over the last dimension (biased variance) ----
  /** y = (x − μ)/sqrt(σ² + eps)·gamma + beta, x,y [R, C]; writes mean[R] and rstd[R]. */
  layerNorm(x: F32, gamma: F32, beta: F32, rows: number, cols: number, eps: number, y: F32, mean: F32, rstd: F32): void;
  /**
   * Backward of layerNorm. dx accumulates (+=); dgamma, dbeta accumulate (+=) when non-null.
   */
  layerNormBackward(dy: F32, x: F32, gamma: F32, mean: F32, rstd: F32, rows: number, cols: number, dx: F32, dgamma: F32 | null, dbeta: F32 | null): void;

  // ---- GELU ----
  /** y = gelu(x). */
  gelu(x: F32, y: F32, kind: GeluKind): void;
  /** dx += dy · gelu'(x). */
  geluBackward(x: F32, dy: F32, dx: F32, kind: GeluKind): void;
  /** Fused bias + GELU for x [R, C]: x[r,c] += bias[c] in place (kept for backward), y = gelu(x). */
  biasGelu(x: F32, bias: F32, rows: number, cols: number, y: F32, kind: GeluKind): void;

  // ---- softmax over the last dimension ----
  /**
   * y[r, :] = softmax(x[r, :]·m + (−65504)·(1 − m)) where m is `mask` [R, C] (0/1) or all ones when
   * mask is null.
   */
  softmax(x: F32, mask: F32 | null, rows: number, cols: number, y: F32): void;
  /** dx += (y · (dy − Σ_c y·dy)) · m  (m = mask or ones). */
  softmaxBackward(y: F32, dy: F32, mask: F32 | null, rows: number, cols: number, dx: F32): void;

  // ---- dropout ----
  /**
   * y[i] = x[i]·keep(i)/(1 − p), keep(i) = dropoutKeep(seed, i, p). y may be x.
   */
  dropout(x: F32, p: number, seed: number, y: F32): void;
  /** dx += dy[i]·keep(i)/(1 − p). */
  dropoutBackward(dy: F32, p: number, seed: number, dx: F32): void;

  // ---- attention ----
  attention(args: AttentionArgs): void;
  attentionBackward(args: AttentionBackwardArgs): void;

  // ---- loss ----
  /**
   * Per-row softmax cross-entropy with label smoothing eps:
   *   loss[r] = (1 − eps)·(lse − x[t]) + eps·(lse − mean_c x[c]), lse = log Σ_c exp(x[r, c]).
   * logits [R, V], targets [R] (any value is allowed on rows that the caller will weight 0, but it
   * must lie in [0, V)). Writes loss[R] and lse[R].
   */
  crossEntropy(logits: F32, targets: I32, rows: number, vocab: number, smoothing: number, loss: F32, lse: F32): void;
  /**
   * dlogits[r, c] (+)= coef[r]·(softmax(x[r])[c] − (1 − eps)·[c = t_r] − eps/V). Accumulates when
   * `accumulate`, else overwrites. Rows with coef 0 are written as 0 (overwrite) or skipped.
   */
  crossEntropyBackward(logits: F32, targets: I32, lse: F32, coef: F32, rows: number, vocab: number, smoothing: number, dlogits: F32, accumulate: boolean): void;

  // ---- optimizer ----
  /**
   * One AdamW step over a flat parameter range (PyTorch torch.optim.AdamW semantics):
   *   p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
   *   p ← p − (lr / bc1)·m / (sqrt(v)/sqrt(bc2) + eps), with bc1 = 1 − β1^t, bc2 = 1 − β2^t.
   * gradScale multiplies g first (used for clipping and accumulation averaging).
   */
  adamw(p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number, gradScale: number): void;

  // ---- low-precision inference (weight-only) ----
  /**
   * Quantizes W [R, C] (a row is one output channel) into out of length quantDataLength().
   *   QUANT_BF16: out (Uint16Array) = the upper half of each float32, rounded to nearest even
   *               (NaN stays NaN), tiled for the AMX / VNNI units: tile (rb, cb) of 16 rows × 32
   *               columns starts at (rb·⌈C/32⌉ + cb)·512 and holds W[16·rb + n][32·cb + 2·k + j]
   *               at k·32 + 2·n + j; padding is 0 (bf16TiledIndex). scales unused (may be null).
   *   QUANT_INT8: out (Int8Array) [R, C] = roundHalfEven(W · 127 / max_c |W[r, c]|) clamped to
   *               [−127, 127]; scale[r] = max_c |W[r, c]| / 127 (1 for an all-zero row, computed
   *               in double, stored as float32). Non-finite weights throw a RangeError.
   */
  quantize(w: F32, rows: number, cols: number, format: QuantFormat, out: QuantData, scales: F32 | null): void;
  /**
   * out[r, o] = Σ_i x[r, i]·W[o, i] + bias[o] for x [R, I] (float32) and quantized W [O, I]
   * (int8: W = code·scale[o]); float32 accumulation. out [R, O] is overwritten. For bf16 with
   * R ≥ QUANT_ROUND_ROWS the activations are rounded to bf16 too (the AMX path multiplies bf16
   * by bf16; every backend and path applies the same rounding, so results do not depend on the
   * CPU); fewer rows (decode steps) keep float32 activations.
   */
  linearQuant(x: F32, rows: number, inF: number, outF: number, format: QuantFormat, wq: QuantData, scales: F32 | null, bias: F32 | null, out: F32): void;
}

/**
 * Counter-based keep decision for dropout, shared by both backends (the native one reimplements
 * exactly this). A 32-bit mix of (seed, index) compared against p·2^32.
 */
export function dropoutHash(seed: number, index: number): number {
  let h = (Math.imul(index >>> 0, 0x9e3779b1) ^ Math.imul(seed >>> 0, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export function dropoutKeep(seed: number, index: number, p: number): boolean {
  return dropoutHash(seed, index) >= Math.floor(p * 4294967296);
}

/**
 * The sep rule of MASK_SEP (spec §2.3), counted over the new chunk: query i sees key j iff j ≤ i
 * or j < sep. Cached memory columns in front of the chunk are always visible.
 */
export const sepSees = (i: number, j: number, sep: number): boolean => j <= i || j < sep;
