/**
 * Our sgemm (native/sgemm*.cc) on every path this CPU and build can run (AVX-512, AVX2+FMA,
 * portable, OpenBLAS where linked) against the reference backend: edge tiles of each register
 * blocking, depths across the kc block, row and column counts across the packing blocks, all
 * transpose combinations, batches and the matrix-vector forms. GLM_GEMM=<path> restricts the
 * sweep to that path; the last test runs the sweep in child processes with GLM_GEMM set, so the
 * environment variable is what forces each path there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { referenceBackend as ref } from '../reference/index.js';
import { gemmPath, gemmPaths, getNumThreads, loadNativeBackend, setGemmPath, setNumThreads, type GemmPathName } from './index.js';

let nat: Backend | null = null;
let skipReason: string | false = false;
try {
  nat = loadNativeBackend();
} catch (e) {
  if (process.env['GLM_REQUIRE_NATIVE'] === '1') throw e;
  skipReason = `native addon unavailable: ${e instanceof Error ? e.message : String(e)}`;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 * 2 - 1;
  };
}

interface Case { transA: boolean; transB: boolean; m: number; n: number; k: number; batch: number; beta: number }

/** Runs one product on both backends; fails unless every element is within the dot-product error bound. */
function check(r: () => number, c: Case): Float32Array {
  const { transA, transB, m, n, k, batch, beta } = c;
  const alpha = 0.75;
  const lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
  const strideA = (transA ? k : m) * lda + 5, strideB = (transB ? n : k) * ldb + 1, strideC = m * ldc + 2;
  const a = Float32Array.from({ length: strideA * batch }, r), b = Float32Array.from({ length: strideB * batch }, r);
  const c0 = Float32Array.from({ length: strideC * batch }, r);
  const args = { transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, ldc, strideC, batch };
  const want = new Float32Array(c0), got = new Float32Array(c0);
  // beta = 0 must overwrite C without reading it: NaN there must not leak into the result.
  if (beta === 0) got.fill(NaN);
  ref.gemm({ ...args, c: want });
  nat!.gemm({ ...args, c: got });
  const abs = (x: Float32Array): Float32Array => x.map(Math.abs);
  const bound = abs(c0);
  ref.gemm({ ...args, alpha, a: abs(a), b: abs(b), beta: Math.abs(beta), c: bound });
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const at = bi * strideC + i * ldc + j;
        const tol = 4e-7 * Math.sqrt(k + 1) * bound[at]! + 1e-30;
        if (!(Math.abs(got[at]! - want[at]!) <= tol)) {
          assert.fail(`${gemmPath()} ${JSON.stringify(c)}: C[${bi}][${i}][${j}] = ${got[at]}, reference ${want[at]} (tolerance ${tol})`);
        }
      }
    }
  }
  return got;
}

/** Sizes around every register tile (4×16, 6×16, 12×32) and block edge (kc 256, mc, nc 4096). */
function sweep(): Case[] {
  const cases: Case[] = [];
  const ms = [1, 2, 3, 5, 6, 7, 11, 12, 13, 25, 97];
  const ns = [1, 15, 16, 17, 31, 33, 65];
  const r = rng(7);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const m of ms) for (const n of ns) cases.push({ transA, transB, m, n, k: 1 + Math.floor((r() + 1) * 20), batch: 1, beta: m % 2 ? 0 : 0.5 });
      for (const k of [255, 256, 257, 600]) cases.push({ transA, transB, m: 14, n: 35, k, batch: 1, beta: 1 });
      cases.push({ transA, transB, m: 3100, n: 18, k: 9, batch: 1, beta: 0 }); // rows beyond one packed chunk
      cases.push({ transA, transB, m: 13, n: 4200, k: 7, batch: 1, beta: 0.5 }); // columns beyond one nc block
      cases.push({ transA, transB, m: 200, n: 300, k: 290, batch: 1, beta: 0 }); // threaded packed product (≥ 2^24 multiply-adds)
      cases.push({ transA, transB, m: 9, n: 13, k: 21, batch: 5, beta: 0.5 }); // batch-parallel small products
      cases.push({ transA, transB, m: 1, n: 700, k: 300, batch: 2, beta: 0 }); // row vector × matrix
      cases.push({ transA, transB, m: 700, n: 1, k: 300, batch: 2, beta: 0.5 }); // matrix × column vector
      cases.push({ transA, transB, m: 1, n: 1, k: 77, batch: 1, beta: 0 });
    }
  }
  return cases;
}

