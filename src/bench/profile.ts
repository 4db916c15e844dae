#!/usr/bin/env node
/**
 * Profiled benchmark: where a train step, a scoring forward or a decode step spends its time,
 * and the low-precision inference options side by side with PyTorch.
 *
 *   node dist/bench/profile.js [--quant bf16|int8] [--torch] [--no-sgemm] [bench flags]
 *
 * Takes the shape flags of `npm run bench` (--case, --config, --seq, --batch, --context, --gen,
 * --warmup, --iters, --threads, --unset-openblas-env, --seed, …; see src/bench/options.ts) and:
 *   --quant K   forward / decode with GLMModel.quantize(K) (train stays float32);
 *   --torch     also runs tools/bench/torch_glm_bench.py on the same shape (its best setting:
 *               --threads 1, OPENBLAS_NUM_THREADS = threads, K/V cache) and prints the ratio;
 *   --no-sgemm  skips the in-process sgemm reference rate (used for model FLOP utilisation).
 * Each case runs in a fresh child process (its own peak RSS; thread variables set before the
 * native addon loads). Per case: one JSON line on stdout with the time per kernel family, the
 * GEMM rate per shape, the model FLOPs and their utilisation of the measured sgemm rate; a
 * readable table on stderr.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { backend, setBackend } from '../backend/index.js';
import { amxAvailable, blasConfig } from '../backend/native/index.js';
import type { Backend, GemmArgs } from '../backend/backend.js';
import { profiled } from '../backend/profiled.js';
import { GLMModel } from '../model/glm.js';
import { parseConfig, type GLMConfig } from '../model/config.js';
import { parseQuantKind, type QuantKind } from '../tensor/ops/quant.js';
import { backward, noGrad } from '../tensor/tensor.js';
import { maskedLmLoss } from '../train/step.js';
import { AdamW, clipCoefficient } from '../train/optimizer.js';
import { Rng } from '../util/rng.js';
import { argmaxLast, decodePrompt, decodeStepInput, randomBlankBatch } from './batch.js';
import { parseBenchArgs, type CaseSpec } from './options.js';
import { jsonLines, machineInfo, planEnv, repoRoot, runChild } from './proc.js';
import { median, round } from './stats.js';
import { probeTorch, runTorch, torchThroughput } from './torch.js';

const log = (msg: string): void => {
  process.stderr.write(`[profile] ${msg}\n`);
};

/** Kernel → family, for the breakdown. */
const FAMILY: Record<string, string> = {
  gemm: 'gemm', linearQuant: 'gemm (quantized)',
  attention: 'attention', attentionBackward: 'attention',
  gelu: 'gelu', geluBackward: 'gelu', biasGelu: 'gelu',
  layerNorm: 'layernorm', layerNormBackward: 'layernorm',
  crossEntropy: 'loss', crossEntropyBackward: 'loss', nonzeroRows: 'loss',
  adamw: 'optimizer', sumSquares: 'optimizer',
  softmax: 'softmax', softmaxBackward: 'softmax',
};

interface ChildOptions {
  spec: CaseSpec;
  quant: QuantKind | null;
  sgemm: boolean;
}

/** Model FLOPs per step: the dense arithmetic of the model, with full S×S attention. */
function modelFlops(spec: CaseSpec, cfg: GLMConfig): number {
  const H = cfg.hidden_size, L = cfg.num_layers, V = cfg.vocab_size;
  const perTokenDense = 2 * L * 12 * H * H + 2 * H * V;
  if (spec.case === 'decode') {
    // One new token attending over the context and the tokens generated so far (average).
    const ctx = spec.context + 1 + spec.gen / 2;
    return spec.batch * (perTokenDense + 4 * ctx * H * L);
  }
  const T = spec.batch * spec.seq;
  const fwd = T * perTokenDense + L * spec.batch * 4 * spec.seq * spec.seq * H;
  return spec.case === 'train' ? 3 * fwd : fwd;
}

