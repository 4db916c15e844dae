/**
 * Benchmark worker: one fresh process per case (spawned by main.ts), so that each case's peak
 * RSS is its own and the OpenBLAS / OpenMP environment is in place before the native addon loads.
 *
 *   node dist/bench/worker.js selfcheck '{"backend": "native" | "reference" | null}'
 *   node dist/bench/worker.js case '<CaseSpec JSON>'
 *   node dist/bench/worker.js limits '{"rows": R, "inF": I, "outF": O}'   (native only)
 *
 * Prints progress on stderr and one JSON line on stdout: the result, the backend that ran, and
 * peak_rss_mb (process.resourceUsage().maxRSS at the end, KiB → MiB).
 */
import { backend, setBackend, type BackendName } from '../backend/index.js';
import * as native from '../backend/native/index.js';
import { runDecode, runForward, runTrain, type CaseResult } from './cases.js';
import type { CaseSpec } from './options.js';
import { measureLimits } from './limits.js';
import { selfCheck } from './selfcheck.js';
import { WorkMeter, countingBackend } from './work-counter.js';

const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

function resolveBackend(name: BackendName | null): BackendName {
  if (name) setBackend(name);
  return backend().name;
}

/** Thread counts and OpenBLAS build of the native addon, as it sees them (null on reference). */
function nativeInfo(name: BackendName): Record<string, unknown> | null {
  if (name !== 'native') return null;
  try {
    return { threads: native.getNumThreads(), gemm_path: native.gemmPath(), blas_config: native.blasConfig() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

function main(): void {
  const [role, json] = process.argv.slice(2);
  if (!json) throw new Error('usage: worker.js selfcheck|case <json>');
  const arg = JSON.parse(json) as Record<string, unknown>;
  if (role === 'selfcheck') {
    const name = resolveBackend((arg['backend'] as BackendName | null) ?? null);
    log(`self-check: ${name} backend against the reference backend`);
    const r = selfCheck(name);
    process.stdout.write(JSON.stringify({ ...r, native: nativeInfo(name), peak_rss_mb: peakRssMb() }) + '\n');
    return;
  }
  if (role === 'limits') {
    setBackend('native');
    process.stdout.write(JSON.stringify(measureLimits(arg['rows'] as number, arg['inF'] as number, arg['outF'] as number)) + '\n');
    return;
  }
  if (role !== 'case') throw new Error(`unknown worker role '${role}'`);
  const spec = arg as unknown as CaseSpec;
  const name = resolveBackend(spec.backend);
  const run: Record<string, (s: CaseSpec, l: typeof log, m: WorkMeter) => CaseResult> = { train: runTrain, forward: runForward, decode: runDecode };
  const fn = run[spec.case];
  if (!fn) throw new Error(`unknown case '${spec.case}'`);
  // Count the executed work of the timed iterations (decode: of the single-token steps).
  const meter = new WorkMeter();
  setBackend(countingBackend(backend(), meter));
  const t0 = Date.now();
  const r = fn(spec, log, meter);
  const steps = spec.case === 'decode' ? spec.iters * (spec.gen - 1) : spec.iters;
  const c = meter.counts;
  const work = {
    executed_gflop_per_step: Math.round((c.flop / steps / 1e9) * 1000) / 1000,
    executed_gemm_gflop_per_step: Math.round((c.gemmFlop / steps / 1e9) * 1000) / 1000,
    executed_attention_gflop_per_step: Math.round((c.attentionFlop / steps / 1e9) * 1000) / 1000,
    streamed_mb_per_step: Math.round((c.streamedBytes / steps / 1e6) * 10) / 10,
    achieved_gflops: Math.round((c.flop / steps / 1e9 / (r.ms_per_step / 1e3)) * 10) / 10,
    achieved_stream_gbs: Math.round((c.streamedBytes / steps / 1e9 / (r.ms_per_step / 1e3)) * 100) / 100,
  };
  process.stdout.write(JSON.stringify({ backend: name, ...r, ...work, native: nativeInfo(name), wall_s: Math.round((Date.now() - t0) / 100) / 10, peak_rss_mb: peakRssMb() }) + '\n');
}

main();
