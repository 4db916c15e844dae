#!/usr/bin/env node
/**
 * Micro-benchmark of the native backend's heaviest kernels (not a test).
 *
 *   npm run build && node scripts/kernel-bench.mjs [--threads N] [--iters N] [--schedule auto|heads|rows|all]
 *
 * Reports sgemm 2048×768×3072 (M×K×N) GFLOP/s for the three transpose forms a linear layer uses,
 * fused attention forward / backward at the GLM-Base training shape (B=4, N=12, S=512, D=64,
 * q/k/v strided views of one [B, S, 3H] buffer, MASK_SEP, dropout 0.1), and a few row kernels.
 * Times are medians after a warm-up call.
 */
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const native = await import(pathToFileURL(join(root, 'dist', 'backend', 'native', 'index.js')).href);

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
};
const iters = Number(opt('iters', '5'));
const threads = opt('threads', null);
const scheduleOpt = opt('schedule', 'auto');

const nb = native.loadNativeBackend();
if (threads !== null) native.setNumThreads(Number(threads));
const t = native.getNumThreads();
console.log(`native backend: ${native.blasConfig()}`);
console.log(`threads: omp ${t.omp}, blas ${t.blas}, procs ${t.procs}; OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '-'} GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT ?? '-'}`);

function rand(n, scale = 1) {
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

/** Median and best time (ms) of `n` calls after a warm-up call. */
function time(fn, n = iters) {
  fn(); // warm-up (thread pools, page faults, scratch buffers)
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { med: times[Math.floor(times.length / 2)], min: times[0] };
}

const fmt = (t) => `${t.med.toFixed(2)} ms (best ${t.min.toFixed(2)})`;
const gflops = (flop, t) => `${(flop / (t.med * 1e6)).toFixed(1)} GFLOP/s (best ${(flop / (t.min * 1e6)).toFixed(1)})`;

// ---- sgemm 2048×768×3072 ----
{
  const M = 2048, K = 768, Nn = 3072;
  const flop = 2 * M * K * Nn;
  const x = rand(M * K), w = rand(K * Nn), y = new Float32Array(M * Nn), dy = rand(M * Nn);
  const dx = new Float32Array(M * K), dw = new Float32Array(K * Nn);
  const g = (transA, transB, m, n, k, a, lda, b, ldb, c, ldc) =>
    nb.gemm({ transA, transB, m, n, k, alpha: 1, a, lda, strideA: 0, b, ldb, strideB: 0, beta: 0, c, ldc, strideC: 0, batch: 1 });
  const cases = [
    ['forward  Y = X·W     (NN)', () => g(false, false, M, Nn, K, x, K, w, Nn, y, Nn)],
    ['backward dX = dY·Wᵀ  (NT)', () => g(false, true, M, K, Nn, dy, Nn, w, Nn, dx, K)],
    ['backward dW = Xᵀ·dY  (TN)', () => g(true, false, K, Nn, M, x, K, dy, Nn, dw, Nn)],
  ];
  console.log(`\nsgemm 2048×768×3072 (${(flop / 1e9).toFixed(2)} GFLOP per call)`);
  for (const [name, fn] of cases) {
    const tm = time(fn);
    console.log(`  ${name}: ${fmt(tm)}  ${gflops(flop, tm)}`);
  }
}

// ---- attention B=4, N=12, S=512, D=64 ----
{
  const B = 4, Nh = 12, S = 512, D = 64, H = Nh * D;
  const qkv = rand(B * S * 3 * H);
  const dqkv = new Float32Array(B * S * 3 * H);
  const out = new Float32Array(B * S * H), dout = rand(B * S * H);
  const probs = new Float32Array(B * Nh * S * S);
  const sep = Int32Array.from({ length: B }, (_, b) => 128 + 64 * b);
  const flopFwd = 2 * 2 * B * Nh * S * S * D; // two products
  const flopBwd = 2 * flopFwd; // four products
  const schedules = scheduleOpt === 'all' ? ['heads', 'rows'] : [scheduleOpt];
  for (const dropoutP of [0, 0.1]) {
    const args = {
      q: qkv, ldq: 3 * H, k: qkv.subarray(H), ldk: 3 * H, v: qkv.subarray(2 * H), ldv: 3 * H,
      batch: B, heads: Nh, headDim: D, sq: S, sk: S, scale: 1 / Math.sqrt(D),
      maskMode: 1, sep, mask: null, dropoutP, dropoutSeed: 7, out, ldo: H, probs,
    };
    const bargs = { ...args, dout, dq: dqkv, dk: dqkv.subarray(H), dv: dqkv.subarray(2 * H) };
    for (const sch of schedules) {
      native.setAttentionSchedule(sch);
      const f = time(() => nb.attention(args));
      const b = time(() => nb.attentionBackward(bargs));
      const fb = time(() => {
        nb.attention(args);
        nb.attentionBackward(bargs);
      });
      console.log(
        `\nattention B=${B} N=${Nh} S=${S} D=${D} MASK_SEP dropout=${dropoutP} schedule=${sch}\n` +
          `  forward  ${fmt(f)}  ${gflops(flopFwd, f)}\n` +
          `  backward ${fmt(b)}  ${gflops(flopBwd, b)}\n` +
          `  fwd+bwd  ${fmt(fb)}`,
      );
    }
    native.setAttentionSchedule('auto');
  }
}

// ---- row kernels at GLM-Base sizes ----
{
  const R = 2048, H = 768, F = 3072;
  const x = rand(R * H, 2), gamma = rand(H), beta = rand(H), y = new Float32Array(R * H);
  const mean = new Float32Array(R), rstd = new Float32Array(R), dx = new Float32Array(R * H);
  const dg = new Float32Array(H), dbt = new Float32Array(H);
  const h = rand(R * F, 3), hy = new Float32Array(R * F), hdx = new Float32Array(R * F);
  const V = 50048, Rc = 512;
  const logits = rand(Rc * V, 5), targets = Int32Array.from({ length: Rc }, (_, i) => (i * 7919) % V);
  const loss = new Float32Array(Rc), lse = new Float32Array(Rc), coef = new Float32Array(Rc).fill(1 / Rc);
  const dlogits = new Float32Array(Rc * V);
  const p = rand(R * F), gr = rand(R * F, 0.01), m = new Float32Array(R * F), v = new Float32Array(R * F);
  const rows = [
    [`layerNorm [${R}, ${H}]`, () => nb.layerNorm(x, gamma, beta, R, H, 1e-5, y, mean, rstd)],
    [`layerNormBackward [${R}, ${H}]`, () => nb.layerNormBackward(x, x, gamma, mean, rstd, R, H, dx, dg, dbt)],
    [`gelu erf [${R}, ${F}]`, () => nb.gelu(h, hy, 0)],
    [`geluBackward erf [${R}, ${F}]`, () => nb.geluBackward(h, h, hdx, 0)],
    [`gelu tanh [${R}, ${F}]`, () => nb.gelu(h, hy, 1)],
    [`softmax [${R * 4}, 512]`, () => nb.softmax(h, null, R * 4, 512, hy)],
    [`dropout p=0.1 [${R}, ${F}]`, () => nb.dropout(h, 0.1, 3, hy)],
    [`crossEntropy [${Rc}, ${V}]`, () => nb.crossEntropy(logits, targets, Rc, V, 0.1, loss, lse)],
    [`crossEntropyBackward [${Rc}, ${V}]`, () => nb.crossEntropyBackward(logits, targets, lse, coef, Rc, V, 0.1, dlogits, false)],
    [`adamw ${(R * F / 1e6).toFixed(1)}M params`, () => nb.adamw(p, gr, m, v, 1e-4, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.001, 1)],
    [`copyStrided transpose [${R}, ${H}]`, () => nb.copyStrided(x, 0, [1, H], y, [H, R])],
  ];
  console.log('\nrow kernels');
  for (const [name, fn] of rows) console.log(`  ${name}: ${fmt(time(fn))}`);
}
