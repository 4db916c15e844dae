/**
 * What this machine can do, measured in the benchmark's own process setting (threads as the
 * case): the peak FMA rate (a register-only FMA loop), the memory read bandwidth, and our
 * sgemm's rate on a case's largest linear layer. Benchmark utilisation figures divide by these.
 */
import { performance } from 'node:perf_hooks';
import { backend } from '../backend/index.js';
import { fmaPeak, gemmPath, getNumThreads, readBandwidth } from '../backend/native/index.js';
import { median, round } from './stats.js';

export interface Limits {
  threads: number;
  gemm_path: string;
  fma_peak_gflops: number;
  fma_isa: string;
  read_bandwidth_gbs: number;
  sgemm_shape: string;
  sgemm_gflops: number;
}

/** sgemm GFLOP/s (median of `reps`) of x[rows×inF]·W[outF×inF]ᵀ on the current backend. */
export function sgemmRate(rows: number, inF: number, outF: number, reps = 5): number {
  const be = backend();
  const x = new Float32Array(rows * inF).fill(0.5), w = new Float32Array(outF * inF).fill(0.25), y = new Float32Array(rows * outF);
  const run = (): void => be.gemm({ transA: false, transB: true, m: rows, n: outF, k: inF, alpha: 1, a: x, lda: inF, strideA: 0, b: w, ldb: inF, strideB: 0, beta: 0, c: y, ldc: outF, strideC: 0, batch: 1 });
  run();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  return (2 * rows * inF * outF) / (median(t) * 1e6);
}

export function measureLimits(rows: number, inF: number, outF: number): Limits {
  const threads = getNumThreads().omp;
  const peak = fmaPeak(threads, 400);
  return {
    threads,
    gemm_path: gemmPath(),
    fma_peak_gflops: round(peak.gflops, 1),
    fma_isa: peak.isa,
    read_bandwidth_gbs: round(readBandwidth(threads, 1024, 3), 2),
    sgemm_shape: `${rows}x${outF}x${inF} NT`,
    sgemm_gflops: round(sgemmRate(rows, inF, outF), 1),
  };
}
