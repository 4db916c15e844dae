/**
 * Benchmark worker: one fresh process per case (spawned by main.ts), so that each case's peak
 * RSS is its own and the OpenBLAS / OpenMP environment is in place before the native addon loads.
 *
 *   node dist/bench/worker.js selfcheck '{"backend": "native" | "reference" | null}'
 *   node dist/bench/worker.js case '<CaseSpec JSON>'
 *
 * Prints progress on stderr and one JSON line on stdout: the result, the backend that ran, and
 * peak_rss_mb (process.resourceUsage().maxRSS at the end, KiB → MiB).
 */
import { backend, setBackend, type BackendName } from '../backend/index.js';
import * as native from '../backend/native/index.js';
import { runDecode, runForward, runTrain, type CaseResult } from './cases.js';
import type { CaseSpec } from './options.js';
import { selfCheck } from './selfcheck.js';

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
    return { threads: native.getNumThreads(), blas_config: native.blasConfig() };
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
  if (role !== 'case') throw new Error(`unknown worker role '${role}'`);
  const spec = arg as unknown as CaseSpec;
  const name = resolveBackend(spec.backend);
  const run: Record<string, (s: CaseSpec, l: typeof log) => CaseResult> = { train: runTrain, forward: runForward, decode: runDecode };
  const fn = run[spec.case];
  if (!fn) throw new Error(`unknown case '${spec.case}'`);
  const t0 = Date.now();
  const r = fn(spec, log);
  process.stdout.write(JSON.stringify({ backend: name, ...r, native: nativeInfo(name), wall_s: Math.round((Date.now() - t0) / 100) / 10, peak_rss_mb: peakRssMb() }) + '\n');
}

main();
