/**
 * Process plumbing for the benchmark: the repository root, the child environments (threads and
 * the OpenBLAS variables), the machine description, and running a child that prints JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';

export { repoRoot } from '../util/repo-root.js';

/** OpenBLAS tuning variables that tests/CI leave alone and --unset-openblas-env removes. */
export const OPENBLAS_TUNING_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export interface EnvPlan {
  /** Environment of our worker processes. */
  ours: NodeJS.ProcessEnv;
  /** Environment of the PyTorch process. */
  torch: NodeJS.ProcessEnv;
  /** What the JSON records. */
  record: {
    unset_openblas_env: boolean;
    OPENBLAS_CORETYPE: string | null;
    OPENBLAS_L2_SIZE: string | null;
    ours: { OPENBLAS_NUM_THREADS: string; OMP_NUM_THREADS: string };
    torch: { OPENBLAS_NUM_THREADS: string; OMP_NUM_THREADS: string; torch_threads: number };
  };
}

/**
 * Both sides get OPENBLAS_NUM_THREADS = threads. Our OpenMP kernels get OMP_NUM_THREADS = threads;
 * PyTorch runs with --threads 1 (its intra-op pool, OpenMP) since its OpenBLAS pool is separate
 * and 1 + threads busy threads was its fastest setting on 2 cores (tools/README.md).
 */
export function planEnv(threads: number, unsetOpenblasEnv: boolean, base: NodeJS.ProcessEnv = process.env): EnvPlan {
  const common: NodeJS.ProcessEnv = { ...base };
  if (unsetOpenblasEnv) for (const k of OPENBLAS_TUNING_VARS) delete common[k];
  // A forced backend in the environment would override --backend in the workers.
  delete common['GLM_BACKEND'];
  const t = String(threads);
  return {
    ours: { ...common, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t },
    torch: { ...common, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: '1' },
    record: {
      unset_openblas_env: unsetOpenblasEnv,
      OPENBLAS_CORETYPE: common['OPENBLAS_CORETYPE'] ?? null,
      OPENBLAS_L2_SIZE: common['OPENBLAS_L2_SIZE'] ?? null,
      ours: { OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t },
      torch: { OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: '1', torch_threads: 1 },
    },
  };
}

export interface MachineInfo {
  cpu: string;
  nproc: number;
  mem_gib: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpu,
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    mem_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs a child with stderr passed through (progress) and stdout captured. */
export function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** The JSON objects among the lines of a child's stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    const s = line.trim();
    if (!s.startsWith('{')) continue;
    try {
      out.push(JSON.parse(s) as Record<string, unknown>);
    } catch {
      // not JSON: ignore
    }
  }
  return out;
}

export function describeExit(r: ChildResult): string {
  return r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
}