function pathsUnderTest(): GemmPathName[] {
  const forced = process.env['GLM_GEMM'];
  return forced && forced !== 'auto' ? [forced as GemmPathName] : gemmPaths();
}

test('sgemm sweep: every path against the reference backend', { skip: skipReason }, () => {
  const before = gemmPath();
  try {
    for (const path of pathsUnderTest()) {
      setGemmPath(path);
      assert.equal(gemmPath(), path);
      const r = rng(11);
      for (const c of sweep()) check(r, c);
    }
  } finally {
    setGemmPath(before);
  }
});

test('sgemm: results do not depend on the thread count', { skip: skipReason }, () => {
  const threads = getNumThreads().omp;
  const before = gemmPath();
  try {
    for (const path of pathsUnderTest().filter((p) => p !== 'openblas')) {
      setGemmPath(path);
      for (const c of [{ transA: false, transB: true, m: 150, n: 300, k: 520, batch: 1, beta: 0 }, { transA: true, transB: false, m: 1, n: 900, k: 400, batch: 1, beta: 0 }]) {
        setNumThreads(1);
        const one = check(rng(3), c);
        setNumThreads(2);
        const two = check(rng(3), c);
        assert.deepEqual(two, one, `${path} ${JSON.stringify(c)}`);
      }
    }
  } finally {
    setNumThreads(threads);
    setGemmPath(before);
  }
});

test('sgemm: the auto path is the best this CPU offers, and unknown names are refused', { skip: skipReason }, () => {
  const paths = gemmPaths();
  assert.ok(paths.includes('portable'));
  const before = gemmPath();
  try {
    setGemmPath('auto');
    assert.equal(gemmPath(), paths[0]);
    assert.throws(() => setGemmPath('sse9' as GemmPathName), /unknown sgemm path 'sse9'/);
    if (!paths.includes('openblas')) assert.throws(() => setGemmPath('openblas'), /built without OpenBLAS/);
  } finally {
    setGemmPath(before);
  }
});

const self = fileURLToPath(import.meta.url);
/** The child prints its own TAP report (without NODE_TEST_CONTEXT it does not talk to this runner). */
function childEnv(gemm: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GLM_GEMM: gemm, GLM_REQUIRE_NATIVE: '1' };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

test('GLM_GEMM forces each path (sweep in a child process per path)', { skip: skipReason || process.env['GLM_GEMM'] !== undefined }, () => {
  for (const path of gemmPaths()) {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-name-pattern=^sgemm sweep', self], { env: childEnv(path), encoding: 'utf8' });
    assert.equal(r.status, 0, `GLM_GEMM=${path}: child failed\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /# pass 1/, `GLM_GEMM=${path}: the sweep did not run\n${r.stdout}`);
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `import('${new URL('./index.js', import.meta.url).href}').then((m) => console.log(m.gemmPath()))`], { env: childEnv(path), encoding: 'utf8' });
    assert.equal(probe.stdout.trim(), path, `GLM_GEMM=${path}: ${probe.stderr}`);
  }
  const bad = spawnSync(process.execPath, ['--input-type=module', '-e', `import('${new URL('./index.js', import.meta.url).href}').then((m) => m.gemmPath())`], { env: childEnv('sse9'), encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /GLM_GEMM: unknown sgemm path 'sse9'/);
});

test('machine limits: FMA peak and read bandwidth are measured, bad arguments refused', { skip: skipReason }, async () => {
  const { fmaPeak, readBandwidth } = await import('./index.js');
  const peak = fmaPeak(1, 20);
  assert.ok(peak.gflops > 0 && Number.isFinite(peak.gflops), `gflops ${peak.gflops}`);
  assert.ok(['avx512', 'avx2', 'scalar'].includes(peak.isa), peak.isa);
  const bw = readBandwidth(1, 16, 1);
  assert.ok(bw > 0 && Number.isFinite(bw), `bandwidth ${bw}`);
  assert.throws(() => fmaPeak(0, 10), RangeError);
  assert.throws(() => readBandwidth(1, 0, 1), RangeError);
});
