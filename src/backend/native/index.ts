/**
 * The native backend: a thin wrapper over the C++ N-API addon build/Release/glm_native.node
 * (sources in native/*.cc, built by scripts/build-native.mjs). Every kernel forwards its typed
 * arrays and numbers positionally, without copies; the addon validates lengths and throws
 * TypeError / RangeError on bad arguments instead of reading out of bounds.
 *
 * Matrix products run on our own sgemm (native/sgemm*.cc: AVX-512, AVX2+FMA or portable kernels,
 * picked for the CPU; GLM_GEMM=avx512|avx2|portable|openblas|auto forces one). OpenBLAS is only
 * linked when the addon is built with GLM_OPENBLAS=1, as the comparison path 'openblas'.
 *
 * Threads: OpenMP kernels and sgemm default to the core count (or OMP_NUM_THREADS), a linked
 * OpenBLAS to its own default (or OPENBLAS_NUM_THREADS); setNumThreads(n) sets both.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttentionArgs, AttentionBackwardArgs, Backend, F32, GemmArgs, I32, QuantData } from '../backend.js';

/** Positional signatures of the addon's exports (see native/*.cc). */
interface Addon {
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: F32, lda: number, strideA: number, b: F32, ldb: number, strideB: number,
    beta: number, c: F32, ldc: number, strideC: number, batch: number,
  ): void;
  add(a: F32, b: F32, out: F32): void;
  mul(a: F32, b: F32, out: F32): void;
  axpy(alpha: number, x: F32, y: F32): void;
  scale(x: F32, alpha: number, out: F32): void;
  sumSquares(x: F32): number;
  nonzeroRows(x: F32, rows: number, cols: number, out: I32): number;
  broadcastBinary(op: number, a: F32, aStrides: number[], b: F32, bStrides: number[], out: F32, shape: number[]): void;
  copyStrided(src: F32, offset: number, strides: number[], out: F32, shape: number[]): void;
  accumulateStrided(src: F32, shape: number[], dst: F32, offset: number, strides: number[]): void;
  addBias(x: F32, bias: F32, rows: number, cols: number): void;
  sumRows(x: F32, rows: number, cols: number, out: F32, accumulate: boolean): void;
  gatherRows(table: F32, ids: I32, cols: number, out: F32, accumulate: boolean): void;
  scatterAddRows(dOut: F32, ids: I32, cols: number, dTable: F32): void;
  layerNorm(x: F32, gamma: F32, beta: F32, rows: number, cols: number, eps: number, y: F32, mean: F32, rstd: F32): void;
  layerNormBackward(dy: F32, x: F32, gamma: F32, mean: F32, rstd: F32, rows: number, cols: number, dx: F32, dgamma: F32 | null, dbeta: F32 | null): void;
  gelu(x: F32, y: F32, kind: number): void;
  geluBackward(x: F32, dy: F32, dx: F32, kind: number): void;
  biasGelu(x: F32, bias: F32, rows: number, cols: number, y: F32, kind: number): void;
  softmax(x: F32, mask: F32 | null, rows: number, cols: number, y: F32): void;
  softmaxBackward(y: F32, dy: F32, mask: F32 | null, rows: number, cols: number, dx: F32): void;
  dropout(x: F32, p: number, seed: number, y: F32): void;
  dropoutBackward(dy: F32, p: number, seed: number, dx: F32): void;
  attention(
    q: F32, ldq: number, k: F32, ldk: number, v: F32, ldv: number,
    batch: number, heads: number, headDim: number, sq: number, sk: number, scale: number,
    maskMode: number, sep: I32 | null, mask: F32 | null, dropoutP: number, dropoutSeed: number,
    out: F32, ldo: number, probs: F32 | null, stats: F32 | null,
  ): void;
  attentionBackward(
    q: F32, ldq: number, k: F32, ldk: number, v: F32, ldv: number,
    batch: number, heads: number, headDim: number, sq: number, sk: number, scale: number,
    maskMode: number, sep: I32 | null, mask: F32 | null, dropoutP: number, dropoutSeed: number,
    out: F32 | null, ldo: number, probs: F32 | null, dout: F32, dq: F32, dk: F32, dv: F32, stats: F32 | null,
  ): void;
  crossEntropy(logits: F32, targets: I32, rows: number, vocab: number, smoothing: number, loss: F32, lse: F32): void;
  crossEntropyBackward(logits: F32, targets: I32, lse: F32, coef: F32, rows: number, vocab: number, smoothing: number, dlogits: F32, accumulate: boolean): void;
  adamw(p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number, gradScale: number): void;
  quantize(w: F32, rows: number, cols: number, format: number, out: QuantData, scales: F32 | null): void;
  linearQuant(x: F32, rows: number, inF: number, outF: number, format: number, wq: QuantData, scales: F32 | null, bias: F32 | null, out: F32): void;
  setNumThreads(n: number): void;
  getNumThreads(): { omp: number; blas: number; procs: number };
  setAttentionSchedule(mode: number): void;
  blasConfig(): string;
  amxAvailable(): boolean;
  gemmPath(): string;
  setGemmPath(name: string): void;
  gemmPaths(): string[];
  fmaPeak(threads: number, ms: number): { gflops: number; isa: string };
  readBandwidth(threads: number, mib: number, passes: number): number;
}

