#!/usr/bin/env node
/**
 * Medians over every benchmark run of one commit: reads the JSON lines of `npm run bench`
 * (files or directories of *.jsonl), keeps the lines of the given commit (default: HEAD), and
 * per case, shape and sgemm path prints the median of all timed iterations of all those runs
 * (tokens/s from ms per step), with the number of runs and samples.
 *
 *   node dist/bench/summary.js docs/bench-runs/2026-12-04 [--commit SHA]
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median, round } from './stats.js';

export interface SummaryRow {
  case: string;
  /** layers×hidden, batch×seq (decode: batch×context). */
  shape: string;
  gemm_path: string;
  runs: number;
  samples: number;
  median_ms_per_step: number;
  median_tokens_per_s: number;
}

/** Groups bench lines of `commit` by case and sgemm path; medians over all their iterations. */
export function summarize(lines: Record<string, unknown>[], commit: string): SummaryRow[] {
  const groups = new Map<string, { runs: number; ms: number[]; tokensPerStep: number }>();
  for (const l of lines) {
    if (l['commit'] !== commit || !Array.isArray(l['iter_ms']) || typeof l['tokens_per_s'] !== 'number' || typeof l['ms_per_step'] !== 'number') continue;
    const native = l['native'] as Record<string, unknown> | null | undefined;
    const pathName = String(native?.['gemm_path'] ?? l['backend']);
    const shape = `${l['layers']}x${l['hidden']}, ${l['batch']}x${l['case'] === 'decode' ? l['context'] : l['seq']}`;
    const key = `${l['case']}\t${shape}\t${pathName}`;
    const g = groups.get(key) ?? { runs: 0, ms: [], tokensPerStep: (l['tokens_per_s'] as number) * ((l['ms_per_step'] as number) / 1e3) };
    g.runs++;
    g.ms.push(...(l['iter_ms'] as number[]));
    groups.set(key, g);
  }
  return [...groups.entries()].map(([key, g]) => {
    const [c, shape, p] = key.split('\t') as [string, string, string];
    const ms = median(g.ms);
    return { case: c, shape, gemm_path: p, runs: g.runs, samples: g.ms.length, median_ms_per_step: round(ms, 2), median_tokens_per_s: round(g.tokensPerStep / (ms / 1e3), 2) };
  });
}

export function readJsonLines(inputs: string[]): Record<string, unknown>[] {
  const files = inputs.flatMap((p) => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(p, f)) : [p]));
  const out: Record<string, unknown>[] = [];
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const t = line.trim();
      if (!t.startsWith('{')) continue;
      try {
        out.push(JSON.parse(t) as Record<string, unknown>);
      } catch {
        /* not a JSON line */
      }
    }
  }
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { commit: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error('usage: summary.js FILE|DIR... [--commit SHA]');
  const commit = values.commit ?? spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  for (const row of summarize(readJsonLines(positionals), commit)) process.stdout.write(JSON.stringify({ commit, ...row }) + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