/** Records time and FLOPs of every gemm call by shape. */
function gemmShapes(inner: Backend): { backend: Backend; report: () => Record<string, unknown>[] } {
  const shapes = new Map<string, { calls: number; ms: number; flop: number }>();
  const wrapped: Backend = {
    ...inner,
    gemm: (g: GemmArgs) => {
      const t0 = performance.now();
      inner.gemm(g);
      const dt = performance.now() - t0;
      const key = `${g.m}x${g.n}x${g.k} ${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}${g.batch > 1 ? ` ×${g.batch}` : ''}`;
      const e = shapes.get(key) ?? { calls: 0, ms: 0, flop: 0 };
      e.calls++;
      e.ms += dt;
      e.flop += 2 * g.m * g.n * g.k * g.batch;
      shapes.set(key, e);
    },
  };
  const report = (): Record<string, unknown>[] =>
    [...shapes.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([shape, e]) => ({
      shape, calls: e.calls, ms: round(e.ms, 1), gflops: round(e.flop / (e.ms * 1e6), 1),
    }));
  return { backend: wrapped, report };
}

/** sgemm rate (GFLOP/s, median of 3) on the case's largest linear shape, same process. */
function sgemmRate(rows: number, inF: number, outF: number): number {
  const be = backend();
  const x = new Float32Array(rows * inF).fill(0.5), w = new Float32Array(outF * inF).fill(0.25), y = new Float32Array(rows * outF);
  const run = (): void => be.gemm({ transA: false, transB: true, m: rows, n: outF, k: inF, alpha: 1, a: x, lda: inF, strideA: 0, b: w, ldb: inF, strideB: 0, beta: 0, c: y, ldc: outF, strideC: 0, batch: 1 });
  run();
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  return (2 * rows * inF * outF) / (median(t) * 1e6);
}

