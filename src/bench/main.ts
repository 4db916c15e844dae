#!/usr/bin/env node
/**
 * `npm run bench`: glm-ts speed against the PyTorch reference on this machine.
 *
 * 1. Self-check (in a worker): the benchmarked backend must match the reference backend on small
 *    models (logits, gradients, K/V decoding); otherwise exit 1 before timing anything.
 * 2. Per case (train, forward, decode), a fresh worker process runs our benchmark (counting the
 *    FLOPs and streamed bytes it executes), another measures the machine's limits (FMA peak,
 *    read bandwidth, sgemm rate), then tools/bench/torch_glm_bench.py runs the same shape with
 *    --threads 1 and 2 (the faster is chosen and recorded), for train / forward once with the
 *    LM head over every position (the peer as it ships) and once over the loss rows only (the
 *    same work as ours). A PyTorch failure, or PyTorch missing without --no-torch, fails the run.
 * 3. One JSON line per case on stdout; progress on stderr. See docs/benchmarks.md.
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parameterCount, parseConfig } from '../model/config.js';
import type { BackendName } from '../backend/registry.js';
import { USAGE, parseBenchArgs, type BenchOptions, type CaseSpec } from './options.js';
import { describeExit, jsonLines, machineInfo, planEnv, repoRoot, runChild } from './proc.js';
import { probeTorch, runTorch, torchThroughput, type LmHead, type TorchProbe } from './torch.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

function shapeFields(spec: CaseSpec): Record<string, unknown> {
  const c = parseConfig(spec.config, spec.case);
  const common = {
    layers: c.num_layers, hidden: c.hidden_size, heads: c.num_attention_heads, vocab: c.vocab_size,
  };
  const tail = { max_sequence_length: c.max_sequence_length, params: parameterCount(c), gelu: c.gelu, shape_from: spec.configSource };
  if (spec.case === 'decode') return { ...common, context: spec.context, gen: spec.gen, batch: spec.batch, ...tail };
  return { ...common, seq: spec.seq, batch: spec.batch, ...tail };
}

/** 1-minute load average: other processes on the machine make the timings noisy. */
function loadAvg1(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

async function runWorker(args: string[], env: NodeJS.ProcessEnv): Promise<{ json: Record<string, unknown> | null; error: string | null }> {
  const r = await runChild(process.execPath, [WORKER, ...args], env);
  const json = jsonLines(r.stdout).pop() ?? null;
  if (r.code !== 0 || !json) return { json, error: `worker failed (${describeExit(r)})` };
  return { json, error: null };
}

function summaryLine(line: Record<string, unknown>): string {
  const t = line['torch_tokens_per_s'];
  return `${String(line['case']).padEnd(8)} ${String(line['backend']).padEnd(9)} ` +
    `${String(line['ms_per_step']).padStart(9)} ms/step ${String(line['tokens_per_s']).padStart(9)} tok/s ` +
    `rss ${String(line['peak_rss_mb']).padStart(7)} MB | torch ${t === undefined || t === null ? '-' : `${t} tok/s, rss ${line['torch_peak_rss_mb']} MB`}` +
    ` | ratio vs torch as shipped ${line['ratio_vs_torch_as_shipped'] ?? '-'}, same work ${line['ratio_vs_torch_same_work'] ?? '-'}` +
    ` | ${line['util_vs_fma_peak'] !== null ? `${line['util_vs_fma_peak']} of FMA peak, ${line['util_vs_sgemm']} of sgemm` : `${line['util_vs_bandwidth']} of read bandwidth`}`;
}

function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

interface TorchChoice {
  lm_head: LmHead;
  threads: number;
  tokens_per_s: number | null;
  ms_per_step: number | null;
  peak_rss_mb: number | null;
  command: string;
  error: string | null;
}

/** Runs PyTorch with --threads 1 and 2 for one LM-head variant; returns every run and the faster one. */
async function torchBest(probe: TorchProbe, spec: CaseSpec, env: NodeJS.ProcessEnv, lmHead: LmHead): Promise<{ runs: TorchChoice[]; best: TorchChoice | null; error: string | null }> {
  const runs: TorchChoice[] = [];
  for (const threads of [1, 2]) {
    log(`--- ${spec.case} (PyTorch, --lm-head ${lmHead}, --threads ${threads}) ---`);
    const t = await runTorch(probe, spec, env, lmHead, threads);
    const tt = torchThroughput(spec.case, t.result);
    if (t.error) log(t.error);
    runs.push({ lm_head: lmHead, threads, tokens_per_s: tt?.tokensPerS ?? null, ms_per_step: tt?.msPerStep ?? null, peak_rss_mb: t.peakRssMb, command: t.command, error: t.error ?? (tt ? null : 'no throughput in its output') });
  }
  const failed = runs.find((r) => r.error !== null);
  if (failed) return { runs, best: null, error: failed.error };
  const best = runs.reduce((a, b) => ((b.tokens_per_s ?? 0) > (a.tokens_per_s ?? 0) ? b : a));
  return { runs, best, error: null };
}

const ratio = (ours: number | null, theirs: TorchChoice | null): number | null =>
  ours !== null && theirs?.tokens_per_s ? Math.round((ours / theirs.tokens_per_s) * 1000) / 1000 : null;
const frac = (x: unknown, of: unknown): number | null => (typeof x === 'number' && typeof of === 'number' && of > 0 ? Math.round((x / of) * 1000) / 1000 : null);

async function run(opts: BenchOptions): Promise<number> {
  const root = repoRoot();
  const env = planEnv(opts.threads, opts.unsetOpenblasEnv);
  const machine = machineInfo();
  const date = new Date().toISOString();
  log(`${machine.cpu}, ${machine.nproc} CPUs, ${machine.mem_gib} GiB, Node ${machine.node}; threads ${opts.threads}` +
    `${opts.unsetOpenblasEnv ? ', OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset' : ''}`);

  // 1. Self-check.
  const sc = await runWorker(['selfcheck', JSON.stringify({ backend: opts.backend })], env.ours);
  const selfcheck = sc.json;
  if (sc.error || !selfcheck || selfcheck['ok'] !== true) {
    process.stdout.write(JSON.stringify({ case: 'selfcheck', ok: false, error: sc.error, selfcheck, env: env.record, date }) + '\n');
    log(`SELF-CHECK FAILED${sc.error ? `: ${sc.error}` : ''}; no timings taken`);
    return 1;
  }
  const backendName = selfcheck['backend'] as BackendName;
  log(`self-check passed on ${backendName} (${selfcheck['ms']} ms)`);
  const selfcheckSummary = {
    ok: true,
    backend: backendName,
    tolerances: selfcheck['tolerances'],
    shapes: selfcheck['shapes'],
  };

  // 2. PyTorch availability.
  let probe: TorchProbe | null = null;
  if (opts.torch) {
    probe = probeTorch(root, env.torch);
    if (probe.available) log(`PyTorch ${probe.version} (${probe.python}, ${probe.script})`);
    else {
      log(`PyTorch baseline unavailable: ${probe.reason}; pass --no-torch to benchmark without it`);
      return 1;
    }
  }
  const commit = gitCommit();

  // 3. Cases.
  let failures = 0;
  const lines: Record<string, unknown>[] = [];
  for (const spec of opts.specs) {
    const s = { ...spec, backend: backendName };
    log(`--- ${spec.case} (${backendName}) ---`);
    const loadStart = loadAvg1();
    if (loadStart > machine.nproc * 0.75) log(`note: load average ${loadStart} on ${machine.nproc} CPUs before this case; other processes will skew the timings`);
    const ours = await runWorker(['case', JSON.stringify(s)], env.ours);
    const o = ours.json ?? {};
    const cfg = parseConfig(spec.config, spec.case);
    const lim = backendName === 'native'
      ? await runWorker(['limits', JSON.stringify({ rows: spec.case === 'decode' ? 1 : spec.batch * spec.seq, inF: cfg.hidden_size, outF: 4 * cfg.hidden_size })], env.ours)
      : null;
    const limits = lim?.json ?? null;
    if (lim?.error) log(`limits: ${lim.error}`);
    const torchRuns: TorchChoice[] = [];
    let torchFull: TorchChoice | null = null, torchRows: TorchChoice | null = null, torchError: string | null = probe ? null : 'skipped (--no-torch)';
    if (probe?.available) {
      const full = await torchBest(probe, s, env.torch, 'full');
      torchRuns.push(...full.runs);
      torchFull = full.best;
      torchError = full.error;
      if (spec.case !== 'decode' && !torchError) {
        const rows = await torchBest(probe, s, env.torch, 'loss-rows');
        torchRuns.push(...rows.runs);
        torchRows = rows.best;
        torchError = rows.error;
      }
      // Decode: both sides compute logits for the last position only, so the two ratios coincide.
      if (spec.case === 'decode') torchRows = torchFull;
    }
    const ourTps = typeof o['tokens_per_s'] === 'number' ? o['tokens_per_s'] : null;
    const { backend: _b, ms_per_step, tokens_per_s, peak_rss_mb, iter_ms, wall_s, ...extra } = o;
    const line: Record<string, unknown> = {
      case: spec.case,
      ...shapeFields(s),
      backend: backendName,
      ms_per_step: ms_per_step ?? null,
      tokens_per_s: tokens_per_s ?? null,
      peak_rss_mb: peak_rss_mb ?? null,
      iter_ms: iter_ms ?? null,
      warmup: spec.warmup,
      iters: spec.iters,
      ...extra,
      limits,
      util_vs_sgemm: spec.case === 'decode' ? null : frac(o['achieved_gflops'], limits?.['sgemm_gflops']),
      util_vs_fma_peak: spec.case === 'decode' ? null : frac(o['achieved_gflops'], limits?.['fma_peak_gflops']),
      util_vs_bandwidth: spec.case === 'decode' ? frac(o['achieved_stream_gbs'], limits?.['read_bandwidth_gbs']) : null,
      wall_s: wall_s ?? null,
      error: ours.error,
      torch_runs: torchRuns,
      torch_full_logits: torchFull,
      torch_loss_rows: torchRows,
      torch_tokens_per_s: torchFull?.tokens_per_s ?? null,
      torch_peak_rss_mb: torchFull?.peak_rss_mb ?? null,
      torch_error: torchError,
      ratio_vs_torch_as_shipped: ratio(ourTps, torchFull),
      ratio_vs_torch_same_work: ratio(ourTps, torchRows),
      threads: opts.threads,
      loadavg_1m: { start: loadStart, end: loadAvg1() },
      env: env.record,
      selfcheck: selfcheckSummary,
      machine,
      commit,
      date,
      argv: process.argv.slice(2),
    };
    if (torchError && probe) {
      failures++;
      log(`${spec.case}: PyTorch failed: ${torchError}`);
    }
    if (ours.error) {
      failures++;
      log(`${spec.case}: ${ours.error}`);
    }
    process.stdout.write(JSON.stringify(line) + '\n');
    lines.push(line);
  }
  log('--- summary ---');
  for (const l of lines) log(summaryLine(l));
  return failures ? 1 : 0;
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  process.exitCode = await run(opts);
}

await main();