/** Package root: this file compiles to dist/backend/native/index.js. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where the addon is looked for (GLM_NATIVE_ADDON overrides, for tests of other builds). */
export function nativeAddonPath(): string {
  return process.env['GLM_NATIVE_ADDON'] ?? join(packageRoot, 'build', 'Release', 'glm_native.node');
}

let addon: Addon | null = null;
let backendInstance: Backend | null = null;

function loadAddon(): Addon {
  if (addon) return addon;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    throw new Error(`native addon not built (${path} is missing; run \`npm run build:native\`, which needs a C++ compiler)`);
  }
  // libgomp reads its settings once, when the addon pulls it in. Idle OpenMP workers that spin
  // steal the cores OpenBLAS threads need between kernels, so make them yield quickly unless
  // the user chose otherwise.
  if (process.env['OMP_WAIT_POLICY'] === undefined && process.env['GOMP_SPINCOUNT'] === undefined) {
    process.env['GOMP_SPINCOUNT'] = '10000';
  }
  const require = createRequire(import.meta.url);
  try {
    addon = require(path) as Addon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot load native addon ${path}: ${msg}`);
  }
  return addon;
}

function createBackend(n: Addon): Backend {
  return {
    name: 'native',

    gemm: (g: GemmArgs) =>
      n.gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.strideA, g.b, g.ldb, g.strideB, g.beta, g.c, g.ldc, g.strideC, g.batch),

    add: (a, b, out) => n.add(a, b, out),
    mul: (a, b, out) => n.mul(a, b, out),
    axpy: (alpha, x, y) => n.axpy(alpha, x, y),
    scale: (x, alpha, out) => n.scale(x, alpha, out),
    sumSquares: (x) => n.sumSquares(x),
    nonzeroRows: (x, rows, cols, out) => n.nonzeroRows(x, rows, cols, out),

    broadcastBinary: (op, a, aStrides, b, bStrides, out, shape) => n.broadcastBinary(op, a, aStrides, b, bStrides, out, shape),
    copyStrided: (src, offset, strides, out, shape) => n.copyStrided(src, offset, strides, out, shape),
    accumulateStrided: (src, shape, dst, offset, strides) => n.accumulateStrided(src, shape, dst, offset, strides),

    addBias: (x, bias, rows, cols) => n.addBias(x, bias, rows, cols),
    sumRows: (x, rows, cols, out, accumulate) => n.sumRows(x, rows, cols, out, accumulate),

    gatherRows: (table, ids, cols, out, accumulate) => n.gatherRows(table, ids, cols, out, accumulate),
    scatterAddRows: (dOut, ids, cols, dTable) => n.scatterAddRows(dOut, ids, cols, dTable),

    layerNorm: (x, gamma, beta, rows, cols, eps, y, mean, rstd) => n.layerNorm(x, gamma, beta, rows, cols, eps, y, mean, rstd),
    layerNormBackward: (dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta) =>
      n.layerNormBackward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta),

    gelu: (x, y, kind) => n.gelu(x, y, kind),
    geluBackward: (x, dy, dx, kind) => n.geluBackward(x, dy, dx, kind),
    biasGelu: (x, bias, rows, cols, y, kind) => n.biasGelu(x, bias, rows, cols, y, kind),

    softmax: (x, mask, rows, cols, y) => n.softmax(x, mask, rows, cols, y),
    softmaxBackward: (y, dy, mask, rows, cols, dx) => n.softmaxBackward(y, dy, mask, rows, cols, dx),

    dropout: (x, p, seed, y) => n.dropout(x, p, seed, y),
    dropoutBackward: (dy, p, seed, dx) => n.dropoutBackward(dy, p, seed, dx),

    attention: (t: AttentionArgs) =>
      n.attention(
        t.q, t.ldq, t.k, t.ldk, t.v, t.ldv, t.batch, t.heads, t.headDim, t.sq, t.sk, t.scale,
        t.maskMode, t.sep, t.mask, t.dropoutP, t.dropoutSeed, t.out, t.ldo, t.probs, t.stats ?? null,
      ),
    attentionBackward: (t: AttentionBackwardArgs) =>
      n.attentionBackward(
        t.q, t.ldq, t.k, t.ldk, t.v, t.ldv, t.batch, t.heads, t.headDim, t.sq, t.sk, t.scale,
        t.maskMode, t.sep, t.mask, t.dropoutP, t.dropoutSeed, t.out, t.ldo, t.probs, t.dout, t.dq, t.dk, t.dv, t.stats ?? null,
      ),

    crossEntropy: (logits, targets, rows, vocab, smoothing, loss, lse) => n.crossEntropy(logits, targets, rows, vocab, smoothing, loss, lse),
    crossEntropyBackward: (logits, targets, lse, coef, rows, vocab, smoothing, dlogits, accumulate) =>
      n.crossEntropyBackward(logits, targets, lse, coef, rows, vocab, smoothing, dlogits, accumulate),

    adamw: (p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale) =>
      n.adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale),

    quantize: (w, rows, cols, format, out, scales) => n.quantize(w, rows, cols, format, out, scales),
    linearQuant: (x, rows, inF, outF, format, wq, scales, bias, out) => n.linearQuant(x, rows, inF, outF, format, wq, scales, bias, out),
  };
}

/** Loads the addon and returns the native backend; throws with the reason when it cannot load. */
export function loadNativeBackend(): Backend {
  if (backendInstance) return backendInstance;
  backendInstance = createBackend(loadAddon());
  return backendInstance;
}

/** Threads for the OpenMP kernels and for OpenBLAS (n ≥ 1). Loads the addon. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected an integer >= 1, got ${n}`);
  loadAddon().setNumThreads(n);
}