function child(o: ChildOptions): Record<string, unknown> {
  const { spec } = o;
  const cfg = parseConfig(spec.config, `${spec.case} shape`);
  const model = new GLMModel(cfg).initialize(spec.seed);
  if (o.quant && spec.case !== 'train') model.quantize(o.quant);
  const native = backend();
  const shapes = gemmShapes(native);
  const prof = profiled(shapes.backend);
  const B = spec.batch, S = spec.seq, V = cfg.vocab_size, H = cfg.hidden_size;
  const times: number[] = [];
  let tokensPerStep = B * S;
  let extra: Record<string, unknown> = {};
  const timed = (it: number): boolean => it >= spec.warmup;
  if (spec.case === 'train') {
    const opt = new AdamW(model.params);
    const rng = new Rng(spec.seed + 1);
    for (let it = 0; it < spec.warmup + spec.iters; it++) {
      const { input, targets, lossMask } = randomBlankBatch(rng, B, S, V);
      setBackend(timed(it) ? prof : native);
      const t0 = performance.now();
      model.params.zeroGrad();
      backward(maskedLmLoss(model, { input, targets, lossMask }, { train: true }));
      const { coef } = clipCoefficient(model.params.grad, 1.0);
      opt.update(coef);
      const dt = performance.now() - t0;
      if (timed(it)) times.push(dt);
      log(`train ${timed(it) ? 'iter' : 'warm-up'} ${it + 1}: ${dt.toFixed(0)} ms (load ${os.loadavg()[0]!.toFixed(2)})`);
    }
  } else if (spec.case === 'forward') {
    const rng = new Rng(spec.seed + 3);
    for (let it = 0; it < spec.warmup + spec.iters; it++) {
      const { input, targets, lossMask } = randomBlankBatch(rng, B, S, V);
      setBackend(timed(it) ? prof : native);
      const t0 = performance.now();
      noGrad(() => maskedLmLoss(model, { input, targets, lossMask }).item());
      const dt = performance.now() - t0;
      if (timed(it)) times.push(dt);
      log(`forward ${timed(it) ? 'iter' : 'warm-up'} ${it + 1}: ${dt.toFixed(0)} ms (load ${os.loadavg()[0]!.toFixed(2)})`);
    }
  } else {
    const N = spec.context, G = spec.gen;
    tokensPerStep = B;
    const prompt = decodePrompt(new Rng(spec.seed + 2), B, N, V);
    const prefill: number[] = [];
    let first: number[] = [];
    for (let it = 0; it < spec.warmup + spec.iters; it++) {
      setBackend(native);
      const t0 = performance.now();
      const cache = model.createCache(B, 'kv');
      let next = argmaxLast(model.forwardIncremental(prompt.input, cache, 'last').f32, B, V);
      const t1 = performance.now();
      setBackend(timed(it) ? prof : native);
      const gen: number[] = [];
      for (let k = 1; k < G; k++) {
        gen.push(next[0]!);
        next = argmaxLast(model.forwardIncremental(decodeStepInput(next, prompt.maskPos, k), cache, 'last').f32, B, V);
      }
      const t2 = performance.now();
      if (timed(it)) {
        times.push((t2 - t1) / (G - 1));
        prefill.push(t1 - t0);
      }
      first = gen.slice(0, 8);
      log(`decode ${timed(it) ? 'iter' : 'warm-up'} ${it + 1}: prefill ${(t1 - t0).toFixed(0)} ms, ${((t2 - t1) / (G - 1)).toFixed(1)} ms/token (load ${os.loadavg()[0]!.toFixed(2)})`);
    }
    extra = { prefill_ms: round(median(prefill), 1), generated_first: first };
  }
  setBackend(native);
  const steps = spec.case === 'decode' ? spec.iters * (spec.gen - 1) : spec.iters;
  const ms = median(times);
  const kernels = prof.report();
  const kernelMs = kernels.reduce((s, k) => s + k.ms, 0) / steps;
  const families: Record<string, number> = {};
  for (const k of kernels) {
    const f = FAMILY[k.kernel] ?? 'elementwise / copies';
    families[f] = (families[f] ?? 0) + k.ms / steps;
  }
  const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
  families['non-kernel (JS, allocation)'] = Math.max(0, meanMs - kernelMs);
  const flop = modelFlops(spec, cfg);
  const largest = spec.case === 'decode' ? null : sgemmRate(B * S, H, 4 * H);
  const sgemm = o.sgemm && largest !== null ? largest : null;
  return {
    case: spec.case,
    quant: o.quant && spec.case !== 'train' ? o.quant : null,
    ms_per_step: round(ms, 1),
    tokens_per_s: round(tokensPerStep / (ms / 1e3), 2),
    iter_ms: times.map((t) => round(t, 1)),
    model_gflop_per_step: round(flop / 1e9, 3),
    achieved_gflops: round(flop / (ms * 1e6), 1),
    sgemm_gflops: sgemm === null ? null : round(sgemm, 1),
    mfu_vs_sgemm: sgemm === null ? null : round(flop / (ms * 1e6) / sgemm, 3),
    family_ms: Object.fromEntries(Object.entries(families).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v, 1)])),
    kernels: kernels.map((k) => ({ kernel: k.kernel, calls: k.calls / steps, ms: round(k.ms / steps, 2) })),
    gemm_shapes: shapes.report().map((s) => ({ ...s, calls: (s['calls'] as number) / steps, ms: round((s['ms'] as number) / steps, 1) })),
    quantized_mb: round(model.quantizedBytes() / 2 ** 20, 1),
    native: native.name === 'native' ? { blas_config: blasConfig(), amx: amxAvailable() } : null,
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    ...extra,
  };
}

function splitFlags(argv: string[]): { quant: QuantKind | null; torch: boolean; sgemm: boolean; child: string | null; rest: string[] } {
  let quant: QuantKind | null = null, torch = false, sgemm = true, childArg: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quant') quant = parseQuantKind(argv[++i] ?? '');
    else if (a.startsWith('--quant=')) quant = parseQuantKind(a.slice(8));
    else if (a === '--torch') torch = true;
    else if (a === '--no-sgemm') sgemm = false;
    else if (a === '--child') childArg = argv[++i] ?? null;
    else rest.push(a);
  }
  return { quant, torch, sgemm, child: childArg, rest };
}

