#!/usr/bin/env node
/**
 * sgemm micro-benchmark on the model's shapes: our sgemm against OpenBLAS in one process.
 *
 *   GLM_OPENBLAS=1 npm run build:native   # an addon that also links OpenBLAS (path 'openblas')
 *   node dist/bench/sgemm-bench.js [--reps N] [--paths avx512,openblas]
 *
 * Shapes: every product of a GLM-Base train step (batch 4 × 512: 2048 token rows, hidden 768,
 * the LM head over ~337 loss rows and its two gradients, per-head attention products), the
 * GLM-Large forward (2048 rows, hidden 1024) and GLM-Large decode (one row). For each shape
 * the paths run interleaved, `reps` times each; the median time gives GFLOP/s. Threads: the
 * OpenMP team (OMP_NUM_THREADS, default every core) for ours, the same count for OpenBLAS.
 * One JSON line per shape on stdout, then a summary line with the FMA peak; a table on stderr.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadNativeBackend, gemmPath, gemmPaths, setGemmPath, fmaPeak, getNumThreads, setNumThreads, type GemmPathName } from '../backend/native/index.js';
import { median, round } from './stats.js';

interface Shape { name: string; transA: boolean; transB: boolean; m: number; n: number; k: number }

const sh = (name: string, t: string, m: number, n: number, k: number): Shape => ({ name, transA: t[0] === 'T', transB: t[1] === 'T', m, n, k });

export const MODEL_SHAPES: readonly Shape[] = [
  sh('base qkv fwd', 'NT', 2048, 2304, 768), sh('base qkv dX', 'NN', 2048, 768, 2304), sh('base qkv dW', 'TN', 2304, 768, 2048),
  sh('base ffn up fwd', 'NT', 2048, 3072, 768), sh('base ffn down fwd', 'NT', 2048, 768, 3072),
  sh('base ffn dX', 'NN', 2048, 768, 3072), sh('base ffn dW', 'TN', 3072, 768, 2048), sh('base proj fwd', 'NT', 2048, 768, 768),
  sh('base lm head fwd', 'NT', 337, 30592, 768), sh('base lm head dX', 'NN', 337, 768, 30592), sh('base lm head dW', 'TN', 30592, 768, 337),
  sh('base attn scores', 'NT', 512, 512, 64), sh('base attn context', 'NN', 512, 64, 512),
  sh('large ffn up fwd', 'NT', 2048, 4096, 1024), sh('large ffn down fwd', 'NT', 2048, 1024, 4096), sh('large qkv fwd', 'NT', 2048, 3072, 1024),
  sh('large decode ffn up', 'NT', 1, 4096, 1024), sh('large decode ffn down', 'NT', 1, 1024, 4096), sh('large decode lm head', 'NT', 1, 30592, 1024),
];

function timeShape(s: Shape, paths: GemmPathName[], reps: number): Record<string, number> {
  const be = loadNativeBackend();
  const a = new Float32Array(s.m * s.k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = new Float32Array(s.k * s.n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(s.m * s.n);
  const args = { transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1, a, lda: s.transA ? s.m : s.k, strideA: 0, b, ldb: s.transB ? s.k : s.n, strideB: 0, beta: 0, c, ldc: s.n, strideC: 0, batch: 1 };
  const times: Record<string, number[]> = {};
  for (const p of paths) {
    setGemmPath(p);
    be.gemm(args); // warm-up: buffers, pages, caches
    times[p] = [];
  }
  for (let r = 0; r < reps; r++) {
    for (const p of paths) {
      setGemmPath(p);
      const t0 = performance.now();
      be.gemm(args);
      times[p]!.push(performance.now() - t0);
    }
  }
  const flop = 2 * s.m * s.n * s.k;
  return Object.fromEntries(paths.map((p) => [p, round(flop / (median(times[p]!) * 1e6), 1)]));
}

function main(): void {
  const { values } = parseArgs({ options: { reps: { type: 'string' }, paths: { type: 'string' }, threads: { type: 'string' } } });
  const reps = Number(values.reps ?? 7);
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`--reps must be a positive integer, got ${values.reps}`);
  loadNativeBackend();
  if (values.threads) setNumThreads(Number(values.threads));
  const own = gemmPath();
  const available = gemmPaths();
  const paths = (values.paths ? values.paths.split(',') : [own, ...(available.includes('openblas') && own !== 'openblas' ? ['openblas'] : [])]) as GemmPathName[];
  for (const p of paths) if (!available.includes(p)) throw new RangeError(`path '${p}' is not available here (available: ${available.join(', ')})`);
  const threads = getNumThreads().omp;
  for (const s of MODEL_SHAPES) {
    const r = timeShape(s, paths, reps);
    const line: Record<string, unknown> = { bench: 'sgemm', shape: s.name, op: `${s.m}x${s.n}x${s.k} ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`, gflops: r, threads, reps };
    if (r['openblas'] && paths[0] !== 'openblas') line['own_vs_openblas'] = round(r[paths[0]!]! / r['openblas'], 3);
    process.stdout.write(JSON.stringify(line) + '\n');
    process.stderr.write(`${s.name.padEnd(22)} ${String(line['op']).padEnd(18)} ${paths.map((p) => `${p} ${r[p]}`).join('  ')}${line['own_vs_openblas'] ? `  ratio ${line['own_vs_openblas']}` : ''}\n`);
  }
  setGemmPath(own);
  const peak = fmaPeak(threads, 400);
  process.stdout.write(JSON.stringify({ bench: 'fma_peak', threads, gflops: round(peak.gflops, 1), isa: peak.isa }) + '\n');
  process.stderr.write(`FMA peak (${threads} threads, ${peak.isa}): ${round(peak.gflops, 1)} GFLOP/s\n`);
}

main();