/** Current thread settings: OpenMP kernels, matrix products (blas: OpenBLAS's pool on the openblas path, else the OpenMP team), processors available. */
export function getNumThreads(): { omp: number; blas: number; procs: number } {
  return loadAddon().getNumThreads();
}

/**
 * Attention schedule (benchmarking aid): 'auto' (default), 'heads' (OpenMP over (batch, head)
 * pairs with single-threaded BLAS inside), 'rows' (pairs in sequence, threaded BLAS).
 */
export function setAttentionSchedule(mode: 'auto' | 'heads' | 'rows'): void {
  loadAddon().setAttentionSchedule(mode === 'auto' ? 0 : mode === 'heads' ? 1 : 2);
}

/** OpenBLAS build configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... SkylakeX MAX_THREADS=64"); "" when not linked. */
export function blasConfig(): string {
  return loadAddon().blasConfig();
}

/** Whether bf16 products over many rows run on the CPU's AMX tile units (CPUID + Linux permission). */
export function amxAvailable(): boolean {
  return loadAddon().amxAvailable();
}

/** sgemm paths: our kernels for each instruction set, and OpenBLAS where the addon links it. */
export type GemmPathName = 'avx512' | 'avx2' | 'portable' | 'openblas';

/** The sgemm path in use (from GLM_GEMM, else the best for this CPU). */
export function gemmPath(): GemmPathName {
  return loadAddon().gemmPath() as GemmPathName;
}

/** Paths this CPU and build can run, best first. */
export function gemmPaths(): GemmPathName[] {
  return loadAddon().gemmPaths() as GemmPathName[];
}

/** Switches the sgemm path ('auto': the best here); RangeError naming the reason when unavailable. */
export function setGemmPath(name: GemmPathName | 'auto'): void {
  loadAddon().setGemmPath(name);
}

/** Peak FMA rate (GFLOP/s) of `threads` threads running register-only FMA chains for about `ms` ms each, best of 3. */
export function fmaPeak(threads: number, ms: number): { gflops: number; isa: string } {
  return loadAddon().fmaPeak(threads, ms);
}

/** Memory read bandwidth (GB/s, best of `passes`) of `threads` threads summing a `mib`-MiB buffer. */
export function readBandwidth(threads: number, mib: number, passes: number): number {
  return loadAddon().readBandwidth(threads, mib, passes);
}