function table(r: Record<string, unknown>): void {
  const fam = r['family_ms'] as Record<string, number>;
  const total = r['ms_per_step'] as number;
  log(`${r['case']}${r['quant'] ? ` (${r['quant']})` : ''}: ${total} ms/step, ${r['tokens_per_s']} tokens/s, model ${r['model_gflop_per_step']} GFLOP/step → ` +
    `${r['achieved_gflops']} GFLOP/s${r['sgemm_gflops'] !== null ? ` = ${round(100 * (r['mfu_vs_sgemm'] as number), 1)}% of sgemm ${r['sgemm_gflops']} GFLOP/s` : ''}, peak RSS ${r['peak_rss_mb']} MB`);
  for (const [k, v] of Object.entries(fam)) log(`  ${k.padEnd(28)} ${v.toFixed(1).padStart(9)} ms  ${((100 * v) / total).toFixed(1).padStart(5)}%`);
  for (const s of (r['gemm_shapes'] as Record<string, unknown>[]).slice(0, 12)) {
    log(`  gemm ${String(s['shape']).padEnd(26)} ${String(s['calls']).padStart(5)} calls ${String(s['ms']).padStart(8)} ms ${String(s['gflops']).padStart(7)} GFLOP/s`);
  }
}

async function main(): Promise<void> {
  const f = splitFlags(process.argv.slice(2));
  if (f.child) {
    const o = JSON.parse(f.child) as ChildOptions;
    process.stdout.write(JSON.stringify(child(o)) + '\n');
    return;
  }
  const opts = parseBenchArgs(f.rest);
  const env = planEnv(opts.threads, opts.unsetOpenblasEnv);
  const root = repoRoot();
  const machine = machineInfo();
  // The same correctness gate as `npm run bench`, on the backend these runs time.
  const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
  const sc = await runChild(process.execPath, [worker, 'selfcheck', JSON.stringify({ backend: opts.backend })], env.ours);
  const scJson = jsonLines(sc.stdout).pop();
  if (sc.code !== 0 || scJson?.['ok'] !== true) {
    log(`SELF-CHECK FAILED (exit ${sc.code}); no timings taken`);
    process.stdout.write(JSON.stringify({ case: 'selfcheck', ok: false, selfcheck: scJson ?? null }) + '\n');
    process.exitCode = 1;
    return;
  }
  log(`self-check passed on ${scJson['backend']} (${scJson['ms']} ms)`);
  const probe = f.torch ? probeTorch(root, env.torch) : null;
  if (probe && !probe.available) log(`PyTorch unavailable: ${probe.reason}`);
  let failures = 0;
  for (const spec of opts.specs) {
    const s: CaseSpec = { ...spec, backend: opts.backend };
    const load0 = Math.round(os.loadavg()[0]! * 100) / 100;
    const r = await runChild(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify({ spec: s, quant: f.quant, sgemm: f.sgemm })], env.ours);
    const ours = jsonLines(r.stdout).pop() ?? null;
    if (r.code !== 0 || !ours) {
      failures++;
      log(`${spec.case}: child failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''})`);
      continue;
    }
    table(ours);
    let torch: Record<string, unknown> = {};
    if (probe?.available) {
      const t = await runTorch(probe, s, env.torch);
      const tt = torchThroughput(spec.case, t.result);
      const mine = ours['tokens_per_s'] as number;
      torch = {
        torch_tokens_per_s: tt?.tokensPerS ?? null, torch_ms_per_step: tt?.msPerStep ?? null, torch_peak_rss_mb: t.peakRssMb,
        ratio: tt && tt.tokensPerS > 0 ? round(mine / tt.tokensPerS, 3) : null, torch_command: t.command, torch_error: t.error,
      };
      log(`  PyTorch: ${tt?.tokensPerS ?? '-'} tokens/s, peak RSS ${t.peakRssMb} MB → ratio ${torch['ratio']}`);
    }
    const line = {
      ...ours, ...torch, shape: spec.config, batch: spec.batch, seq: spec.seq, context: spec.context, gen: spec.gen,
      threads: opts.threads, env: env.record, loadavg_1m: { start: load0, end: Math.round(os.loadavg()[0]! * 100) / 100 },
      machine, date: new Date().toISOString(), argv: process.argv.slice(2),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  process.exitCode = failures ? 1 : 0;
}

await main();
