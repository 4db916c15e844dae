/**
 * The PyTorch side: tools/bench/torch_glm_bench.py run with the same shape, iterations and
 * environment as our case, under a tiny Python wrapper that runs the script in-process (runpy)
 * and then reports resource.getrusage(RUSAGE_SELF).ru_maxrss, the peak RSS of that process.
 * (The wrapper needs only the Python standard library; /usr/bin/time is not always GNU time.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CaseSpec } from './options.js';
import { describeExit, jsonLines, runChild } from './proc.js';

export interface TorchProbe {
  available: boolean;
  reason: string | null;
  python: string;
  script: string;
  version: string | null;
}

const WRAPPER = [
  'import json, resource, runpy, sys',
  'script = sys.argv[1]',
  'sys.argv = sys.argv[1:]',
  'try:',
  '    runpy.run_path(script, run_name="__main__")',
  'finally:',
  '    sys.stdout.flush()',
  '    print(json.dumps({"__peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)',
].join('\n');

export function torchScriptPath(root: string): string {
  return process.env['GLM_TORCH_BENCH'] ?? path.join(root, '..', 'shared', 'tools', 'bench', 'torch_glm_bench.py');
}

/** Whether the PyTorch baseline can run here (the script exists and the Python imports torch). */
export function probeTorch(root: string, env: NodeJS.ProcessEnv): TorchProbe {
  const python = process.env['GLM_TORCH_PYTHON'] ?? '/usr/bin/python3';
  const script = torchScriptPath(root);
  const base = { python, script, version: null };
  if (!fs.existsSync(script)) return { ...base, available: false, reason: `${script} not found (set GLM_TORCH_BENCH)` };
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { env, encoding: 'utf8' });
  if (r.error) return { ...base, available: false, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { ...base, available: false, reason: `${python} cannot import torch: ${(r.stderr ?? '').trim().split('\n').pop()}` };
  return { ...base, available: true, reason: null, version: r.stdout.trim() };
}

export type LmHead = 'full' | 'loss-rows';

/**
 * torch_glm_bench.py arguments for the same case (score is torch's name for forward). lmHead
 * (train / forward): 'full' = logits at every position, as the peer ships; 'loss-rows' = only
 * at the loss positions, the same work as ours.
 */
export function torchArgs(spec: CaseSpec, lmHead: LmHead = 'full', threads = 1): string[] {
  const c = spec.config;
  const mode = spec.case === 'forward' ? 'score' : spec.case;
  const args = [
    '--mode', mode,
    '--layers', String(c['num_layers']), '--hidden', String(c['hidden_size']), '--heads', String(c['num_attention_heads']),
    '--vocab', String(c['vocab_size']), '--batch', String(spec.batch), '--threads', String(threads),
    '--max-seq-len', String(c['max_sequence_length']), '--gelu', String(c['gelu'] ?? 'erf'),
    '--warmup', String(spec.warmup), '--iters', String(spec.iters),
  ];
  if (spec.case === 'decode') args.push('--context', String(spec.context), '--gen', String(spec.gen), '--cache', 'kv');
  else args.push('--seq', String(spec.seq), '--lm-head', lmHead);
  return args;
}

export interface TorchRun {
  result: Record<string, unknown> | null;
  peakRssMb: number | null;
  command: string;
  error: string | null;
}

export async function runTorch(probe: TorchProbe, spec: CaseSpec, env: NodeJS.ProcessEnv, lmHead: LmHead = 'full', threads = 1): Promise<TorchRun> {
  const args = torchArgs(spec, lmHead, threads);
  // Its intra-op pool (OpenMP) gets `threads`; OPENBLAS_NUM_THREADS stays as planned.
  env = { ...env, OMP_NUM_THREADS: String(threads) };
  const shown = ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']
    .filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`);
  const command = [...shown, probe.python, probe.script, ...args].join(' ');
  const r = await runChild(probe.python, ['-c', WRAPPER, probe.script, ...args], env);
  const lines = jsonLines(r.stdout);
  const result = lines.find((o) => o['bench'] === 'torch_glm') ?? null;
  const rss = lines.find((o) => typeof o['__peak_rss_kb'] === 'number');
  const peakRssMb = rss ? Math.round(((rss['__peak_rss_kb'] as number) / 1024) * 10) / 10 : null;
  const error = r.code === 0 && result ? null : `torch_glm_bench.py failed (${describeExit(r)})`;
  return { result, peakRssMb, command, error };
}

/** The PyTorch number comparable to our tokens_per_s and ms_per_step. */
export function torchThroughput(caseName: string, result: Record<string, unknown> | null): { tokensPerS: number; msPerStep: number } | null {
  const res = result?.['results'] as Record<string, number> | undefined;
  if (!res) return null;
  if (caseName === 'train') return { tokensPerS: res['tokens_per_s']!, msPerStep: res['ms_per_step_median']! };
  if (caseName === 'forward') return { tokensPerS: res['tokens_per_s']!, msPerStep: res['ms_per_batch_median']! };
  return { tokensPerS: res['gen_tokens_per_s_steps']!, msPerStep: res['ms_per_new_token_steps']! };
}
